// Every core op against PyTorch, forward and backward, one line per op (as tinygrad's test_ops.py).
// The cases, inputs and expected values come from test/fixtures/ops.json, written by tools/fixtures/ops.py; the
// table below maps each fixture op name to the Axon call that should match it. Every case runs in float32 (the
// fixture's input dtypes) and, where marked, again with float inputs widened to float64 at a tighter tolerance.
// The whole file runs once per registered backend, so a new backend is held to the same table.

import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as ax from "../src/index.js";
import type { DType, Tensor } from "../src/index.js";

type Value = number | boolean | "nan" | "inf" | "-inf";
interface Encoded { shape: number[]; dtype: DType; data: Value[] }
interface Case {
  op: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  args: Record<string, any>;
  inputs: Encoded[];
  outputs: Encoded[];
  f64: boolean;
  /** One per output; null for an integer output, which takes no gradient. */
  upstream?: (number[] | null)[];
  grads?: (Value[] | null)[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type OpFn = (x: Tensor[], a: Record<string, any>) => Tensor | Tensor[];
const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

// ---- the table: fixture op name -> Axon ------------------------------------------------------------------------
const OPS: Record<string, OpFn> = {
  add: ([a, b]) => a.add(b),
  sub: ([a, b]) => a.sub(b),
  mul: ([a, b]) => a.mul(b),
  div: ([a, b]) => a.div(b),
  add_scalar: ([a], { s }) => a.add(s),
  sub_scalar: ([a], { s }) => a.sub(s),
  mul_scalar: ([a], { s }) => a.mul(s),
  div_scalar: ([a], { s }) => a.div(s),
  rsub_scalar: ([a], { s }) => ax.sub(s, a),
  rdiv_scalar: ([a], { s }) => ax.div(s, a),
  neg: ([a]) => a.neg(),
  pow: ([a, b]) => a.pow(b),
  pow_scalar: ([a], { s }) => a.pow(s),
  rpow_scalar: ([a], { s }) => ax.pow(s, a),
  maximum: ([a, b]) => a.maximum(b),
  minimum: ([a, b]) => a.minimum(b),
  eq: ([a, b]) => a.eq(b),
  ne: ([a, b]) => a.ne(b),
  lt: ([a, b]) => a.lt(b),
  le: ([a, b]) => a.le(b),
  gt: ([a, b]) => a.gt(b),
  ge: ([a, b]) => a.ge(b),
  gt_scalar: ([a], { s }) => a.gt(s),
  logical_and: ([a, b]) => a.logicalAnd(b),
  logical_or: ([a, b]) => a.logicalOr(b),
  logical_not: ([a]) => a.logicalNot(),
  isnan: ([a]) => a.isnan(),
  isinf: ([a]) => a.isinf(),
  where: ([c, a, b]) => ax.where(c, a, b),
  where_scalar: ([c, a], { s }) => ax.where(c, a, s),
  exp: ([a]) => a.exp(),
  expm1: ([a]) => a.expm1(),
  log: ([a]) => a.log(),
  log1p: ([a]) => a.log1p(),
  sqrt: ([a]) => a.sqrt(),
  rsqrt: ([a]) => a.rsqrt(),
  abs: ([a]) => a.abs(),
  sign: ([a]) => a.sign(),
  sin: ([a]) => a.sin(),
  cos: ([a]) => a.cos(),
  reciprocal: ([a]) => a.reciprocal(),
  square: ([a]) => a.square(),
  erf: ([a]) => a.erf(),
  floor: ([a]) => a.floor(),
  ceil: ([a]) => a.ceil(),
  round: ([a]) => a.round(),
  clamp: ([a], { min, max }) => a.clamp(min, max),
  tanh: ([a]) => a.tanh(),
  sigmoid: ([a]) => a.sigmoid(),
  relu: ([a]) => a.relu(),
  leaky_relu: ([a], { slope }) => a.leakyRelu(slope),
  elu: ([a], { alpha }) => ax.elu(a, alpha),
  selu: ([a]) => ax.selu(a),
  gelu: ([a], { approximate }) => a.gelu(approximate),
  silu: ([a]) => a.silu(),
  softplus: ([a], { beta, threshold }) => a.softplus(beta, threshold),
  mish: ([a]) => ax.mish(a),
  hardtanh: ([a], { min, max }) => ax.hardtanh(a, min, max),
  relu6: ([a]) => ax.relu6(a),
  hardsigmoid: ([a]) => ax.hardsigmoid(a),
  hardswish: ([a]) => ax.hardswish(a),
  softmax: ([a], { dim }) => a.softmax(dim),
  log_softmax: ([a], { dim }) => a.logSoftmax(dim),
  sum: ([a], { dim, keepdim }) => a.sum(opt(dim), keepdim),
  mean: ([a], { dim, keepdim }) => a.mean(opt(dim), keepdim),
  max: ([a], { dim, keepdim }) => (dim === null ? a.max() : a.amax(dim, keepdim)),
  min: ([a], { dim, keepdim }) => (dim === null ? a.min() : ax.amin(a, dim, keepdim)),
  max_dim: ([a], { dim, keepdim }) => [...a.max(dim, keepdim)],
  min_dim: ([a], { dim, keepdim }) => {
    const { values, indices } = ax.min(a, dim, keepdim);
    return [values, indices];
  },
  amax: ([a], { dim, keepdim }) => ax.amax(a, opt(dim), keepdim),
  amin: ([a], { dim, keepdim }) => a.amin(opt(dim), keepdim),
  max_other: ([a, b]) => ax.max(a, b),
  min_other: ([a, b]) => a.min(b),
  argmax: ([a], { dim, keepdim }) => a.argmax(opt(dim), keepdim),
  argmin: ([a], { dim, keepdim }) => a.argmin(opt(dim), keepdim),
  var: ([a], { dim, correction, keepdim }) => a.var(opt(dim), { correction, keepdim }),
  std: ([a], { dim, correction, keepdim }) => a.std(opt(dim), { correction, keepdim }),
  logsumexp: ([a], { dim, keepdim }) => a.logsumexp(dim, keepdim),
  matmul: ([a, b]) => a.matmul(b),
  matmul_tb: ([a, b]) => a.matmul(b.mT),
  matmul_ta: ([a, b]) => a.mT.matmul(b),
  matmul_strided: ([a, b]) => a.slice(0, 0, undefined, 2).matmul(b),
  matmul_permuted: ([a, b]) => a.permute([1, 0, 2]).matmul(b),
  reshape: ([a], { shape }) => a.reshape(shape),
  flatten: ([a], { start, end }) => a.flatten(start, end),
  transpose: ([a], { d0, d1 }) => a.transpose(d0, d1),
  permute: ([a], { dims }) => a.permute(dims),
  squeeze: ([a], { dim }) => a.squeeze(opt(dim)),
  unsqueeze: ([a], { dim }) => a.unsqueeze(dim),
  expand: ([a], { shape }) => a.expand(shape),
  slice: ([a], { dim, start, end, step }) => a.slice(dim, opt(start), opt(end), step),
  narrow: ([a], { dim, start, length }) => a.narrow(dim, start, length),
  select: ([a], { dim, index }) => a.select(dim, index),
  cat: (xs, { dim }) => ax.cat(xs, dim),
  stack: (xs, { dim }) => ax.stack(xs, dim),
  split: ([a], { size, dim }) => a.split(size, dim),
  chunk: ([a], { chunks, dim }) => a.chunk(chunks, dim),
  pad: ([a], { pad, mode, value }) => ax.pad(a, pad, mode ?? "constant", value ?? 0),
  transpose_mul: ([a, b]) => a.transpose(0, 1).mul(b),
  slice_step_exp: ([a]) => a.slice(1, 0, undefined, 2).exp(),
  index_select: ([a, i], { dim }) => a.indexSelect(dim, i),
  gather: ([a, i], { dim }) => a.gather(dim, i),
  scatter_add: ([a, i, s], { dim }) => a.scatterAdd(dim, i, s),
  one_hot: ([i], { n }) => ax.oneHot(i, n),
  scatter: ([a, i, s], { dim }) => a.scatter(dim, i, s),
  scatter_value: ([a, i], { dim, value }) => ax.scatter(a, dim, i, value),
  prod: ([a], { dim, keepdim }) => a.prod(opt(dim), keepdim),
  cumsum: ([a], { dim }) => a.cumsum(dim),
  sort: ([a], { dim, descending }) => {
    const { values, indices } = a.sort(dim, descending);
    return [values, indices];
  },
  argsort: ([a], { dim, descending }) => ax.argsort(a, dim, descending),
  topk: ([a], { k, dim, largest }) => [...ax.topk(a, k, dim, largest)],
  masked_fill: ([a, m], { value }) => a.maskedFill(m, value),
  tril: ([a], { diagonal }) => a.tril(diagonal),
  triu: ([a], { diagonal }) => ax.triu(a, diagonal),
  isfinite: ([a]) => a.isfinite(),
  isclose: ([a, b], { rtol, atol, equal_nan }) => ax.isclose(a, b, { rtol, atol, equalNan: equal_nan }),
  allclose: ([a, b], { rtol, atol }) => ax.tensor(a.allclose(b, { rtol, atol })),
  equal: ([a, b]) => ax.tensor(ax.equal(a, b)),
  all: ([a], { dim, keepdim }) => a.all(opt(dim), keepdim),
  any: ([a], { dim, keepdim }) => ax.any(a, opt(dim), keepdim),
  norm: ([a], { p, dim, keepdim }) => a.norm(p === "inf" ? Infinity : p === "-inf" ? -Infinity : p, opt(dim), keepdim),
  flip: ([a], { dims }) => a.flip(dims),
  repeat: ([a], { sizes }) => a.repeat(sizes),
  unbind: ([a], { dim }) => a.unbind(dim),
  mm: ([a, b]) => a.mm(b),
  bmm: ([a, b]) => ax.bmm(a, b),
  outer: ([a, b]) => ax.outer(a, b),
  arange: (_, { args }) => ax.arange(args[0], args[1], args[2]),
  linspace: (_, { start, end, steps }) => ax.linspace(start, end, steps),
  eye: (_, { n, m }) => ax.eye(n, m),
};

// Exports tested elsewhere (tensor.test.ts: creation, random, views, in-place; gradcheck and errors tests), or
// not ops at all. Any other exported function must have a row above, so a new op cannot slip in untested.
const NOT_IN_TABLE = new Set([
  "tensor", "zeros", "ones", "full", "zerosLike", "onesLike", "fullLike", "rand", "randn", "randint", "randperm",
  "manualSeed", "view", "contiguous", "clone", "concat", "noGrad", "enableGrad", "isGradEnabled", "setGradEnabled",
  "gradcheck", "setBackend", "getBackend", "listBackends", "registerBackend", "Tensor", "Generator", "ShapeError",
  // convolution, pooling and normalization: their own table against PyTorch in conv.test.ts (fixtures/conv.json)
  "conv1d", "conv2d", "convTranspose2d", "maxPool2d", "avgPool2d", "adaptiveAvgPool2d", "batchNorm", "layerNorm",
  // not tensor ops: training, models and files, tested in fit, summary, zoo, perceptron and safetensors tests
  "fit", "evaluate", "predict", "EarlyStopping", "defaultAccuracy", "summary", "Perceptron", "mlp", "cnn", "buildModel",
  "serializeSafetensors", "parseSafetensors", "SafetensorsError", "serializeModel", "parseModel",
]);

// ---- the harness -----------------------------------------------------------------------------------------------
const fixture = JSON.parse(readFileSync(new URL("./fixtures/ops.json", import.meta.url), "utf8")) as { cases: Case[] };

const decode = (v: Value): number => (v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : Number(v));
const camel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function makeInput(e: Encoded, dtype: DType): Tensor {
  return ax.tensor(Float64Array.from(e.data, decode), { dtype }).reshape(e.shape);
}

interface Tol { atol: number; rtol: number }
const TOL: Record<"float32" | "float64", Tol> = {
  float32: { atol: 1e-4, rtol: 1e-4 },
  float64: { atol: 1e-10, rtol: 1e-9 },
};

// Per-op loosening of the float64 tolerance, each with its reason.
const F64_RTOL: Record<string, number> = {
  hardsigmoid: 1e-7, // torch's hardsigmoid_backward multiplies by 1.0f / 6.0f, a float32 constant, even in float64
};

function close(what: string, actual: ArrayLike<number>, expected: readonly Value[], tol: Tol | null): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} elements, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const a = Number(actual[i]), e = decode(expected[i]);
    const ok = Number.isNaN(e) ? Number.isNaN(a)
      : !Number.isFinite(e) || tol === null ? a === e
      : Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e);
    if (!ok) {
      assert.fail(`${what}: element ${i} is ${a}, expected ${e}\n  actual:   [${Array.from(actual).slice(0, 24).join(", ")}]\n  expected: [${expected.slice(0, 24).join(", ")}]`);
    }
  }
}

