// Learning-rate schedulers, as torch.optim.lr_scheduler. A scheduler owns a counter, lastEpoch, and on each step()
// sets every parameter group's lr. Call it after optimizer.step(), once per epoch (or per batch, if the schedule is
// counted in batches):
//
//   const opt = new Adam(model.parameters(), { lr: 1e-3 });
//   const sched = new StepLR(opt, { stepSize: 30, gamma: 0.1 });
//   for (let epoch = 0; epoch < 100; epoch++) { train(...); opt.step(); sched.step(); }
//
// As in PyTorch, each scheduler has two forms. The chainable form (getLr) moves the group's *current* lr one step
// (lr <- lr * gamma, say), so schedulers can be composed and the lr may also be changed from outside; step() uses
// it. The closed form (closedFormLr) computes lr from the base lr and the epoch alone; step(epoch) uses it. The
// values match PyTorch's step by step, floating-point rounding included.

import { Tensor } from "../tensor/tensor.js";
import type { Optimizer, OptimizerOptions } from "./optimizer.js";
import { checkOptionKeys, optionKeys } from "../util/options.js";

// Schedulers accept any optimizer: they read and write only `lr` and `initialLr` of its groups.
type AnyOptimizer = Optimizer<OptimizerOptions>;

/** The scheduler's fields other than the optimizer, as plain data (PyTorch's state_dict: everything but optimizer). */
export type SchedulerStateDict = Record<string, unknown>;

export abstract class LRScheduler {
  readonly optimizer: AnyOptimizer;
  /** Each group's lr when the schedule began (its `initialLr`). */
  baseLrs: number[];
  /** The number of step() calls since the start, minus one: 0 after construction. PyTorch's last_epoch. */
  lastEpoch: number;
  /** How many times step() ran, construction's implicit step included (some schedules treat the first apart). */
  protected stepCount = 0;
  protected lastLr: number[] = [];

  /**
   * lastEpoch = -1 starts a new schedule: each group's current lr becomes its initialLr. Resuming with
   * lastEpoch >= 0 requires initialLr in every group (set by the earlier scheduler, restored by loadStateDict).
   * Subclasses set their fields, then call initialStep(), which applies the schedule's value at lastEpoch + 1.
   */
  constructor(optimizer: AnyOptimizer, lastEpoch = -1) {
    groupCount(new.target.name, optimizer);
    if (!Number.isInteger(lastEpoch) || lastEpoch < -1) throw new RangeError(`${new.target.name}: lastEpoch must be an integer >= -1, got ${lastEpoch}`);
    this.optimizer = optimizer;
    optimizer.paramGroups.forEach((group, i) => {
      if (lastEpoch === -1) group.initialLr ??= group.lr;
      else if (group.initialLr === undefined) {
        throw new Error(`${new.target.name}: resuming at lastEpoch ${lastEpoch}, but parameter group ${i} has no initialLr (load the optimizer's stateDict first)`);
      }
    });
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
    this.lastEpoch = lastEpoch;
  }

  /** Resets the step count and applies the schedule's first value. Subclass constructors end with it; SequentialLR
   *  calls it on its first scheduler. */
  initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** The chainable form: each group's next lr, from its current lr, after lastEpoch was advanced. */
  protected abstract getLr(): number[];

  /** The closed form: each group's lr at lastEpoch from the base lrs alone; schedules that have one override it. */
  protected closedFormLr(): number[] | null {
    return null;
  }

  /**
   * Advances the schedule one step and sets each group's lr. With epoch (deprecated in PyTorch, kept for its
   * closed form) the counter jumps to epoch instead.
   */
  step(epoch?: number): void {
    this.stepCount += 1;
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch += 1;
      values = this.getLr();
    } else {
      this.lastEpoch = epoch;
      values = this.closedFormLr() ?? this.getLr();
    }
    this.optimizer.paramGroups.forEach((group, i) => { group.lr = values[i]; });
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The lr of each group as the last step() set it. */
  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  /**
   * The scheduler's fields (lastEpoch, baseLrs, its options...) as plain data. A field that holds the user's
   * functions (LambdaLR's lrLambdas, CyclicLR's scaleFn) is saved as null, one null per function: code cannot go in
   * a state dict, so, as with PyTorch's lambdas, the scheduler that loads it must be built with the same functions.
   */
  stateDict(): SchedulerStateDict {
    const functions = this.functionFields();
    const out: SchedulerStateDict = {};
    for (const [key, value] of Object.entries(this)) {
      if (key === "optimizer") continue;
      if (functions.includes(key)) out[key] = Array.isArray(value) ? value.map(() => null) : null;
      else out[key] = structuredClone(value);
    }
    return out;
  }

  /** Restores what stateDict() saved. The fields that hold functions keep this scheduler's own. */
  loadStateDict(dict: SchedulerStateDict): void {
    if (dict === null || typeof dict !== "object") throw new TypeError(`${this.constructor.name}.loadStateDict: expected an object as stateDict() returns`);
    const functions = this.functionFields();
    for (const [key, value] of Object.entries(dict)) {
      if (key === "optimizer" || functions.includes(key)) continue;
      if (!(key in this)) throw new Error(`${this.constructor.name}.loadStateDict: unknown field "${key}"`);
      (this as Record<string, unknown>)[key] = structuredClone(value);
    }
  }

  /** The names of the fields that hold the user's functions (see stateDict). */
  protected functionFields(): readonly string[] {
    return [];
  }

  protected groupLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
}

/** Throws unless optimizer is an Optimizer (has paramGroups); returns its number of parameter groups. */
function groupCount(name: string, optimizer: unknown): number {
  if (optimizer === null || typeof optimizer !== "object" || !Array.isArray((optimizer as AnyOptimizer).paramGroups)) {
    throw new TypeError(`${name}: expected an Optimizer, got ${optimizer === null ? "null" : typeof optimizer}`);
  }
  return (optimizer as AnyOptimizer).paramGroups.length;
}

function checkPositiveInt(name: string, option: string, v: unknown): void {
  if (!Number.isInteger(v) || (v as number) <= 0) throw new RangeError(`${name}: ${option} must be a positive integer, got ${String(v)}`);
}

function checkFinite(name: string, option: string, v: unknown): void {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new RangeError(`${name}: ${option} must be a finite number, got ${String(v)}`);
}

function checkBoolean(name: string, option: string, v: unknown): void {
  if (typeof v !== "boolean") throw new TypeError(`${name}: ${option} must be true or false, got ${show(v)}`);
}

/** A value as an error message shows it: strings quoted, functions and arrays described. */
function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "function") return "a function";
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return String(v);
}

/**
 * An option that takes one number for every group or an array of one per group (PyTorch's float-or-list options:
 * maxLr, baseMomentum...), checked and returned as one number per group.
 */
function perGroup(name: string, option: string, value: unknown, groups: number): number[] {
  if (Array.isArray(value) && value.length !== groups) {
    throw new Error(`${name}: expected ${groups} values for ${option} (one per parameter group), got ${value.length}`);
  }
  const values: unknown[] = Array.isArray(value) ? value : new Array<unknown>(groups).fill(value);
  values.forEach((v, i) => {
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new RangeError(`${name}: ${option}${Array.isArray(value) ? `[${i}]` : ""} must be a finite number, got ${show(v)}`);
    }
  });
  return values.slice() as number[];
}

