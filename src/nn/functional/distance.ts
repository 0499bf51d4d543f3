// Vector normalization and similarity, as torch.nn.functional's normalize and cosine_similarity: both divide by a
// norm clamped below at eps, but they clamp differently (see cosineSimilarity), and the difference shows in the
// gradient at small norms.

import { record } from "../../autograd/graph.js";
import { noGrad } from "../../autograd/grad_mode.js";
import { isFloat } from "../../tensor/dtype.js";
import { broadcastShapes, normalizeDim, sameShape } from "../../tensor/shape.js";
import { Tensor } from "../../tensor/tensor.js";
import { where } from "../../ops/elementwise.js";
import { checkOptionKeys, optionKeys } from "../../util/options.js";

export interface NormalizeOptions {
  /** The exponent of the norm (default 2; Infinity for the max norm). */
  p?: number;
  /** The dimension whose vectors are normalised (default 1). */
  dim?: number;
  /** The smallest divisor, so a zero vector stays zero (default 1e-12). */
  eps?: number;
}

export interface CosineSimilarityOptions {
  /** The dimension along which the vectors lie (default 1); it is reduced away. */
  dim?: number;
  /** The smallest norm each vector is divided by (default 1e-8). */
  eps?: number;
}

export const NORMALIZE_OPTION_KEYS = optionKeys<NormalizeOptions>({ p: true, dim: true, eps: true });
export const COSINE_SIMILARITY_OPTION_KEYS = optionKeys<CosineSimilarityOptions>({ dim: true, eps: true });

function checkFloatTensor(op: string, name: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: ${name} must be a Tensor, got ${t === null ? "null" : typeof t}`);
  if (!isFloat(t.dtype)) throw new TypeError(`${op}: ${name} must be floating point, got ${t.dtype}; use .float()`);
}

function checkEps(op: string, eps: unknown): asserts eps is number {
  if (typeof eps !== "number" || !(eps >= 0)) throw new RangeError(`${op}: eps must be a non-negative number, got ${String(eps)}`);
}

/**
 * x / max(||x||_p, eps) along `dim`: each vector scaled to unit p-norm. The clamp is an ordinary one, as in
 * PyTorch: where the norm is below eps the divisor is the constant eps and no gradient flows through the norm.
 */
export function normalize(input: Tensor, opts: NormalizeOptions = {}): Tensor {
  const op = "normalize";
  checkOptionKeys(op, opts, NORMALIZE_OPTION_KEYS);
  const { p = 2, dim = 1, eps = 1e-12 } = opts;
  checkFloatTensor(op, "input", input);
  if (typeof p !== "number" || Number.isNaN(p)) throw new TypeError(`${op}: p must be a number (Infinity for the max norm), got ${String(p)}`);
  checkEps(op, eps);
  const d = normalizeDim(op, dim, input.ndim);
  return input.div(input.norm(p, d, true).clamp(eps));
}

/**
 * max(||x||, eps) along `dim` (kept), with the gradient PyTorch 1.13's cosine_similarity gives it: x / max(||x||, eps).
 * PyTorch clamps the computed norm in place, outside autograd, and the norm's backward then reads the clamped value
 * in place of ||x||. Above eps that is the norm's own gradient x / ||x||; below it the value is eps but the gradient
 * is x / eps, not 0 as an ordinary clamp would give (checked against torch 1.13 at small norms in the fixtures).
 */
function clampedNorm(x: Tensor, dim: number, eps: number): Tensor {
  const out = noGrad(() => x.norm(2, dim, true).clamp(eps));
  // Only with eps = 0 can the divisor be 0: a zero vector, whose norm has gradient 0 (PyTorch masks it the same way).
  return record("cosineSimilarityNorm", out, [x], (g) => [where(out.eq(0), 0, g.div(out)).mul(x)]);
}

/**
 * Cosine of the angle between the vectors of x1 and x2 along `dim` (the two broadcast to one shape first). PyTorch
 * 1.13 computes it as sum((x1 / max(||x1||, eps)) * (x2 / max(||x2||, eps))), each norm clamped on its own: its
 * documentation's x1 . x2 / max(||x1|| ||x2||, eps) is not what it computes (two vectors of norm 1e-5 have
 * similarity 1 here, 0.01 by that formula). At norms below eps the gradient follows PyTorch's, not the derivative
 * of this formula (see clampedNorm).
 */
export function cosineSimilarity(x1: Tensor, x2: Tensor, opts: CosineSimilarityOptions = {}): Tensor {
  const op = "cosineSimilarity";
  checkOptionKeys(op, opts, COSINE_SIMILARITY_OPTION_KEYS);
  const { dim = 1, eps = 1e-8 } = opts;
  checkFloatTensor(op, "x1", x1);
  checkFloatTensor(op, "x2", x2);
  checkEps(op, eps);
  const shape = broadcastShapes(op, x1.shape, x2.shape);
  const d = normalizeDim(op, dim, shape.length);
  // Expanded before the norms: a size-1 dim broadcast along `dim` counts once per copy, as in PyTorch.
  const a = sameShape(x1.shape, shape) ? x1 : x1.expand(shape);
  const b = sameShape(x2.shape, shape) ? x2 : x2.expand(shape);
  const na = clampedNorm(a, d, eps);
  const nb = clampedNorm(b, d, eps);
  return a.div(na).mul(b.div(nb)).sum(d);
}
