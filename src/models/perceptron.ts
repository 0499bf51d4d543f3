// The Rosenblatt perceptron (1958): a weighted sum, a threshold, and a step. It learns by the perceptron rule, not
// by gradient descent: after each misclassified sample, move the weights toward (or away from) that sample,
//
//     y_hat = step(w . x + b),    step(z) = 1 if z > 0 else 0
//     w <- w + lr * (y - y_hat) * x
//     b <- b + lr * (y - y_hat)
//
// If some line (hyperplane) separates the two classes, this stops making mistakes after finitely many updates
// (Novikoff's convergence theorem). If none does, as for XOR, it never stops: some sample is always wrong.
//
// With C > 1 outputs it is the multi-class perceptron: one weight row per class, the prediction is the class with
// the largest weighted sum, and a mistake moves the true class's row toward x and the predicted one's away:
//     w[y] <- w[y] + lr * x,   w[y_hat] <- w[y_hat] - lr * x   (and the same for the biases)
//
// The weights are stored as weight [C, in] and bias [C], the shapes of a PyTorch Linear(in, C), so a saved
// perceptron is readable elsewhere. Training runs sample by sample on plain arrays: the rule is inherently
// sequential, and one tensor op per sample would spend its time in overhead.

import { defaultGenerator, type Generator } from "../tensor/random.js";
import { ShapeError, fmt } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { noGrad } from "../autograd/grad_mode.js";
import { zeros } from "../ops/creation.js";
import { checkOptionKeys, optionKeys } from "../util/options.js";

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

const PERCEPTRON_FIT_OPTION_KEYS = optionKeys<PerceptronFitOptions>({ epochs: true, lr: true, shuffle: true, generator: true, onEpoch: true });

export interface PerceptronHistory {
  /** Mistakes (updates) made in each epoch. */
  mistakes: number[];
  /** True when an epoch passed with no mistake: the data were separated. */
  converged: boolean;
}

export class Perceptron {
  readonly inFeatures: number;
  /** 1: a binary perceptron with a step output; C > 1: the multi-class perceptron over C classes. */
  readonly outFeatures: number;
  weight: Tensor;
  bias: Tensor;