// ---- StepLR ------------------------------------------------------------------------------------------------------

export interface StepLROptions {
  /** Period of the decay, in steps. */
  stepSize: number;
  /** Multiplicative factor of the decay. Default 0.1. */
  gamma?: number;
  lastEpoch?: number;
}

const STEP_LR_OPTION_KEYS = optionKeys<StepLROptions>({ stepSize: true, gamma: true, lastEpoch: true });

/** lr = baseLr · γ^⌊epoch / stepSize⌋: multiplied by gamma every stepSize steps. */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;

  constructor(optimizer: AnyOptimizer, options: StepLROptions) {
    // Checked before super(), which records each group's initialLr: a rejected call leaves the optimizer as it was.
    checkOptionKeys("StepLR", options, STEP_LR_OPTION_KEYS);
    const { stepSize, gamma = 0.1, lastEpoch = -1 } = options;
    super(optimizer, lastEpoch);
    checkPositiveInt("StepLR", "stepSize", stepSize);
    checkFinite("StepLR", "gamma", gamma);
    this.stepSize = stepSize;
    this.gamma = gamma;
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

// ---- MultiStepLR -------------------------------------------------------------------------------------------------

export interface MultiStepLROptions {
  /** The steps at which lr is multiplied by gamma (a milestone listed twice applies gamma twice). */
  milestones: readonly number[];
  /** Multiplicative factor of the decay. Default 0.1. */
  gamma?: number;
  lastEpoch?: number;
}

const MULTI_STEP_LR_OPTION_KEYS = optionKeys<MultiStepLROptions>({ milestones: true, gamma: true, lastEpoch: true });

/** lr = baseLr · γ^(number of milestones <= epoch). */
export class MultiStepLR extends LRScheduler {
  /** Sorted, repeats kept. */
  milestones: number[];
  gamma: number;

  constructor(optimizer: AnyOptimizer, options: MultiStepLROptions) {
    checkOptionKeys("MultiStepLR", options, MULTI_STEP_LR_OPTION_KEYS);
    const { milestones, gamma = 0.1, lastEpoch = -1 } = options;
    super(optimizer, lastEpoch);
    if (!Array.isArray(milestones) || milestones.some((m) => !Number.isInteger(m))) {
      throw new TypeError(`MultiStepLR: milestones must be an array of integers, got ${JSON.stringify(milestones)}`);
    }
    checkFinite("MultiStepLR", "gamma", gamma);
    this.milestones = milestones.slice().sort((a, b) => a - b);
    this.gamma = gamma;
    this.initialStep();
  }

  protected getLr(): number[] {
    const hits = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (hits === 0) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * this.gamma ** hits);
  }

  protected override closedFormLr(): number[] {
    const passed = this.milestones.filter((m) => m <= this.lastEpoch).length;
    return this.baseLrs.map((base) => base * this.gamma ** passed);
  }
}

// ---- ExponentialLR -----------------------------------------------------------------------------------------------

export interface ExponentialLROptions {
  /** Multiplicative factor applied every step. */
  gamma: number;
  lastEpoch?: number;
}

const EXPONENTIAL_LR_OPTION_KEYS = optionKeys<ExponentialLROptions>({ gamma: true, lastEpoch: true });

/** lr = baseLr · γ^epoch. */
export class ExponentialLR extends LRScheduler {
  gamma: number;

  constructor(optimizer: AnyOptimizer, options: ExponentialLROptions) {
    checkOptionKeys("ExponentialLR", options, EXPONENTIAL_LR_OPTION_KEYS);
    const { gamma, lastEpoch = -1 } = options;
    super(optimizer, lastEpoch);
    checkFinite("ExponentialLR", "gamma", gamma);
    this.gamma = gamma;
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** this.lastEpoch);
  }
}

// ---- CosineAnnealingLR -------------------------------------------------------------------------------------------

export interface CosineAnnealingLROptions {
  /** Half-period of the cosine, in steps: lr reaches etaMin at TMax (and climbs back after, as PyTorch's does). */
  TMax: number;
  /** The lowest lr. Default 0. */
  etaMin?: number;
  lastEpoch?: number;
}

const COSINE_ANNEALING_LR_OPTION_KEYS = optionKeys<CosineAnnealingLROptions>({ TMax: true, etaMin: true, lastEpoch: true });

/**
 * η_t = η_min + (η_max − η_min) · (1 + cos(π t / T_max)) / 2, with η_max the base lr (SGDR without restarts).
 * step() applies it recursively, as PyTorch does, so other changes to lr carry through:
 *   η_t = η_min + (η_{t−1} − η_min) · (1 + cos(π t / T_max)) / (1 + cos(π (t − 1) / T_max)),
 * except at t − 1 − T_max ≡ 0 (mod 2 T_max), the bottom of the curve, where that ratio is 0/0 and
 *   η_t = η_{t−1} + (η_max − η_min) · (1 − cos(π / T_max)) / 2.
 */
export class CosineAnnealingLR extends LRScheduler {
  TMax: number;
  etaMin: number;

  constructor(optimizer: AnyOptimizer, options: CosineAnnealingLROptions) {
    checkOptionKeys("CosineAnnealingLR", options, COSINE_ANNEALING_LR_OPTION_KEYS);
    const { TMax, etaMin = 0, lastEpoch = -1 } = options;
    super(optimizer, lastEpoch);
    checkPositiveInt("CosineAnnealingLR", "TMax", TMax);
    checkFinite("CosineAnnealingLR", "etaMin", etaMin);
    this.TMax = TMax;
    this.etaMin = etaMin;
    this.initialStep();
  }

  protected getLr(): number[] {
    const { lastEpoch: t, TMax, etaMin } = this;
    const lrs = this.groupLrs();
    if (t === 0) return lrs;
    if (this.stepCount === 1 && t > 0) {
      // Resumed at lastEpoch > 0: no previous lr to chain from, so use the closed form.
      return this.baseLrs.map((base) => etaMin + (base - etaMin) * (1 + Math.cos(t * Math.PI / TMax)) / 2);
    }
    if ((t - 1 - TMax) % (2 * TMax) === 0) {
      return lrs.map((lr, i) => lr + (this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / TMax)) / 2);
    }
    return lrs.map((lr) => (1 + Math.cos(Math.PI * t / TMax)) / (1 + Math.cos(Math.PI * (t - 1) / TMax)) * (lr - etaMin) + etaMin);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => this.etaMin + (base - this.etaMin) * (1 + Math.cos(Math.PI * this.lastEpoch / this.TMax)) / 2);
  }
}

// ---- LinearLR ----------------------------------------------------------------------------------------------------

export interface LinearLROptions {
  /** Factor of the base lr at step 0, in (0, 1]. Default 1/3. */
  startFactor?: number;
  /** Factor of the base lr from step totalIters on, in [0, 1]. Default 1. */
  endFactor?: number;
  /** Steps over which the factor moves linearly from startFactor to endFactor. Default 5. */
  totalIters?: number;
  lastEpoch?: number;
}

const LINEAR_LR_OPTION_KEYS = optionKeys<LinearLROptions>({ startFactor: true, endFactor: true, totalIters: true, lastEpoch: true });

