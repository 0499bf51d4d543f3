// Learning-rate schedulers against PyTorch's lr sequences (fixtures from tools/fixtures/optim.py), step by step to
// 1e-12, plus resuming from stateDict, the closed forms, and errors.

import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as ax from "../src/index.js";
import { optim } from "../src/index.js";

type SchedCase = { scheduler: string; options: Record<string, unknown>; lrs: number[][] };
type Fixture = {
  schedulers: { lrs0: number[]; steps: number; cases: SchedCase[] };
  plateau: { metrics: number[]; cases: Array<{ options: Record<string, unknown>; lrs: number[][] }> };
};
const fx = JSON.parse(readFileSync(new URL("./fixtures/optim.json", import.meta.url), "utf8")) as Fixture;
const [LR0, LR1] = fx.schedulers.lrs0;

/** SGD with two groups (lr 0.1 and 0.05), as the fixture uses. */
function makeOptimizer(): optim.SGD {
  const a = ax.zeros([1], { requiresGrad: true });
  const b = ax.zeros([1], { requiresGrad: true });
  return new optim.SGD([{ params: [a], lr: LR0 }, { params: [b], lr: LR1 }], { lr: LR0 });
}

type Ctor = new (o: optim.Optimizer, opts: never) => optim.LRScheduler;
const ctors: Record<string, Ctor> = {
  StepLR: optim.StepLR, MultiStepLR: optim.MultiStepLR, ExponentialLR: optim.ExponentialLR,
  CosineAnnealingLR: optim.CosineAnnealingLR, LinearLR: optim.LinearLR,
} as unknown as Record<string, Ctor>;

function makeScheduler(opt: optim.Optimizer, name: string, options: Record<string, unknown>): optim.LRScheduler {
  if (name === "SequentialLR") {
    const children = (options.schedulers as Array<[string, Record<string, unknown>]>).map(([n, o]) => makeScheduler(opt, n, o));
    return new optim.SequentialLR(opt, { schedulers: children, milestones: options.milestones as number[] });
  }
  return new ctors[name](opt, options as never);
}

function assertLrs(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((v, i) => {
    if (!(Math.abs(v - expected[i]) <= 1e-12)) assert.fail(`${what}, group ${i}: got ${v}, PyTorch ${expected[i]}`);
  });
}

describe("schedulers match PyTorch step by step", () => {
  for (const c of fx.schedulers.cases) {
    test(`${c.scheduler}(${JSON.stringify(c.options)})`, () => {
      const opt = makeOptimizer();
      const sched = makeScheduler(opt, c.scheduler, c.options);
      assertLrs(sched.getLastLr(), c.lrs[0], "after construction");
      assertLrs(opt.paramGroups.map((g) => g.lr), c.lrs[0], "groups after construction");
      for (let s = 1; s < c.lrs.length; s++) {
        opt.step();
        sched.step();
        assertLrs(sched.getLastLr(), c.lrs[s], `step ${s}`);
        assertLrs(opt.paramGroups.map((g) => g.lr), c.lrs[s], `groups at step ${s}`);
      }
    });
  }

  test("warmupCosineLR is PyTorch's SequentialLR(LinearLR, CosineAnnealingLR)", () => {
    const c = fx.schedulers.cases.find((x) => x.scheduler === "SequentialLR")!;
    const opt = makeOptimizer();
    const sched = optim.warmupCosineLR(opt, { warmupIters: 5, totalIters: 30, startFactor: 0.1, etaMin: 0.0001 });
    assertLrs(sched.getLastLr(), c.lrs[0], "after construction");
    for (let s = 1; s < c.lrs.length; s++) {
      sched.step();
      assertLrs(sched.getLastLr(), c.lrs[s], `step ${s}`);
    }
  });
});

