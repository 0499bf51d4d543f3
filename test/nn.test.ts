// nn modules: the Module base (naming by attribute path, traversal, modes, state dicts, printing), containers,
// Linear and Embedding against PyTorch (fixtures from tools/fixtures/nn.py), gradcheck, Dropout in train/eval,
// activation layers, and the errors.

import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as ax from "../src/index.js";
import { Tensor, nn, type DType } from "../src/index.js";
import { linearRelu } from "../src/nn/functional/linear.js";
import { conv2dRelu } from "../src/ops/conv.js";

type Encoded = { shape: number[]; data: number[]; dtype: "float64" | "int32" };
type Fixture = {
  linear: Array<{ weight: Encoded; bias: Encoded | null; input: Encoded; output: Encoded; upstream: Encoded; gradInput: Encoded; gradWeight: Encoded; gradBias: Encoded | null }>;
  embedding: { weight: Encoded; paddingIdx: number; input: Encoded; output: Encoded; upstream: Encoded; gradWeight: Encoded };
  conv2dRelu: Fixture["linearRelu"];
  linearRelu: Array<{ weight: Encoded; bias: Encoded | null; weight2: Encoded; bias2: Encoded; input: Encoded; output: Encoded; upstream: Encoded; gradInput: Encoded; gradWeight: Encoded; gradBias: Encoded | null; gradWeight2: Encoded }>;
  stateDicts: Record<string, [string, number[]][]>;
  namedModules: string[];
};
const fx = JSON.parse(readFileSync(new URL("./fixtures/nn.json", import.meta.url), "utf8")) as Fixture;

const decode = (e: Encoded): Tensor => ax.tensor(e.data, { dtype: e.dtype }).reshape(e.shape);

function assertClose(actual: Tensor, expected: Encoded, tol: number, what: string): void {
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  const a = actual.contiguous().toTypedArray();
  expected.data.forEach((e, i) => {
    if (!(Math.abs(a[i] - e) <= tol * Math.max(1, Math.abs(e)))) assert.fail(`${what}[${i}]: got ${a[i]}, PyTorch ${e}`);
  });
}

type FusedCase = Fixture["linearRelu"][number];

/** A Sequential whose first layer and its ReLU Axon runs as one op (`name`), against PyTorch's forward and backward
 *  with fixture c's weights; the fixture's second weighted layer is seq[second]. */
function checkFused(c: FusedCase, seq: nn.Sequential, second: number, name: string): void {
  seq.loadStateDict({ "0.weight": decode(c.weight), ...(c.bias ? { "0.bias": decode(c.bias) } : {}), [`${second}.weight`]: decode(c.weight2), [`${second}.bias`]: decode(c.bias2) });
  const x = decode(c.input).requiresGrad_();
  const y = seq.call(x);
  const ops: string[] = [];
  for (let t: Tensor | undefined = y; t?.gradFn; t = t.gradFn.inputs[0]) ops.push(t.gradFn.name);
  assert.ok(ops.includes(name), `the pair ran as one op: ${ops.join(" <- ")}`);
  assertClose(y, c.output, 1e-12, `${name}: output`);
  y.backward(decode(c.upstream));
  const first = seq[0] as nn.Linear | nn.Conv2d;
  assertClose(x.grad!, c.gradInput, 1e-12, `${name}: grad input`);
  assertClose(first.weight.grad!, c.gradWeight, 1e-12, `${name}: grad weight`);
  if (c.gradBias) assertClose(first.bias!.grad!, c.gradBias, 1e-12, `${name}: grad bias`);
  assertClose((seq[second] as nn.Linear | nn.Conv2d).weight.grad!, c.gradWeight2, 1e-12, `${name}: grad weight 2`);
}

const shapes = (sd: Record<string, Tensor>): [string, number[]][] => Object.entries(sd).map(([k, v]) => [k, [...v.shape]]);