/** lr = baseLr · (s + (e − s) · min(epoch, totalIters) / totalIters): a linear warm-up (or decay). */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;

  constructor(optimizer: AnyOptimizer, options: LinearLROptions = {}) {
    checkOptionKeys("LinearLR", options, LINEAR_LR_OPTION_KEYS);
    const { startFactor = 1 / 3, endFactor = 1, totalIters = 5, lastEpoch = -1 } = options;
    super(optimizer, lastEpoch);
    if (!(startFactor > 0 && startFactor <= 1)) throw new RangeError(`LinearLR: startFactor must be in (0, 1], got ${startFactor}`);
    if (!(endFactor >= 0 && endFactor <= 1)) throw new RangeError(`LinearLR: endFactor must be in [0, 1], got ${endFactor}`);
    checkPositiveInt("LinearLR", "totalIters", totalIters);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
    this.initialStep();
  }

  protected getLr(): number[] {
    const { lastEpoch: t, startFactor: s, endFactor: e, totalIters: n } = this;
    if (t === 0) return this.groupLrs().map((lr) => lr * s);
    if (t > n) return this.groupLrs();
    // The ratio of factor(t) to factor(t − 1), so the chain multiplies out to the closed form.
    return this.groupLrs().map((lr) => lr * (1 + (e - s) / (n * s + (t - 1) * (e - s))));
  }

  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n } = this;
    return this.baseLrs.map((base) => base * (s + (e - s) * Math.min(n, this.lastEpoch) / n));
  }
}

// ---- SequentialLR ------------------------------------------------------------------------------------------------

export interface SequentialLROptions {
  /** The schedulers to run one after another, all built on this optimizer. */
  schedulers: readonly LRScheduler[];
  /** The steps at which the next scheduler takes over (one fewer than schedulers, increasing). */
  milestones: readonly number[];
  lastEpoch?: number;
}

const SEQUENTIAL_LR_OPTION_KEYS = optionKeys<SequentialLROptions>({ schedulers: true, milestones: true, lastEpoch: true });

/**
 * Runs schedulers[0] until milestones[0], then schedulers[1] until milestones[1], and so on. At a milestone the
 * next scheduler restarts from its own step 0 (closed form), so its schedule is counted from the milestone.
 * Construction undoes the initial step the given schedulers took and restores every group's initialLr, as
 * PyTorch's SequentialLR does. warmupCosineLR() builds the usual warm-up-then-cosine case.
 */
export class SequentialLR extends LRScheduler {
  readonly schedulers: LRScheduler[];
  milestones: number[];

  constructor(optimizer: AnyOptimizer, options: SequentialLROptions) {
    checkOptionKeys("SequentialLR", options, SEQUENTIAL_LR_OPTION_KEYS);
    const { schedulers, milestones, lastEpoch = -1 } = options;
    super(optimizer, -1);
    if (!Array.isArray(schedulers) || schedulers.length === 0) throw new Error("SequentialLR: schedulers must be a non-empty array of schedulers");
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer) throw new Error(`SequentialLR: schedulers[${i}] was built on a different optimizer; all must share the one given`);
    });
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      throw new Error(`SequentialLR: expected ${schedulers.length - 1} milestone(s) for ${schedulers.length} schedulers, got ${JSON.stringify(milestones)}`);
    }
    for (let i = 1; i < milestones.length; i++) {
      if (!(milestones[i] > milestones[i - 1])) throw new Error(`SequentialLR: milestones must be increasing, got ${JSON.stringify(milestones)}`);
    }
    this.schedulers = schedulers.slice();
    this.milestones = milestones.slice();
    this.lastEpoch = lastEpoch + 1;
    for (const group of optimizer.paramGroups) group.lr = group.initialLr!;
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.schedulers[0].initialStep();
    this.lastLr = this.schedulers[0].getLastLr();
  }

  protected getLr(): number[] {
    return this.groupLrs();
  }

  override step(): void {
    this.lastEpoch += 1;
    const idx = this.milestones.filter((m) => m <= this.lastEpoch).length;
    const scheduler = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) scheduler.step(0);
    else scheduler.step();
    this.lastLr = scheduler.getLastLr();
  }

  override stateDict(): SchedulerStateDict {
    const out: SchedulerStateDict = {};
    for (const [key, value] of Object.entries(this)) {
      if (key !== "optimizer" && key !== "schedulers") out[key] = structuredClone(value);
    }
    out.schedulers = this.schedulers.map((s) => s.stateDict());
    return out;
  }

  override loadStateDict(dict: SchedulerStateDict): void {
    const { schedulers, ...rest } = dict;
    super.loadStateDict(rest);
    if (Array.isArray(schedulers)) {
      if (schedulers.length !== this.schedulers.length) throw new Error(`SequentialLR.loadStateDict: ${schedulers.length} scheduler states for ${this.schedulers.length} schedulers`);
      schedulers.forEach((s, i) => this.schedulers[i].loadStateDict(s as SchedulerStateDict));
    }
  }
}

export interface WarmupCosineOptions {
  /** Steps of linear warm-up, from startFactor · lr to lr. */
  warmupIters: number;
  /** Steps in all: the cosine runs from lr at step warmupIters down to etaMin at step totalIters. */
  totalIters: number;
  /** Factor of lr at step 0. Default 1/3, LinearLR's default. */
  startFactor?: number;
  /** The lr the cosine ends at. Default 0. */
  etaMin?: number;
}

const WARMUP_COSINE_OPTION_KEYS = optionKeys<WarmupCosineOptions>({ warmupIters: true, totalIters: true, startFactor: true, etaMin: true });

/**
 * Linear warm-up then cosine annealing, exactly PyTorch's composition
 *   SequentialLR(opt, [LinearLR(opt, startFactor, 1, warmupIters), CosineAnnealingLR(opt, totalIters − warmupIters, etaMin)],
 *                milestones = [warmupIters]):
 * lr_t = lr · (s + (1 − s) t / warmupIters) for t < warmupIters, then
 * lr_t = etaMin + (lr − etaMin)(1 + cos(π (t − warmupIters) / (totalIters − warmupIters))) / 2.
 */
export function warmupCosineLR(optimizer: AnyOptimizer, options: WarmupCosineOptions): SequentialLR {
  checkOptionKeys("warmupCosineLR", options, WARMUP_COSINE_OPTION_KEYS);
  const { warmupIters, totalIters, startFactor = 1 / 3, etaMin = 0 } = options;
  checkPositiveInt("warmupCosineLR", "warmupIters", warmupIters);
  if (!Number.isInteger(totalIters) || totalIters <= warmupIters) {
    throw new RangeError(`warmupCosineLR: totalIters must be an integer greater than warmupIters (${warmupIters}), got ${totalIters}`);
  }
  const warmup = new LinearLR(optimizer, { startFactor, endFactor: 1, totalIters: warmupIters });
  const cosine = new CosineAnnealingLR(optimizer, { TMax: totalIters - warmupIters, etaMin });
  return new SequentialLR(optimizer, { schedulers: [warmup, cosine], milestones: [warmupIters] });
}

// ---- LambdaLR and MultiplicativeLR -------------------------------------------------------------------------------

/** A function of the epoch (lastEpoch) that returns a factor of the lr. */
export type LrLambda = (epoch: number) => number;

