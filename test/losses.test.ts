// Loss functions against PyTorch (fixtures from tools/fixtures/nn.py): forward values and input/target gradients in
// float64 and float32, gradcheck on every case, the loss modules, and the errors for misuse.

import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as ax from "../src/index.js";
import { Tensor, nn, type DType } from "../src/index.js";

const F = nn.functional;

type Encoded = { shape: number[]; data: (number | string)[]; dtype: "float64" | "int32" };
type LossCase = {
  name: string;
  fn: "mseLoss" | "l1Loss" | "huberLoss" | "smoothL1Loss" | "binaryCrossEntropy" | "binaryCrossEntropyWithLogits" | "nllLoss" | "crossEntropy" | "klDiv";
  input: Encoded;
  target: Encoded;
  options: Record<string, Encoded | number | string>;
  output: Encoded;
  upstream?: Encoded | null;
  grads?: Record<string, Encoded>;
  /** false: PyTorch's gradient rule is not the derivative here (bce at exactly 0 and 1), or it is NaN (klDiv's target
   *  gradient at a zero target), so no finite differences. */
  gradcheck?: false;
};

const fx = JSON.parse(readFileSync(new URL("./fixtures/nn.json", import.meta.url), "utf8")) as { losses: LossCase[] };

const num = (v: number | string): number => (typeof v === "number" ? v : v === "nan" ? NaN : v === "inf" ? Infinity : -Infinity);

function decode(e: Encoded, floatDtype: DType = "float64"): Tensor {
  return ax.tensor(e.data.map(num), { dtype: e.dtype === "int32" ? "int32" : floatDtype }).reshape(e.shape);
}

function isEncoded(v: unknown): v is Encoded {
  return typeof v === "object" && v !== null && "shape" in v;
}

function assertClose(actual: Tensor, expected: Encoded, tol: number, what: string): void {
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  const a = Array.from(actual.contiguous().toTypedArray());
  expected.data.map(num).forEach((e, i) => {
    if (Number.isNaN(e)) return assert.ok(Number.isNaN(a[i]), `${what}[${i}]: expected NaN, got ${a[i]}`);
    if (!Number.isFinite(e)) return assert.equal(a[i], e, `${what}[${i}]: PyTorch ${e}`);
    const err = Math.abs(a[i] - e);
    if (!(err <= tol * Math.max(1, Math.abs(e)))) assert.fail(`${what}[${i}]: got ${a[i]}, PyTorch ${e} (|diff| ${err.toExponential(2)} > ${tol})`);
  });
}

type LossFn = (input: Tensor, target: Tensor, opts: object) => Tensor;
const fns = F as unknown as Record<LossCase["fn"], LossFn>;

/** Builds the case's tensors (those named in grads require grad) and the options object Axon takes. */
function setup(c: LossCase, dtype: DType) {
  const tensors: Record<string, Tensor> = { input: decode(c.input, dtype), target: decode(c.target, dtype) };
  const opts: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c.options)) {
    if (isEncoded(v)) opts[k] = tensors[k] = decode(v, dtype);
    else opts[k] = v;
  }
  for (const k of Object.keys(c.grads ?? {})) tensors[k].requiresGrad = true;
  return { tensors, opts };
}

describe("losses match PyTorch", () => {
  for (const dtype of ["float64", "float32"] as const) {
    const tol = dtype === "float64" ? 1e-10 : 2e-5;
    for (const c of fx.losses) {
      test(`${c.name} (${dtype})`, () => {
        const { tensors, opts } = setup(c, dtype);
        const y = fns[c.fn](tensors.input, tensors.target, opts);
        assert.equal(y.dtype, dtype);
        assertClose(y, c.output, tol, "output");
        if (!c.grads) return;
        y.backward(c.upstream ? decode(c.upstream, dtype) : undefined);
        for (const [k, g] of Object.entries(c.grads)) {
          assert.ok(tensors[k].grad, `${k} has a gradient`);
          assertClose(tensors[k].grad!, g, tol, `grad of ${k}`);
        }
      });
    }
  }
});

// Cases whose loss is NaN (every target ignored: 0/0) have no finite differences to compare with, nor have those
// marked gradcheck: false; their gradients are checked against PyTorch's above.
describe("gradcheck on every loss case with a finite loss", () => {
  for (const c of fx.losses.filter((c) => c.grads && c.gradcheck !== false && c.output.data.map(num).every(Number.isFinite))) {
    test(c.name, () => {
      const { tensors, opts } = setup(c, "float64");
      const names = ["input", "target", ...Object.keys(c.options).filter((k) => isEncoded(c.options[k]))];
      const inputs = names.map((k) => tensors[k]);
      // Class weights too: their gradient comes from autograd like everything else.
      for (const k of names.slice(2)) tensors[k].requiresGrad = true;
      assert.ok(ax.gradcheck((...ts) => {
        const o: Record<string, unknown> = { ...opts };
        names.slice(2).forEach((k, i) => (o[k] = ts[i + 2]));
        return fns[c.fn](ts[0], ts[1], o);
      }, inputs));
    });
  }
});

