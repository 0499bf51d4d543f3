// The N-API surface of Axon's native backend (loaded by src/backend/native/index.ts).
//
// Every kernel works in place on the typed arrays JavaScript passes (no copies) and validates every index it will
// touch before touching any: a wrong offset from JavaScript must give a RangeError, never a read past a buffer.
// The kernel table (AVX-512, AVX2+FMA or generic) is chosen once at load from what the CPU reports.

#include <napi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "conv.h"
#include "gemm.h"
#include "kernels.h"
#include "threadpool.h"

namespace axon {
namespace {

const Kernels* g_kernels = nullptr;

bool cpu_has(const char* isa) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  // __builtin_cpu_supports also checks that the OS saves the wider registers (XCR0).
  if (!std::strcmp(isa, "avx512"))
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("fma");
  if (!std::strcmp(isa, "avx2")) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return !std::strcmp(isa, "generic");
}

const Kernels* kernels_for(const std::string& isa) {
  if (!cpu_has(isa.c_str())) return nullptr;
#if defined(AXON_HAVE_X86_KERNELS)
  if (isa == "avx512") return kernels_avx512();
  if (isa == "avx2") return kernels_avx2();
#endif
  if (isa == "generic") return kernels_generic();
  return nullptr;
}

const Kernels* best_kernels() {
  for (const char* isa : {"avx512", "avx2", "generic"})
    if (const Kernels* k = kernels_for(isa)) return k;
  return kernels_generic();
}

// ---- argument helpers (each returns false after throwing a JavaScript error) ---------------------------------

bool throw_type(Napi::Env env, const std::string& msg) {
  Napi::TypeError::New(env, msg).ThrowAsJavaScriptException();
  return false;
}
bool throw_range(Napi::Env env, const std::string& msg) {
  Napi::RangeError::New(env, msg).ThrowAsJavaScriptException();
  return false;
}

// Each helper makes one raw N-API call per argument. The node-addon-api forms they replaced made three to five
// (a type test, then napi_get_typedarray_info twice through the wrapper's constructors), and the kernels called per
// layer of a batch-1 forward spent more time parsing arguments than computing: a 14-argument matmul call cost
// 0.9 us before it did any work.
struct F32 {
  float* data = nullptr;  // null for an empty array too: whether one was passed at all is `given`
  int64_t length = 0;
  bool given = false;
};

// The typed array at argument i if it is one of type `want` (data and element count), else a TypeError that says
// "<what> must be <type>".
bool get_typed(const Napi::CallbackInfo& info, size_t i, napi_typedarray_type want, const char* what, const char* type,
               void** data, int64_t* length) {
  napi_typedarray_type t;
  size_t n = 0;
  void* p = nullptr;
  if (napi_get_typedarray_info(info.Env(), info[i], &t, &n, &p, nullptr, nullptr) != napi_ok || t != want) {
    return throw_type(info.Env(), std::string("axon native: ") + what + " must be " + type);
  }
  *data = p;
  *length = static_cast<int64_t>(n);
  return true;
}

bool get_f32(const Napi::CallbackInfo& info, size_t i, const char* what, F32* out) {
  void* p;
  if (!get_typed(info, i, napi_float32_array, what, "a Float32Array", &p, &out->length)) return false;
  out->data = static_cast<float*>(p);
  out->given = true;
  return true;
}

struct U8 {
  uint8_t* data = nullptr;
  int64_t length = 0;
};

bool get_u8(const Napi::CallbackInfo& info, size_t i, const char* what, U8* out) {
  void* p;
  if (!get_typed(info, i, napi_uint8_array, what, "a Uint8Array", &p, &out->length)) return false;
  out->data = static_cast<uint8_t*>(p);
  return true;
}

bool get_int(const Napi::CallbackInfo& info, size_t i, const char* what, int64_t* out, int64_t min = 0) {
  double d;
  if (napi_get_value_double(info.Env(), info[i], &d) != napi_ok)
    return throw_type(info.Env(), std::string("axon native: ") + what + " must be a number");
  if (!(d >= static_cast<double>(min)) || d > 9.0e15 || d != static_cast<double>(static_cast<int64_t>(d)))
    return throw_range(info.Env(), std::string("axon native: ") + what + " must be an integer >= " + std::to_string(min));
  *out = static_cast<int64_t>(d);
  return true;
}

double get_double(const Napi::CallbackInfo& info, size_t i) {
  double d;
  return napi_get_value_double(info.Env(), info[i], &d) == napi_ok ? d : 0.0;
}

// A flag: a boolean as it is, anything else by JavaScript's truthiness (the slower path, never taken by Axon's own
// calls, which pass booleans).
bool get_flag(const Napi::CallbackInfo& info, size_t i) {
  bool b;
  if (napi_get_value_bool(info.Env(), info[i], &b) == napi_ok) return b;
  return info[i].ToBoolean();
}

// Splits [0, n) into about `parts` chunks aligned to 64 elements (whole cache lines), for elementwise loops.
template <class F>
void parallel_chunks(int64_t n, int64_t min_per_thread, F body) {
  ThreadPool& pool = ThreadPool::instance();
  int64_t parts = std::min<int64_t>(pool.size(), n / std::max<int64_t>(1, min_per_thread));
  if (parts <= 1) {
    body(0, n);
    return;
  }
  int64_t chunk = ((n + parts - 1) / parts + 63) / 64 * 64;
  int tasks = static_cast<int>((n + chunk - 1) / chunk);
  pool.parallel_for(tasks, [&](int t, int) {
    int64_t begin = t * chunk, end = std::min(n, begin + chunk);
    body(begin, end);
  });
}

constexpr int64_t ELEMENTWISE_MIN_PER_THREAD = 1 << 15;

// ---- kernels --------------------------------------------------------------------------------------------------

// matmul(a, b, out, batch, m, n, k, transA, transB, aOffset, bOffset, aBatchStride, bBatchStride[, bias[, relu]])
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 a, b, out;
  int64_t batch, m, n, k, aOff, bOff, aBS, bBS;
  if (info.Length() < 13 || !get_f32(info, 0, "a", &a) || !get_f32(info, 1, "b", &b) || !get_f32(info, 2, "out", &out) ||
      !get_int(info, 3, "batch", &batch) || !get_int(info, 4, "m", &m) || !get_int(info, 5, "n", &n) ||
      !get_int(info, 6, "k", &k) || !get_int(info, 9, "aOffset", &aOff) || !get_int(info, 10, "bOffset", &bOff) ||
      !get_int(info, 11, "aBatchStride", &aBS) || !get_int(info, 12, "bBatchStride", &bBS)) {
    if (!env.IsExceptionPending()) throw_type(env, "axon native: matmul expects 13 arguments");
    return env.Undefined();
  }
  const bool transA = get_flag(info, 7), transB = get_flag(info, 8);
  F32 bias{nullptr, 0};
  if (info.Length() > 13 && !info[13].IsNull() && !info[13].IsUndefined()) {
    if (!get_f32(info, 13, "bias", &bias)) return env.Undefined();
    if (bias.length < n) return throw_range(env, "axon native: matmul bias is shorter than n"), env.Undefined();
  }
  const bool relu = info.Length() > 14 && get_flag(info, 14);
  if (batch == 0 || m == 0 || n == 0) return env.Undefined();
  if (double(out.length) < double(batch) * m * n) return throw_range(env, "axon native: matmul output is too short"), env.Undefined();
  if (k > 0) {
    if (double(aOff) + double(batch - 1) * aBS + double(m) * k > double(a.length)) return throw_range(env, "axon native: matmul reads past the end of A"), env.Undefined();
    if (double(bOff) + double(batch - 1) * bBS + double(k) * n > double(b.length)) return throw_range(env, "axon native: matmul reads past the end of B"), env.Undefined();
  }
  GemmArgs base{nullptr, nullptr, nullptr, m, n, k, transA ? 1 : k, transA ? m : 1, transB ? 1 : n, transB ? k : 1};
  ThreadPool& pool = ThreadPool::instance();
  auto one = [&](int64_t bt, ThreadPool* p) {
    GemmArgs g = base;
    g.a = a.data + aOff + bt * aBS;
    g.b = b.data + bOff + bt * bBS;
    g.c = out.data + bt * m * n;
    return sgemm(*g_kernels, g, p);
  };
  bool ok = true;
  // Many small products (attention heads, per-sample matmuls): one whole product per task beats splitting each.
  const bool byBatch = batch >= pool.size() && pool.size() > 1 && 2.0 * m * n * k < 2.0 * 256 * 256 * 256;
  if (byBatch) {
    std::atomic<bool> failed{false};
    pool.parallel_for(static_cast<int>(std::min<int64_t>(batch, 1 << 30)), [&](int bt, int) {
      if (!one(bt, nullptr)) failed.store(true);
    });
    ok = !failed.load();
  } else {
    for (int64_t bt = 0; bt < batch && ok; bt++) ok = one(bt, &pool);
  }
  if (!ok) {
    Napi::Error::New(env, "axon native: out of memory for matmul packing buffers").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // The bias (addmm) and relu (a linear layer and its activation): one pass over the output while it is still in
  // cache for small products. relu as the unary op has it: NaN kept, -0 made +0.
  if (bias.data || relu) {
    const int64_t rows = batch * m;
    parallel_chunks(rows, std::max<int64_t>(1, ELEMENTWISE_MIN_PER_THREAD / n), [&](int64_t r0, int64_t r1) {
      g_kernels->bias_relu_rows(out.data + r0 * n, bias.data, r1 - r0, n, relu);
    });
  }
  return env.Undefined();
}

// unary(op, x, out, p0, p1): out[i] = f(x[i]) for i < out.length
Napi::Value Unary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x, out;
  int64_t op;
  if (info.Length() < 5 || !get_int(info, 0, "op", &op) || !get_f32(info, 1, "x", &x) || !get_f32(info, 2, "out", &out)) {
    if (!env.IsExceptionPending()) throw_type(env, "axon native: unary expects 5 arguments");
    return env.Undefined();
  }
  if (op >= U_COUNT) return throw_range(env, "axon native: unknown unary op"), env.Undefined();
  if (x.length < out.length) return throw_range(env, "axon native: unary input is shorter than its output"), env.Undefined();
  const double p0 = get_double(info, 3), p1 = get_double(info, 4);
  const Kernels* K = g_kernels;
  parallel_chunks(out.length, ELEMENTWISE_MIN_PER_THREAD, [&](int64_t b, int64_t e) {
    K->unary(static_cast<int>(op), x.data + b, out.data + b, static_cast<size_t>(e - b), p0, p1);
  });
  return env.Undefined();
}