/** lrLambda as given (one function for all groups, or one per group) made into one function per group. */
function lambdasPerGroup(name: string, lrLambda: unknown, groups: number): LrLambda[] {
  if (typeof lrLambda === "function") return new Array<LrLambda>(groups).fill(lrLambda as LrLambda);
  if (!Array.isArray(lrLambda)) {
    throw new TypeError(`${name}: lrLambda must be a function of the epoch, or an array of one per parameter group, got ${show(lrLambda)}`);
  }
  if (lrLambda.length !== groups) throw new Error(`${name}: expected ${groups} lrLambda functions (one per parameter group), got ${lrLambda.length}`);
  lrLambda.forEach((f, i) => {
    if (typeof f !== "function") throw new TypeError(`${name}: lrLambda[${i}] must be a function of the epoch, got ${show(f)}`);
  });
  return lrLambda.slice() as LrLambda[];
}

/** Calls group i's function at the current epoch; a result that is not a finite number is the caller's bug, named. */
function lambdaFactor(name: string, fns: readonly LrLambda[], i: number, epoch: number): number {
  const f = fns[i](epoch);
  if (typeof f !== "number" || !Number.isFinite(f)) {
    throw new TypeError(`${name}: lrLambda returned ${show(f)} for parameter group ${i} at epoch ${epoch}; it must return a finite number`);
  }
  return f;
}

export interface LambdaLROptions {
  /** The factor of the base lr at each epoch: one function for every group, or an array of one per group. */
  lrLambda: LrLambda | readonly LrLambda[];
  lastEpoch?: number;
}

const LAMBDA_LR_OPTION_KEYS = optionKeys<LambdaLROptions>({ lrLambda: true, lastEpoch: true });

/**
 * lr = baseLr · lrLambda(epoch), with the group's own function when one is given per group. The functions are not
 * part of stateDict() (it holds null in their place), so a resumed run must pass the same ones again.
 */
export class LambdaLR extends LRScheduler {
  lrLambdas: LrLambda[];

  constructor(optimizer: AnyOptimizer, options: LambdaLROptions) {
    checkOptionKeys("LambdaLR", options, LAMBDA_LR_OPTION_KEYS);
    const { lrLambda, lastEpoch = -1 } = options;
    const lrLambdas = lambdasPerGroup("LambdaLR", lrLambda, groupCount("LambdaLR", optimizer));
    super(optimizer, lastEpoch);
    this.lrLambdas = lrLambdas;
    this.initialStep();
  }

  protected getLr(): number[] {
    return this.baseLrs.map((base, i) => base * lambdaFactor("LambdaLR", this.lrLambdas, i, this.lastEpoch));
  }

  protected override functionFields(): readonly string[] {
    return ["lrLambdas"];
  }
}

export interface MultiplicativeLROptions {
  /** The factor the lr is multiplied by at each step: one function of the epoch for every group, or one per group. */
  lrLambda: LrLambda | readonly LrLambda[];
  lastEpoch?: number;
}

const MULTIPLICATIVE_LR_OPTION_KEYS = optionKeys<MultiplicativeLROptions>({ lrLambda: true, lastEpoch: true });

/** lr_t = lr_{t−1} · lrLambda(t) for t >= 1 (lr_0 is the base lr): the factors multiply up. */
export class MultiplicativeLR extends LRScheduler {
  lrLambdas: LrLambda[];

  constructor(optimizer: AnyOptimizer, options: MultiplicativeLROptions) {
    checkOptionKeys("MultiplicativeLR", options, MULTIPLICATIVE_LR_OPTION_KEYS);
    const { lrLambda, lastEpoch = -1 } = options;
    const lrLambdas = lambdasPerGroup("MultiplicativeLR", lrLambda, groupCount("MultiplicativeLR", optimizer));
    super(optimizer, lastEpoch);
    this.lrLambdas = lrLambdas;
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch <= 0) return this.groupLrs();
    return this.groupLrs().map((lr, i) => lr * lambdaFactor("MultiplicativeLR", this.lrLambdas, i, this.lastEpoch));
  }

  protected override functionFields(): readonly string[] {
    return ["lrLambdas"];
  }
}

// ---- ConstantLR --------------------------------------------------------------------------------------------------

export interface ConstantLROptions {
  /** Factor of the base lr before step totalIters, in (0, 1]. Default 1/3. */
  factor?: number;
  /** The step at which lr returns to the base lr. Default 5. */
  totalIters?: number;
  lastEpoch?: number;
}

const CONSTANT_LR_OPTION_KEYS = optionKeys<ConstantLROptions>({ factor: true, totalIters: true, lastEpoch: true });

/**
 * lr = baseLr · factor for epoch < totalIters, then baseLr. The chainable form multiplies by factor at step 0 and by
 * 1 / factor at step totalIters (PyTorch's order of operations, so the rounding matches), which is why factor 0,
 * accepted by PyTorch until the division by zero at totalIters, is refused here.
 */
export class ConstantLR extends LRScheduler {
  factor: number;
  totalIters: number;

  constructor(optimizer: AnyOptimizer, options: ConstantLROptions = {}) {
    checkOptionKeys("ConstantLR", options, CONSTANT_LR_OPTION_KEYS);
    const { factor = 1 / 3, totalIters = 5, lastEpoch = -1 } = options;
    if (typeof factor !== "number" || !(factor > 0 && factor <= 1)) throw new RangeError(`ConstantLR: factor must be in (0, 1], got ${show(factor)}`);
    checkPositiveInt("ConstantLR", "totalIters", totalIters);
    super(optimizer, lastEpoch);
    this.factor = factor;
    this.totalIters = totalIters;
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groupLrs().map((lr) => lr * this.factor);
    if (this.lastEpoch !== this.totalIters) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * (1 / this.factor));
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * (this.factor + (this.lastEpoch >= this.totalIters ? 1 - this.factor : 0)));
  }
}

// ---- PolynomialLR ------------------------------------------------------------------------------------------------

export interface PolynomialLROptions {
  /** The step at which lr reaches 0 (and stays). Default 5. */
  totalIters?: number;
  /** The power of the polynomial, >= 0. Default 1 (a linear decay). */
  power?: number;
  lastEpoch?: number;
}

const POLYNOMIAL_LR_OPTION_KEYS = optionKeys<PolynomialLROptions>({ totalIters: true, power: true, lastEpoch: true });

/**
 * lr = baseLr · (1 − min(epoch, totalIters) / totalIters)^power. step() multiplies by the ratio of consecutive
 * values, ((1 − t/n) / (1 − (t − 1)/n))^power, so other changes to lr carry through, as in PyTorch.
 */
export class PolynomialLR extends LRScheduler {
  totalIters: number;
  power: number;

  constructor(optimizer: AnyOptimizer, options: PolynomialLROptions = {}) {
    checkOptionKeys("PolynomialLR", options, POLYNOMIAL_LR_OPTION_KEYS);
    const { totalIters = 5, power = 1, lastEpoch = -1 } = options;
    checkPositiveInt("PolynomialLR", "totalIters", totalIters);
    // A negative power would divide by zero at totalIters, where the base of the power reaches 0.
    if (typeof power !== "number" || !Number.isFinite(power) || power < 0) throw new RangeError(`PolynomialLR: power must be a finite number >= 0, got ${show(power)}`);
    super(optimizer, lastEpoch);
    this.totalIters = totalIters;
    this.power = power;
    this.initialStep();
  }

  protected getLr(): number[] {
    const { lastEpoch: t, totalIters: n } = this;
    if (t === 0 || t > n) return this.groupLrs();
    const decay = ((1 - t / n) / (1 - (t - 1) / n)) ** this.power;
    return this.groupLrs().map((lr) => lr * decay);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * (1 - Math.min(this.totalIters, this.lastEpoch) / this.totalIters) ** this.power);
  }
}

