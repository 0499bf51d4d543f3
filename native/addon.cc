// The N-API surface of Axon's native backend (loaded by src/backend/native/index.ts).
//
// Every kernel works in place on the typed arrays JavaScript passes (no copies) and validates every index it will
// touch before touching any: a wrong offset from JavaScript must give a RangeError, never a read past a buffer.
// The kernel table (AVX-512, AVX2+FMA or generic) is chosen once at load from what the CPU reports.

#include <napi.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

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

struct F32 {
  float* data = nullptr;
  int64_t length = 0;
};

bool get_f32(const Napi::CallbackInfo& info, size_t i, const char* what, F32* out) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    return throw_type(info.Env(), std::string("axon native: ") + what + " must be a Float32Array");
  auto arr = v.As<Napi::Float32Array>();
  out->data = arr.Data();
  out->length = static_cast<int64_t>(arr.ElementLength());
  return true;
}

struct U8 {
  uint8_t* data = nullptr;
  int64_t length = 0;
};

bool get_u8(const Napi::CallbackInfo& info, size_t i, const char* what, U8* out) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    return throw_type(info.Env(), std::string("axon native: ") + what + " must be a Uint8Array");
  auto arr = v.As<Napi::Uint8Array>();
  out->data = arr.Data();
  out->length = static_cast<int64_t>(arr.ElementLength());
  return true;
}

bool get_int(const Napi::CallbackInfo& info, size_t i, const char* what, int64_t* out, int64_t min = 0) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) return throw_type(info.Env(), std::string("axon native: ") + what + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= static_cast<double>(min)) || d > 9.0e15 || d != static_cast<double>(static_cast<int64_t>(d)))
    return throw_range(info.Env(), std::string("axon native: ") + what + " must be an integer >= " + std::to_string(min));
  *out = static_cast<int64_t>(d);
  return true;
}

double get_double(const Napi::CallbackInfo& info, size_t i) {
  Napi::Value v = info[i];
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : 0.0;
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

// matmul(a, b, out, batch, m, n, k, transA, transB, aOffset, bOffset, aBatchStride, bBatchStride)
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
  const bool transA = info[7].ToBoolean(), transB = info[8].ToBoolean();
  if (batch == 0 || m == 0 || n == 0) return env.Undefined();
  if (out.length < batch * m * n) return throw_range(env, "axon native: matmul output is too short"), env.Undefined();
  if (k > 0) {
    if (aOff + (batch - 1) * aBS + m * k > a.length) return throw_range(env, "axon native: matmul reads past the end of A"), env.Undefined();
    if (bOff + (batch - 1) * bBS + k * n > b.length) return throw_range(env, "axon native: matmul reads past the end of B"), env.Undefined();
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
  if (!ok) Napi::Error::New(env, "axon native: out of memory for matmul packing buffers").ThrowAsJavaScriptException();
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
  if (rows > 0 && n > 0 && o->offset + (rows - 1) * o->rowStride + (n - 1) * o->stride >= length)
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
  if (out.length < rows * n) return throw_range(env, "axon native: binary output is too short"), env.Undefined();
  if (aOff + (rows - 1) * aRS + (n - 1) * aS >= a.length) return throw_range(env, "axon native: binary reads past the end of a"), env.Undefined();
  if (bOff + (rows - 1) * bRS + (n - 1) * bS >= b.length) return throw_range(env, "axon native: binary reads past the end of b"), env.Undefined();
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
  if (out.length < rows * n) return throw_range(env, "axon native: where output is too short"), env.Undefined();
  const int64_t minRows = std::max<int64_t>(1, ELEMENTWISE_MIN_PER_THREAD / n);
  parallel_chunks(rows, minRows, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const uint8_t* __restrict pc = c.data + oc.offset + r * oc.rowStride;
      const float* __restrict pa = a.data + oa.offset + r * oa.rowStride;
      const float* __restrict pb = b.data + ob.offset + r * ob.rowStride;
      float* __restrict po = out.data + r * n;
      const int64_t sc = oc.stride, sa = oa.stride, sb = ob.stride;
      if (sc == 1 && sa == 1 && sb == 1) {
        for (int64_t j = 0; j < n; j++) po[j] = pc[j] ? pa[j] : pb[j];
      } else {
        for (int64_t j = 0; j < n; j++) po[j] = pc[j * sc] ? pa[j * sa] : pb[j * sb];
      }
    }
  });
  return env.Undefined();
}

// copy(src, offset, rowStride, stride, out, rows, n): out[r*n + j] = src[offset + r*rowStride + j*stride], any
// non-negative strides. A strided inner loop (a transpose) goes tile by tile, so that both the lines it reads and
// the lines it writes stay in L1.
Napi::Value Copy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 src, out;
  int64_t rows, n;
  Operand2d o;
  if (info.Length() < 7 || !get_int(info, 5, "rows", &rows) || !get_int(info, 6, "n", &n) || !get_f32(info, 0, "src", &src) ||
      !get_f32(info, 4, "out", &out) || !get_operand(info, 1, "src", src.length, rows, n, true, &o)) {
    if (!env.IsExceptionPending()) throw_type(env, "axon native: copy expects 7 arguments");
    return env.Undefined();
  }
  if (rows == 0 || n == 0) return env.Undefined();
  if (out.length < rows * n) return throw_range(env, "axon native: copy output is too short"), env.Undefined();
  const float* s = src.data + o.offset;
  float* d = out.data;
  const int64_t rs = o.rowStride, cs = o.stride;
  const int64_t minRows = std::max<int64_t>(1, ELEMENTWISE_MIN_PER_THREAD / n);
  parallel_chunks(rows, minRows, [&](int64_t r0, int64_t r1) {
    if (cs == 1) {
      for (int64_t r = r0; r < r1; r++) std::memcpy(d + r * n, s + r * rs, n * sizeof(float));
      return;
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
  if (x.length < outer * size * inner || out.length < outer * inner)
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

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  if (!g_kernels) g_kernels = best_kernels();
  exports.Set("matmul", Napi::Function::New(env, Matmul, "matmul"));
  exports.Set("unary", Napi::Function::New(env, Unary, "unary"));
  exports.Set("binary", Napi::Function::New(env, Binary, "binary"));
  exports.Set("reduce", Napi::Function::New(env, Reduce, "reduce"));
  exports.Set("where", Napi::Function::New(env, Where, "where"));
  exports.Set("copy", Napi::Function::New(env, Copy, "copy"));
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
