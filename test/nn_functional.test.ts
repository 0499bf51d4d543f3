// prelu, logsigmoid, softsign, softmin, normalize and cosineSimilarity against PyTorch (the "functional" table of
// test/fixtures/nn.json, written by tools/fixtures/nn.py): outputs and the gradient of every input, in float64 and
// float32, on every backend; gradcheck of each case where PyTorch's gradient is the derivative; their modules
// (PReLU, LogSigmoid, Softsign, Softmin, CosineSimilarity) with PyTorch's defaults and state-dict keys; the errors.

import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as ax from "../src/index.js";
import { nn, type DType, type Tensor } from "../src/index.js";

const F = nn.functional;

interface Encoded { shape: number[]; data: number[]; dtype: "float64" | "int32" }
interface FunctionalCase {
  name: string;
  fn: "prelu" | "logsigmoid" | "softsign" | "softmin" | "normalize" | "cosineSimilarity";
  inputs: Encoded[];
  options: Record<string, number>;
  output: Encoded;
  upstream: Encoded;
  grads: Encoded[];
  /** false: PyTorch's gradient is not the derivative there (a clamp below eps), or the inputs sit on a kink. */
  gradcheck?: false;
}
interface Fixture {
  functional: FunctionalCase[];
  defaults: {
    normalize: { p: number; dim: number; eps: number };
    klDiv: { reduction: string; logTarget: boolean };
    groupNorm: { eps: number };
    PReLU: { numParameters: number; init: number; weight: number[] };
    GroupNorm: { eps: number; affine: boolean; weight: number[]; bias: number[] };
    CosineSimilarity: { dim: number; eps: number };
    KLDivLoss: { reduction: string; logTarget: boolean };
  };
  stateDicts: Record<string, [string, number[]][]>;
}
const fx = JSON.parse(readFileSync(new URL("./fixtures/nn.json", import.meta.url), "utf8")) as Fixture;

const decode = (e: Encoded, dtype: DType = e.dtype): Tensor => ax.tensor(Float64Array.from(e.data), { dtype }).reshape(e.shape);

const TOL = { float32: { atol: 2e-5, rtol: 2e-5 }, float64: { atol: 1e-10, rtol: 1e-9 } };

