// Inverted dropout: during training each element is zeroed with probability p and the survivors are scaled by
// 1/(1-p), so the expected value is unchanged and evaluation needs no rescaling.

import { Tensor } from "../../tensor/tensor.js";
import { allocateUninitialized, isFloat } from "../../tensor/dtype.js";
import { defaultGenerator, type Generator } from "../../tensor/random.js";
import { sliceDims, ShapeError, fmt, numel } from "../../tensor/shape.js";

export function checkDropoutP(op: string, p: number): void {
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) throw new RangeError(`${op}: dropout probability must be between 0 and 1, got ${p}`);
}

/** Zeroes elements with probability p when training (mask drawn from `generator`, the global one by default). */
export function dropout(x: Tensor, p = 0.5, training = true, generator: Generator = defaultGenerator): Tensor {
  checkDropoutP("dropout", p);
  if (!isFloat(x.dtype)) throw new TypeError(`dropout: input must be floating point, got ${x.dtype}`);
  if (!training || p === 0) return x;
  const n = x.numel();
  const mask = allocateUninitialized(x.dtype, n);
  // p = 1 drops everything (scale would be infinite); the mask is all zeros and so is the gradient.
  const scale = p === 1 ? 0 : 1 / (1 - p);
  for (let i = 0; i < n; i++) mask[i] = generator.random() < p ? 0 : scale;
  return x.mul(new Tensor(mask, x.shape));
}

/**
 * Channel dropout: zeroes whole feature maps of input [N, C, H, W] (or unbatched [C, H, W]) with probability p and
 * scales the kept ones by 1/(1-p). Neighbouring pixels are strongly correlated, so dropping single pixels barely
 * regularises a conv net; dropping channels does.
 */
export function dropout2d(x: Tensor, p = 0.5, training = true, generator: Generator = defaultGenerator): Tensor {
  checkDropoutP("dropout2d", p);
  if (!isFloat(x.dtype)) throw new TypeError(`dropout2d: input must be floating point, got ${x.dtype}`);
  if (x.ndim !== 3 && x.ndim !== 4) throw new ShapeError(`dropout2d: expected a 3-D (unbatched) [C, H, W] or 4-D [N, C, H, W] input, got shape ${fmt(x.shape)}`);
  if (!training || p === 0) return x;
  const maskShape = [...sliceDims(x.shape, 0, -2), 1, 1];
  const n = numel(maskShape);
  const mask = allocateUninitialized(x.dtype, n);
  const scale = p === 1 ? 0 : 1 / (1 - p);
  for (let i = 0; i < n; i++) mask[i] = generator.random() < p ? 0 : scale;
  return x.mul(new Tensor(mask, maskShape));
}
