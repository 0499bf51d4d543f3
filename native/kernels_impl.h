// The float32 kernels, written once and compiled three times (kernels_avx512.cc, kernels_avx2.cc,
// kernels_generic.cc), each translation unit with its own -m flags. The elementwise and reduction loops are
// plain, branch-free C++ that GCC and Clang vectorize for whatever the unit targets; only the GEMM micro-kernel is
// written with intrinsics, because its register allocation is the whole point and must not be left to chance.
//
// Accuracy contract (checked by test/native.test.ts against the reference backend):
//   - exp/sigmoid/tanh/silu use Cephes-style polynomials, within a few float32 ulps of the correctly rounded value;
//   - sums accumulate in float64, as the reference does, so only the final rounding differs;
//   - max/min let NaN win, as the reference (and PyTorch) do.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels.h"

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace axon {
namespace AXON_NS {

// ---- scalar helpers that vectorize --------------------------------------------------------------------------

static inline float bits_to_float(int32_t i) {
  float f;
  std::memcpy(&f, &i, sizeof f);
  return f;
}

// exp(x) after Cephes' expf: x = n*ln2 + r with |r| <= ln2/2, exp(r) by a degree-6 polynomial, then scaled by 2^n.
// The scale is applied as 2^(n/2) * 2^(n - n/2) so both factors stay normal numbers for every n the clamp allows:
// results overflow to inf and underflow through the subnormals exactly where float32 does.
static inline float exp_f(float x) {
  float xc = x < -104.0f ? -104.0f : x;
  xc = xc > 89.0f ? 89.0f : xc;
  xc = xc == xc ? xc : 0.0f;  // NaN is restored at the end; keeps the int conversion defined
  // Round to nearest with the 1.5 * 2^23 trick (exact for |v| < 2^22, no libm call, vectorizes everywhere).
  float fn = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = xc - fn * 0.693359375f;
  r = r - fn * -2.12194440e-4f;
  float z = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * z + r + 1.0f;
  int32_t n = static_cast<int32_t>(fn);
  int32_t n1 = n >> 1, n2 = n - n1;
  float y = p * bits_to_float((n1 + 127) << 23) * bits_to_float((n2 + 127) << 23);
  return x == x ? y : x;
}

// Split by sign, as the reference does, so exp never overflows: 1/(1+e^-x) for x >= 0, e^x/(1+e^x) below.
static inline float sigmoid_f(float x) {
  float e = exp_f(-std::fabs(x));
  float r = 1.0f / (1.0f + e);
  return x >= 0.0f ? r : e * r;
}

// tanh after Cephes' tanhf: an odd polynomial near 0 (where 1 - 2/(e^2x + 1) would cancel), the exp form beyond.
static inline float tanh_f(float x) {
  float ax = std::fabs(x);
  float z = x * x;
  float small = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z +
                  1.33314422036e-1f) * z - 3.33332819422e-1f) * z * x + x;
  float e = exp_f(2.0f * ax);
  float big = 1.0f - 2.0f / (e + 1.0f);
  big = x < 0.0f ? -big : big;
  float y = ax < 0.625f ? small : big;
  return x == x ? y : x;
}

// ---- unary --------------------------------------------------------------------------------------------------

// relu keeps NaN (as the reference does) and maps -0 to +0: the unary op and a product's epilogue.
static inline float relu_f(float v) { return v > 0.0f || v != v ? v : 0.0f; }

template <class F>
static inline void map(const float* __restrict x, float* __restrict out, size_t n, F f) {
  for (size_t i = 0; i < n; i++) out[i] = f(x[i]);
}

static void unary(int op, const float* x, float* out, size_t n, double p0, double p1) {
  switch (op) {
    case U_NEG: map(x, out, n, [](float v) { return -v; }); break;
    case U_ABS: map(x, out, n, [](float v) { return std::fabs(v); }); break;
    case U_SQUARE: map(x, out, n, [](float v) { return v * v; }); break;
    case U_SQRT: map(x, out, n, [](float v) { return std::sqrt(v); }); break;
    case U_RSQRT: map(x, out, n, [](float v) { return 1.0f / std::sqrt(v); }); break;
    case U_RECIPROCAL: map(x, out, n, [](float v) { return 1.0f / v; }); break;
    case U_EXP: map(x, out, n, [](float v) { return exp_f(v); }); break;
    case U_RELU: map(x, out, n, relu_f); break;
    // The slope stays a double, as in the reference, so that v * slope rounds once, to the same float.
    case U_LEAKY_RELU: map(x, out, n, [p0](float v) { return v > 0.0f ? v : static_cast<float>(v * p0); }); break;
    case U_SIGMOID: map(x, out, n, [](float v) { return sigmoid_f(v); }); break;
    case U_TANH: map(x, out, n, [](float v) { return tanh_f(v); }); break;
    case U_SILU: map(x, out, n, [](float v) { return v * sigmoid_f(v); }); break;
    case U_FLOOR: map(x, out, n, [](float v) { return std::floor(v); }); break;
    case U_CEIL: map(x, out, n, [](float v) { return std::ceil(v); }); break;
    case U_CLAMP: {
      // A missing bound arrives as NaN and means "unbounded" on that side; a NaN input stays NaN.
      // Bounds are rounded to float32 the way the reference's float32 store would round its result.
      const float lo = p0 != p0 ? -std::numeric_limits<float>::infinity() : static_cast<float>(p0);
      const float hi = p1 != p1 ? std::numeric_limits<float>::infinity() : static_cast<float>(p1);
      map(x, out, n, [lo, hi](float v) {
        float y = v < lo ? lo : v;
        return y > hi ? hi : y;
      });
      break;
    }
  }
}

// ---- binary -------------------------------------------------------------------------------------------------

struct Add { static float f(float a, float b) { return a + b; } };
struct Sub { static float f(float a, float b) { return a - b; } };
struct Mul { static float f(float a, float b) { return a * b; } };
struct Div { static float f(float a, float b) { return a / b; } };
// NaN in either operand gives NaN (torch.maximum), which a bare comparison would not.
struct Max { static float f(float a, float b) { float r = a > b ? a : b; r = a != a ? a : r; return b != b ? b : r; } };
struct Min { static float f(float a, float b) { float r = a < b ? a : b; r = a != a ? a : r; return b != b ? b : r; } };
// relu's gradient: a is relu's output, b the output's gradient; zero where a <= 0, so a NaN passes its gradient on
// (PyTorch's threshold_backward).
struct ReluBackward { static float f(float a, float b) { return a <= 0.0f ? 0.0f : b; } };

// One loop per (operand is a scalar?) pair, so each is a plain vectorizable loop with the scalar hoisted.
template <class Op>
static void binary_op(const float* __restrict a, int sa, const float* __restrict b, int sb, float* __restrict out, size_t n) {
  if (sa && sb) {
    for (size_t i = 0; i < n; i++) out[i] = Op::f(a[i], b[i]);
  } else if (sa) {
    const float s = b[0];
    for (size_t i = 0; i < n; i++) out[i] = Op::f(a[i], s);
  } else if (sb) {
    const float s = a[0];
    for (size_t i = 0; i < n; i++) out[i] = Op::f(s, b[i]);
  } else {
    const float s = Op::f(a[0], b[0]);
    for (size_t i = 0; i < n; i++) out[i] = s;
  }
}