// A [rows, n] operand: element (r, j) at offset + r*rowStride + j*stride. Checks it lies inside its array.
struct Operand2d {
  int64_t offset, rowStride, stride;
};

bool get_operand(const Napi::CallbackInfo& info, size_t i, const char* what, int64_t length, int64_t rows, int64_t n,
                 bool innerStrideAny, Operand2d* o) {
  if (!get_int(info, i, "offset", &o->offset) || !get_int(info, i + 1, "rowStride", &o->rowStride) ||
      !get_int(info, i + 2, "stride", &o->stride))
    return false;
  if (!innerStrideAny && o->stride > 1)
    return throw_range(info.Env(), std::string("axon native: the inner stride of ") + what + " must be 0 or 1");
  if (rows > 0 && n > 0 && double(o->offset) + double(rows - 1) * o->rowStride + double(n - 1) * o->stride >= double(length))
    return throw_range(info.Env(), std::string("axon native: reads past the end of ") + what);
  return true;
}

// binary(op, a, aOffset, aRowStride, aStride, b, bOffset, bRowStride, bStride, out, rows, n):
// out[r*n + j] = a[aOffset + r*aRowStride + j*aStride] (op) b[...], with aStride and bStride in {0, 1}.
// op < 100 is a BinaryCode with a Float32Array out; op >= 100 is CompareCode (op - 100) with a Uint8Array out.
Napi::Value Binary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 a, b, out;
  U8 out8;
  int64_t op, aOff, aRS, aS, bOff, bRS, bS, rows, n;
  if (info.Length() < 12 || !get_int(info, 0, "op", &op) || !get_f32(info, 1, "a", &a) ||
      !get_int(info, 2, "aOffset", &aOff) || !get_int(info, 3, "aRowStride", &aRS) || !get_int(info, 4, "aStride", &aS) ||
      !get_f32(info, 5, "b", &b) || !get_int(info, 6, "bOffset", &bOff) || !get_int(info, 7, "bRowStride", &bRS) ||
      !get_int(info, 8, "bStride", &bS) || !get_int(info, 10, "rows", &rows) || !get_int(info, 11, "n", &n)) {
    if (!env.IsExceptionPending()) throw_type(env, "axon native: binary expects 12 arguments");
    return env.Undefined();
  }
  const bool cmp = op >= 100;
  if (cmp ? op - 100 >= C_COUNT : op >= B_COUNT) return throw_range(env, "axon native: unknown binary op"), env.Undefined();
  if (cmp ? !get_u8(info, 9, "out", &out8) : !get_f32(info, 9, "out", &out)) return env.Undefined();
  if (cmp) out.length = out8.length;
  if (aS > 1 || bS > 1) return throw_range(env, "axon native: binary inner strides must be 0 or 1"), env.Undefined();
  if (rows == 0 || n == 0) return env.Undefined();
  if (double(out.length) < double(rows) * n) return throw_range(env, "axon native: binary output is too short"), env.Undefined();
  if (double(aOff) + double(rows - 1) * aRS + double(n - 1) * aS >= double(a.length)) return throw_range(env, "axon native: binary reads past the end of a"), env.Undefined();
  if (double(bOff) + double(rows - 1) * bRS + double(n - 1) * bS >= double(b.length)) return throw_range(env, "axon native: binary reads past the end of b"), env.Undefined();
  const Kernels* K = g_kernels;
  const int o = static_cast<int>(cmp ? op - 100 : op), sa = static_cast<int>(aS), sb = static_cast<int>(bS);
  auto run = [&](int64_t r, int64_t s, int64_t len) {  // row r, elements [s, s + len)
    const float* pa = a.data + aOff + r * aRS + s * aS;
    const float* pb = b.data + bOff + r * bRS + s * bS;
    if (cmp) K->compare(o, pa, sa, pb, sb, out8.data + r * n + s, static_cast<size_t>(len));
    else K->binary(o, pa, sa, pb, sb, out.data + r * n + s, static_cast<size_t>(len));
  };
  if (rows == 1) {
    parallel_chunks(n, ELEMENTWISE_MIN_PER_THREAD, [&](int64_t s, int64_t e) { run(0, s, e - s); });
  } else {
    // Rows in parallel: each task takes a contiguous band of rows.
    const int64_t minRows = std::max<int64_t>(1, ELEMENTWISE_MIN_PER_THREAD / n);
    parallel_chunks(rows, minRows, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; r++) run(r, 0, n);
    });
  }
  return env.Undefined();
}