// The nested model of the fixture, written the way a TypeScript user would: sub-modules as class fields.
class Block extends nn.Module {
  linear = new nn.Linear(4, 4);
  act = new nn.GELU();
  drop = new nn.Dropout(0.1);
  override forward(x: Tensor): Tensor {
    return this.drop.call(this.act.call(this.linear.call(x)));
  }
}
class Encoder extends nn.Module<[Tensor], Tensor> {
  embed = new nn.Embedding(10, 4);
  layers = new nn.ModuleList([new Block(), new Block()]);
  override forward(ids: Tensor): Tensor {
    let h = this.embed.call(ids);
    for (const layer of this.layers) h = layer.call(h);
    return h;
  }
}
class Model extends nn.Module {
  encoder = new Encoder();
  head = new nn.Sequential(new nn.Flatten(), new nn.Linear(4, 3, { bias: false }), new nn.Tanh(), new nn.Linear(3, 2));
  override forward(ids: Tensor): Tensor {
    return this.head.call(this.encoder.call(ids));
  }
}

const mlp = () => new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 16), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(16, 10));

describe("Module naming and traversal", () => {
  test("state-dict keys and shapes are PyTorch's", () => {
    assert.deepEqual(shapes(mlp().stateDict()), fx.stateDicts.mlp);
    assert.deepEqual(shapes(new Model().stateDict()), fx.stateDicts.nested);
    const nested = new nn.Sequential(new nn.Sequential(new nn.Linear(2, 3), new nn.Sigmoid()), new nn.Linear(3, 1));
    assert.deepEqual(shapes(nested.stateDict()), fx.stateDicts.nestedSequential);
  });

  test("namedModules, namedChildren, namedParameters follow the attribute path", () => {
    const m = new Model();
    assert.deepEqual(m.namedModules().map(([k]) => k), fx.namedModules);
    assert.deepEqual(m.namedChildren().map(([k]) => k), ["encoder", "head"]);
    assert.deepEqual(m.namedParameters().map(([k]) => k), fx.stateDicts.nested.map(([k]) => k));
    assert.equal(m.parameters().length, 8);
    assert.ok(m.parameters().every((p) => p instanceof nn.Parameter && p.requiresGrad));
    assert.deepEqual(m.encoder.namedParameters("encoder", false), []); // own parameters only: it has none
    assert.deepEqual(m.modules().length, fx.namedModules.length);
    assert.equal(m.getSubmodule("encoder.layers.1.linear"), m.encoder.layers.at(1).linear);
    assert.equal(m.getParameter("head.3.bias"), (m.head.at(3) as nn.Linear).bias);
  });

  test("a shared parameter or module is listed once but saved under every name", () => {
    const a = new nn.Linear(3, 3);
    const seq = new nn.Sequential(a, new nn.ReLU(), a);
    assert.equal(seq.parameters().length, 2);
    assert.deepEqual(Object.keys(seq.stateDict()), ["0.weight", "0.bias", "2.weight", "2.bias"]);
    const x = ax.randn([2, 3]);
    assert.deepEqual(seq.call(x).toArray(), a.call(a.call(x).relu()).toArray()); // but run twice
  });

  test("plain tensors and arrays are not registered; registerBuffer tensors are", () => {
    class Net extends nn.Module {
      scale = ax.tensor([2]); // a plain tensor: neither parameter nor buffer, as in PyTorch
      list = [new nn.Linear(1, 1)]; // a plain array: use ModuleList
      w = new nn.Parameter(ax.ones([2]));
      constructor() {
        super();
        this.registerBuffer("runningMean", ax.zeros([2]));
        this.registerBuffer("cache", ax.zeros([1]), false);
      }
    }
    const n = new Net();
    assert.deepEqual(n.namedParameters().map(([k]) => k), ["w"]);
    assert.deepEqual(n.namedBuffers().map(([k]) => k), ["runningMean", "cache"]);
    assert.deepEqual(Object.keys(n.stateDict()), ["w", "runningMean"]);
    (n as unknown as { runningMean: Tensor }).runningMean = ax.ones([2]); // reassigning a buffer is seen
    assert.deepEqual(n.stateDict().runningMean.toArray(), [1, 1]);
  });

  test("registration errors name the problem", () => {
    const m = new nn.Linear(2, 2);
    assert.throws(() => m.registerParameter("a.b", null), /must not contain "\."/);
    assert.throws(() => m.registerParameter("w", ax.ones([1]) as nn.Parameter), /must be a Parameter or null.*wrap a tensor with new Parameter/);
    assert.throws(() => m.registerBuffer("weight", ax.ones([1])), /attribute "weight" already holds a Tensor/);
    assert.throws(() => m.registerModule("forward", new nn.ReLU()), /"forward" is already a property of Linear/);
    assert.throws(() => m.registerBuffer("p", new nn.Parameter(ax.ones([1]))), /register it with registerParameter/);
    assert.throws(() => new nn.ModuleList().call(ax.ones([1])), /ModuleList has no forward\(\)/);
    assert.throws(() => new Model().getSubmodule("encoder.nope"), /Encoder at "encoder" has no sub-module "nope" \(it has: embed, layers\)/);
  });
});