describe("closed forms (step(epoch))", () => {
  test("StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR", () => {
    const cases: Array<[string, Record<string, unknown>, (e: number, base: number) => number]> = [
      ["StepLR", { stepSize: 3, gamma: 0.5 }, (e, b) => b * 0.5 ** Math.floor(e / 3)],
      ["MultiStepLR", { milestones: [4, 2, 4], gamma: 0.1 }, (e, b) => b * 0.1 ** [2, 4, 4].filter((m) => m <= e).length],
      ["ExponentialLR", { gamma: 0.9 }, (e, b) => b * 0.9 ** e],
      ["CosineAnnealingLR", { TMax: 8, etaMin: 0.01 }, (e, b) => 0.01 + (b - 0.01) * (1 + Math.cos(Math.PI * e / 8)) / 2],
      ["LinearLR", { startFactor: 0.5, totalIters: 4 }, (e, b) => b * (0.5 + 0.5 * Math.min(e, 4) / 4)],
    ];
    for (const [name, options, f] of cases) {
      const opt = makeOptimizer();
      const sched = makeScheduler(opt, name, options);
      for (const e of [0, 7, 3, 12, 1]) {
        sched.step(e);
        assertLrs(sched.getLastLr(), [f(e, LR0), f(e, LR1)], `${name} at epoch ${e}`);
      }
    }
  });
});

describe("ReduceLROnPlateau matches PyTorch", () => {
  for (const c of fx.plateau.cases) {
    test(JSON.stringify(c.options), () => {
      const opt = makeOptimizer();
      const sched = new optim.ReduceLROnPlateau(opt, c.options as optim.ReduceLROnPlateauOptions);
      assertLrs(sched.getLastLr(), [LR0, LR1], "after construction");
      fx.plateau.metrics.forEach((m, s) => {
        opt.step();
        sched.step(s % 2 === 0 ? m : ax.tensor(m, { dtype: "float64" }));
        assertLrs(sched.getLastLr(), c.lrs[s], `step ${s + 1} (metric ${m})`);
      });
    });
  }

  test("resumes from stateDict", () => {
    const c = fx.plateau.cases[2];
    const opt = makeOptimizer();
    const sched = new optim.ReduceLROnPlateau(opt, c.options as optim.ReduceLROnPlateauOptions);
    fx.plateau.metrics.slice(0, 10).forEach((m) => sched.step(m));
    const saved = { opt: opt.stateDict(), sched: sched.stateDict() };
    const opt2 = makeOptimizer();
    const sched2 = new optim.ReduceLROnPlateau(opt2);
    opt2.loadStateDict(saved.opt);
    sched2.loadStateDict(saved.sched);
    fx.plateau.metrics.slice(10).forEach((m, s) => {
      sched2.step(m);
      assertLrs(sched2.getLastLr(), c.lrs[10 + s], `step ${11 + s}`);
    });
  });
});

describe("resuming", () => {
  for (const c of fx.schedulers.cases) {
    test(`${c.scheduler}(${JSON.stringify(c.options)}): stateDict after 11 steps resumes identically`, () => {
      const opt = makeOptimizer();
      const sched = makeScheduler(opt, c.scheduler, c.options);
      for (let s = 1; s <= 11; s++) sched.step();
      const saved = { opt: opt.stateDict(), sched: JSON.parse(JSON.stringify(sched.stateDict())) };
      // A new run: fresh optimizer and scheduler (built as at the start), then both states loaded.
      const opt2 = makeOptimizer();
      const sched2 = makeScheduler(opt2, c.scheduler, c.options);
      opt2.loadStateDict(saved.opt);
      sched2.loadStateDict(saved.sched);
      assertLrs(sched2.getLastLr(), c.lrs[11], "after loading");
      for (let s = 12; s < c.lrs.length; s++) {
        sched2.step();
        assertLrs(sched2.getLastLr(), c.lrs[s], `step ${s}`);
      }
    });
  }

  test("lastEpoch resumes a schedule from the optimizer's initialLr", () => {
    const c = fx.schedulers.cases.find((x) => x.scheduler === "CosineAnnealingLR")!;
    const opt = makeOptimizer();
    const sched = new optim.CosineAnnealingLR(opt, c.options as unknown as optim.CosineAnnealingLROptions);
    for (let s = 1; s <= 6; s++) sched.step();
    const opt2 = makeOptimizer();
    opt2.loadStateDict(opt.stateDict());
    assert.equal(opt2.paramGroups[0].initialLr, LR0);
    // Constructing at lastEpoch 5 steps to epoch 6 in closed form (PyTorch's first-step rule).
    const sched2 = new optim.CosineAnnealingLR(opt2, { ...(c.options as unknown as optim.CosineAnnealingLROptions), lastEpoch: 5 });
    assertLrs(sched2.getLastLr(), c.lrs[6], "epoch 6");
    for (let s = 7; s < c.lrs.length; s++) {
      sched2.step();
      assertLrs(sched2.getLastLr(), c.lrs[s], `step ${s}`);
    }
    assert.throws(() => new optim.StepLR(makeOptimizer(), { stepSize: 2, lastEpoch: 3 }), /parameter group 0 has no initialLr/);
  });
});