describe("loss details", () => {
  test("binaryCrossEntropy at exactly 0 and 1 is finite and its gradient has no NaN", () => {
    const x = ax.tensor([0, 1, 0.5], { dtype: "float64", requiresGrad: true });
    const y = ax.tensor([1, 0, 1], { dtype: "float64" });
    const loss = F.binaryCrossEntropy(x, y, { reduction: "none" });
    assert.deepEqual(Array.from(loss.toTypedArray()).slice(0, 2), [100, 100]);
    loss.sum().backward();
    assert.ok(Array.from(x.grad!.toTypedArray()).every(Number.isFinite));
  });

  test("binaryCrossEntropyWithLogits has the exact gradient sigmoid(x) - y at x = 0", () => {
    const x = ax.tensor([0, 0], { dtype: "float64", requiresGrad: true });
    F.binaryCrossEntropyWithLogits(x, ax.tensor([1, 0], { dtype: "float64" }), { reduction: "sum" }).backward();
    assert.deepEqual(Array.from(x.grad!.toTypedArray()), [-0.5, 0.5]);
  });

  test("binaryCrossEntropyWithLogits is stable for huge logits", () => {
    const loss = F.binaryCrossEntropyWithLogits(ax.tensor([1000, -1000]), ax.tensor([0, 1]), { reduction: "none" });
    assert.deepEqual(Array.from(loss.toTypedArray()), [1000, 1000]);
  });

  test("crossEntropy equals nllLoss of logSoftmax, and labelSmoothing 0 changes nothing", () => {
    ax.manualSeed(3);
    const x = ax.randn([6, 5]), t = ax.randint(0, 5, [6]);
    const a = F.crossEntropy(x, t).item(), b = F.nllLoss(x.logSoftmax(1), t).item();
    assert.ok(Math.abs(a - b) < 1e-6);
    assert.equal(F.crossEntropy(x, t, { labelSmoothing: 0 }).item(), a);
  });

  test("crossEntropy with one-hot probability targets equals class-index targets", () => {
    ax.manualSeed(4);
    const x = ax.randn([4, 3], { dtype: "float64" }), t = ax.tensor([0, 2, 1, 2], { dtype: "int32" });
    const probs = ax.oneHot(t, 3).double();
    assert.ok(Math.abs(F.crossEntropy(x, t).item() - F.crossEntropy(x, probs).item()) < 1e-12);
    assert.ok(Math.abs(F.crossEntropy(x, t, { labelSmoothing: 0.2 }).item() - F.crossEntropy(x, probs, { labelSmoothing: 0.2 }).item()) < 1e-12);
  });

  test("klDiv: a zero target adds nothing to the loss, gives its input no gradient and its target a NaN one (PyTorch's xlogy)", () => {
    const x = ax.tensor([-1.2, -0.4], { dtype: "float64", requiresGrad: true });
    const t = ax.tensor([0, 1], { dtype: "float64", requiresGrad: true });
    const loss = F.klDiv(x, t, { reduction: "none" });
    assert.deepEqual(Array.from(loss.toTypedArray()), [0, 0.4]);
    loss.sum().backward();
    assert.deepEqual(Array.from(x.grad!.toTypedArray()), [-0, -1]);
    assert.ok(Number.isNaN(t.grad!.toTypedArray()[0]));
    assert.equal(t.grad!.toTypedArray()[1], 1 + 0.4); // log 1 + 1 - x
  });

  test("klDiv: mean divides by every element, batchmean by the batch size, and both equal the KL divergence where they should", () => {
    ax.manualSeed(6);
    const p = ax.randn([4, 5], { dtype: "float64" }).softmax(1), q = ax.randn([4, 5], { dtype: "float64" });
    const sum = F.klDiv(q.logSoftmax(1), p, { reduction: "sum" }).item();
    assert.ok(Math.abs(F.klDiv(q.logSoftmax(1), p).item() - sum / 20) < 1e-15);
    assert.ok(Math.abs(F.klDiv(q.logSoftmax(1), p, { reduction: "batchmean" }).item() - sum / 4) < 1e-15);
    // KL(p || q) per sample, from its definition, averaged over the batch
    const kl = p.mul(p.log().sub(q.logSoftmax(1))).sum(1).mean().item();
    assert.ok(Math.abs(F.klDiv(q.logSoftmax(1), p, { reduction: "batchmean" }).item() - kl) < 1e-14);
    assert.ok(Math.abs(F.klDiv(q.logSoftmax(1), p.log(), { reduction: "batchmean", logTarget: true }).item() - kl) < 1e-14);
    // a 0-D input is not divided
    assert.equal(F.klDiv(ax.tensor(-1, { dtype: "float64" }), ax.tensor(0.5, { dtype: "float64" }), { reduction: "batchmean" }).item(), 0.5 * Math.log(0.5) + 0.5);
  });

  test("ignored targets get no gradient", () => {
    const x = ax.randn([3, 4], { requiresGrad: true });
    F.crossEntropy(x, ax.tensor([1, -100, 2], { dtype: "int32" }), { labelSmoothing: 0.1 }).backward();
    assert.deepEqual(Array.from(x.grad!.select(0, 1).toTypedArray()), [0, 0, 0, 0]);
  });
});