// ---- CosineAnnealingWarmRestarts ---------------------------------------------------------------------------------

export interface CosineAnnealingWarmRestartsOptions {
  /** Length of the first cycle, in steps (or epochs, when step(epoch) is given fractional epochs). */
  T0: number;
  /** Each cycle is TMult times as long as the one before: an integer >= 1. Default 1. */
  TMult?: number;
  /** The lowest lr, reached at the end of each cycle. Default 0. */
  etaMin?: number;
  lastEpoch?: number;
}

const COSINE_ANNEALING_WARM_RESTARTS_OPTION_KEYS = optionKeys<CosineAnnealingWarmRestartsOptions>({ T0: true, TMult: true, etaMin: true, lastEpoch: true });

/**
 * SGDR: η = η_min + (η_max − η_min) · (1 + cos(π T_cur / T_i)) / 2, with η_max the base lr, T_cur the epochs since
 * the last restart and T_i the length of the current cycle (T0, then T0 · TMult, T0 · TMult², ...). At a restart
 * T_cur returns to 0 and lr to the base lr.
 *
 * step() advances T_cur by one. step(epoch) places the schedule at any epoch, fractional ones included, so that a
 * loop over batches can call step(epoch + i / batchesPerEpoch); a later step() goes on from there by whole steps,
 * as PyTorch's does (after step(3.5), step() gives T_cur + 1 and lastEpoch 4).
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  T0: number;
  /** The length of the current cycle. */
  Ti: number;
  TMult: number;
  etaMin: number;
  /** Epochs since the last restart (fractional after step(epoch) with a fractional epoch). */
  TCur: number;

  constructor(optimizer: AnyOptimizer, options: CosineAnnealingWarmRestartsOptions) {
    checkOptionKeys("CosineAnnealingWarmRestarts", options, COSINE_ANNEALING_WARM_RESTARTS_OPTION_KEYS);
    const { T0, TMult = 1, etaMin = 0, lastEpoch = -1 } = options;
    checkPositiveInt("CosineAnnealingWarmRestarts", "T0", T0);
    checkPositiveInt("CosineAnnealingWarmRestarts", "TMult", TMult);
    checkFinite("CosineAnnealingWarmRestarts", "etaMin", etaMin);
    super(optimizer, lastEpoch);
    this.T0 = T0;
    this.Ti = T0;
    this.TMult = TMult;
    this.etaMin = etaMin;
    this.TCur = lastEpoch;
    this.initialStep();
  }

  protected getLr(): number[] {
    const { etaMin } = this;
    return this.baseLrs.map((base) => etaMin + (base - etaMin) * (1 + Math.cos(Math.PI * this.TCur / this.Ti)) / 2);
  }

  override step(epoch?: number): void {
    this.stepCount += 1;
    // The first step (construction's) is epoch 0 whichever form is used.
    if (epoch === undefined && this.lastEpoch < 0) epoch = 0;
    if (epoch === undefined) {
      epoch = this.lastEpoch + 1;
      this.TCur += 1;
      if (this.TCur >= this.Ti) {
        // PyTorch 1.13 subtracts Ti once; the remainder is the same whenever TCur < 2 Ti (every step-by-step run)
        // and also right when a schedule resumed with lastEpoch is more than a cycle along.
        this.TCur %= this.Ti;
        this.Ti *= this.TMult;
      }
    } else {
      if (typeof epoch !== "number" || !Number.isFinite(epoch) || epoch < 0) {
        throw new RangeError(`CosineAnnealingWarmRestarts.step: epoch must be a finite number >= 0, got ${show(epoch)}`);
      }
      if (epoch < this.T0) {
        this.Ti = this.T0;
        this.TCur = epoch;
      } else if (this.TMult === 1) {
        this.TCur = epoch % this.T0;
      } else {
        // Find the cycle that contains epoch by adding up cycle lengths. PyTorch takes the cycle's index from a
        // floating-point logarithm, which at some restarts lands just below the integer (T0 3, TMult 3, epoch 363
        // gives 4.999...) and puts the epoch at the end of the previous cycle; the sums here are exact integers.
        let start = 0;
        let length = this.T0;
        while (epoch >= start + length) {
          start += length;
          length *= this.TMult;
        }
        this.TCur = epoch - start;
        this.Ti = length;
      }
    }
    this.lastEpoch = Math.floor(epoch);
    const values = this.getLr();
    this.optimizer.paramGroups.forEach((group, i) => { group.lr = values[i]; });
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }
}

// ---- momentum cycling (OneCycleLR, CyclicLR) ---------------------------------------------------------------------

/**
 * Which option holds an optimizer's momentum: Adam's and AdamW's first beta (betas[0]) plays the part of SGD's and
 * RMSprop's momentum. Throws when the optimizer has neither.
 */
function findMomentumKind(name: string, optimizer: AnyOptimizer): "momentum" | "betas" {
  const defaults = (optimizer.defaults ?? {}) as object;
  if ("betas" in defaults) return "betas";
  if ("momentum" in defaults) return "momentum";
  throw new Error(`${name}: cycleMomentum needs an optimizer with momentum (SGD, RMSprop) or betas (Adam, AdamW), and ${optimizer.constructor?.name ?? "this optimizer"} has neither; pass cycleMomentum: false`);
}

function setMomentum(group: object, kind: "momentum" | "betas", value: number): void {
  const g = group as Record<string, unknown>;
  if (kind === "betas") g.betas = [value, ...(g.betas as readonly number[]).slice(1)];
  else g.momentum = value;
}

// ---- CyclicLR ----------------------------------------------------------------------------------------------------

export interface CyclicLROptions {
  /** The lr at the bottom of each cycle: one for every group or one per group. The groups' lr is set to it. */
  baseLr: number | readonly number[];
  /** The lr at the top of the first cycle (later cycles may be scaled down by the mode). One or one per group. */
  maxLr: number | readonly number[];
  /** Steps from baseLr up to maxLr. Default 2000. */
  stepSizeUp?: number;
  /** Steps from maxLr back down to baseLr. Default stepSizeUp. */
  stepSizeDown?: number;
  /**
   * How the height of the cycle changes: "triangular" keeps it, "triangular2" halves it every cycle, "exp_range"
   * multiplies it by gamma every step. Ignored when scaleFn is given. Default "triangular".
   */
  mode?: "triangular" | "triangular2" | "exp_range";
  /** The factor of "exp_range". Default 1. */
  gamma?: number;
  /** A custom scale of the cycle's height, in [0, 1], of the cycle number (from 1) or of the step (see scaleMode). */
  scaleFn?: (x: number) => number;
  /** What scaleFn is a function of: "cycle" or "iterations" (steps since the start). Default "cycle". */
  scaleMode?: "cycle" | "iterations";
  /** Cycle the momentum (SGD's momentum, Adam's betas[0]) inversely to the lr. Default true. */
  cycleMomentum?: boolean;
  /** The momentum at the top of the lr's cycle. One or one per group. Default 0.8. */
  baseMomentum?: number | readonly number[];
  /** The momentum at the bottom of the lr's cycle. One or one per group. Default 0.9. */
  maxMomentum?: number | readonly number[];
  lastEpoch?: number;
}

