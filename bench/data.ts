// The training data every contender of a benchmark shares: the first n Fashion-MNIST training images as
// [n, 784] floats in [0, 1] with int32 labels, or seeded random data of that shape when the dataset is not
// installed (or --random is given). Plain typed arrays, so each library builds its own tensors from them.

import * as ax from "../src/index.node.js";
import { fashionMnist } from "../src/node.js";

export interface BenchData { xs: Float32Array; ys: Int32Array; source: string }

export function fashionMnistOrRandom(n: number, flags: Map<string, string | boolean>): BenchData {
  try {
    if (flags.has("random")) throw new Error("--random");
    const { train } = fashionMnist();
    const [x, y] = train.tensors;
    const xs = (x.reshape([x.shape[0], 784]).narrow(0, 0, n).contiguous().toTypedArray() as Float32Array).slice();
    const ys = Int32Array.from(y.narrow(0, 0, n).toTypedArray() as ArrayLike<number>);
    return { xs, ys, source: `Fashion-MNIST (the first ${n} training images)` };
  } catch (e) {
    const g = new ax.Generator(1);
    const xs = new Float32Array(n * 784), ys = new Int32Array(n);
    for (let i = 0; i < xs.length; i++) xs[i] = g.random();
    for (let i = 0; i < n; i++) ys[i] = Math.floor(g.random() * 10);
    return { xs, ys, source: `random data shaped like Fashion-MNIST (${(e as Error).message === "--random" ? "--random" : "dataset not found"})` };
  }
}

export interface Trainer { step: () => void; loss: () => number }

/**
 * An Axon contender: the model `build()` makes, trained with Adam and cross-entropy on `batches` batches of `batch`
 * samples of `data`, each sample viewed as `sampleShape`. Built on `backend` with seed 0, so every backend starts
 * from the same weights.
 */
export function axonTrainer(backend: string, build: () => ax.nn.Module, data: BenchData, opts: { batch: number; batches: number; lr: number; sampleShape: number[] }): Trainer {
  ax.setBackend(backend);
  ax.manualSeed(0);
  const model = build();
  const opt = new ax.optim.Adam(model.parameters(), { lr: opts.lr });
  const { batch, batches: nb } = opts;
  const X = ax.tensor(data.xs).reshape([batch * nb, ...opts.sampleShape]), Y = ax.tensor(data.ys, { dtype: "int32" });
  const batches = Array.from({ length: nb }, (_, i) => [X.narrow(0, i * batch, batch), Y.narrow(0, i * batch, batch)]);
  let i = 0, last = NaN;
  return {
    step: () => {
      const [x, y] = batches[i++ % nb];
      opt.zeroGrad();
      const loss = ax.nn.functional.crossEntropy(model.forward(x), y);
      loss.backward();
      opt.step();
      last = loss.item();
    },
    loss: () => last,
  };
}