function close(what: string, actual: Tensor, expected: Encoded, dtype: "float32" | "float64"): void {
  const { atol, rtol } = TOL[dtype];
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape [${actual.shape}], expected [${expected.shape}]`);
  const a = actual.contiguous().toTypedArray();
  expected.data.forEach((e, i) => {
    if (!(Math.abs(a[i] - e) <= atol + rtol * Math.abs(e))) assert.fail(`${what}[${i}]: got ${a[i]}, PyTorch ${e}`);
  });
}

// The fixture's function name -> Axon's call; options are passed as written (camelCase, as the fixture has them).
const FNS: Record<FunctionalCase["fn"], (x: Tensor[], o: Record<string, number>) => Tensor> = {
  prelu: ([x, w]) => F.prelu(x, w),
  logsigmoid: ([x]) => F.logsigmoid(x),
  softsign: ([x]) => F.softsign(x),
  softmin: ([x], { dim }) => F.softmin(x, dim),
  normalize: ([x], o) => F.normalize(x, o),
  cosineSimilarity: ([a, b], o) => F.cosineSimilarity(a, b, o),
};

function runCase(c: FunctionalCase, dtype: "float32" | "float64"): void {
  const inputs = c.inputs.map((e) => decode(e, dtype).requiresGrad_());
  const y = FNS[c.fn](inputs, c.options);
  assert.equal(y.dtype, dtype);
  close(`${c.name} [${dtype}] output`, y, c.output, dtype);
  y.backward(decode(c.upstream, dtype));
  c.grads.forEach((g, i) => close(`${c.name} [${dtype}] gradient of input ${i}`, inputs[i].grad!, g, dtype));
}

test("the fixture covers every function", () => {
  const fns = new Set(fx.functional.map((c) => c.fn));
  for (const fn of Object.keys(FNS)) assert.ok(fns.has(fn as FunctionalCase["fn"]), `no fixture case for ${fn}`);
});

const previous = ax.getBackend().name;
for (const backend of ax.listBackends()) {
  describe(`functional ops match PyTorch on the ${backend} backend`, () => {
    before(() => ax.setBackend(backend));
    after(() => ax.setBackend(previous));
    for (const c of fx.functional) {
      test(c.name, () => {
        runCase(c, "float64");
        runCase(c, "float32");
      });
    }
  });

  describe(`gradcheck of the functional cases on the ${backend} backend`, () => {
    before(() => ax.setBackend(backend));
    after(() => ax.setBackend(previous));
    for (const c of fx.functional.filter((c) => c.gradcheck !== false)) {
      test(c.name, () => assert.ok(ax.gradcheck((...x) => FNS[c.fn](x, c.options), c.inputs.map((e) => decode(e).requiresGrad_()))));
    }
  });
}

describe("cosineSimilarity and normalize at small norms", () => {
  const f64 = { dtype: "float64" as const };

  test("cosineSimilarity clamps each norm on its own, not their product as PyTorch's documentation writes", () => {
    // Two vectors of norm 1e-5: 1 here and in torch 1.13; x1.x2 / max(|x1||x2|, eps) would give 1e-10 / 1e-8 = 0.01.
    const y = F.cosineSimilarity(ax.tensor([[1e-5, 0]], f64), ax.tensor([[1e-5, 0]], f64));
    assert.ok(Math.abs(y.item() - 1) < 1e-12);
    // One norm below eps: 1e-9 / 1e-8 times 1
    assert.ok(Math.abs(F.cosineSimilarity(ax.tensor([[1e-9, 0]], f64), ax.tensor([[2, 0]], f64)).item() - 0.1) < 1e-12);
  });

  test("normalize leaves a zero vector zero, with a zero-free gradient", () => {
    const x = ax.tensor([[0, 0, 0], [3, 4, 0]], { dtype: "float64", requiresGrad: true });
    const y = F.normalize(x);
    assert.deepEqual(y.toArray(), [[0, 0, 0], [0.6, 0.8, 0]]);
    y.sum().backward();
    assert.ok(Array.from(x.grad!.toTypedArray()).every(Number.isFinite));
  });
});

describe("modules, defaults and state dicts", () => {
  const shapes = (m: { stateDict(): Record<string, Tensor> }): [string, number[]][] => Object.entries(m.stateDict()).map(([k, v]) => [k, [...v.shape]]);
  const d = fx.defaults;

  test("defaults are PyTorch's", () => {
    const prelu = new nn.PReLU();
    assert.deepEqual([prelu.numParameters, prelu.init, Array.from(prelu.weight.toTypedArray())], [d.PReLU.numParameters, d.PReLU.init, d.PReLU.weight]);
    assert.equal(prelu.weight.dtype, "float32");
    const gn = new nn.GroupNorm(2, 4);
    assert.deepEqual([gn.eps, gn.affine, gn.weight!.toArray(), gn.bias!.toArray()], [d.GroupNorm.eps, d.GroupNorm.affine, d.GroupNorm.weight, d.GroupNorm.bias]);
    const cos = new nn.CosineSimilarity();
    assert.deepEqual([cos.dim, cos.eps], [d.CosineSimilarity.dim, d.CosineSimilarity.eps]);
    const kl = new nn.KLDivLoss();
    assert.deepEqual([kl.reduction, kl.logTarget], [d.KLDivLoss.reduction, d.KLDivLoss.logTarget]);
    // The functions' defaults, by comparing a call without options to one that spells PyTorch's out.
    ax.manualSeed(12);
    const x = ax.randn([3, 4, 2], { dtype: "float64" }).mul(1e-13), z = ax.randn([3, 4, 2], { dtype: "float64" });
    assert.deepEqual(F.normalize(x).toArray(), F.normalize(x, d.normalize).toArray());
    assert.notDeepEqual(F.normalize(x).toArray(), F.normalize(x, { eps: d.normalize.eps * 2 }).toArray(), "eps reaches these norms");
    const p = z.softmax(1);
    assert.deepEqual(F.klDiv(z.logSoftmax(1), p).toArray(), F.klDiv(z.logSoftmax(1), p, { reduction: d.klDiv.reduction as "mean", logTarget: d.klDiv.logTarget }).toArray());
    assert.deepEqual(F.groupNorm(z, 2).toArray(), F.groupNorm(z, 2, null, null, d.groupNorm.eps).toArray());
    const w = ax.randn([3, 4, 2], { dtype: "float64" });
    assert.deepEqual(F.cosineSimilarity(x, w).toArray(), F.cosineSimilarity(x, w, { dim: d.CosineSimilarity.dim, eps: d.CosineSimilarity.eps }).toArray());
  });

  test("state-dict keys and shapes are PyTorch's", () => {
    const sd = fx.stateDicts;
    assert.deepEqual(shapes(new nn.PReLU()), sd["PReLU()"]);
    assert.deepEqual(shapes(new nn.PReLU(3, 0.1)), sd["PReLU(3, 0.1)"]);
    assert.deepEqual(shapes(new nn.CosineSimilarity()), sd["CosineSimilarity()"]);
    const mlp = new nn.Sequential(new nn.Linear(4, 6), new nn.PReLU(6), new nn.Linear(6, 2), new nn.PReLU(), new nn.LogSigmoid());
    assert.deepEqual(shapes(mlp), sd["prelu mlp"]);
    assert.deepEqual(Array.from(new nn.PReLU(3, 0.1).weight.toTypedArray()), [0.1, 0.1, 0.1].map(Math.fround));
    // A PReLU's weight is a parameter: it learns, loads, and follows the module's dtype.
    const prelu = new nn.PReLU(2, 0.25, { dtype: "float64" });
    assert.deepEqual(prelu.namedParameters().map(([k]) => k), ["weight"]);
    prelu.loadStateDict({ weight: ax.tensor([0.5, -1]) });
    assert.deepEqual(prelu.weight.toArray(), [0.5, -1]);
    assert.equal(prelu.float().weight.dtype, "float32");
  });

  test("modules equal their functions", () => {
    ax.manualSeed(13);
    const x = ax.randn([2, 3, 4]), y = ax.randn([2, 3, 4]);
    const prelu = new nn.PReLU(3, 0.2);
    ax.noGrad(() => prelu.weight.copy_(ax.tensor([0.1, -0.3, 0.6])));
    const pairs: [nn.Module, Tensor][] = [
      [prelu, F.prelu(x, prelu.weight)], [new nn.PReLU(), F.prelu(x, ax.tensor([0.25]))],
      [new nn.LogSigmoid(), F.logsigmoid(x)], [new nn.Softsign(), F.softsign(x)], [new nn.Softmin(-1), F.softmin(x, -1)],
    ];
    for (const [m, expected] of pairs) assert.deepEqual((m as nn.Module<[Tensor]>).call(x).toArray(), expected.toArray(), m.toString());
    assert.deepEqual(new nn.CosineSimilarity({ dim: 2, eps: 1e-3 }).call(x, y).toArray(), F.cosineSimilarity(x, y, { dim: 2, eps: 1e-3 }).toArray());
    assert.deepEqual(new nn.CosineSimilarity().call(x, y).toArray(), F.cosineSimilarity(x, y).toArray());
    assert.deepEqual(F.softmin(x, 1).toArray(), x.neg().softmax(1).toArray());
    assert.equal(prelu.toString(), "PReLU(numParameters=3)");
    assert.equal(new nn.Softmin(1).toString(), "Softmin(dim=1)");
    assert.equal(new nn.CosineSimilarity().toString(), "CosineSimilarity(dim=1, eps=1e-8)");
    assert.equal(new nn.LogSigmoid().toString(), "LogSigmoid()");
  });

  test("a PReLU slope learns", () => {
    const prelu = new nn.PReLU();
    const x = ax.tensor([-2, -1, 1, 2]), target = ax.tensor([-1, -0.5, 1, 2]); // slope 0.5 fits
    const opt = new ax.optim.SGD(prelu.parameters(), { lr: 0.1 });
    for (let i = 0; i < 100; i++) {
      opt.zeroGrad();
      F.mseLoss(prelu.call(x), target).backward();
      opt.step();
    }
    assert.ok(Math.abs(prelu.weight.item() - 0.5) < 1e-4, `slope ${prelu.weight.item()}`);
  });
});

describe("errors name the function, the shapes and the values", () => {
  const f = (...shape: number[]) => ax.ones(shape);
  const cases: [string, () => unknown, RegExp][] = [
    ["prelu weight per channel of the wrong size", () => F.prelu(f(2, 3, 4), f(2)), /prelu: weight has 2 entries but the input \[2,3,4\] has 3 channels \(dimension 1; a 0-D or 1-D input has 1\)/],
    ["prelu per-channel weight on a 1-D input", () => F.prelu(f(3), f(3)), /prelu: weight has 3 entries but the input \[3\] has 1 channel /],
    ["prelu 2-D weight", () => F.prelu(f(2, 3), f(3, 1)), /prelu: weight must be a scalar or 1-D, got shape \[3,1\]/],
    ["prelu integer input", () => F.prelu(ax.ones([2], { dtype: "int32" }), f(1)), /prelu: input and weight must be floating point, got int32 and float32/],
    ["PReLU numParameters", () => new nn.PReLU(0), /PReLU: numParameters must be a positive integer, got 0/],
    ["PReLU unknown option", () => new nn.PReLU(1, 0.25, { dtyp: "float64" } as never), /PReLU: unknown option "dtyp" \(did you mean "dtype"\?\)/],
    ["PReLU module on the wrong channels", () => new nn.PReLU(4).call(f(2, 3)), /prelu: weight has 4 entries but the input \[2,3\] has 3 channels/],
    ["softmin dim out of range", () => F.softmin(f(2, 3), 2), /softmin: dimension 2 is out of range for a tensor of 2 dimensions \(expected -2 to 1\)/],
    ["normalize dim out of range", () => F.normalize(f(3)), /normalize: dimension 1 is out of range for a tensor of 1 dimension \(expected -1 to 0\)/],
    ["normalize unknown option", () => F.normalize(f(2, 3), { axis: 0 } as never), /normalize: unknown option "axis"/],
    ["normalize negative eps", () => F.normalize(f(2, 3), { eps: -1 }), /normalize: eps must be a non-negative number, got -1/],
    ["normalize p not a number", () => F.normalize(f(2, 3), { p: "fro" as unknown as number }), /normalize: p must be a number/],
    ["normalize integer input", () => F.normalize(ax.ones([2, 3], { dtype: "int32" })), /normalize: input must be floating point, got int32/],
    ["cosineSimilarity shapes that do not broadcast", () => F.cosineSimilarity(f(2, 3), f(2, 4)), /cosineSimilarity: shapes \[2,3\] and \[2,4\] cannot be broadcast \(dimension -1: 3 vs 4\)/],
    ["cosineSimilarity dim out of range", () => F.cosineSimilarity(f(2, 3), f(2, 3), { dim: 2 }), /cosineSimilarity: dimension 2 is out of range for a tensor of 2 dimensions/],
    ["cosineSimilarity snake_case option", () => F.cosineSimilarity(f(2, 3), f(2, 3), { Dim: 0 } as never), /cosineSimilarity: unknown option "Dim" \(did you mean "dim"\?\)/],
    ["cosineSimilarity integer input", () => F.cosineSimilarity(f(2, 3), ax.ones([2, 3], { dtype: "int32" })), /cosineSimilarity: x2 must be floating point, got int32/],
    ["CosineSimilarity unknown option", () => new nn.CosineSimilarity({ epsilon: 1e-6 } as never), /CosineSimilarity: unknown option "epsilon"/],
    ["CosineSimilarity negative eps", () => new nn.CosineSimilarity({ eps: -1 }), /CosineSimilarity: eps must be a non-negative number, got -1/],
  ];
  for (const [name, fn, re] of cases) test(name, () => assert.throws(fn, re));
});
