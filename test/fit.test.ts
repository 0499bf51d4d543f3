import { test } from "node:test";
import assert from "node:assert/strict";
import * as ax from "../src/index.js";
import { EarlyStopping, evaluate, fit, predict, type TrainableModel } from "../src/train/fit.js";

// A hand-written linear model, so these tests depend only on the core, optim and the loop itself.
class Linear1 implements TrainableModel {
  weight = ax.zeros([1, 2], { requiresGrad: true });
  bias = ax.zeros([1], { requiresGrad: true });
  training = true;
  modes: boolean[] = [];
  forward(x: ax.Tensor) { return x.matmul(this.weight.t()).add(this.bias); }
  train(mode = true) { this.training = mode; this.modes.push(mode); }
  eval() { this.train(false); }
  parameters() { return [this.weight, this.bias]; }
  stateDict() { return { weight: this.weight, bias: this.bias }; }
  loadStateDict(d: Record<string, ax.Tensor> | Map<string, ax.Tensor>) {
    const get = (k: string) => (d instanceof Map ? d.get(k)! : d[k]);
    ax.noGrad(() => { this.weight.copy_(get("weight")); this.bias.copy_(get("bias")); });
  }
}

const mse = (o: ax.Tensor, t: ax.Tensor) => o.sub(t).square().mean();

function regressionBatches(n = 64, batch = 16): ax.Tensor[][] {
  ax.manualSeed(5);
  const x = ax.randn([n, 2]);
  const y = x.matmul(ax.tensor([[2], [-3]])).add(0.5); // y = 2 x0 - 3 x1 + 0.5
  const out: ax.Tensor[][] = [];
  for (let i = 0; i < n; i += batch) out.push([x.narrow(0, i, batch), y.narrow(0, i, batch)]);
  return out;
}

test("fit drives the loss down and records one entry per epoch", () => {
  const model = new Linear1();
  const data = regressionBatches();
  const history = fit(model, data, { loss: mse, optimizer: new ax.optim.SGD(model.parameters(), { lr: 0.1 }), epochs: 30, accuracy: null });
  assert.equal(history.epochs.length, 30);
  assert.equal(history.stoppedEarly, false);
  assert.ok(history.epochs[0].loss > 1, `first epoch loss ${history.epochs[0].loss}`);
  assert.ok(history.epochs[29].loss < 1e-6, `last epoch loss ${history.epochs[29].loss}`);
  assert.deepEqual(Array.from(model.weight.toTypedArray()).map((v) => Number(v.toFixed(3))), [2, -3]);
  assert.ok(Math.abs(model.bias.item() - 0.5) < 1e-3);
});

test("one seed reproduces a whole run bit for bit", () => {
  const runOnce = () => {
    const model = new Linear1();
    ax.manualSeed(11);
    ax.noGrad(() => model.weight.copy_(ax.randn([1, 2])));
    const h = fit(model, regressionBatches(), { loss: mse, optimizer: new ax.optim.Adam(model.parameters(), { lr: 0.01 }), epochs: 3, accuracy: null });
    return [...h.epochs.map((e) => e.loss), ...model.weight.toTypedArray()];
  };
  assert.deepEqual(runOnce(), runOnce());
});

test("validation, callbacks and early stopping with best-weight restore", () => {
  const model = new Linear1();
  const data = regressionBatches();
  const seen: number[] = [];
  let batches = 0;
  // A learning rate that diverges after a few epochs, so validation loss rises and early stopping fires.
  const opt = new ax.optim.SGD(model.parameters(), { lr: 0.1 });
  const stopper = new EarlyStopping({ monitor: "valLoss", patience: 2, restoreBestWeights: true });
  const h = fit(model, data, {
    loss: mse, optimizer: opt, epochs: 50, validation: data.slice(0, 1), accuracy: null,
    callbacks: [stopper, { onEpochEnd: (l) => { seen.push(l.epoch); }, onBatchEnd: () => { batches++; } }],
    onEpoch: (l) => { if (l.epoch === 3) opt.paramGroups[0].lr = 1.5; },
  });
  assert.equal(h.stoppedEarly, true);
  assert.ok(h.epochs.length < 50);
  assert.deepEqual(seen, h.epochs.map((e) => e.epoch));
  assert.equal(batches, h.epochs.length * data.length);
  assert.ok(h.epochs.every((e) => e.valLoss !== undefined));
  const best = Math.min(...h.epochs.map((e) => e.valLoss!));
  assert.equal(stopper.best, best);
  const restored = evaluate(model, data.slice(0, 1), { loss: mse, accuracy: null }).loss!;
  assert.ok(Math.abs(restored - best) < 1e-6 * Math.max(1, best), `restored weights give ${restored}, best was ${best}`);
});

test("evaluate and predict run in eval mode without a graph and restore training mode", () => {
  const model = new Linear1();
  const x = ax.randn([10, 2]);
  const out = predict(model, x, { batchSize: 3 });
  assert.deepEqual(out.shape, [10, 1]);
  assert.equal(out.requiresGrad, false);
  assert.deepEqual(model.modes, [false, true]);
  assert.equal(model.training, true);
});

test("classification accuracy is counted from logits and from probabilities", () => {
  const model = { forward: (x: ax.Tensor) => x, train() {}, eval() {} };
  const logits = ax.tensor([[2, 1, 0], [0, 3, 1], [1, 0, 5], [9, 0, 0]]);
  const labels = ax.tensor([0, 1, 1, 0], { dtype: "int32" });
  assert.equal(evaluate(model, [[logits, labels]]).accuracy, 0.75);
  const probs = ax.tensor([[0.9], [0.2], [0.7], [0.4]]);
  assert.equal(evaluate(model, [[probs, ax.tensor([[1], [0], [0], [0]])]]).accuracy, 0.75);
});

test("fit explains a non-scalar loss, a diverged loss and empty data", () => {
  const model = new Linear1();
  const opt = new ax.optim.SGD(model.parameters(), { lr: 0.1 });
  const data = regressionBatches();
  assert.throws(() => fit(model, data, { loss: (o, t) => o.sub(t), optimizer: opt, accuracy: null }), /loss must be a scalar, got shape \[16,1\]/);
  assert.throws(() => fit(model, data, { loss: () => ax.tensor(NaN, { requiresGrad: true }), optimizer: opt, accuracy: null }), /loss became NaN at epoch 1, batch 1/);
  assert.throws(() => fit(model, [], { loss: mse, optimizer: opt }), /yielded no batches/);
});