describe("errors", () => {
  test("bad options are refused with the reason", () => {
    const opt = makeOptimizer();
    assert.throws(() => new optim.StepLR(opt, { stepSize: 0 }), /StepLR: stepSize must be a positive integer/);
    assert.throws(() => new optim.LinearLR(opt, { startFactor: 0 }), /startFactor must be in \(0, 1\]/);
    assert.throws(() => new optim.LinearLR(opt, { endFactor: 1.5 }), /endFactor must be in \[0, 1\]/);
    assert.throws(() => new optim.CosineAnnealingLR(opt, { TMax: -3 }), /TMax must be a positive integer/);
    assert.throws(() => new optim.MultiStepLR(opt, { milestones: [1.5] }), /milestones must be an array of integers/);
    assert.throws(() => new optim.ReduceLROnPlateau(opt, { factor: 1 }), /factor must be in \[0, 1\)/);
    assert.throws(() => new optim.ReduceLROnPlateau(opt, { mode: "up" as never }), /mode must be "min" or "max"/);
    assert.throws(() => new optim.ReduceLROnPlateau(opt, { thresholdMode: "x" as never }), /thresholdMode must be "rel" or "abs"/);
    assert.throws(() => new optim.ReduceLROnPlateau(opt, { minLr: [0.1] }), /expected 2 minLr values/);
    const other = makeOptimizer();
    assert.throws(() => new optim.SequentialLR(opt, { schedulers: [new optim.ExponentialLR(other, { gamma: 0.9 })], milestones: [] }), /different optimizer/);
    assert.throws(() => new optim.SequentialLR(opt, { schedulers: [new optim.ExponentialLR(opt, { gamma: 0.9 })], milestones: [3] }), /expected 0 milestone/);
    assert.throws(() => optim.warmupCosineLR(opt, { warmupIters: 10, totalIters: 10 }), /totalIters must be an integer greater than warmupIters/);
  });
});

// ---- LambdaLR, MultiplicativeLR, ConstantLR, PolynomialLR, CosineAnnealingWarmRestarts, OneCycleLR, CyclicLR ----
// Against fixtures/lr_scheduler.json (tools/fixtures/lr_scheduler.py): each group's lr and momentum (SGD's
// momentum, Adam's betas[0]) after construction and after every step, to 1e-12 relative.

type Case = {
  scheduler: string; options: Record<string, unknown>; optimizer: string; epochs?: Array<number | null>;
  lrs: number[][]; momenta: number[][];
};
const fx2 = JSON.parse(readFileSync(new URL("./fixtures/lr_scheduler.json", import.meta.url), "utf8")) as { lrs0: number[]; cases: Case[] };

/** The fixture's named functions (lrLambda, scaleFn), the same as FNS in the generator. */
const FNS: Record<string, (x: number) => number> = {
  pow095: (e) => 0.95 ** e,
  warmup5: (e) => Math.min(1, (e + 1) / 5),
  halveEvery10: (e) => 0.5 ** Math.floor(e / 10),
  const09: () => 0.9,
  every3: (e) => (e % 3 === 0 ? 0.8 : 1),
  inverse: (x) => 1 / x,
  pow099: (x) => 0.99 ** x,
};