describe("state dict", () => {
  test("round trip restores every value; the dict shares storage until cloned", () => {
    ax.manualSeed(1);
    const a = new Model(), b = new Model();
    const ids = ax.tensor([[1, 2], [3, 4]], { dtype: "int32" });
    a.eval(); b.eval();
    assert.notDeepEqual(a.call(ids.reshape([-1])).toArray(), b.call(ids.reshape([-1])).toArray());
    const result = b.loadStateDict(a.stateDict());
    assert.deepEqual(result, { missingKeys: [], unexpectedKeys: [] });
    assert.deepEqual(a.call(ids.reshape([-1])).toArray(), b.call(ids.reshape([-1])).toArray());
    // the values are copied in: changing a afterwards does not change b
    ax.noGrad(() => (a.head.at(1) as nn.Linear).weight.fill_(0));
    assert.notDeepEqual((b.head.at(1) as nn.Linear).weight.toArray(), (a.head.at(1) as nn.Linear).weight.toArray());
    // a Map works too, and values are cast to the parameter's dtype
    const m = new Map(Object.entries(a.stateDict()).map(([k, v]) => [k, v.double()]));
    b.loadStateDict(m);
    assert.equal(b.encoder.embed.weight.dtype, "float32");
    assert.deepEqual(b.stateDict()["head.1.weight"].toArray(), a.stateDict()["head.1.weight"].toArray());
  });

  test("stateDict values are detached unless keepVars", () => {
    const l = new nn.Linear(2, 2);
    assert.equal(l.stateDict().weight.requiresGrad, false);
    assert.equal(l.stateDict({ keepVars: true }).weight, l.weight);
    assert.deepEqual(Object.keys(l.stateDict({ prefix: "fc." })), ["fc.weight", "fc.bias"]);
  });

  test("errors list missing keys, unexpected keys and shape mismatches, and write nothing", () => {
    const l = new nn.Sequential(new nn.Linear(2, 3), new nn.Linear(3, 1));
    const before = l.stateDict()["0.weight"].clone().toArray();
    const sd = { "0.weight": ax.zeros([3, 2]), "1.weight": ax.zeros([1, 4]), "1.bias": ax.zeros([1]), extra: ax.zeros([1]) };
    assert.throws(() => l.loadStateDict(sd), (e: Error) => {
      assert.match(e.message, /^Error\(s\) in loading state dict for Sequential:/);
      assert.match(e.message, /Missing key\(s\) in state dict: "0\.bias"\./);
      assert.match(e.message, /Unexpected key\(s\) in state dict: "extra"\./);
      assert.match(e.message, /size mismatch for 1\.weight: copying a tensor of shape \[1,4\] from the state dict, but the shape in the current model is \[1,3\]/);
      return true;
    });
    assert.deepEqual(l.stateDict()["0.weight"].toArray(), before);
    // non-strict: missing/unexpected are reported, shape mismatches still throw
    assert.throws(() => l.loadStateDict(sd, { strict: false }), /size mismatch for 1\.weight/);
    const res = l.loadStateDict({ "0.weight": ax.zeros([3, 2]), extra: ax.zeros([1]) }, { strict: false });
    assert.deepEqual(res, { missingKeys: ["0.bias", "1.weight", "1.bias"], unexpectedKeys: ["extra"] });
    assert.deepEqual(l.stateDict()["0.weight"].toArray(), [[0, 0], [0, 0], [0, 0]]);
    assert.throws(() => l.loadStateDict({ "0.weight": [1, 2] as unknown as Tensor }, { strict: false }), /the value for "0\.weight" is an object \(Array\), not a Tensor/);
  });
});

