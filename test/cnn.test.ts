// The zoo's convolutional networks: output shapes, PyTorch state-dict names, save/rebuild, and that they learn.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as ax from "../src/index.js";
import { checkSpec, describeSpec, type CnnSpec } from "../src/models/zoo.js";

const spec = (arch: CnnSpec["arch"], extra: Partial<CnnSpec> = {}): CnnSpec => ({ kind: "cnn", arch, inputShape: [1, 28, 28], outputs: 10, dropout: 0, ...extra });
const shapes = (m: ax.nn.Module) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, v.shape]));

test("each cnn arch maps [N, 1, 28, 28] images to [N, classes] logits", () => {
  for (const arch of ax.CNN_ARCHS) {
    const m = ax.cnn(spec(arch));
    m.eval();
    assert.deepEqual(m.forward(ax.randn([2, 1, 28, 28])).shape, [2, 10], arch);
  }
  // Other sizes and channel counts work where the layers fit; a binary model has one logit.
  assert.deepEqual(ax.cnn(spec("simple", { inputShape: [3, 32, 32], outputs: 1 })).forward(ax.randn([1, 3, 32, 32])).shape, [1, 1]);
});

test("cnn state dicts have PyTorch's Sequential names and shapes", () => {
  assert.deepEqual(shapes(ax.cnn(spec("simple"))), {
    "0.weight": [32, 1, 3, 3], "0.bias": [32], "3.weight": [64, 32, 3, 3], "3.bias": [64], "7.weight": [10, 1600], "7.bias": [10],
  });
  assert.deepEqual(shapes(ax.cnn(spec("lenet"))), {
    "0.weight": [6, 1, 5, 5], "0.bias": [6], "3.weight": [16, 6, 5, 5], "3.bias": [16],
    "7.weight": [120, 400], "7.bias": [120], "9.weight": [84, 120], "9.bias": [84], "11.weight": [10, 84], "11.bias": [10],
  });
  const bn = (i: number, c: number) => ({ [`${i}.weight`]: [c], [`${i}.bias`]: [c], [`${i}.running_mean`]: [c], [`${i}.running_var`]: [c], [`${i}.num_batches_tracked`]: [] });
  // As torch.nn.Sequential(Conv2d(1, 32, 3, padding=1, bias=False), BatchNorm2d(32), ReLU(), ...): the convolutions
  // before batch norm have no bias, and the dropout layers keep their places (15 and 18) even at p = 0.
  assert.deepEqual(shapes(ax.cnn(spec("vgg", { dropout: 0.25 }))), {
    "0.weight": [32, 1, 3, 3], ...bn(1, 32), "3.weight": [32, 32, 3, 3], ...bn(4, 32),
    "7.weight": [64, 32, 3, 3], ...bn(8, 64), "10.weight": [64, 64, 3, 3], ...bn(11, 64),
    "16.weight": [128, 3136], "16.bias": [128], "19.weight": [10, 128], "19.bias": [10],
  });
  assert.deepEqual(Object.keys(ax.cnn(spec("vgg")).stateDict()), Object.keys(ax.cnn(spec("vgg", { dropout: 0.5 })).stateDict()));
});

test("a saved cnn rebuilds from its spec and gives the same outputs (batch-norm statistics included)", () => {
  ax.manualSeed(2);
  const s = spec("vgg", { dropout: 0.25 });
  const m = ax.cnn(s);
  m.forward(ax.randn([4, 1, 28, 28])); // one training-mode pass moves the running statistics off their defaults
  m.eval();
  const saved = ax.parseModel(ax.serializeModel(m, s, { dataset: "mnist", classes: [] }, {}, { "axon.history": "[]" }));
  assert.deepEqual(saved.spec, s);
  assert.equal(saved.metadata["axon.history"], "[]");
  const again = saved.model as ax.nn.Module;
  again.eval();
  const x = ax.randn([2, 1, 28, 28]);
  assert.deepEqual(again.forward(x).toArray(), m.forward(x).toArray());
  assert.equal(describeSpec(s), "cnn vgg 1x28x28 ([conv3x3x32-bn-relu]x2-maxpool, [conv3x3x64-bn-relu]x2-maxpool, 128-10, dropout 0.25)");
});

