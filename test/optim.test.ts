// Optimizers and gradient clipping against PyTorch (fixtures from tools/fixtures/optim.py), plus the Optimizer
// base's bookkeeping: param groups, zeroGrad, step(closure), stateDict/loadStateDict, errors, and convergence.

import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as ax from "../src/index.js";
import { Tensor, optim, type DType } from "../src/index.js";

type Case = {
  optimizer: "SGD" | "Adam" | "AdamW" | "RMSprop" | "Adagrad";
  options: Record<string, unknown>;
  groups: Array<Record<string, unknown> & { params: number[] }> | null;
  float64: number[][][];
  float32?: number[][][];
};
type Fixture = {
  params0: [number[][], number[]];
  grads: Array<[number[], number[] | null]>;
  optimizers: Case[];
  clip: {
    grads: [number[], number[]];
    norm: Array<{ maxNorm: number; normType: number | "inf"; total: number; grads: number[][] }>;
    value: Array<{ clipValue: number; grads: number[][] }>;
  };
};

const fx = JSON.parse(readFileSync(new URL("./fixtures/optim.json", import.meta.url), "utf8")) as Fixture;
const SHAPES = [[2, 3], [3]];
const classes = { SGD: optim.SGD, Adam: optim.Adam, AdamW: optim.AdamW, RMSprop: optim.RMSprop, Adagrad: optim.Adagrad };

function freshParams(dtype: DType): Tensor[] {
  return fx.params0.map((p) => ax.tensor(p, { dtype, requiresGrad: true }));
}

function build(c: Case, params: Tensor[]): optim.Optimizer {
  const Cls = classes[c.optimizer] as unknown as new (p: unknown, o: unknown) => optim.Optimizer;
  if (c.groups === null) return new Cls(params, c.options);
  return new Cls(c.groups.map(({ params: idx, ...rest }) => ({ params: idx.map((i) => params[i]), ...rest })), c.options);
}

function setGrads(params: Tensor[], step: number, dtype: DType): void {
  fx.grads[step].forEach((g, i) => {
    params[i].grad = g === null ? null : ax.tensor(g, { dtype }).reshape(SHAPES[i]);
  });
}

function flat(t: Tensor): number[] {
  return Array.from(t.toTypedArray());
}

function assertClose(actual: number[], expected: number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= tol * Math.max(1, Math.abs(expected[i])))) {
      assert.fail(`${what}[${i}]: got ${actual[i]}, PyTorch ${expected[i]} (|diff| ${err.toExponential(2)} > ${tol})`);
    }
  }
}

function label(c: Case): string {
  return `${c.optimizer}(${JSON.stringify(c.options)}${c.groups ? `, groups ${JSON.stringify(c.groups)}` : ""})`;
}

/** Runs steps [from, to) of a case on params with opt, checking each against the trajectory. */
function runSteps(c: Case, opt: optim.Optimizer, params: Tensor[], dtype: DType, from: number, to: number, tol: number): void {
  const expected = dtype === "float64" ? c.float64 : c.float32!;
  for (let s = from; s < to; s++) {
    setGrads(params, s, dtype);
    opt.step();
    params.forEach((p, i) => assertClose(flat(p), expected[s][i], tol, `${label(c)} ${dtype} step ${s + 1} param ${i}`));
  }
}

describe("optimizers match PyTorch over 12 steps", () => {
  for (const c of fx.optimizers) {
    test(`${label(c)} float64`, () => {
      const params = freshParams("float64");
      runSteps(c, build(c, params), params, "float64", 0, fx.grads.length, 1e-12);
    });
    if (c.float32) {
      test(`${label(c)} float32`, () => {
        const params = freshParams("float32");
        runSteps(c, build(c, params), params, "float32", 0, fx.grads.length, 1e-5);
      });
    }
  }
});

