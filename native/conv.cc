// Convolution, one image at a time: im2col of one image into a [C*kh*kw, oh*ow] matrix, then a GEMM per group
// against the weights, written straight into the image's [outChannels, oh*ow] block of the NCHW output.
//
// Why per image rather than one GEMM over the batch folded into the columns: the batch-wide column matrix of a
// 64 x 32 x 14 x 14 input and a 3x3 kernel is 289 x 12544 floats (14 MiB). Building it, multiplying it and (in
// the backward pass) col2im-ing its gradient each stream it through memory, and the GEMM's result comes out as
// [O, N, P] and needs a copy into NCHW (and the output gradient a copy back). One image's column matrix is 226 KiB
// and stays in L2 from im2col through the GEMM; nothing batch-sized is made but the output. The threads split
// the batch: each runs whole images with single-threaded GEMMs, so the only synchronization is the end of the call.
// With fewer images than threads (batch-1 inference) the images run one after another and each GEMM uses the pool.
//
// Weight and bias gradients are sums over the images: each chunk of images accumulates its own partial sum, and
// the partials are added in chunk order at the end, so the result does not depend on which thread ran what (the
// chunks are fixed by the batch size and thread count alone).

#include "conv.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "gemm.h"

namespace axon {

namespace {

// Products below this run on the calling thread alone (as in gemm.cc, waking a worker costs 10-30 us).
constexpr double PARALLEL_MIN_FLOPS = 2.0 * 120 * 120 * 120;
// The weight-gradient partials (one per thread) may use at most this many floats in all; beyond it, fewer chunks.
constexpr int64_t PARTIALS_MAX_FLOATS = int64_t{16} << 20;

thread_local Scratch colsBuf, colsGradBuf;

// Row-aligned windows: stride 1 and an output as wide as the input. Then output (oh, ow) of kernel tap (i, j) reads
// plane index (oh*width + ow) + delta with delta = (i*dh - ph)*width + (j*dw - pw), so a tap's whole block of the
// column matrix is one shifted run of the plane, except the few columns per row whose input column falls off the
// row's edge (they would wrap into the neighbouring row) and the rows that fall off the plane: those are padding.
// The usual padded "same" convolution is this case; it turns oh short row copies per tap into one long one.
bool row_aligned(const Window& g) { return g.sh == 1 && g.sw == 1 && g.ow == g.width; }

// For tap (i, j) of a row-aligned window: the output rows [r0, r1) and columns [lo, hi) that read inside the plane,
// delta, and the run [a, b) of the tap's block from (r0, lo) to (r1 - 1, hi - 1), whose ends read inside the plane.
struct Tap {
  int64_t r0, r1, lo, hi, delta, a, b;
  Tap(const Window& g, int64_t i, int64_t j) {
    valid_range(i * g.dh - g.ph, g.sh, g.height, g.oh, &r0, &r1);
    valid_range(j * g.dw - g.pw, g.sw, g.width, g.ow, &lo, &hi);
    delta = (i * g.dh - g.ph) * g.width + (j * g.dw - g.pw);
    a = r0 * g.ow + lo;
    b = (r1 - 1) * g.ow + hi;
  }
  bool empty() const { return r0 >= r1 || lo >= hi; }
  // Zeroes the entries of a tap's block, inside the run, whose input column is off the row's edge (the run would
  // read them from, or add them into, a neighbouring row).
  void zero_wrapped(float* block, int64_t W) const {
    for (int64_t r = r0; r < r1; r++) {
      float* row = block + r * W;
      for (int64_t ow = 0; ow < lo; ow++) row[ow] = 0.0f;
      for (int64_t ow = hi; ow < W; ow++) row[ow] = 0.0f;
    }
  }
};

// One image x [C, H, W] into cols [C*kh*kw, oh*ow]: cols[(c*kh + i)*kw + j, oh*ow + ow] = x[c, ih, iw], 0 on padding.
void im2col_image(const float* x, const Window& g, float* cols) {
  const int64_t plane = g.height * g.width, P = g.oh * g.ow;
  float* o = cols;
  for (int64_t c = 0; c < g.channels; c++) {
    const float* base = x + c * plane;
    for (int64_t i = 0; i < g.kh; i++) {
      for (int64_t j = 0; j < g.kw; j++, o += P) {
        if (row_aligned(g)) {
          const Tap t(g, i, j);
          if (t.empty()) {
            std::memset(o, 0, P * sizeof(float));
            continue;
          }
          std::memset(o, 0, t.a * sizeof(float));
          std::memcpy(o + t.a, base + t.a + t.delta, (t.b - t.a) * sizeof(float));
          std::memset(o + t.b, 0, (P - t.b) * sizeof(float));
          t.zero_wrapped(o, g.ow);
          continue;
        }
        const int64_t shiftW = j * g.dw - g.pw;
        int64_t lo, hi;
        valid_range(shiftW, g.sw, g.width, g.ow, &lo, &hi);
        float* out = o;
        for (int64_t oh = 0; oh < g.oh; oh++, out += g.ow) {
          const int64_t ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.height) {
            std::memset(out, 0, g.ow * sizeof(float));
            continue;
          }
          const float* row = base + ih * g.width + shiftW;  // input column of output ow: row[ow * sw]
          for (int64_t ow = 0; ow < lo; ow++) out[ow] = 0.0f;
          for (int64_t ow = lo; ow < hi; ow++) out[ow] = row[ow * g.sw];
          for (int64_t ow = hi; ow < g.ow; ow++) out[ow] = 0.0f;
        }
      }
    }
  }
}

// The adjoint: x [C, H, W] = the sum of the column entries read from each position (padding entries dropped).
// Row-aligned windows add each tap's block as one shifted run, after zeroing (in cols, the caller's scratch) the
// entries that fall on padding, which the run would otherwise add into a neighbouring row.
void col2im_image(float* cols, const Window& g, float* x) {
  const int64_t plane = g.height * g.width, P = g.oh * g.ow;
  std::memset(x, 0, sizeof(float) * g.channels * plane);
  float* o = cols;
  for (int64_t c = 0; c < g.channels; c++) {
    float* base = x + c * plane;
    for (int64_t i = 0; i < g.kh; i++) {
      for (int64_t j = 0; j < g.kw; j++, o += P) {
        if (row_aligned(g)) {
          const Tap t(g, i, j);
          if (t.empty()) continue;
          t.zero_wrapped(o, g.ow);
          float* __restrict dst = base + t.delta;
          const float* __restrict src = o;
          for (int64_t p = t.a; p < t.b; p++) dst[p] += src[p];
          continue;
        }
        const int64_t shiftW = j * g.dw - g.pw;
        int64_t lo, hi;
        valid_range(shiftW, g.sw, g.width, g.ow, &lo, &hi);
        const float* src = o;
        for (int64_t oh = 0; oh < g.oh; oh++, src += g.ow) {
          const int64_t ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.height) continue;
          float* __restrict row = base + ih * g.width + shiftW;
          if (g.sw == 1) {
            for (int64_t ow = lo; ow < hi; ow++) row[ow] += src[ow];
          } else {
            for (int64_t ow = lo; ow < hi; ow++) row[ow * g.sw] += src[ow];
          }
        }
      }
    }
  }
}

