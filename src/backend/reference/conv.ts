// Sliding-window kernels: im2col and its adjoint col2im (convolution is im2col + matmul), and max pooling.
// Each walks one column row (channel c, kernel offset i, j) at a time: for a fixed row the input column read by
// output ow is ow*strideW + (j*dilationW - padW), so the range of ow that lands inside the input is computed once
// per (row, oh) and the inner loop has no bounds test.

import type { Window2d } from "../backend.js";
import type { TypedArray } from "../../tensor/dtype.js";

/** The first ow whose column ow*stride + shift is >= 0, and the end of those < size: [lo, hi). */
function validRange(shift: number, stride: number, size: number, count: number): [number, number] {
  const lo = Math.min(count, shift >= 0 ? 0 : Math.ceil(-shift / stride));
  return [lo, Math.max(lo, Math.min(count, Math.ceil((size - shift) / stride)))];
}

export function im2col(x: TypedArray, g: Window2d, out: TypedArray): void {
  const { batch, channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW, outH, outW } = g;
  const L = batch * outH * outW, plane = height * width;
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < kernelH; i++) {
      for (let j = 0; j < kernelW; j++) {
        const shiftW = j * dilationW - padW;
        const [lo, hi] = validRange(shiftW, strideW, width, outW);
        let o = ((c * kernelH + i) * kernelW + j) * L;
        for (let b = 0; b < batch; b++) {
          const base = (b * channels + c) * plane;
          for (let oh = 0; oh < outH; oh++) {
            const ih = oh * strideH - padH + i * dilationH;
            if (ih < 0 || ih >= height) { out.fill(0, o, o + outW); o += outW; continue; }
            const row = base + ih * width + shiftW;
            let ow = 0;
            for (; ow < lo; ow++) out[o++] = 0;
            for (let src = row + ow * strideW; ow < hi; ow++, src += strideW) out[o++] = x[src];
            for (; ow < outW; ow++) out[o++] = 0;
          }
        }
      }
    }
  }
}

export function col2im(cols: TypedArray, g: Window2d, out: TypedArray): void {
  const { batch, channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW, outH, outW } = g;
  const L = batch * outH * outW, plane = height * width;
  out.fill(0, 0, batch * channels * plane);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < kernelH; i++) {
      for (let j = 0; j < kernelW; j++) {
        const shiftW = j * dilationW - padW;
        const [lo, hi] = validRange(shiftW, strideW, width, outW);
        let o = ((c * kernelH + i) * kernelW + j) * L;
        for (let b = 0; b < batch; b++) {
          const base = (b * channels + c) * plane;
          for (let oh = 0; oh < outH; oh++, o += outW) {
            const ih = oh * strideH - padH + i * dilationH;
            if (ih < 0 || ih >= height) continue;
            const row = base + ih * width + shiftW;
            for (let ow = lo, dst = row + lo * strideW; ow < hi; ow++, dst += strideW) out[dst] += cols[o + ow];
          }
        }
      }
    }
  }
}

export function maxPool2dBackward(gy: TypedArray, indices: Int32Array, g: Window2d, gx: TypedArray): void {
  const planes = g.batch * g.channels, plane = g.height * g.width, P = g.outH * g.outW;
  gx.fill(0, 0, planes * plane);
  for (let p = 0, o = 0; p < planes; p++) {
    const base = p * plane;
    for (let j = 0; j < P; j++, o++) gx[base + indices[o]] += gy[o];
  }
}

export function maxPool2d(x: TypedArray, g: Window2d, out: TypedArray, indices: Int32Array): void {
  const { batch, channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW, outH, outW } = g;
  const plane = height * width;
  let o = 0;
  for (let p = 0; p < batch * channels; p++) {
    const base = p * plane;
    for (let oh = 0; oh < outH; oh++) {
      const h0 = oh * strideH - padH;
      for (let ow = 0; ow < outW; ow++, o++) {
        const w0 = ow * strideW - padW;
        let best = -Infinity, at = -1;
        for (let i = 0; i < kernelH; i++) {
          const ih = h0 + i * dilationH;
          if (ih < 0 || ih >= height) continue;
          for (let j = 0; j < kernelW; j++) {
            const iw = w0 + j * dilationW;
            if (iw < 0 || iw >= width) continue;
            const v = x[base + ih * width + iw];
            // As PyTorch: a NaN wins (and stays), so NaN propagates; otherwise the first strict maximum.
            if (at < 0 || v > best || (v !== v && best === best)) { best = v; at = ih * width + iw; }
          }
        }
        // A window with no position inside the input (only possible with odd dilations) reads -inf at index 0.
        out[o] = best;
        indices[o] = at < 0 ? 0 : at;
      }
    }
  }
}
