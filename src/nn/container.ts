// Containers: Sequential (runs its modules in order) and ModuleList (holds modules for a forward you write).
// Both store their modules as attributes named "0", "1", ..., which is what makes the state-dict keys "0.weight".

import type { Tensor } from "../tensor/tensor.js";
import { Module, type AnyModule } from "./module.js";
import { Linear } from "./linear.js";
import { Conv2d } from "./conv.js";
import { ReLU } from "./activation.js";

type Attributes = Record<string, unknown>;

function checkModule(op: string, m: unknown, i: number): void {
  if (!(m instanceof Module)) throw new TypeError(`${op}: argument ${i} is not a Module (got ${m === null ? "null" : typeof m})`);
}

function indexIn(op: string, i: number, n: number): number {
  if (!Number.isInteger(i) || i < -n || i >= n) throw new RangeError(`${op}: index ${i} is out of range for ${n} modules`);
  return i < 0 ? i + n : i;
}

/**
 * Runs its modules in order, each one's output feeding the next. Build it from modules, named "0", "1", ...,
 * or from an object of name -> module. `seq[0]` and `seq.at(-1)` index it.
 */
export class Sequential extends Module {
  readonly [index: number]: AnyModule;

  constructor(...modules: AnyModule[] | [Record<string, AnyModule>]) {
    super();
    if (modules.length === 1 && !(modules[0] instanceof Module) && typeof modules[0] === "object" && modules[0] !== null) {
      const entries = Object.entries(modules[0] as Record<string, AnyModule>);
      // A JavaScript object lists integer-like keys first, in numeric order, whatever order they were written in,
      // so { b: ..., "1": ... } would run "1" first: refuse such names rather than run the layers out of order.
      const numeric = entries.find(([name]) => /^(0|[1-9]\d*)$/.test(name));
      if (numeric) throw new TypeError(`Sequential: the module name "${numeric[0]}" looks like an integer, and a JavaScript object puts such keys first, in numeric order, whatever order they were written in; name the modules with letters (e.g. "fc1"), or pass them as arguments to have them named 0, 1, ...`);
      entries.forEach(([name, m], i) => { checkModule("Sequential", m, i); this.registerModule(name, m); });
      return;
    }
    (modules as AnyModule[]).forEach((m, i) => { checkModule("Sequential", m, i); this.registerModule(String(i), m); });
  }

  get length(): number {
    return this.ownModules().length;
  }

  /** The i-th module; negative i counts from the end. */
  at(i: number): AnyModule {
    const mods = this.ownModules();
    return mods[indexIn("Sequential.at", i, mods.length)][1];
  }

  /** Adds a module at the end, named by its position. */
  append(module: AnyModule): this {
    checkModule("Sequential.append", module, 0);
    this.registerModule(String(this.length), module);
    return this;
  }

  extend(modules: Iterable<AnyModule>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  [Symbol.iterator](): Iterator<AnyModule> {
    return this.ownModules().map(([, m]) => m)[Symbol.iterator]();
  }

  override forward(x: Tensor): Tensor {
    // The attribute walk of ownModules(), without its [name, module] pairs: a third of a microsecond per call,
    // which a batch-1 forward notices. An nn.Linear or nn.Conv2d followed by an nn.ReLU runs as one op
    // (forwardRelu: linearRelu, conv2dRelu): the same values and gradients, one output tensor and one pass fewer.
    let held: Linear | Conv2d | null = null; // held back to see whether a plain ReLU follows
    for (const m of Object.values(this)) {
      if (!(m instanceof Module)) continue;
      if (held !== null) {
        const h: Linear | Conv2d = held;
        held = null;
        if (isPlain(m, ReLU)) {
          x = h.forwardRelu(x);
          continue;
        }
        x = h.call(x);
      }
      if (isPlain(m, Linear) || isPlain(m, Conv2d)) held = m;
      else x = m.call(x) as Tensor;
    }
    return held === null ? x : held.call(x);
  }
}

const PATCHABLE = ["forward", "forwardRelu", "call"];

/** Whether m is exactly a C (a subclass may do more in forward) with no method patched onto the instance: fusing it
 *  skips nothing it would have done. */
function isPlain<M extends AnyModule>(m: AnyModule, C: { prototype: M }): m is M {
  return Object.getPrototypeOf(m) === C.prototype && !PATCHABLE.some((k) => Object.hasOwn(m, k));
}

/**
 * Holds sub-modules in a list so they are registered (names "0", "1", ...): a plain array attribute is not seen
 * by the attribute walk, exactly as a Python list is not in PyTorch. It has no forward of its own.
 */
export class ModuleList<M extends AnyModule = AnyModule> extends Module {
  readonly [index: number]: M;

  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  get length(): number {
    return this.ownModules().length;
  }

  at(i: number): M {
    const mods = this.ownModules();
    return mods[indexIn("ModuleList.at", i, mods.length)][1] as M;
  }

  append(module: M): this {
    checkModule("ModuleList.append", module, this.length);
    this.registerModule(String(this.length), module);
    return this;
  }

  extend(modules: Iterable<M>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  /** Replaces the module at index i. */
  set(i: number, module: M): this {
    checkModule("ModuleList.set", module, i);
    (this as unknown as Attributes)[String(indexIn("ModuleList.set", i, this.length))] = module;
    return this;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.ownModules().map(([, m]) => m as M)[Symbol.iterator]();
  }
}