// where(cond, cOffset, cRowStride, cStride, a, aOffset, aRowStride, aStride, b, bOffset, bRowStride, bStride,
//       out, rows, n): out[r*n + j] = cond(r, j) ? a(r, j) : b(r, j); inner strides in {0, 1}.
Napi::Value Where(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  U8 c;
  F32 a, b, out;
  int64_t rows, n;
  Operand2d oc, oa, ob;
  if (info.Length() < 15 || !get_int(info, 13, "rows", &rows) || !get_int(info, 14, "n", &n) ||
      !get_u8(info, 0, "cond", &c) || !get_f32(info, 4, "a", &a) || !get_f32(info, 8, "b", &b) ||
      !get_f32(info, 12, "out", &out) || !get_operand(info, 1, "cond", c.length, rows, n, false, &oc) ||
      !get_operand(info, 5, "a", a.length, rows, n, false, &oa) || !get_operand(info, 9, "b", b.length, rows, n, false, &ob)) {
    if (!env.IsExceptionPending()) throw_type(env, "axon native: where expects 15 arguments");
    return env.Undefined();
  }
  if (rows == 0 || n == 0) return env.Undefined();
  if (double(out.length) < double(rows) * n) return throw_range(env, "axon native: where output is too short"), env.Undefined();
  // Elements [s, s + len) of row r. Both operands are loaded before the select, so the loop has no branch (a
  // relu mask is a coin flip per element) and vectorizes.
  auto run = [&](int64_t r, int64_t s, int64_t len) {
    const int64_t sc = oc.stride, sa = oa.stride, sb = ob.stride;
    const uint8_t* __restrict pc = c.data + oc.offset + r * oc.rowStride + s * sc;
    const float* __restrict pa = a.data + oa.offset + r * oa.rowStride + s * sa;
    const float* __restrict pb = b.data + ob.offset + r * ob.rowStride + s * sb;
    float* __restrict po = out.data + r * n + s;
    if (sc == 1 && sa == 1 && sb == 1) {
      for (int64_t j = 0; j < len; j++) { const float x = pa[j], y = pb[j]; po[j] = pc[j] ? x : y; }
    } else if (sc == 1 && sa == 1 && sb == 0) {  // where(mask, g, 0): relu's backward
      const float y = pb[0];
      for (int64_t j = 0; j < len; j++) { const float x = pa[j]; po[j] = pc[j] ? x : y; }
    } else if (sc == 1 && sa == 0 && sb == 1) {
      const float x = pa[0];
      for (int64_t j = 0; j < len; j++) { const float y = pb[j]; po[j] = pc[j] ? x : y; }
    } else {
      for (int64_t j = 0; j < len; j++) { const float x = pa[j * sa], y = pb[j * sb]; po[j] = pc[j * sc] ? x : y; }
    }
  };
  if (rows == 1) {
    parallel_chunks(n, ELEMENTWISE_MIN_PER_THREAD, [&](int64_t s, int64_t e) { run(0, s, e - s); });
  } else {
    const int64_t minRows = std::max<int64_t>(1, ELEMENTWISE_MIN_PER_THREAD / n);
    parallel_chunks(rows, minRows, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; r++) run(r, 0, n);
    });
  }
  return env.Undefined();
}

// copy(src, offset, rowStride, stride, out, rows, n[, outer, outerStride]):
// out[(q*rows + r)*n + j] = src[offset + q*outerStride + r*rowStride + j*stride] for q < outer (default 1), any
// non-negative strides. A strided inner loop (a transpose) goes tile by tile, so that both the lines it reads and
// the lines it writes stay in L1. The outer axis covers views that collapse to three dimensions, such as the
// [O, N, P] -> [N, O, P] swap around convolution's GEMMs.
Napi::Value Copy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 src, out;
  int64_t rows, n, outer = 1, outerStride = 0;
  Operand2d o;
  if (info.Length() < 7 || !get_int(info, 5, "rows", &rows) || !get_int(info, 6, "n", &n) || !get_f32(info, 0, "src", &src) ||
      !get_f32(info, 4, "out", &out) ||
      (info.Length() >= 9 && (!get_int(info, 7, "outer", &outer) || !get_int(info, 8, "outerStride", &outerStride)))) {
    if (!env.IsExceptionPending()) throw_type(env, "axon native: copy expects 7 or 9 arguments");
    return env.Undefined();
  }
  // Nothing to copy (a [0, 2, 3] tensor transposed): return before the operand's bounds check, which an empty src
  // cannot pass.
  if (rows == 0 || n == 0 || outer == 0) return env.Undefined();
  if (!get_operand(info, 1, "src", src.length, rows, n, true, &o)) {
    if (!env.IsExceptionPending()) throw_type(env, "axon native: copy expects 7 or 9 arguments");
    return env.Undefined();
  }
  if (double(outer) * rows * n > double(out.length)) return throw_range(env, "axon native: copy output is too short"), env.Undefined();
  if (double(o.offset) + double(outer - 1) * outerStride + double(rows - 1) * o.rowStride + double(n - 1) * o.stride >= double(src.length))
    return throw_range(env, "axon native: reads past the end of src"), env.Undefined();
  const int64_t rs = o.rowStride, cs = o.stride;
  // Rows of all outer blocks in one range, so that either axis can feed the threads.
  const int64_t total = outer * rows;
  const int64_t minRows = std::max<int64_t>(1, ELEMENTWISE_MIN_PER_THREAD / n);
  parallel_chunks(total, minRows, [&](int64_t t0, int64_t t1) {
    while (t0 < t1) {
      const int64_t q = t0 / rows, r0 = t0 % rows, r1 = std::min(rows, r0 + (t1 - t0));
      const float* s = src.data + o.offset + q * outerStride;
      float* d = out.data + q * rows * n;
      t0 += r1 - r0;
      if (cs == 1) {
        for (int64_t r = r0; r < r1; r++) std::memcpy(d + r * n, s + r * rs, n * sizeof(float));
        continue;
      }
      constexpr int64_t T = 32;
      for (int64_t rb = r0; rb < r1; rb += T) {
        const int64_t re = std::min(r1, rb + T);
        for (int64_t jb = 0; jb < n; jb += T) {
          const int64_t je = std::min(n, jb + T);
          for (int64_t j = jb; j < je; j++)
            for (int64_t r = rb; r < re; r++) d[r * n + j] = s[r * rs + j * cs];
        }
      }
    }
  });
  return env.Undefined();
}