// A 1x1 kernel with stride 1 and no padding reads the image as it is: its column matrix is the image itself.
bool pointwise(const Window& g) {
  return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 && g.oh == g.height && g.ow == g.width;
}

// The sizes every kernel below uses.
struct Dims {
  int64_t G, O, Og, Kg, P, image, outImage;
  explicit Dims(const ConvArgs& c)
      : G(c.groups), O(c.outChannels), Og(c.outChannels / c.groups),
        Kg(c.g.channels / c.groups * c.g.kh * c.g.kw), P(c.g.oh * c.g.ow),
        image(c.g.channels * c.g.height * c.g.width), outImage(c.outChannels * c.g.oh * c.g.ow) {}
};

// One image's column matrix: the image itself for a pointwise kernel, else im2col into this thread's buffer.
const float* columns(const ConvArgs& c, const Dims& d, int64_t b) {
  const float* xb = c.x + b * d.image;
  if (pointwise(c.g)) return xb;
  float* cols = colsBuf.get(static_cast<size_t>(d.G * d.Kg * d.P));
  if (cols) im2col_image(xb, c.g, cols);
  return cols;
}

// Whether the images split across the pool, each image's GEMMs single-threaded: with at least as many images as
// threads and enough arithmetic. Otherwise the images run one after another, each GEMM on the pool if big enough.
bool split_images(const ConvArgs& c, const Dims& d, ThreadPool& pool) {
  const double flops = 2.0 * c.g.batch * d.O * d.Kg * d.P;
  return pool.size() > 1 && c.g.batch >= pool.size() && flops >= PARALLEL_MIN_FLOPS;
}

}  // namespace

