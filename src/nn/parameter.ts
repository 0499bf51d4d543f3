// Parameter: a Tensor that a Module owns and trains. Being a subclass is what marks it: a Module finds its
// parameters by walking its own attributes and keeping the values that are `instanceof Parameter`, so a plain
// tensor attribute (a cached constant, a mask) is never mistaken for a weight, exactly as in PyTorch.

import { Tensor } from "../tensor/tensor.js";
import { formatTensor } from "../tensor/format.js";

export class Parameter extends Tensor {
  /**
   * Wraps `data` as a leaf parameter sharing its storage (no copy). A tensor with a gradient history is cut off
   * from it, as nn.Parameter(t) does. Integer tensors cannot require gradients, so pass requiresGrad=false for them.
   */
  constructor(data: Tensor, requiresGrad = true) {
    if (!(data instanceof Tensor)) throw new TypeError(`Parameter: expected a Tensor, got ${data === null ? "null" : typeof data}`);
    super(data.data, data.shape, data.strides, data.offset);
    this.requiresGrad = requiresGrad;
  }

  override toString(): string {
    return `Parameter containing:\n${formatTensor(this)}`;
  }
}

/** Shorthand for `new Parameter(t, requiresGrad)`. */
export function parameter(data: Tensor, requiresGrad = true): Parameter {
  return new Parameter(data, requiresGrad);
}
