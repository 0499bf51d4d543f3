// Module: the base of every layer and model. As in PyTorch, a module finds its parameters and sub-modules through
// its own attributes, so names follow the attribute path ("0.weight", "encoder.layers.1.linear.bias") and a saved
// state dict reads the same in PyTorch.
//
// JavaScript cannot intercept `this.x = ...` without a Proxy, so nothing is registered at assignment time: the
// attributes are walked whenever parameters or children are asked for. Their order is the attributes' own order
// (class fields in declaration order, then assignments in constructor order), which is PyTorch's registration order
// when the fields are declared in the order PyTorch assigns them. Buffers are plain tensors, so they are marked by
// name through registerBuffer(); their value is still read from the attribute, so reassigning it is seen.
//
// The call form is `module.call(x)`: it runs forward() (a hook point for later). Modules are not made callable
// functions; `forward` and `call` are both typed by the In/Out parameters, e.g. `class Loss extends
// Module<[Tensor, Tensor]>` takes two tensors.

import { Tensor } from "../tensor/tensor.js";
import { isFloat, type DType } from "../tensor/dtype.js";
import { fmt, sameShape } from "../tensor/shape.js";
import { noGrad } from "../autograd/grad_mode.js";
import { Parameter } from "./parameter.js";
import { checkOptionKeys, optionKeys } from "../util/options.js";

/** Any module, whatever its forward signature: what containers and traversals hold. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModule = Module<any[], any>;

export type StateDict = Record<string, Tensor>;

export interface StateDictOptions {
  /** Prepended to every key. */
  prefix?: string;
  /** Return the parameters themselves (with their autograd identity) instead of detached views of them. */
  keepVars?: boolean;
}

export interface LoadStateDictOptions {
  /** Missing and unexpected keys are errors (default). Shape mismatches are errors either way. */
  strict?: boolean;
}

const STATE_DICT_OPTION_KEYS = optionKeys<StateDictOptions>({ prefix: true, keepVars: true });
const LOAD_STATE_DICT_OPTION_KEYS = optionKeys<LoadStateDictOptions>({ strict: true });

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

type Attributes = Record<string, unknown>;

export class Module<In extends unknown[] = [Tensor], Out = Tensor> {
  /** Training mode (the default) or evaluation mode; set it for the whole tree with train() / eval(). */
  training = true;
  // ES private fields are not own enumerable properties, so the attribute walk never sees them.
  #buffers = new Map<string, boolean>(); // name -> persistent (saved in the state dict)
  #parameterNames = new Set<string>(); // attributes seen holding a Parameter (see ownParameters)

  /** The computation; subclasses override it. */
  forward(...args: In): Out {
    void args;
    throw new Error(`${this.constructor.name} has no forward(): subclasses of Module define forward(), and containers such as ModuleList are not called`);
  }

  /** Runs forward(). Prefer it over forward() in model code: hooks will attach here. (nn.Sequential runs a Linear
   *  or Conv2d and the ReLU after it as one op, without calling either's call(): hooks added here must turn that
   *  off for modules that have them, in isPlain of container.ts.) */
  call(...args: In): Out {
    return this.forward(...args);
  }

  // ---- registration ------------------------------------------------------------------------------------------

  /** Sets attribute `name` to a parameter (or null, a declared-but-absent parameter such as a disabled bias). */
  registerParameter(name: string, param: Parameter | null): void {
    this.checkNewName("registerParameter", name, "parameter");
    if (param !== null && !(param instanceof Parameter)) {
      throw new TypeError(`registerParameter: "${name}" must be a Parameter or null, got ${describe(param)} (wrap a tensor with new Parameter(t))`);
    }
    (this as unknown as Attributes)[name] = param;
  }

  /** Sets attribute `name` to a child module (or null). */
  registerModule(name: string, module: AnyModule | null): void {
    this.checkNewName("registerModule", name, "module");
    if (module !== null && !(module instanceof Module)) throw new TypeError(`registerModule: "${name}" must be a Module or null, got ${describe(module)}`);
    (this as unknown as Attributes)[name] = module;
  }

  /** PyTorch's add_module, the same as registerModule. */
  addModule(name: string, module: AnyModule | null): void {
    this.registerModule(name, module);
  }

  /**
   * Sets attribute `name` to a tensor that is state but not trained (BatchNorm's running statistics). A persistent
   * buffer is saved in the state dict; a non-persistent one is not. null declares the buffer without a value.
   */
  registerBuffer(name: string, tensor: Tensor | null, persistent = true): void {
    this.checkNewName("registerBuffer", name, "buffer");
    if (tensor !== null && !(tensor instanceof Tensor)) throw new TypeError(`registerBuffer: "${name}" must be a Tensor or null, got ${describe(tensor)}`);
    if (tensor instanceof Parameter) throw new TypeError(`registerBuffer: "${name}" is a Parameter; register it with registerParameter (or pass a plain tensor, e.g. t.detach())`);
    this.#buffers.set(name, persistent);
    (this as unknown as Attributes)[name] = tensor;
  }

