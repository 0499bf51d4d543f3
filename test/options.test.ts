// Option objects: an unknown key (PyTorch's snake_case name, or a typo) is a TypeError that names the function,
// the key and the camelCase name meant, as PyTorch raises TypeError for an unknown keyword argument; before, such
// a key was silently ignored and training went on with the default. The right spellings still take effect, and
// options passed on internally (a module to its functional form, zerosLike to zeros) never trip the check.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as ax from "../src/index.js";
import { readCsv } from "../src/node.js";

const { nn, optim, data } = ax;
const F = nn.functional;

// The tests pass misspelt options on purpose; the cast keeps the type checker from refusing them first.
const bad = (o: Record<string, unknown>): never => o as never;

/** fn throws a TypeError whose message starts `${op}: unknown option "${key}" (did you mean "${meant}"?)`. */
function rejects(fn: () => unknown, op: string, key: string, meant: string): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof TypeError, `expected a TypeError, got ${e.constructor.name}: ${e.message}`);
    const expected = `${op}: unknown option "${key}" (did you mean "${meant}"?)`;
    assert.ok(e.message.startsWith(expected), `expected the message to start with\n  ${expected}\ngot\n  ${e.message}`);
    return true;
  });
}

const images = (n = 2, c = 3, h = 6, w = 6) => ax.randn([n, c, h, w], { generator: new ax.Generator(1) });

describe("tensor creation", () => {
  test("zeros with requires_grad, rand with a misspelt generator", () => {
    rejects(() => ax.zeros([2], bad({ requires_grad: true })), "zeros", "requires_grad", "requiresGrad");
    rejects(() => ax.rand([2], bad({ generater: new ax.Generator(0) })), "rand", "generater", "generator");
    rejects(() => ax.randn([2], bad({ d_type: "float64" })), "randn", "d_type", "dtype");
    rejects(() => ax.randint(0, 5, [2], bad({ Generator: new ax.Generator(0) })), "randint", "Generator", "generator");
    rejects(() => ax.randperm(4, bad({ generator_: new ax.Generator(0) })), "randperm", "generator_", "generator");
    for (const [op, call] of [
      ["tensor", (o: never) => ax.tensor([1, 2], o)], ["ones", (o: never) => ax.ones([2], o)], ["full", (o: never) => ax.full([2], 3, o)],
      ["arange", (o: never) => ax.arange(0, 3, 1, o)], ["linspace", (o: never) => ax.linspace(0, 1, 3, o)], ["eye", (o: never) => ax.eye(2, 2, o)],
    ] as const) {
      rejects(() => call(bad({ requires_grad: true })), op, "requires_grad", "requiresGrad");
    }
  });

  test("the *Like functions name themselves, not the function they forward to", () => {
    const x = ax.ones([2, 2]);
    rejects(() => ax.zerosLike(x, bad({ requires_grad: true })), "zerosLike", "requires_grad", "requiresGrad");
    rejects(() => ax.onesLike(x, bad({ requires_grad: true })), "onesLike", "requires_grad", "requiresGrad");
    rejects(() => ax.fullLike(x, 2, bad({ requires_grad: true })), "fullLike", "requires_grad", "requiresGrad");
  });

  test("the known names still work, internal forwarding included", () => {
    const z = ax.zeros([2], { dtype: "float64", requiresGrad: true });
    assert.equal(z.dtype, "float64");
    assert.equal(z.requiresGrad, true);
    const like = ax.zerosLike(ax.ones([3], { dtype: "float64" }), { requiresGrad: true });
    assert.equal(like.dtype, "float64");
    assert.equal(like.requiresGrad, true);
    assert.deepEqual(ax.rand([4], { generator: new ax.Generator(7) }).toArray(), ax.rand([4], { generator: new ax.Generator(7) }).toArray());
    assert.equal(ax.full([2], 1, {}).dtype, "float32");
  });

  test("options that are not an object are an error too", () => {
    assert.throws(() => ax.zeros([2], "float64" as never), (e: Error) => e instanceof TypeError && /^zeros: options must be an object, got string/.test(e.message));
    assert.throws(() => ax.ones([2], [] as never), (e: Error) => e instanceof TypeError && /^ones: options must be an object, got an array/.test(e.message));
  });
});

