// Loss functions with torch.nn.functional's semantics: the same formulas, options, defaults and reductions. Each is
// composed from ops (logSoftmax, gather, where, ...), so autograd supplies every gradient, including those with
// respect to targets and class weights. The one exception is the classifier's everyday case, cross-entropy of
// [N, C] logits against class indices, which is one op with its own gradient rule (crossEntropyRows).

import { Tensor, contiguousData, empty } from "../../tensor/tensor.js";
import { allocate, isFloat } from "../../tensor/dtype.js";
import { sameShape, sliceDims, ShapeError, fmt } from "../../tensor/shape.js";
import { getBackend } from "../../backend/registry.js";
import { exclusive, record } from "../../autograd/graph.js";
import { noGrad } from "../../autograd/grad_mode.js";
import { maximum, where } from "../../ops/elementwise.js";
import { logSoftmax } from "../../ops/activation.js";
import { ones } from "../../ops/creation.js";
import { checkOptionKeys, optionKeys } from "../../util/options.js";

export type Reduction = "mean" | "sum" | "none";

export interface ReductionOptions {
  /** "mean" (default): average over elements; "sum": total; "none": the per-element losses. */
  reduction?: Reduction;
}

export interface HuberLossOptions extends ReductionOptions {
  /** Where the loss turns from quadratic to linear (default 1). */
  delta?: number;
}

export interface SmoothL1LossOptions extends ReductionOptions {
  /** Where the loss turns from quadratic to linear (default 1); 0 gives the L1 loss. */
  beta?: number;
}

export interface BinaryCrossEntropyOptions extends ReductionOptions {
  /** Rescales each element's loss; broadcast against the input. */
  weight?: Tensor | null;
}

export interface BinaryCrossEntropyWithLogitsOptions extends BinaryCrossEntropyOptions {
  /** Weight of the positive term, broadcast along the last (class) dimension: > 1 raises recall. */
  posWeight?: Tensor | null;
}

export interface NllLossOptions extends ReductionOptions {
  /** A weight per class, shape [C]. A weighted mean divides by the summed weights of the non-ignored targets. */
  weight?: Tensor | null;
  /** Targets equal to this contribute no loss and no gradient and are left out of the mean (default -100). */
  ignoreIndex?: number;
}

export interface CrossEntropyOptions extends NllLossOptions {
  /** Mixes the target with the uniform distribution: (1 - s) * target + s / C (default 0). */
  labelSmoothing?: number;
}

/** KL divergence's reductions: those of the other losses, and "batchmean", the sum over the batch size. */
export type KlDivReduction = Reduction | "batchmean";

export interface KlDivOptions {
  /** "mean" (default): the sum over the number of elements, as PyTorch's "mean" (not the KL divergence: that is
   *  "batchmean", the sum over the batch size); "sum"; "none": the pointwise terms. */
  reduction?: KlDivReduction;
  /** The target holds log-probabilities rather than probabilities (default false). */
  logTarget?: boolean;
}

// The names each loss accepts (the nn loss modules check theirs against the same lists).
export const REDUCTION_OPTION_KEYS = optionKeys<ReductionOptions>({ reduction: true });
export const HUBER_LOSS_OPTION_KEYS = optionKeys<HuberLossOptions>({ reduction: true, delta: true });
export const SMOOTH_L1_LOSS_OPTION_KEYS = optionKeys<SmoothL1LossOptions>({ reduction: true, beta: true });
export const BCE_OPTION_KEYS = optionKeys<BinaryCrossEntropyOptions>({ reduction: true, weight: true });
export const BCE_WITH_LOGITS_OPTION_KEYS = optionKeys<BinaryCrossEntropyWithLogitsOptions>({ reduction: true, weight: true, posWeight: true });
export const NLL_LOSS_OPTION_KEYS = optionKeys<NllLossOptions>({ reduction: true, weight: true, ignoreIndex: true });
export const CROSS_ENTROPY_OPTION_KEYS = optionKeys<CrossEntropyOptions>({ reduction: true, weight: true, ignoreIndex: true, labelSmoothing: true });
export const KL_DIV_OPTION_KEYS = optionKeys<KlDivOptions>({ reduction: true, logTarget: true });

// ---- shared checks ---------------------------------------------------------------------------------------------

function checkReduction(op: string, reduction: unknown): Reduction {
  if (reduction === "mean" || reduction === "sum" || reduction === "none") return reduction;
  throw new TypeError(`${op}: reduction must be "mean", "sum" or "none", got ${JSON.stringify(reduction)}`);
}