  private checkNewName(op: string, name: string, kind: string): void {
    if (typeof name !== "string" || name === "") throw new TypeError(`${op}: the ${kind} name must be a non-empty string`);
    if (name.includes(".")) throw new Error(`${op}: the ${kind} name "${name}" must not contain "." (dots separate the path in state-dict keys)`);
    const attrs = this as unknown as Attributes;
    if (name in attrs && !Object.prototype.hasOwnProperty.call(attrs, name)) throw new Error(`${op}: "${name}" is already a property of ${this.constructor.name} (a method or accessor), so it cannot name a ${kind}`);
    const current = attrs[name];
    const sameKind = current === undefined || current === null
      || (kind === "parameter" && current instanceof Parameter)
      || (kind === "module" && current instanceof Module)
      || (kind === "buffer" && this.#buffers.has(name));
    if (!sameKind) throw new Error(`${op}: attribute "${name}" already holds ${describe(current)}; it cannot become a ${kind}`);
  }

  // ---- the attribute walk: own members only --------------------------------------------------------------------

  /** This module's own parameters (not its children's), in attribute order. */
  private ownParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const attrs = this as unknown as Attributes;
    // A parameter seen deleted or set to null is forgotten, so a tensor assigned after that is not mistaken for an
    // accidental overwrite (PyTorch allows a plain tensor after `del module.weight`).
    for (const k of this.#parameterNames) if (attrs[k] === undefined || attrs[k] === null) this.#parameterNames.delete(k);
    for (const [k, v] of Object.entries(attrs)) {
      if (v instanceof Parameter && !this.#buffers.has(k)) {
        out.push([k, v]);
        this.#parameterNames.add(k);
      } else if (v instanceof Tensor && this.#parameterNames.has(k)) {
        // PyTorch refuses this assignment; JavaScript cannot intercept it, so it is caught at the next walk instead
        // of the parameter silently dropping out of training and of the state dict.
        throw new TypeError(`${this.constructor.name}: attribute "${k}" held a Parameter and now holds a plain Tensor (shape ${fmt(v.shape)}), which would drop it from parameters() and the state dict; assign new nn.Parameter(t), or copy the values in with noGrad(() => ${k}.copy_(t))`);
      }
    }
    return out;
  }

  private ownBuffers(persistentOnly: boolean): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const attrs = this as unknown as Attributes;
    for (const [name, persistent] of this.#buffers) {
      const v = attrs[name];
      if (v instanceof Tensor && (persistent || !persistentOnly)) out.push([name, v]);
    }
    return out;
  }

  /** Direct sub-modules in attribute order, a module registered twice appearing twice (what Sequential runs). */
  protected ownModules(): [string, AnyModule][] {
    const out: [string, AnyModule][] = [];
    for (const [k, v] of Object.entries(this as unknown as Attributes)) if (v instanceof Module) out.push([k, v]);
    return out;
  }

  // ---- traversal -----------------------------------------------------------------------------------------------

  /** Direct children with their attribute names; a module reachable twice is listed once. */
  namedChildren(): [string, AnyModule][] {
    const seen = new Set<AnyModule>();
    return this.ownModules().filter(([, m]) => !seen.has(m) && seen.add(m));
  }

  children(): AnyModule[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and every descendant, depth first, with dotted paths ("" for this one); each module once. */
  namedModules(prefix = ""): [string, AnyModule][] {
    const out: [string, AnyModule][] = [];
    const seen = new Set<AnyModule>();
    const visit = (m: AnyModule, path: string): void => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([path, m]);
      for (const [name, child] of m.ownModules()) visit(child, path === "" ? name : `${path}.${name}`);
    };
    visit(this, prefix);
    return out;
  }

  modules(): AnyModule[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Parameters with their dotted names, in PyTorch's order; a shared parameter is listed once, under its first name. */
  namedParameters(prefix = "", recurse = true): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Tensor>();
    const mods = recurse ? this.namedModules(prefix) : [[prefix, this] as [string, AnyModule]];
    for (const [path, m] of mods) {
      for (const [name, p] of m.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([path === "" ? name : `${path}.${name}`, p]);
      }
    }
    return out;
  }

  /** The parameters, e.g. for an optimizer: `new optim.Adam(model.parameters())`. */
  parameters(recurse = true): Parameter[] {
    return this.namedParameters("", recurse).map(([, p]) => p);
  }

