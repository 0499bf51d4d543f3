// The float32 kernels, written once and compiled three times (kernels_avx512.cc, kernels_avx2.cc,
// kernels_generic.cc), each translation unit with its own -m flags. The elementwise and reduction loops are
// plain, branch-free C++ that GCC and Clang vectorize for whatever the unit targets; only the GEMM micro-kernel is
// written with intrinsics, because its register allocation is the whole point and must not be left to chance.
//
// Accuracy contract (checked by test/native.test.ts against the reference backend):
//   - exp/sigmoid/tanh/silu use Cephes-style polynomials, within a few float32 ulps of the correctly rounded value;
//   - sums accumulate in float64, as the reference does, so only the final rounding differs;
//   - max/min let NaN win, as the reference (and PyTorch) do.

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels.h"

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
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
    // relu keeps NaN (as the reference does) and maps -0 to +0.
    case U_RELU: map(x, out, n, [](float v) { return v > 0.0f || v != v ? v : 0.0f; }); break;
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
      for (size_t i = 0; i < inner; i++) a[i] = base[i];
      for (size_t j = 1; j < size; j++) {
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

// ---- GEMM micro-kernels -------------------------------------------------------------------------------------
// Each computes one MR x NR tile of C over a kc-deep slab: per step l it loads one row of the packed B panel
// (NR floats, as NR/W vectors), broadcasts each of the MR packed A values of column l, and issues MR*NR/W FMAs
// into accumulators that live in registers for the whole slab. The tile shape is chosen so that the accumulators,
// the B vectors and one broadcast fill the register file: 8x32 (16 zmm accumulators) for AVX-512, 6x16
// (12 ymm) for AVX2, 4x8 for the portable fallback.

#if defined(__AVX512F__)
constexpr int MR = 8, NR = 32;

static void gemm_micro(long kc, const float* __restrict pa, const float* __restrict pb, float* c, long ldc, bool accumulate) {
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  __m512 c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
#pragma GCC unroll 4
  for (long l = 0; l < kc; l++) {
    const __m512 b0 = _mm512_loadu_ps(pb), b1 = _mm512_loadu_ps(pb + 16);
    __m512 a;
#define AXON_ROW(r) a = _mm512_set1_ps(pa[r]); c##r##0 = _mm512_fmadd_ps(a, b0, c##r##0); c##r##1 = _mm512_fmadd_ps(a, b1, c##r##1);
    AXON_ROW(0) AXON_ROW(1) AXON_ROW(2) AXON_ROW(3) AXON_ROW(4) AXON_ROW(5) AXON_ROW(6) AXON_ROW(7)
#undef AXON_ROW
    pa += MR;
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

static void gemm_micro(long kc, const float* __restrict pa, const float* __restrict pb, float* c, long ldc, bool accumulate) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
#pragma GCC unroll 4
  for (long l = 0; l < kc; l++) {
    const __m256 b0 = _mm256_loadu_ps(pb), b1 = _mm256_loadu_ps(pb + 8);
    __m256 a;
#define AXON_ROW(r) a = _mm256_broadcast_ss(pa + (r)); c##r##0 = _mm256_fmadd_ps(a, b0, c##r##0); c##r##1 = _mm256_fmadd_ps(a, b1, c##r##1);
    AXON_ROW(0) AXON_ROW(1) AXON_ROW(2) AXON_ROW(3) AXON_ROW(4) AXON_ROW(5)
#undef AXON_ROW
    pa += MR;
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

#else
constexpr int MR = 4, NR = 8;

// Plain loops over a local tile; the compiler keeps it in vector registers at -O3.
static void gemm_micro(long kc, const float* __restrict pa, const float* __restrict pb, float* c, long ldc, bool accumulate) {
  float acc[MR][NR] = {};
  for (long l = 0; l < kc; l++) {
    for (int r = 0; r < MR; r++)
      for (int j = 0; j < NR; j++) acc[r][j] += pa[r] * pb[j];
    pa += MR;
    pb += NR;
  }
  for (int r = 0; r < MR; r++)
    for (int j = 0; j < NR; j++) c[r * ldc + j] = accumulate ? c[r * ldc + j] + acc[r][j] : acc[r][j];
}
#endif

// ---- GEMM for a few rows ------------------------------------------------------------------------------------

// Packing B costs as much as the multiply when A has one row, so these stream B as it is stored: row-major B as
// axpys into C's row, B stored [n, k] (transB: nn.Linear's x @ W^T) as dot products with 32 float32 lanes.
static inline float hsum16(f16v v) {
  float s = 0.0f;
  for (int q = 0; q < 16; q++) s += v[q];
  return s;
}

static inline f16v load16(const float* p) {
  f16v v;
  std::memcpy(&v, p, 64);
  return v;
}

static void gemm_small(long m, long n, long k, const float* a, long ars, long acs, const float* b, long brs, long bcs, float* c) {
  std::vector<float> arow(acs != 1 ? static_cast<size_t>(k) : 0);
  for (long i = 0; i < m; i++) {
    float* __restrict ci = c + i * n;
    const float* ai = a + i * ars;
    if (acs != 1) {
      for (long l = 0; l < k; l++) arow[l] = ai[l * acs];
      ai = arow.data();
    }
    if (bcs == 1) {
      for (long j = 0; j < n; j++) ci[j] = 0.0f;
      for (long l = 0; l < k; l++) {
        const float av = ai[l];
        const float* __restrict bl = b + l * brs;
        for (long j = 0; j < n; j++) ci[j] += av * bl[j];
      }
      continue;
    }
    // brs == 1: column j of B is contiguous. Four columns at a time share each load of A and give four
    // independent accumulator chains.
    const long k16 = k / 16 * 16;
    long j = 0;
    for (; j + 4 <= n; j += 4) {
      const float* b0 = b + j * bcs;
      const float* b1 = b0 + bcs;
      const float* b2 = b1 + bcs;
      const float* b3 = b2 + bcs;
      f16v s0 = {}, s1 = {}, s2 = {}, s3 = {};
      for (long l = 0; l < k16; l += 16) {
        const f16v x = load16(ai + l);
        s0 += x * load16(b0 + l);
        s1 += x * load16(b1 + l);
        s2 += x * load16(b2 + l);
        s3 += x * load16(b3 + l);
      }
      float r0 = hsum16(s0), r1 = hsum16(s1), r2 = hsum16(s2), r3 = hsum16(s3);
      for (long l = k16; l < k; l++) {
        const float x = ai[l];
        r0 += x * b0[l];
        r1 += x * b1[l];
        r2 += x * b2[l];
        r3 += x * b3[l];
      }
      ci[j] = r0;
      ci[j + 1] = r1;
      ci[j + 2] = r2;
      ci[j + 3] = r3;
    }
    for (; j < n; j++) {
      const float* bj = b + j * bcs;
      f16v s0 = {};
      for (long l = 0; l < k16; l += 16) s0 += load16(ai + l) * load16(bj + l);
      float r = hsum16(s0);
      for (long l = k16; l < k; l++) r += ai[l] * bj[l];
      ci[j] = r;
    }
  }
}

// ---- optimizers -----------------------------------------------------------------------------------------------

// The reference's loop (src/backend/reference/optim.ts), term for term: float64 arithmetic on float32 loads,
// float32 stores where the reference writes its Float32Arrays (and later reads the rounded value back).
template <bool Decoupled, bool Ams>
static void adam_loop(const AdamArgs& a, float* __restrict theta, const float* __restrict grad, float* __restrict m,
                      float* __restrict v, float* __restrict vmax, size_t n) {
  const double b1 = a.beta1, b2 = a.beta2, c1 = 1.0 - a.beta1, c2 = 1.0 - a.beta2, eps = a.eps, wd = a.weightDecay;
  const double step = a.stepSize, bias2 = a.bias2Sqrt, decay = a.decay, sign = a.maximize ? -1.0 : 1.0;
  const bool l2 = !Decoupled && wd != 0.0;
  for (size_t i = 0; i < n; i++) {
    double g = sign * static_cast<double>(grad[i]);
    float th = theta[i];
    if (Decoupled) th = static_cast<float>(static_cast<double>(th) * decay);
    else if (l2) g = g + wd * static_cast<double>(th);
    const float mi = static_cast<float>(b1 * static_cast<double>(m[i]) + c1 * g);
    const float vi = static_cast<float>(b2 * static_cast<double>(v[i]) + c2 * g * g);
    m[i] = mi;
    v[i] = vi;
    float vt = vi;
    if (Ams) {
      const float old = vmax[i];
      // Math.max: NaN if either is NaN.
      vt = old != old || vi != vi ? std::numeric_limits<float>::quiet_NaN() : (vi > old ? vi : old);
      vmax[i] = vt;
    }
    theta[i] = static_cast<float>(static_cast<double>(th) -
                                  step * (static_cast<double>(mi) / (std::sqrt(static_cast<double>(vt)) / bias2 + eps)));
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

}  // namespace AXON_NS

const Kernels* AXON_KERNELS_FN() {
  static const Kernels k = {AXON_ISA_NAME, AXON_NS::MR, AXON_NS::NR, AXON_NS::gemm_micro,
                            AXON_NS::unary, AXON_NS::binary, AXON_NS::compare, AXON_NS::reduce,
                            AXON_NS::gemm_small, AXON_NS::adam};
  return &k;
}

}  // namespace axon