// reduce(op, x, outer, size, inner, out): x contiguous [outer, size, inner] -> out [outer, inner]
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x, out;
  int64_t op, outer, size, inner;
  if (info.Length() < 6 || !get_int(info, 0, "op", &op) || !get_f32(info, 1, "x", &x) || !get_int(info, 2, "outer", &outer) ||
      !get_int(info, 3, "size", &size) || !get_int(info, 4, "inner", &inner) || !get_f32(info, 5, "out", &out)) {
    if (!env.IsExceptionPending()) throw_type(env, "axon native: reduce expects 6 arguments");
    return env.Undefined();
  }
  if (op >= R_COUNT) return throw_range(env, "axon native: unknown reduce op"), env.Undefined();
  if (double(x.length) < double(outer) * size * inner || double(out.length) < double(outer) * inner)
    return throw_range(env, "axon native: reduce arrays are shorter than [outer, size, inner]"), env.Undefined();
  if (outer == 0 || inner == 0) return env.Undefined();
  const Kernels* K = g_kernels;
  const int64_t per = std::max<int64_t>(1, size * inner);
  parallel_chunks(outer, std::max<int64_t>(1, ELEMENTWISE_MIN_PER_THREAD / per), [&](int64_t o0, int64_t o1) {
    K->reduce(static_cast<int>(op), x.data + o0 * size * inner, static_cast<size_t>(o1 - o0), static_cast<size_t>(size),
              static_cast<size_t>(inner), out.data + o0 * inner);
  });
  return env.Undefined();
}

// softmax(x, outer, size, inner, out, log): softmax or log-softmax of each line along the middle axis of
// [outer, size, inner] (Backend.softmax): the line's maximum (NaN if any element is), a shift by it (an infinite one
// makes the line NaN, as in PyTorch), exp and a float64 sum, then a divide or a subtraction of the log. One pass per step over a line
// that stays in cache, instead of the six ops and five intermediate tensors of the composition.
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x, out;
  int64_t outer, size, inner;
  if (info.Length() < 6 || !get_f32(info, 0, "x", &x) || !get_int(info, 1, "outer", &outer) || !get_int(info, 2, "size", &size) ||
      !get_int(info, 3, "inner", &inner) || !get_f32(info, 4, "out", &out)) {
    if (!env.IsExceptionPending()) throw_type(env, "axon native: softmax expects 6 arguments");
    return env.Undefined();
  }
  const bool log = get_flag(info, 5);
  const double total = double(outer) * double(size) * double(inner);
  if (double(x.length) < total || double(out.length) < total)
    return throw_range(env, "axon native: softmax arrays are shorter than [outer, size, inner]"), env.Undefined();
  if (outer == 0 || inner == 0 || size == 0) return env.Undefined();
  const int64_t lines = outer * inner;
  const int64_t minLines = std::max<int64_t>(1, ELEMENTWISE_MIN_PER_THREAD / size);
  const bool overlap = x.data < out.data + lines * size && out.data < x.data + lines * size;
  // Contiguous lines (softmax over the last axis): the kernel table's vectorized version, which needs out apart
  // from x (the loop below works in place too).
  if (inner == 1 && !overlap) {
    parallel_chunks(lines, minLines, [&](int64_t l0, int64_t l1) {
      g_kernels->softmax_rows(x.data + l0 * size, l1 - l0, size, out.data + l0 * size, log);
    });
    return env.Undefined();
  }
  parallel_chunks(lines, minLines, [&](int64_t l0, int64_t l1) {
    for (int64_t l = l0; l < l1; l++) {
      const int64_t o = l / inner, i = l % inner;
      const float* xs = x.data + o * size * inner + i;
      float* os = out.data + o * size * inner + i;
      float mx = -std::numeric_limits<float>::infinity();
      bool nan = false;
      for (int64_t j = 0; j < size; j++) {
        const float v = xs[j * inner];
        nan |= v != v;
        mx = v > mx ? v : mx;
      }
      const double shift = nan ? std::numeric_limits<double>::quiet_NaN() : double(mx);
      double sum = 0;
      for (int64_t j = 0; j < size; j++) sum += std::exp(double(xs[j * inner]) - shift);
      if (log) {
        const double lse = std::log(sum);
        for (int64_t j = 0; j < size; j++) os[j * inner] = static_cast<float>(double(xs[j * inner]) - shift - lse);
      } else {
        for (int64_t j = 0; j < size; j++) os[j * inner] = static_cast<float>(std::exp(double(xs[j * inner]) - shift) / sum);
      }
    }
  });
  return env.Undefined();
}

// ---- sliding windows: im2col, col2im, max pooling (the contracts of Backend.im2col etc. in src/backend/backend.ts)

// Reads and checks a window (Window2d's fields as 14 numbers starting at argument i): every size >= 0, strides and dilations >= 1, and every count the kernels multiply
// small enough that no product overflows (each below 2^31, their products checked against the arrays' lengths).
bool get_window(const Napi::CallbackInfo& info, size_t i, Window* g) {
  int64_t* f[14] = {&g->batch, &g->channels, &g->height, &g->width, &g->kh, &g->kw, &g->sh, &g->sw,
                    &g->ph, &g->pw, &g->dh, &g->dw, &g->oh, &g->ow};
  static const char* names[14] = {"batch", "channels", "height", "width", "kernelH", "kernelW", "strideH", "strideW",
                                  "padH", "padW", "dilationH", "dilationW", "outH", "outW"};
  for (int k = 0; k < 14; k++) {
    const bool positive = k == 6 || k == 7 || k == 10 || k == 11;
    if (!get_int(info, i + k, names[k], f[k], positive ? 1 : 0)) return false;
    if (*f[k] >= (int64_t{1} << 31)) return throw_range(info.Env(), std::string("axon native: window ") + names[k] + " is too large");
  }
  return true;
}

// Elements of x ([batch, channels, height, width]) and of cols ([channels*kh*kw, batch*oh*ow]), in double so
// that the check itself cannot overflow.
double image_size(const Window& g) { return double(g.batch) * g.channels * g.height * g.width; }
double cols_size(const Window& g) { return double(g.channels) * g.kh * g.kw * g.batch * g.oh * g.ow; }

constexpr int64_t WINDOW_MIN_PER_THREAD = 1 << 14;  // elements of output per thread before splitting