/** The fixture's optimizers: two groups with lr 0.1 and 0.05. */
function optimizerOf(kind: string): optim.Optimizer {
  const groups = fx2.lrs0.map((lr) => ({ params: [ax.zeros([1], { requiresGrad: true })], lr }));
  const lr = fx2.lrs0[0];
  switch (kind) {
    case "SGD": return new optim.SGD(groups, { lr });
    case "SGDMomentum": return new optim.SGD(groups, { lr, momentum: 0.9 });
    case "SGDMomentumInitialLr": {
      // groups that already carry an initialLr, as an earlier scheduler leaves them
      const withInitial = groups.map((g, i) => ({ ...g, initialLr: [0.2, 0.3][i] }));
      return new optim.SGD(withInitial as typeof groups, { lr, momentum: 0.9 });
    }
    case "Adam": return new optim.Adam(groups, { lr, betas: [0.9, 0.99] });
    default: throw new Error(`unknown optimizer kind ${kind}`);
  }
}

const newCtors: Record<string, Ctor> = {
  LambdaLR: optim.LambdaLR, MultiplicativeLR: optim.MultiplicativeLR, ConstantLR: optim.ConstantLR, PolynomialLR: optim.PolynomialLR,
  CosineAnnealingWarmRestarts: optim.CosineAnnealingWarmRestarts, OneCycleLR: optim.OneCycleLR, CyclicLR: optim.CyclicLR,
} as unknown as Record<string, Ctor>;

/** The case's options with function names replaced by the functions. */
function withFunctions(options: Record<string, unknown>): Record<string, unknown> {
  const out = { ...options };
  for (const key of ["lrLambda", "scaleFn"]) {
    const v = out[key];
    if (typeof v === "string") out[key] = FNS[v];
    else if (Array.isArray(v)) out[key] = v.map((n) => FNS[n as string]);
  }
  return out;
}

function schedulerOf(opt: optim.Optimizer, c: Pick<Case, "scheduler" | "options">, extra: Record<string, unknown> = {}): optim.LRScheduler {
  return new newCtors[c.scheduler](opt, { ...withFunctions(c.options), ...extra } as never);
}

function momenta(opt: optim.Optimizer): number[] {
  return opt.paramGroups.map((g) => {
    const group = g as unknown as { momentum?: number; betas?: readonly number[] };
    return group.betas !== undefined ? group.betas[0] : group.momentum!;
  });
}

function assertRel(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((v, i) => {
    if (!(Math.abs(v - expected[i]) <= 1e-12 * Math.abs(expected[i]) + 1e-20)) assert.fail(`${what}, group ${i}: got ${v}, PyTorch ${expected[i]}`);
  });
}

function caseName(c: Case): string {
  return `${c.scheduler}(${JSON.stringify(c.options)}) on ${c.optimizer}${c.epochs ? ` via step(${JSON.stringify(c.epochs)})` : ""}`;
}

/** Asserts lr, group lr and momentum against the fixture's row s. */
function assertRow(c: Case, opt: optim.Optimizer, sched: optim.LRScheduler, s: number, what: string): void {
  assertRel(sched.getLastLr(), c.lrs[s], `${what}: lr`);
  assertRel(opt.paramGroups.map((g) => g.lr), c.lrs[s], `${what}: group lr`);
  assertRel(momenta(opt), c.momenta[s], `${what}: momentum`);
  if (c.optimizer === "Adam") {
    for (const g of opt.paramGroups) assert.equal((g as unknown as { betas: number[] }).betas[1], 0.99, `${what}: betas[1] is not cycled`);
  }
}

describe("LambdaLR, MultiplicativeLR, ConstantLR, PolynomialLR, CosineAnnealingWarmRestarts, OneCycleLR, CyclicLR match PyTorch", () => {
  for (const c of fx2.cases) {
    test(caseName(c), () => {
      const opt = optimizerOf(c.optimizer);
      const sched = schedulerOf(opt, c);
      assertRow(c, opt, sched, 0, "after construction");
      const epochs = c.epochs ?? new Array<null>(c.lrs.length - 1).fill(null);
      epochs.forEach((e, k) => {
        opt.step();
        if (e === null) sched.step();
        else sched.step(e);
        assertRow(c, opt, sched, k + 1, e === null ? `step ${k + 1}` : `step(${e})`);
      });
    });
  }
});

