// gradcheck: compares the gradients autograd computes with central finite differences, in float64.
// For an output y = fn(inputs), it checks every entry of the Jacobian dy/dx for every input that requires grad:
// one backward pass per output element gives a row, two forward passes per input element give a column.

import type { Tensor } from "../tensor/tensor.js";
import { fmt } from "../tensor/shape.js";
import { noGrad } from "./grad_mode.js";
import { checkOptionKeys, optionKeys } from "../util/options.js";

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Throw a descriptive error on mismatch (default), or return false. */
  raiseException?: boolean;
}

const GRADCHECK_OPTION_KEYS = optionKeys<GradcheckOptions>({ eps: true, atol: true, rtol: true, raiseException: true });

export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], opts: GradcheckOptions = {}): boolean {
  checkOptionKeys("gradcheck", opts, GRADCHECK_OPTION_KEYS);
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3, raiseException = true } = opts;
  const checked = inputs.filter((x) => x.requiresGrad);
  if (checked.length === 0) throw new Error("gradcheck: no input requires grad, so there is nothing to check");
  for (const x of checked) {
    if (x.dtype !== "float64") throw new TypeError(`gradcheck: inputs must be float64 for finite differences to be meaningful, got ${x.dtype} (shape ${fmt(x.shape)})`);
    if (!x.isLeaf) throw new Error("gradcheck: inputs must be leaf tensors");
    if (!x.isContiguous()) throw new Error("gradcheck: inputs must be contiguous");
  }
  const y0 = fn(...inputs);
  const nOut = y0.numel();

  // Analytic Jacobian, one row per output element.
  const analytic = checked.map((x) => new Float64Array(nOut * x.numel()));
  for (let o = 0; o < nOut; o++) {
    for (const x of checked) x.grad = null;
    const y = fn(...inputs);
    if (!y.requiresGrad) {
      // The output does not depend on any input: all derivatives are zero.
      continue;
    }
    const seed = y.zerosLike();
    seed.data[o] = 1;
    y.backward(seed);
    checked.forEach((x, j) => {
      const g = x.grad;
      if (g) {
        const gd = g.contiguous().toTypedArray();
        for (let i = 0; i < gd.length; i++) analytic[j][o * x.numel() + i] = gd[i];
      }
    });
  }
  for (const x of checked) x.grad = null;

  // Numeric Jacobian by central differences on each input element, comparing as we go.
  for (let j = 0; j < checked.length; j++) {
    const x = checked[j];
    const n = x.numel();
    for (let i = 0; i < n; i++) {
      const at = x.offset + i;
      const orig = x.data[at];
      const [plus, minus] = noGrad(() => {
        x.data[at] = orig + eps;
        const p = fn(...inputs).contiguous().toTypedArray().slice();
        x.data[at] = orig - eps;
        const m = fn(...inputs).contiguous().toTypedArray().slice();
        x.data[at] = orig;
        return [p, m];
      });
      for (let o = 0; o < nOut; o++) {
        const numeric = (plus[o] - minus[o]) / (2 * eps);
        const a = analytic[j][o * n + i];
        if (!(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric))) {
          const msg = `gradcheck: Jacobian mismatch for input ${inputs.indexOf(x)} (shape ${fmt(x.shape)}), element ${i}, output element ${o}: analytic ${a}, numeric ${numeric}`;
          if (raiseException) throw new Error(msg);
          return false;
        }
      }
    }
  }
  return true;
}
