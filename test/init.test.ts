// nn.init: gains and fans against PyTorch (fixtures from tools/fixtures/nn.py), the statistics of every random
// initialiser on large tensors, reproducibility under manualSeed and with an explicit generator, and the errors.

import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as ax from "../src/index.js";
import { Tensor, nn } from "../src/index.js";

const init = nn.init;
const fx = JSON.parse(readFileSync(new URL("./fixtures/nn.json", import.meta.url), "utf8")) as {
  gains: Record<string, number>;
  fans: [number[], [number, number]][];
};

function stats(t: Tensor): { mean: number; std: number; min: number; max: number } {
  const a = Array.from(t.contiguous().toTypedArray());
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  const std = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
  let min = Infinity, max = -Infinity;
  for (const v of a) { min = Math.min(min, v); max = Math.max(max, v); }
  return { mean, std, min, max };
}

/** Uniform on [-b, b): all inside, the extremes near the bounds, std b/sqrt(3). */
function assertUniform(t: Tensor, bound: number, what: string): void {
  const s = stats(t);
  assert.ok(s.min >= -bound && s.max <= bound, `${what}: values within +-${bound} (got ${s.min}, ${s.max})`);
  assert.ok(s.min < -0.99 * bound && s.max > 0.99 * bound, `${what}: values reach the bounds`);
  assert.ok(Math.abs(s.mean) < 0.02 * bound, `${what}: mean ${s.mean}`);
  assert.ok(Math.abs(s.std / (bound / Math.sqrt(3)) - 1) < 0.02, `${what}: std ${s.std} vs ${bound / Math.sqrt(3)}`);
}

function assertNormal(t: Tensor, mean: number, std: number, what: string): void {
  const s = stats(t);
  assert.ok(Math.abs(s.mean - mean) < 0.02 * std, `${what}: mean ${s.mean} vs ${mean}`);
  assert.ok(Math.abs(s.std / std - 1) < 0.02, `${what}: std ${s.std} vs ${std}`);
}

describe("gains and fans match PyTorch", () => {
  test("calculateGain", () => {
    const g = fx.gains;
    assert.equal(init.calculateGain("linear"), g.linear);
    assert.equal(init.calculateGain("conv2d"), g.conv2d);
    assert.equal(init.calculateGain("sigmoid"), g.sigmoid);
    assert.equal(init.calculateGain("tanh"), g.tanh);
    assert.equal(init.calculateGain("relu"), g.relu);
    assert.equal(init.calculateGain("selu"), g.selu);
    assert.ok(Math.abs(init.calculateGain("leakyRelu") - g.leakyRelu) < 1e-15);
    assert.ok(Math.abs(init.calculateGain("leakyRelu", 0.2) - g["leakyRelu0.2"]) < 1e-15);
    assert.ok(Math.abs(init.calculateGain("leakyRelu", Math.sqrt(5)) - g.leakyReluSqrt5) < 1e-15);
  });

  test("calculateFanInAndFanOut", () => {
    for (const [shape, fans] of fx.fans) assert.deepEqual(init.calculateFanInAndFanOut(ax.zeros(shape)), fans, `shape ${shape}`);
  });
});