describe("ops with options", () => {
  const x = ax.tensor([[1, 2, 3], [4, 6, 8]]);

  test("var and std", () => {
    rejects(() => ax.var(x, 1, bad({ keep_dim: true })), "var", "keep_dim", "keepdim");
    rejects(() => x.std(1, bad({ unbaised: false })), "std", "unbaised", "unbiased");
    assert.deepEqual(ax.var(x, 1, { correction: 0, keepdim: true }).shape, [2, 1]);
    assert.ok(Math.abs((x.var(1, { unbiased: false }).toArray() as number[])[0] - 2 / 3) < 1e-6);
    assert.deepEqual(x.std(1, { keepdim: true }).shape, [2, 1]);
  });

  test("isclose, allclose, sort and argsort", () => {
    rejects(() => ax.isclose(x, x, bad({ equal_nan: true })), "isclose", "equal_nan", "equalNan");
    rejects(() => ax.allclose(x, x, bad({ equal_nan: true })), "allclose", "equal_nan", "equalNan");
    rejects(() => ax.sort(x, 1, false, bad({ stabel: true })), "sort", "stabel", "stable");
    rejects(() => ax.argsort(x, 1, false, bad({ stabel: true })), "argsort", "stabel", "stable");
    const nan = ax.tensor([NaN]);
    assert.equal(ax.allclose(nan, nan, { equalNan: true }), true);
    assert.deepEqual(ax.argsort(ax.tensor([3, 1, 2]), 0, false, { stable: true }).toArray(), [1, 2, 0]);
  });

  test("functional convolution, pooling and normalization", () => {
    const img = images();
    const w = ax.randn([4, 3, 3, 3]);
    rejects(() => F.conv2d(img, w, null, bad({ dilations: 2 })), "conv2d", "dilations", "dilation");
    rejects(() => F.conv1d(ax.randn([1, 3, 8]), ax.randn([2, 3, 3]), null, bad({ Stride: 2 })), "conv1d", "Stride", "stride");
    rejects(() => F.convTranspose2d(img, ax.randn([3, 2, 3, 3]), null, bad({ output_padding: 1 })), "convTranspose2d", "output_padding", "outputPadding");
    rejects(() => F.maxPool2d(img, 2, bad({ ceil_mode: true })), "maxPool2d", "ceil_mode", "ceilMode");
    rejects(() => F.avgPool2d(img, 2, bad({ count_include_pad: false })), "avgPool2d", "count_include_pad", "countIncludePad");
    rejects(() => F.batchNorm(img, null, null, bad({ training: true, moment: 0.1 })), "batchNorm", "moment", "momentum");
    rejects(() => F.layerNorm(img, [6], bad({ Eps: 1e-3 })), "layerNorm", "Eps", "eps");
    assert.deepEqual(F.conv2d(img, w, null, { padding: 2, dilation: 2 }).shape, [2, 4, 6, 6]);
    assert.deepEqual(F.maxPool2d(ax.randn([1, 1, 5, 5]), 2, { ceilMode: true }).shape, [1, 1, 3, 3]);
  });
});

