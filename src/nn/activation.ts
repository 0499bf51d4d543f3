// Activation layers: thin modules over the functions in src/ops/activation.ts, with PyTorch's options and defaults.

import type { Tensor } from "../tensor/tensor.js";
import type { DType } from "../tensor/dtype.js";
import * as A from "../ops/activation.js";
import { full } from "../ops/creation.js";
import { noGrad } from "../autograd/grad_mode.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import { checkOptionKeys, optionKeys } from "../util/options.js";

export class Sigmoid extends Module {
  override forward(x: Tensor): Tensor { return A.sigmoid(x); }
}

export class Tanh extends Module {
  override forward(x: Tensor): Tensor { return A.tanh(x); }
}

export class ReLU extends Module {
  override forward(x: Tensor): Tensor { return A.relu(x); }
}

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) { super(); }
  override forward(x: Tensor): Tensor { return A.leakyRelu(x, this.negativeSlope); }
  override extraRepr(): string { return `negativeSlope=${this.negativeSlope}`; }
}

export class ELU extends Module {
  constructor(readonly alpha = 1) { super(); }
  override forward(x: Tensor): Tensor { return A.elu(x, this.alpha); }
  override extraRepr(): string { return `alpha=${this.alpha}`; }
}

export class SELU extends Module {
  override forward(x: Tensor): Tensor { return A.selu(x); }
}

export class GELU extends Module {
  /** "none" (the exact x * Phi(x), default) or "tanh" (the tanh approximation). */
  constructor(readonly approximate: "none" | "tanh" = "none") {
    super();
    if (approximate !== "none" && approximate !== "tanh") throw new TypeError(`GELU: approximate must be "none" or "tanh", got ${JSON.stringify(approximate)}`);
  }
  override forward(x: Tensor): Tensor { return A.gelu(x, this.approximate); }
  override extraRepr(): string { return `approximate="${this.approximate}"`; }
}

export class SiLU extends Module {
  override forward(x: Tensor): Tensor { return A.silu(x); }
}

export class Softplus extends Module {
  /** log(1 + exp(beta x)) / beta, linear where beta x > threshold. */
  constructor(readonly beta = 1, readonly threshold = 20) { super(); }
  override forward(x: Tensor): Tensor { return A.softplus(x, this.beta, this.threshold); }
  override extraRepr(): string { return `beta=${this.beta}, threshold=${this.threshold}`; }
}

export class Mish extends Module {
  override forward(x: Tensor): Tensor { return A.mish(x); }
}

export class Hardtanh extends Module {
  constructor(readonly minVal = -1, readonly maxVal = 1) {
    super();
    if (!(minVal < maxVal)) throw new RangeError(`Hardtanh: minVal must be below maxVal, got ${minVal} and ${maxVal}`);
  }
  override forward(x: Tensor): Tensor { return A.hardtanh(x, this.minVal, this.maxVal); }
  override extraRepr(): string { return `minVal=${this.minVal}, maxVal=${this.maxVal}`; }
}

export class ReLU6 extends Module {
  override forward(x: Tensor): Tensor { return A.relu6(x); }
}

export class Hardsigmoid extends Module {
  override forward(x: Tensor): Tensor { return A.hardsigmoid(x); }
}

export class Hardswish extends Module {
  override forward(x: Tensor): Tensor { return A.hardswish(x); }
}

/** Softmax along `dim` (required: PyTorch's implicit choice of dim is deprecated). */
export class Softmax extends Module {
  constructor(readonly dim: number) { super(); }
  override forward(x: Tensor): Tensor { return A.softmax(x, this.dim); }
  override extraRepr(): string { return `dim=${this.dim}`; }
}

/** logSoftmax along `dim`; pair it with NLLLoss, or use CrossEntropyLoss on the logits directly. */
export class LogSoftmax extends Module {
  constructor(readonly dim: number) { super(); }
  override forward(x: Tensor): Tensor { return A.logSoftmax(x, this.dim); }
  override extraRepr(): string { return `dim=${this.dim}`; }
}

/** softmax(-x) along `dim` (required, as for Softmax). */
export class Softmin extends Module {
  constructor(readonly dim: number) { super(); }
  override forward(x: Tensor): Tensor { return A.softmin(x, this.dim); }
  override extraRepr(): string { return `dim=${this.dim}`; }
}

export class LogSigmoid extends Module {
  override forward(x: Tensor): Tensor { return A.logsigmoid(x); }
}

export class Softsign extends Module {
  override forward(x: Tensor): Tensor { return A.softsign(x); }
}

export interface PReLUOptions {
  dtype?: DType;
}

const PRELU_OPTION_KEYS = optionKeys<PReLUOptions>({ dtype: true });

/**
 * ReLU with a learnt slope for negative inputs: one slope shared by every element (numParameters 1, the default) or
 * one per channel (dimension 1 of the input). The slopes are the parameter "weight", shape [numParameters], each
 * starting at `init` (0.25), as in PyTorch, whose documentation advises against weight decay on them.
 */
export class PReLU extends Module {
  readonly numParameters: number;
  readonly init: number;
  weight: Parameter;

  constructor(numParameters = 1, init = 0.25, opts: PReLUOptions = {}) {
    super();
    checkOptionKeys("PReLU", opts, PRELU_OPTION_KEYS);
    const { dtype = "float32" } = opts;
    if (!Number.isInteger(numParameters) || numParameters < 1) throw new RangeError(`PReLU: numParameters must be a positive integer, got ${numParameters}`);
    if (typeof init !== "number" || Number.isNaN(init)) throw new TypeError(`PReLU: init must be a number, got ${String(init)}`);
    this.numParameters = numParameters;
    this.init = init;
    this.weight = new Parameter(full([numParameters], init, { dtype }));
  }

  resetParameters(): void {
    noGrad(() => this.weight.fill_(this.init));
  }

  override forward(x: Tensor): Tensor { return A.prelu(x, this.weight); }
  override extraRepr(): string { return `numParameters=${this.numParameters}`; }
}