// im2col(x, out, ...window): one task per band of column rows (c, i, j); each row is written in full.
Napi::Value Im2col(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x, out;
  Window g;
  if (info.Length() < 16 || !get_f32(info, 0, "x", &x) || !get_f32(info, 1, "out", &out) || !get_window(info, 2, &g)) {
    if (!env.IsExceptionPending()) throw_type(env, "axon native: im2col expects 16 arguments");
    return env.Undefined();
  }
  if (image_size(g) > double(x.length)) return throw_range(env, "axon native: im2col input is too short"), env.Undefined();
  if (cols_size(g) > double(out.length)) return throw_range(env, "axon native: im2col output is too short"), env.Undefined();
  const int64_t rows = g.channels * g.kh * g.kw, L = g.batch * g.oh * g.ow, plane = g.height * g.width;
  if (rows == 0 || L == 0) return env.Undefined();
  parallel_chunks(rows, std::max<int64_t>(1, WINDOW_MIN_PER_THREAD / L), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const int64_t c = r / (g.kh * g.kw), i = (r / g.kw) % g.kh, j = r % g.kw;
      const int64_t shiftW = j * g.dw - g.pw;
      int64_t lo, hi;
      valid_range(shiftW, g.sw, g.width, g.ow, &lo, &hi);
      float* o = out.data + r * L;
      for (int64_t b = 0; b < g.batch; b++) {
        const float* base = x.data + (b * g.channels + c) * plane;
        for (int64_t oh = 0; oh < g.oh; oh++, o += g.ow) {
          const int64_t ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.height) { std::memset(o, 0, g.ow * sizeof(float)); continue; }
          const float* row = base + ih * g.width;  // column iw = ow*sw + shiftW, inside [0, width) for ow in [lo, hi)
          for (int64_t ow = 0; ow < lo; ow++) o[ow] = 0.0f;
          if (g.sw == 1) {
            if (hi > lo) std::memcpy(o + lo, row + (lo + shiftW), (hi - lo) * sizeof(float));
          } else {
            for (int64_t ow = lo; ow < hi; ow++) o[ow] = row[ow * g.sw + shiftW];
          }
          for (int64_t ow = hi; ow < g.ow; ow++) o[ow] = 0.0f;
        }
      }
    }
  });
  return env.Undefined();
}

// col2im(cols, out, ...window): one task per band of channels, so no two tasks write the same element; within a
// channel the sums run in the reference's order (i, j, b, oh, ow), so results match it bit for bit.
Napi::Value Col2im(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 cols, out;
  Window g;
  if (info.Length() < 16 || !get_f32(info, 0, "cols", &cols) || !get_f32(info, 1, "out", &out) || !get_window(info, 2, &g)) {
    if (!env.IsExceptionPending()) throw_type(env, "axon native: col2im expects 16 arguments");
    return env.Undefined();
  }
  if (cols_size(g) > double(cols.length)) return throw_range(env, "axon native: col2im input is too short"), env.Undefined();
  if (image_size(g) > double(out.length)) return throw_range(env, "axon native: col2im output is too short"), env.Undefined();
  const int64_t L = g.batch * g.oh * g.ow, plane = g.height * g.width;
  if (g.channels == 0 || g.batch == 0) return env.Undefined();
  const int64_t perChannel = std::max<int64_t>(1, g.kh * g.kw * L + g.batch * plane);
  parallel_chunks(g.channels, std::max<int64_t>(1, WINDOW_MIN_PER_THREAD / perChannel), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; c++) {
      for (int64_t b = 0; b < g.batch; b++) std::memset(out.data + (b * g.channels + c) * plane, 0, plane * sizeof(float));
      for (int64_t i = 0; i < g.kh; i++) {
        for (int64_t j = 0; j < g.kw; j++) {
          const int64_t shiftW = j * g.dw - g.pw;
          int64_t lo, hi;
          valid_range(shiftW, g.sw, g.width, g.ow, &lo, &hi);
          const float* o = cols.data + ((c * g.kh + i) * g.kw + j) * L;
          for (int64_t b = 0; b < g.batch; b++) {
            float* base = out.data + (b * g.channels + c) * plane;
            for (int64_t oh = 0; oh < g.oh; oh++, o += g.ow) {
              const int64_t ih = oh * g.sh - g.ph + i * g.dh;
              if (ih < 0 || ih >= g.height) continue;
              float* __restrict row = base + ih * g.width;
              const float* __restrict src = o;
              if (g.sw == 1) {
                for (int64_t ow = lo; ow < hi; ow++) row[ow + shiftW] += src[ow];
              } else {
                for (int64_t ow = lo; ow < hi; ow++) row[ow * g.sw + shiftW] += src[ow];
              }
            }
          }
        }
      }
    }
  });
  return env.Undefined();
}

// Reads and checks a convolution: groups and outChannels at argument i, the window after them, and x (unless
// null) and w against them (w must hold outChannels x channels/groups x kh x kw floats). False after throwing.
bool get_conv(const Napi::CallbackInfo& info, size_t i, const F32& x, const F32& w, const char* op, ConvArgs* c) {
  Napi::Env env = info.Env();
  if (!get_int(info, i, "groups", &c->groups, 1) || !get_int(info, i + 1, "outChannels", &c->outChannels) ||
      !get_window(info, i + 2, &c->g))
    return false;
  const Window& g = c->g;
  if (g.channels % c->groups != 0 || c->outChannels % c->groups != 0)
    return throw_range(env, std::string("axon native: ") + op + " channels and outChannels must be multiples of groups");
  if (x.given && image_size(g) > double(x.length)) return throw_range(env, std::string("axon native: ") + op + " input is too short");
  if (double(c->outChannels) * (g.channels / c->groups) * g.kh * g.kw > double(w.length))
    return throw_range(env, std::string("axon native: ") + op + " weight is too short");
  c->x = x.data;
  c->w = w.data;
  return true;
}

double conv_out_size(const ConvArgs& c) { return double(c.g.batch) * c.outChannels * c.g.oh * c.g.ow; }

// conv2d(x, w, bias | null, out, groups, outChannels, ...window[, relu]): Backend.conv2d (see native/conv.cc).
Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x, w, bias, out;
  ConvArgs c;
  if (info.Length() < 20 || !get_f32(info, 0, "x", &x) || !get_f32(info, 1, "weight", &w) ||
      (!info[2].IsNull() && !get_f32(info, 2, "bias", &bias)) || !get_f32(info, 3, "out", &out) ||
      !get_conv(info, 4, x, w, "conv2d", &c)) {
    if (!env.IsExceptionPending()) throw_type(env, "axon native: conv2d expects 20 arguments");
    return env.Undefined();
  }
  if (bias.given && bias.length < c.outChannels) return throw_range(env, "axon native: conv2d bias is too short"), env.Undefined();
  if (conv_out_size(c) > double(out.length)) return throw_range(env, "axon native: conv2d output is too short"), env.Undefined();
  const bool relu = info.Length() > 20 && get_flag(info, 20);
  if (!conv2d_forward(*g_kernels, c, bias.data, relu, out.data, ThreadPool::instance()))
    Napi::Error::New(env, "axon native: out of memory for conv2d scratch buffers").ThrowAsJavaScriptException();
  return env.Undefined();
}

// conv2dBackward(x | null, w, gy, gx | null, gw | null, gb | null, groups, outChannels, ...window):
// Backend.conv2dBackward (x is read only for gw).
Napi::Value Conv2dBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x, w, gy, gx, gw, gb;
  ConvArgs c;
  auto optional = [&](size_t i, const char* what, F32* a) { return info[i].IsNull() || get_f32(info, i, what, a); };
  if (info.Length() < 22 || !optional(0, "x", &x) || !get_f32(info, 1, "weight", &w) || !get_f32(info, 2, "gy", &gy) ||
      !optional(3, "gx", &gx) || !optional(4, "gw", &gw) || !optional(5, "gb", &gb) ||
      !get_conv(info, 6, x, w, "conv2dBackward", &c)) {
    if (!env.IsExceptionPending()) throw_type(env, "axon native: conv2dBackward expects 22 arguments");
    return env.Undefined();
  }
  if (conv_out_size(c) > double(gy.length)) return throw_range(env, "axon native: conv2dBackward gy is too short"), env.Undefined();
  if (gw.given && !x.given) return throw_type(env, "axon native: conv2dBackward needs x for the weight gradient"), env.Undefined();
  if ((gx.given && image_size(c.g) > double(gx.length)) ||
      (gw.given && double(c.outChannels) * (c.g.channels / c.groups) * c.g.kh * c.g.kw > double(gw.length)) ||
      (gb.given && c.outChannels > gb.length))
    return throw_range(env, "axon native: conv2dBackward gx, gw or gb is too short"), env.Undefined();
  if (!conv2d_backward(*g_kernels, c, gy.data, gx.data, gw.data, gb.data, ThreadPool::instance()))
    Napi::Error::New(env, "axon native: out of memory for conv2dBackward scratch buffers").ThrowAsJavaScriptException();
  return env.Undefined();
}