describe("nn modules", () => {
  test("Conv2d with padding_mode, BatchNorm2d with track_running_stats, Embedding with padding_idx", () => {
    rejects(() => new nn.Conv2d(3, 4, 3, bad({ padding_mode: "reflect" })), "Conv2d", "padding_mode", "paddingMode");
    rejects(() => new nn.Conv1d(3, 4, 3, bad({ padding_mode: "reflect" })), "Conv1d", "padding_mode", "paddingMode");
    rejects(() => new nn.ConvTranspose2d(3, 4, 3, bad({ output_padding: 1 })), "ConvTranspose2d", "output_padding", "outputPadding");
    rejects(() => new nn.BatchNorm2d(3, bad({ track_running_stats: false })), "BatchNorm2d", "track_running_stats", "trackRunningStats");
    rejects(() => new nn.BatchNorm1d(3, bad({ track_running_stats: false })), "BatchNorm1d", "track_running_stats", "trackRunningStats");
    rejects(() => new nn.Embedding(10, 4, bad({ padding_idx: 0 })), "Embedding", "padding_idx", "paddingIdx");
    rejects(() => nn.Embedding.fromPretrained(ax.randn([10, 4]), bad({ padding_idx: 0 })), "Embedding.fromPretrained", "padding_idx", "paddingIdx");
    rejects(() => new nn.Linear(3, 4, bad({ d_type: "float64" })), "Linear", "d_type", "dtype");
  });

  test("LayerNorm with elementwise_affine, MaxPool2d with ceil_mode, AvgPool2d with count_include_pad", () => {
    rejects(() => new nn.LayerNorm(6, bad({ elementwise_affine: false })), "LayerNorm", "elementwise_affine", "elementwiseAffine");
    rejects(() => new nn.MaxPool2d(2, bad({ ceil_mode: true })), "MaxPool2d", "ceil_mode", "ceilMode");
    rejects(() => new nn.AvgPool2d(2, bad({ count_include_pad: false })), "AvgPool2d", "count_include_pad", "countIncludePad");
  });

  test("the camelCase names take effect, and each forward passes the functional form's check", () => {
    const img = images();
    const conv = new nn.Conv2d(3, 4, 3, { padding: 1, paddingMode: "reflect" });
    assert.equal(conv.paddingMode, "reflect");
    assert.deepEqual(conv.forward(img).shape, [2, 4, 6, 6]);
    const bn = new nn.BatchNorm2d(3, { trackRunningStats: false });
    assert.equal(bn.runningMean, null);
    assert.deepEqual(bn.forward(img).shape, [2, 3, 6, 6]);
    const emb = new nn.Embedding(10, 4, { paddingIdx: 0 });
    assert.deepEqual(emb.weight.select(0, 0).toArray(), [0, 0, 0, 0]);
    assert.equal(nn.Embedding.fromPretrained(ax.randn([10, 4]), { freeze: false, paddingIdx: 1 }).paddingIdx, 1);
    const ln = new nn.LayerNorm(6, { elementwiseAffine: false });
    assert.equal(ln.weight, null);
    assert.deepEqual(ln.forward(img).shape, [2, 3, 6, 6]);
    assert.deepEqual(new nn.MaxPool2d(2, { ceilMode: true }).forward(ax.randn([1, 1, 5, 5])).shape, [1, 1, 3, 3]);
    assert.deepEqual(new nn.AvgPool2d(2, { countIncludePad: false }).forward(img).shape, [2, 3, 3, 3]);
    assert.deepEqual(new nn.ConvTranspose2d(3, 2, 3, { stride: 2, outputPadding: 1 }).forward(img).shape, [2, 2, 14, 14]);
    assert.equal(new nn.Linear(3, 4, { bias: false }).bias, null);
  });

  test("stateDict and loadStateDict", () => {
    const m = new nn.Linear(2, 2);
    rejects(() => m.stateDict(bad({ keep_vars: true })), "stateDict", "keep_vars", "keepVars");
    rejects(() => m.loadStateDict(m.stateDict(), bad({ Strict: false })), "loadStateDict", "Strict", "strict");
    assert.deepEqual(Object.keys(m.stateDict({ prefix: "fc." })), ["fc.weight", "fc.bias"]);
    assert.deepEqual(m.loadStateDict({ weight: ax.zeros([2, 2]) }, { strict: false }).missingKeys, ["bias"]);
  });

  test("kaimingUniform_ and kaimingNormal_", () => {
    const w = ax.zeros([4, 3]);
    rejects(() => nn.init.kaimingUniform_(w, bad({ non_linearity: "relu" })), "kaimingUniform_", "non_linearity", "nonlinearity");
    rejects(() => nn.init.kaimingNormal_(w, bad({ Mode: "fanOut" })), "kaimingNormal_", "Mode", "mode");
    const draw = () => nn.init.kaimingUniform_(ax.zeros([4, 3]), { nonlinearity: "relu", mode: "fanOut", generator: new ax.Generator(3) }).toArray();
    assert.deepEqual(draw(), draw());
  });
});

describe("losses", () => {
  const logits = ax.tensor([[2, 0.5, -1], [0.1, 0.2, 3]]);
  const target = ax.tensor([0, 2], { dtype: "int32" });

  test("CrossEntropyLoss and crossEntropy with label_smoothing", () => {
    rejects(() => new nn.CrossEntropyLoss(bad({ label_smoothing: 0.5 })), "CrossEntropyLoss", "label_smoothing", "labelSmoothing");
    rejects(() => F.crossEntropy(logits, target, bad({ label_smoothing: 0.5 })), "crossEntropy", "label_smoothing", "labelSmoothing");
    rejects(() => new nn.NLLLoss(bad({ ignore_index: 1 })), "NLLLoss", "ignore_index", "ignoreIndex");
    rejects(() => F.nllLoss(logits, target, bad({ ignore_index: 1 })), "nllLoss", "ignore_index", "ignoreIndex");
    rejects(() => new nn.BCEWithLogitsLoss(bad({ pos_weight: ax.ones([1]) })), "BCEWithLogitsLoss", "pos_weight", "posWeight");
    rejects(() => new nn.HuberLoss(bad({ Delta: 2 })), "HuberLoss", "Delta", "delta");
    rejects(() => new nn.MSELoss(bad({ Reduction: "sum" })), "MSELoss", "Reduction", "reduction");
    rejects(() => F.smoothL1Loss(logits, logits, bad({ Beta: 2 })), "smoothL1Loss", "Beta", "beta");
  });

  test("labelSmoothing takes effect, in the module as in the function", () => {
    const smoothed = new nn.CrossEntropyLoss({ labelSmoothing: 0.5 }).forward(logits, target).item();
    assert.ok(Math.abs(smoothed - new nn.CrossEntropyLoss().forward(logits, target).item()) > 0.1);
    assert.ok(Math.abs(smoothed - F.crossEntropy(logits, target, { labelSmoothing: 0.5 }).item()) < 1e-6);
    const probs = ax.tensor([[0.9], [0.2]]), labels = ax.tensor([[1], [0]]);
    assert.ok(new nn.BCEWithLogitsLoss({ posWeight: ax.tensor([2]), reduction: "sum" }).forward(probs, labels).item() > 0);
    assert.ok(new nn.HuberLoss({ delta: 0.5 }).forward(probs, labels).item() > 0);
  });
});