static void binary(int op, const float* a, int sa, const float* b, int sb, float* out, size_t n) {
  switch (op) {
    case B_ADD: binary_op<Add>(a, sa, b, sb, out, n); break;
    case B_SUB: binary_op<Sub>(a, sa, b, sb, out, n); break;
    case B_MUL: binary_op<Mul>(a, sa, b, sb, out, n); break;
    case B_DIV: binary_op<Div>(a, sa, b, sb, out, n); break;
    case B_MAXIMUM: binary_op<Max>(a, sa, b, sb, out, n); break;
    case B_MINIMUM: binary_op<Min>(a, sa, b, sb, out, n); break;
    case B_RELU_BACKWARD: binary_op<ReluBackward>(a, sa, b, sb, out, n); break;
  }
}

// ---- compare ------------------------------------------------------------------------------------------------

struct Eq { static bool f(float a, float b) { return a == b; } };
struct Ne { static bool f(float a, float b) { return a != b; } };
struct Lt { static bool f(float a, float b) { return a < b; } };
struct Le { static bool f(float a, float b) { return a <= b; } };
struct Gt { static bool f(float a, float b) { return a > b; } };
struct Ge { static bool f(float a, float b) { return a >= b; } };

template <class Op>
static void compare_op(const float* __restrict a, int sa, const float* __restrict b, int sb, uint8_t* __restrict out, size_t n) {
  if (sa && sb) {
    for (size_t i = 0; i < n; i++) out[i] = Op::f(a[i], b[i]);
  } else if (sa) {
    const float s = b[0];
    for (size_t i = 0; i < n; i++) out[i] = Op::f(a[i], s);
  } else if (sb) {
    const float s = a[0];
    for (size_t i = 0; i < n; i++) out[i] = Op::f(s, b[i]);
  } else {
    std::memset(out, Op::f(a[0], b[0]) ? 1 : 0, n);
  }
}

static void compare(int op, const float* a, int sa, const float* b, int sb, uint8_t* out, size_t n) {
  switch (op) {
    case C_EQ: compare_op<Eq>(a, sa, b, sb, out, n); break;
    case C_NE: compare_op<Ne>(a, sa, b, sb, out, n); break;
    case C_LT: compare_op<Lt>(a, sa, b, sb, out, n); break;
    case C_LE: compare_op<Le>(a, sa, b, sb, out, n); break;
    case C_GT: compare_op<Gt>(a, sa, b, sb, out, n); break;
    case C_GE: compare_op<Ge>(a, sa, b, sb, out, n); break;
  }
}

// ---- reduce -------------------------------------------------------------------------------------------------

typedef double d8 __attribute__((vector_size(64)));
typedef float f8 __attribute__((vector_size(32)));
typedef float f16v __attribute__((vector_size(64)));
typedef int32_t i16v __attribute__((vector_size(64)));

// Sum of n contiguous floats in float64: two 8-lane accumulators hide the add latency.
static double sum_row(const float* x, size_t n) {
  d8 s0 = {0, 0, 0, 0, 0, 0, 0, 0}, s1 = s0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    f8 u, v;
    std::memcpy(&u, x + i, sizeof u);
    std::memcpy(&v, x + i + 8, sizeof v);
    s0 += __builtin_convertvector(u, d8);
    s1 += __builtin_convertvector(v, d8);
  }
  s0 += s1;
  double s = ((s0[0] + s0[1]) + (s0[2] + s0[3])) + ((s0[4] + s0[5]) + (s0[6] + s0[7]));
  for (; i < n; i++) s += x[i];
  return s;
}

// Extreme of n contiguous floats; any NaN makes the result NaN.
template <bool IsMax>
static float extreme_row(const float* x, size_t n) {
  size_t i = 0;
  float best = x[0];
  bool nan = best != best;
  if (n >= 32) {
    f16v acc;
    std::memcpy(&acc, x, sizeof acc);
    i16v isnan = acc != acc;
    for (i = 16; i + 16 <= n; i += 16) {
      f16v v;
      std::memcpy(&v, x + i, sizeof v);
      acc = (IsMax ? v > acc : v < acc) ? v : acc;
      isnan |= v != v;
    }
    best = acc[0];
    for (int l = 0; l < 16; l++) {
      nan = nan || isnan[l] != 0;
      best = (IsMax ? acc[l] > best : acc[l] < best) ? acc[l] : best;
    }
  } else {
    i = 1;
  }
  for (; i < n; i++) {
    float v = x[i];
    nan = nan || v != v;
    best = (IsMax ? v > best : v < best) ? v : best;
  }
  return nan ? std::numeric_limits<float>::quiet_NaN() : best;
}

static void reduce(int op, const float* x, size_t outer, size_t size, size_t inner, float* out) {
  if (size == 0) {  // the op layer never asks for this, but an empty sum is 0 and an empty max has no value
    for (size_t i = 0; i < outer * inner; i++) out[i] = op == R_SUM ? 0.0f : std::numeric_limits<float>::quiet_NaN();
    return;
  }
  if (inner == 1) {
    for (size_t o = 0; o < outer; o++) {
      const float* row = x + o * size;
      out[o] = op == R_SUM ? static_cast<float>(sum_row(row, size))
             : op == R_MAX ? extreme_row<true>(row, size) : extreme_row<false>(row, size);
    }
    return;
  }
  // inner > 1: walk the size rows of each outer block, updating inner accumulators side by side (contiguous,
  // vectorizable), in the same order as the reference.
  if (op == R_SUM) {
    std::vector<double> acc(inner);
    for (size_t o = 0; o < outer; o++) {
      const float* base = x + o * size * inner;
      double* __restrict a = acc.data();
      // From +0, as the reference and PyTorch sum: a sum of -0s is +0.
      for (size_t i = 0; i < inner; i++) a[i] = 0.0;
      for (size_t j = 0; j < size; j++) {
        const float* __restrict row = base + j * inner;
        for (size_t i = 0; i < inner; i++) a[i] += row[i];
      }
      float* __restrict dst = out + o * inner;
      for (size_t i = 0; i < inner; i++) dst[i] = static_cast<float>(a[i]);
    }
    return;
  }
  const bool isMax = op == R_MAX;
  for (size_t o = 0; o < outer; o++) {
    const float* base = x + o * size * inner;
    float* __restrict a = out + o * inner;
    std::memcpy(a, base, inner * sizeof(float));
    for (size_t j = 1; j < size; j++) {
      const float* __restrict row = base + j * inner;
      // Once NaN, an accumulator keeps it; a NaN input replaces it (the reference's rule, branch-free).
      if (isMax) {
        for (size_t i = 0; i < inner; i++) { float v = row[i], c = a[i]; a[i] = c == c && (v != v || v > c) ? v : c; }
      } else {
        for (size_t i = 0; i < inner; i++) { float v = row[i], c = a[i]; a[i] = c == c && (v != v || v < c) ? v : c; }
      }
    }
  }
}