bool get_i32(const Napi::CallbackInfo& info, size_t i, const char* what, int32_t** data, int64_t* length) {
  void* p;
  if (!get_typed(info, i, napi_int32_array, what, "an Int32Array", &p, length)) return false;
  *data = static_cast<int32_t*>(p);
  return true;
}

// The interior of one output row: windows wholly inside the input, one pass over the row per window position.
// Each pass is a branch-free select the compiler vectorizes; with the column stride a compile-time constant (SW > 0)
// it can load the strided inputs with shuffles instead of one at a time (SW = 0: the stride is read from g).
template <int SW>
void pool_interior(const float* base, const Window& g, int64_t at0, int64_t lo, int64_t hi, float* orow, int32_t* irow) {
  const int64_t sw = SW > 0 ? SW : g.sw;
  for (int64_t ow = lo; ow < hi; ow++) {
    orow[ow] = base[at0 + ow * sw];
    irow[ow] = static_cast<int32_t>(at0 + ow * sw);
  }
  for (int64_t i = 0; i < g.kh; i++) {
    for (int64_t j = i == 0 ? 1 : 0; j < g.kw; j++) {
      const int64_t off = at0 + i * g.dh * g.width + j * g.dw;
      const int32_t a0 = static_cast<int32_t>(off), s32 = static_cast<int32_t>(sw);
      for (int64_t ow = lo; ow < hi; ow++) {
        const float v = base[off + ow * sw], best = orow[ow];
        const bool take = (v > best) | ((v != v) & (best == best));
        orow[ow] = take ? v : best;
        irow[ow] = take ? a0 + static_cast<int32_t>(ow) * s32 : irow[ow];
      }
    }
  }
}

// A window that reaches into the padding: positions outside the plane are skipped; with none inside (possible
// with dilation) the result is -inf at index 0, as the reference.
inline float pool_edge(const float* base, const Window& g, int64_t h0, int64_t w0, int32_t* index) {
  float best = -std::numeric_limits<float>::infinity();
  int32_t where = -1;
  for (int64_t i = 0; i < g.kh; i++) {
    const int64_t ih = h0 + i * g.dh;
    if (ih < 0 || ih >= g.height) continue;
    for (int64_t j = 0; j < g.kw; j++) {
      const int64_t iw = w0 + j * g.dw;
      if (iw < 0 || iw >= g.width) continue;
      const float v = base[ih * g.width + iw];
      if (where < 0) { best = v; where = static_cast<int32_t>(ih * g.width + iw); }
      else pool_take(v, static_cast<int32_t>(ih * g.width + iw), &best, &where);
    }
  }
  *index = where < 0 ? 0 : where;
  return best;
}

// maxPool2d(x, out, indices, ...window): one task per band of (batch, channel) planes; the reference's rule for
// ties and NaN (the first strict maximum wins; a NaN wins and stays).
Napi::Value MaxPool2d(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x, out;
  int32_t* idx;
  int64_t idxLen;
  Window g;
  if (info.Length() < 17 || !get_f32(info, 0, "x", &x) || !get_f32(info, 1, "out", &out) ||
      !get_i32(info, 2, "indices", &idx, &idxLen) || !get_window(info, 3, &g)) {
    if (!env.IsExceptionPending()) throw_type(env, "axon native: maxPool2d expects 17 arguments");
    return env.Undefined();
  }
  const double outSize = double(g.batch) * g.channels * g.oh * g.ow;
  if (image_size(g) > double(x.length)) return throw_range(env, "axon native: maxPool2d input is too short"), env.Undefined();
  if (outSize > double(out.length) || outSize > double(idxLen))
    return throw_range(env, "axon native: maxPool2d output or indices are too short"), env.Undefined();
  const int64_t planes = g.batch * g.channels, plane = g.height * g.width, P = g.oh * g.ow;
  if (planes == 0 || P == 0) return env.Undefined();
  // Outputs whose whole window lies inside the input (rows [ohLo, ohHi), columns [owLo, owHi)) take the fast
  // path: no bounds tests, and the first position seeds the maximum.
  int64_t ohLo, ohHi, owLo, owHi;
  valid_range(-g.ph, g.sh, g.height - (g.kh - 1) * g.dh, g.oh, &ohLo, &ohHi);
  valid_range(-g.pw, g.sw, g.width - (g.kw - 1) * g.dw, g.ow, &owLo, &owHi);
  // The common 2x2 window with stride 2 has a vectorized row kernel in the kernel table.
  const bool pool2x2 = g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.dh == 1 && g.dw == 1;
  const Kernels* K = g_kernels;
  parallel_chunks(planes, std::max<int64_t>(1, WINDOW_MIN_PER_THREAD / std::max<int64_t>(1, P * g.kh * g.kw)), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; p++) {
      const float* base = x.data + p * plane;
      float* o = out.data + p * P;
      int32_t* oi = idx + p * P;
      for (int64_t oh = 0; oh < g.oh; oh++) {
        const int64_t h0 = oh * g.sh - g.ph;
        float* orow = o + oh * g.ow;
        int32_t* irow = oi + oh * g.ow;
        const bool rowInside = oh >= ohLo && oh < ohHi;
        const int64_t lo = rowInside ? owLo : g.ow, hi = rowInside ? owHi : g.ow;
        for (int64_t ow = 0; ow < lo; ow++) orow[ow] = pool_edge(base, g, h0, ow * g.sw - g.pw, &irow[ow]);
        for (int64_t ow = hi; ow < g.ow; ow++) orow[ow] = pool_edge(base, g, h0, ow * g.sw - g.pw, &irow[ow]);
        if (lo >= hi) continue;
        // The interior, one window position at a time across the row: each output's comparisons still run in the
        // window's order, but neighbouring outputs are independent, so the loop has no dependency chain.
        const int64_t at0 = h0 * g.width - g.pw;  // plane index of window (0, 0) for ow = 0 (may be < 0; ow >= lo is not)
        if (pool2x2) K->max_pool_2x2(base + at0 + 2 * lo, base + at0 + 2 * lo + g.width, hi - lo, static_cast<int32_t>(at0 + 2 * lo), static_cast<int32_t>(g.width), orow + lo, irow + lo);
        else if (g.sw == 2) pool_interior<2>(base, g, at0, lo, hi, orow, irow);  // the common stride, known to the compiler
        else pool_interior<0>(base, g, at0, lo, hi, orow, irow);
      }
    }
  });
  return env.Undefined();
}