function reduce(loss: Tensor, reduction: Reduction): Tensor {
  return reduction === "none" ? loss : reduction === "sum" ? loss.sum() : loss.mean();
}

function checkTensor(op: string, name: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: ${name} must be a Tensor, got ${t === null ? "null" : typeof t}`);
}

function checkFloat(op: string, name: string, t: Tensor): void {
  if (!isFloat(t.dtype)) throw new TypeError(`${op}: ${name} must be floating point, got ${t.dtype} (shape ${fmt(t.shape)}); use .float()`);
}

/** Input and target of an elementwise loss must have one shape: broadcasting [N,1] against [N] is a classic bug. */
function checkPair(op: string, input: Tensor, target: Tensor): void {
  checkTensor(op, "input", input);
  checkTensor(op, "target", target);
  checkFloat(op, "input", input);
  checkFloat(op, "target", target);
  if (!sameShape(input.shape, target.shape)) {
    throw new ShapeError(`${op}: target shape ${fmt(target.shape)} differs from input shape ${fmt(input.shape)}; reshape one of them (broadcasting here would silently compare the wrong elements)`);
  }
}

// ---- regression ------------------------------------------------------------------------------------------------

/** Mean squared error: (input - target)^2. */
export function mseLoss(input: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  checkOptionKeys("mseLoss", opts, REDUCTION_OPTION_KEYS);
  const reduction = checkReduction("mseLoss", opts.reduction ?? "mean");
  checkPair("mseLoss", input, target);
  return reduce(input.sub(target).square(), reduction);
}

/** Mean absolute error: |input - target| (gradient 0 where they are equal, as in PyTorch). */
export function l1Loss(input: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  checkOptionKeys("l1Loss", opts, REDUCTION_OPTION_KEYS);
  const reduction = checkReduction("l1Loss", opts.reduction ?? "mean");
  checkPair("l1Loss", input, target);
  return reduce(input.sub(target).abs(), reduction);
}

/** Huber: 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta). */
export function huberLoss(input: Tensor, target: Tensor, opts: HuberLossOptions = {}): Tensor {
  checkOptionKeys("huberLoss", opts, HUBER_LOSS_OPTION_KEYS);
  const { delta = 1 } = opts;
  const reduction = checkReduction("huberLoss", opts.reduction ?? "mean");
  checkPair("huberLoss", input, target);
  if (!(delta > 0)) throw new RangeError(`huberLoss: delta must be positive, got ${delta}`);
  const d = input.sub(target), a = d.abs();
  return reduce(where(a.lt(delta), d.square().mul(0.5), a.sub(0.5 * delta).mul(delta)), reduction);
}

/** Smooth L1: 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta; Huber divided by beta. */
export function smoothL1Loss(input: Tensor, target: Tensor, opts: SmoothL1LossOptions = {}): Tensor {
  checkOptionKeys("smoothL1Loss", opts, SMOOTH_L1_LOSS_OPTION_KEYS);
  const { beta = 1 } = opts;
  const reduction = checkReduction("smoothL1Loss", opts.reduction ?? "mean");
  checkPair("smoothL1Loss", input, target);
  if (!(beta >= 0)) throw new RangeError(`smoothL1Loss: beta must be non-negative, got ${beta}`);
  const d = input.sub(target), a = d.abs();
  if (beta === 0) return reduce(a, reduction);
  return reduce(where(a.lt(beta), d.square().mul(0.5 / beta), a.sub(0.5 * beta)), reduction);
}

// ---- binary classification -------------------------------------------------------------------------------------

// PyTorch clamps each log at -100 so that a probability of exactly 0 or 1 gives a finite loss. The input is clamped
// first so that log never sees 0: log(0) = -inf would make its gradient 0/0 = NaN even where the clamp discards it.
// The floor is e^-101, not e^-100: it is a float32 subnormal with few significant bits, and e^-100 rounds to a value
// whose log is -99.98, which the clamp at -100 would let through.
const TINY = Math.exp(-101);
function clampedLog(x: Tensor): Tensor {
  return x.clamp(TINY).log().clamp(-100);
}

const BCE_GRAD_EPS = Math.fround(1e-12); // PyTorch's constant is a C float, also in float64 computations

/**
 * -[y log x + (1 - y) log(1 - x)] element by element, each log clamped at -100, with PyTorch's gradient rule: for x,
 * (x - y) / max(x (1 - x), 1e-12), which is the derivative inside (0, 1) and stays finite at exactly 0 and 1 (0 where
 * x = y there, as in PyTorch; the clamped logs' own gradient would differ at those points); for y, log(1 - x) - log x,
 * unclamped as in PyTorch (infinite at 0 and 1).
 */
function bceTerms(input: Tensor, target: Tensor): Tensor {
  const out = noGrad(() => target.mul(clampedLog(input)).add(target.neg().add(1).mul(clampedLog(input.neg().add(1)))).neg());
  return record("binaryCrossEntropy", out, [input, target], (g) => [
    input.requiresGrad ? g.mul(input.sub(target)).div(maximum(input.mul(input.neg().add(1)), BCE_GRAD_EPS)) : null,
    target.requiresGrad ? g.mul(input.neg().log1p().sub(input.log())) : null,
  ]);
}

/** Binary cross-entropy of probabilities: -w [y log x + (1 - y) log(1 - x)], each log clamped at -100. */
export function binaryCrossEntropy(input: Tensor, target: Tensor, opts: BinaryCrossEntropyOptions = {}): Tensor {
  checkOptionKeys("binaryCrossEntropy", opts, BCE_OPTION_KEYS);
  const { weight = null } = opts;
  const reduction = checkReduction("binaryCrossEntropy", opts.reduction ?? "mean");
  checkPair("binaryCrossEntropy", input, target);
  const xs = input.toTypedArray();
  for (let i = 0; i < xs.length; i++) {
    if (!(xs[i] >= 0 && xs[i] <= 1)) throw new RangeError(`binaryCrossEntropy: every input must be a probability in [0, 1], found ${xs[i]} (apply sigmoid first, or use binaryCrossEntropyWithLogits on raw scores)`);
  }
  let loss = bceTerms(input, target);
  if (weight !== null) loss = loss.mul(checkBroadcastWeight("binaryCrossEntropy", "weight", weight, input));
  return reduce(loss, reduction);
}

/**
 * Binary cross-entropy on logits, numerically stable: with p = posWeight and l = 1 + (p - 1) y,
 *   loss = (1 - y) x + l (log(1 + e^-|x|) + max(-x, 0)),
 * which equals -[p y log s(x) + (1 - y) log(1 - s(x))] without ever forming s(x) = sigmoid(x).
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, opts: BinaryCrossEntropyWithLogitsOptions = {}): Tensor {
  const { weight = null, posWeight = null } = opts;
  const op = "binaryCrossEntropyWithLogits";
  checkOptionKeys(op, opts, BCE_WITH_LOGITS_OPTION_KEYS);
  const reduction = checkReduction(op, opts.reduction ?? "mean");
  checkPair(op, input, target);
  // NOTE: max(-x, 0) is written with maximum, whose tie at x = 0 splits the gradient in half; that half is what
  // makes the gradient at 0 exactly sigmoid(0) - y. relu(-x) would give 0 there (and abs'(0) = 0 drops the rest).
  const softplusNeg = input.abs().neg().exp().log1p().add(maximum(input.neg(), 0));
  let logWeight: Tensor | number = 1;
  if (posWeight !== null) logWeight = checkBroadcastWeight(op, "posWeight", posWeight, input).sub(1).mul(target).add(1);
  let loss = target.neg().add(1).mul(input).add(softplusNeg.mul(logWeight));
  if (weight !== null) loss = loss.mul(checkBroadcastWeight(op, "weight", weight, input));
  return reduce(loss, reduction);
}

function checkBroadcastWeight(op: string, name: string, w: Tensor, input: Tensor): Tensor {
  checkTensor(op, name, w);
  checkFloat(op, name, w);
  const ok = w.ndim <= input.ndim && w.shape.every((d, i) => d === 1 || d === input.shape[input.ndim - w.ndim + i]);
  if (!ok) throw new ShapeError(`${op}: ${name} of shape ${fmt(w.shape)} cannot be broadcast to the input shape ${fmt(input.shape)}`);
  return w;
}

// ---- multi-class classification --------------------------------------------------------------------------------

/** The class dimension: 0 for an unbatched [C] input, else 1 ([N, C] or [N, C, d1, ...]). */
function classDimOf(op: string, input: Tensor): number {
  checkTensor(op, "input", input);
  if (input.ndim === 0) throw new ShapeError(`${op}: input must be [C], [N, C] or [N, C, d1, ...], got a 0-D tensor`);
  checkFloat(op, "input", input);
  return input.ndim === 1 ? 0 : 1;
}

function checkClassWeight(op: string, weight: Tensor | null, c: number): Tensor | null {
  if (weight === null || weight === undefined) return null;
  checkTensor(op, "weight", weight);
  checkFloat(op, "weight", weight);
  if (weight.ndim !== 1 || weight.shape[0] !== c) throw new ShapeError(`${op}: weight must have one entry per class, shape [${c}], got ${fmt(weight.shape)}`);
  return weight;
}

interface ClassTargets {
  /** The targets with ignored entries replaced by class 0, so that gather stays in range. */
  safe: Tensor;
  /** true where the target equals ignoreIndex. */
  ignored: Tensor;
}

/** Checks int32 class-index targets against an input whose class dimension is `cd`. */
/** Checks that `target` holds int32 class indices shaped as the input without its class dimension. */
function checkClassTargetShape(op: string, input: Tensor, cd: number, target: Tensor): void {
  checkTensor(op, "target", target);
  const expected = input.shape.filter((_, i) => i !== cd);
  if (target.dtype !== "int32") {
    const hint = isFloat(target.dtype) && sameShape(target.shape, expected) ? "; class-index targets must be int32 (use target.int())" : "";
    throw new TypeError(`${op}: target must be an int32 tensor of class indices, got ${target.dtype} (shape ${fmt(target.shape)})${hint}`);
  }
  if (!sameShape(target.shape, expected)) {
    if (input.ndim >= 2 && target.ndim >= 1 && target.shape[0] !== input.shape[0]) {
      throw new ShapeError(`${op}: input batch size ${input.shape[0]} does not match target batch size ${target.shape[0]} (input ${fmt(input.shape)}, target ${fmt(target.shape)})`);
    }
    throw new ShapeError(`${op}: for input of shape ${fmt(input.shape)} the class-index target must have shape ${fmt(expected)}, got ${fmt(target.shape)}`);
  }
}

function checkClassTargets(op: string, input: Tensor, cd: number, target: Tensor, ignoreIndex: number): ClassTargets {
  checkClassTargetShape(op, input, cd, target);
  const c = input.shape[cd];
  const t = target.toTypedArray();
  const safe = new Int32Array(t.length), ignored = new Uint8Array(t.length);
  for (let i = 0; i < t.length; i++) {
    if (t[i] === ignoreIndex) { ignored[i] = 1; continue; }
    if (t[i] < 0 || t[i] >= c) throw new RangeError(`${op}: target ${t[i]} is out of bounds for ${c} classes (valid: 0 to ${c - 1}, or ignoreIndex ${ignoreIndex})`);
    safe[i] = t[i];
  }
  return { safe: new Tensor(safe, target.shape), ignored: new Tensor(ignored, target.shape) };
}

/** Per-target weights w[target] (1 without class weights), 0 where ignored: shape of the target. */
function targetWeights(logp: Tensor, weight: Tensor | null, tg: ClassTargets): Tensor {
  const w = weight === null ? ones(tg.safe.shape, { dtype: logp.dtype }) : weight.indexSelect(0, tg.safe.reshape([-1])).reshape(tg.safe.shape);
  return where(tg.ignored, 0, w);
}

/** -w[t] logp[t] per target; the mean divides by the summed w[t] of the targets not ignored. */
function nllFromLogProbs(logp: Tensor, cd: number, tg: ClassTargets, weight: Tensor | null, reduction: Reduction): Tensor {
  const picked = logp.gather(cd, tg.safe.unsqueeze(cd)).squeeze(cd);
  const w = targetWeights(logp, weight, tg);
  // Ignored targets get a gradient of exactly 0 through the where, also when the mean divides by 0: with every
  // target ignored, the loss is 0/0 = NaN and the gradient 0, as in PyTorch (as a plain product, 0 * (1/0) = NaN).
  const loss = where(tg.ignored, 0, picked.neg().mul(w));
  if (reduction === "none") return loss;
  if (reduction === "sum") return loss.sum();
  return loss.sum().div(w.sum());
}

/**
 * Cross-entropy of [N, C] logits against int32 class indices [N], reduced to its mean or sum, as one op: the
 * backend's log-softmax kernel, then the N picked terms summed in float64. The gradient is softmax minus the one-hot
 * target, scaled by the incoming gradient (over the count of targets not ignored, for the mean); ignored rows get 0.
 * The composition this replaces (log-softmax, gather, where, neg, mul, two sums, div, and their backward) was about
 * twenty small ops: ~110 us of an MLP step for a [128, 10] batch, against ~15 us as one op.
 */
function crossEntropyRows(input: Tensor, target: Tensor, ignoreIndex: number, reduction: "mean" | "sum"): Tensor {
  const op = "crossEntropy";
  const [n, c] = input.shape;
  checkClassTargetShape(op, input, 1, target);
  const t = target.toTypedArray().slice(); // the targets as of the forward, as the composed path read them
  const logp = empty(input.shape, input.dtype);
  const lp = logp.data;
  getBackend().softmax(contiguousData(input), n, c, 1, lp, true);
  let total = 0, count = 0;
  for (let i = 0; i < n; i++) {
    const k = t[i];
    if (k === ignoreIndex) continue;
    if (k < 0 || k >= c) throw new RangeError(`${op}: target ${k} is out of bounds for ${c} classes (valid: 0 to ${c - 1}, or ignoreIndex ${ignoreIndex})`);
    total -= lp[i * c + k];
    count++;
  }
  const out = new Tensor(allocate(input.dtype, 1), []);
  out.data[0] = reduction === "mean" ? total / count : total; // all targets ignored: 0/0 = NaN, as in PyTorch
  return record(op, out, [input], (g) => {
    // Every target ignored: every row's gradient is 0 (not 0 / 0), as in PyTorch.
    const scale = count === 0 ? 1 : contiguousData(g)[0] / (reduction === "mean" ? count : 1);
    const gx = empty(input.shape, input.dtype);
    const d = gx.data;
    getBackend().unary("exp", lp, d);
    for (let i = 0; i < n; i++) {
      const k = t[i];
      if (k === ignoreIndex) d.fill(0, i * c, (i + 1) * c);
      else d[i * c + k] -= 1;
    }
    if (scale !== 1) {
      const s = allocate(input.dtype, 1);
      s[0] = scale;
      getBackend().binary("mul", { data: d, offset: 0, strides: [c, 1] }, { data: s, offset: 0, strides: [0, 0] }, input.shape, d);
    }
    return [exclusive(gx)];
  });
}

/**
 * Negative log-likelihood of log-probabilities `input` ([C], [N, C] or [N, C, d1, ...]) at int32 class indices
 * `target` ([], [N] or [N, d1, ...]).
 */
export function nllLoss(input: Tensor, target: Tensor, opts: NllLossOptions = {}): Tensor {
  checkOptionKeys("nllLoss", opts, NLL_LOSS_OPTION_KEYS);
  const { ignoreIndex = -100 } = opts;
  const reduction = checkReduction("nllLoss", opts.reduction ?? "mean");
  const cd = classDimOf("nllLoss", input);
  const weight = checkClassWeight("nllLoss", opts.weight ?? null, input.shape[cd]);
  const tg = checkClassTargets("nllLoss", input, cd, target, ignoreIndex);
  return nllFromLogProbs(input, cd, tg, weight, reduction);
}

/**
 * Cross-entropy of logits `input` ([C], [N, C] or [N, C, d1, ...]) against either int32 class indices (the input's
 * shape without the class dimension) or class probabilities (a float tensor of the input's shape).
 *
 * With class indices and label smoothing s, PyTorch's definition is
 *   (1 - s) * nll + (s / C) * smooth,   smooth_i = -sum_c w_c logp_ic  (0 where ignored),
 * where the mean of `smooth` divides by the same denominator as nll (the summed target weights, or the count of
 * targets not ignored). With probabilities the loss is -sum_c w_c y_c logp_c and its mean divides by the number of
 * samples (N times the d's), whatever the weights; ignoreIndex does not apply.
 */
export function crossEntropy(input: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const op = "crossEntropy";
  checkOptionKeys(op, opts, CROSS_ENTROPY_OPTION_KEYS);
  const { ignoreIndex = -100, labelSmoothing = 0 } = opts;
  const reduction = checkReduction(op, opts.reduction ?? "mean");
  const cd = classDimOf(op, input);
  const c = input.shape[cd];
  const weight = checkClassWeight(op, opts.weight ?? null, c);
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new RangeError(`${op}: labelSmoothing must be between 0 and 1, got ${labelSmoothing}`);
  checkTensor(op, "target", target);
  if (input.ndim === 2 && target.dtype === "int32" && weight === null && labelSmoothing === 0 && reduction !== "none") {
    return crossEntropyRows(input, target, ignoreIndex, reduction);
  }
  const logp = logSoftmax(input, cd);
  // Class weights shaped to broadcast along the class dimension: [C] for [C] input, [C, 1, ...] otherwise.
  const wc = weight === null ? null : weight.reshape([c, ...sliceDims(input.shape, cd + 1).map(() => 1)]);

  if (isFloat(target.dtype) && sameShape(target.shape, input.shape)) {
    const y = labelSmoothing > 0 ? target.mul(1 - labelSmoothing).add(labelSmoothing / c) : target;
    let terms = logp.mul(y);
    if (wc !== null) terms = terms.mul(wc);
    const loss = terms.sum(cd).neg();
    if (reduction === "mean") return loss.sum().div(input.numel() / c);
    return reduction === "sum" ? loss.sum() : loss;
  }
  if (isFloat(target.dtype) && !sameShape(target.shape, input.shape.filter((_, i) => i !== cd))) {
    throw new ShapeError(`${op}: a float target holds class probabilities and must have the input's shape ${fmt(input.shape)}, got ${fmt(target.shape)}`);
  }
  const tg = checkClassTargets(op, input, cd, target, ignoreIndex);
  const nll = nllFromLogProbs(logp, cd, tg, weight, reduction);
  if (labelSmoothing === 0) return nll;

  const smooth = where(tg.ignored, 0, (wc === null ? logp : logp.mul(wc)).sum(cd).neg());
  let smoothReduced: Tensor;
  if (reduction === "none") smoothReduced = smooth;
  else if (reduction === "sum") smoothReduced = smooth.sum();
  else smoothReduced = smooth.sum().div(targetWeights(logp, weight, tg).sum());
  return nll.mul(1 - labelSmoothing).add(smoothReduced.mul(labelSmoothing / c));
}

