// Loss modules: the functions of functional/loss.ts with their options fixed at construction, called as
// loss.call(input, target). Class weights are buffers (so they follow the model's dtype and appear in the state
// dict, as in PyTorch).

import type { Tensor } from "../tensor/tensor.js";
import { Module } from "./module.js";
import * as L from "./functional/loss.js";
import { checkOptionKeys } from "../util/options.js";

type Reduction = L.Reduction;

abstract class Loss extends Module<[Tensor, Tensor]> {
  readonly reduction: Reduction;
  constructor(reduction: Reduction = "mean") {
    super();
    if (reduction !== "mean" && reduction !== "sum" && reduction !== "none") throw new TypeError(`${new.target.name}: reduction must be "mean", "sum" or "none", got ${JSON.stringify(reduction)}`);
    this.reduction = reduction;
  }
  abstract override forward(input: Tensor, target: Tensor): Tensor;
  override extraRepr(): string { return this.reduction === "mean" ? "" : `reduction="${this.reduction}"`; }
}

// Each constructor checks its options before super(), so that the error names the class the user wrote.

export class MSELoss extends Loss {
  constructor(opts: L.ReductionOptions = {}) { checkOptionKeys("MSELoss", opts, L.REDUCTION_OPTION_KEYS); super(opts.reduction); }
  override forward(input: Tensor, target: Tensor): Tensor { return L.mseLoss(input, target, { reduction: this.reduction }); }
}

export class L1Loss extends Loss {
  constructor(opts: L.ReductionOptions = {}) { checkOptionKeys("L1Loss", opts, L.REDUCTION_OPTION_KEYS); super(opts.reduction); }
  override forward(input: Tensor, target: Tensor): Tensor { return L.l1Loss(input, target, { reduction: this.reduction }); }
}

export class HuberLoss extends Loss {
  readonly delta: number;
  constructor(opts: L.HuberLossOptions = {}) { checkOptionKeys("HuberLoss", opts, L.HUBER_LOSS_OPTION_KEYS); super(opts.reduction); this.delta = opts.delta ?? 1; }
  override forward(input: Tensor, target: Tensor): Tensor { return L.huberLoss(input, target, { reduction: this.reduction, delta: this.delta }); }
}

export class SmoothL1Loss extends Loss {
  readonly beta: number;
  constructor(opts: L.SmoothL1LossOptions = {}) { checkOptionKeys("SmoothL1Loss", opts, L.SMOOTH_L1_LOSS_OPTION_KEYS); super(opts.reduction); this.beta = opts.beta ?? 1; }
  override forward(input: Tensor, target: Tensor): Tensor { return L.smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta }); }
}

export class BCELoss extends Loss {
  declare weight: Tensor | null;
  constructor(opts: L.BinaryCrossEntropyOptions = {}) { checkOptionKeys("BCELoss", opts, L.BCE_OPTION_KEYS); super(opts.reduction); this.registerBuffer("weight", opts.weight ?? null); }
  override forward(input: Tensor, target: Tensor): Tensor { return L.binaryCrossEntropy(input, target, { reduction: this.reduction, weight: this.weight }); }
}

/** Its buffers are named as PyTorch names them (weight, pos_weight), since a state-dict key is the attribute's name;
 *  posWeight is the camelCase accessor for the same tensor, as with BatchNorm's running statistics. */
export class BCEWithLogitsLoss extends Loss {
  declare weight: Tensor | null;
  declare pos_weight: Tensor | null;
  constructor(opts: L.BinaryCrossEntropyWithLogitsOptions = {}) {
    checkOptionKeys("BCEWithLogitsLoss", opts, L.BCE_WITH_LOGITS_OPTION_KEYS);
    super(opts.reduction);
    this.registerBuffer("weight", opts.weight ?? null);
    this.registerBuffer("pos_weight", opts.posWeight ?? null);
  }
  get posWeight(): Tensor | null { return this.pos_weight; }
  set posWeight(t: Tensor | null) { this.pos_weight = t; }
  override forward(input: Tensor, target: Tensor): Tensor {
    return L.binaryCrossEntropyWithLogits(input, target, { reduction: this.reduction, weight: this.weight, posWeight: this.posWeight });
  }
}

export class NLLLoss extends Loss {
  declare weight: Tensor | null;
  readonly ignoreIndex: number;
  constructor(opts: L.NllLossOptions = {}) {
    checkOptionKeys("NLLLoss", opts, L.NLL_LOSS_OPTION_KEYS);
    super(opts.reduction);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.registerBuffer("weight", opts.weight ?? null);
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return L.nllLoss(input, target, { reduction: this.reduction, weight: this.weight, ignoreIndex: this.ignoreIndex });
  }
}

export class CrossEntropyLoss extends Loss {
  declare weight: Tensor | null;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(opts: L.CrossEntropyOptions = {}) {
    checkOptionKeys("CrossEntropyLoss", opts, L.CROSS_ENTROPY_OPTION_KEYS);
    super(opts.reduction);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.labelSmoothing = opts.labelSmoothing ?? 0;
    if (!(this.labelSmoothing >= 0 && this.labelSmoothing <= 1)) throw new RangeError(`CrossEntropyLoss: labelSmoothing must be between 0 and 1, got ${this.labelSmoothing}`);
    this.registerBuffer("weight", opts.weight ?? null);
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return L.crossEntropy(input, target, { reduction: this.reduction, weight: this.weight, ignoreIndex: this.ignoreIndex, labelSmoothing: this.labelSmoothing });
  }
  override extraRepr(): string {
    return [super.extraRepr(), this.labelSmoothing > 0 ? `labelSmoothing=${this.labelSmoothing}` : ""].filter(Boolean).join(", ");
  }
}

/**
 * KL divergence of log-probability inputs from a target distribution (see functional klDiv). Its reductions include
 * "batchmean", the true KL divergence per sample; the default "mean" divides by every element, as PyTorch's does.
 */
export class KLDivLoss extends Module<[Tensor, Tensor]> {
  readonly reduction: L.KlDivReduction;
  readonly logTarget: boolean;
  constructor(opts: L.KlDivOptions = {}) {
    super();
    const { reduction, logTarget } = L.checkKlDivOptions("KLDivLoss", opts);
    this.reduction = reduction;
    this.logTarget = logTarget;
  }
  override forward(input: Tensor, target: Tensor): Tensor { return L.klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget }); }
  override extraRepr(): string {
    return [this.reduction === "mean" ? "" : `reduction="${this.reduction}"`, this.logTarget ? "logTarget=true" : ""].filter(Boolean).join(", ");
  }
}