describe("modes, gradients, apply, dtype", () => {
  test("train()/eval() set training on the whole tree and Dropout follows it", () => {
    const m = new Model();
    assert.ok(m.modules().every((x) => x.training));
    assert.equal(m.eval(), m);
    assert.ok(m.modules().every((x) => !x.training));
    m.train();
    assert.ok(m.modules().every((x) => x.training));
    const d = new nn.Dropout(0.5);
    const x = ax.ones([1000]);
    const y = d.call(x);
    const zeros = Array.from(y.toTypedArray()).filter((v) => v === 0).length;
    assert.ok(zeros > 400 && zeros < 600, `${zeros} of 1000 dropped`);
    assert.ok(Array.from(y.toTypedArray()).every((v) => v === 0 || v === 2)); // survivors scaled by 1/(1-p)
    d.eval();
    assert.equal(d.call(x), x);
    assert.throws(() => m.train("yes" as unknown as boolean), /mode must be a boolean/);
  });

  test("Dropout is reproducible under manualSeed, keeps the mean, and p = 0 / p = 1 are exact", () => {
    const x = ax.ones([20000]);
    ax.manualSeed(7);
    const a = nn.functional.dropout(x, 0.3);
    ax.manualSeed(7);
    const b = nn.functional.dropout(x, 0.3);
    assert.deepEqual(a.toTypedArray(), b.toTypedArray());
    assert.ok(Math.abs(a.mean().item() - 1) < 0.03);
    assert.equal(nn.functional.dropout(x, 0), x);
    assert.equal(nn.functional.dropout(x, 1).sum().item(), 0);
    assert.throws(() => new nn.Dropout(1.5), /dropout probability must be between 0 and 1, got 1\.5/);
    // the gradient is the mask
    const w = ax.ones([10], { requiresGrad: true });
    const out = nn.functional.dropout(w, 0.5);
    out.sum().backward();
    assert.deepEqual(w.grad!.toArray(), out.detach().toArray());
  });

  test("zeroGrad clears gradients (to null by default, or to zeros)", () => {
    const l = new nn.Linear(2, 1);
    l.call(ax.ones([1, 2])).sum().backward();
    assert.ok(l.weight.grad);
    const g = l.weight.grad;
    l.zeroGrad(false);
    assert.equal(l.weight.grad, g, "zeroed in place");
    assert.deepEqual(l.weight.grad!.toArray(), [[0, 0]]);
    l.zeroGrad();
    assert.equal(l.weight.grad, null);
  });

  test("apply visits children first; requiresGrad_ freezes", () => {
    const m = new nn.Sequential(new nn.Linear(2, 2), new nn.Sequential(new nn.ReLU()));
    const order: string[] = [];
    m.apply((x) => order.push(x.constructor.name));
    assert.deepEqual(order, ["Linear", "ReLU", "Sequential", "Sequential"]);
    m.apply((x) => { if (x instanceof nn.Linear) nn.init.zeros_(x.weight); });
    assert.deepEqual((m.at(0) as nn.Linear).weight.toArray(), [[0, 0], [0, 0]]);
    m.requiresGrad_(false);
    assert.ok(m.parameters().every((p) => !p.requiresGrad));
  });

  test("a plain Tensor assigned over a parameter is an error at the next walk, not a silently dropped weight", () => {
    const lin = new nn.Linear(2, 2);
    assert.equal(lin.parameters().length, 2);
    (lin as unknown as { weight: Tensor }).weight = ax.zeros([2, 2]);
    assert.throws(() => lin.stateDict(), /Linear: attribute "weight" held a Parameter and now holds a plain Tensor \(shape \[2,2\]\)/);
    lin.weight = new nn.Parameter(ax.zeros([2, 2]));
    assert.deepEqual(Object.keys(lin.stateDict()), ["weight", "bias"]);
    (lin as unknown as { bias: null }).bias = null; // a declared-but-absent parameter, as PyTorch's None
    assert.deepEqual(Object.keys(lin.stateDict()), ["weight"]);
    // Once a walk has seen the parameter gone, a plain tensor in its place is deliberate (PyTorch allows it after
    // `del m.bias`): a buffer-like attribute, not an error.
    (lin as unknown as { bias: Tensor }).bias = ax.zeros([2]);
    assert.deepEqual(lin.namedParameters().map(([k]) => k), ["weight"]);
  });

  test("to(dtype) casts parameters and buffers", () => {
    const l = new nn.Linear(3, 2).double();
    assert.equal(l.weight.dtype, "float64");
    assert.ok(l.weight instanceof nn.Parameter && l.weight.requiresGrad);
    assert.equal(l.call(ax.ones([1, 3], { dtype: "float64" })).dtype, "float64");
    const tied = new nn.Sequential(new nn.Linear(2, 2), new nn.Linear(2, 2));
    (tied[1] as nn.Linear).weight = (tied[0] as nn.Linear).weight;
    tied.double();
    assert.equal((tied[1] as nn.Linear).weight, (tied[0] as nn.Linear).weight, "tied weights stay tied");
    assert.equal(tied.parameters().length, 3);
    const loss = new nn.CrossEntropyLoss({ weight: ax.ones([2]) }).double();
    assert.equal(loss.weight!.dtype, "float64");
    // The parameters keep their identity (PyTorch's param.data = ...), so an optimizer made before the cast trains.
    const lin = new nn.Linear(2, 1);
    const w = lin.weight, before = lin.weight.toArray() as number[][];
    const opt = new ax.optim.SGD(lin.parameters(), { lr: 1 });
    lin.double();
    assert.equal(lin.weight, w);
    lin.call(ax.ones([1, 2], { dtype: "float64" })).sum().backward();
    opt.step();
    assert.deepEqual(lin.weight.toArray(), before.map((row) => row.map((v) => v - 1)));
  });
});