function runCase(c: Case, wide: boolean): void {
  const mode = wide ? "float64" : "float32";
  const tol = wide && c.op in F64_RTOL ? { ...TOL.float64, rtol: F64_RTOL[c.op] } : TOL[mode];
  const dtypeOf = (d: DType): DType => (wide && d === "float32" ? "float64" : d);
  const inputs = c.inputs.map((e, i) => {
    const t = makeInput(e, dtypeOf(e.dtype));
    if (c.grads?.[i]) t.requiresGrad = true;
    return t;
  });
  const result = OPS[c.op](inputs, c.args);
  const outs = Array.isArray(result) ? result : [result];
  assert.equal(outs.length, c.outputs.length, `${c.op}: ${outs.length} outputs, expected ${c.outputs.length}`);
  const anyF32 = c.inputs.some((e) => e.dtype === "float32");
  outs.forEach((o, k) => {
    const e = c.outputs[k];
    assert.deepEqual(o.shape, e.shape, `${c.op} [${mode}]: output ${k} has shape [${o.shape}], expected [${e.shape}]`);
    const dt = wide && anyF32 && e.dtype === "float32" ? "float64" : e.dtype;
    assert.equal(o.dtype, dt, `${c.op} [${mode}]: output ${k} has dtype ${o.dtype}, expected ${dt}`);
    close(`${c.op} [${mode}] output ${k}`, o.contiguous().toTypedArray(), e.data, o.dtype === "float32" || o.dtype === "float64" ? tol : null);
  });
  if (!c.upstream || !c.grads) return;
  if (outs.length === 1) {
    outs[0].backward(makeInput({ shape: outs[0].shape as number[], dtype: outs[0].dtype, data: c.upstream[0]! }, outs[0].dtype));
  } else {
    const loss = outs.flatMap((o, k) => {
      const up = c.upstream![k];
      return up === null ? [] : [o.mul(makeInput({ shape: o.shape as number[], dtype: o.dtype, data: up }, o.dtype)).sum()];
    }).reduce((s, t) => s.add(t));
    loss.backward();
  }
  c.grads.forEach((expected, i) => {
    if (!expected) return;
    const g = inputs[i].grad;
    if (g === null) {
      assert.ok(expected.every((v) => v === 0), `${c.op} [${mode}]: input ${i} got no gradient, expected a non-zero one`);
      return;
    }
    assert.deepEqual(g.shape, inputs[i].shape, `${c.op} [${mode}]: gradient of input ${i} has shape [${g.shape}]`);
    assert.equal(g.dtype, inputs[i].dtype, `${c.op} [${mode}]: gradient of input ${i} has dtype ${g.dtype}`);
    close(`${c.op} [${mode}] gradient of input ${i}`, g.contiguous().toTypedArray(), expected, tol);
  });
}