// maxPool2dBackward(gy, indices, gx, ...window): gx zeroed, then each window's gradient added at the position its
// maximum came from. Plane by plane across the threads: a plane's zeroing and its scatter stay in cache together,
// where a zero-filled allocation followed by a separate scatter pass went through memory twice.
Napi::Value MaxPool2dBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 gy, gx;
  int32_t* idx;
  int64_t idxLen;
  Window g;
  if (info.Length() < 17 || !get_f32(info, 0, "gy", &gy) || !get_i32(info, 1, "indices", &idx, &idxLen) ||
      !get_f32(info, 2, "gx", &gx) || !get_window(info, 3, &g)) {
    if (!env.IsExceptionPending()) throw_type(env, "axon native: maxPool2dBackward expects 17 arguments");
    return env.Undefined();
  }
  const int64_t planes = g.batch * g.channels, plane = g.height * g.width, P = g.oh * g.ow;
  if (double(planes) * plane > double(gx.length)) return throw_range(env, "axon native: maxPool2dBackward gx is too short"), env.Undefined();
  if (double(planes) * P > double(gy.length) || double(planes) * P > double(idxLen))
    return throw_range(env, "axon native: maxPool2dBackward gy or indices are too short"), env.Undefined();
  // An index outside its plane would write out of bounds: check them all first (cheap next to the scatter).
  for (int64_t i = 0, n = planes * P; i < n; i++)
    if (idx[i] < 0 || idx[i] >= plane) return throw_range(env, "axon native: maxPool2dBackward index outside its plane"), env.Undefined();
  parallel_chunks(planes, std::max<int64_t>(1, ELEMENTWISE_MIN_PER_THREAD / std::max<int64_t>(1, plane)), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; p++) {
      float* d = gx.data + p * plane;
      std::memset(d, 0, sizeof(float) * plane);
      const float* s = gy.data + p * P;
      const int32_t* ix = idx + p * P;
      for (int64_t o = 0; o < P; o++) d[ix[o]] += s[o];
    }
  });
  return env.Undefined();
}

// scatterAddRows(out, rows, outCols, index, idxCols, src): out[r*outCols + index[r*idxCols + j]] += src[r*idxCols + j],
// Backend.scatterAdd for a 2-d [rows, outCols] output along dim 1 (max pooling's backward). Every index is
// checked before any write; rows run in parallel, each in the reference's order.
Napi::Value ScatterAddRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 out, src;
  int32_t* index;
  int64_t indexLen, rows, outCols, idxCols;
  if (info.Length() < 6 || !get_f32(info, 0, "out", &out) || !get_int(info, 1, "rows", &rows) ||
      !get_int(info, 2, "outCols", &outCols) || !get_i32(info, 3, "index", &index, &indexLen) ||
      !get_int(info, 4, "idxCols", &idxCols) || !get_f32(info, 5, "src", &src)) {
    if (!env.IsExceptionPending()) throw_type(env, "axon native: scatterAddRows expects 6 arguments");
    return env.Undefined();
  }
  const double n = double(rows) * idxCols;
  if (double(rows) * outCols > double(out.length) || n > double(indexLen) || n > double(src.length))
    return throw_range(env, "axon native: scatterAddRows arrays are too short"), env.Undefined();
  const int64_t total = rows * idxCols;
  for (int64_t k = 0; k < total; k++)
    if (index[k] < 0 || index[k] >= outCols) return throw_range(env, "axon native: scatterAddRows index out of range"), env.Undefined();
  if (total == 0) return env.Undefined();
  parallel_chunks(rows, std::max<int64_t>(1, ELEMENTWISE_MIN_PER_THREAD / std::max<int64_t>(1, idxCols)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      float* o = out.data + r * outCols;
      const int32_t* ix = index + r * idxCols;
      const float* s = src.data + r * idxCols;
      for (int64_t j = 0; j < idxCols; j++) o[ix[j]] += s[j];
    }
  });
  return env.Undefined();
}

// ---- optimizers -------------------------------------------------------------------------------------------------

// adamStep(theta, grad, m, v, vmax | null, beta1, beta2, eps, weightDecay, stepSize, bias2Sqrt, decay, decoupled,
// maximize): one Adam/AdamW step in place over theta.length elements (see AdamArgs in kernels.h).
Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 theta, grad, m, v, vmax;
  if (info.Length() < 14 || !get_f32(info, 0, "param", &theta) || !get_f32(info, 1, "grad", &grad) ||
      !get_f32(info, 2, "expAvg", &m) || !get_f32(info, 3, "expAvgSq", &v) ||
      (!info[4].IsNull() && !get_f32(info, 4, "maxExpAvgSq", &vmax))) {
    if (!env.IsExceptionPending()) throw_type(env, "axon native: adamStep expects 14 arguments");
    return env.Undefined();
  }
  const int64_t n = theta.length;
  if (grad.length < n || m.length < n || v.length < n || (vmax.given && vmax.length < n))
    return throw_range(env, "axon native: adamStep state or gradient is shorter than the parameter"), env.Undefined();
  AdamArgs a;
  a.beta1 = get_double(info, 5);
  a.beta2 = get_double(info, 6);
  a.eps = get_double(info, 7);
  a.weightDecay = get_double(info, 8);
  a.stepSize = get_double(info, 9);
  a.bias2Sqrt = get_double(info, 10);
  a.decay = get_double(info, 11);
  a.decoupled = get_flag(info, 12);
  a.maximize = get_flag(info, 13);
  const Kernels* K = g_kernels;
  parallel_chunks(n, ELEMENTWISE_MIN_PER_THREAD, [&](int64_t b, int64_t e) {
    K->adam(a, theta.data + b, grad.data + b, m.data + b, v.data + b, vmax.data ? vmax.data + b : nullptr,
            static_cast<size_t>(e - b));
  });
  return env.Undefined();
}

// sgdStep(theta, grad, buf | null, lr, momentum, dampening, weightDecay, nesterov, maximize, first): one SGD step in
// place over theta.length elements (see SgdArgs in kernels.h).
Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 theta, grad, buf;
  if (info.Length() < 10 || !get_f32(info, 0, "param", &theta) || !get_f32(info, 1, "grad", &grad) ||
      (!info[2].IsNull() && !get_f32(info, 2, "momentumBuffer", &buf))) {
    if (!env.IsExceptionPending()) throw_type(env, "axon native: sgdStep expects 10 arguments");
    return env.Undefined();
  }
  const int64_t n = theta.length;
  if (grad.length < n || (buf.given && buf.length < n))
    return throw_range(env, "axon native: sgdStep gradient or momentum buffer is shorter than the parameter"), env.Undefined();
  SgdArgs a;
  a.lr = get_double(info, 3);
  a.momentum = get_double(info, 4);
  a.dampening = get_double(info, 5);
  a.weightDecay = get_double(info, 6);
  a.nesterov = get_flag(info, 7);
  a.maximize = get_flag(info, 8);
  a.first = get_flag(info, 9);
  const Kernels* K = g_kernels;
  parallel_chunks(n, ELEMENTWISE_MIN_PER_THREAD, [&](int64_t b, int64_t e) {
    K->sgd(a, theta.data + b, grad.data + b, buf.data ? buf.data + b : nullptr, static_cast<size_t>(e - b));
  });
  return env.Undefined();
}