describe("optim schedulers", () => {
  const optimizer = () => new optim.SGD([ax.zeros([2], { requiresGrad: true })], { lr: 0.1 });

  test("ReduceLROnPlateau with a typo", () => {
    rejects(() => new optim.ReduceLROnPlateau(optimizer(), bad({ patiance: 0 })), "ReduceLROnPlateau", "patiance", "patience");
    rejects(() => new optim.ReduceLROnPlateau(optimizer(), bad({ min_lr: 1e-3 })), "ReduceLROnPlateau", "min_lr", "minLr");
    const opt = optimizer();
    const sched = new optim.ReduceLROnPlateau(opt, { patience: 0, factor: 0.5 });
    sched.step(1);
    sched.step(2);
    assert.equal(opt.paramGroups[0].lr, 0.05);
  });

  test("the other schedulers; a rejected one leaves the optimizer untouched", () => {
    const opt = optimizer();
    rejects(() => new optim.StepLR(opt, bad({ step_size: 2 })), "StepLR", "step_size", "stepSize");
    assert.equal(opt.paramGroups[0].initialLr, undefined);
    rejects(() => new optim.MultiStepLR(opt, bad({ milestones: [1], Gamma: 0.5 })), "MultiStepLR", "Gamma", "gamma");
    rejects(() => new optim.ExponentialLR(opt, bad({ gamma: 0.5, last_epoch: -1 })), "ExponentialLR", "last_epoch", "lastEpoch");
    rejects(() => new optim.CosineAnnealingLR(opt, bad({ T_max: 10 })), "CosineAnnealingLR", "T_max", "TMax");
    rejects(() => new optim.LinearLR(opt, bad({ total_iters: 3 })), "LinearLR", "total_iters", "totalIters");
    rejects(() => optim.warmupCosineLR(opt, bad({ warmup_iters: 2, totalIters: 10 })), "warmupCosineLR", "warmup_iters", "warmupIters");
    const a = new optim.LinearLR(opt, { totalIters: 2 }), b = new optim.ExponentialLR(opt, { gamma: 0.5 });
    rejects(() => new optim.SequentialLR(opt, bad({ schedulers: [a, b], milestone: [2] })), "SequentialLR", "milestone", "milestones");
    // warmupCosineLR builds its LinearLR, CosineAnnealingLR and SequentialLR with options of its own.
    const fresh = optimizer();
    optim.warmupCosineLR(fresh, { warmupIters: 2, totalIters: 10, startFactor: 0.5 });
    assert.ok(Math.abs(fresh.paramGroups[0].lr - 0.05) < 1e-12);
  });
});