const CYCLIC_LR_OPTION_KEYS = optionKeys<CyclicLROptions>({
  baseLr: true, maxLr: true, stepSizeUp: true, stepSizeDown: true, mode: true, gamma: true, scaleFn: true, scaleMode: true,
  cycleMomentum: true, baseMomentum: true, maxMomentum: true, lastEpoch: true,
});

const CYCLIC_MODES: readonly string[] = ["triangular", "triangular2", "exp_range"];

/**
 * The cyclical learning rate (Smith, 2017): lr climbs linearly from baseLr to maxLr over stepSizeUp steps, falls
 * back over stepSizeDown steps, and repeats. At step t, with cycle length L = stepSizeUp + stepSizeDown,
 *   cycle = ⌊1 + t / L⌋,  x = 1 + t / L − cycle (the position in the cycle, in [0, 1)),
 *   h = x / r on the way up (x <= r = stepSizeUp / L), (x − 1) / (r − 1) on the way down,
 *   lr = baseLr + (maxLr − baseLr) · h · scale,  momentum = maxMomentum − (maxMomentum − baseMomentum) · h · scale,
 * where scale is 1 ("triangular"), 1 / 2^(cycle − 1) ("triangular2"), gamma^t ("exp_range") or scaleFn's value.
 * Step it after every batch. Adam's betas[0] is cycled as SGD's momentum is, as later PyTorch releases do (1.13
 * refuses an optimizer without momentum unless cycleMomentum is false); every other value is 1.13's.
 */
export class CyclicLR extends LRScheduler {
  maxLrs: number[];
  totalSize: number;
  stepRatio: number;
  mode: "triangular" | "triangular2" | "exp_range";
  gamma: number;
  scaleFn: ((x: number) => number) | null;
  scaleMode: "cycle" | "iterations";
  cycleMomentum: boolean;
  /** Where the cycled momentum lives: "momentum" (SGD, RMSprop) or "betas" (betas[0]: Adam, AdamW). */
  momentumKind: "momentum" | "betas" | null;
  baseMomentums: number[];
  maxMomentums: number[];

  constructor(optimizer: AnyOptimizer, options: CyclicLROptions) {
    const name = "CyclicLR";
    checkOptionKeys(name, options, CYCLIC_LR_OPTION_KEYS);
    const {
      baseLr, maxLr, stepSizeUp = 2000, stepSizeDown = stepSizeUp, mode = "triangular", gamma = 1, scaleFn,
      scaleMode = "cycle", cycleMomentum = true, baseMomentum = 0.8, maxMomentum = 0.9, lastEpoch = -1,
    } = options;
    const groups = groupCount(name, optimizer);
    const baseLrs = perGroup(name, "baseLr", baseLr, groups);
    const maxLrs = perGroup(name, "maxLr", maxLr, groups);
    for (const [option, v] of [["stepSizeUp", stepSizeUp], ["stepSizeDown", stepSizeDown]] as const) {
      if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new RangeError(`${name}: ${option} must be a positive number of steps, got ${show(v)}`);
    }
    if (scaleFn === undefined && !CYCLIC_MODES.includes(mode)) {
      throw new Error(`${name}: mode must be "triangular", "triangular2" or "exp_range" (or give scaleFn), got ${show(mode)}`);
    }
    if (scaleFn !== undefined && typeof scaleFn !== "function") throw new TypeError(`${name}: scaleFn must be a function, got ${show(scaleFn)}`);
    if (scaleMode !== "cycle" && scaleMode !== "iterations") throw new Error(`${name}: scaleMode must be "cycle" or "iterations", got ${show(scaleMode)}`);
    checkFinite(name, "gamma", gamma);
    checkBoolean(name, "cycleMomentum", cycleMomentum);
    const kind = cycleMomentum ? findMomentumKind(name, optimizer) : null;
    const baseMomentums = cycleMomentum ? perGroup(name, "baseMomentum", baseMomentum, groups) : [];
    const maxMomentums = cycleMomentum ? perGroup(name, "maxMomentum", maxMomentum, groups) : [];
    // A new schedule starts at the bottom of the cycle; a resumed one (lastEpoch >= 0) leaves the groups as loaded.
    if (lastEpoch === -1) {
      optimizer.paramGroups.forEach((group, i) => {
        group.lr = baseLrs[i];
        if (kind !== null) setMomentum(group, kind, maxMomentums[i]);
      });
    }
    super(optimizer, lastEpoch);
    this.maxLrs = maxLrs;
    this.totalSize = stepSizeUp + stepSizeDown;
    this.stepRatio = stepSizeUp / this.totalSize;
    this.mode = mode;
    this.gamma = gamma;
    this.scaleFn = scaleFn ?? null;
    // Without scaleFn the mode decides what the scale is a function of.
    this.scaleMode = scaleFn !== undefined ? scaleMode : mode === "exp_range" ? "iterations" : "cycle";
    this.cycleMomentum = cycleMomentum;
    this.momentumKind = kind;
    this.baseMomentums = baseMomentums;
    this.maxMomentums = maxMomentums;
    // PyTorch computes the first value from the groups' initialLr (the base class's baseLrs) and only then replaces
    // baseLrs with baseLr: the two differ only when the groups already had an initialLr from an earlier scheduler,
    // and then the first lr is that initialLr. Kept so that such a run matches PyTorch's.
    this.initialStep();
    this.baseLrs = baseLrs;
  }

  private scale(x: number): number {
    if (this.scaleFn !== null) {
      const s = this.scaleFn(x);
      if (typeof s !== "number" || !Number.isFinite(s)) throw new TypeError(`CyclicLR: scaleFn returned ${show(s)} for ${x}; it must return a finite number`);
      return s;
    }
    if (this.mode === "triangular2") return 1 / 2 ** (x - 1);
    if (this.mode === "exp_range") return this.gamma ** x;
    return 1;
  }

  /** Also sets each group's momentum when cycleMomentum is on, as PyTorch's get_lr does. */
  protected getLr(): number[] {
    const t = this.lastEpoch;
    const cycle = Math.floor(1 + t / this.totalSize);
    const x = 1 + t / this.totalSize - cycle;
    const height = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const scale = this.scale(this.scaleMode === "cycle" ? cycle : t);
    const lrs = this.baseLrs.map((base, i) => base + (this.maxLrs[i] - base) * height * scale);
    if (this.momentumKind !== null) {
      const kind = this.momentumKind;
      this.optimizer.paramGroups.forEach((group, i) => {
        const top = this.maxMomentums[i];
        setMomentum(group, kind, top - (top - this.baseMomentums[i]) * height * scale);
      });
    }
    return lrs;
  }

  protected override functionFields(): readonly string[] {
    return ["scaleFn"];
  }
}

// ---- OneCycleLR --------------------------------------------------------------------------------------------------

