// Normalization layers: BatchNorm1d, BatchNorm2d, LayerNorm and GroupNorm, with PyTorch's options, defaults and
// state-dict keys. BatchNorm's buffers are attributes named as PyTorch names them (running_mean, running_var,
// num_batches_tracked), because a state-dict key is the attribute path; runningMean, runningVar and
// numBatchesTracked are camelCase accessors for the same tensors.

import type { Tensor } from "../tensor/tensor.js";
import type { DType } from "../tensor/dtype.js";
import { ShapeError, fmt } from "../tensor/shape.js";
import { ones, zeros } from "../ops/creation.js";
import { batchNorm, groupNorm, layerNorm } from "../ops/norm.js";
import { noGrad } from "../autograd/grad_mode.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import { checkOptionKeys, optionKeys } from "../util/options.js";

export interface BatchNormModuleOptions {
  eps?: number;
  /** Weight of the newest batch in the running statistics (default 0.1); null for a cumulative average. */
  momentum?: number | null;
  /** Learn a per-channel scale (weight, init 1) and shift (bias, init 0). Default true. */
  affine?: boolean;
  /** Keep running statistics for evaluation (default true); without them, evaluation uses batch statistics too. */
  trackRunningStats?: boolean;
  dtype?: DType;
}

const BATCH_NORM_OPTION_KEYS = optionKeys<BatchNormModuleOptions>({ eps: true, momentum: true, affine: true, trackRunningStats: true, dtype: true });