// ---- vectors of the target -------------------------------------------------------------------------------------
// SV is one vector register of floats (SW of them), with the few operations the GEMM kernels need. They are written
// with intrinsics because binding.gyp's -ffp-contract=off turns the portable vector extensions' a * b + c into a
// separate multiply and add.
#if defined(__AVX512F__)
typedef __m512 SV;
constexpr int SW = 16;
static inline SV sv_zero() { return _mm512_setzero_ps(); }
static inline SV sv_load(const float* p) { return _mm512_loadu_ps(p); }
static inline SV sv_set1(float x) { return _mm512_set1_ps(x); }
static inline SV sv_fma(SV a, SV b, SV c) { return _mm512_fmadd_ps(a, b, c); }
static inline void sv_store(float* p, SV v) { _mm512_storeu_ps(p, v); }
// The masked extracts take an explicit source: the unmasked forms (and _mm512_reduce_add_ps) pass an uninitialized
// one that GCC 12 warns about. The sum stays in registers: an earlier version went through a stack array, and GCC
// then kept the dot products' accumulators in memory, storing all four to the stack on every step of the loop
// (a batch-1 layer, 1 x 128 x 784, took 7.4 us instead of 4).
static inline float sv_hsum(SV v) {
  const __m256 h = _mm256_add_ps(_mm512_mask_extractf32x8_ps(_mm256_setzero_ps(), 0xFF, v, 0),
                                 _mm512_mask_extractf32x8_ps(_mm256_setzero_ps(), 0xFF, v, 1));
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}
constexpr int SMALL_CN = 4, SMALL_JV = 4;  // dot products: columns per block; axpy: vectors of C per block
#elif defined(__AVX2__) && defined(__FMA__)
typedef __m256 SV;
constexpr int SW = 8;
static inline SV sv_zero() { return _mm256_setzero_ps(); }
static inline SV sv_load(const float* p) { return _mm256_loadu_ps(p); }
static inline SV sv_set1(float x) { return _mm256_set1_ps(x); }
static inline SV sv_fma(SV a, SV b, SV c) { return _mm256_fmadd_ps(a, b, c); }
static inline void sv_store(float* p, SV v) { _mm256_storeu_ps(p, v); }
static inline float sv_hsum(SV v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}
constexpr int SMALL_CN = 3, SMALL_JV = 2;  // 16 ymm registers: 4 rows x 3 accumulators + loads
#elif defined(__aarch64__)
// AArch64 (NEON is part of its baseline): 32 vector registers of 4 floats, with fused multiply-add.
typedef float32x4_t SV;
constexpr int SW = 4;
static inline SV sv_zero() { return vdupq_n_f32(0.0f); }
static inline SV sv_load(const float* p) { return vld1q_f32(p); }
static inline SV sv_set1(float x) { return vdupq_n_f32(x); }
static inline SV sv_fma(SV a, SV b, SV c) { return vfmaq_f32(c, a, b); }
static inline void sv_store(float* p, SV v) { vst1q_f32(p, v); }
static inline float sv_hsum(SV v) { return vaddvq_f32(v); }
constexpr int SMALL_CN = 4, SMALL_JV = 4;  // 4 rows x 4 accumulators + 4 loads of B, well within 32 registers
#else
// Any other target: GCC's and Clang's portable vectors (SSE2 on x86-64).
typedef float SV __attribute__((vector_size(16)));
constexpr int SW = 4;
static inline SV sv_zero() { return SV{0, 0, 0, 0}; }
static inline SV sv_load(const float* p) { SV v; std::memcpy(&v, p, sizeof v); return v; }
static inline SV sv_set1(float x) { return SV{x, x, x, x}; }
static inline SV sv_fma(SV a, SV b, SV c) { return a * b + c; }  // no FMA in the baseline instruction set
static inline void sv_store(float* p, SV v) { std::memcpy(p, &v, sizeof v); }
static inline float sv_hsum(SV v) { return (v[0] + v[1]) + (v[2] + v[3]); }
constexpr int SMALL_CN = 3, SMALL_JV = 2;
#endif

// AXON_UNROLL_TILE goes before each loop over a register tile written over SV (the portable micro-kernel,
// gemm_small's blocks): unrolled early, before GCC decides where the accumulators live; without it GCC kept them in
// memory and stored every one to the stack on every step. The x86 tables keep their tiles in registers without it.
#if defined(__AVX2__)
#define AXON_UNROLL_TILE
#else
#define AXON_UNROLL_TILE _Pragma("GCC unroll 16")
#endif

// ---- GEMM micro-kernels -------------------------------------------------------------------------------------
// Each computes one MR x NR tile of C over a kc-deep slab: per step l it loads one row of the packed B panel
// (NR floats, as NR/W vectors), broadcasts each of the MR A values of column l (A(r, l) = a[r*ra + l*la]: a
// packed panel is ra = 1, la = MR; a row-major A is read in place with ra = its row stride, la = 1; the
// broadcasts load from memory either way, so the layout costs nothing), and issues MR*NR/W FMAs
// into accumulators that live in registers for the whole slab. The tile shape is chosen so that the accumulators,
// the B vectors and one broadcast fill the register file: 8x32 (16 zmm accumulators) for AVX-512, 6x16
// (12 ymm) for AVX2, 8x12 for AArch64's NEON (from packed A only) and 4x8 for other targets.

// The tile of C that the kernel will store, requested at its start so that its lines arrive while the kernel
// computes: C is usually a fresh output (a tensor just allocated, not in any cache), and without this each store
// waited for its line to come from memory. A row of the tile may straddle one more line than it fills (a row of C
// starts wherever the output's row or a tensor's offset puts it), hence its last float is requested too.
template <int ROWS, int COLS>
static inline void prefetch_c_tile(const float* c, long ldc) {
  for (int r = 0; r < ROWS; r++) {
    for (int j = 0; j < COLS; j += 16) __builtin_prefetch(c + r * ldc + j);
    __builtin_prefetch(c + r * ldc + COLS - 1);
  }
}

#if defined(__AVX512F__)
constexpr int MR = 8, NR = 32;
constexpr bool PACKED_A = false;  // reads A in place too (any ra, la)