  /** Buffers (persistent or not) with their dotted names. */
  namedBuffers(prefix = "", recurse = true): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const mods = recurse ? this.namedModules(prefix) : [[prefix, this] as [string, AnyModule]];
    for (const [path, m] of mods) {
      for (const [name, b] of m.ownBuffers(false)) {
        if (seen.has(b)) continue;
        seen.add(b);
        out.push([path === "" ? name : `${path}.${name}`, b]);
      }
    }
    return out;
  }

  buffers(recurse = true): Tensor[] {
    return this.namedBuffers("", recurse).map(([, b]) => b);
  }

  /** The sub-module at a dotted path, e.g. "encoder.layers.1"; "" is this module. */
  getSubmodule(target: string): AnyModule {
    let m: AnyModule = this;
    if (target === "") return m;
    const parts = target.split(".");
    parts.forEach((part, i) => {
      const next = (m as unknown as Attributes)[part];
      if (!(next instanceof Module)) {
        const where = i === 0 ? this.constructor.name : `${m.constructor.name} at "${parts.slice(0, i).join(".")}"`;
        throw new Error(`getSubmodule: ${where} has no sub-module "${part}" (it has: ${m.ownModules().map(([k]) => k).join(", ") || "none"})`);
      }
      m = next;
    });
    return m;
  }

  /** The parameter at a dotted path, e.g. "0.weight". */
  getParameter(target: string): Parameter {
    const cut = target.lastIndexOf(".");
    const owner = this.getSubmodule(cut < 0 ? "" : target.slice(0, cut));
    const name = target.slice(cut + 1);
    const p = (owner as unknown as Attributes)[name];
    if (!(p instanceof Parameter)) throw new Error(`getParameter: ${owner.constructor.name} has no parameter "${name}" (it has: ${owner.ownParameters().map(([k]) => k).join(", ") || "none"})`);
    return p;
  }

  // ---- modes and gradients -------------------------------------------------------------------------------------

  /** Sets training mode on this module and every descendant (Dropout drops, BatchNorm updates statistics). */
  train(mode = true): this {
    if (typeof mode !== "boolean") throw new TypeError(`train: mode must be a boolean, got ${describe(mode)}`);
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: the same as train(false). */
  eval(): this {
    return this.train(false);
  }

  /** Turns gradient tracking of every parameter on or off (freezing a layer for fine-tuning). */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad = requiresGrad;
    return this;
  }

  /** Clears the parameters' gradients: to null (the default, as PyTorch 2 does) or to zeros in place. */
  zeroGrad(setToNone = true): void {
    for (const p of this.parameters()) {
      if (setToNone) p.grad = null;
      else if (p.grad !== null) noGrad(() => p.grad!.zero_());
    }
  }

  /** Calls fn on every descendant, children first, then on this module (as PyTorch's apply), e.g. to initialise. */
  apply(fn: (module: AnyModule) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /**
   * Casts every floating-point parameter and buffer to `dtype` (integer ones are left alone, as in PyTorch).
   * Each parameter keeps its identity and only its storage changes (PyTorch's `param.data = ...`), so an optimizer
   * built before the cast still trains the model; state it has already made (Adam's moments) keeps the old dtype.
   */
  to(dtype: DType): this {
    if (!isFloat(dtype)) throw new TypeError(`to: modules can only be cast to a floating-point dtype, got ${dtype}`);
    // One replacement per buffer, so that a buffer shared by two modules stays shared (a parameter shared by two
    // modules is one object, cast once).
    const replaced = new Map<Tensor, Tensor>();
    for (const m of this.modules()) {
      const attrs = m as unknown as Attributes;
      for (const [, p] of m.ownParameters()) {
        if (!isFloat(p.dtype) || p.dtype === dtype) continue;
        const c = p.to(dtype).detach();
        const grad = p.grad === null ? null : p.grad.to(dtype).detach();
        // Tensor's storage fields are readonly to users; swapping them here is what keeps the object.
        Object.assign(p as unknown as Attributes, { data: c.data, strides: c.strides, offset: c.offset, dtype: c.dtype });
        p.grad = grad;
      }
      for (const [name, b] of m.ownBuffers(false)) {
        if (!isFloat(b.dtype) || b.dtype === dtype) continue;
        let r = replaced.get(b);
        if (r === undefined) replaced.set(b, (r = b.to(dtype).detach()));
        attrs[name] = r;
      }
    }
    return this;
  }

  float(): this { return this.to("float32"); }
  double(): this { return this.to("float64"); }

  // ---- state dict ----------------------------------------------------------------------------------------------

  /**
   * Parameters and persistent buffers by dotted name, in PyTorch's order (each module's own parameters, then its
   * buffers, then its children). The values share storage with the model (detached unless keepVars), so save or
   * clone them; a shared parameter appears under every name it has, as in PyTorch.
   */
  stateDict(opts: StateDictOptions = {}): StateDict {
    checkOptionKeys("stateDict", opts, STATE_DICT_OPTION_KEYS);
    const { prefix = "", keepVars = false } = opts;
    const out: StateDict = {};
    const visit = (m: AnyModule, path: string): void => {
      for (const [name, t] of [...m.ownParameters(), ...m.ownBuffers(true)]) out[path + name] = keepVars ? t : t.detach();
      for (const [name, child] of m.ownModules()) visit(child, `${path}${name}.`);
    };
    visit(this, prefix);
    return out;
  }

  /**
   * Copies the tensors of `dict` (as stateDict() returns, or a Map) into this model's parameters and buffers, cast
   * to their dtype. Everything is checked before anything is written: a shape mismatch always throws, and with
   * strict (the default) so do missing and unexpected keys; the error lists all of them.
   */
  loadStateDict(dict: StateDict | Map<string, Tensor>, opts: LoadStateDictOptions = {}): LoadStateDictResult {
    checkOptionKeys("loadStateDict", opts, LOAD_STATE_DICT_OPTION_KEYS);
    const { strict = true } = opts;
    if (dict === null || typeof dict !== "object") throw new TypeError(`loadStateDict: expected an object or Map of name -> Tensor, got ${describe(dict)}`);
    const entries = dict instanceof Map ? [...dict.entries()] : Object.entries(dict);
    const given = new Map<string, Tensor>();
    for (const [k, v] of entries) {
      if (!(v instanceof Tensor)) throw new TypeError(`loadStateDict: the value for "${k}" is ${describe(v)}, not a Tensor`);
      given.set(k, v);
    }
    for (const [path, m] of this.namedModules()) m.completeStateDict(given, path === "" ? "" : `${path}.`);
    const own = this.stateDict({ keepVars: true });
    const missingKeys = Object.keys(own).filter((k) => !given.has(k));
    const unexpectedKeys = [...given.keys()].filter((k) => !(k in own));
    const mismatches: string[] = [];
    for (const [k, target] of Object.entries(own)) {
      const src = given.get(k);
      if (src !== undefined && !sameShape(src.shape, target.shape)) {
        mismatches.push(`size mismatch for ${k}: copying a tensor of shape ${fmt(src.shape)} from the state dict, but the shape in the current model is ${fmt(target.shape)}`);
      }
    }
    const problems: string[] = [];
    if (strict && missingKeys.length > 0) problems.push(`Missing key(s) in state dict: ${missingKeys.map((k) => `"${k}"`).join(", ")}.`);
    if (strict && unexpectedKeys.length > 0) problems.push(`Unexpected key(s) in state dict: ${unexpectedKeys.map((k) => `"${k}"`).join(", ")}.`);
    problems.push(...mismatches);
    if (problems.length > 0) throw new Error(`Error(s) in loading state dict for ${this.constructor.name}:\n\t${problems.join("\n\t")}`);
    noGrad(() => {
      for (const [k, target] of Object.entries(own)) {
        const src = given.get(k);
        if (src !== undefined) target.copy_(src);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Called by loadStateDict() on every module before the keys are matched, with the entries being loaded and this
   * module's key prefix: a module whose saved form has changed adds what older dicts lack (PyTorch's
   * _load_from_state_dict). Nothing by default.
   */
  protected completeStateDict(entries: Map<string, Tensor>, prefix: string): void {
    void entries;
    void prefix;
  }

  // ---- printing ------------------------------------------------------------------------------------------------

  /** The layer's settings for toString(), e.g. "inFeatures=2, outFeatures=3, bias=true"; "" for none. */
  extraRepr(): string {
    return "";
  }

  /** The module tree, as PyTorch prints it. */
  toString(): string {
    const extra = this.extraRepr();
    const lines = extra === "" ? [] : extra.split("\n");
    for (const [name, child] of this.ownModules()) lines.push(`(${name}): ${child.toString().split("\n").join("\n  ")}`);
    const name = this.constructor.name;
    if (lines.length === 0) return `${name}()`;
    if (lines.length === 1 && extra !== "" && !extra.includes("\n")) return `${name}(${extra})`;
    return `${name}(\n  ${lines.join("\n  ")}\n)`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (v instanceof Tensor) return `a Tensor of shape ${fmt(v.shape)}`;
  if (v instanceof Module) return `a ${v.constructor.name} module`;
  if (typeof v === "object") return `an object (${(v as object).constructor?.name ?? "Object"})`;
  return `${typeof v} ${String(v)}`;
}