function describeCase(c: Case): string {
  const ins = c.inputs.map((e) => `${e.dtype}[${e.shape}]`).join(", ");
  const args = Object.entries(c.args).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ");
  return `${c.op}(${ins})${args ? " " + args : ""}`;
}

test("the op table and the fixture cover each other and every exported op", () => {
  const fixtureOps = new Set(fixture.cases.map((c) => c.op));
  for (const op of fixtureOps) assert.ok(op in OPS, `fixture op ${op} has no row in the table`);
  for (const op of Object.keys(OPS)) assert.ok(fixtureOps.has(op), `table row ${op} has no fixture case`);
  const covered = new Set(Object.keys(OPS).map((op) => camel(op.replace(/_(scalar|tb|ta|strided|permuted)$/, ""))));
  covered.add("variance");
  const missing = Object.entries(ax)
    .filter(([name, v]) => typeof v === "function" && !NOT_IN_TABLE.has(name) && !covered.has(name))
    .map(([name]) => name);
  assert.deepEqual(missing, [], `exported ops without a fixture row: ${missing.join(", ")}`);
});

const previous = ax.getBackend().name;
for (const backend of ax.listBackends()) {
  describe(`ops match PyTorch on the ${backend} backend`, () => {
    before(() => ax.setBackend(backend));
    after(() => ax.setBackend(previous));
    fixture.cases.forEach((c, i) => {
      test(`#${i} ${describeCase(c)}`, () => {
        runCase(c, false);
        if (c.f64) runCase(c, true);
      });
    });
  });
}

