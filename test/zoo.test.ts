import { test } from "node:test";
import assert from "node:assert/strict";
import * as ax from "../src/index.js";
import { checkSpec } from "../src/models/zoo.js";

test("an MLP from the zoo has PyTorch's Sequential names and shapes", () => {
  const m = ax.mlp({ kind: "mlp", inputShape: [1, 28, 28], hidden: [256, 128], outputs: 10, activation: "relu", dropout: 0.2 });
  const shapes = Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, v.shape]));
  assert.deepEqual(shapes, { "1.weight": [256, 784], "1.bias": [256], "4.weight": [128, 256], "4.bias": [128], "7.weight": [10, 128], "7.bias": [10] });
  assert.deepEqual(m.forward(ax.zeros([3, 1, 28, 28])).shape, [3, 10]);
});

test("a saved model rebuilds with no code and gives the same outputs", () => {
  ax.manualSeed(1);
  const spec = { kind: "mlp", inputShape: [5], hidden: [7], outputs: 3, activation: "tanh", dropout: 0 } as const;
  const m = ax.mlp({ ...spec, hidden: [...spec.hidden], inputShape: [...spec.inputShape] });
  const bytes = ax.serializeModel(m, { ...spec, hidden: [7], inputShape: [5] }, { dataset: "csv", classes: ["a", "b", "c"] }, { testAccuracy: 0.5 });
  const saved = ax.parseModel(bytes);
  assert.deepEqual(saved.spec, spec);
  assert.deepEqual(saved.input.classes, ["a", "b", "c"]);
  assert.equal(saved.metrics.testAccuracy, 0.5);
  const x = ax.randn([4, 5]);
  assert.deepEqual((saved.model as ax.nn.Module).forward(x).toArray(), m.forward(x).toArray());
  // Weights alone (no architecture) are refused by parseModel with a hint.
  assert.throws(() => ax.parseModel(ax.serializeSafetensors(m.stateDict())), /no "axon.architecture" metadata/);
});

test("checkSpec names the field that is wrong", () => {
  assert.throws(() => checkSpec({ kind: "mlp", inputShape: [0] }), /inputShape must be a list of positive integers/);
  assert.throws(() => checkSpec({ kind: "rnn", inputShape: [3] }), /unknown kind "rnn"/);
  assert.throws(() => checkSpec({ kind: "mlp", inputShape: [3], hidden: [2.5], outputs: 2, activation: "relu" }), /hidden must be/);
  assert.throws(() => checkSpec({ kind: "mlp", inputShape: [3], hidden: [], outputs: 2, activation: "swish" }), /activation must be one of/);
  assert.throws(() => checkSpec({ kind: "mlp", inputShape: [3], hidden: [], outputs: 2, activation: "relu", dropout: 1 }), /dropout must be in \[0, 1\)/);
  assert.deepEqual(checkSpec({ kind: "perceptron", inputShape: [3] }), { kind: "perceptron", inputShape: [3], outputs: 1 });
});

test("randomShift moves whole images by at most maxShift pixels and fills the border", () => {
  const img = ax.zeros([1, 1, 5, 5]).add(ax.eye(5).reshape([1, 1, 5, 5]));
  const g = new ax.Generator(3);
  for (let i = 0; i < 20; i++) {
    const out = ax.data.randomShift(img, 1, { fill: -1, generator: g });
    const v = out.reshape([5, 5]).toArray() as number[][];
    // A shifted diagonal: the ones stay on one diagonal line, the rest is 0 or the fill.
    const ones = v.flatMap((row, r) => row.flatMap((p, c) => (p === 1 ? [c - r] : [])));
    assert.ok(ones.length >= 3 && ones.every((d) => d === ones[0] && Math.abs(d) <= 2));
    assert.ok(v.flat().every((p) => p === 1 || p === 0 || p === -1));
  }
  assert.deepEqual(ax.data.randomShift(img, 0).toArray(), img.toArray());
  assert.throws(() => ax.data.randomShift(ax.zeros([5, 5]), 1), /expected images/);
});