// rmspropStep(theta, grad, squareAvg, gradAvg | null, buf | null, lr, alpha, eps, weightDecay, momentum, maximize):
// one RMSprop step in place (see RmspropArgs in kernels.h).
Napi::Value RmspropStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 theta, grad, v, gavg, buf;
  if (info.Length() < 11 || !get_f32(info, 0, "param", &theta) || !get_f32(info, 1, "grad", &grad) ||
      !get_f32(info, 2, "squareAvg", &v) || (!info[3].IsNull() && !get_f32(info, 3, "gradAvg", &gavg)) ||
      (!info[4].IsNull() && !get_f32(info, 4, "momentumBuffer", &buf))) {
    if (!env.IsExceptionPending()) throw_type(env, "axon native: rmspropStep expects 11 arguments");
    return env.Undefined();
  }
  const int64_t n = theta.length;
  if (grad.length < n || v.length < n || (gavg.given && gavg.length < n) || (buf.given && buf.length < n))
    return throw_range(env, "axon native: rmspropStep gradient or state is shorter than the parameter"), env.Undefined();
  RmspropArgs a;
  a.lr = get_double(info, 5);
  a.alpha = get_double(info, 6);
  a.eps = get_double(info, 7);
  a.weightDecay = get_double(info, 8);
  a.momentum = get_double(info, 9);
  a.maximize = get_flag(info, 10);
  const Kernels* K = g_kernels;
  parallel_chunks(n, ELEMENTWISE_MIN_PER_THREAD, [&](int64_t b, int64_t e) {
    K->rmsprop(a, theta.data + b, grad.data + b, v.data + b, gavg.data ? gavg.data + b : nullptr,
               buf.data ? buf.data + b : nullptr, static_cast<size_t>(e - b));
  });
  return env.Undefined();
}

// adagradStep(theta, grad, sum, clr, eps, weightDecay, maximize): one Adagrad step in place (see AdagradArgs).
Napi::Value AdagradStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 theta, grad, sum;
  if (info.Length() < 7 || !get_f32(info, 0, "param", &theta) || !get_f32(info, 1, "grad", &grad) ||
      !get_f32(info, 2, "sum", &sum)) {
    if (!env.IsExceptionPending()) throw_type(env, "axon native: adagradStep expects 7 arguments");
    return env.Undefined();
  }
  const int64_t n = theta.length;
  if (grad.length < n || sum.length < n)
    return throw_range(env, "axon native: adagradStep gradient or sum is shorter than the parameter"), env.Undefined();
  AdagradArgs a;
  a.clr = get_double(info, 3);
  a.eps = get_double(info, 4);
  a.weightDecay = get_double(info, 5);
  a.maximize = get_flag(info, 6);
  const Kernels* K = g_kernels;
  parallel_chunks(n, ELEMENTWISE_MIN_PER_THREAD, [&](int64_t b, int64_t e) {
    K->adagrad(a, theta.data + b, grad.data + b, sum.data + b, static_cast<size_t>(e - b));
  });
  return env.Undefined();
}

// ---- configuration ------------------------------------------------------------------------------------------

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  int64_t n;
  if (!get_int(info, 0, "threads", &n, 1)) return info.Env().Undefined();
  ThreadPool::instance().resize(static_cast<int>(std::min<int64_t>(n, 1024)));
  return info.Env().Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), ThreadPool::instance().size());
}

Napi::Value GetIsa(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), g_kernels->name); }

// setIsa(name): picks a kernel table by name ("avx512", "avx2", "generic"); false if this CPU cannot run it.
Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) return throw_type(info.Env(), "axon native: setIsa expects a string"), info.Env().Undefined();
  const Kernels* k = kernels_for(info[0].As<Napi::String>().Utf8Value());
  if (k) g_kernels = k;
  return Napi::Boolean::New(info.Env(), k != nullptr);
}

// tuneMalloc(mmapThreshold, trimThreshold): glibc serves every allocation above 128 KiB (a 256x256 float32 tensor)
// with a fresh mmap, and a fresh mapping page-faults on every 4 KiB page at first touch: a relu over 256x256
// floats measured ~65 us with a new output against ~3 us writing into reused memory. Raising the mmap threshold
// keeps such blocks in the heap, where a freed tensor's memory is reused by the next one; raising the trim
// threshold keeps the heap from being returned to the system and faulted back in every step. Returns false where
// the C library is not glibc (nothing to tune) or it refused a value.
Napi::Value TuneMalloc(const Napi::CallbackInfo& info) {
#if defined(__GLIBC__)
  const int mmapThreshold = info[0].As<Napi::Number>().Int32Value();
  const int trimThreshold = info[1].As<Napi::Number>().Int32Value();
  const bool ok = mallopt(M_MMAP_THRESHOLD, mmapThreshold) == 1 && mallopt(M_TRIM_THRESHOLD, trimThreshold) == 1;
  return Napi::Boolean::New(info.Env(), ok);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  if (!g_kernels) g_kernels = best_kernels();
  exports.Set("tuneMalloc", Napi::Function::New(env, TuneMalloc, "tuneMalloc"));
  exports.Set("matmul", Napi::Function::New(env, Matmul, "matmul"));
  exports.Set("unary", Napi::Function::New(env, Unary, "unary"));
  exports.Set("binary", Napi::Function::New(env, Binary, "binary"));
  exports.Set("reduce", Napi::Function::New(env, Reduce, "reduce"));
  exports.Set("softmax", Napi::Function::New(env, Softmax, "softmax"));
  exports.Set("where", Napi::Function::New(env, Where, "where"));
  exports.Set("copy", Napi::Function::New(env, Copy, "copy"));
  exports.Set("im2col", Napi::Function::New(env, Im2col, "im2col"));
  exports.Set("col2im", Napi::Function::New(env, Col2im, "col2im"));
  exports.Set("conv2d", Napi::Function::New(env, Conv2d, "conv2d"));
  exports.Set("conv2dBackward", Napi::Function::New(env, Conv2dBackward, "conv2dBackward"));
  exports.Set("maxPool2d", Napi::Function::New(env, MaxPool2d, "maxPool2d"));
  exports.Set("maxPool2dBackward", Napi::Function::New(env, MaxPool2dBackward, "maxPool2dBackward"));
  exports.Set("scatterAddRows", Napi::Function::New(env, ScatterAddRows, "scatterAddRows"));
  exports.Set("adamStep", Napi::Function::New(env, AdamStep, "adamStep"));
  exports.Set("sgdStep", Napi::Function::New(env, SgdStep, "sgdStep"));
  exports.Set("rmspropStep", Napi::Function::New(env, RmspropStep, "rmspropStep"));
  exports.Set("adagradStep", Napi::Function::New(env, AdagradStep, "adagradStep"));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads, "getNumThreads"));
  exports.Set("isa", Napi::Function::New(env, GetIsa, "isa"));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa, "setIsa"));
  return exports;
}

}  // namespace
}  // namespace axon

static Napi::Object InitAxon(Napi::Env env, Napi::Object exports) { return axon::Init(env, exports); }

NODE_API_MODULE(axon_native, InitAxon)