describe("var and std: PyTorch's older unbiased flag", () => {
  test("unbiased false is correction 0 and true correction 1; both at once is an error", () => {
    // torch 1.13: tensor([1., 2., 3., 4.], dtype=float64).var(unbiased=False) = 1.25, unbiased=True 1.6666666666666667,
    // .std(unbiased=False) = 1.118033988749895
    const z = ax.tensor([1, 2, 3, 4], { dtype: "float64" });
    assert.equal(z.var(undefined, { unbiased: false }).item(), 1.25);
    assert.equal(z.var(undefined, { unbiased: true }).item(), 5 / 3);
    assert.equal(z.std(undefined, { unbiased: false }).item(), Math.sqrt(1.25));
    assert.equal(z.var(0, { unbiased: false, keepdim: true }).shape.length, 1);
    assert.throws(() => z.var(undefined, { unbiased: true, correction: 0 }), /var: give either unbiased or correction, not both/);
  });
});

describe("where with two scalars", () => {
  test("gives PyTorch's dtype: bool for booleans, int32 for integers (int64 in PyTorch), float32 otherwise", () => {
    // torch 1.13, c = tensor([True, False]): where(c, 1, 0) int64 [1, 0]; where(c, 1.5, 0) float32 [1.5, 0.];
    // where(c, True, False) bool; where(c, True, 1) int64 [1, 1]; where(c, False, 0.5) float32 [0., 0.5]
    const c = ax.tensor([true, false]);
    const cases: [number | boolean, number | boolean, DType, (number | boolean)[]][] = [
      [1, 0, "int32", [1, 0]], [1.5, 0, "float32", [1.5, 0]], [true, false, "bool", [true, false]],
      [true, 1, "int32", [1, 1]], [false, 0.5, "float32", [0, 0.5]],
    ];
    for (const [a, b, dtype, values] of cases) {
      const r = ax.where(c, a, b);
      assert.equal(r.dtype, dtype, `where(c, ${a}, ${b})`);
      assert.deepEqual(r.toArray(), values);
    }
  });
});