  constructor(inFeatures: number, outFeatures = 1) {
    if (!Number.isInteger(inFeatures) || inFeatures <= 0) throw new RangeError(`Perceptron: inFeatures must be a positive integer, got ${inFeatures}`);
    if (!Number.isInteger(outFeatures) || outFeatures <= 0 || outFeatures === 2) {
      throw new RangeError(`Perceptron: outFeatures must be 1 (binary, 0/1 targets) or the number of classes >= 3, got ${outFeatures}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = zeros([outFeatures, inFeatures]);
    this.bias = zeros([outFeatures]);
  }

  /** The threshold theta the weighted sum must exceed to fire: the negated bias (binary perceptron). */
  get threshold(): number {
    if (this.outFeatures !== 1) throw new Error("Perceptron.threshold: only a binary perceptron (outFeatures 1) has one threshold");
    return -this.bias.item();
  }

  private checkInput(x: Tensor): Tensor {
    // One sample [in], a batch [N, in], or a batch of images [N, ...] whose sample size is `in` (flattened).
    const x2 = x.ndim === 1 ? x.unsqueeze(0) : x.ndim > 2 && x.numel() / x.shape[0] === this.inFeatures ? x.reshape([x.shape[0], -1]) : x;
    if (x2.ndim !== 2 || x2.shape[1] !== this.inFeatures) throw new ShapeError(`Perceptron: expected input [N, ${this.inFeatures}], got ${fmt(x.shape)}`);
    return x2.float();
  }

  /** The weighted sums w . x + b: shape [N] for a binary perceptron, [N, C] for a multi-class one. */
  netInput(x: Tensor): Tensor {
    return noGrad(() => {
      const z = this.checkInput(x).matmul(this.weight.t()).add(this.bias);
      return this.outFeatures === 1 ? z.reshape([-1]) : z;
    });
  }

  /** Binary: fires (1) or not (0) for each row of x, float32 [N]. Multi-class: the class scores [N, C]. */
  forward(x: Tensor): Tensor {
    return this.outFeatures === 1 ? noGrad(() => this.netInput(x).gt(0).float()) : this.netInput(x);
  }

  /** The predicted label of each row: 0/1 float32 [N] (binary) or the class index, int32 [N]. */
  predict(x: Tensor): Tensor {
    return this.outFeatures === 1 ? this.forward(x) : noGrad(() => this.netInput(x).argmax(1));
  }

  /** Trains with the perceptron rule. Targets, shape [N]: 0/1 (binary) or class indices 0..C-1 (multi-class). */
  fit(x: Tensor, y: Tensor, opts: PerceptronFitOptions = {}): PerceptronHistory {
    checkOptionKeys("Perceptron.fit", opts, PERCEPTRON_FIT_OPTION_KEYS);
    const { epochs = 100, lr = 1, shuffle = false, generator = defaultGenerator, onEpoch } = opts;
    const xs = this.checkInput(x).contiguous().toTypedArray() as Float32Array;
    const n = xs.length / this.inFeatures, d = this.inFeatures, c = this.outFeatures;
    if (y.numel() !== n) throw new ShapeError(`Perceptron.fit: ${n} samples but ${y.numel()} targets (shape ${fmt(y.shape)})`);
    const targets = Array.from(y.reshape([-1]).toTypedArray(), Number);
    if (c === 1 && targets.some((t) => t !== 0 && t !== 1)) throw new RangeError("Perceptron.fit: targets must be 0 or 1");
    if (c > 1 && targets.some((t) => !Number.isInteger(t) || t < 0 || t >= c)) throw new RangeError(`Perceptron.fit: targets must be class indices in 0..${c - 1}`);
    // Work on float64 copies; write back as float32 at the end.
    const w = Float64Array.from(this.weight.contiguous().toTypedArray() as Float32Array);
    const b = Float64Array.from(this.bias.toTypedArray() as Float32Array);
    const score = (k: number, row: number): number => {
      let s = b[k];
      for (let j = 0, wo = k * d, xo = row * d; j < d; j++) s += w[wo + j] * xs[xo + j];
      return s;
    };
    const move = (k: number, row: number, step: number): void => {
      for (let j = 0, wo = k * d, xo = row * d; j < d; j++) w[wo + j] += step * xs[xo + j];
      b[k] += step;
    };
    const history: PerceptronHistory = { mistakes: [], converged: false };
    const order = Array.from({ length: n }, (_, i) => i);
    for (let epoch = 1; epoch <= epochs; epoch++) {
      if (shuffle) for (let i = n - 1; i > 0; i--) { const j = generator.int(0, i + 1); [order[i], order[j]] = [order[j], order[i]]; }
      let mistakes = 0;
      for (const i of order) {
        if (c === 1) {
          const error = targets[i] - (score(0, i) > 0 ? 1 : 0); // -1, 0 or +1
          if (error !== 0) { mistakes++; move(0, i, lr * error); }
          continue;
        }
        let best = 0, bestScore = -Infinity;
        for (let k = 0; k < c; k++) { const s = score(k, i); if (s > bestScore) { bestScore = s; best = k; } }
        if (best !== targets[i]) { mistakes++; move(targets[i], i, lr); move(best, i, -lr); }
      }
      history.mistakes.push(mistakes);
      onEpoch?.(epoch, mistakes);
      if (mistakes === 0) {
        history.converged = true;
        break;
      }
    }
    this.weight = new Tensor(Float32Array.from(w), [c, d]);
    this.bias = new Tensor(Float32Array.from(b), [c]);
    return history;
  }

  stateDict(): Record<string, Tensor> {
    return { weight: this.weight, bias: this.bias };
  }

  loadStateDict(dict: Record<string, Tensor> | Map<string, Tensor>): void {
    const get = (k: string) => (dict instanceof Map ? dict.get(k) : dict[k]);
    const w = get("weight"), b = get("bias");
    if (!w || !b) throw new Error('Perceptron.loadStateDict: expected keys "weight" and "bias"');
    const c = this.outFeatures;
    if (w.shape.length !== 2 || w.shape[0] !== c || w.shape[1] !== this.inFeatures) throw new ShapeError(`Perceptron.loadStateDict: weight must be [${c}, ${this.inFeatures}], got ${fmt(w.shape)}`);
    if (b.numel() !== c) throw new ShapeError(`Perceptron.loadStateDict: bias must have ${c} element(s), got ${fmt(b.shape)}`);
    this.weight = w.float().contiguous().clone().detach();
    this.bias = b.float().reshape([c]).clone().detach();
  }

  train(_mode = true): this { return this; }
  eval(): this { return this; }
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
