// Sorting and scans along the middle axis of a contiguous [outer, size, inner] array (see Backend.sort, cumsum).

import type { TypedArray } from "../../tensor/dtype.js";

/**
 * Sorts each line x[o, :, i] and writes its first k entries, in order, to values[o, :k, i] and their positions in
 * the line to indices[o, :k, i]. NaN sorts above every number (last ascending, first descending), and equal values
 * keep their order in the line (a stable sort).
 */
export function sort(x: TypedArray, outer: number, size: number, inner: number, k: number, descending: boolean,
  values: TypedArray, indices: Int32Array): void {
  const line = new Float64Array(size);
  const order = new Array<number>(size);
  // NaN first for descending, last for ascending; ties by position either way.
  const up = (a: number, b: number): number => {
    const va = line[a], vb = line[b];
    if (va < vb) return -1;
    if (va > vb) return 1;
    const na = va !== va, nb = vb !== vb;
    if (na !== nb) return na ? 1 : -1;
    return a - b;
  };
  const down = (a: number, b: number): number => {
    const va = line[a], vb = line[b];
    if (va > vb) return -1;
    if (va < vb) return 1;
    const na = va !== va, nb = vb !== vb;
    if (na !== nb) return na ? -1 : 1;
    return a - b;
  };
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      for (let j = 0; j < size; j++) {
        line[j] = x[base + j * inner];
        order[j] = j;
      }
      order.sort(descending ? down : up);
      const outBase = o * k * inner + i;
      for (let j = 0; j < k; j++) {
        values[outBase + j * inner] = x[base + order[j] * inner];
        indices[outBase + j * inner] = order[j];
      }
    }
  }
}

/** Running sums along each line: out[o, j, i] = the sum of x[o, 0..j, i] (x[o, j..size-1, i] when `reverse`),
 *  accumulated in float64 whatever the dtype, as PyTorch's CPU cumsum does for float32. */
export function cumsum(x: TypedArray, outer: number, size: number, inner: number, out: TypedArray, reverse: boolean): void {
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    const base = o * size * inner;
    for (let s = 0; s < size; s++) {
      const row = base + (reverse ? size - 1 - s : s) * inner;
      for (let i = 0; i < inner; i++) {
        acc[i] += x[row + i];
        out[row + i] = acc[i];
      }
    }
  }
}
