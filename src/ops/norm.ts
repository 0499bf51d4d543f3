// Normalization: batchNorm (per channel, over the batch and spatial dims, with running statistics), layerNorm
// (over the trailing dims of each sample) and groupNorm (over groups of channels of each sample). All are
// compositions of elementwise ops and reductions, so autograd derives their gradients; batchNorm's running
// statistics are updated in place outside the graph, as PyTorch does.

import { noGrad } from "../autograd/grad_mode.js";
import { isFloat } from "../tensor/dtype.js";
import { sliceDims, ShapeError, fmt, numel } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { checkOptionKeys, optionKeys } from "../util/options.js";

export interface BatchNormOptions {
  /** Per-channel scale gamma [C]. */
  weight?: Tensor | null;
  /** Per-channel shift beta [C]. */
  bias?: Tensor | null;
  /** Normalise with the batch's statistics (and update the running ones) rather than the running ones. Default false. */
  training?: boolean;
  /** running = (1 - momentum) * running + momentum * batch statistic. Default 0.1. */
  momentum?: number;
  eps?: number;
}

const BATCH_NORM_OPTION_KEYS = optionKeys<BatchNormOptions>({ weight: true, bias: true, training: true, momentum: true, eps: true });

function checkPerChannel(op: string, name: string, t: Tensor | null | undefined, c: number, x: Tensor): Tensor | null {
  if (t === null || t === undefined) return null;
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: ${name} must be a tensor or null`);
  if (t.ndim !== 1 || t.shape[0] !== c) throw new ShapeError(`${op}: ${name} must have shape [${c}] (one per channel of input ${fmt(x.shape)}), got ${fmt(t.shape)}`);
  return t;
}

/**
 * Batch normalization of input [N, C, ...]: y = (x - mean) / sqrt(var + eps) * weight + bias, per channel.
 * Training uses the batch's mean and biased variance and updates runningMean/runningVar in place (the variance
 * update uses the unbiased estimate, as PyTorch); evaluation uses the running statistics.
 */
export function batchNorm(input: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, opts: BatchNormOptions = {}): Tensor {
  const op = "batchNorm";
  checkOptionKeys(op, opts, BATCH_NORM_OPTION_KEYS);
  const { training = false, momentum = 0.1, eps = 1e-5 } = opts;
  if (!(input instanceof Tensor)) throw new TypeError(`${op}: input must be a tensor`);
  if (!isFloat(input.dtype)) throw new TypeError(`${op}: input must be floating point, got ${input.dtype}`);
  if (input.ndim < 2) throw new ShapeError(`${op}: expected an input of at least 2 dimensions [N, C, ...], got shape ${fmt(input.shape)}`);
  const c = input.shape[1];
  const rm = checkPerChannel(op, "runningMean", runningMean, c, input);
  const rv = checkPerChannel(op, "runningVar", runningVar, c, input);
  const weight = checkPerChannel(op, "weight", opts.weight, c, input);
  const bias = checkPerChannel(op, "bias", opts.bias, c, input);
  if ((rm === null) !== (rv === null)) throw new Error(`${op}: runningMean and runningVar must be given together`);
  if (!training && rm === null) throw new Error(`${op}: running statistics are required when not training`);
  const dims = input.shape.map((_, i) => i).filter((i) => i !== 1);
  const perChannel = [1, c, ...sliceDims(input.shape, 2).map(() => 1)];
  let y: Tensor;
  if (training) {
    const count = numel(dims.map((d) => input.shape[d]));
    if (count <= 1) throw new ShapeError(`${op}: expected more than 1 value per channel when training, got input shape ${fmt(input.shape)}`);
    const mean = input.mean(dims, true);
    const centered = input.sub(mean);
    const variance = centered.square().mean(dims, true);
    y = centered.mul(variance.add(eps).rsqrt());
    if (rm !== null && rv !== null) {
      noGrad(() => {
        rm.copy_(rm.mul(1 - momentum).add(mean.reshape([c]).mul(momentum)));
        rv.copy_(rv.mul(1 - momentum).add(variance.reshape([c]).mul((momentum * count) / (count - 1))));
      });
    }
  } else {
    y = input.sub(rm!.detach().to(input.dtype).reshape(perChannel)).mul(rv!.detach().to(input.dtype).add(eps).rsqrt().reshape(perChannel));
  }
  if (weight !== null) y = y.mul(weight.reshape(perChannel));
  if (bias !== null) y = y.add(bias.reshape(perChannel));
  return y;
}

export interface LayerNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  eps?: number;
}

const LAYER_NORM_OPTION_KEYS = optionKeys<LayerNormOptions>({ weight: true, bias: true, eps: true });

/** Normalises over the trailing dims `normalizedShape` of each sample: (x - mean) / sqrt(var + eps) * weight + bias. */
export function layerNorm(input: Tensor, normalizedShape: number | readonly number[], opts: LayerNormOptions = {}): Tensor {
  const op = "layerNorm";
  checkOptionKeys(op, opts, LAYER_NORM_OPTION_KEYS);
  const { eps = 1e-5 } = opts;
  if (!(input instanceof Tensor)) throw new TypeError(`${op}: input must be a tensor`);
  if (!isFloat(input.dtype)) throw new TypeError(`${op}: input must be floating point, got ${input.dtype}`);
  const shape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
  const k = shape.length;
  const trailing = sliceDims(input.shape, input.ndim - k);
  if (k === 0 || k > input.ndim || trailing.some((d, i) => d !== shape[i])) {
    throw new ShapeError(`${op}: normalizedShape ${fmt(shape)} must match the last dimensions of the input, got input shape ${fmt(input.shape)}`);
  }
  for (const [name, t] of [["weight", opts.weight], ["bias", opts.bias]] as const) {
    if (t !== null && t !== undefined && (t.ndim !== k || t.shape.some((d, i) => d !== shape[i]))) {
      throw new ShapeError(`${op}: ${name} must have shape ${fmt(shape)} (normalizedShape), got ${fmt(t.shape)}`);
    }
  }
  const dims = shape.map((_, i) => input.ndim - k + i);
  const centered = input.sub(input.mean(dims, true));
  let y = centered.mul(centered.square().mean(dims, true).add(eps).rsqrt());
  if (opts.weight) y = y.mul(opts.weight);
  if (opts.bias) y = y.add(opts.bias);
  return y;
}

/**
 * Group normalization of input [N, C, *]: the C channels are split into numGroups groups of C / numGroups
 * consecutive channels, and each sample's group is normalised over its channels and all spatial positions with its
 * own mean and biased variance, (x - mean) / sqrt(var + eps); then per-channel weight [C] and bias [C] apply.
 * Unlike batchNorm it keeps no running statistics, so training and evaluation compute the same thing.
 * Weight and bias are positional, as in torch.nn.functional.group_norm.
 */
export function groupNorm(input: Tensor, numGroups: number, weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  const op = "groupNorm";
  if (!(input instanceof Tensor)) throw new TypeError(`${op}: input must be a tensor`);
  if (!isFloat(input.dtype)) throw new TypeError(`${op}: input must be floating point, got ${input.dtype}`);
  if (input.ndim < 2) throw new ShapeError(`${op}: expected an input of at least 2 dimensions [N, C, ...], got shape ${fmt(input.shape)}`);
  const [n, c] = input.shape;
  if (!Number.isInteger(numGroups) || numGroups < 1) throw new RangeError(`${op}: numGroups must be a positive integer, got ${numGroups}`);
  if (c % numGroups !== 0) {
    throw new ShapeError(`${op}: the ${c} channels of input ${fmt(input.shape)} are not divisible by numGroups=${numGroups}`);
  }
  if (typeof eps !== "number" || !(eps >= 0)) throw new RangeError(`${op}: eps must be a non-negative number, got ${eps}`);
  const w = checkPerChannel(op, "weight", weight, c, input);
  const b = checkPerChannel(op, "bias", bias, c, input);
  // One row per (sample, group): its channels and every spatial position.
  const grouped = input.reshape([n, numGroups, numel(input.shape) / Math.max(1, n * numGroups)]);
  const centered = grouped.sub(grouped.mean(2, true));
  let y = centered.mul(centered.square().mean(2, true).add(eps).rsqrt()).reshape(input.shape);
  const perChannel = [1, c, ...sliceDims(input.shape, 2).map(() => 1)];
  if (w !== null) y = y.mul(w.reshape(perChannel));
  if (b !== null) y = y.add(b.reshape(perChannel));
  return y;
}