describe("clamp of an integer tensor", () => {
  test("with a fractional bound it clamps as float32, bounds untruncated; integer bounds keep int32", () => {
    // torch 1.13, x = tensor([1, 2, 5], dtype=int32): x.clamp(1.5, 3.5) float32 [1.5, 2., 3.5];
    // x.clamp(2, 3) int32 [2, 2, 3]; x.clamp(None, 3.5) float32 [1., 2., 3.5]
    const x = ax.tensor([1, 2, 5], { dtype: "int32" });
    const a = x.clamp(1.5, 3.5), b = x.clamp(2, 3), c = x.clamp(null, 3.5);
    assert.deepEqual([a.dtype, b.dtype, c.dtype], ["float32", "int32", "float32"]);
    assert.deepEqual([a.toArray(), b.toArray(), c.toArray()], [[1.5, 2, 3.5], [2, 2, 3], [1, 2, 3.5]]);
  });
});

describe("max and min: PyTorch's other forms", () => {
  test("max(a, b) and min(a, b) are elementwise; amax and amin are the reductions; oneHot is in nn.functional", () => {
    // torch 1.13: torch.max(tensor([1., 5.]), tensor([3., 2.])) = [3., 5.]; torch.min(...) = [1., 2.]
    const a = ax.tensor([1, 5]), b = ax.tensor([3, 2]);
    assert.deepEqual(ax.max(a, b).toArray(), [3, 5]);
    assert.deepEqual(a.min(b).toArray(), [1, 2]);
    const m = ax.tensor([[1, 7], [4, 2]]);
    assert.deepEqual(m.amax(1).toArray(), [7, 4]);
    assert.deepEqual(ax.amin(m, 0).toArray(), [1, 2]);
    assert.deepEqual(ax.nn.functional.oneHot(ax.tensor([2, 0], { dtype: "int32" }), 3).toArray(), [[0, 0, 1], [1, 0, 0]]);
  });
});