// ---- distributions ---------------------------------------------------------------------------------------------

/** Checks KL divergence's options (klDiv and KLDivLoss share it) and returns them with their defaults. */
export function checkKlDivOptions(op: string, opts: KlDivOptions): Required<KlDivOptions> {
  checkOptionKeys(op, opts, KL_DIV_OPTION_KEYS);
  const { reduction = "mean", logTarget = false } = opts;
  if (reduction !== "mean" && reduction !== "sum" && reduction !== "none" && reduction !== "batchmean") {
    throw new TypeError(`${op}: reduction must be "mean", "batchmean", "sum" or "none", got ${JSON.stringify(reduction)}`);
  }
  if (typeof logTarget !== "boolean") throw new TypeError(`${op}: logTarget must be a boolean, got ${JSON.stringify(logTarget)}`);
  return { reduction, logTarget };
}

/**
 * x log(y), and 0 where x = 0 (unless y is NaN), with PyTorch's gradient rule for torch.xlogy: for x, log(y) where
 * x != 0 (and 0 where x = 0); for y, x / y, which is NaN at x = y = 0. KL divergence takes xlogy(t, t), so its
 * target gradient at a zero target is NaN, as in PyTorch: the derivative of t log t is unbounded there.
 */
function xlogy(x: Tensor, y: Tensor): Tensor {
  const out = noGrad(() => where(x.eq(0).logicalAnd(y.isnan().logicalNot()), 0, x.mul(y.log())));
  return record("xlogy", out, [x, y], (g) => [
    x.requiresGrad ? g.mul(where(x.ne(0).logicalOr(y.isnan()), y.log(), 0)) : null,
    y.requiresGrad ? g.mul(x.div(y)) : null,
  ]);
}

/**
 * Kullback-Leibler divergence of log-probabilities `input` from the target distribution, pointwise
 *   t log t - t x          (logTarget false; 0 where t = 0, as t log t tends to 0 there)
 *   exp(t) (t - x)         (logTarget true, t a log-probability)
 * then reduced. "mean" divides the sum by every element, as PyTorch does; "batchmean" by the batch size (the first
 * dimension; a 0-D input is not divided), which is the KL divergence of each sample averaged over the batch.
 */
export function klDiv(input: Tensor, target: Tensor, opts: KlDivOptions = {}): Tensor {
  const op = "klDiv";
  const { reduction, logTarget } = checkKlDivOptions(op, opts);
  checkPair(op, input, target);
  const loss = logTarget ? target.exp().mul(target.sub(input)) : xlogy(target, target).sub(target.mul(input));
  if (reduction === "batchmean") return input.ndim === 0 ? loss.sum() : loss.sum().div(input.shape[0]);
  return reduce(loss, reduction);
}