describe("data", () => {
  const ds = new data.TensorDataset(ax.arange(0, 6).reshape([6, 1]).float(), ax.arange(0, 6));

  test("DataLoader with batch_size", () => {
    rejects(() => new data.DataLoader(ds, bad({ batch_size: 32 })), "DataLoader", "batch_size", "batchSize");
    rejects(() => new data.DataLoader(ds, bad({ drop_last: true })), "DataLoader", "drop_last", "dropLast");
    const loader = new data.DataLoader(ds, { batchSize: 4, shuffle: true, dropLast: true, generator: new ax.Generator(0) });
    assert.equal(loader.length, 1);
    assert.equal([...loader][0][0].shape[0], 4);
  });

  test("CSV, IDX, synthetic datasets and transforms", () => {
    rejects(() => data.parseCsv("a,b\n1,2\n", bad({ label_column: "b" })), "parseCsv", "label_column", "labelColumn");
    rejects(() => readCsv("/nonexistent/never.csv", bad({ label_column: "b" })), "readCsv", "label_column", "labelColumn");
    rejects(() => data.parseIdx(data.encodeIdx(ax.ones([2])), bad({ dtpye: "float64" })), "parseIdx", "dtpye", "dtype");
    rejects(() => data.xor(bad({ noize: 0.2, n: 8 })), "xor", "noize", "noise");
    rejects(() => data.blobs(bad({ Classes: 3 })), "blobs", "Classes", "classes");
    rejects(() => data.randomShift(images(), 1, bad({ Fill: 1 })), "randomShift", "Fill", "fill");
    rejects(() => data.randomAffine(images(), bad({ degree: 10 })), "randomAffine", "degree", "degrees");
    const dir = mkdtempSync(path.join(tmpdir(), "axon-options-"));
    try {
      const file = path.join(dir, "t.csv");
      writeFileSync(file, "a,b\n1,2\n3,4\n");
      assert.deepEqual(readCsv(file, { labelColumn: "b" }).labels?.toArray(), [2, 4]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(data.parseIdx(data.encodeIdx(ax.ones([2])), { dtype: "float64", scale: 2 }).dtype, "float64");
    assert.equal(data.blobs({ n: 9, classes: 3 }).length, 9);
  });
});

describe("training, models and autograd", () => {
  const ds = new data.TensorDataset(ax.randn([8, 2], { generator: new ax.Generator(2) }), ax.tensor([0, 1, 0, 1, 0, 1, 0, 1], { dtype: "int32" }));
  const setup = () => {
    const model = new nn.Linear(2, 2);
    return { model, loader: new data.DataLoader(ds, { batchSize: 4 }), loss: (o: ax.Tensor, t: ax.Tensor) => F.crossEntropy(o, t), optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }) };
  };

  test("fit with a typo; the right name runs that many epochs", () => {
    const { model, loader, loss, optimizer } = setup();
    rejects(() => ax.fit(model, loader, bad({ loss, optimizer, epoch: 2 })), "fit", "epoch", "epochs");
    assert.equal(ax.fit(model, loader, { loss, optimizer, epochs: 2, validation: loader }).epochs.length, 2);
  });

  test("evaluate, predict and EarlyStopping", () => {
    const { model, loader, loss } = setup();
    rejects(() => ax.evaluate(model, loader, bad({ loss, acuracy: null })), "evaluate", "acuracy", "accuracy");
    rejects(() => ax.predict(model, ax.randn([3, 2]), bad({ batch_size: 2 })), "predict", "batch_size", "batchSize");
    rejects(() => new ax.EarlyStopping(bad({ min_delta: 0.1 })), "EarlyStopping", "min_delta", "minDelta");
    assert.equal(ax.evaluate(model, loader, { loss, accuracy: null }).accuracy, undefined);
    assert.deepEqual(ax.predict(model, ax.randn([3, 2]), { batchSize: 2 }).shape, [3, 2]);
    assert.equal(new ax.EarlyStopping({ minDelta: 0.1 }).minDelta, 0.1);
  });

  test("Perceptron.fit and model specs", () => {
    const p = new ax.Perceptron(2);
    const x = ax.tensor([[0, 0], [1, 1]]), y = ax.tensor([0, 1]);
    rejects(() => p.fit(x, y, bad({ epoch: 5 })), "Perceptron.fit", "epoch", "epochs");
    assert.equal(p.fit(x, y, { epochs: 5 }).converged, true);
    const spec = { kind: "mlp", inputShape: [4], hidden: [3], outputs: 2, activation: "relu", drop_out: 0.5 };
    rejects(() => ax.mlp(bad(spec)), "mlp", "drop_out", "dropout");
    rejects(() => ax.buildModel(bad(spec)), "buildModel", "drop_out", "dropout");
    rejects(() => ax.cnn(bad({ kind: "cnn", arch: "simple", inputShape: [1, 28, 28], outputs: 10, dropOut: 0 })), "cnn", "dropOut", "dropout");
  });

  test("backward and gradcheck", () => {
    const w = ax.tensor([1, 2], { dtype: "float64", requiresGrad: true });
    rejects(() => w.mul(w).sum().backward(undefined, bad({ retain_graph: true })), "backward", "retain_graph", "retainGraph");
    const loss = w.mul(w).sum();
    loss.backward(undefined, { retainGraph: true });
    loss.backward();
    assert.deepEqual(w.grad?.toArray(), [4, 8]);
    rejects(() => ax.gradcheck((a) => a.square().sum(), [w], bad({ raise_exception: false })), "gradcheck", "raise_exception", "raiseException");
    assert.equal(ax.gradcheck((a) => a.square().sum(), [w], { raiseException: false }), true);
  });
});