describe("sort and topk: PyTorch's (values, indices) pair, and their edges", () => {
  test("the result destructures both as an object and as a pair; 0-d tensors and bad k", () => {
    // torch 1.13: torch.topk(tensor([[3., 1., 2.]]), 2) = (values [[3., 2.]], indices [[0, 2]]); torch.sort of the
    // 0-d tensor(2.5) = (tensor(2.5), tensor(0)); topk(y, 4) raises "selected index k out of range"
    const y = ax.tensor([[3, 1, 2]]);
    const { values, indices } = y.topk(2);
    const [v, i] = ax.topk(y, 2);
    assert.deepEqual([values.toArray(), indices.toArray(), indices.dtype], [[[3, 2]], [[0, 2]], "int32"]);
    assert.deepEqual([v.toArray(), i.toArray()], [[[3, 2]], [[0, 2]]]);
    const s = ax.tensor(2.5).sort();
    assert.deepEqual([s.values.shape, s.values.item(), s.indices.item()], [[], 2.5, 0]);
    assert.throws(() => y.topk(4), /topk: k = 4 is out of range for dimension 1 of size 3 \(input shape \[1,3\]\)/);
    assert.throws(() => y.topk(1, 2), /topk: dimension 2 is out of range/);
    assert.throws(() => ax.prod(y, [0, 1] as unknown as number), /prod: dim must be one dimension/);
  });

  test("the gradient of sort's values goes back to where each value came from, through a view", () => {
    const x = ax.tensor([[0.5, -1, 2], [3, 0, 1]], { dtype: "float64", requiresGrad: true });
    const { values } = x.t().sort(0, true); // columns of x^T are the rows of x, sorted descending
    values.mul(ax.tensor([[1], [10], [100]], { dtype: "float64" })).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [[10, 100, 1], [1, 100, 10]]);
  });
});

describe("oneHot's default class count", () => {
  test("is max(index) + 1 also for large inputs (it used to overflow the call stack)", () => {
    const idx = ax.tensor(Int32Array.from({ length: 200_000 }, (_, i) => i % 5), { dtype: "int32" });
    const out = ax.oneHot(idx);
    assert.deepEqual(out.shape, [200_000, 5]);
    assert.deepEqual(out.narrow(0, 199_998, 2).toArray(), [[0, 0, 0, 1, 0], [0, 0, 0, 0, 1]]);
  });
});

describe("pow at the points where JavaScript's Math.pow differs from C's (and PyTorch's)", () => {
  test("1 to any power, NaN and the infinities included, and -1 to an infinite power are 1", () => {
    // torch 1.13: torch.pow(tensor([1., 1., 1., -1., -1., 2.]), tensor([nan, inf, -inf, inf, -inf, nan]))
    //   = [1., 1., 1., 1., 1., nan]
    const out = ax.pow(ax.tensor([1, 1, 1, -1, -1, 2]), ax.tensor([NaN, Infinity, -Infinity, Infinity, -Infinity, NaN]));
    assert.deepEqual(Array.from(out.toTypedArray()), [1, 1, 1, 1, 1, NaN]);
    assert.equal(ax.pow(ax.tensor([1]), NaN).item(), 1);
  });
});