describe("stateDict / loadStateDict", () => {
  for (const c of fx.optimizers) {
    test(`${label(c)}: a fresh optimizer loaded after 6 steps resumes identically`, () => {
      const params = freshParams("float64");
      const opt = build(c, params);
      runSteps(c, opt, params, "float64", 0, 6, 1e-12);
      const saved = opt.stateDict();
      const savedCopy = structuredClone(JSON.stringify(saved, (_k, v) => (v instanceof Tensor ? flat(v) : v)));
      // Keep stepping the original: the saved dict is a snapshot and must not change.
      setGrads(params, 6, "float64");
      opt.step();
      assert.equal(JSON.stringify(saved, (_k, v) => (v instanceof Tensor ? flat(v) : v)), savedCopy);

      // Rebuild from the parameters as they were at step 6, with default options, then load.
      const restored = c.float64[5].map((v, i) => ax.tensor(v, { dtype: "float64", requiresGrad: true }).reshape(SHAPES[i]).detach().requiresGrad_());
      const opt2 = build({ ...c, options: {} , groups: c.groups?.map((g) => ({ params: g.params })) ?? null }, restored);
      opt2.loadStateDict(saved);
      runSteps(c, opt2, restored, "float64", 6, fx.grads.length, 1e-12);
    });
  }

  test("the dict is structured as PyTorch's: state by parameter index, groups with options and indices", () => {
    const [w, b] = freshParams("float64");
    const opt = new optim.Adam([{ params: [w] }, { params: [b], lr: 0.1 }], { amsgrad: true });
    w.grad = ax.onesLike(w);
    opt.step();
    const sd = opt.stateDict();
    assert.deepEqual(Object.keys(sd.state), ["0"]);
    assert.deepEqual(Object.keys(sd.state[0]).sort(), ["expAvg", "expAvgSq", "maxExpAvgSq", "step"]);
    assert.equal(sd.state[0].step, 1);
    assert.deepEqual(sd.paramGroups, [
      { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: true, maximize: false, params: [0] },
      { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: true, maximize: false, params: [1] },
    ]);
  });

  test("state that went through JSON as number lists loads too", () => {
    const c = fx.optimizers.find((x) => x.optimizer === "Adam" && x.options.amsgrad === true)!;
    const params = freshParams("float64");
    const opt = build(c, params);
    runSteps(c, opt, params, "float64", 0, 4, 1e-12);
    const json = JSON.parse(JSON.stringify(opt.stateDict(), (_k, v) => (v instanceof Tensor ? flat(v) : v)));
    const restored = c.float64[3].map((v, i) => ax.tensor(v, { dtype: "float64" }).reshape(SHAPES[i]).requiresGrad_());
    const opt2 = build(c, restored);
    opt2.loadStateDict(json);
    runSteps(c, opt2, restored, "float64", 4, 12, 1e-12);
  });

  test("loading checks the groups and shapes", () => {
    const [w, b] = freshParams("float64");
    const opt = new optim.SGD([w, b], { lr: 0.1, momentum: 0.9 });
    w.grad = ax.onesLike(w); b.grad = ax.onesLike(b);
    opt.step();
    const sd = opt.stateDict();
    assert.throws(() => new optim.SGD([{ params: [w] }, { params: [b] }]).loadStateDict(sd), /1 parameter groups, this optimizer has 2/);
    assert.throws(() => new optim.SGD([w]).loadStateDict(sd), /has 2 parameters in the dict and 1 here/);
    assert.throws(() => new optim.SGD([b, w]).loadStateDict(sd), /shape \[2,3\], the parameter has shape \[3\]/);
  });
});