abstract class BatchNormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  // Registered as buffers in the constructor; `declare` adds the types without defining the fields.
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare num_batches_tracked: Tensor | null;

  protected constructor(readonly layer: string, numFeatures: number, opts: BatchNormModuleOptions) {
    super();
    checkOptionKeys(layer, opts, BATCH_NORM_OPTION_KEYS);
    const { eps = 1e-5, momentum = 0.1, affine = true, trackRunningStats = true, dtype = "float32" } = opts;
    if (!Number.isInteger(numFeatures) || numFeatures < 1) throw new RangeError(`${layer}: numFeatures must be a positive integer, got ${numFeatures}`);
    if (!(eps > 0)) throw new RangeError(`${layer}: eps must be positive, got ${eps}`);
    if (momentum !== null && !(momentum >= 0 && momentum <= 1)) throw new RangeError(`${layer}: momentum must be between 0 and 1 (or null), got ${momentum}`);
    this.numFeatures = numFeatures;
    this.eps = eps;
    this.momentum = momentum;
    this.affine = affine;
    this.trackRunningStats = trackRunningStats;
    this.weight = affine ? new Parameter(ones([numFeatures], { dtype })) : null;
    this.bias = affine ? new Parameter(zeros([numFeatures], { dtype })) : null;
    this.registerBuffer("running_mean", trackRunningStats ? zeros([numFeatures], { dtype }) : null);
    this.registerBuffer("running_var", trackRunningStats ? ones([numFeatures], { dtype }) : null);
    // PyTorch's is int64; int32 is Axon's integer type.
    this.registerBuffer("num_batches_tracked", trackRunningStats ? zeros([], { dtype: "int32" }) : null);
  }

  get runningMean(): Tensor | null { return this.running_mean; }
  set runningMean(t: Tensor | null) { this.running_mean = t; }
  get runningVar(): Tensor | null { return this.running_var; }
  set runningVar(t: Tensor | null) { this.running_var = t; }
  get numBatchesTracked(): Tensor | null { return this.num_batches_tracked; }
  set numBatchesTracked(t: Tensor | null) { this.num_batches_tracked = t; }

  /** A dict saved before num_batches_tracked existed (or converted by hand) has running statistics without the
   *  count: it loads with a count of 0, as PyTorch fills it in for dicts without version metadata. */
  protected override completeStateDict(entries: Map<string, Tensor>, prefix: string): void {
    const key = `${prefix}num_batches_tracked`;
    if (this.trackRunningStats && !entries.has(key) && entries.has(`${prefix}running_mean`)) entries.set(key, zeros([], { dtype: "int32" }));
  }

  /** Running statistics back to mean 0, variance 1, no batches seen. */
  resetRunningStats(): void {
    noGrad(() => {
      this.running_mean?.zero_();
      this.running_var?.fill_(1);
      this.num_batches_tracked?.zero_();
    });
  }

  resetParameters(): void {
    this.resetRunningStats();
    noGrad(() => {
      this.weight?.fill_(1);
      this.bias?.zero_();
    });
  }

  protected abstract checkInput(x: Tensor): void;

  override forward(x: Tensor): Tensor {
    this.checkInput(x);
    if (x.shape[1] !== this.numFeatures) {
      throw new ShapeError(`${this.layer}: expected ${this.numFeatures} channels in dimension 1, got input shape ${fmt(x.shape)}`);
    }
    // As PyTorch's _BatchNorm.forward: count the batch, and with momentum null average all batches equally.
    let factor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats && this.num_batches_tracked !== null) {
      const nbt = this.num_batches_tracked;
      noGrad(() => nbt.add_(1));
      factor = this.momentum === null ? 1 / nbt.item() : this.momentum;
    }
    const useBatchStats = this.training || (this.running_mean === null && this.running_var === null);
    const useRunning = !this.training || this.trackRunningStats;
    return batchNorm(x, useRunning ? this.running_mean : null, useRunning ? this.running_var : null, {
      weight: this.weight, bias: this.bias, training: useBatchStats, momentum: factor, eps: this.eps,
    });
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}`;
  }
}

/** Batch normalization over [N, C] or [N, C, L] inputs (statistics per channel C). */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, opts: BatchNormModuleOptions = {}) {
    super("BatchNorm1d", numFeatures, opts);
  }

  protected checkInput(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) throw new ShapeError(`BatchNorm1d: expected a 2-D [N, C] or 3-D [N, C, L] input, got shape ${fmt(x.shape)}`);
  }
}

/** Batch normalization over [N, C, H, W] inputs (statistics per channel C). */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, opts: BatchNormModuleOptions = {}) {
    super("BatchNorm2d", numFeatures, opts);
  }

  protected checkInput(x: Tensor): void {
    if (x.ndim !== 4) throw new ShapeError(`BatchNorm2d: expected a 4-D [N, C, H, W] input, got shape ${fmt(x.shape)}`);
  }
}

export interface LayerNormModuleOptions {
  eps?: number;
  /** Learn a scale (weight, init 1) and shift (bias, init 0) of normalizedShape. Default true. */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine, also learn the shift (default true). */
  bias?: boolean;
  dtype?: DType;
}

const LAYER_NORM_OPTION_KEYS = optionKeys<LayerNormModuleOptions>({ eps: true, elementwiseAffine: true, bias: true, dtype: true });

/** Normalises each sample over its trailing normalizedShape dims (e.g. the features of a transformer token). */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(normalizedShape: number | readonly number[], opts: LayerNormModuleOptions = {}) {
    super();
    checkOptionKeys("LayerNorm", opts, LAYER_NORM_OPTION_KEYS);
    const { eps = 1e-5, elementwiseAffine = true, bias = true, dtype = "float32" } = opts;
    const shape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
    if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1)) throw new RangeError(`LayerNorm: normalizedShape must hold positive integers, got ${JSON.stringify(normalizedShape)}`);
    this.normalizedShape = shape;
    this.eps = eps;
    this.elementwiseAffine = elementwiseAffine;
    this.weight = elementwiseAffine ? new Parameter(ones(shape, { dtype })) : null;
    this.bias = elementwiseAffine && bias ? new Parameter(zeros(shape, { dtype })) : null;
  }

  override forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  override extraRepr(): string {
    return `[${this.normalizedShape.join(", ")}], eps=${this.eps}, elementwiseAffine=${this.elementwiseAffine}`;
  }
}

export interface GroupNormModuleOptions {
  eps?: number;
  /** Learn a per-channel scale (weight, init 1) and shift (bias, init 0). Default true. */
  affine?: boolean;
  dtype?: DType;
}

const GROUP_NORM_OPTION_KEYS = optionKeys<GroupNormModuleOptions>({ eps: true, affine: true, dtype: true });

/**
 * Normalises each sample's groups of numChannels / numGroups channels over those channels and all positions of an
 * [N, C, *] input; its statistics do not depend on the batch, so it behaves the same in training and evaluation and
 * works with batches of one. numGroups 1 normalises whole samples; numGroups = numChannels, each channel alone.
 */
export class GroupNorm extends Module {
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly affine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(numGroups: number, numChannels: number, opts: GroupNormModuleOptions = {}) {
    super();
    checkOptionKeys("GroupNorm", opts, GROUP_NORM_OPTION_KEYS);
    const { eps = 1e-5, affine = true, dtype = "float32" } = opts;
    if (!Number.isInteger(numGroups) || numGroups < 1) throw new RangeError(`GroupNorm: numGroups must be a positive integer, got ${numGroups}`);
    if (!Number.isInteger(numChannels) || numChannels < 1) throw new RangeError(`GroupNorm: numChannels must be a positive integer, got ${numChannels}`);
    if (numChannels % numGroups !== 0) throw new RangeError(`GroupNorm: numChannels (${numChannels}) must be divisible by numGroups (${numGroups})`);
    if (!(eps >= 0)) throw new RangeError(`GroupNorm: eps must be a non-negative number, got ${eps}`);
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = eps;
    this.affine = affine;
    this.weight = affine ? new Parameter(ones([numChannels], { dtype })) : null;
    this.bias = affine ? new Parameter(zeros([numChannels], { dtype })) : null;
  }

  resetParameters(): void {
    noGrad(() => {
      this.weight?.fill_(1);
      this.bias?.zero_();
    });
  }

  override forward(x: Tensor): Tensor {
    // Checked only with affine parameters: without them PyTorch accepts any channel count that numGroups divides.
    if (this.affine && (x.ndim < 2 || x.shape[1] !== this.numChannels)) {
      throw new ShapeError(`GroupNorm: expected an input [N, ${this.numChannels}, *] (${this.numChannels} channels in dimension 1), got shape ${fmt(x.shape)}`);
    }
    return groupNorm(x, this.numGroups, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.affine}`;
  }
}