static void gemm_micro(long kc, const float* __restrict a, long ra, long la, const float* __restrict pb, float* c, long ldc, bool accumulate) {
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  __m512 c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
  const float *a0 = a, *a1 = a + ra, *a2 = a + 2 * ra, *a3 = a + 3 * ra, *a4 = a + 4 * ra, *a5 = a + 5 * ra,
              *a6 = a + 6 * ra, *a7 = a + 7 * ra;
  prefetch_c_tile<8, 32>(c, ldc);
#pragma GCC unroll 4
  for (long l = 0, off = 0; l < kc; l++, off += la) {
    const __m512 b0 = _mm512_loadu_ps(pb), b1 = _mm512_loadu_ps(pb + 16);
    __m512 av;
#define AXON_ROW(r) av = _mm512_set1_ps(a##r[off]); c##r##0 = _mm512_fmadd_ps(av, b0, c##r##0); c##r##1 = _mm512_fmadd_ps(av, b1, c##r##1);
    AXON_ROW(0) AXON_ROW(1) AXON_ROW(2) AXON_ROW(3) AXON_ROW(4) AXON_ROW(5) AXON_ROW(6) AXON_ROW(7)
#undef AXON_ROW
    pb += NR;
  }
#define AXON_STORE(r)                                                                                  \
  if (accumulate) {                                                                                    \
    c##r##0 = _mm512_add_ps(c##r##0, _mm512_loadu_ps(c + (r) * ldc));                                 \
    c##r##1 = _mm512_add_ps(c##r##1, _mm512_loadu_ps(c + (r) * ldc + 16));                            \
  }                                                                                                    \
  _mm512_storeu_ps(c + (r) * ldc, c##r##0);                                                            \
  _mm512_storeu_ps(c + (r) * ldc + 16, c##r##1);
  AXON_STORE(0) AXON_STORE(1) AXON_STORE(2) AXON_STORE(3) AXON_STORE(4) AXON_STORE(5) AXON_STORE(6) AXON_STORE(7)
#undef AXON_STORE
}

#elif defined(__AVX2__) && defined(__FMA__)
constexpr int MR = 6, NR = 16;
constexpr bool PACKED_A = false;

static void gemm_micro(long kc, const float* __restrict a, long ra, long la, const float* __restrict pb, float* c, long ldc, bool accumulate) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  const float *a0 = a, *a1 = a + ra, *a2 = a + 2 * ra, *a3 = a + 3 * ra, *a4 = a + 4 * ra, *a5 = a + 5 * ra;
  prefetch_c_tile<6, 16>(c, ldc);
#pragma GCC unroll 4
  for (long l = 0, off = 0; l < kc; l++, off += la) {
    const __m256 b0 = _mm256_loadu_ps(pb), b1 = _mm256_loadu_ps(pb + 8);
    __m256 av;
#define AXON_ROW(r) av = _mm256_broadcast_ss(a##r + off); c##r##0 = _mm256_fmadd_ps(av, b0, c##r##0); c##r##1 = _mm256_fmadd_ps(av, b1, c##r##1);
    AXON_ROW(0) AXON_ROW(1) AXON_ROW(2) AXON_ROW(3) AXON_ROW(4) AXON_ROW(5)
#undef AXON_ROW
    pb += NR;
  }
#define AXON_STORE(r)                                                                                  \
  if (accumulate) {                                                                                    \
    c##r##0 = _mm256_add_ps(c##r##0, _mm256_loadu_ps(c + (r) * ldc));                                 \
    c##r##1 = _mm256_add_ps(c##r##1, _mm256_loadu_ps(c + (r) * ldc + 8));                             \
  }                                                                                                    \
  _mm256_storeu_ps(c + (r) * ldc, c##r##0);                                                            \
  _mm256_storeu_ps(c + (r) * ldc + 8, c##r##1);
  AXON_STORE(0) AXON_STORE(1) AXON_STORE(2) AXON_STORE(3) AXON_STORE(4) AXON_STORE(5)
#undef AXON_STORE
}

#elif defined(__aarch64__)
// NEON, 8 x 12: 24 accumulators, 3 vectors of B and 2 of A in the 32 registers. A is always a packed panel here
// (PACKED_A: gemm.cc packs every panel, ra = 1, la = MR), so a step's 8 values of A are two vector loads and each
// FMA takes its A value from a lane (fmla by element): 1.37 micro-ops per FMA. Reading A in place instead, one
// scalar load per row (with a scaled register offset: two micro-ops each in llvm-mca's Apple models), a 5 x 16 tile
// took 1.85 and was bound by dispatch, not FMAs; 8 x 12 in place (8 scalar loads) spilled. See native/README.md.
constexpr int MR = 8, NR = 12;
constexpr bool PACKED_A = true;

static void gemm_micro(long kc, const float* __restrict a, long, long, const float* __restrict pb, float* c, long ldc, bool accumulate) {
  const float32x4_t z = vdupq_n_f32(0.0f);
  float32x4_t c00 = z, c01 = z, c02 = z, c10 = z, c11 = z, c12 = z, c20 = z, c21 = z, c22 = z, c30 = z, c31 = z, c32 = z;
  float32x4_t c40 = z, c41 = z, c42 = z, c50 = z, c51 = z, c52 = z, c60 = z, c61 = z, c62 = z, c70 = z, c71 = z, c72 = z;
  prefetch_c_tile<8, 12>(c, ldc);
  for (long l = 0; l < kc; l++) {
    const float32x4_t b0 = vld1q_f32(pb), b1 = vld1q_f32(pb + 4), b2 = vld1q_f32(pb + 8);
    const float32x4_t lo = vld1q_f32(a), hi = vld1q_f32(a + 4);
#define AXON_ROW(r, v, lane)                        \
    c##r##0 = vfmaq_laneq_f32(c##r##0, b0, v, lane); \
    c##r##1 = vfmaq_laneq_f32(c##r##1, b1, v, lane); \
    c##r##2 = vfmaq_laneq_f32(c##r##2, b2, v, lane);
    AXON_ROW(0, lo, 0) AXON_ROW(1, lo, 1) AXON_ROW(2, lo, 2) AXON_ROW(3, lo, 3)
    AXON_ROW(4, hi, 0) AXON_ROW(5, hi, 1) AXON_ROW(6, hi, 2) AXON_ROW(7, hi, 3)
#undef AXON_ROW
    a += MR;
    pb += NR;
  }
#define AXON_STORE(r)                                                                                  \
  if (accumulate) {                                                                                    \
    c##r##0 = vaddq_f32(c##r##0, vld1q_f32(c + (r) * ldc));                                            \
    c##r##1 = vaddq_f32(c##r##1, vld1q_f32(c + (r) * ldc + 4));                                        \
    c##r##2 = vaddq_f32(c##r##2, vld1q_f32(c + (r) * ldc + 8));                                        \
  }                                                                                                    \
  vst1q_f32(c + (r) * ldc, c##r##0);                                                                   \
  vst1q_f32(c + (r) * ldc + 4, c##r##1);                                                               \
  vst1q_f32(c + (r) * ldc + 8, c##r##2);
  AXON_STORE(0) AXON_STORE(1) AXON_STORE(2) AXON_STORE(3) AXON_STORE(4) AXON_STORE(5) AXON_STORE(6) AXON_STORE(7)
#undef AXON_STORE
}

#else
// Portable (SSE2 on x86-64): MR rows x NR/SW vectors of accumulators, written over SV (see AXON_UNROLL_TILE).
// 16 registers and no FMA, so each product needs a spare register: 4 x 8.
constexpr int MR = 4, NR = 8;
constexpr bool PACKED_A = false;

static void gemm_micro(long kc, const float* __restrict a, long ra, long la, const float* __restrict pb, float* c, long ldc, bool accumulate) {
  constexpr int V = NR / SW;
  SV acc[MR][V];
AXON_UNROLL_TILE
  for (int r = 0; r < MR; r++)
AXON_UNROLL_TILE
    for (int q = 0; q < V; q++) acc[r][q] = sv_zero();
  prefetch_c_tile<MR, NR>(c, ldc);
  for (long l = 0, off = 0; l < kc; l++, off += la) {
    SV b[V];
AXON_UNROLL_TILE
    for (int q = 0; q < V; q++) b[q] = sv_load(pb + q * SW);
AXON_UNROLL_TILE
    for (int r = 0; r < MR; r++) {
      const SV av = sv_set1(a[r * ra + off]);
AXON_UNROLL_TILE
      for (int q = 0; q < V; q++) acc[r][q] = sv_fma(av, b[q], acc[r][q]);
    }
    pb += NR;
  }
AXON_UNROLL_TILE
  for (int r = 0; r < MR; r++)
AXON_UNROLL_TILE
    for (int q = 0; q < V; q++) {
      float* dst = c + r * ldc + q * SW;
      sv_store(dst, accumulate ? acc[r][q] + sv_load(dst) : acc[r][q]);
    }
}
#endif

// ---- GEMM packing ---------------------------------------------------------------------------------------------
// Packing a row-major A (or a B stored [n, k]) is a transpose: the panel wants, for each l, the w values of rows
// r0..r0+w side by side. Done one float at a time (as gemm.cc did) it cost about 1 ns per element, 8% of a 1024^3
// product on one Zen 4 core and half the time of a convolution's dW = dY @ cols^T (64 x 289 x 12544, B transposed,
// where every packed float of B meets only 64 multiply-adds). Here blocks of 8 rows x 8 values go through an
// in-register 8x8 transpose (24 shuffles per 64 floats; 4 x 4 in 8 on AArch64); rows and values left over are
// copied one by one.

#if defined(__AVX2__)
static inline void transpose8x8_store(const float* src, long ld, float* dst, long w) {
  const __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + ld), r2 = _mm256_loadu_ps(src + 2 * ld),
               r3 = _mm256_loadu_ps(src + 3 * ld), r4 = _mm256_loadu_ps(src + 4 * ld), r5 = _mm256_loadu_ps(src + 5 * ld),
               r6 = _mm256_loadu_ps(src + 6 * ld), r7 = _mm256_loadu_ps(src + 7 * ld);
  // Interleave pairs of rows, then pairs of pairs: each 128-bit half then holds 4 rows of one column.
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3),
               t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
               t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE),
               u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE),
               u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE),
               u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  // Low halves hold columns 0-3, high halves columns 4-7: join the rows 0-3 half with the rows 4-7 half.
  _mm256_storeu_ps(dst + 0 * w, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(dst + 1 * w, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(dst + 2 * w, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(dst + 3 * w, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(dst + 4 * w, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(dst + 5 * w, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(dst + 6 * w, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(dst + 7 * w, _mm256_permute2f128_ps(u3, u7, 0x31));
}
constexpr long PACK_T = 8;  // the block of transpose_store
static inline void transpose_store(const float* src, long ld, float* dst, long w) { transpose8x8_store(src, ld, dst, w); }
#elif defined(__aarch64__)
// 4 rows x 4 values: pairs of rows interleaved (trn1/trn2 on 32-bit lanes), then pairs of pairs (on 64-bit lanes).
static inline void transpose4x4_store(const float* src, long ld, float* dst, long w) {
  const float32x4_t r0 = vld1q_f32(src), r1 = vld1q_f32(src + ld), r2 = vld1q_f32(src + 2 * ld), r3 = vld1q_f32(src + 3 * ld);
  // t0 = r0[0] r1[0] r0[2] r1[2], t1 = r0[1] r1[1] r0[3] r1[3], t2 and t3 the same of r2 and r3.
  const float64x2_t t0 = vreinterpretq_f64_f32(vtrn1q_f32(r0, r1)), t1 = vreinterpretq_f64_f32(vtrn2q_f32(r0, r1)),
                    t2 = vreinterpretq_f64_f32(vtrn1q_f32(r2, r3)), t3 = vreinterpretq_f64_f32(vtrn2q_f32(r2, r3));
  vst1q_f32(dst + 0 * w, vreinterpretq_f32_f64(vtrn1q_f64(t0, t2)));
  vst1q_f32(dst + 1 * w, vreinterpretq_f32_f64(vtrn1q_f64(t1, t3)));
  vst1q_f32(dst + 2 * w, vreinterpretq_f32_f64(vtrn2q_f64(t0, t2)));
  vst1q_f32(dst + 3 * w, vreinterpretq_f32_f64(vtrn2q_f64(t1, t3)));
}
constexpr long PACK_T = 4;
static inline void transpose_store(const float* src, long ld, float* dst, long w) { transpose4x4_store(src, ld, dst, w); }
#else
#define AXON_NO_PACK_TRANSPOSE  // every float is copied one by one
#endif

static void gemm_pack_t(const float* src, long ld, long rows, long kc, long w, float* dst) {
  long rb = 0;  // rows [0, rb) go through transpose_store, in blocks of PACK_T x PACK_T
#ifndef AXON_NO_PACK_TRANSPOSE
  {
    rb = rows / PACK_T * PACK_T;
    const long lb = kc / PACK_T * PACK_T;
    // l outer, row blocks inner: the w rows' current cache lines (w x 64 bytes) are reused by the next l block,
    // and the panel is written PACK_T whole rows at a time.
    for (long l0 = 0; l0 < lb; l0 += PACK_T)
      for (long r0 = 0; r0 < rb; r0 += PACK_T) {
        // The rows are w short streams (a slab's kc floats each), too many and too short for the hardware
        // prefetcher to follow: ask for each row's line 256 bytes ahead, once per 64-byte line.
        if ((l0 & 15) == 0)
          for (long r = r0; r < r0 + PACK_T; r++) __builtin_prefetch(src + r * ld + l0 + 64);
        transpose_store(src + r0 * ld + l0, ld, dst + l0 * w + r0, w);
      }
    for (long l = lb; l < kc; l++)
      for (long r = 0; r < rb; r++) dst[l * w + r] = src[r * ld + l];
  }
#endif
  for (long r = rb; r < rows; r++) {
    const float* s = src + r * ld;
    for (long l = 0; l < kc; l++) dst[l * w + r] = s[l];
  }
  for (long l = 0; l < kc; l++)
    for (long r = rows; r < w; r++) dst[l * w + r] = 0.0f;
}

// ---- GEMM for a few rows ------------------------------------------------------------------------------------

// Packing B costs as much as the multiply when A has a few rows, so these stream B as it is stored: row-major B
// as a register tile of C's rows updated row of B by row of B, B stored [n, k] (transB: nn.Linear's x @ W^T) as
// dot products. Up to 4 rows of A share each load of B. Written over SV (above): the portable vector-extension
// loops this replaced lost their FMAs to -ffp-contract=off (and the AVX2 build spilled its 16-lane accumulators
// to the stack). Measured on one Zen 4 core (AVX-512 table), before
// -> after: 4 x 256 x 784 with W transposed (nn.Linear, batch 4) 41-50 -> 100 GFLOPS; the same with B row-major
// 28 -> 115; 1 x 256 x 784 row-major B 20 -> 43; a bias-style 1 x 256 x 128 with A transposed 19 -> 44; a
// classifier's 128 x 10 x 128 (W transposed) 38 -> 50. Batch 1 with W transposed (1 x 256 x 784) stays ~40-45:
// it streams W's 800 KB from L2 once, one multiply-add per float loaded.

// C[0:RM, j0:j0+CN] = A[0:RM] . B[:, j] for contiguous rows a[r] (length k) and columns of B b + j*bcs.
template <int RM, int CN>
static inline void small_dot_block(long k, const float* const* a, const float* b, long bcs, float* c, long ldc) {
  SV acc[RM][CN];
AXON_UNROLL_TILE
  for (int r = 0; r < RM; r++)
AXON_UNROLL_TILE
    for (int q = 0; q < CN; q++) acc[r][q] = sv_zero();
  const long kv = k / SW * SW;
  for (long l = 0; l < kv; l += SW) {
    SV bv[CN];
AXON_UNROLL_TILE
    for (int q = 0; q < CN; q++) bv[q] = sv_load(b + q * bcs + l);
AXON_UNROLL_TILE
    for (int r = 0; r < RM; r++) {
      const SV av = sv_load(a[r] + l);
AXON_UNROLL_TILE
      for (int q = 0; q < CN; q++) acc[r][q] = sv_fma(av, bv[q], acc[r][q]);
    }
  }
AXON_UNROLL_TILE
  for (int r = 0; r < RM; r++)
AXON_UNROLL_TILE
    for (int q = 0; q < CN; q++) {
      float s = sv_hsum(acc[r][q]);
      for (long l = kv; l < k; l++) s += a[r][l] * b[q * bcs + l];
      c[r * ldc + q] = s;
    }
}

// C[0:RM, :] = A[0:RM, :] @ B with B's columns contiguous (brs == 1).
template <int RM>
static void small_dot_rows(long n, long k, const float* const* a, const float* b, long bcs, float* c, long ldc) {
  long j = 0;
  for (; j + SMALL_CN <= n; j += SMALL_CN) small_dot_block<RM, SMALL_CN>(k, a, b + j * bcs, bcs, c + j, ldc);
  for (; j < n; j++) small_dot_block<RM, 1>(k, a, b + j * bcs, bcs, c + j, ldc);
}

// C[0:RM, j0:j0+JV*SW] over all l: A values broadcast, rows of B (contiguous, bcs == 1) loaded once for RM rows.
template <int RM, int JV>
static inline void small_axpy_block(long k, const float* a, long ars, long acs, const float* b, long brs, float* c, long ldc) {
  SV acc[RM][JV];
AXON_UNROLL_TILE
  for (int r = 0; r < RM; r++)
AXON_UNROLL_TILE
    for (int q = 0; q < JV; q++) acc[r][q] = sv_zero();
  for (long l = 0; l < k; l++) {
    SV bv[JV];
AXON_UNROLL_TILE
    for (int q = 0; q < JV; q++) bv[q] = sv_load(b + l * brs + q * SW);
AXON_UNROLL_TILE
    for (int r = 0; r < RM; r++) {
      const SV av = sv_set1(a[r * ars + l * acs]);
AXON_UNROLL_TILE
      for (int q = 0; q < JV; q++) acc[r][q] = sv_fma(av, bv[q], acc[r][q]);
    }
  }
AXON_UNROLL_TILE
  for (int r = 0; r < RM; r++)
AXON_UNROLL_TILE
    for (int q = 0; q < JV; q++) sv_store(c + r * ldc + q * SW, acc[r][q]);
}

template <int RM>
static void small_axpy_rows(long n, long k, const float* a, long ars, long acs, const float* b, long brs, float* c, long ldc) {
  long j = 0;
  for (; j + SMALL_JV * SW <= n; j += SMALL_JV * SW) small_axpy_block<RM, SMALL_JV>(k, a, ars, acs, b + j, brs, c + j, ldc);
  for (; j + SW <= n; j += SW) small_axpy_block<RM, 1>(k, a, ars, acs, b + j, brs, c + j, ldc);
  for (; j < n; j++)  // the last n % SW columns
    for (int r = 0; r < RM; r++) {
      float s = 0.0f;
      for (long l = 0; l < k; l++) s += a[r * ars + l * acs] * b[l * brs + j];
      c[r * ldc + j] = s;
    }
}

static void gemm_small(long m, long n, long k, const float* a, long ars, long acs, const float* b, long brs, long bcs, float* c) {
  std::vector<float> arows(acs != 1 && bcs != 1 ? static_cast<size_t>(4 * k) : 0);
  for (long i = 0; i < m; i += 4) {
    const int rm = static_cast<int>(std::min<long>(4, m - i));
    const float* ai = a + i * ars;
    float* ci = c + i * n;
    if (bcs == 1) {
      switch (rm) {
        case 4: small_axpy_rows<4>(n, k, ai, ars, acs, b, brs, ci, n); break;
        case 3: small_axpy_rows<3>(n, k, ai, ars, acs, b, brs, ci, n); break;
        case 2: small_axpy_rows<2>(n, k, ai, ars, acs, b, brs, ci, n); break;
        default: small_axpy_rows<1>(n, k, ai, ars, acs, b, brs, ci, n); break;
      }
      continue;
    }
    // brs == 1: column j of B is contiguous; the dot products want A's rows contiguous too.
    const float* rows[4];
    for (int r = 0; r < rm; r++) {
      if (acs == 1) {
        rows[r] = ai + r * ars;
      } else {
        float* dst = arows.data() + r * k;
        for (long l = 0; l < k; l++) dst[l] = ai[r * ars + l * acs];
        rows[r] = dst;
      }
    }
    switch (rm) {
      case 4: small_dot_rows<4>(n, k, rows, b, bcs, ci, n); break;
      case 3: small_dot_rows<3>(n, k, rows, b, bcs, ci, n); break;
      case 2: small_dot_rows<2>(n, k, rows, b, bcs, ci, n); break;
      default: small_dot_rows<1>(n, k, rows, b, bcs, ci, n); break;
    }
  }
}

// ---- a product's epilogue -------------------------------------------------------------------------------------

// Vectorized here, in the ISA's own build: relu's select on real activations is a coin flip, and as scalar code with
// a branch (addon.cc is built for the baseline ISA) it cost an MLP's first layer ~160 us a training step.
static void bias_relu_rows(float* out, const float* bias, long rows, long n, bool relu) {
  for (long r = 0; r < rows; r++) {
    float* __restrict o = out + r * n;
    if (bias)
      for (long j = 0; j < n; j++) o[j] += bias[j];
    if (relu)
      for (long j = 0; j < n; j++) o[j] = relu_f(o[j]);
  }
}

// ---- softmax ------------------------------------------------------------------------------------------------

// Softmax or log-softmax of `rows` contiguous lines of `size` (Backend.softmax with inner = 1): each line's maximum
// (NaN if any element is; an infinite one makes the line NaN, as in the reference), exp_f of the shifted values,
// their sum in float64, then a divide or the log subtracted in float64. The exps run over a block of lines at once,
// so that short lines (a classifier's 10 classes) still fill whole vectors: [128, 10] took ~12 us with a float64
// std::exp per element, against ~3 us.
static void softmax_rows(const float* x, long rows, long size, float* out, bool log) {
  constexpr long BLOCK = 64;
  float shift[BLOCK];
  double sum[BLOCK];
  for (long r0 = 0; r0 < rows; r0 += BLOCK) {
    const long nr = std::min(BLOCK, rows - r0);
    const float* xb = x + r0 * size;
    float* ob = out + r0 * size;
    for (long r = 0; r < nr; r++) {
      const float* xr = xb + r * size;
      float mx = -std::numeric_limits<float>::infinity();
      bool nan = false;
      for (long j = 0; j < size; j++) {
        const float v = xr[j];
        nan |= v != v;
        mx = v > mx ? v : mx;
      }
      shift[r] = nan ? std::numeric_limits<float>::quiet_NaN() : mx;
      float* orow = ob + r * size;
      for (long j = 0; j < size; j++) orow[j] = xr[j] - shift[r];
    }
    const long n = nr * size;
    for (long i = 0; i < n; i++) ob[i] = exp_f(ob[i]);
    for (long r = 0; r < nr; r++) {
      const float* e = ob + r * size;
      double s = 0.0;
      for (long j = 0; j < size; j++) s += e[j];
      sum[r] = s;
    }
    for (long r = 0; r < nr; r++) {
      const float* xr = xb + r * size;
      float* orow = ob + r * size;
      if (log) {
        const double sub = static_cast<double>(shift[r]) + std::log(sum[r]);
        for (long j = 0; j < size; j++) orow[j] = static_cast<float>(static_cast<double>(xr[j]) - sub);
      } else {
        const double s = sum[r];
        for (long j = 0; j < size; j++) orow[j] = static_cast<float>(static_cast<double>(orow[j]) / s);
      }
    }
  }
}

// ---- pooling ----------------------------------------------------------------------------------------------------

// Vectorized by hand: the four values of 16 (AVX2: 8) windows are gathered from the two rows with shuffles, then
// the window's three comparisons run in order as masked selects. Measured on 64x32x28x28 (14 windows a row), one
// core: 5.2 ms with the plain loop (GCC made its selects branches), 0.3 ms AVX-512, 1.0 ms AVX2.
static void max_pool_2x2(const float* __restrict r0, const float* __restrict r1, long n, int32_t at0, int32_t width,
                         float* __restrict out, int32_t* __restrict idx) {
  long o = 0;
#if defined(__AVX512F__)
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i one = _mm512_set1_epi32(1), w = _mm512_set1_epi32(width), w1 = _mm512_set1_epi32(width + 1);
  // 16 windows at a time; the last (n % 16) with masked loads and stores (rows are often short: 14 windows).
  for (; o < n; o += 16) {
    const long rem = std::min<long>(16, n - o);
    const __mmask16 lo = static_cast<__mmask16>(rem >= 8 ? 0xFFFFu : (1u << (2 * rem)) - 1);
    const __mmask16 hi = static_cast<__mmask16>(rem >= 16 ? 0xFFFFu : rem > 8 ? (1u << (2 * rem - 16)) - 1 : 0u);
    const __m512 a = _mm512_maskz_loadu_ps(lo, r0 + 2 * o), b = _mm512_maskz_loadu_ps(hi, r0 + 2 * o + 16);
    const __m512 c = _mm512_maskz_loadu_ps(lo, r1 + 2 * o), d = _mm512_maskz_loadu_ps(hi, r1 + 2 * o + 16);
    const __m512 v[3] = {_mm512_permutex2var_ps(a, odd, b), _mm512_permutex2var_ps(c, even, d), _mm512_permutex2var_ps(c, odd, d)};
    const __m512i step[3] = {one, w, w1};
    const __m512i base = _mm512_add_epi32(_mm512_set1_epi32(at0 + 2 * static_cast<int32_t>(o)), even);
    __m512 best = _mm512_permutex2var_ps(a, even, b);
    __m512i at = base;
    for (int k = 0; k < 3; k++) {
      const __mmask16 take = _mm512_cmp_ps_mask(v[k], best, _CMP_GT_OQ) |
                             (_mm512_cmp_ps_mask(v[k], v[k], _CMP_UNORD_Q) & _mm512_cmp_ps_mask(best, best, _CMP_ORD_Q));
      best = _mm512_mask_mov_ps(best, take, v[k]);
      at = _mm512_mask_add_epi32(at, take, base, step[k]);
    }
    const __mmask16 keep = static_cast<__mmask16>(rem >= 16 ? 0xFFFFu : (1u << rem) - 1);
    _mm512_mask_storeu_ps(out + o, keep, best);
    _mm512_mask_storeu_epi32(idx + o, keep, at);
  }
#elif defined(__AVX2__)
  const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
  const __m256i one = _mm256_set1_epi32(1), w = _mm256_set1_epi32(width), w1 = _mm256_set1_epi32(width + 1);
  // [x0..x7], [x8..x15] -> evens [x0 x2 .. x14] and odds [x1 x3 .. x15]: shuffle within lanes, then order the lanes.
  auto split = [](const float* p, __m256* ev, __m256* od) {
    const __m256 lo = _mm256_loadu_ps(p), hi = _mm256_loadu_ps(p + 8);
    *ev = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0))), _MM_SHUFFLE(3, 1, 2, 0)));
    *od = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1))), _MM_SHUFFLE(3, 1, 2, 0)));
  };
  // 8 windows at a time, the rest below (masked loads and stores measured slower here: AMD microcodes them).
  for (; o + 8 <= n; o += 8) {
    __m256 v0, v1, v2, v3;
    split(r0 + 2 * o, &v0, &v1);
    split(r1 + 2 * o, &v2, &v3);
    const __m256 v[3] = {v1, v2, v3};
    const __m256i step[3] = {one, w, w1};
    const __m256i base = _mm256_add_epi32(_mm256_set1_epi32(at0 + 2 * static_cast<int32_t>(o)), even);
    __m256 best = v0;
    __m256i at = base;
    for (int k = 0; k < 3; k++) {
      const __m256 take = _mm256_or_ps(_mm256_cmp_ps(v[k], best, _CMP_GT_OQ),
                                       _mm256_and_ps(_mm256_cmp_ps(v[k], v[k], _CMP_UNORD_Q), _mm256_cmp_ps(best, best, _CMP_ORD_Q)));
      best = _mm256_blendv_ps(best, v[k], take);
      at = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(at), _mm256_castsi256_ps(_mm256_add_epi32(base, step[k])), take));
    }
    _mm256_storeu_ps(out + o, best);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(idx + o), at);
  }