describe("the new schedulers resume", () => {
  for (const c of fx2.cases.filter((x) => x.epochs === undefined)) {
    test(`${caseName(c)}: stateDict part-way resumes identically`, () => {
      const cut = Math.floor((c.lrs.length - 1) / 3);
      const opt = optimizerOf(c.optimizer);
      const sched = schedulerOf(opt, c);
      for (let s = 1; s <= cut; s++) sched.step();
      const saved = { opt: opt.stateDict(), sched: JSON.parse(JSON.stringify(sched.stateDict())) as optim.SchedulerStateDict };
      // A new run: fresh optimizer and scheduler (built as at the start, functions passed again), then both states.
      const opt2 = optimizerOf(c.optimizer);
      const sched2 = schedulerOf(opt2, c);
      opt2.loadStateDict(saved.opt);
      sched2.loadStateDict(saved.sched);
      assertRow(c, opt2, sched2, cut, "after loading");
      for (let s = cut + 1; s < c.lrs.length; s++) {
        sched2.step();
        assertRow(c, opt2, sched2, s, `step ${s}`);
      }
    });
  }

  test("OneCycleLR and CyclicLR resume with lastEpoch from the optimizer's saved groups", () => {
    for (const name of ["OneCycleLR", "CyclicLR"]) {
      const c = fx2.cases.find((x) => x.scheduler === name && x.optimizer === "SGDMomentum" && x.epochs === undefined)!;
      const opt = optimizerOf(c.optimizer);
      schedulerOf(opt, c);
      for (let s = 1; s <= 10; s++) opt.step();
      const opt2 = optimizerOf(c.optimizer);
      opt2.loadStateDict(opt.stateDict());
      // Built at lastEpoch 10, the scheduler's first step is step 11.
      const sched2 = schedulerOf(opt2, c, { lastEpoch: 10 });
      assertRow(c, opt2, sched2, 11, `${name} at step 11`);
      for (let s = 12; s < c.lrs.length; s++) {
        sched2.step();
        assertRow(c, opt2, sched2, s, `${name} step ${s}`);
      }
    }
  });
});

