// softmax and log-softmax along one axis, in float64, rounded once into the output. The shift by the line's
// maximum keeps exp from overflowing. An infinite maximum makes the line NaN, as in PyTorch: +inf - +inf is NaN,
// and so is -inf - -inf in a line of -inf.

import type { TypedArray } from "../../tensor/dtype.js";

export function softmax(x: TypedArray, outer: number, size: number, inner: number, out: TypedArray, log: boolean): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let mx = -Infinity;
      for (let j = 0, at = base; j < size; j++, at += inner) {
        const v = x[at];
        if (v !== v || mx !== mx) mx = NaN;
        else if (v > mx) mx = v;
      }
      const shift = mx;
      let sum = 0;
      for (let j = 0, at = base; j < size; j++, at += inner) sum += Math.exp(x[at] - shift);
      if (log) {
        const lse = Math.log(sum);
        for (let j = 0, at = base; j < size; j++, at += inner) out[at] = x[at] - shift - lse;
      } else {
        for (let j = 0, at = base; j < size; j++, at += inner) out[at] = Math.exp(x[at] - shift) / sum;
      }
    }
  }
}