test("checkSpec validates cnn specs field by field", () => {
  assert.deepEqual(checkSpec(spec("lenet")), spec("lenet"));
  assert.throws(() => checkSpec({ ...spec("lenet"), arch: "resnet" }), /arch must be one of lenet, vgg, simple, got "resnet"/);
  assert.throws(() => checkSpec({ ...spec("lenet"), inputShape: [784] }), /inputShape must be \[channels, height, width\]/);
  assert.throws(() => checkSpec({ ...spec("simple"), inputShape: [1, 8, 8] }), /8x8 image is too small for the simple cnn/);
  assert.throws(() => checkSpec({ ...spec("lenet"), outputs: 0 }), /outputs must be a positive integer/);
  assert.throws(() => checkSpec({ ...spec("lenet"), dropout: 0.5 }), /lenet cnn has no dropout layers/);
  assert.throws(() => checkSpec({ ...spec("vgg"), dropout: 1 }), /dropout must be in \[0, 1\)/);
});

test("a few Adam steps lower a cnn's loss on a small batch", () => {
  ax.manualSeed(0);
  // Two blurry classes, a bright square top-left or bottom-right: easy to tell apart for a convolution.
  const data = Float32Array.from(ax.randn([16 * 784]).mul(0.3).toTypedArray());
  for (let i = 0; i < 16; i++) for (let r = 0; r < 8; r++) for (let c = 0; c < 8; c++) data[i * 784 + (i % 2 ? 18 + r : 2 + r) * 28 + (i % 2 ? 18 + c : 2 + c)] += 2;
  const x = ax.tensor(data).reshape([16, 1, 28, 28]);
  const y = ax.tensor(Array.from({ length: 16 }, (_, i) => i % 2), { dtype: "int32" });
  for (const arch of ["lenet", "vgg"] as const) {
    const m = ax.cnn(spec(arch, { outputs: 2 }));
    const opt = new ax.optim.Adam(m.parameters(), { lr: 2e-3 });
    const losses: number[] = [];
    // Batch norm makes vgg learn this in a step or two; it is also the slow one on the reference backend.
    for (let step = 0; step < (arch === "vgg" ? 3 : 8); step++) {
      opt.zeroGrad();
      const loss = ax.nn.functional.crossEntropy(m.forward(x), y);
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    assert.ok(losses[losses.length - 1] < 0.7 * losses[0], `${arch}: loss should fall, got ${losses.map((l) => l.toFixed(3)).join(" ")}`);
  }
});

test("one seed reproduces a CNN's training bit for bit (the convolution's threaded gradient sums included)", () => {
  // Big enough that the native convolution splits the batch across threads and sums weight gradients in chunks.
  const run = () => {
    ax.manualSeed(5);
    const model = new ax.nn.Sequential(
      new ax.nn.Conv2d(4, 16, 3, { padding: 1 }), new ax.nn.ReLU(), new ax.nn.MaxPool2d(2),
      new ax.nn.Flatten(), new ax.nn.Linear(16 * 8 * 8, 3),
    );
    const opt = new ax.optim.Adam(model.parameters(), { lr: 1e-2 });
    const x = ax.randn([16, 4, 16, 16]), y = ax.randint(0, 3, [16]);
    const losses: number[] = [];
    for (let step = 0; step < 4; step++) {
      opt.zeroGrad();
      const loss = ax.nn.functional.crossEntropy(model.forward(x), y);
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    return [...losses, ...model.parameters().flatMap((p) => [...p.toTypedArray()])];
  };
  const first = run();
  assert.ok(first.slice(0, 4).every(Number.isFinite));
  assert.ok(first[3] < first[0], `the loss falls: ${first.slice(0, 4).join(", ")}`);
  assert.deepEqual(run(), first);
});
