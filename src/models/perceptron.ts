// The Rosenblatt perceptron (1958): a weighted sum, a threshold, and a step. It learns by the perceptron rule, not
// by gradient descent: after each misclassified sample, move the weights toward (or away from) that sample,
//
//     y_hat = step(w . x + b),    step(z) = 1 if z > 0 else 0
//     w <- w + lr * (y - y_hat) * x
//     b <- b + lr * (y - y_hat)
//
// If some line (hyperplane) separates the two classes, this stops making mistakes after finitely many updates
// (Novikoff's convergence theorem). If none does, as for XOR, it never stops: some sample is always wrong.
// The weights are stored as weight [1, in] and bias [1], the shapes of a PyTorch Linear(in, 1), so a saved
// perceptron is readable elsewhere.

import { noGrad } from "../autograd/grad_mode.js";
import { defaultGenerator, type Generator } from "../tensor/random.js";
import { ShapeError, fmt } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { zeros } from "../ops/creation.js";

export interface PerceptronFitOptions {
  /** Passes over the data at most; training stops early once an epoch makes no mistake. */
  epochs?: number;
  lr?: number;
  /** Visit samples in a new random order each epoch (seeded); off by default, as in the classic algorithm. */
  shuffle?: boolean;
  generator?: Generator;
  /** Called after each epoch with the number of misclassified samples during that epoch. */
  onEpoch?: (epoch: number, mistakes: number) => void;
}

export interface PerceptronHistory {
  /** Mistakes (updates) made in each epoch. */
  mistakes: number[];
  /** True when an epoch passed with no mistake: the data were separated. */
  converged: boolean;
}

export class Perceptron {
  readonly inFeatures: number;
  weight: Tensor;
  bias: Tensor;

  constructor(inFeatures: number) {
    if (!Number.isInteger(inFeatures) || inFeatures <= 0) throw new RangeError(`Perceptron: inFeatures must be a positive integer, got ${inFeatures}`);
    this.inFeatures = inFeatures;
    this.weight = zeros([1, inFeatures]);
    this.bias = zeros([1]);
  }

  /** The threshold theta the weighted sum must exceed to fire: the negated bias. */
  get threshold(): number {
    return -this.bias.item();
  }

  private checkInput(x: Tensor): Tensor {
    const x2 = x.ndim === 1 ? x.unsqueeze(0) : x;
    if (x2.ndim !== 2 || x2.shape[1] !== this.inFeatures) throw new ShapeError(`Perceptron: expected input [N, ${this.inFeatures}], got ${fmt(x.shape)}`);
    return x2.float();
  }

  /** The weighted sums w . x + b, shape [N]. */
  netInput(x: Tensor): Tensor {
    return noGrad(() => this.checkInput(x).matmul(this.weight.t()).add(this.bias).reshape([-1]));
  }

  /** Fires (1) or not (0) for each row of x: float32 [N]. */
  forward(x: Tensor): Tensor {
    return noGrad(() => this.netInput(x).gt(0).float());
  }

  predict(x: Tensor): Tensor {
    return this.forward(x);
  }

  /** Trains with the perceptron rule; targets are 0/1 (or booleans), shape [N]. */
  fit(x: Tensor, y: Tensor, opts: PerceptronFitOptions = {}): PerceptronHistory {
    const { epochs = 100, lr = 1, shuffle = false, generator = defaultGenerator, onEpoch } = opts;
    const xs = this.checkInput(x);
    const n = xs.shape[0];
    if (y.numel() !== n) throw new ShapeError(`Perceptron.fit: ${n} samples but ${y.numel()} targets (shape ${fmt(y.shape)})`);
    const targets = Array.from(y.reshape([-1]).float().toTypedArray());
    if (targets.some((t) => t !== 0 && t !== 1)) throw new RangeError("Perceptron.fit: targets must be 0 or 1");
    const rows = Array.from({ length: n }, (_, i) => xs.select(0, i));
    const history: PerceptronHistory = { mistakes: [], converged: false };
    noGrad(() => {
      for (let epoch = 1; epoch <= epochs; epoch++) {
        const order = Array.from({ length: n }, (_, i) => i);
        if (shuffle) for (let i = n - 1; i > 0; i--) { const j = generator.int(0, i + 1); [order[i], order[j]] = [order[j], order[i]]; }
        let mistakes = 0;
        for (const i of order) {
          const fired = rows[i].matmul(this.weight.reshape([-1])).add(this.bias).item() > 0 ? 1 : 0;
          const error = targets[i] - fired; // -1, 0 or +1
          if (error === 0) continue;
          mistakes++;
          this.weight.add_(rows[i].mul(lr * error).unsqueeze(0));
          this.bias.add_(lr * error);
        }
        history.mistakes.push(mistakes);
        onEpoch?.(epoch, mistakes);
        if (mistakes === 0) {
          history.converged = true;
          break;
        }
      }
    });
    return history;
  }

  stateDict(): Record<string, Tensor> {
    return { weight: this.weight, bias: this.bias };
  }

  loadStateDict(dict: Record<string, Tensor> | Map<string, Tensor>): void {
    const get = (k: string) => (dict instanceof Map ? dict.get(k) : dict[k]);
    const w = get("weight"), b = get("bias");
    if (!w || !b) throw new Error('Perceptron.loadStateDict: expected keys "weight" and "bias"');
    if (w.shape.length !== 2 || w.shape[0] !== 1 || w.shape[1] !== this.inFeatures) throw new ShapeError(`Perceptron.loadStateDict: weight must be [1, ${this.inFeatures}], got ${fmt(w.shape)}`);
    if (b.numel() !== 1) throw new ShapeError(`Perceptron.loadStateDict: bias must have one element, got ${fmt(b.shape)}`);
    this.weight = w.float().contiguous().clone().detach();
    this.bias = b.float().reshape([1]).clone().detach();
  }
}

/** Why no perceptron can compute XOR, as the demo prints it. */
export const XOR_PROOF = [
  "A perceptron fires when w1*x1 + w2*x2 + b > 0. XOR would need:",
  "  (0,0) -> 0:  b <= 0",
  "  (1,0) -> 1:  w1 + b > 0",
  "  (0,1) -> 1:  w2 + b > 0",
  "  (1,1) -> 0:  w1 + w2 + b <= 0",
  "Adding the middle two gives w1 + w2 + 2b > 0, so w1 + w2 + b > -b >= 0, contradicting the last line.",
  "No line separates XOR's classes, so the perceptron rule keeps making mistakes forever.",
  "A hidden layer fixes this: an MLP bends the boundary (see `axon demo xor`).",
].join("\n");
