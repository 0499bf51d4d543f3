// The kernel table each instruction-set variant fills in. kernels_{avx512,avx2,generic}.cc compile the same
// source (kernels_impl.h) with different -m flags; the addon picks one table at load time from what the CPU
// reports, so a binary built on one x86-64 machine runs correctly on any other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace axon {

// Operation codes shared with src/backend/native/index.ts (keep both lists in the same order).
enum UnaryCode : int {
  U_NEG = 0, U_ABS, U_SQUARE, U_SQRT, U_RSQRT, U_RECIPROCAL, U_EXP, U_RELU, U_LEAKY_RELU, U_SIGMOID, U_TANH,
  U_SILU, U_FLOOR, U_CEIL, U_CLAMP, U_COUNT
};
enum BinaryCode : int { B_ADD = 0, B_SUB, B_MUL, B_DIV, B_MAXIMUM, B_MINIMUM, B_RELU_BACKWARD, B_COUNT };
enum CompareCode : int { C_EQ = 0, C_NE, C_LT, C_LE, C_GT, C_GE, C_COUNT };
enum ReduceCode : int { R_SUM = 0, R_MAX, R_MIN, R_COUNT };

// Adam's scalars for one step, computed once in JavaScript exactly as src/backend/reference/optim.ts computes them.
// The kernel computes in float32, as PyTorch does for float32 parameters (see adam_loop): within a few float32 ulps
// of the reference's float64 arithmetic.
struct AdamArgs {
  double beta1, beta2, eps, weightDecay;
  double stepSize;   // lr / (1 - beta1^t)
  double bias2Sqrt;  // sqrt(1 - beta2^t)
  double decay;      // 1 - lr * weightDecay (decoupled only)
  bool decoupled, maximize;
};

// SGD's scalars for one step (Backend.sgdStep). The kernel does the reference's float64 arithmetic in its order,
// storing float32 where the reference stores to a Float32Array: the two agree bit for bit.
struct SgdArgs {
  double lr, momentum, dampening, weightDecay;
  bool nesterov, maximize, first;
};

// RMSprop's and Adagrad's scalars (Backend.rmspropStep, adagradStep): float64 arithmetic as the reference's, bit for bit.
struct RmspropArgs {
  double lr, alpha, eps, weightDecay, momentum;
  bool maximize;
};
struct AdagradArgs {
  double clr, eps, weightDecay;
  bool maximize;
};

struct Kernels {
  const char* name;
  // GEMM micro-kernel geometry: C tiles of mr x nr, A packed as [kc][mr] panels, B as [kc][nr] panels.
  int mr, nr;
  // The micro-kernel reads A only as a packed panel (ra = 1, la = mr), so the driver packs every panel of A.
  bool packed_a;
  // C[0:mr, 0:nr] (= or +=) sum over l < kc of a[r*ra + l*la] * pb[l*nr + c]; ldc is C's row stride. A packed A
  // panel is ra = 1, la = mr.
  void (*gemm_micro)(long kc, const float* a, long ra, long la, const float* pb, float* c, long ldc, bool accumulate);
  // out[i] = f(x[i]) for i < n.
  void (*unary)(int op, const float* x, float* out, size_t n, double p0, double p1);
  // out[i] = a[i*sa] (op) b[i*sb] for i < n, with sa and sb each 0 (broadcast scalar) or 1 (contiguous).
  void (*binary)(int op, const float* a, int sa, const float* b, int sb, float* out, size_t n);
  // out[i] = a[i*sa] (cmp) b[i*sb] ? 1 : 0, as bytes (Axon's bool dtype); sa, sb as for binary.
  void (*compare)(int op, const float* a, int sa, const float* b, int sb, uint8_t* out, size_t n);
  // x seen as [outer, size, inner], reduced over the middle axis into out [outer, inner].
  void (*reduce)(int op, const float* x, size_t outer, size_t size, size_t inner, float* out);
  // C[m, n] = A @ B without packing, for products with very few rows (batch-1 inference, a bias gradient):
  // A(i, l) = a[i*ars + l*acs], B(l, j) = b[l*brs + j*bcs] with brs == 1 or bcs == 1. Accumulates in float32.
  void (*gemm_small)(long m, long n, long k, const float* a, long ars, long acs, const float* b, long brs, long bcs, float* c);
  // One Adam/AdamW step over n elements (see AdamArgs); vmax is null unless AMSGrad.
  void (*adam)(const AdamArgs& a, float* theta, const float* grad, float* m, float* v, float* vmax, size_t n);
  // One SGD step over n elements (see SgdArgs); buf (the momentum buffer) is null without momentum.
  void (*sgd)(const SgdArgs& a, float* theta, const float* grad, float* buf, size_t n);
  // One RMSprop step (gavg only when centered, buf only with momentum) and one Adagrad step over n elements.
  void (*rmsprop)(const RmspropArgs& a, float* theta, const float* grad, float* v, float* gavg, float* buf, size_t n);
  void (*adagrad)(const AdagradArgs& a, float* theta, const float* grad, float* sum, size_t n);
  // GEMM packing from rows that run along k: dst[l*w + r] = src[r*ld + l] for r < rows, l < kc, and zero for
  // rows <= r < w. That is an A panel of a row-major A, or a B panel of a B stored transposed ([n, k]).
  void (*gemm_pack_t)(const float* src, long ld, long rows, long kc, long w, float* dst);
  // One output row of 2x2, stride-2 max pooling with every window inside the input: window o reads r0[2o],
  // r0[2o+1], r1[2o], r1[2o+1] (that order), r0[0] is at plane index at0 and r1 = r0 + width. Writes the maximum
  // and its plane index; the first strict maximum wins, and a NaN wins and stays (Backend.maxPool2d's rule).
  void (*max_pool_2x2)(const float* r0, const float* r1, long n, int32_t at0, int32_t width, float* out, int32_t* idx);
  // Softmax (or with log, log-softmax) of `rows` contiguous lines of `size` floats; out may not alias x.
  void (*softmax_rows)(const float* x, long rows, long size, float* out, bool log);
  // A product's epilogue over `rows` contiguous rows of n: out[r, j] += bias[j] (unless bias is null), then, with
  // relu, relu as U_RELU computes it (NaN kept, -0 made +0).
  void (*bias_relu_rows)(float* out, const float* bias, long rows, long n, bool relu);
};

// Max pooling's rule for one window, shared by the kernels and addon.cc's edge windows: the next value v (at plane
// index `at`) replaces (best, where) when it is larger, or a NaN over a number, so the first strict maximum wins
// and a NaN wins and stays. Branch-free: on real activations "is this the new max" is a coin flip that a branch
// predictor loses half the time, and GCC turns a ?: on floats back into a branch, so the select is done on the bits.
// static: each translation unit keeps its own copy, compiled with its own -m flags (an inline function shared
// across the ISA variants could be linked as the AVX-512 one everywhere).
static inline void pool_take(float v, int32_t at, float* best, int32_t* where) {
  const bool take = (v > *best) | ((v != v) & (*best == *best));
  const uint32_t mask = 0u - static_cast<uint32_t>(take);
  uint32_t vb, bb;
  std::memcpy(&vb, &v, 4);
  std::memcpy(&bb, best, 4);
  bb = (vb & mask) | (bb & ~mask);
  std::memcpy(best, &bb, 4);
  *where = static_cast<int32_t>((static_cast<uint32_t>(at) & mask) | (static_cast<uint32_t>(*where) & ~mask));
}

const Kernels* kernels_avx512();
const Kernels* kernels_avx2();
const Kernels* kernels_generic();

}  // namespace axon