describe("Optimizer base", () => {
  test("zeroGrad sets gradients to null by default, or zeroes them in place", () => {
    const [w, b] = freshParams("float32");
    const opt = new optim.SGD([w, b], { lr: 0.1 });
    w.grad = ax.onesLike(w);
    b.grad = ax.onesLike(b);
    opt.zeroGrad();
    assert.equal(w.grad, null);
    assert.equal(b.grad, null);
    const g = ax.onesLike(w);
    w.grad = g;
    opt.zeroGrad(false);
    assert.equal(w.grad, g);
    assert.deepEqual(w.grad!.toArray(), [[0, 0, 0], [0, 0, 0]]);
    assert.equal(b.grad, null);
  });

  test("parameters without a gradient are skipped, their state untouched", () => {
    const [w, b] = freshParams("float64");
    const opt = new optim.Adam([w, b], { lr: 0.1 });
    w.grad = ax.onesLike(w);
    const before = flat(b);
    opt.step();
    assert.deepEqual(flat(b), before);
    assert.equal(opt.state.has(b), false);
    assert.equal((opt.state.get(w) as optim.AdamState).step, 1);
  });

  test("step(closure) runs the closure with autograd on and returns its loss", () => {
    const w = ax.tensor([1, -2], { dtype: "float64", requiresGrad: true });
    const opt = new optim.SGD([w], { lr: 0.25 });
    const loss = ax.noGrad(() => opt.step(() => {
      opt.zeroGrad();
      const l = w.square().sum();
      l.backward();
      return l;
    }));
    assert.equal(loss.item(), 5);
    assert.deepEqual(w.toArray(), [0.5, -1]); // w - 0.25 * 2w
  });

  test("parameter groups keep their own options; addParamGroup fills in the defaults", () => {
    const [w, b] = freshParams("float64");
    const opt = new optim.SGD([{ params: [w], lr: 0.5 }], { lr: 0.1, momentum: 0.9 });
    opt.addParamGroup({ params: [b], nesterov: true });
    assert.equal(opt.paramGroups[0].lr, 0.5);
    assert.equal(opt.paramGroups[1].lr, 0.1);
    assert.equal(opt.paramGroups[1].momentum, 0.9);
    assert.equal(opt.paramGroups[1].nesterov, true);
    b.grad = ax.onesLike(b);
    opt.step();
    // First Nesterov step: buf = g, d = g + 0.9 g = 1.9, lr 0.1
    assertClose(flat(b), fx.params0[1].map((v) => v - 0.19), 1e-15, "b");
  });

  test("a generator of parameters (as model.parameters() may return) is accepted", () => {
    const ps = freshParams("float32");
    function* gen() { yield* ps; }
    const opt = new optim.Adagrad(gen());
    assert.equal(opt.paramGroups[0].params.length, 2);
    assert.equal(opt.state.size, 2); // Adagrad's accumulators exist from the start, as in PyTorch
  });

  test("Adagrad's accumulators exist as soon as a group is added", () => {
    const [w, b] = freshParams("float64");
    const opt = new optim.Adagrad([w], { initialAccumulatorValue: 0.5 });
    opt.addParamGroup({ params: [b], initialAccumulatorValue: 2 });
    assert.deepEqual(flat((opt.state.get(b) as optim.AdagradState).sum), [2, 2, 2]);
    assert.deepEqual(Object.keys(opt.stateDict().state), ["0", "1"]);
  });

  test("a strided (non-contiguous) parameter is updated in its logical layout", () => {
    const p = ax.tensor([[1, 2, 3], [4, 5, 6]], { dtype: "float64" }).t().requiresGrad_();
    assert.equal(p.isContiguous(), false);
    const opt = new optim.SGD([p], { lr: 0.5, momentum: 0.9 });
    p.grad = ax.tensor([[1, 2], [3, 4], [5, 6]], { dtype: "float64" });
    opt.step();
    assert.deepEqual(p.toArray(), [[0.5, 3], [0.5, 3], [0.5, 3]]);
  });

  test("a frozen parameter (requiresGrad false) is accepted and left alone until it is unfrozen, as in PyTorch", () => {
    const model = new ax.nn.Sequential(new ax.nn.Linear(2, 2), new ax.nn.Linear(2, 1));
    const first = model.at(0) as ax.nn.Linear;
    first.requiresGrad_(false);
    const opt = new optim.SGD(model.parameters(), { lr: 0.5 });
    const before = first.weight.clone();
    const step = () => {
      opt.zeroGrad();
      model.call(ax.ones([1, 2])).sum().backward();
      opt.step();
    };
    step();
    assert.deepEqual(first.weight.toArray(), before.toArray());
    first.requiresGrad_(true);
    step();
    assert.notDeepEqual(first.weight.toArray(), before.toArray());
  });

  test("errors name the problem", () => {
    const [w, b] = freshParams("float32");
    assert.throws(() => new optim.SGD([w], { weight_decay: 0.1 } as never), /SGD: unknown option "weight_decay" \(did you mean "weightDecay"\?\) \(known: lr, momentum/);
    assert.throws(() => new optim.Adam([w], { amsGrad: true } as never), /Adam: unknown option "amsGrad" \(did you mean "amsgrad"\?\)/);
    assert.throws(() => new optim.Adam([w], { betass: [0.9, 0.99] } as never), /unknown option "betass" \(did you mean "betas"\?\)/);
    assert.throws(() => new optim.SGD([w, w]), /lists the same parameter twice/);
    assert.throws(() => new optim.SGD([{ params: [w] }, { params: [w, b] }]), /appears in both param group 0 and param group 1/);
    assert.throws(() => new optim.SGD([]), /empty parameter list/);
    assert.throws(() => new optim.SGD(w as unknown as Tensor[]), /iterable of Tensors or of parameter groups/);
    assert.throws(() => new optim.SGD([w.mul(2)]), /not a leaf/);
    assert.throws(() => new optim.SGD([w], { lr: -0.1 }), /SGD: invalid lr -0.1/);
    assert.throws(() => new optim.SGD([{ params: [w], lr: -1 }]), /invalid lr -1 \(param group 0\)/);
    assert.throws(() => new optim.SGD([w], { momentum: -1 }), /invalid momentum/);
    assert.throws(() => new optim.SGD([w], { nesterov: true }), /Nesterov momentum requires momentum > 0 and dampening 0/);
    assert.throws(() => new optim.SGD([w], { nesterov: true, momentum: 0.9, dampening: 0.1 }), /Nesterov/);
    assert.throws(() => new optim.Adam([w], { betas: [1, 0.999] }), /invalid betas\[0\] 1/);
    assert.throws(() => new optim.Adam([w], { betas: [0.9, -0.1] }), /invalid betas\[1\]/);
    assert.throws(() => new optim.Adam([w], { eps: -1 }), /invalid eps/);
    assert.throws(() => new optim.AdamW([w], { weightDecay: -1 }), /AdamW: invalid weightDecay/);
    assert.throws(() => new optim.RMSprop([w], { alpha: -1 }), /RMSprop: invalid alpha/);
    assert.throws(() => new optim.Adagrad([w], { lrDecay: -1 }), /Adagrad: invalid lrDecay/);
    assert.throws(() => new optim.Adagrad([w], { initialAccumulatorValue: -1 }), /invalid initialAccumulatorValue/);
    assert.throws(() => new optim.SGD([{ params: [w], lrr: 0.1 } as never]), /unknown option "lrr"/);
    const opt = new optim.SGD([w]);
    assert.throws(() => opt.addParamGroup({ params: [w] }), /appears in both param group 0 and param group 1/);
    w.grad = ax.ones([3]);
    assert.throws(() => opt.step(), /a parameter of shape \[2,3\] has a gradient of shape \[3\]/);
  });
});

describe("every optimizer converges on a tiny linear regression", () => {
  // y = 3 x1 − 2 x2 + 0.5, no noise: the least-squares fit is exact.
  const gen = new ax.Generator(7);
  const X = ax.randn([64, 2], { generator: gen, dtype: "float64" });
  const y = X.matmul(ax.tensor([[3], [-2]], { dtype: "float64" })).add(0.5);
  const cases: Array<[string, (p: Tensor[]) => optim.Optimizer, number]> = [
    ["SGD", (p) => new optim.SGD(p, { lr: 0.1 }), 200],
    ["SGD momentum", (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.9 }), 200],
    ["SGD nesterov", (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true }), 200],
    ["Adam", (p) => new optim.Adam(p, { lr: 0.05 }), 600],
    ["Adam amsgrad", (p) => new optim.Adam(p, { lr: 0.05, amsgrad: true }), 600],
    ["AdamW", (p) => new optim.AdamW(p, { lr: 0.05, weightDecay: 0 }), 600],
    ["RMSprop", (p) => new optim.RMSprop(p, { lr: 0.01 }), 600],
    ["RMSprop centered momentum", (p) => new optim.RMSprop(p, { lr: 0.005, momentum: 0.5, centered: true }), 600],
    ["Adagrad", (p) => new optim.Adagrad(p, { lr: 0.5 }), 600],
  ];
  for (const [name, make, steps] of cases) {
    test(name, () => {
      const w = ax.zeros([2, 1], { dtype: "float64", requiresGrad: true });
      const b = ax.zeros([1], { dtype: "float64", requiresGrad: true });
      const opt = make([w, b]);
      let loss = Infinity;
      for (let i = 0; i < steps; i++) {
        opt.zeroGrad();
        const l = X.matmul(w).add(b).sub(y).square().mean();
        l.backward();
        opt.step();
        loss = l.item();
      }
      assert.ok(loss < 1e-3, `${name}: loss ${loss} after ${steps} steps`);
      assertClose(flat(w), [3, -2], 0.05, `${name} w`);
      assertClose(flat(b), [0.5], 0.05, `${name} b`);
    });
  }
});