describe("the new schedulers' behaviour", () => {
  test("LambdaLR applies one function to every group, or each group's own", () => {
    const seen: number[] = [];
    const opt = makeOptimizer();
    const one = new optim.LambdaLR(opt, { lrLambda: (e) => { seen.push(e); return 1 / (e + 1); } });
    assert.deepEqual(seen, [0, 0], "called once per group at epoch 0");
    for (let s = 1; s <= 3; s++) one.step();
    assertLrs(one.getLastLr(), [LR0 / 4, LR1 / 4], "shared function at epoch 3");

    const opt2 = makeOptimizer();
    const each = new optim.LambdaLR(opt2, { lrLambda: [(e) => 2 + e, (e) => 0.5 ** e] });
    assertLrs(each.getLastLr(), [LR0 * 2, LR1], "per-group functions at epoch 0");
    each.step();
    each.step();
    assertLrs(each.getLastLr(), [LR0 * 4, LR1 * 0.25], "per-group functions at epoch 2");
    assertLrs(opt2.paramGroups.map((g) => g.lr), [LR0 * 4, LR1 * 0.25], "the groups' lr");
  });

  test("LambdaLR and MultiplicativeLR save null for their functions and keep their own on loading", () => {
    const opt = makeOptimizer();
    const sched = new optim.LambdaLR(opt, { lrLambda: [(e) => 0.5 ** e, (e) => 1 + e] });
    sched.step();
    sched.step();
    const dict = sched.stateDict();
    assert.deepEqual(dict.lrLambdas, [null, null]);
    assert.equal(dict.lastEpoch, 2);
    assert.doesNotThrow(() => JSON.stringify(dict));
    const opt2 = makeOptimizer();
    const sched2 = new optim.LambdaLR(opt2, { lrLambda: [(e) => 0.5 ** e, (e) => 1 + e] });
    sched2.loadStateDict(JSON.parse(JSON.stringify(dict)));
    assert.equal(typeof sched2.lrLambdas[0], "function");
    sched2.step();
    assertLrs(sched2.getLastLr(), [LR0 * 0.125, LR1 * 4], "epoch 3 after loading");

    const mult = new optim.MultiplicativeLR(makeOptimizer(), { lrLambda: () => 0.5 });
    assert.deepEqual(mult.stateDict().lrLambdas, [null, null]);
    const cyclic = new optim.CyclicLR(optimizerOf("SGDMomentum"), { baseLr: 0.01, maxLr: 0.1, scaleFn: (x) => 1 / x });
    assert.equal(cyclic.stateDict().scaleFn, null);
  });

  test("CyclicLR cycles Adam's betas[0] as it cycles SGD's momentum", () => {
    for (const c of fx2.cases.filter((x) => x.scheduler === "CyclicLR" && x.optimizer === "SGDMomentum" && x.epochs === undefined && x.options.cycleMomentum !== false)) {
      const opt = optimizerOf("Adam");
      const sched = schedulerOf(opt, c);
      const adamCase = { ...c, optimizer: "Adam" };
      assertRow(adamCase, opt, sched, 0, `${caseName(c)} with Adam, after construction`);
      for (let s = 1; s < c.lrs.length; s++) {
        sched.step();
        assertRow(adamCase, opt, sched, s, `${caseName(c)} with Adam, step ${s}`);
      }
    }
  });

  test("OneCycleLR runs totalSteps steps after construction and then refuses", () => {
    const opt = optimizerOf("SGDMomentum");
    const sched = new optim.OneCycleLR(opt, { maxLr: 0.1, epochs: 2, stepsPerEpoch: 5 });
    for (let s = 1; s <= 10; s++) sched.step();
    assert.throws(() => sched.step(), /OneCycleLR: stepped past the end of the schedule \(lastEpoch 11, totalSteps 10\)/);
  });

  test("OneCycleLR refuses a phase with no steps, where PyTorch divides by zero", () => {
    // pctStart · totalSteps = 1: the first phase ends at step 0, where it starts.
    assert.throws(() => new optim.OneCycleLR(optimizerOf("SGDMomentum"), { maxLr: 0.1, totalSteps: 10, pctStart: 0.1 }), /phase 1 of the schedule has no steps/);
  });

  test("CosineAnnealingWarmRestarts: step(epoch) finds the cycle exactly at every restart", () => {
    // T0 3, TMult 3: cycles start at 0, 3, 12, 39, 120, 363, 1092. PyTorch's logarithm puts 363 at the end of the
    // cycle before (lr = etaMin); it is the start of a new one (lr = base lr).
    const opt = makeOptimizer();
    const sched = new optim.CosineAnnealingWarmRestarts(opt, { T0: 3, TMult: 3, etaMin: 0.001 });
    for (const start of [3, 12, 39, 120, 363, 1092]) {
      sched.step(start);
      assertLrs(sched.getLastLr(), [LR0, LR1], `restart at ${start}`);
      assert.equal(sched.TCur, 0);
      sched.step(start - 0.01);
      assert.ok(sched.getLastLr()[0] < 0.0011, `just before the restart at ${start}, lr is near etaMin`);
    }
    assert.throws(() => sched.step(-1), /epoch must be a finite number >= 0, got -1/);
  });

  test("ConstantLR and PolynomialLR closed forms", () => {
    const constant = new optim.ConstantLR(makeOptimizer(), { factor: 0.25, totalIters: 3 });
    const poly = new optim.PolynomialLR(makeOptimizer(), { totalIters: 8, power: 2 });
    for (const e of [0, 5, 2, 3, 9, 1]) {
      constant.step(e);
      poly.step(e);
      assertLrs(constant.getLastLr(), [LR0, LR1].map((b) => b * (e < 3 ? 0.25 : 1)), `ConstantLR at epoch ${e}`);
      assertLrs(poly.getLastLr(), [LR0, LR1].map((b) => b * (1 - Math.min(e, 8) / 8) ** 2), `PolynomialLR at epoch ${e}`);
    }
  });
});