describe("Linear", () => {
  test("forward and backward match PyTorch with fixed weights", () => {
    for (const c of fx.linear) {
      const l = new nn.Linear(4, 3, { bias: c.bias !== null, dtype: "float64" });
      l.loadStateDict(c.bias ? { weight: decode(c.weight), bias: decode(c.bias) } : { weight: decode(c.weight) });
      const x = decode(c.input).requiresGrad_();
      const y = l.call(x);
      assertClose(y, c.output, 1e-12, "output");
      y.backward(decode(c.upstream));
      assertClose(x.grad!, c.gradInput, 1e-12, "grad input");
      assertClose(l.weight.grad!, c.gradWeight, 1e-12, "grad weight");
      if (c.gradBias) assertClose(l.bias!.grad!, c.gradBias, 1e-12, "grad bias");
    }
  });

  test("gradcheck through input, weight and bias", () => {
    ax.manualSeed(11);
    const l = new nn.Linear(4, 3).double();
    const x = ax.randn([2, 5, 4], { dtype: "float64", requiresGrad: true });
    assert.ok(ax.gradcheck((xi, w, b) => nn.functional.linear(xi, w, b), [x, l.weight, l.bias!]));
    assert.ok(ax.gradcheck((xi, w) => nn.functional.linear(xi, w), [ax.randn([4], { dtype: "float64", requiresGrad: true }), l.weight]));
  });

  test("Sequential runs Linear or Conv2d then ReLU as one op (linearRelu, conv2dRelu), matching PyTorch", () => {
    const f64 = { dtype: "float64" as const };
    for (const c of fx.linearRelu) {
      checkFused(c, new nn.Sequential(new nn.Linear(4, 3, { bias: c.bias !== null, ...f64 }), new nn.ReLU(), new nn.Linear(3, 2, f64)), 2, "linearRelu");
    }
    for (const c of fx.conv2dRelu) {
      const seq = new nn.Sequential(new nn.Conv2d(2, 3, 3, { padding: 1, bias: c.bias !== null, ...f64 }), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Conv2d(3, 2, 2, f64));
      checkFused(c, seq, 3, "conv2dRelu");
    }
  });

  test("the fused ops give exactly the values and gradients of the layer and ReLU one after the other", () => {
    class OwnReLU extends nn.ReLU {} // a subclass is never fused
    const dtypes = ["float32", "float64"] as const;
    const builds: [string, (R: typeof nn.ReLU, dtype: DType) => nn.Sequential, number[]][] = [
      ...[true, false].map((bias): [string, (R: typeof nn.ReLU, dtype: DType) => nn.Sequential, number[]] =>
        [`Linear, bias ${bias}`, (R, dtype) => new nn.Sequential(new nn.Linear(6, 5, { bias, dtype }), new R(), new nn.Linear(5, 4, { dtype }), new R()), [7, 6]]),
      ...[{ padding: 1 }, { stride: 2, bias: false }, { groups: 2, dilation: 2, paddingMode: "reflect" as const, padding: 2 }].map(
        (opts): [string, (R: typeof nn.ReLU, dtype: DType) => nn.Sequential, number[]] => [`Conv2d ${JSON.stringify(opts)}`, (R, dtype) =>
          new nn.Sequential(new nn.Conv2d(4, 6, 3, { ...opts, dtype }), new R(), new nn.Flatten(), new nn.Linear(opts.stride ? 6 * 9 : 6 * 64, 3, { dtype }), new R()), [2, 4, 8, 8]]),
    ];
    for (const dtype of dtypes) {
      for (const [what, build, shape] of builds) {
        const make = (R: typeof nn.ReLU) => {
          ax.manualSeed(5);
          const m = build(R, dtype);
          (m[0] as nn.Linear | nn.Conv2d).weight.data.fill(0, 0, 6); // outputs of exactly 0 (or -0): relu's kink
          return m;
        };
        const x = ax.randn(shape, { dtype, generator: new ax.Generator(2) });
        x.data[0] = NaN; // NaN stays NaN
        const run = (m: nn.Sequential) => {
          const xi = x.clone().requiresGrad_();
          const y = m.call(xi);
          y.backward(ax.ones(y.shape, { dtype }));
          return [y, xi.grad!, ...m.parameters().map((p) => p.grad!)].map((t) => Array.from(t.data, (v) => (Object.is(v, -0) ? "-0" : v)));
        };
        assert.deepEqual(run(make(nn.ReLU)), run(make(OwnReLU)), `${what}, ${dtype}`);
      }
    }
  });

  test("gradcheck through linearRelu (input, weight and bias)", () => {
    const g = new ax.Generator(3);
    const r = (...shape: number[]) => ax.randn(shape, { dtype: "float64", generator: g }).requiresGrad_();
    const x = r(5, 4), w = r(3, 4), b = r(3);
    // Finite differences that straddle relu's kink at 0 would be wrong: this seed keeps every pre-activation away.
    const pre = nn.functional.linear(x, w, b).detach();
    assert.ok(pre.abs().min().item() > 0.01, "a pre-activation is too close to 0 for finite differences");
    assert.ok(pre.lt(0).sum().item() > 0 && pre.gt(0).sum().item() > 0, "both sides of the kink are exercised");
    assert.ok(ax.gradcheck((xi, wi, bi) => linearRelu(xi, wi, bi), [x, w, b]));
    assert.ok(ax.gradcheck((xi, wi) => linearRelu(xi, wi), [x, w]));
  });

  test("gradcheck through conv2dRelu (input, weight and bias)", () => {
    const g = new ax.Generator(1);
    const r = (...shape: number[]) => ax.randn(shape, { dtype: "float64", generator: g }).requiresGrad_();
    const x = r(1, 2, 4, 4), w = r(2, 2, 3, 3), b = r(2);
    // Finite differences that straddle relu's kink at 0 would be wrong: this seed keeps every pre-activation away.
    const pre = nn.functional.conv2d(x, w, b, { padding: 1 }).detach();
    assert.ok(pre.abs().min().item() > 0.02, "a pre-activation is too close to 0 for finite differences");
    assert.ok(pre.lt(0).sum().item() > 0 && pre.gt(0).sum().item() > 0, "both sides of the kink are exercised");
    assert.ok(ax.gradcheck((xi, wi, bi) => conv2dRelu(xi, wi, bi, { padding: 1 }), [x, w, b]));
  });

  test("shapes, repr and errors", () => {
    const l = new nn.Linear(4, 3, { bias: false });
    assert.equal(l.bias, null);
    assert.deepEqual(Object.keys(l.stateDict()), ["weight"]);
    assert.deepEqual([...l.weight.shape], [3, 4]);
    assert.deepEqual([...l.call(ax.ones([5, 2, 4])).shape], [5, 2, 3]);
    assert.equal(l.toString(), "Linear(inFeatures=4, outFeatures=3, bias=false)");
    assert.throws(() => l.call(ax.ones([2, 5])), /linear: input has 5 features \(shape \[2,5\]\) but the weight expects 4 \(weight shape \[3,4\]\)/);
    assert.throws(() => new nn.Linear(2.5, 3), /inFeatures must be a non-negative integer, got 2\.5/);
  });
});