#endif
  for (; o < n; o++) {
    const int32_t base = at0 + 2 * static_cast<int32_t>(o);
    float best = r0[2 * o];
    int32_t at = base;
    pool_take(r0[2 * o + 1], base + 1, &best, &at);
    pool_take(r1[2 * o], base + width, &best, &at);
    pool_take(r1[2 * o + 1], base + width + 1, &best, &at);
    out[o] = best;
    idx[o] = at;
  }
}

// ---- optimizers -----------------------------------------------------------------------------------------------

// An optimizer state value (a moment, a momentum buffer) below float32's smallest normal number is stored as a zero
// of its sign, as the reference backend does (src/backend/reference/optim.ts). Without this, the moments of weights
// whose gradient is always zero (the weights of an MNIST border pixel) decay into subnormal numbers after ~750
// steps and stay there (0.9 x the smallest subnormal rounds back to it): on Intel CPUs every arithmetic operation on
// a subnormal takes a microcode assist, and an MLP's Adam step measured 0.7 ms instead of ~0.15 ms on a Xeon. A
// bit select, not arithmetic, so the subnormal itself is never multiplied.
static inline float flush_state(float x) {
  return std::fabs(x) < std::numeric_limits<float>::min() ? std::copysign(0.0f, x) : x;
}

// Adam's update in float32 arithmetic, PyTorch's term order (torch.optim.Adam's single-tensor loop): for float32
// parameters PyTorch computes in float32 too. The reference backend computes the same terms in float64 and rounds
// at each store, so the two agree to float32 rounding (test/native.test.ts). float64 here measured ~4x slower:
// its divide and square root are the loop's cost (a 784-256-128-10 MLP step: 0.26 ms of 2.2 ms).
template <bool Decoupled, bool Ams>
static void adam_loop(const AdamArgs& a, float* __restrict theta, const float* __restrict grad, float* __restrict m,
                      float* __restrict v, float* __restrict vmax, size_t n) {
  const float b1 = static_cast<float>(a.beta1), b2 = static_cast<float>(a.beta2);
  const float c1 = static_cast<float>(1.0 - a.beta1), c2 = static_cast<float>(1.0 - a.beta2);
  const float eps = static_cast<float>(a.eps), wd = static_cast<float>(a.weightDecay);
  const float step = static_cast<float>(a.stepSize), bias2 = static_cast<float>(a.bias2Sqrt), decay = static_cast<float>(a.decay);
  const float sign = a.maximize ? -1.0f : 1.0f;
  const bool l2 = !Decoupled && wd != 0.0f;
  for (size_t i = 0; i < n; i++) {
    float g = sign * grad[i];
    float th = theta[i];
    if (Decoupled) th = th * decay;
    else if (l2) g = g + wd * th;
    const float mi = flush_state(b1 * m[i] + c1 * g);
    const float vi = flush_state(b2 * v[i] + c2 * g * g);
    m[i] = mi;
    v[i] = vi;
    float vt = vi;
    if (Ams) {
      const float old = vmax[i];
      // Math.max: NaN if either is NaN.
      vt = old != old || vi != vi ? std::numeric_limits<float>::quiet_NaN() : (vi > old ? vi : old);
      vmax[i] = vt;
    }
    theta[i] = th - step * (mi / (std::sqrt(vt) / bias2 + eps));
  }
}

