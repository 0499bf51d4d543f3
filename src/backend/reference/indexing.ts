import type { View } from "../backend.js";
import type { TypedArray } from "../../tensor/dtype.js";

export function indexSelect(x: TypedArray, outer: number, size: number, inner: number, index: Int32Array, out: TypedArray): void {
  const m = index.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const src = (o * size + index[j]) * inner;
      out.set(x.subarray(src, src + inner), (o * m + j) * inner);
    }
  }
}

export function indexAdd(out: TypedArray, outer: number, size: number, inner: number, index: Int32Array, src: TypedArray): void {
  const m = index.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const dst = (o * size + index[j]) * inner, s = (o * m + j) * inner;
      for (let i = 0; i < inner; i++) out[dst + i] += src[s + i];
    }
  }
}

// Visits every position of `shape` in row-major order, passing its flat position and multi-index.
function forEachIndex(shape: readonly number[], body: (flat: number, idx: number[]) => void): void {
  const total = shape.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(shape.length).fill(0);
  for (let f = 0; f < total; f++) {
    body(f, idx);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

export function gather(x: View, dim: number, index: Int32Array, indexShape: readonly number[], out: TypedArray): void {
  const X = x.data, s = x.strides;
  forEachIndex(indexShape, (f, idx) => {
    let off = x.offset;
    for (let d = 0; d < idx.length; d++) off += (d === dim ? index[f] : idx[d]) * s[d];
    out[f] = X[off];
  });
}

export function scatterAdd(out: TypedArray, outShape: readonly number[], dim: number, index: Int32Array, indexShape: readonly number[], src: TypedArray): void {
  forEachTarget(outShape, dim, index, indexShape, (off, f) => { out[off] += src[f]; });
}

export function scatter(out: TypedArray, outShape: readonly number[], dim: number, index: Int32Array, indexShape: readonly number[], src: TypedArray): void {
  forEachTarget(outShape, dim, index, indexShape, (off, f) => { out[off] = src[f]; });
}

// Visits each position f of the index (row-major) with the flat offset in the contiguous output that it targets.
function forEachTarget(outShape: readonly number[], dim: number, index: Int32Array, indexShape: readonly number[], body: (off: number, f: number) => void): void {
  const strides = new Array<number>(outShape.length);
  for (let d = outShape.length - 1, acc = 1; d >= 0; d--) { strides[d] = acc; acc *= outShape[d]; }
  forEachIndex(indexShape, (f, idx) => {
    let off = 0;
    for (let d = 0; d < idx.length; d++) off += (d === dim ? index[f] : idx[d]) * strides[d];
    body(off, f);
  });
}
