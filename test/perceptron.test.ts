import { test } from "node:test";
import assert from "node:assert/strict";
import * as ax from "../src/index.js";
import { Perceptron } from "../src/models/perceptron.js";

const inputs = ax.tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);

test("the perceptron rule learns AND and OR and then classifies every point", () => {
  for (const [name, targets] of [["AND", [0, 0, 0, 1]], ["OR", [0, 1, 1, 1]]] as const) {
    const p = new Perceptron(2);
    const h = p.fit(inputs, ax.tensor([...targets]), { epochs: 50 });
    assert.ok(h.converged, `${name} converged`);
    assert.equal(h.mistakes.at(-1), 0);
    assert.deepEqual(p.predict(inputs).toArray(), [...targets], name);
  }
});

test("the perceptron converges on linearly separable random data", () => {
  ax.manualSeed(3);
  const n = 200;
  const x = ax.randn([n, 2]);
  // Labels from a known line with a margin: keep only points at distance > 0.2 from 0.7x - y + 0.3 = 0.
  const score = x.select(1, 0).mul(0.7).sub(x.select(1, 1)).add(0.3);
  const keep = Array.from(score.abs().gt(0.2 * Math.hypot(0.7, 1)).toTypedArray()).flatMap((v, i) => (v ? [i] : []));
  const xs = x.indexSelect(0, ax.tensor(keep, { dtype: "int32" }));
  const ys = score.indexSelect(0, ax.tensor(keep, { dtype: "int32" })).gt(0).float();
  const p = new Perceptron(2);
  const h = p.fit(xs, ys, { epochs: 1000, shuffle: true });
  assert.ok(h.converged, `no convergence after ${h.mistakes.length} epochs`);
  assert.equal(p.predict(xs).eq(ys).sum().item(), keep.length);
});

test("the perceptron cannot fit XOR: every epoch makes a mistake, and some point stays wrong", () => {
  const p = new Perceptron(2);
  const xor = ax.tensor([0, 1, 1, 0]);
  const h = p.fit(inputs, xor, { epochs: 500 });
  assert.equal(h.converged, false);
  assert.equal(h.mistakes.length, 500);
  assert.ok(h.mistakes.every((m) => m > 0));
  const correct = p.predict(inputs).eq(xor).sum().item();
  assert.ok(correct <= 3, `a line can get at most 3 of 4 XOR points right, got ${correct}`);
});

test("perceptron weights have Linear(in, 1) shapes and round-trip through a state dict", () => {
  const p = new Perceptron(3);
  p.fit(ax.tensor([[1, 0, 0], [0, 1, 1]]), ax.tensor([1, 0]));
  const sd = p.stateDict();
  assert.deepEqual(sd.weight.shape, [1, 3]);
  assert.deepEqual(sd.bias.shape, [1]);
  const q = new Perceptron(3);
  q.loadStateDict(sd);
  assert.deepEqual(q.netInput(ax.tensor([[1, 2, 3]])).toArray(), p.netInput(ax.tensor([[1, 2, 3]])).toArray());
  assert.equal(q.threshold, -sd.bias.item());
  assert.throws(() => q.loadStateDict({ weight: ax.zeros([1, 2]), bias: ax.zeros([1]) }), /weight must be \[1, 3\]/);
  assert.throws(() => q.predict(ax.zeros([2, 5])), /expected input \[N, 3\], got \[2,5\]/);
});

test("the multi-class perceptron keeps one weight row per class and separates three separable clusters", () => {
  ax.manualSeed(5);
  const centers = [[0, 4], [4, -2], [-4, -2]];
  const xs: number[][] = [], ys: number[] = [];
  centers.forEach((c, k) => {
    const pts = ax.randn([30, 2]).mul(0.5).toArray() as number[][];
    for (const [a, b] of pts) { xs.push([a + c[0], b + c[1]]); ys.push(k); }
  });
  const x = ax.tensor(xs), y = ax.tensor(ys, { dtype: "int32" });
  const p = new Perceptron(2, 3);
  assert.deepEqual(p.weight.shape, [3, 2]);
  const h = p.fit(x, y, { epochs: 100, shuffle: true });
  assert.ok(h.converged, `mistakes per epoch: ${h.mistakes.join(" ")}`);
  assert.deepEqual(Array.from(p.predict(x).toTypedArray()), ys);
  assert.deepEqual(p.forward(x).shape, [90, 3]);
  assert.throws(() => p.fit(x, ax.tensor(ys.map((v) => v + 1), { dtype: "int32" })), /class indices in 0\.\.2/);
  assert.throws(() => new Perceptron(2, 2), /outFeatures must be 1 .* or the number of classes >= 3/);
  assert.throws(() => p.threshold, /only a binary perceptron/);
});

test("the multi-class update rule moves the true row toward x and the predicted row away", () => {
  const p = new Perceptron(2, 3);
  // All weights start at zero: every score ties at 0 and the first class (0) is predicted; the target is 2.
  p.fit(ax.tensor([[1, 2]]), ax.tensor([2], { dtype: "int32" }), { epochs: 1, lr: 0.5 });
  assert.deepEqual(p.weight.toArray(), [[-0.5, -1], [0, 0], [0.5, 1]]);
  assert.deepEqual(p.bias.toArray(), [-0.5, 0, 0.5]);
});