static void adam(const AdamArgs& a, float* theta, const float* grad, float* m, float* v, float* vmax, size_t n) {
  if (a.decoupled) {
    if (vmax) adam_loop<true, true>(a, theta, grad, m, v, vmax, n);
    else adam_loop<true, false>(a, theta, grad, m, v, vmax, n);
  } else {
    if (vmax) adam_loop<false, true>(a, theta, grad, m, v, vmax, n);
    else adam_loop<false, false>(a, theta, grad, m, v, vmax, n);
  }
}

// SGD in float64, as the reference computes it (the casts are where it reads and stores float32 arrays), so the
// two agree bit for bit; with no divide or square root, float64 costs little here.
template <bool Momentum>
static void sgd_loop(const SgdArgs& a, float* __restrict theta, const float* __restrict grad, float* __restrict buf, size_t n) {
  const double lr = a.lr, mu = a.momentum, keep = 1.0 - a.dampening, wd = a.weightDecay;
  const double sign = a.maximize ? -1.0 : 1.0;
  const bool first = a.first, nesterov = a.nesterov;
  for (size_t i = 0; i < n; i++) {
    double g = sign * static_cast<double>(grad[i]);
    const double th = static_cast<double>(theta[i]);
    if (wd != 0.0) g = g + wd * th;
    if (Momentum) {
      const float b = flush_state(static_cast<float>(first ? g : mu * static_cast<double>(buf[i]) + keep * g));
      buf[i] = b;
      g = nesterov ? g + mu * static_cast<double>(b) : static_cast<double>(b);
    }
    theta[i] = static_cast<float>(th - lr * g);
  }
}