describe("loss modules", () => {
  test("each module equals its function with the same options", () => {
    ax.manualSeed(5);
    const x = ax.randn([4, 3]), t = ax.randn([4, 3]), p = x.sigmoid(), y = ax.rand([4, 3]);
    const w = ax.rand([3]), labels = ax.tensor([0, 2, 1, 1], { dtype: "int32" });
    const pairs: [nn.Module<[Tensor, Tensor]>, Tensor, Tensor, Tensor][] = [
      [new nn.MSELoss(), x, t, F.mseLoss(x, t)],
      [new nn.L1Loss({ reduction: "sum" }), x, t, F.l1Loss(x, t, { reduction: "sum" })],
      [new nn.HuberLoss({ delta: 0.3 }), x, t, F.huberLoss(x, t, { delta: 0.3 })],
      [new nn.SmoothL1Loss({ beta: 0.4, reduction: "none" }), x, t, F.smoothL1Loss(x, t, { beta: 0.4, reduction: "none" })],
      [new nn.BCELoss({ weight: w }), p, y, F.binaryCrossEntropy(p, y, { weight: w })],
      [new nn.BCEWithLogitsLoss({ posWeight: w }), x, y, F.binaryCrossEntropyWithLogits(x, y, { posWeight: w })],
      [new nn.NLLLoss({ weight: w, ignoreIndex: 2 }), x.logSoftmax(1), labels, F.nllLoss(x.logSoftmax(1), labels, { weight: w, ignoreIndex: 2 })],
      [new nn.CrossEntropyLoss({ weight: w, labelSmoothing: 0.1 }), x, labels, F.crossEntropy(x, labels, { weight: w, labelSmoothing: 0.1 })],
      [new nn.KLDivLoss(), x.logSoftmax(1), y, F.klDiv(x.logSoftmax(1), y)],
      [new nn.KLDivLoss({ reduction: "batchmean", logTarget: true }), x.logSoftmax(1), t.logSoftmax(1), F.klDiv(x.logSoftmax(1), t.logSoftmax(1), { reduction: "batchmean", logTarget: true })],
    ];
    for (const [m, a, b, expected] of pairs) assert.deepEqual(m.call(a, b).toArray(), expected.toArray(), m.toString());
  });

  test("class weights are buffers in the state dict, as in PyTorch", () => {
    const fixture = JSON.parse(readFileSync(new URL("./fixtures/nn.json", import.meta.url), "utf8")) as { stateDicts: Record<string, [string, number[]][]> };
    const sd = new nn.CrossEntropyLoss({ weight: ax.ones([3]) }).stateDict();
    assert.deepEqual(Object.entries(sd).map(([k, v]) => [k, [...v.shape]]), fixture.stateDicts.crossEntropyLossWeighted);
    assert.deepEqual(Object.keys(new nn.CrossEntropyLoss().stateDict()), []);
    const bce = new nn.BCEWithLogitsLoss({ weight: ax.ones([3]), posWeight: ax.ones([3]) });
    assert.deepEqual(Object.entries(bce.stateDict()).map(([k, v]) => [k, [...v.shape]]), fixture.stateDicts.bceWithLogitsLossWeighted);
    assert.equal(bce.posWeight, bce.pos_weight);
    assert.equal(new nn.CrossEntropyLoss({ labelSmoothing: 0.1, reduction: "sum" }).toString(), 'CrossEntropyLoss(reduction="sum", labelSmoothing=0.1)');
    assert.deepEqual(Object.entries(new nn.KLDivLoss().stateDict()), fixture.stateDicts["KLDivLoss()"]);
    assert.equal(new nn.KLDivLoss().toString(), "KLDivLoss()");
    assert.equal(new nn.KLDivLoss({ reduction: "batchmean", logTarget: true }).toString(), 'KLDivLoss(reduction="batchmean", logTarget=true)');
  });
});

