// Linear (y = x W^T + b) and Identity.

import type { Tensor } from "../tensor/tensor.js";
import type { DType } from "../tensor/dtype.js";
import { zeros } from "../ops/creation.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import { linear, linearRelu } from "./functional/linear.js";
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from "./init.js";
import { checkOptionKeys, optionKeys } from "../util/options.js";

export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  dtype?: DType;
}

const LINEAR_OPTION_KEYS = optionKeys<LinearOptions>({ bias: true, dtype: true });

/** Applies y = x W^T + b to the last dimension: input [..., inFeatures], output [..., outFeatures]. */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Shape [outFeatures, inFeatures], as in PyTorch, so saved weights load there unchanged. */
  weight: Parameter;
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    checkOptionKeys("Linear", opts, LINEAR_OPTION_KEYS);
    const { bias = true, dtype = "float32" } = opts;
    for (const [name, v] of [["inFeatures", inFeatures], ["outFeatures", outFeatures]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`Linear: ${name} must be a non-negative integer, got ${v}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = new Parameter(zeros([outFeatures, inFeatures], { dtype }));
    this.bias = bias ? new Parameter(zeros([outFeatures], { dtype })) : null;
    this.resetParameters();
  }

  /**
   * PyTorch's default: kaimingUniform_ with a = sqrt(5), which works out to W ~ U(-1/sqrt(inFeatures),
   * 1/sqrt(inFeatures)), and the bias from the same range.
   */
  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias !== null) {
      const [fanIn] = calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform_(this.bias, -bound, bound);
    }
  }

  override forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  /** relu(forward(x)) as one op (linearRelu): what nn.Sequential runs for a Linear followed by a ReLU. */
  forwardRelu(x: Tensor): Tensor {
    return linearRelu(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/** Returns its input unchanged: a placeholder where a layer is optional. */
export class Identity extends Module {
  override forward(x: Tensor): Tensor {
    return x;
  }
}
