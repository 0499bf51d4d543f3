// The Optimizer base: parameter groups with per-group options, per-parameter state, zeroGrad, step and
// stateDict/loadStateDict, structured as torch.optim.Optimizer structures them. Each optimizer file adds only its
// options, their checks, and updateGroup(): the update rule, written as a loop over the parameter's typed array.

import { Tensor } from "../tensor/tensor.js";
import type { TypedArray } from "../tensor/dtype.js";
import { fmt, sameShape } from "../tensor/shape.js";
import { enableGrad, noGrad } from "../autograd/grad_mode.js";
import { checkOptionKeys, suggest } from "../util/options.js";

/** Options every optimizer has. */
export interface OptimizerOptions {
  lr: number;
}

/** A parameter group as the optimizer holds it: the parameters plus every option, filled in from the defaults. */
export type ParamGroup<O extends OptimizerOptions = OptimizerOptions> = O & {
  params: Tensor[];
  /** Set by a learning-rate scheduler: the lr the schedule starts from (PyTorch's `initial_lr`). */
  initialLr?: number;
};

/** A parameter group as a user passes it: parameters plus the options that differ from the optimizer's defaults. */
export type ParamGroupInput<O extends OptimizerOptions = OptimizerOptions> = Partial<O> & { params: Iterable<Tensor> };

/** What an optimizer's constructor takes: parameters (e.g. model.parameters()), or a list of parameter groups. */
export type Params<O extends OptimizerOptions = OptimizerOptions> = Iterable<Tensor> | Iterable<ParamGroupInput<O>>;

/** One value of a parameter's optimizer state: a tensor shaped like the parameter, a count, or nothing yet. */
export type StateValue = Tensor | number | null;
export type ParamState = Record<string, StateValue>;

/**
 * PyTorch's optimizer state_dict, camelCased: `state` maps a parameter's index (its position counting through all
 * groups in order) to its state; `paramGroups` holds each group's options with `params` as those indices.
 * stateDict() returns a snapshot: state tensors are copies, so later steps do not change a saved dict.
 */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  paramGroups: Array<Record<string, unknown> & { params: number[] }>;
}

/** The loss a closure passed to step() returns: a tensor or a number. */
export type Closure<L> = () => L;

export abstract class Optimizer<O extends OptimizerOptions = OptimizerOptions> {
  /** The options a group gets when it does not set its own. */
  readonly defaults: Readonly<O>;
  paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state (moment buffers, step counts), created on a parameter's first update. */
  state = new Map<Tensor, ParamState>();
  /** The optimizer's name in error messages. */
  protected readonly name: string;

  /** `defaults` holds every option with its default value; `options` (the user's) overrides some of them. */
  constructor(params: Params<O>, defaults: O, options: Partial<O> = {}) {
    this.name = new.target.name;
    checkOptionKeys(this.name, options, Object.keys(defaults));
    const merged = { ...defaults, ...options };
    this.checkOptions(merged, "defaults");
    this.defaults = Object.freeze(merged);
    if (params instanceof Tensor || params === null || typeof params !== "object" || !(Symbol.iterator in Object(params))) {
      throw new TypeError(`${this.name}: params must be an iterable of Tensors or of parameter groups ({params, lr, ...}), got ${describe(params)}`);
    }
    const items = [...(params as Iterable<Tensor | ParamGroupInput<O>>)];
    if (items.length === 0) throw new Error(`${this.name}: got an empty parameter list`);
    if (items.every((x) => x instanceof Tensor)) {
      this.addParamGroup({ params: items as Tensor[] } as unknown as ParamGroupInput<O>);
    } else if (items.every((x) => !(x instanceof Tensor) && typeof x === "object" && x !== null)) {
      for (const g of items as ParamGroupInput<O>[]) this.addParamGroup(g);
    } else {
      throw new TypeError(`${this.name}: params mixes Tensors and parameter groups; pass one or the other`);
    }
  }

  /**
   * Checks one set of options (the defaults, or a group's after the defaults are filled in) and throws an error
   * that names the bad value. Subclasses add their own checks and call super.
   */
  protected checkOptions(o: O, where: string): void {
    checkNumber(this.name, where, "lr", o.lr, 0);
  }