bool conv2d_forward(const Kernels& K, const ConvArgs& c, const float* bias, bool relu, float* y, ThreadPool& pool) {
  const Dims d(c);
  if (c.g.batch == 0 || d.O == 0 || d.P == 0) return true;
  std::atomic<bool> ok{true};
  auto image = [&](int64_t b, ThreadPool* inner) {
    const float* cols = columns(c, d, b);
    if (!cols) return ok.store(false);
    float* yb = y + b * d.outImage;
    for (int64_t gi = 0; gi < d.G; gi++) {
      // y[gi] [Og, P] = w[gi] [Og, Kg] @ cols[gi] [Kg, P]
      GemmArgs m{c.w + gi * d.Og * d.Kg, cols + gi * d.Kg * d.P, yb + gi * d.Og * d.P, d.Og, d.P, d.Kg, d.Kg, 1, d.P, 1};
      if (!sgemm(K, m, inner)) return ok.store(false);
    }
    if (bias) {
      for (int64_t o = 0; o < d.O; o++) {
        float* __restrict row = yb + o * d.P;
        const float v = bias[o];
        for (int64_t p = 0; p < d.P; p++) row[p] += v;
      }
    }
    // relu (a convolution and its activation) while the image's output is in cache, vectorized in the kernel table.
    if (relu) K.bias_relu_rows(yb, nullptr, 1, d.outImage, true);
  };
  if (split_images(c, d, pool)) {
    pool.parallel_for(static_cast<int>(c.g.batch), [&](int b, int) { image(b, nullptr); });
  } else {
    const double flops = 2.0 * d.O * d.Kg * d.P;
    for (int64_t b = 0; b < c.g.batch; b++) image(b, flops >= PARALLEL_MIN_FLOPS ? &pool : nullptr);
  }
  return ok.load();
}