static void sgd(const SgdArgs& a, float* theta, const float* grad, float* buf, size_t n) {
  if (buf) sgd_loop<true>(a, theta, grad, buf, n);
  else sgd_loop<false>(a, theta, grad, buf, n);
}

template <bool Centered, bool Momentum>
static void rmsprop_loop(const RmspropArgs& a, float* __restrict theta, const float* __restrict grad, float* __restrict v,
                         float* __restrict gavg, float* __restrict buf, size_t n) {
  const double lr = a.lr, alpha = a.alpha, keep = 1.0 - a.alpha, eps = a.eps, wd = a.weightDecay, mu = a.momentum;
  const double sign = a.maximize ? -1.0 : 1.0;
  for (size_t i = 0; i < n; i++) {
    double g = sign * static_cast<double>(grad[i]);
    const double th = static_cast<double>(theta[i]);
    if (wd != 0.0) g = g + wd * th;
    // Centered, v and gAve are kept as they are: a flushed v under a gAve that is not yet flushed would make
    // v - gAve^2 negative and the step NaN.
    const float vraw = static_cast<float>(alpha * static_cast<double>(v[i]) + keep * g * g);
    const float vi = Centered ? vraw : flush_state(vraw);
    v[i] = vi;
    double vt = vi;
    if (Centered) {
      const float ga = static_cast<float>(alpha * static_cast<double>(gavg[i]) + keep * g);
      gavg[i] = ga;
      vt = static_cast<double>(vi) - static_cast<double>(ga) * static_cast<double>(ga);
    }
    const double denom = std::sqrt(vt) + eps;
    if (Momentum) {
      const float b = flush_state(static_cast<float>(mu * static_cast<double>(buf[i]) + g / denom));
      buf[i] = b;
      theta[i] = static_cast<float>(th - lr * static_cast<double>(b));
    } else {
      theta[i] = static_cast<float>(th - lr * (g / denom));
    }
  }
}

