import type { ArgReduceOp, ReduceOp } from "../backend.js";
import type { TypedArray } from "../../tensor/dtype.js";

// x is contiguous [outer, size, inner]; out is [outer, inner]. Sums accumulate in float64 whatever the dtype,
// which is at least as accurate as PyTorch's pairwise float32 sums.
export function reduce(op: ReduceOp, x: TypedArray, outer: number, size: number, inner: number, out: TypedArray): void {
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * size * inner;
    if (op === "sum" || op === "prod") {
      acc.fill(op === "sum" ? 0 : 1);
      for (let j = 0; j < size; j++) {
        const row = base + j * inner;
        if (op === "sum") for (let i = 0; i < inner; i++) acc[i] += x[row + i];
        else for (let i = 0; i < inner; i++) acc[i] *= x[row + i];
      }
    } else {
      const isMax = op === "max";
      for (let i = 0; i < inner; i++) acc[i] = x[base + i];
      for (let j = 1; j < size; j++) {
        const row = base + j * inner;
        for (let i = 0; i < inner; i++) {
          const v = x[row + i], a = acc[i];
          if (a !== a) continue; // NaN wins and stays, as in PyTorch
          if (v !== v || (isMax ? v > a : v < a)) acc[i] = v;
        }
      }
    }
    out.set(acc, o * inner);
  }
}

export function argReduce(op: ArgReduceOp, x: TypedArray, outer: number, size: number, inner: number, out: Int32Array): void {
  const isMax = op === "argmax";
  for (let o = 0; o < outer; o++) {
    const base = o * size * inner;
    for (let i = 0; i < inner; i++) {
      let best = x[base + i], at = 0;
      for (let j = 1; j < size && best === best; j++) {
        const v = x[base + j * inner + i];
        if (v !== v || (isMax ? v > best : v < best)) { best = v; at = j; }
      }
      out[o * inner + i] = at;
    }
  }
}
