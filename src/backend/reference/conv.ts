// Sliding-window kernels: convolution, im2col and its adjoint col2im, and max pooling.
//
// Convolution is defined image by image as im2col + matmul (Caffe's formulation): one image's receptive fields
// unfold into the columns of a [channels*kernelH*kernelW, outH*outW] matrix, and the image's output [outChannels,
// outH*outW] is W [outChannels, channels*kernelH*kernelW] @ cols, one GEMM per group. The gradients are products
// of the same operands (gW += gY @ cols^T, gCols = W^T @ gY) and col2im folds gCols back onto the image.
//
// im2col and col2im walk one column row (channel c, kernel offset i, j) at a time: for a fixed row the input column read by
// output ow is ow*strideW + (j*dilationW - padW), so the range of ow that lands inside the input is computed once
// per (row, oh) and the inner loop has no bounds test.

import type { Conv2dGeometry, Window2d } from "../backend.js";
import { allocate, dtypeOfArray, type TypedArray } from "../../tensor/dtype.js";
import { matmul } from "./matmul.js";
import { unary } from "./elementwise.js";

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

/** The sizes of one group's GEMMs: outputs per group Og, column rows per group Kg, output positions P. */
function convSizes(g: Conv2dGeometry) {
  const { groups, outChannels, channels, kernelH, kernelW, height, width, outH, outW } = g;
  const Og = outChannels / groups, Kg = (channels / groups) * kernelH * kernelW, P = outH * outW;
  return { Og, Kg, P, image: channels * height * width, outImage: outChannels * P, one: { ...g, batch: 1 } };
}

export function conv2d(x: TypedArray, w: TypedArray, bias: TypedArray | null, g: Conv2dGeometry, out: TypedArray, relu = false): void {
  const { Og, Kg, P, image, outImage, one } = convSizes(g);
  const cols = allocate(dtypeOfArray(x), g.groups * Kg * P);
  for (let b = 0; b < g.batch; b++) {
    im2col(x.subarray(b * image, (b + 1) * image), one, cols);
    const y = out.subarray(b * outImage, (b + 1) * outImage);
    // y[gi] [Og, P] = W[gi] [Og, Kg] @ cols[gi] [Kg, P], for every group gi in one batched call.
    matmul(w, cols, y, { batch: g.groups, m: Og, n: P, k: Kg, transA: false, transB: false, aOffset: 0, bOffset: 0, aBatchStride: Og * Kg, bBatchStride: Kg * P });
    if (bias !== null) {
      for (let o = 0; o < g.outChannels; o++) {
        const v = bias[o];
        for (let p = o * P; p < (o + 1) * P; p++) y[p] += v;
      }
    }
    if (relu) unary("relu", y, y);
  }
}

export function conv2dBackward(x: TypedArray | null, w: TypedArray, gy: TypedArray, g: Conv2dGeometry, gx: TypedArray | null, gw: TypedArray | null, gb: TypedArray | null): void {
  const { Og, Kg, P, image, outImage, one } = convSizes(g);
  if (gw !== null && x === null) throw new Error("conv2dBackward: the weight gradient needs the input x");
  const dt = dtypeOfArray(w), G = g.groups;
  const cols = gw === null ? null : allocate(dt, G * Kg * P);
  const gwImage = gw === null ? null : allocate(dt, G * Og * Kg);
  const gcols = gx === null ? null : allocate(dt, G * Kg * P);
  gw?.fill(0, 0, G * Og * Kg);
  gb?.fill(0, 0, g.outChannels);
  for (let b = 0; b < g.batch; b++) {
    const gyb = gy.subarray(b * outImage, (b + 1) * outImage);
    if (gb !== null) {
      for (let o = 0; o < g.outChannels; o++) {
        let s = 0;
        for (let p = o * P; p < (o + 1) * P; p++) s += gyb[p];
        gb[o] += s;
      }
    }
    if (gw !== null) {
      // gW[gi] += gY[gi] [Og, P] @ cols[gi]^T; cols[gi] is stored [Kg, P], the transposed layout transB reads.
      im2col(x!.subarray(b * image, (b + 1) * image), one, cols!);
      matmul(gyb, cols!, gwImage!, { batch: G, m: Og, n: Kg, k: P, transA: false, transB: true, aOffset: 0, bOffset: 0, aBatchStride: Og * P, bBatchStride: Kg * P });
      for (let i = 0; i < gwImage!.length; i++) gw[i] += gwImage![i];
    }
    if (gx !== null) {
      // gCols[gi] = W[gi]^T @ gY[gi]; W[gi] is stored [Og, Kg], the transposed layout transA reads.
      matmul(w, gyb, gcols!, { batch: G, m: Kg, n: P, k: Og, transA: true, transB: false, aOffset: 0, bOffset: 0, aBatchStride: Og * Kg, bBatchStride: Og * P });
      col2im(gcols!, one, gx.subarray(b * image, (b + 1) * image));
    }
  }
}