static void rmsprop(const RmspropArgs& a, float* theta, const float* grad, float* v, float* gavg, float* buf, size_t n) {
  if (gavg && buf) rmsprop_loop<true, true>(a, theta, grad, v, gavg, buf, n);
  else if (gavg) rmsprop_loop<true, false>(a, theta, grad, v, gavg, buf, n);
  else if (buf) rmsprop_loop<false, true>(a, theta, grad, v, gavg, buf, n);
  else rmsprop_loop<false, false>(a, theta, grad, v, gavg, buf, n);
}

static void adagrad(const AdagradArgs& a, float* __restrict theta, const float* __restrict grad, float* __restrict sum, size_t n) {
  const double clr = a.clr, eps = a.eps, wd = a.weightDecay, sign = a.maximize ? -1.0 : 1.0;
  for (size_t i = 0; i < n; i++) {
    double g = sign * static_cast<double>(grad[i]);
    const double th = static_cast<double>(theta[i]);
    if (wd != 0.0) g = g + wd * th;
    const float s = static_cast<float>(static_cast<double>(sum[i]) + g * g);
    sum[i] = s;
    theta[i] = static_cast<float>(th - clr * (g / (std::sqrt(static_cast<double>(s)) + eps)));
  }
}

}  // namespace AXON_NS

const Kernels* AXON_KERNELS_FN() {
  static const Kernels k = {AXON_ISA_NAME, AXON_NS::MR, AXON_NS::NR, AXON_NS::PACKED_A, AXON_NS::gemm_micro,
                            AXON_NS::unary, AXON_NS::binary, AXON_NS::compare, AXON_NS::reduce,
                            AXON_NS::gemm_small, AXON_NS::adam, AXON_NS::sgd, AXON_NS::rmsprop, AXON_NS::adagrad,
                            AXON_NS::gemm_pack_t,
                            AXON_NS::max_pool_2x2, AXON_NS::softmax_rows, AXON_NS::bias_relu_rows};
  return &k;
}

}  // namespace axon