describe("loss errors", () => {
  const x = ax.randn([3, 4]);
  const cases: [string, () => unknown, RegExp][] = [
    ["float class-index target", () => F.crossEntropy(x, ax.tensor([0, 1, 2])), /target must be an int32 tensor of class indices, got float32 \(shape \[3\]\); class-index targets must be int32 \(use target\.int\(\)\)/],
    ["target out of range", () => F.crossEntropy(x, ax.tensor([0, 4, 1], { dtype: "int32" })), /crossEntropy: target 4 is out of bounds for 4 classes/],
    ["negative target", () => F.nllLoss(x, ax.tensor([0, -1, 1], { dtype: "int32" })), /nllLoss: target -1 is out of bounds/],
    ["batch mismatch", () => F.crossEntropy(x, ax.tensor([0, 1], { dtype: "int32" })), /input batch size 3 does not match target batch size 2/],
    ["spatial mismatch", () => F.crossEntropy(ax.randn([2, 4, 3]), ax.zeros([2, 2], { dtype: "int32" })), /must have shape \[2,3\], got \[2,2\]/],
    ["probability target of the wrong shape", () => F.crossEntropy(x, ax.rand([3, 5])), /float target holds class probabilities and must have the input's shape \[3,4\], got \[3,5\]/],
    ["class weight of the wrong size", () => F.crossEntropy(x, ax.tensor([0, 1, 2], { dtype: "int32" }), { weight: ax.ones([3]) }), /weight must have one entry per class, shape \[4\], got \[3\]/],
    ["labelSmoothing out of range", () => F.crossEntropy(x, ax.tensor([0, 1, 2], { dtype: "int32" }), { labelSmoothing: 1.5 }), /labelSmoothing must be between 0 and 1/],
    ["unknown reduction", () => F.mseLoss(x, x, { reduction: "avg" as "mean" }), /reduction must be "mean", "sum" or "none", got "avg"/],
    ["mse shape mismatch", () => F.mseLoss(ax.randn([3, 1]), ax.randn([3])), /mseLoss: target shape \[3\] differs from input shape \[3,1\]/],
    ["integer regression target", () => F.l1Loss(x, ax.zeros([3, 4], { dtype: "int32" })), /l1Loss: target must be floating point, got int32/],
    ["bce input outside [0,1]", () => F.binaryCrossEntropy(ax.tensor([0.5, 1.5]), ax.tensor([0, 1])), /every input must be a probability in \[0, 1\], found 1\.5/],
    ["bce weight not broadcastable", () => F.binaryCrossEntropy(ax.rand([2, 3]), ax.rand([2, 3]), { weight: ax.ones([2]) }), /weight of shape \[2\] cannot be broadcast to the input shape \[2,3\]/],
    ["huber delta", () => F.huberLoss(x, x, { delta: 0 }), /delta must be positive/],
    ["klDiv shape mismatch", () => F.klDiv(ax.randn([2, 3]), ax.rand([3])), /klDiv: target shape \[3\] differs from input shape \[2,3\]/],
    ["klDiv unknown reduction", () => F.klDiv(x, x, { reduction: "avg" as "mean" }), /klDiv: reduction must be "mean", "batchmean", "sum" or "none", got "avg"/],
    ["klDiv logTarget not a boolean", () => F.klDiv(x, x, { logTarget: 1 as unknown as boolean }), /klDiv: logTarget must be a boolean, got 1/],
    ["klDiv snake_case option", () => F.klDiv(x, x, { log_target: true } as never), /klDiv: unknown option "log_target" \(did you mean "logTarget"\?\)/],
    ["klDiv integer target", () => F.klDiv(x, ax.zeros([3, 4], { dtype: "int32" })), /klDiv: target must be floating point, got int32/],
    ["KLDivLoss unknown reduction", () => new nn.KLDivLoss({ reduction: "batch" as "mean" }), /KLDivLoss: reduction must be "mean", "batchmean", "sum" or "none", got "batch"/],
    ["KLDivLoss snake_case option", () => new nn.KLDivLoss({ log_target: true } as never), /KLDivLoss: unknown option "log_target" \(did you mean "logTarget"\?\)/],
    ["0-d input to crossEntropy", () => F.crossEntropy(ax.tensor(1), ax.tensor(0, { dtype: "int32" })), /input must be \[C\], \[N, C\] or \[N, C, d1, \.\.\.\]/],
  ];
  for (const [name, fn, re] of cases) test(name, () => assert.throws(fn, re));
});
