// Convolution kernels (Backend.conv2d and Backend.conv2dBackward in src/backend/backend.ts) and the sliding-window
// geometry they share with addon.cc's im2col, col2im and pooling.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels.h"
#include "threadpool.h"

namespace axon {

// Window2d's fields, in the interface's order: a window of kh x kw taps over a [batch, channels, height, width]
// input, stride sh/sw, padding ph/pw before the first row/column, dilation dh/dw, giving an oh x ow output.
struct Window {
  int64_t batch, channels, height, width, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
};

inline int64_t ceil_div(int64_t a, int64_t b) { return a > 0 ? (a + b - 1) / b : a / b; }  // b > 0

// The outputs ow in [lo, hi) whose column ow*stride + shift lies in [0, size) (the reference's validRange).
inline void valid_range(int64_t shift, int64_t stride, int64_t size, int64_t count, int64_t* lo, int64_t* hi) {
  *lo = std::min(count, shift >= 0 ? 0 : ceil_div(-shift, stride));
  *hi = std::max(*lo, std::min(count, ceil_div(size - shift, stride)));
}

// A convolution: x [batch, channels, height, width], w [outChannels, channels/groups, kh, kw], bias [outChannels]
// or null, y [batch, outChannels, oh, ow]; all contiguous float32, sizes checked by the caller. The backward pass
// reads x only for the weight gradient (x may be null without one).
struct ConvArgs {
  Window g;
  int64_t groups, outChannels;
  const float* x;
  const float* w;
};

// y = conv(x, w) + bias, written in full. Returns false only when a scratch buffer cannot be allocated.
bool conv2d_forward(const Kernels& K, const ConvArgs& c, const float* bias, bool relu, float* y, ThreadPool& pool);

// The gradients for the output gradient gy (shaped as y): gx (as x), gw (as w), gb ([outChannels]); each may be
// null (not wanted), and each one given is written in full.
bool conv2d_backward(const Kernels& K, const ConvArgs& c, const float* gy, float* gx, float* gw, float* gb, ThreadPool& pool);

}  // namespace axon
