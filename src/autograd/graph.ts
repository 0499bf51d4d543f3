// Reverse-mode autograd. Each differentiable op, right after computing its output, calls record() with a closure
// that maps the output's gradient to its inputs' gradients (written with ops, so it runs on the same backend).
// backward() sorts the graph topologically and runs those closures from the output back to the leaves.

import type { Tensor } from "../tensor/tensor.js";
import { fmt } from "../tensor/shape.js";
import { isFloat } from "../tensor/dtype.js";
import { isGradEnabled, noGrad } from "./grad_mode.js";
import { binaryInPlace } from "../ops/elementwise.js";
import { checkOptionKeys, optionKeys } from "../util/options.js";

/**
 * Maps the output's gradient to the inputs' gradients (null where an input needs none). `gradIsOwned` says that no
 * one else holds `grad` and nothing reads it after the rule: the rule may then write its result into grad's own
 * storage and return grad (relu's backward does, sparing a fresh activation-sized array per layer).
 */
export type GradRule = (grad: Tensor, gradIsOwned: boolean) => readonly (Tensor | null | undefined)[];

export interface GradFn {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  readonly backward: GradRule;
}

/** Attaches a gradient rule to `out` when grad mode is on and some input requires a gradient. Returns `out`. */
export function record(name: string, out: Tensor, inputs: readonly Tensor[], backward: GradRule): Tensor {
  if (!isGradEnabled() || !isFloat(out.dtype)) return out;
  if (!inputs.some((t) => t.requiresGrad)) return out;
  out.requiresGrad = true;
  out.gradFn = { name, inputs, backward };
  return out;
}

// Gradients that no one else holds: made fresh by a gradient rule that kept no reference (see exclusive), or sums
// made by backward() itself. A leaf can take such a tensor as its .grad without the defensive copy (for an MLP
// step, a copy of every weight gradient: ~5% of the step).
const exclusiveGrads = new WeakSet<Tensor>();

/** Marks a gradient a rule has just allocated and keeps no reference to, so a leaf may store it without a copy.
 *  Only for fresh tensors (not views, not a rule's input); returns it. */
export function exclusive(t: Tensor): Tensor {
  exclusiveGrads.add(t);
  return t;
}

export interface BackwardOptions {
  /**
   * Keep the graph for another backward() (PyTorch's retain_graph). By default the gradient rule of each op that
   * saves values for its gradient (mul, matmul, exp, ...) is dropped as soon as it has run, with the tensors it
   * holds, as PyTorch frees its saved tensors: a loss kept for later (a list of losses to plot) then holds no
   * activations, and a second backward() through such an op is an error instead of a gradient computed twice.
   */
  retainGraph?: boolean;
}

// Ops whose gradient needs nothing but shapes (views, sums, add): PyTorch saves no tensors for them, so a second
// backward through them works there, e.g. through a transposed weight computed once and reused every step. Their
// rules are kept; what they refer to is their inputs, which the graph holds anyway.
const SAVES_NOTHING = new Set([
  "add", "sub", "neg", "sum", "cumsum", "cast", "contiguous", "clone", "reshape", "permute", "squeeze", "unsqueeze",
  "expand", "slice", "cat",
]);

const BACKWARD_OPTION_KEYS = optionKeys<BackwardOptions>({ retainGraph: true });

/** What an op's gradFn becomes once backward() has run its rule without retainGraph: its name, no inputs, and a
 *  rule that explains why it cannot run again. */
function freed(name: string): GradFn {
  return {
    name,
    inputs: [],
    backward: () => {
      throw new Error(`backward: the graph through ${name} was already used by a backward() call, which freed the values its gradient needs; pass { retainGraph: true } to the first backward() to run backward through it again`);
    },
  };
}

/** Computes d(root)/d(leaf) for every leaf that requires a gradient and adds it into leaf.grad. */
export function backward(root: Tensor, gradient?: Tensor, options: BackwardOptions = {}): void {
  if (gradient !== undefined && (gradient === null || typeof (gradient as Partial<Tensor>).numel !== "function")) {
    throw new TypeError("backward: the first argument is the output's gradient (a Tensor, or undefined for a scalar output); options come second, as in backward(undefined, { retainGraph: true })");
  }
  checkOptionKeys("backward", options, BACKWARD_OPTION_KEYS);
  if (!root.requiresGrad) {
    throw new Error("backward: the tensor does not require grad and has no gradient function (did you call it on a result computed under noGrad, or on a detached tensor?)");
  }
  let seed: Tensor;
  if (gradient === undefined) {
    if (root.numel() !== 1) throw new Error(`backward: a gradient can be created implicitly only for a scalar output, but the output has shape ${fmt(root.shape)}; pass one of that shape`);
    seed = root.onesLike();
  } else {
    if (!sameShape(gradient.shape, root.shape)) throw new Error(`backward: gradient of shape ${fmt(gradient.shape)} does not match the output's shape ${fmt(root.shape)}`);
    seed = gradient.to(root.dtype);
  }

  const retainGraph = options.retainGraph ?? false;
  const order = topologicalOrder(root);
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  const handedOut = new Set<Tensor>();
  noGrad(() => {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const g = grads.get(t);
      if (g === undefined) continue;
      grads.delete(t); // free intermediate gradients as soon as they are consumed
      // The first gradient is stored as a copy: g may be the caller's seed or the very tensor handed to another
      // input (add passes g through to both operands), and an in-place update of one .grad (clipping, weight
      // decay) must not leak into the other. A leaf's gradient that nothing else holds is stored as it is. Later
      // ones are added into .grad in place, as PyTorch does (a reference to .grad sees the sum).
      if (t.gradFn === null || t.retainsGrad) {
        const adopt = t.grad === null && t.gradFn === null && exclusiveGrads.has(g);
        if (t.grad === null) t.grad = adopt ? g : g.clone();
        else if (!binaryInPlace("add", t.grad, g)) t.grad = t.grad.add(g);
        if (adopt) exclusiveGrads.delete(g); // the user's now: a later backward must never write into it
      }
      if (t.gradFn === null) continue;
      const { name, inputs } = t.gradFn;
      const inGrads = t.gradFn.backward(g, g !== seed && exclusiveGrads.has(g));
      if (!retainGraph && !SAVES_NOTHING.has(name)) t.gradFn = freed(name);
      for (let j = 0; j < inputs.length; j++) {
        const x = inputs[j], gx = inGrads[j];
        if (!x.requiresGrad || gx === null || gx === undefined) continue;
        if (!sameShape(gx.shape, x.shape)) {
          throw new Error(`backward: the gradient rule of ${name} returned shape ${fmt(gx.shape)} for input ${j} of shape ${fmt(x.shape)}`);
        }
        const cast = gx.dtype === x.dtype ? gx : exclusive(gx.to(x.dtype));
        // A tensor handed to a second input is shared from then on.
        if (handedOut.has(cast)) exclusiveGrads.delete(cast);
        else handedOut.add(cast);
        const prev = grads.get(x);
        grads.set(x, prev === undefined ? cast : exclusive(prev.add(cast)));
      }
    }
  });
}

function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>([root]);
  // Iterative post-order DFS: deep graphs (long RNN unrolls) would overflow the call stack recursively.
  const stack: [Tensor, number][] = [[root, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const inputs = top[0].gradFn?.inputs ?? [];
    if (top[1] < inputs.length) {
      const next = inputs[top[1]++];
      if (next.requiresGrad && !visited.has(next)) {
        visited.add(next);
        stack.push([next, 0]);
      }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  return order;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
