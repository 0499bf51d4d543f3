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