describe("containers", () => {
  test("Sequential runs in order, indexes, appends, and prints like PyTorch", () => {
    const s = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU());
    assert.equal(s.length, 2);
    assert.ok(s[0] instanceof nn.Linear);
    assert.equal(s.at(-1), s[1]);
    s.append(new nn.Linear(3, 1));
    assert.deepEqual(Object.keys(s.stateDict()), ["0.weight", "0.bias", "2.weight", "2.bias"]);
    assert.deepEqual([...s.call(ax.ones([4, 2])).shape], [4, 1]);
    assert.deepEqual([...s].map((m) => m.constructor.name), ["Linear", "ReLU", "Linear"]);
    assert.throws(() => s.at(3), /index 3 is out of range for 3 modules/);
    assert.throws(() => new nn.Sequential(new nn.ReLU(), 5 as unknown as nn.Module), /argument 1 is not a Module/);
    const named = new nn.Sequential({ fc: new nn.Linear(2, 2), act: new nn.Tanh() });
    assert.deepEqual(Object.keys(named.stateDict()), ["fc.weight", "fc.bias"]);
    // JavaScript puts integer-like keys first ({ b, "1", a } lists "1", "b", "a"), so such names are refused.
    assert.throws(() => new nn.Sequential({ b: new nn.Linear(2, 3), 1: new nn.Tanh(), a: new nn.Linear(3, 4) }), /Sequential: the module name "1" looks like an integer/);
    assert.equal(mlp().toString(), [
      "Sequential(",
      "  (0): Flatten(startDim=1, endDim=-1)",
      "  (1): Linear(inFeatures=784, outFeatures=16, bias=true)",
      "  (2): ReLU()",
      "  (3): Dropout(p=0.2)",
      "  (4): Linear(inFeatures=16, outFeatures=10, bias=true)",
      ")",
    ].join("\n"));
  });

  test("nested modules print indented", () => {
    const lines = new Model().toString().split("\n");
    assert.deepEqual(lines.slice(0, 12), [
      "Model(",
      "  (encoder): Encoder(",
      "    (embed): Embedding(10, 4)",
      "    (layers): ModuleList(",
      "      (0): Block(",
      "        (linear): Linear(inFeatures=4, outFeatures=4, bias=true)",
      '        (act): GELU(approximate="none")',
      "        (drop): Dropout(p=0.1)",
      "      )",
      "      (1): Block(",
      "        (linear): Linear(inFeatures=4, outFeatures=4, bias=true)",
      '        (act): GELU(approximate="none")',
    ]);
    assert.equal(lines[lines.length - 1], ")");
  });

  test("ModuleList registers, indexes, iterates and replaces", () => {
    const list = new nn.ModuleList([new nn.Linear(1, 2), new nn.Linear(2, 3)]);
    assert.equal(list.length, 2);
    assert.deepEqual(list[1].weight.shape, [3, 2]); // typed as Linear
    list.append(new nn.Linear(3, 1));
    list.set(0, new nn.Linear(1, 2, { bias: false }));
    assert.deepEqual(Object.keys(list.stateDict()), ["0.weight", "1.weight", "1.bias", "2.weight", "2.bias"]);
    let x = ax.ones([1, 1]);
    for (const l of list) x = l.call(x);
    assert.deepEqual([...x.shape], [1, 1]);
  });
});