test("float32 optimizer state never holds subnormals: the moments of a weight whose gradient stays zero end at 0", () => {
  // m = 0.1 after the first step, then 0.9 m per step: subnormal after ~820 steps, where PyTorch's would stay
  // (0.9 times the smallest subnormal rounds back to it); Axon stores 0 there (see src/backend/reference/optim.ts).
  // Centered RMSprop keeps its two averages as they are (flushing one and not the other could make the step NaN);
  // a test below checks it stays finite.
  const MIN = 1.1754943508222875e-38;
  for (const [name, make, state] of [
    ["Adam", (p: Tensor[]) => new optim.Adam(p, { lr: 1e-3 }), ["expAvg", "expAvgSq"]],
    ["SGD momentum", (p: Tensor[]) => new optim.SGD(p, { lr: 1e-3, momentum: 0.9 }), ["momentumBuffer"]],
    ["RMSprop momentum", (p: Tensor[]) => new optim.RMSprop(p, { lr: 1e-3, alpha: 0.9, momentum: 0.9 }), ["squareAvg", "momentumBuffer"]],
  ] as const) {
    const w = ax.tensor([0.5, -0.5, 1], { requiresGrad: true });
    const opt = make([w]);
    for (let i = 0; i < 1000; i++) {
      w.grad = i === 0 ? ax.tensor([1, -1, 0.5]) : ax.zeros([3]);
      opt.step();
    }
    const st = (opt as unknown as { state: Map<Tensor, Record<string, Tensor>> }).state.get(w)!;
    for (const key of state) {
      const t = st[key];
      assert.ok(t instanceof Tensor, `${name}: no state ${key}`);
      for (const x of t.toTypedArray()) assert.ok(x === 0 || Math.abs(x) >= MIN, `${name} ${key}: subnormal ${x}`);
    }
    if (name === "Adam") assert.ok(st.expAvg.toTypedArray().every((x) => x === 0), `Adam's first moment decayed to 0, got ${st.expAvg.toArray()}`);
  }
});