  /** Adds a group of parameters (for example a layer unfrozen during fine-tuning) with its own options. */
  addParamGroup(group: ParamGroupInput<O>): void {
    if (group === null || typeof group !== "object" || group instanceof Tensor) {
      throw new TypeError(`${this.name}.addParamGroup: expected {params, ...options}, got ${describe(group)}`);
    }
    const raw = group.params as unknown;
    const params: Tensor[] = raw instanceof Tensor ? [raw]
      : raw !== null && typeof raw === "object" && Symbol.iterator in raw ? [...(raw as Iterable<Tensor>)]
      : [];
    if (params.length === 0) throw new Error(`${this.name}: a parameter group has no parameters (params: ${describe(raw)})`);
    const where = `param group ${this.paramGroups.length}`;
    const seen = new Set<Tensor>();
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new TypeError(`${this.name}: ${where}, params[${i}] is ${describe(p)}, not a Tensor`);
      // A frozen parameter (requiresGrad false) is accepted, as in PyTorch: it gets no gradient, so step() skips it,
      // and model.parameters() can be passed whole while part of the model is frozen.
      if (!p.isLeaf) throw new Error(`${this.name}: ${where}, params[${i}] is not a leaf tensor (it was computed from other tensors); optimize the leaves it came from`);
      if (seen.has(p)) throw new Error(`${this.name}: ${where} lists the same parameter twice (params[${i}], shape ${fmt(p.shape)})`);
      seen.add(p);
    });
    this.paramGroups.forEach((other, j) => {
      for (const p of other.params) {
        if (seen.has(p)) throw new Error(`${this.name}: a parameter (shape ${fmt(p.shape)}) appears in both param group ${j} and ${where}; each parameter may belong to one group only`);
      }
    });
    const filled = { ...this.defaults, ...group, params } as ParamGroup<O>;
    for (const key of Object.keys(group)) {
      if (key !== "params" && key !== "initialLr" && !(key in this.defaults)) {
        throw new Error(`${this.name}: ${where} has an unknown option "${key}"${suggest(key, Object.keys(this.defaults))} (known: ${Object.keys(this.defaults).join(", ")})`);
      }
    }
    this.checkOptions(filled, where);
    this.paramGroups.push(filled);
  }

  /**
   * Clears the gradients of every parameter. With setToNone (the default since PyTorch 2) they become null, which
   * frees memory and lets step() skip parameters that get no gradient; otherwise they are zeroed in place.
   */
  zeroGrad(setToNone = true): void {
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          if (p.grad === null) continue;
          if (setToNone) p.grad = null;
          else p.grad = p.grad.gradFn === null ? p.grad.zero_() : p.grad.detach().zero_();
        }
      }
    });
  }

  /**
   * Updates every parameter that has a gradient (those whose grad is null are skipped, state untouched).
   * closure, when given, is run first with autograd on: it should clear the gradients, compute the loss, call
   * backward() and return the loss, which step() returns.
   */
  step(): undefined;
  step<L>(closure: Closure<L>): L;
  step<L>(closure?: Closure<L>): L | undefined {
    const loss = closure === undefined ? undefined : enableGrad(closure);
    noGrad(() => {
      for (const group of this.paramGroups) this.updateGroup(group);
    });
    return loss;
  }

  /** One step of the update rule for one group; runs under noGrad. */
  protected abstract updateGroup(group: ParamGroup<O>): void;

  /**
   * Calls fn(param, x, g, state) for each parameter of the group that has a gradient, where x is the parameter's
   * elements (writable; its storage itself when the parameter is contiguous) and g the gradient's elements
   * (read-only). state is created by init on the parameter's first update. This is the hot path a native backend
   * will replace with fused kernels.
   */
  protected forEachParam<S extends ParamState>(
    group: ParamGroup<O>,
    init: (p: Tensor) => S,
    fn: (x: TypedArray, g: TypedArray, state: S, p: Tensor) => void,
  ): void {
    for (const p of group.params) {
      const grad = p.grad;
      if (grad === null) continue;
      if (!sameShape(grad.shape, p.shape)) {
        throw new Error(`${this.name}: a parameter of shape ${fmt(p.shape)} has a gradient of shape ${fmt(grad.shape)}`);
      }
      let state = this.state.get(p) as S | undefined;
      if (state === undefined) {
        state = init(p);
        this.state.set(p, state);
      }
      const g = (grad.dtype === p.dtype ? grad : grad.to(p.dtype)).toTypedArray();
      if (p.isContiguous()) {
        fn(p.data.subarray(p.offset, p.offset + p.numel()), g, state, p);
      } else {
        // A strided parameter (rare: a leaf made from a transpose, say): update a copy, then write it back.
        const x = p.contiguous().data;
        fn(x, g, state, p);
        p.copy_(new Tensor(x, p.shape));
      }
    }
  }

  // ---- saving and resuming -----------------------------------------------------------------------------------

  /** A snapshot of the optimizer: per-parameter state by index and every group's options (see OptimizerStateDict). */
  stateDict(): OptimizerStateDict {
    const state: Record<number, ParamState> = {};
    const paramGroups: OptimizerStateDict["paramGroups"] = [];
    let index = 0;
    for (const group of this.paramGroups) {
      const indices: number[] = [];
      for (const p of group.params) {
        const s = this.state.get(p);
        if (s !== undefined) {
          const copy: ParamState = {};
          for (const [k, v] of Object.entries(s)) copy[k] = v instanceof Tensor ? v.clone() : v;
          state[index] = copy;
        }
        indices.push(index++);
      }
      const { params: _params, ...options } = group;
      paramGroups.push({ ...cloneOptions(options), params: indices });
    }
    return { state, paramGroups };
  }

  /**
   * Restores what stateDict() saved, onto an optimizer built over the same parameters in the same order (for
   * example after rebuilding the model). Group options are taken from the dict; state tensors are copied and cast
   * to their parameter's dtype, and must have its shape.
   */
  loadStateDict(dict: OptimizerStateDict): void {
    if (dict === null || typeof dict !== "object" || !Array.isArray(dict.paramGroups) || dict.state === null || typeof dict.state !== "object") {
      throw new TypeError(`${this.name}.loadStateDict: expected {state, paramGroups} as stateDict() returns, got ${describe(dict)}`);
    }
    if (dict.paramGroups.length !== this.paramGroups.length) {
      throw new Error(`${this.name}.loadStateDict: the dict has ${dict.paramGroups.length} parameter groups, this optimizer has ${this.paramGroups.length}`);
    }
    const byIndex = new Map<number, Tensor>();
    dict.paramGroups.forEach((saved, gi) => {
      const mine = this.paramGroups[gi];
      if (!Array.isArray(saved.params) || saved.params.length !== mine.params.length) {
        throw new Error(`${this.name}.loadStateDict: parameter group ${gi} has ${Array.isArray(saved.params) ? saved.params.length : "no"} parameters in the dict and ${mine.params.length} here`);
      }
      saved.params.forEach((index, i) => byIndex.set(index, mine.params[i]));
    });
    const state = new Map<Tensor, ParamState>();
    for (const [key, saved] of Object.entries(dict.state)) {
      const p = byIndex.get(Number(key));
      if (p === undefined) throw new Error(`${this.name}.loadStateDict: state for parameter index ${key}, which no parameter group lists`);
      const restored: ParamState = {};
      for (const [name, value] of Object.entries(saved)) restored[name] = this.restoreValue(p, Number(key), name, value);
      state.set(p, restored);
    }
    const groups = dict.paramGroups.map((saved, gi) => {
      const { params: _indices, ...options } = saved;
      const group = { ...this.defaults, ...cloneOptions(options), params: this.paramGroups[gi].params } as ParamGroup<O>;
      this.checkOptions(group, `loadStateDict, parameter group ${gi}`);
      return group;
    });
    this.paramGroups = groups;
    this.state = state;
  }

  private restoreValue(p: Tensor, index: number, name: string, value: unknown): StateValue {
    if (value === null || typeof value === "number") return value;
    let src: Tensor;
    if (value instanceof Tensor) src = value;
    else if (ArrayBuffer.isView(value) || Array.isArray(value)) {
      // A state tensor that went through a plain serialization (JSON, say) as a flat list of numbers.
      const flat = Array.isArray(value) ? Float64Array.from(value.flat(Infinity) as number[]) : Float64Array.from(value as unknown as ArrayLike<number>);
      if (flat.length !== p.numel()) throw new Error(`${this.name}.loadStateDict: state "${name}" of parameter ${index} has ${flat.length} values, the parameter has ${p.numel()}`);
      src = new Tensor(flat, p.shape);
    } else {
      throw new TypeError(`${this.name}.loadStateDict: state "${name}" of parameter ${index} is ${describe(value)}; expected a Tensor, a number or null`);
    }
    const flatOfSameSize = src.ndim === 1 && src.numel() === p.numel();
    if (!sameShape(src.shape, p.shape) && !flatOfSameSize) {
      throw new Error(`${this.name}.loadStateDict: state "${name}" of parameter ${index} has shape ${fmt(src.shape)}, the parameter has shape ${fmt(p.shape)}`);
    }
    // A fresh contiguous tensor of the parameter's dtype, so the update loops may use its .data directly.
    return noGrad(() => p.zerosLike().copy_(src.reshape(p.shape)));
  }
}

// ---- helpers the optimizers share --------------------------------------------------------------------------------

/** Throws unless value is a finite number >= min (and < max when given), naming the optimizer and option. */
export function checkNumber(opt: string, where: string, option: string, value: unknown, min: number, max?: number, maxInclusive = false): void {
  const ok = typeof value === "number" && Number.isFinite(value) && value >= min
    && (max === undefined || (maxInclusive ? value <= max : value < max));
  if (!ok) {
    const range = max === undefined ? `>= ${min}` : `in [${min}, ${max}${maxInclusive ? "]" : ")"}`;
    throw new RangeError(`${opt}: invalid ${option} ${describe(value)} (${where}); it must be a number ${range}`);
  }
}

export function checkBoolean(opt: string, where: string, option: string, value: unknown): void {
  if (typeof value !== "boolean") throw new TypeError(`${opt}: ${option} must be true or false, got ${describe(value)} (${where})`);
}

function cloneOptions(o: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = Array.isArray(v) ? v.slice() : v;
  return out;
}

function describe(v: unknown): string {
  if (v instanceof Tensor) return `a Tensor of shape ${fmt(v.shape)}`;
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return typeof v === "object" ? `an object (${v.constructor?.name ?? "Object"})` : typeof v;
}