export interface OneCycleLROptions {
  /** The peak lr: one for every group or one per group. */
  maxLr: number | readonly number[];
  /** Steps in the whole cycle. If not given, epochs · stepsPerEpoch. */
  totalSteps?: number;
  /** With stepsPerEpoch, gives totalSteps when it is not given. */
  epochs?: number;
  stepsPerEpoch?: number;
  /** The fraction of the cycle spent raising the lr, in [0, 1]. Default 0.3. */
  pctStart?: number;
  /** "cos" (cosine annealing) or "linear" between the phases' end points. Default "cos". */
  annealStrategy?: "cos" | "linear";
  /** Cycle the momentum (SGD's momentum, Adam's betas[0]) inversely to the lr. Default true. */
  cycleMomentum?: boolean;
  /** The momentum at the lr's peak. One or one per group. Default 0.85. */
  baseMomentum?: number | readonly number[];
  /** The momentum at the start and end. One or one per group. Default 0.95. */
  maxMomentum?: number | readonly number[];
  /** The starting lr is maxLr / divFactor. Default 25. */
  divFactor?: number;
  /** The final lr is the starting lr / finalDivFactor. Default 1e4. */
  finalDivFactor?: number;
  /** Three phases (up, back down to the starting lr, then down to the final lr) instead of two. Default false. */
  threePhase?: boolean;
  lastEpoch?: number;
}

const ONE_CYCLE_LR_OPTION_KEYS = optionKeys<OneCycleLROptions>({
  maxLr: true, totalSteps: true, epochs: true, stepsPerEpoch: true, pctStart: true, annealStrategy: true, cycleMomentum: true,
  baseMomentum: true, maxMomentum: true, divFactor: true, finalDivFactor: true, threePhase: true, lastEpoch: true,
});

/** One phase of the 1cycle schedule: lr and momentum move from the start points to the end points by endStep. */
export interface OneCyclePhase {
  endStep: number;
  startLr: "initial" | "max" | "min";
  endLr: "initial" | "max" | "min";
  startMomentum: "base" | "max";
  endMomentum: "base" | "max";
}

/**
 * The 1cycle policy (Smith & Topin, 2017), as PyTorch's OneCycleLR: lr rises from initial = maxLr / divFactor to
 * maxLr over the first pctStart of totalSteps, then falls to min = initial / finalDivFactor (two phases, fastai's
 * form), or with threePhase falls back to initial over as many steps and then to min. Each phase anneals from its
 * start to its end value, by cosine, start + (end − start)(1 − cos(π p)) / 2, or linearly, with p the fraction of
 * the phase done. Momentum moves the other way, maxMomentum -> baseMomentum -> maxMomentum. Phase k ends at step
 * pctStart · totalSteps − 1 (and 2 · pctStart · totalSteps − 2 for the second of three); the last ends at
 * totalSteps − 1, and the schedule may be stepped up to lastEpoch = totalSteps. Step it after every batch.
 * The base class's baseLrs (the groups' initialLr) are the starting lrs: construction sets them to maxLr / divFactor.
 */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  pctStart: number;
  phases: OneCyclePhase[];
  annealStrategy: "cos" | "linear";
  maxLrs: number[];
  minLrs: number[];
  cycleMomentum: boolean;
  /** Where the cycled momentum lives: "momentum" (SGD, RMSprop) or "betas" (betas[0]: Adam, AdamW). */
  momentumKind: "momentum" | "betas" | null;
  baseMomentums: number[];
  maxMomentums: number[];

  constructor(optimizer: AnyOptimizer, options: OneCycleLROptions) {
    const name = "OneCycleLR";
    checkOptionKeys(name, options, ONE_CYCLE_LR_OPTION_KEYS);
    const {
      maxLr, epochs, stepsPerEpoch, pctStart = 0.3, annealStrategy = "cos", cycleMomentum = true, baseMomentum = 0.85,
      maxMomentum = 0.95, divFactor = 25, finalDivFactor = 1e4, threePhase = false, lastEpoch = -1,
    } = options;
    let { totalSteps } = options;
    const groups = groupCount(name, optimizer);
    if (totalSteps !== undefined) {
      checkPositiveInt(name, "totalSteps", totalSteps);
    } else if (epochs === undefined && stepsPerEpoch === undefined) {
      throw new Error(`${name}: give totalSteps, or epochs and stepsPerEpoch (totalSteps = epochs · stepsPerEpoch)`);
    } else {
      checkPositiveInt(name, "epochs", epochs);
      checkPositiveInt(name, "stepsPerEpoch", stepsPerEpoch);
      totalSteps = epochs! * stepsPerEpoch!;
    }
    if (typeof pctStart !== "number" || !(pctStart >= 0 && pctStart <= 1)) throw new RangeError(`${name}: pctStart must be a number in [0, 1], got ${show(pctStart)}`);
    if (annealStrategy !== "cos" && annealStrategy !== "linear") throw new Error(`${name}: annealStrategy must be "cos" or "linear", got ${show(annealStrategy)}`);
    for (const [option, v] of [["divFactor", divFactor], ["finalDivFactor", finalDivFactor]] as const) {
      if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new RangeError(`${name}: ${option} must be a positive number, got ${show(v)}`);
    }
    checkBoolean(name, "threePhase", threePhase);
    checkBoolean(name, "cycleMomentum", cycleMomentum);
    const maxLrs = perGroup(name, "maxLr", maxLr, groups);
    const kind = cycleMomentum ? findMomentumKind(name, optimizer) : null;
    const baseMomentums = cycleMomentum ? perGroup(name, "baseMomentum", baseMomentum, groups) : [];
    const maxMomentums = cycleMomentum ? perGroup(name, "maxMomentum", maxMomentum, groups) : [];
    // A new schedule replaces any initialLr the groups had (unlike the other schedulers, which keep it): the
    // starting lr is defined by maxLr and divFactor. A resumed one (lastEpoch >= 0) keeps the loaded initialLr.
    if (lastEpoch === -1) {
      optimizer.paramGroups.forEach((group, i) => {
        group.initialLr = maxLrs[i] / divFactor;
        if (kind !== null) setMomentum(group, kind, maxMomentums[i]);
      });
    }
    super(optimizer, lastEpoch);
    this.totalSteps = totalSteps;
    this.pctStart = pctStart;
    this.phases = threePhase
      ? [
        { endStep: pctStart * totalSteps - 1, startLr: "initial", endLr: "max", startMomentum: "max", endMomentum: "base" },
        { endStep: 2 * pctStart * totalSteps - 2, startLr: "max", endLr: "initial", startMomentum: "base", endMomentum: "max" },
        { endStep: totalSteps - 1, startLr: "initial", endLr: "min", startMomentum: "max", endMomentum: "max" },
      ]
      : [
        { endStep: pctStart * totalSteps - 1, startLr: "initial", endLr: "max", startMomentum: "max", endMomentum: "base" },
        { endStep: totalSteps - 1, startLr: "max", endLr: "min", startMomentum: "base", endMomentum: "max" },
      ];
    this.annealStrategy = annealStrategy;
    this.maxLrs = maxLrs;
    this.minLrs = this.baseLrs.map((initial) => initial / finalDivFactor);
    this.cycleMomentum = cycleMomentum;
    this.momentumKind = kind;
    this.baseMomentums = baseMomentums;
    this.maxMomentums = maxMomentums;
    this.initialStep();
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === "linear") return (end - start) * pct + start;
    return end + (start - end) / 2 * (Math.cos(Math.PI * pct) + 1);
  }

  /** Also sets each group's momentum when cycleMomentum is on, as PyTorch's get_lr does. */
  protected getLr(): number[] {
    const t = this.lastEpoch;
    if (t > this.totalSteps) {
      throw new Error(`OneCycleLR: stepped past the end of the schedule (lastEpoch ${t}, totalSteps ${this.totalSteps}); it allows totalSteps steps after construction`);
    }
    // The phase that holds step t (the last phase also takes t = totalSteps), and where it starts.
    let p = 0;
    let start = 0;
    while (p < this.phases.length - 1 && t > this.phases[p].endStep) {
      start = this.phases[p].endStep;
      p += 1;
    }
    const phase = this.phases[p];
    if (phase.endStep === start) {
      // PyTorch divides by zero here (ZeroDivisionError); say why instead.
      throw new RangeError(`OneCycleLR: phase ${p + 1} of the schedule has no steps (it starts and ends at step ${start}), with pctStart ${this.pctStart} and totalSteps ${this.totalSteps}; choose another pctStart`);
    }
    const pct = (t - start) / (phase.endStep - start);
    const lrs = this.baseLrs.map((initial, i) => {
      const at = (point: OneCyclePhase["startLr"]) => (point === "initial" ? initial : point === "max" ? this.maxLrs[i] : this.minLrs[i]);
      return this.anneal(at(phase.startLr), at(phase.endLr), pct);
    });
    if (this.momentumKind !== null) {
      const kind = this.momentumKind;
      this.optimizer.paramGroups.forEach((group, i) => {
        const at = (point: OneCyclePhase["startMomentum"]) => (point === "base" ? this.baseMomentums[i] : this.maxMomentums[i]);
        setMomentum(group, kind, this.anneal(at(phase.startMomentum), at(phase.endMomentum), pct));
      });
    }
    return lrs;
  }
}

