// Gradient clipping, as torch.nn.utils.clip_grad_norm_ and clip_grad_value_. Both change the parameters' .grad in
// place; call them between backward() and optimizer.step().

import { Tensor } from "../tensor/tensor.js";
import { noGrad } from "../autograd/grad_mode.js";

function gradsOf(op: string, parameters: Tensor | Iterable<Tensor>): Tensor[] {
  const params = parameters instanceof Tensor ? [parameters] : [...parameters];
  params.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new TypeError(`${op}: parameters[${i}] is not a Tensor`);
  });
  return params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
}

/** ‖x‖_p of one tensor's elements, p > 0 or Infinity. */
function norm(x: ArrayLike<number>, p: number): number {
  let acc = 0;
  if (p === Infinity) {
    for (let i = 0; i < x.length; i++) acc = Math.max(acc, Math.abs(x[i]));
    return acc;
  }
  if (p === 2) {
    for (let i = 0; i < x.length; i++) acc += x[i] * x[i];
    return Math.sqrt(acc);
  }
  if (p === 1) {
    for (let i = 0; i < x.length; i++) acc += Math.abs(x[i]);
    return acc;
  }
  for (let i = 0; i < x.length; i++) acc += Math.abs(x[i]) ** p;
  return acc ** (1 / p);
}

/**
 * Scales the gradients of `parameters` so that their total norm, taken over all gradients as if concatenated into
 * one vector, is at most maxNorm. Returns the total norm before clipping, as a 0-d tensor (float64 when all
 * gradients are float64, float32 otherwise). As in PyTorch:
 *   total = ‖(‖g_1‖_p, …, ‖g_n‖_p)‖_p          (the max of the |g| when normType is Infinity)
 *   g_i <- g_i · min(1, maxNorm / (total + 1e-6))
 * Parameters without a gradient are skipped. errorIfNonfinite throws when the total is NaN or infinite (otherwise
 * the gradients become NaN, as in PyTorch).
 */
export function clipGradNorm_(parameters: Tensor | Iterable<Tensor>, maxNorm: number, normType = 2, errorIfNonfinite = false): Tensor {
  if (typeof maxNorm !== "number" || Number.isNaN(maxNorm)) throw new TypeError(`clipGradNorm_: maxNorm must be a number, got ${String(maxNorm)}`);
  if (typeof normType !== "number" || !(normType > 0)) throw new RangeError(`clipGradNorm_: normType must be a positive number or Infinity, got ${String(normType)}`);
  const grads = gradsOf("clipGradNorm_", parameters);
  const dtype = grads.length > 0 && grads.every((g) => g.dtype === "float64") ? "float64" : "float32";
  if (grads.length === 0) return new Tensor(new Float32Array(1), []);
  const norms = grads.map((g) => norm(g.toTypedArray(), normType));
  const total = norm(norms, normType);
  if (errorIfNonfinite && !Number.isFinite(total)) {
    throw new Error(`clipGradNorm_: the total norm of order ${normType} of the gradients is ${total}, so they cannot be clipped (errorIfNonfinite is set)`);
  }
  const coef = Math.min(maxNorm / (total + 1e-6), 1);
  noGrad(() => {
    for (const g of grads) g.mul_(coef);
  });
  const out = new Tensor(dtype === "float64" ? new Float64Array(1) : new Float32Array(1), []);
  out.data[0] = total;
  return out;
}

/** Clamps every gradient element of `parameters` into [−clipValue, clipValue], in place. */
export function clipGradValue_(parameters: Tensor | Iterable<Tensor>, clipValue: number): void {
  if (typeof clipValue !== "number" || Number.isNaN(clipValue)) throw new TypeError(`clipGradValue_: clipValue must be a number, got ${String(clipValue)}`);
  const grads = gradsOf("clipGradValue_", parameters);
  const c = Math.abs(clipValue);
  noGrad(() => {
    for (const g of grads) g.copy_(g.clamp(-c, c));
  });
}