bool conv2d_backward(const Kernels& K, const ConvArgs& c, const float* gy, float* gx, float* gw, float* gb, ThreadPool& pool) {
  const Dims d(c);
  const int64_t wSize = d.O * d.Kg;
  if (gw) std::fill(gw, gw + wSize, 0.0f);
  if (gb) std::fill(gb, gb + d.O, 0.0f);
  if (c.g.batch == 0) return true;
  if (d.P == 0 || d.O == 0) {  // an empty output: nothing flows back
    if (gx) std::fill(gx, gx + c.g.batch * d.image, 0.0f);
    return true;
  }
  const bool split = split_images(c, d, pool);
  // Chunks of consecutive images, each with its own weight/bias partial sums (chunk 0 sums into gw and gb). Four
  // per thread, claimed as threads come free: with one per thread, a worker that woke late (or lost its core to
  // another process) left the caller to run its chunk after its own, all of it serially.
  int64_t chunks = split ? std::min<int64_t>(c.g.batch, 4 * pool.size()) : 1;
  if (gw) chunks = std::max<int64_t>(1, std::min<int64_t>(chunks, PARTIALS_MAX_FLOATS / std::max<int64_t>(1, wSize + d.O)));
  Scratch partialBuf;  // chunks 1.. (freed on return)
  float* partials = nullptr;
  if (chunks > 1 && (gw || gb)) {
    partials = partialBuf.get(static_cast<size_t>((chunks - 1) * (wSize + d.O)));
    if (!partials) return false;
    std::fill(partials, partials + (chunks - 1) * (wSize + d.O), 0.0f);
  }
  std::atomic<bool> ok{true};
  auto image = [&](int64_t b, float* pw, float* pb, ThreadPool* inner) {
    const float* gyb = gy + b * d.outImage;
    if (pb) {
      for (int64_t o = 0; o < d.O; o++) {
        const float* row = gyb + o * d.P;
        float s = 0.0f;
        for (int64_t p = 0; p < d.P; p++) s += row[p];
        pb[o] += s;
      }
    }
    if (pw) {
      const float* cols = columns(c, d, b);
      if (!cols) return ok.store(false);
      for (int64_t gi = 0; gi < d.G; gi++) {
        // gw[gi] [Og, Kg] += gy[gi] [Og, P] @ cols[gi]^T (cols[gi] is [Kg, P])
        GemmArgs m{gyb + gi * d.Og * d.P, cols + gi * d.Kg * d.P, pw + gi * d.Og * d.Kg, d.Og, d.Kg, d.P, d.P, 1, 1, d.P, true};
        if (!sgemm(K, m, inner)) return ok.store(false);
      }
    }
    if (gx) {
      float* gxb = gx + b * d.image;
      // The column gradient: the image gradient itself for a pointwise kernel, else this thread's buffer.
      float* gcols = pointwise(c.g) ? gxb : colsGradBuf.get(static_cast<size_t>(d.G * d.Kg * d.P));
      if (!gcols) return ok.store(false);
      for (int64_t gi = 0; gi < d.G; gi++) {
        // gcols[gi] [Kg, P] = w[gi]^T @ gy[gi] (w[gi] is [Og, Kg])
        GemmArgs m{c.w + gi * d.Og * d.Kg, gyb + gi * d.Og * d.P, gcols + gi * d.Kg * d.P, d.Kg, d.P, d.Og, 1, d.Kg, d.P, 1};
        if (!sgemm(K, m, inner)) return ok.store(false);
      }
      if (gcols != gxb) col2im_image(gcols, c.g, gxb);
    }
  };
  auto chunk = [&](int64_t q, ThreadPool* inner) {
    float* pw = q == 0 ? gw : (gw ? partials + (q - 1) * (wSize + d.O) : nullptr);
    float* pb = q == 0 ? gb : (gb ? partials + (q - 1) * (wSize + d.O) + wSize : nullptr);
    const int64_t b0 = c.g.batch * q / chunks, b1 = c.g.batch * (q + 1) / chunks;
    for (int64_t b = b0; b < b1 && ok.load(std::memory_order_relaxed); b++) image(b, pw, pb, inner);
  };
  if (chunks > 1) {
    pool.parallel_for(static_cast<int>(chunks), [&](int q, int) { chunk(q, nullptr); });
  } else {  // serial images (few, or weights too big for a partial per thread), each GEMM on the pool if worth it
    chunk(0, 2.0 * d.O * d.Kg * d.P >= PARALLEL_MIN_FLOPS ? &pool : nullptr);
  }
  if (!ok.load()) return false;
  for (int64_t q = 1; q < chunks && partials; q++) {
    const float* p = partials + (q - 1) * (wSize + d.O);
    if (gw) for (int64_t i = 0; i < wSize; i++) gw[i] += p[i];
    if (gb) for (int64_t o = 0; o < d.O; o++) gb[o] += p[wSize + o];
  }
  return true;
}

}  // namespace axon