describe("Embedding, Flatten, Identity, activations", () => {
  test("Embedding matches PyTorch, paddingIdx row gets no gradient", () => {
    const c = fx.embedding;
    const e = new nn.Embedding(6, 3, { paddingIdx: c.paddingIdx, dtype: "float64" });
    assert.deepEqual(e.weight.select(0, 2).toArray(), [0, 0, 0]); // the padding row starts at zero
    e.loadStateDict({ weight: decode(c.weight) });
    const y = e.call(decode(c.input));
    assertClose(y, c.output, 0, "output");
    y.backward(decode(c.upstream));
    assertClose(e.weight.grad!, c.gradWeight, 1e-12, "grad weight");
    assert.throws(() => e.call(ax.tensor([1, 2])), /embedding: input must hold int32 indices, got float32/);
    assert.throws(() => e.call(ax.tensor([6], { dtype: "int32" })), /index 6 is out of range/);
    assert.equal(e.toString(), "Embedding(6, 3, paddingIdx=2)");
  });

  test("Embedding init is N(0, 1); fromPretrained freezes by default", () => {
    ax.manualSeed(2);
    const w = new nn.Embedding(1000, 50).weight;
    assert.ok(Math.abs(w.mean().item()) < 0.02 && Math.abs(w.std().item() - 1) < 0.02);
    const p = nn.Embedding.fromPretrained(ax.eye(3));
    assert.equal(p.weight.requiresGrad, false);
    assert.deepEqual(p.call(ax.tensor([2], { dtype: "int32" })).toArray(), [[0, 0, 1]]);
  });

  test("Flatten, Unflatten, Identity", () => {
    const x = ax.randn([2, 3, 4, 5]);
    assert.deepEqual([...new nn.Flatten().call(x).shape], [2, 60]);
    assert.deepEqual([...new nn.Flatten(0, 1).call(x).shape], [6, 4, 5]);
    assert.deepEqual([...new nn.Unflatten(1, [3, -1]).call(ax.ones([2, 12])).shape], [2, 3, 4]);
    assert.throws(() => new nn.Unflatten(1, [5, 3]).call(ax.ones([2, 12])), /cannot be split into \[5,3\]/);
    assert.equal(new nn.Identity().call(x), x);
  });

  test("activation modules equal their functions", () => {
    ax.manualSeed(9);
    const x = ax.randn([3, 4]);
    const pairs: [nn.Module, Tensor][] = [
      [new nn.Sigmoid(), x.sigmoid()], [new nn.Tanh(), x.tanh()], [new nn.ReLU(), x.relu()],
      [new nn.LeakyReLU(0.2), x.leakyRelu(0.2)], [new nn.ELU(0.5), ax.elu(x, 0.5)], [new nn.SELU(), ax.selu(x)],
      [new nn.GELU("tanh"), x.gelu("tanh")], [new nn.SiLU(), x.silu()], [new nn.Softplus(2, 10), x.softplus(2, 10)],
      [new nn.Mish(), ax.mish(x)], [new nn.Hardtanh(-0.5, 0.5), ax.hardtanh(x, -0.5, 0.5)], [new nn.ReLU6(), ax.relu6(x)],
      [new nn.Hardsigmoid(), ax.hardsigmoid(x)], [new nn.Hardswish(), ax.hardswish(x)],
      [new nn.Softmax(0), x.softmax(0)], [new nn.LogSoftmax(-1), x.logSoftmax(-1)],
    ];
    for (const [m, expected] of pairs) assert.deepEqual(m.call(x).toArray(), expected.toArray(), m.toString());
    assert.equal(new nn.LeakyReLU().toString(), "LeakyReLU(negativeSlope=0.01)");
    assert.equal(new nn.Softmax(1).toString(), "Softmax(dim=1)");
    assert.throws(() => new nn.GELU("fast" as "tanh"), /approximate must be "none" or "tanh"/);
  });

  test("an MLP trains: loss falls on a small problem", () => {
    ax.manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(2, 8), new nn.Tanh(), new nn.Linear(8, 2));
    const x = ax.tensor([[0, 0], [0, 1], [1, 0], [1, 1]]), y = ax.tensor([0, 1, 1, 0], { dtype: "int32" });
    const opt = new ax.optim.Adam(model.parameters(), { lr: 0.05 });
    let first = 0, last = 0;
    for (let i = 0; i < 200; i++) {
      opt.zeroGrad();
      const loss = nn.functional.crossEntropy(model.call(x), y);
      loss.backward();
      opt.step();
      if (i === 0) first = loss.item();
      last = loss.item();
    }
    assert.ok(last < 0.05 && last < first / 10, `loss ${first} -> ${last}`);
  });
});