describe("initialiser statistics", () => {
  const big = () => ax.zeros([400, 500]); // fanIn 500, fanOut 400, 200k values

  test("uniform_ and normal_", () => {
    ax.manualSeed(1);
    const u = init.uniform_(big(), 2, 5);
    const s = stats(u);
    assert.ok(s.min >= 2 && s.max < 5 && Math.abs(s.mean - 3.5) < 0.01);
    assertNormal(init.normal_(big(), 1.5, 0.3), 1.5, 0.3, "normal_");
    assertNormal(init.normal_(big()), 0, 1, "normal_ default");
  });

  test("constant_, zeros_, ones_", () => {
    assert.deepEqual(init.constant_(ax.zeros([2]), 0.5).toArray(), [0.5, 0.5]);
    assert.deepEqual(init.ones_(ax.zeros([2])).toArray(), [1, 1]);
    assert.deepEqual(init.zeros_(ax.ones([2])).toArray(), [0, 0]);
  });

  test("xavier", () => {
    ax.manualSeed(2);
    assertUniform(init.xavierUniform_(big()), Math.sqrt(6 / 900), "xavierUniform_");
    assertUniform(init.xavierUniform_(big(), 2), 2 * Math.sqrt(6 / 900), "xavierUniform_ gain 2");
    assertNormal(init.xavierNormal_(big(), init.calculateGain("tanh")), 0, (5 / 3) * Math.sqrt(2 / 900), "xavierNormal_");
  });

  test("kaiming", () => {
    ax.manualSeed(3);
    const leaky0 = Math.sqrt(2); // default: leakyRelu with a = 0
    assertUniform(init.kaimingUniform_(big()), leaky0 * Math.sqrt(3 / 500), "kaimingUniform_");
    assertUniform(init.kaimingUniform_(big(), { mode: "fanOut", nonlinearity: "relu" }), Math.sqrt(2) * Math.sqrt(3 / 400), "kaimingUniform_ fanOut");
    assertUniform(init.kaimingUniform_(big(), { a: Math.sqrt(5) }), 1 / Math.sqrt(500), "kaimingUniform_ a=sqrt(5)");
    assertNormal(init.kaimingNormal_(big()), 0, leaky0 / Math.sqrt(500), "kaimingNormal_");
    assertNormal(init.kaimingNormal_(big(), { mode: "fanOut", nonlinearity: "tanh" }), 0, (5 / 3) / Math.sqrt(400), "kaimingNormal_ fanOut tanh");
    // a conv-shaped weight: fanIn = 16 * 3 * 3
    assertUniform(init.kaimingUniform_(ax.zeros([2000, 16, 3, 3])), leaky0 * Math.sqrt(3 / 144), "kaimingUniform_ 4-D");
  });

  test("Linear's default init is U(-1/sqrt(in), 1/sqrt(in)) for weight and bias", () => {
    ax.manualSeed(4);
    const l = new nn.Linear(256, 1000);
    assertUniform(l.weight, 1 / 16, "Linear weight");
    const b = stats(l.bias!);
    assert.ok(b.min >= -1 / 16 && b.max <= 1 / 16 && b.max > 0.05);
  });

  test("initialises parameters that require grad, and strided views", () => {
    const p = new nn.Parameter(ax.zeros([3, 4]));
    init.kaimingUniform_(p);
    init.constant_(p, 2);
    assert.equal(p.sum().item(), 24);
    const base = ax.zeros([4, 6]);
    const view = base.t(); // non-contiguous
    init.ones_(view);
    init.uniform_(view.narrow(0, 0, 3), 5, 6);
    const cols = base.narrow(1, 0, 3).toTypedArray();
    assert.ok(Array.from(cols).every((v) => v >= 5 && v < 6));
    assert.ok(Array.from(base.narrow(1, 3, 3).contiguous().toTypedArray()).every((v) => v === 1));
  });
});

describe("reproducibility", () => {
  test("manualSeed reproduces every random initialiser and whole models", () => {
    const draw = () => [
      init.uniform_(ax.zeros([10])), init.normal_(ax.zeros([10])), init.xavierUniform_(ax.zeros([3, 4])),
      init.xavierNormal_(ax.zeros([3, 4])), init.kaimingUniform_(ax.zeros([3, 4])), init.kaimingNormal_(ax.zeros([3, 4])),
    ].map((t) => t.toArray());
    ax.manualSeed(42);
    const a = draw();
    ax.manualSeed(42);
    assert.deepEqual(draw(), a);
    ax.manualSeed(42);
    const m1 = new nn.Sequential(new nn.Linear(5, 4), new nn.Linear(4, 2)).stateDict();
    ax.manualSeed(42);
    const m2 = new nn.Sequential(new nn.Linear(5, 4), new nn.Linear(4, 2)).stateDict();
    for (const k of Object.keys(m1)) assert.deepEqual(m1[k].toArray(), m2[k].toArray());
  });

  test("an explicit generator leaves the global one alone", () => {
    ax.manualSeed(5);
    const expected = ax.rand([3]).toArray();
    ax.manualSeed(5);
    const g = new ax.Generator(99);
    const a = init.normal_(ax.zeros([4]), 0, 1, g).toArray();
    init.kaimingUniform_(ax.zeros([2, 2]), { generator: g });
    assert.deepEqual(ax.rand([3]).toArray(), expected);
    assert.deepEqual(init.normal_(ax.zeros([4]), 0, 1, new ax.Generator(99)).toArray(), a);
  });
});

describe("init errors", () => {
  test("fans need 2 dimensions; PyTorch spellings get a hint", () => {
    assert.throws(() => init.xavierUniform_(ax.zeros([5])), /fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions \(shape \[5\]\)/);
    assert.throws(() => init.kaimingNormal_(ax.zeros([2, 2]), { mode: "fan_in" as "fanIn" }), /use "fanIn" or "fanOut" \(Axon spells it "fanIn" \/ "fanOut"\)/);
    assert.throws(() => init.calculateGain("leaky_relu" as "leakyRelu"), /unsupported nonlinearity "leaky_relu" \(Axon spells it "leakyRelu"\)/);
    assert.throws(() => init.uniform_(ax.zeros([2]), 1, 0), /expected a <= b/);
    assert.throws(() => init.normal_(ax.zeros([2]), 0, -1), /std must be non-negative/);
  });
});