describe("the new schedulers' errors", () => {
  test("bad options are refused, naming the option and the value", () => {
    const opt = makeOptimizer();
    const sgdm = optimizerOf("SGDMomentum");
    const cases: Array<[() => unknown, RegExp]> = [
      [() => new optim.LambdaLR(opt, { lrLambda: 0.5 as never }), /LambdaLR: lrLambda must be a function of the epoch, or an array of one per parameter group, got 0.5/],
      [() => new optim.LambdaLR(opt, { lrLambda: [() => 1] }), /LambdaLR: expected 2 lrLambda functions \(one per parameter group\), got 1/],
      [() => new optim.MultiplicativeLR(opt, { lrLambda: [() => 1, "x" as never] }), /MultiplicativeLR: lrLambda\[1\] must be a function of the epoch, got "x"/],
      [() => new optim.LambdaLR(opt, { lrLambda: [() => 1, () => NaN] }), /LambdaLR: lrLambda returned NaN for parameter group 1 at epoch 0/],
      [() => new optim.ConstantLR(opt, { factor: 0 }), /ConstantLR: factor must be in \(0, 1\], got 0/],
      [() => new optim.ConstantLR(opt, { factor: 1.5 }), /ConstantLR: factor must be in \(0, 1\], got 1.5/],
      [() => new optim.ConstantLR(opt, { totalIters: 2.5 }), /ConstantLR: totalIters must be a positive integer, got 2.5/],
      [() => new optim.PolynomialLR(opt, { power: -1 }), /PolynomialLR: power must be a finite number >= 0, got -1/],
      [() => new optim.PolynomialLR(opt, { totalIters: 0 }), /PolynomialLR: totalIters must be a positive integer, got 0/],
      [() => new optim.CosineAnnealingWarmRestarts(opt, { T0: 0 }), /CosineAnnealingWarmRestarts: T0 must be a positive integer, got 0/],
      [() => new optim.CosineAnnealingWarmRestarts(opt, { T0: 5, TMult: 1.5 }), /CosineAnnealingWarmRestarts: TMult must be a positive integer, got 1.5/],
      [() => new optim.CosineAnnealingWarmRestarts(opt, { T0: 5, etaMin: NaN }), /etaMin must be a finite number, got NaN/],
      [() => new optim.CyclicLR(sgdm, { baseLr: 0.01, maxLr: [0.1] }), /CyclicLR: expected 2 values for maxLr \(one per parameter group\), got 1/],
      [() => new optim.CyclicLR(sgdm, { baseLr: [0.01, "a" as never], maxLr: 0.1 }), /CyclicLR: baseLr\[1\] must be a finite number, got "a"/],
      [() => new optim.CyclicLR(sgdm, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 0 }), /CyclicLR: stepSizeUp must be a positive number of steps, got 0/],
      [() => new optim.CyclicLR(sgdm, { baseLr: 0.01, maxLr: 0.1, stepSizeDown: -2 }), /CyclicLR: stepSizeDown must be a positive number of steps, got -2/],
      [() => new optim.CyclicLR(sgdm, { baseLr: 0.01, maxLr: 0.1, mode: "triangle" as never }), /CyclicLR: mode must be "triangular", "triangular2" or "exp_range" \(or give scaleFn\), got "triangle"/],
      [() => new optim.CyclicLR(sgdm, { baseLr: 0.01, maxLr: 0.1, scaleFn: (x) => 1 / x, scaleMode: "steps" as never }), /CyclicLR: scaleMode must be "cycle" or "iterations", got "steps"/],
      [() => new optim.CyclicLR(sgdm, { baseLr: 0.01, maxLr: 0.1, cycleMomentum: "yes" as never }), /CyclicLR: cycleMomentum must be true or false, got "yes"/],
      [() => new optim.CyclicLR(sgdm, { baseLr: 0.01, maxLr: 0.1, baseMomentum: [0.8] }), /CyclicLR: expected 2 values for baseMomentum/],
      [() => new optim.OneCycleLR(sgdm, {} as never), /OneCycleLR: give totalSteps, or epochs and stepsPerEpoch/],
      [() => new optim.OneCycleLR(sgdm, { maxLr: 0.1, epochs: 3 }), /OneCycleLR: stepsPerEpoch must be a positive integer, got undefined/],
      [() => new optim.OneCycleLR(sgdm, { maxLr: 0.1, totalSteps: 0 }), /OneCycleLR: totalSteps must be a positive integer, got 0/],
      [() => new optim.OneCycleLR(sgdm, { maxLr: 0.1, totalSteps: 10, pctStart: 1.5 }), /OneCycleLR: pctStart must be a number in \[0, 1\], got 1.5/],
      [() => new optim.OneCycleLR(sgdm, { maxLr: 0.1, totalSteps: 10, annealStrategy: "cosine" as never }), /OneCycleLR: annealStrategy must be "cos" or "linear", got "cosine"/],
      [() => new optim.OneCycleLR(sgdm, { maxLr: 0.1, totalSteps: 10, divFactor: 0 }), /OneCycleLR: divFactor must be a positive number, got 0/],
      [() => new optim.OneCycleLR(sgdm, { maxLr: 0.1, totalSteps: 10, threePhase: 1 as never }), /OneCycleLR: threePhase must be true or false, got 1/],
      [() => new optim.OneCycleLR(sgdm, { maxLr: [0.1, 0.2, 0.3], totalSteps: 10 }), /OneCycleLR: expected 2 values for maxLr/],
    ];
    for (const [make, message] of cases) assert.throws(make, message);
  });

  test("cycling momentum needs an optimizer with momentum or betas", () => {
    const adagrad = new optim.Adagrad([ax.zeros([1], { requiresGrad: true })], { lr: 0.1 });
    assert.throws(() => new optim.CyclicLR(adagrad, { baseLr: 0.01, maxLr: 0.1 }), /CyclicLR: cycleMomentum needs an optimizer with momentum \(SGD, RMSprop\) or betas \(Adam, AdamW\), and Adagrad has neither; pass cycleMomentum: false/);
    assert.throws(() => new optim.OneCycleLR(adagrad, { maxLr: 0.1, totalSteps: 10 }), /OneCycleLR: cycleMomentum needs an optimizer/);
    assert.doesNotThrow(() => new optim.OneCycleLR(adagrad, { maxLr: 0.1, totalSteps: 10, cycleMomentum: false }));
  });

  test("unknown option keys are errors that suggest the name", () => {
    const opt = makeOptimizer();
    assert.throws(() => new optim.LambdaLR(opt, { lr_lambda: () => 1 } as never), /LambdaLR: unknown option "lr_lambda" \(did you mean "lrLambda"\?\)/);
    assert.throws(() => new optim.ConstantLR(opt, { total_iters: 3 } as never), /ConstantLR: unknown option "total_iters" \(did you mean "totalIters"\?\)/);
    assert.throws(() => new optim.PolynomialLR(opt, { pwr: 2 } as never), /PolynomialLR: unknown option "pwr"/);
    assert.throws(() => new optim.CosineAnnealingWarmRestarts(opt, { T_0: 10 } as never), /CosineAnnealingWarmRestarts: unknown option "T_0" \(did you mean "T0"\?\)/);
    assert.throws(() => new optim.CyclicLR(optimizerOf("SGDMomentum"), { baseLr: 0.01, maxLr: 0.1, step_size_up: 4 } as never), /CyclicLR: unknown option "step_size_up" \(did you mean "stepSizeUp"\?\)/);
    assert.throws(() => new optim.OneCycleLR(optimizerOf("SGDMomentum"), { maxLr: 0.1, totalSteps: 10, three_phase: true } as never), /OneCycleLR: unknown option "three_phase" \(did you mean "threePhase"\?\)/);
  });

  test("a rejected scheduler leaves the optimizer as it was", () => {
    const opt = optimizerOf("SGDMomentum");
    assert.throws(() => new optim.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10, pctStart: 2 }));
    assert.throws(() => new optim.CyclicLR(opt, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: -1 }));
    assert.throws(() => new optim.CyclicLR(opt, { baseLr: 0.01, maxLr: 0.1, maxMomentum: [0.9] }));
    assert.throws(() => new optim.LambdaLR(opt, { lrLambda: [] }));
    assert.deepEqual(opt.paramGroups.map((g) => [g.lr, g.initialLr, (g as unknown as { momentum: number }).momentum]), [[LR0, undefined, 0.9], [LR1, undefined, 0.9]]);
  });
});