// ---- ReduceLROnPlateau -------------------------------------------------------------------------------------------

export interface ReduceLROnPlateauOptions {
  /** "min": the metric should fall (a loss); "max": it should rise (an accuracy). Default "min". */
  mode?: "min" | "max";
  /** new lr = lr · factor. Default 0.1. */
  factor?: number;
  /** Steps with no improvement tolerated; lr drops on the next one. Default 10. */
  patience?: number;
  /** How much better than the best a metric must be to count as an improvement. Default 1e-4. */
  threshold?: number;
  /** "rel": better than best · (1 ∓ threshold); "abs": better than best ∓ threshold. Default "rel". */
  thresholdMode?: "rel" | "abs";
  /** Steps after a reduction during which bad steps are not counted. Default 0. */
  cooldown?: number;
  /** Lower bound on lr: one for all groups or one per group. Default 0. */
  minLr?: number | readonly number[];
  /** A reduction smaller than eps is skipped. Default 1e-8. */
  eps?: number;
}

const REDUCE_LR_ON_PLATEAU_OPTION_KEYS = optionKeys<ReduceLROnPlateauOptions>({
  mode: true, factor: true, patience: true, threshold: true, thresholdMode: true, cooldown: true, minLr: true, eps: true,
});

/**
 * Reduces each group's lr by factor when a metric has not improved for more than `patience` steps:
 *   step(metric): if metric is better than best (by threshold): best <- metric, bad <- 0, else bad <- bad + 1;
 *                 while cooling down, bad <- 0;
 *                 if bad > patience: lr <- max(lr · factor, minLr) (if that moves it by more than eps),
 *                                    start the cooldown, bad <- 0.
 */
export class ReduceLROnPlateau {
  readonly optimizer: AnyOptimizer;
  mode: "min" | "max";
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: "rel" | "abs";
  cooldown: number;
  minLrs: number[];
  eps: number;
  /** The best metric seen (Infinity, or -Infinity in max mode, before the first step). */
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  protected lastLr: number[];

  constructor(optimizer: AnyOptimizer, options: ReduceLROnPlateauOptions = {}) {
    checkOptionKeys("ReduceLROnPlateau", options, REDUCE_LR_ON_PLATEAU_OPTION_KEYS);
    const { mode = "min", factor = 0.1, patience = 10, threshold = 1e-4, thresholdMode = "rel", cooldown = 0, minLr = 0, eps = 1e-8 } = options;
    if (optimizer === null || typeof optimizer !== "object" || !Array.isArray(optimizer.paramGroups)) {
      throw new TypeError(`ReduceLROnPlateau: expected an Optimizer, got ${optimizer === null ? "null" : typeof optimizer}`);
    }
    if (mode !== "min" && mode !== "max") throw new Error(`ReduceLROnPlateau: mode must be "min" or "max", got ${JSON.stringify(mode)}`);
    if (thresholdMode !== "rel" && thresholdMode !== "abs") throw new Error(`ReduceLROnPlateau: thresholdMode must be "rel" or "abs", got ${JSON.stringify(thresholdMode)}`);
    if (!(factor < 1) || !(factor >= 0)) throw new RangeError(`ReduceLROnPlateau: factor must be in [0, 1) (new lr = lr · factor), got ${factor}`);
    if (!Number.isInteger(patience) || patience < 0) throw new RangeError(`ReduceLROnPlateau: patience must be an integer >= 0, got ${patience}`);
    if (!Number.isInteger(cooldown) || cooldown < 0) throw new RangeError(`ReduceLROnPlateau: cooldown must be an integer >= 0, got ${cooldown}`);
    checkFinite("ReduceLROnPlateau", "threshold", threshold);
    checkFinite("ReduceLROnPlateau", "eps", eps);
    const groups = optimizer.paramGroups.length;
    if (Array.isArray(minLr)) {
      if (minLr.length !== groups) throw new Error(`ReduceLROnPlateau: expected ${groups} minLr values (one per parameter group), got ${minLr.length}`);
      this.minLrs = minLr.slice();
    } else {
      this.minLrs = new Array<number>(groups).fill(minLr as number);
    }
    this.optimizer = optimizer;
    this.mode = mode;
    this.factor = factor;
    this.patience = patience;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
    this.cooldown = cooldown;
    this.eps = eps;
    this.best = this.modeWorse();
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  private modeWorse(): number {
    return this.mode === "min" ? Infinity : -Infinity;
  }

  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /** Whether a is an improvement on best under the mode and threshold. */
  isBetter(a: number, best: number): boolean {
    if (this.mode === "min" && this.thresholdMode === "rel") return a < best * (1 - this.threshold);
    if (this.mode === "min") return a < best - this.threshold;
    if (this.thresholdMode === "rel") return a > best * (this.threshold + 1);
    return a > best + this.threshold;
  }

  /** Records this step's metric (a number or a one-element tensor) and reduces lr if it has plateaued. */
  step(metric: number | Tensor): void {
    const current = metric instanceof Tensor ? metric.item() : metric;
    if (typeof current !== "number") throw new TypeError(`ReduceLROnPlateau.step: expected the metric as a number or a one-element Tensor, got ${typeof metric}`);
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad steps during the cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  private reduceLr(): void {
    this.optimizer.paramGroups.forEach((group, i) => {
      const oldLr = group.lr;
      const newLr = Math.max(oldLr * this.factor, this.minLrs[i]);
      if (oldLr - newLr > this.eps) group.lr = newLr;
    });
  }

  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  stateDict(): SchedulerStateDict {
    const out: SchedulerStateDict = {};
    for (const [key, value] of Object.entries(this)) {
      if (key !== "optimizer") out[key] = structuredClone(value);
    }
    return out;
  }

  loadStateDict(dict: SchedulerStateDict): void {
    for (const [key, value] of Object.entries(dict)) {
      if (key === "optimizer") continue;
      if (!(key in this)) throw new Error(`ReduceLROnPlateau.loadStateDict: unknown field "${key}"`);
      (this as Record<string, unknown>)[key] = structuredClone(value);
    }
  }
}