test("centered RMSprop stays finite while its averages decay past the smallest normal float32", () => {
  const w = ax.tensor([0.5, -0.5, 1], { requiresGrad: true });
  const opt = new optim.RMSprop([w], { lr: 1e-3, alpha: 0.9, momentum: 0.9, centered: true });
  for (let i = 0; i < 1000; i++) {
    w.grad = i === 0 ? ax.tensor([1, -1, 0.5]) : ax.zeros([3]);
    opt.step();
  }
  assert.ok(w.toTypedArray().every(Number.isFinite), `parameters ${w.toArray()}`);
});

describe("gradient clipping matches torch.nn.utils", () => {
  function withGrads(dtype: DType): Tensor[] {
    return [[2, 3], [4]].map((shape, i) => {
      const p = ax.zeros(shape, { dtype, requiresGrad: true });
      p.grad = ax.tensor(fx.clip.grads[i], { dtype }).reshape(shape);
      return p;
    });
  }
  for (const c of fx.clip.norm) {
    const normType = c.normType === "inf" ? Infinity : c.normType;
    test(`clipGradNorm_(maxNorm ${c.maxNorm}, normType ${normType})`, () => {
      const ps = withGrads("float64");
      const total = optim.clipGradNorm_(ps, c.maxNorm, normType);
      assert.equal(total.dtype, "float64");
      assertClose([total.item()], [c.total], 1e-12, "total");
      ps.forEach((p, i) => assertClose(flat(p.grad!), c.grads[i], 1e-12, `grad ${i}`));
      const ps32 = withGrads("float32");
      const total32 = optim.clipGradNorm_(ps32, c.maxNorm, normType);
      assert.equal(total32.dtype, "float32");
      assertClose([total32.item()], [c.total], 1e-5, "total float32");
      ps32.forEach((p, i) => assertClose(flat(p.grad!), c.grads[i], 1e-5, `grad ${i} float32`));
    });
  }
  for (const c of fx.clip.value) {
    test(`clipGradValue_(${c.clipValue})`, () => {
      const ps = withGrads("float64");
      optim.clipGradValue_(ps, c.clipValue);
      ps.forEach((p, i) => assertClose(flat(p.grad!), c.grads[i], 0, `grad ${i}`));
    });
  }
  test("edge cases: no gradients, a single tensor, non-finite norms", () => {
    const p = ax.zeros([2], { requiresGrad: true });
    assert.equal(optim.clipGradNorm_([p], 1).item(), 0);
    p.grad = ax.tensor([3, 4]);
    assert.equal(optim.clipGradNorm_(p, 1).item(), 5);
    assertClose(flat(p.grad!), [0.6, 0.8], 1e-6, "clipped");
    p.grad = ax.tensor([Infinity, 1]);
    assert.throws(() => optim.clipGradNorm_(p, 1, 2, true), /total norm of order 2 of the gradients is Infinity/);
    assert.throws(() => optim.clipGradNorm_(p, 1, 0), /normType must be a positive number/);
  });
});
