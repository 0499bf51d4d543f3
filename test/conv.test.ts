// Convolutional networks: conv1d/conv2d/convTranspose2d, pooling, batchNorm/layerNorm/groupNorm and dropout2d against
// PyTorch (test/fixtures/conv.json, written by tools/fixtures/conv.py), forward and backward, in float64 and
// float32; gradcheck of every op; the errors; the layers' state-dict keys, defaults and train/eval behaviour;
// and a small CNN that learns. The fixture and gradcheck parts run once per registered backend.

import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as ax from "../src/index.js";
import { nn, type DType, type Tensor } from "../src/index.js";

const F = nn.functional;

interface Encoded { shape: number[]; data: number[]; dtype: "float64" | "int32" }
interface Case {
  op: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  args: Record<string, any>;
  inputs: Encoded[];
  output: Encoded;
  upstream: Encoded;
  grads: Encoded[];
  running?: { mean: Encoded; var: Encoded; meanAfter: Encoded; varAfter: Encoded };
}
interface BnStep {
  training: boolean;
  input: Encoded;
  output: Encoded;
  runningMean: Encoded | null;
  runningVar: Encoded | null;
  numBatchesTracked: number | null;
}
interface Fixture {
  cases: Case[];
  bnModules: { name: string; weight: Encoded | null; bias: Encoded | null; steps: BnStep[] }[];
  stateDicts: Record<string, [string, number[]][]>;
}
const fx = JSON.parse(readFileSync(new URL("./fixtures/conv.json", import.meta.url), "utf8")) as Fixture;

const decode = (e: Encoded, dtype: DType = e.dtype): Tensor => ax.tensor(Float64Array.from(e.data), { dtype }).reshape(e.shape);

interface Tol { atol: number; rtol: number }
const TOL: Record<"float32" | "float64", Tol> = {
  float32: { atol: 2e-5, rtol: 2e-5 },
  float64: { atol: 1e-10, rtol: 1e-9 },
};

function close(what: string, actual: Tensor, expected: Encoded, tol: Tol): void {
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape [${actual.shape}], expected [${expected.shape}]`);
  const a = actual.contiguous().toTypedArray();
  for (let i = 0; i < expected.data.length; i++) {
    const e = expected.data[i];
    if (!(Math.abs(a[i] - e) <= tol.atol + tol.rtol * Math.abs(e))) {
      assert.fail(`${what}: element ${i} is ${a[i]}, PyTorch ${e}\n  actual:   [${Array.from(a).slice(0, 12).join(", ")}]\n  expected: [${expected.data.slice(0, 12).join(", ")}]`);
    }
  }
}

/** A layer built from the fixture's options, with its weight (and bias) replaced by the fixture's inputs so that
 *  their gradients reach them; forward gets outputSize when the case has one. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function viaModule(cls: any, [x, w, b]: Tensor[], { outputSize, ...opts }: Record<string, any>, dtype: DType): Tensor {
  const groups = opts.groups ?? 1;
  const transposed = cls === nn.ConvTranspose2d;
  const [cin, cout] = transposed ? [w.shape[0], w.shape[1] * groups] : [w.shape[1] * groups, w.shape[0]];
  const layer = new cls(cin, cout, w.shape.slice(2), { ...opts, bias: b !== undefined, dtype });
  layer.weight = w;
  if (b !== undefined) layer.bias = b;
  return outputSize === undefined ? layer.call(x) : layer.call(x, outputSize);
}

// ---- the table: fixture op -> Axon call ------------------------------------------------------------------------
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type OpFn = (x: Tensor[], a: Record<string, any>, c: Case, dtype: DType) => Tensor;
const OPS: Record<string, OpFn> = {
  conv1d: ([x, w, b], a) => F.conv1d(x, w, b ?? null, a),
  conv2d: ([x, w, b], a) => F.conv2d(x, w, b ?? null, a),
  convTranspose2d: ([x, w, b], a) => F.convTranspose2d(x, w, b ?? null, a),
  maxPool2d: ([x], { kernelSize, ...a }) => F.maxPool2d(x, kernelSize, a),
  avgPool2d: ([x], { kernelSize, ...a }) => F.avgPool2d(x, kernelSize, a),
  adaptiveAvgPool2d: ([x], { outputSize }) => F.adaptiveAvgPool2d(x, outputSize),
  interpolate: ([x], a) => F.interpolate(x, a),
  Upsample: ([x], a) => new nn.Upsample(a).call(x),
  Conv1d: (x, a, _c, dtype) => viaModule(nn.Conv1d, x, a, dtype),
  Conv2d: (x, a, _c, dtype) => viaModule(nn.Conv2d, x, a, dtype),
  ConvTranspose2d: (x, a, _c, dtype) => viaModule(nn.ConvTranspose2d, x, a, dtype),
  layerNorm: ([x, weight, bias], { normalizedShape, eps }) => F.layerNorm(x, normalizedShape, { weight, bias, eps }),
  groupNorm: ([x, weight, bias], { numGroups, eps }) => F.groupNorm(x, numGroups, weight ?? null, bias ?? null, eps),
  batchNorm: ([x, weight, bias], a, c, dtype) => {
    const rm = decode(c.running!.mean, dtype), rv = decode(c.running!.var, dtype);
    const y = F.batchNorm(x, rm, rv, { weight, bias, ...a });
    const tol = TOL[dtype as "float32" | "float64"];
    close("batchNorm running mean after", rm, c.running!.meanAfter, tol);
    close("batchNorm running var after", rv, c.running!.varAfter, tol);
    return y;
  },
};

function runCase(c: Case, dtype: "float32" | "float64"): void {
  const tol = TOL[dtype];
  const inputs = c.inputs.map((e) => decode(e, dtype).requiresGrad_());
  const y = OPS[c.op](inputs, c.args, c, dtype);
  assert.equal(y.dtype, dtype);
  close(`${c.op} [${dtype}] output`, y, c.output, tol);
  y.backward(decode(c.upstream, dtype));
  c.grads.forEach((g, i) => {
    assert.ok(inputs[i].grad !== null, `${c.op} [${dtype}]: input ${i} got no gradient`);
    close(`${c.op} [${dtype}] gradient of input ${i}`, inputs[i].grad!, g, tol);
  });
}

const describeCase = (c: Case): string =>
  `${c.op}(${c.inputs.map((e) => `[${e.shape}]`).join(", ")}) ${Object.entries(c.args).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ")}`;

test("the fixture covers every conv, pooling and normalization op", () => {
  const ops = new Set(fx.cases.map((c) => c.op));
  for (const op of ["conv1d", "conv2d", "convTranspose2d", "maxPool2d", "avgPool2d", "adaptiveAvgPool2d", "batchNorm", "layerNorm"]) {
    assert.ok(ops.has(op), `no fixture case for ${op}`);
    assert.equal(typeof (ax as unknown as Record<string, unknown>)[op], "function", `${op} is not exported from the package root`);
    assert.equal(typeof (F as unknown as Record<string, unknown>)[op], "function", `${op} is not in nn.functional`);
  }
  for (const layer of ["Conv1d", "Conv2d", "ConvTranspose2d"]) assert.ok(ops.has(layer), `no fixture case for the ${layer} module`);
  // groupNorm is in nn.functional only: the package root's list of ops is outside this change.
  assert.ok(ops.has("groupNorm"), "no fixture case for groupNorm");
  assert.ok(ops.has("interpolate") && ops.has("Upsample"), "no fixture case for interpolate or Upsample");
  assert.equal(typeof F.interpolate, "function");
  assert.equal(typeof F.groupNorm, "function");
  for (const op of ops) assert.ok(op in OPS, `fixture op ${op} has no row in the table`);
});

// ---- gradcheck cases: small shapes (the Jacobian costs one backward per output element) --------------------------
const gen = new ax.Generator(4321);
const r = (...shape: number[]): Tensor => ax.randn(shape, { dtype: "float64", generator: gen }).requiresGrad_();
type GradCase = [name: string, fn: (...x: Tensor[]) => Tensor, inputs: () => Tensor[]];
const GRAD_CASES: GradCase[] = [
  ["conv2d stride 2, padding 1, bias", (x, w, b) => F.conv2d(x, w, b, { stride: 2, padding: 1 }), () => [r(2, 2, 5, 4), r(3, 2, 3, 2), r(3)]],
  ["conv2d dilation, groups 2", (x, w) => F.conv2d(x, w, null, { dilation: [2, 1], groups: 2 }), () => [r(1, 4, 5, 4), r(4, 2, 2, 2)]],
  ["conv2d padding same (even kernel)", (x, w) => F.conv2d(x, w, null, { padding: "same" }), () => [r(1, 2, 4, 3), r(2, 2, 2, 2)]],
  ["conv2d unbatched", (x, w, b) => F.conv2d(x, w, b), () => [r(2, 3, 3), r(2, 2, 2, 2), r(2)]],
  ["conv1d stride, dilation, groups, bias", (x, w, b) => F.conv1d(x, w, b, { stride: 2, padding: 1, dilation: 2, groups: 2 }), () => [r(2, 4, 7), r(2, 2, 2), r(2)]],
  ["convTranspose2d stride 2, outputPadding 1", (x, w, b) => F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }), () => [r(1, 2, 3, 2), r(2, 2, 3, 3), r(2)]],
  ["convTranspose2d groups 2, dilation 2", (x, w) => F.convTranspose2d(x, w, null, { groups: 2, dilation: 2 }), () => [r(1, 4, 2, 2), r(4, 1, 2, 2)]],
  ["maxPool2d overlapping, padding", (x) => F.maxPool2d(x, 3, { stride: 2, padding: 1 }), () => [r(1, 2, 5, 5)]],
  ["maxPool2d ceilMode, dilation", (x) => F.maxPool2d(x, 2, { stride: 2, dilation: [1, 2], ceilMode: true }), () => [r(1, 1, 5, 6)]],
  ["avgPool2d padding, countIncludePad false, ceilMode", (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false, ceilMode: true }), () => [r(1, 2, 6, 6)]],
  ["avgPool2d overlapping", (x) => F.avgPool2d(x, [2, 3], { stride: 1 }), () => [r(2, 1, 3, 4)]],
  ["adaptiveAvgPool2d uneven bins", (x) => F.adaptiveAvgPool2d(x, [3, 2]), () => [r(1, 2, 5, 5)]],
  ["batchNorm training", (x, w, b) => F.batchNorm(x, null, null, { weight: w, bias: b, training: true }), () => [r(3, 2, 2, 2), r(2), r(2)]],
  ["batchNorm evaluation", (x, w, b) => F.batchNorm(x, ax.tensor([0.1, -0.2], { dtype: "float64" }), ax.tensor([0.5, 2], { dtype: "float64" }), { weight: w, bias: b }), () => [r(2, 2, 3), r(2), r(2)]],
  ["layerNorm last two dims", (x, w, b) => F.layerNorm(x, [2, 3], { weight: w, bias: b }), () => [r(2, 2, 3), r(2, 3), r(2, 3)]],
  ["dropout2d (fixed mask)", (x) => { const g = new ax.Generator(7); return F.dropout2d(x, 0.5, true, g); }, () => [r(2, 3, 2, 2)]],
  ["conv -> relu -> maxPool -> flatten -> linear", (x, w, l) => F.maxPool2d(F.conv2d(x, w, null, { padding: 1 }).relu(), 2).flatten(1).matmul(l),
    () => [r(2, 1, 4, 4), r(2, 1, 3, 3), r(8, 3)]],
  ["groupNorm 2 groups, weight and bias", (x, w, b) => F.groupNorm(x, 2, w, b), () => [r(2, 4, 3), r(4), r(4)]],
  ["groupNorm [N, C, H, W], a group per channel, eps 0.1", (x, w, b) => F.groupNorm(x, 3, w, b, 0.1), () => [r(1, 3, 2, 2), r(3), r(3)]],
  ["groupNorm [N, C], one group, no affine", (x) => F.groupNorm(x, 1), () => [r(3, 4)]],
];

const previous = ax.getBackend().name;
for (const backend of ax.listBackends()) {
  describe(`conv ops match PyTorch on the ${backend} backend`, () => {
    before(() => ax.setBackend(backend));
    after(() => ax.setBackend(previous));
    fx.cases.forEach((c, i) => {
      test(`#${i} ${describeCase(c)}`, () => {
        runCase(c, "float64");
        runCase(c, "float32");
      });
    });

    for (const m of fx.bnModules) {
      test(`${m.name}: two training steps, then evaluation`, () => {
        const first = m.steps[0].input.shape;
        const numFeatures = first[1];
        const opts = {
          momentum: m.name.includes("momentum=null") ? null : m.name.includes("affine=false") ? 0.5 : 0.1,
          eps: m.name.includes("affine=false") ? 1e-3 : 1e-5,
          affine: !m.name.includes("affine=false"),
          trackRunningStats: !m.name.includes("trackRunningStats=false"),
        };
        const layer = (first.length === 4 ? new nn.BatchNorm2d(numFeatures, opts) : new nn.BatchNorm1d(numFeatures, opts)).double();
        ax.noGrad(() => {
          if (m.weight) layer.weight!.copy_(decode(m.weight));
          if (m.bias) layer.bias!.copy_(decode(m.bias));
        });
        for (const [i, s] of m.steps.entries()) {
          layer.train(s.training);
          close(`step ${i} output`, layer.call(decode(s.input)), s.output, TOL.float64);
          if (s.runningMean) close(`step ${i} runningMean`, layer.runningMean!, s.runningMean, TOL.float64);
          else assert.equal(layer.runningMean, null);
          if (s.runningVar) close(`step ${i} runningVar`, layer.runningVar!, s.runningVar, TOL.float64);
          assert.equal(layer.numBatchesTracked === null ? null : layer.numBatchesTracked.item(), s.numBatchesTracked);
        }
      });
    }
  });

  describe(`gradcheck of the conv ops on the ${backend} backend`, () => {
    before(() => ax.setBackend(backend));
    after(() => ax.setBackend(previous));
    for (const [name, fn, inputs] of GRAD_CASES) test(name, () => assert.equal(ax.gradcheck(fn, inputs()), true));
  });
}

// ---- errors --------------------------------------------------------------------------------------------------------
const f = (...shape: number[]) => ax.ones(shape);

describe("errors name the op and the shapes", () => {
  test("conv2d", () => {
    assert.throws(() => F.conv2d(f(2, 3, 5), f(4, 3, 3)), /conv2d: weight must be 4-D \[outChannels, inChannels\/groups, kH, kW\], got shape \[4,3,3\]/);
    assert.throws(() => F.conv2d(f(3, 5), f(4, 3, 3, 3)), (e: Error) => e instanceof ax.ShapeError && /conv2d: expected a 3-D \(unbatched\) or 4-D \(batched\) input \[N, C, H, W\], got shape \[3,5\]/.test(e.message));
    assert.throws(() => F.conv2d(f(2, 3, 5, 5), f(4, 2, 3, 3)), /conv2d: the input has 3 channels \(shape \[2,3,5,5\]\) but weight \[4,2,3,3\] with groups=1 expects 2/);
    assert.throws(() => F.conv2d(f(1, 4, 5, 5), f(3, 2, 3, 3), null, { groups: 2 }), /conv2d: the weight's 3 output channels \(weight \[3,2,3,3\]\) are not divisible by groups=2/);
    assert.throws(() => F.conv2d(f(1, 3, 2, 5), f(4, 3, 3, 3)), /conv2d: the padded input \[2,5\] \(input \[1,3,2,5\], padding \[0,0\]\) is smaller than the dilated kernel \[3,3\]/);
    assert.throws(() => F.conv2d(f(1, 3, 4, 4), f(4, 3, 2, 2), null, { dilation: 4 }), /smaller than the dilated kernel \[5,5\] \(weight \[4,3,2,2\], dilation \[4,4\]\)/);
    assert.throws(() => F.conv2d(f(1, 3, 5, 5), f(4, 3, 3, 3), null, { padding: "same", stride: 2 }), /conv2d: padding="same" is not supported for strided convolutions/);
    assert.throws(() => F.conv2d(f(1, 3, 5, 5), f(4, 3, 3, 3), f(3)), /conv2d: bias must have shape \[4\]/);
    assert.throws(() => F.conv2d(f(1, 3, 5, 5), f(4, 3, 3, 3), null, { stride: 0 }), /conv2d: stride must be a positive integer or 2 of them, got 0/);
    assert.throws(() => F.conv2d(f(1, 3, 5, 5), f(4, 3, 3, 3), null, { padding: [1, 2, 3] as unknown as [number, number] }), /conv2d: padding must be a non-negative integer or 2 of them/);
    assert.throws(() => F.conv2d(f(1, 3, 5, 5), f(4, 3, 3, 3), null, { groups: 0 }), /conv2d: groups must be a positive integer, got 0/);
    assert.throws(() => F.conv2d(ax.ones([1, 3, 5, 5], { dtype: "int32" }), ax.ones([4, 3, 3, 3], { dtype: "int32" })), /conv2d: expected floating-point input and weight, got int32 and int32/);
  });

  test("conv1d and convTranspose2d", () => {
    assert.throws(() => F.conv1d(f(2, 3, 4, 4), f(4, 3, 3)), /conv1d: expected a 2-D \(unbatched\) or 3-D \(batched\) input \[N, C, L\], got shape \[2,3,4,4\]/);
    assert.throws(() => F.conv1d(f(2, 3, 2), f(4, 3, 3)), /conv1d: the padded input \[2\] \(input \[2,3,2\], padding \[0\]\) is smaller than the dilated kernel \[3\] \(weight \[4,3,3\], dilation \[1\]\)/);
    assert.throws(() => F.conv1d(f(2, 4, 8), f(4, 3, 3)), /conv1d: the input has 4 channels \(shape \[2,4,8\]\) but weight \[4,3,3\] with groups=1 expects 3/);
    assert.throws(() => F.convTranspose2d(f(1, 3, 4, 4), f(2, 2, 3, 3)), /convTranspose2d: the input has 3 channels \(shape \[1,3,4,4\]\) but weight \[2,2,3,3\] expects 2/);
    assert.throws(() => F.convTranspose2d(f(1, 3, 4, 4), f(3, 2, 3, 3), null, { groups: 2 }), /convTranspose2d: the 3 input channels \(weight \[3,2,3,3\]\) are not divisible by groups=2/);
    assert.throws(() => F.convTranspose2d(f(1, 2, 4, 4), f(2, 2, 3, 3), null, { stride: 2, outputPadding: 2 }), /convTranspose2d: outputPadding \[2,2\] must be smaller than either stride \[2,2\] or dilation \[1,1\]/);
    assert.throws(() => F.convTranspose2d(f(1, 2, 1, 1), f(2, 2, 1, 1), null, { padding: 1 }), /convTranspose2d: the output size \[-1,-1\] is too small/);
  });

  test("pooling", () => {
    assert.throws(() => F.maxPool2d(f(2, 3), 2), /maxPool2d: expected a 3-D \(unbatched\) or 4-D \(batched\) input \[N, C, H, W\], got shape \[2,3\]/);
    assert.throws(() => F.maxPool2d(f(1, 1, 1, 4), 2), (e: Error) => e instanceof ax.ShapeError && /maxPool2d: the input \[1,1,1,4\] is too small for kernel \[2,2\] .*the output size would be \[0,2\]/.test(e.message));
    assert.throws(() => F.maxPool2d(f(1, 1, 4, 4), 2, { padding: 2 }), /maxPool2d: padding \[2,2\] must be at most half of the kernel size \[2,2\]/);
    assert.throws(() => F.avgPool2d(f(1, 1, 4, 4), 3, { divisorOverride: 0 }), /avgPool2d: divisorOverride must be a positive integer, got 0/);
    assert.throws(() => F.adaptiveAvgPool2d(f(1, 1, 4, 4), [0, 2]), /adaptiveAvgPool2d: outputSize must hold positive integers/);
    assert.throws(() => F.maxPool2d(ax.ones([1, 1, 4, 4], { dtype: "int32" }), 2), /maxPool2d: input must be floating point, got int32/);
  });

  test("interpolate and Upsample", () => {
    assert.throws(() => F.interpolate(f(2, 3), { size: 4 }), (e: Error) => e instanceof ax.ShapeError && /interpolate: mode "nearest" expects a 3-D \[N, C, W\] or 4-D \[N, C, H, W\] input, got shape \[2,3\]/.test(e.message));
    assert.throws(() => F.interpolate(f(1, 2, 3, 3, 3), { size: 4 }), /interpolate: mode "nearest" expects .* got shape \[1,2,3,3,3\]/);
    assert.throws(() => F.interpolate(f(1, 2, 5), { size: 4, mode: "bilinear" }), (e: Error) => e instanceof ax.ShapeError && /interpolate: mode "bilinear" expects a 4-D \[N, C, H, W\] input, got shape \[1,2,5\]/.test(e.message));
    assert.throws(() => F.interpolate(f(1, 2, 4, 4), { size: 8, scaleFactor: 2 }), /interpolate: only one of size and scaleFactor may be given/);
    assert.throws(() => F.interpolate(f(1, 2, 4, 4)), /interpolate: either size or scaleFactor must be given \(input shape \[1,2,4,4\]\)/);
    assert.throws(() => F.interpolate(f(1, 2, 4, 4), { size: [8, 8, 8] }), /interpolate: size must be a number or 2 of them \(one per spatial dim of input \[1,2,4,4\]\), got \[8,8,8\]/);
    assert.throws(() => F.interpolate(f(1, 2, 4), { scaleFactor: [2, 2] }), /interpolate: scaleFactor must be a number or 1 of them/);
    assert.throws(() => F.interpolate(f(1, 2, 4), { size: 0 }), /interpolate: size must hold positive integers, got 0/);
    assert.throws(() => F.interpolate(f(1, 2, 4), { scaleFactor: -1 }), /interpolate: scaleFactor must hold positive finite numbers, got -1/);
    assert.throws(() => F.interpolate(f(1, 2, 4), { scaleFactor: 0.2 }), /interpolate: input and output sizes must be greater than 0, got input \[1,2,4\] and output spatial size \[0\]/);
    assert.throws(() => F.interpolate(f(1, 2, 4, 4), { size: 2, alignCorners: true }), /interpolate: alignCorners can only be set with mode "bilinear"/);
    assert.throws(() => F.interpolate(f(1, 2, 4, 4), { size: 2, mode: "bicubic" as "bilinear" }), /interpolate: mode must be one of "nearest", "bilinear", got "bicubic"/);
    assert.throws(() => F.interpolate(f(1, 2, 4, 4), { size: 2, align_corners: true } as object), /interpolate: unknown option "align_corners" \(did you mean "alignCorners"\?\)/);
    assert.throws(() => F.interpolate(ax.ones([1, 1, 2, 2], { dtype: "int32" }), { size: 3 }), /interpolate: input must be floating point, got int32/);
    assert.throws(() => new nn.Upsample({ size: 4, scaleFactor: 2 }), /Upsample: only one of size and scaleFactor may be given/);
    assert.throws(() => new nn.Upsample(), /Upsample: either size or scaleFactor must be given/);
    assert.throws(() => new nn.Upsample({ scale_factor: 2 } as object), /Upsample: unknown option "scale_factor" \(did you mean "scaleFactor"\?\)/);
  });

  test("normalization and dropout2d", () => {
    assert.throws(() => F.batchNorm(f(1, 3), null, null, { training: true }), /batchNorm: expected more than 1 value per channel when training, got input shape \[1,3\]/);
    assert.throws(() => F.batchNorm(f(4, 3), f(2), f(3)), /batchNorm: runningMean must have shape \[3\] \(one per channel of input \[4,3\]\), got \[2\]/);
    assert.throws(() => F.batchNorm(f(4, 3), null, null), /batchNorm: running statistics are required when not training/);
    assert.throws(() => F.batchNorm(f(4), null, null, { training: true }), /batchNorm: expected an input of at least 2 dimensions \[N, C, \.\.\.\], got shape \[4\]/);
    assert.throws(() => F.layerNorm(f(2, 3, 4), [3]), /layerNorm: normalizedShape \[3\] must match the last dimensions of the input, got input shape \[2,3,4\]/);
    assert.throws(() => F.layerNorm(f(2, 4), [4], { weight: f(3) }), /layerNorm: weight must have shape \[4\] \(normalizedShape\), got \[3\]/);
    assert.throws(() => F.dropout2d(f(2, 3), 0.5), /dropout2d: expected a 3-D \(unbatched\) \[C, H, W\] or 4-D \[N, C, H, W\] input, got shape \[2,3\]/);
    assert.throws(() => new nn.BatchNorm2d(3).call(f(2, 3, 4)), /BatchNorm2d: expected a 4-D \[N, C, H, W\] input, got shape \[2,3,4\]/);
    assert.throws(() => new nn.BatchNorm1d(3).call(f(2, 4)), /BatchNorm1d: expected 3 channels in dimension 1, got input shape \[2,4\]/);
    assert.throws(() => F.groupNorm(f(2, 6, 4), 4), (e: Error) => e instanceof ax.ShapeError && /groupNorm: the 6 channels of input \[2,6,4\] are not divisible by numGroups=4/.test(e.message));
    assert.throws(() => F.groupNorm(f(2, 6, 4), 3, f(5)), /groupNorm: weight must have shape \[6\] \(one per channel of input \[2,6,4\]\), got \[5\]/);
    assert.throws(() => F.groupNorm(f(2, 6, 4), 3, null, f(6, 1)), /groupNorm: bias must have shape \[6\] \(one per channel of input \[2,6,4\]\), got \[6,1\]/);
    assert.throws(() => F.groupNorm(f(6), 3), /groupNorm: expected an input of at least 2 dimensions \[N, C, \.\.\.\], got shape \[6\]/);
    assert.throws(() => F.groupNorm(f(2, 6), 0), /groupNorm: numGroups must be a positive integer, got 0/);
    assert.throws(() => F.groupNorm(ax.ones([2, 6], { dtype: "int32" }), 3), /groupNorm: input must be floating point, got int32/);
    assert.throws(() => new nn.GroupNorm(2, 6).call(f(2, 4, 3)), /GroupNorm: expected an input \[N, 6, \*\] \(6 channels in dimension 1\), got shape \[2,4,3\]/);
  });

  test("layer constructors", () => {
    assert.throws(() => new nn.Conv2d(3, 4, 3, { groups: 2 }), /Conv2d: inChannels \(3\) must be divisible by groups \(2\)/);
    assert.throws(() => new nn.Conv2d(4, 3, 3, { groups: 2 }), /Conv2d: outChannels \(3\) must be divisible by groups \(2\)/);
    assert.throws(() => new nn.Conv2d(4, 4, 3, { padding: "same", stride: 2 }), /Conv2d: padding="same" is not supported for strided convolutions/);
    assert.throws(() => new nn.Conv1d(4, 4, 0), /Conv1d: kernelSize must be a positive integer or 1 of them, got 0/);
    assert.throws(() => new nn.ConvTranspose2d(4, 4, 3, { stride: 2, outputPadding: 2 }), /ConvTranspose2d: outputPadding \[2,2\] must be smaller than either stride/);
    assert.throws(() => new nn.Conv2d(4, 4, 3, { paddingMode: "mirror" as never }), /Conv2d: paddingMode must be one of "zeros", "reflect", "replicate", "circular", got "mirror"/);
    assert.throws(() => new nn.Conv2d(1, 1, 3, { padding: 3, paddingMode: "reflect" }).call(f(1, 1, 3, 3)), /pad: reflect padding \(3, 3\) must be smaller than dimension 3 of size 3/);
    const up = new nn.ConvTranspose2d(2, 2, 3, { stride: 2, padding: 1 });
    assert.throws(() => up.call(f(1, 2, 4, 4), [9, 7]), /ConvTranspose2d: requested an output size of \[9,7\], but the valid sizes range from \[7,7\] to \[8,8\] \(for an input of \[4,4\]\)/);
    assert.throws(() => up.call(f(1, 2, 4, 4), [8]), /ConvTranspose2d: outputSize must be 2 integers \[H, W\] \(or 4, the whole output shape\), got \[8\]/);
    assert.throws(() => new nn.MaxPool2d(2, { padding: 2 }), /MaxPool2d: padding 2 must be at most half of the kernel size 2/);
    assert.throws(() => new nn.BatchNorm2d(0), /BatchNorm2d: numFeatures must be a positive integer, got 0/);
    assert.throws(() => new nn.GroupNorm(4, 6), /GroupNorm: numChannels \(6\) must be divisible by numGroups \(4\)/);
    assert.throws(() => new nn.GroupNorm(0, 6), /GroupNorm: numGroups must be a positive integer, got 0/);
    assert.throws(() => new nn.GroupNorm(2, 6, { eps: -1 }), /GroupNorm: eps must be a non-negative number, got -1/);
    assert.throws(() => new nn.GroupNorm(2, 6, { num_channels: 6 } as never), /GroupNorm: unknown option "num_channels"/);
    assert.throws(() => new nn.Conv2d(1, 1, 3).call(f(1, 2, 5, 5)), /conv2d: the input has 2 channels/);
  });
});

// ---- layers ----------------------------------------------------------------------------------------------------------
describe("layers", () => {
  const shapes = (m: nn.Module): [string, number[]][] => Object.entries(m.stateDict()).map(([k, v]) => [k, [...v.shape]]);

  test("a BatchNorm state dict without num_batches_tracked loads with a count of 0, as in PyTorch", () => {
    // torch 1.13: BatchNorm1d(2).load_state_dict({weight, bias, running_mean, running_var}) -> all keys matched
    const model = new nn.Sequential(new nn.Linear(2, 2), new nn.BatchNorm1d(2));
    (model.at(1) as nn.BatchNorm1d).numBatchesTracked!.fill_(7);
    const saved = model.stateDict();
    delete saved["1.num_batches_tracked"];
    saved["1.running_mean"] = ax.tensor([0.5, -0.5]);
    assert.deepEqual(model.loadStateDict(saved), { missingKeys: [], unexpectedKeys: [] });
    const bn = model.at(1) as nn.BatchNorm1d;
    assert.deepEqual([bn.numBatchesTracked!.item(), bn.runningMean!.toArray()], [0, [0.5, -0.5]]);
    assert.throws(() => model.loadStateDict({ "0.weight": ax.zeros([2, 2]) }), /Missing key\(s\) in state dict: "0.bias", "1.weight"/);
  });

  test("state-dict keys and shapes are PyTorch's", () => {
    const sd = fx.stateDicts;
    assert.deepEqual(shapes(new nn.Conv1d(4, 6, 3)), sd["Conv1d(4, 6, 3)"]);
    assert.deepEqual(shapes(new nn.Conv2d(4, 8, [3, 5], { groups: 2, bias: false })), sd["Conv2d(4, 8, [3, 5], groups=2, bias=false)"]);
    assert.deepEqual(shapes(new nn.ConvTranspose2d(4, 6, 3, { groups: 2 })), sd["ConvTranspose2d(4, 6, 3, groups=2)"]);
    assert.deepEqual(shapes(new nn.BatchNorm1d(5)), sd["BatchNorm1d(5)"]);
    assert.deepEqual(shapes(new nn.BatchNorm2d(4, { affine: false })), sd["BatchNorm2d(4, affine=false)"]);
    assert.deepEqual(shapes(new nn.BatchNorm2d(4, { trackRunningStats: false })), sd["BatchNorm2d(4, trackRunningStats=false)"]);
    assert.deepEqual(shapes(new nn.LayerNorm([4, 5])), sd["LayerNorm([4, 5])"]);
    assert.deepEqual(shapes(new nn.LayerNorm(6, { elementwiseAffine: false })), sd["LayerNorm(6, elementwiseAffine=false)"]);
    assert.deepEqual(shapes(new nn.GroupNorm(2, 6)), sd["GroupNorm(2, 6)"]);
    assert.deepEqual(shapes(new nn.GroupNorm(3, 6, { affine: false })), sd["GroupNorm(3, 6, affine=false)"]);
    const gn = new nn.Sequential(
      new nn.Conv2d(3, 8, 3), new nn.GroupNorm(4, 8), new nn.PReLU(8), new nn.Conv2d(8, 4, 1), new nn.GroupNorm(1, 4, { affine: false }), new nn.PReLU(),
    );
    assert.deepEqual(shapes(gn), sd["cnn with GroupNorm and PReLU"]);
    const cnn = new nn.Sequential(
      new nn.Conv2d(1, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Conv2d(8, 16, 3), new nn.Dropout2d(0.25), new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.LayerNorm(16), new nn.Linear(16, 10),
    );
    assert.deepEqual(shapes(cnn), sd.cnn);
    // Buffers are buffers, not parameters; the step counter is an integer and stays one under double().
    const bn = new nn.BatchNorm2d(3).double();
    assert.deepEqual(bn.namedParameters().map(([k]) => k), ["weight", "bias"]);
    assert.deepEqual(bn.namedBuffers().map(([k]) => k), ["running_mean", "running_var", "num_batches_tracked"]);
    assert.equal(bn.runningMean!.dtype, "float64");
    assert.equal(bn.numBatchesTracked!.dtype, "int32");
  });

  test("a state dict round-trips, running statistics included", () => {
    const a = new nn.BatchNorm2d(2);
    a.call(ax.randn([4, 2, 3, 3]));
    const b = new nn.BatchNorm2d(2);
    b.loadStateDict(a.stateDict());
    assert.deepEqual(b.runningMean!.toArray(), a.runningMean!.toArray());
    assert.equal(b.numBatchesTracked!.item(), 1);
  });

  test("default initialisation is PyTorch's: U(-1/sqrt(fanIn), 1/sqrt(fanIn)) for weight and bias", () => {
    ax.manualSeed(3);
    for (const [layer, fanIn] of [[new nn.Conv2d(6, 32, [3, 5], { groups: 2 }), 3 * 15], [new nn.Conv1d(4, 8, 5), 20], [new nn.ConvTranspose2d(8, 6, 3, { groups: 2 }), 3 * 9]] as const) {
      const bound = 1 / Math.sqrt(fanIn);
      for (const p of [layer.weight, layer.bias!]) {
        const v = Array.from(p.toTypedArray());
        assert.ok(v.every((x) => Math.abs(x) <= bound), `${layer.constructor.name}: values beyond +-${bound}`);
        assert.ok(Math.max(...v.map(Math.abs)) > bound * 0.6, `${layer.constructor.name}: values do not fill the range`);
      }
    }
    const bn = new nn.BatchNorm2d(3), ln = new nn.LayerNorm(4);
    assert.deepEqual([bn.weight!.toArray(), bn.bias!.toArray(), bn.runningMean!.toArray(), bn.runningVar!.toArray()], [[1, 1, 1], [0, 0, 0], [0, 0, 0], [1, 1, 1]]);
    assert.deepEqual([ln.weight!.toArray(), ln.bias!.toArray()], [[1, 1, 1, 1], [0, 0, 0, 0]]);
  });

  test("modules call their functional forms with their settings", () => {
    ax.manualSeed(4);
    const x = ax.randn([2, 4, 7, 6]);
    const conv = new nn.Conv2d(4, 6, [3, 2], { stride: [2, 1], padding: 1, dilation: [1, 2], groups: 2 });
    assert.deepEqual(conv.call(x).toArray(), F.conv2d(x, conv.weight, conv.bias, { stride: [2, 1], padding: 1, dilation: [1, 2], groups: 2 }).toArray());
    const same = new nn.Conv1d(4, 4, 4, { padding: "same" });
    assert.deepEqual(same.call(x.select(3, 0)).shape, [2, 4, 7]);
    const convT = new nn.ConvTranspose2d(4, 2, 3, { stride: 2, padding: 1, outputPadding: 1 });
    assert.deepEqual(convT.call(x).shape, [2, 2, 14, 12]);
    assert.deepEqual(convT.call(x, [13, 11]).shape, [2, 2, 13, 11]); // outputSize picks the outputPadding: here 0
    assert.deepEqual(convT.call(x, [13, 11]).toArray(), F.convTranspose2d(x, convT.weight, convT.bias, { stride: 2, padding: 1 }).toArray());
    const reflect = new nn.Conv2d(4, 6, 3, { padding: [1, 2], paddingMode: "reflect" });
    assert.deepEqual(reflect.call(x).toArray(), F.conv2d(F.pad(x, [2, 2, 1, 1], "reflect"), reflect.weight, reflect.bias).toArray());
    assert.equal(reflect.toString(), "Conv2d(4, 6, kernelSize=[3, 3], stride=[1, 1], padding=[1, 2], paddingMode=reflect)");
    assert.deepEqual(new nn.MaxPool2d(2).call(x).toArray(), F.maxPool2d(x, 2).toArray());
    assert.deepEqual(new nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }).call(x).shape, [2, 4, 4, 4]);
    assert.deepEqual(new nn.AvgPool2d(2, { stride: 1 }).call(x).toArray(), F.avgPool2d(x, 2, { stride: 1 }).toArray());
    assert.deepEqual(new nn.AdaptiveAvgPool2d([2, null]).call(x).shape, [2, 4, 2, 6]);
    assert.ok(new nn.AdaptiveAvgPool2d(1).call(x).flatten().sub(x.mean([2, 3]).flatten()).abs().max().item() < 1e-6);
    assert.equal(conv.toString(), "Conv2d(4, 6, kernelSize=[3, 2], stride=[2, 1], padding=[1, 1], dilation=[1, 2], groups=2)");
    assert.equal(new nn.BatchNorm2d(8).toString(), "BatchNorm2d(8, eps=0.00001, momentum=0.1, affine=true, trackRunningStats=true)");
    const gn = new nn.GroupNorm(2, 4, { eps: 1e-3 });
    ax.noGrad(() => { gn.weight!.copy_(ax.randn([4])); gn.bias!.copy_(ax.randn([4])); });
    assert.deepEqual(gn.call(x).toArray(), F.groupNorm(x, 2, gn.weight, gn.bias, 1e-3).toArray());
    assert.deepEqual(new nn.GroupNorm(2, 4, { affine: false }).call(x).toArray(), F.groupNorm(x, 2).toArray());
    // Without affine parameters any channel count that numGroups divides is accepted, as in PyTorch.
    assert.deepEqual(new nn.GroupNorm(2, 4, { affine: false }).call(ax.ones([1, 6, 2])).shape, [1, 6, 2]);
    assert.equal(gn.toString(), "GroupNorm(2, 4, eps=0.001, affine=true)");
    assert.equal(new nn.Upsample({ scaleFactor: 2 }).toString(), "Upsample(scaleFactor=2, mode=nearest)");
    assert.equal(new nn.Upsample({ size: [4, 6], mode: "bilinear" }).toString(), "Upsample(size=[4, 6], mode=bilinear)");
  });

  test("GroupNorm: statistics per sample and group, the same in training and evaluation, and a batch of one works", () => {
    const gn = new nn.GroupNorm(2, 4, { affine: false });
    const x = ax.randn([3, 4, 5]).mul(3).add(2);
    const y = gn.call(x);
    const groups = y.reshape([3, 2, 10]);
    assert.ok(groups.mean(2).abs().max().item() < 1e-5);
    assert.ok(groups.var(2, { correction: 0 }).sub(1).abs().max().item() < 1e-3);
    gn.eval();
    assert.deepEqual(gn.call(x).toArray(), y.toArray());
    assert.deepEqual(gn.call(x.narrow(0, 1, 1)).toArray(), y.narrow(0, 1, 1).toArray());
  });

  test("BatchNorm: training normalises with batch statistics, eval with the running ones, noGrad never blocks the update", () => {
    const bn = new nn.BatchNorm2d(2, { affine: false });
    const x = ax.randn([8, 2, 3, 3]).mul(3).add(5);
    const y = bn.call(x);
    const m = y.mean([0, 2, 3]).toTypedArray(), v = y.var([0, 2, 3], { correction: 0 }).toTypedArray();
    for (let c = 0; c < 2; c++) { assert.ok(Math.abs(m[c]) < 1e-5); assert.ok(Math.abs(v[c] - 1) < 1e-3); }
    // eval: a fixed affine map (the same input gives the same output, whatever the batch)
    bn.eval();
    const a = bn.call(x.narrow(0, 0, 1)), b = bn.call(x).narrow(0, 0, 1);
    assert.deepEqual(a.toArray(), b.toArray());
    assert.equal(bn.numBatchesTracked!.item(), 1);
    bn.train();
    ax.noGrad(() => bn.call(x));
    assert.equal(bn.numBatchesTracked!.item(), 2);
  });

  test("Dropout2d zeroes whole channels in training and is the identity in eval", () => {
    ax.manualSeed(5);
    const x = ax.ones([4, 8, 3, 3]);
    const d = new nn.Dropout2d(0.5);
    const y = d.call(x);
    const perChannel = y.reshape([32, 9]).toArray() as number[][];
    const kept = perChannel.filter((row) => row.every((v) => v === 2)).length;
    const dropped = perChannel.filter((row) => row.every((v) => v === 0)).length;
    assert.equal(kept + dropped, 32, "each channel is either kept (scaled by 2) or dropped whole");
    assert.ok(dropped > 4 && kept > 4);
    d.eval();
    assert.equal(d.call(x), x);
    assert.deepEqual((F.dropout2d(ax.ones([3, 2, 2]), 0.5, true, new ax.Generator(1)).reshape([3, 4]).toArray() as number[][]).map((row) => new Set(row).size), [1, 1, 1]);
  });
});

// ---- a small CNN learns ------------------------------------------------------------------------------------------
test("a small CNN (Conv2d-ReLU-MaxPool-Flatten-Linear) fits 256 MNIST-like images: the loss falls", () => {
  ax.manualSeed(11);
  const gen = new ax.Generator(11);
  // 256 MNIST-shaped images: each of 10 classes is a random template plus pixel noise, so the classes are
  // learnable and a few steps must bring the loss down.
  const y = ax.randint(0, 10, [256], { generator: gen });
  const templates = ax.rand([10, 1, 28, 28], { generator: gen });
  const x = templates.indexSelect(0, y).add(ax.randn([256, 1, 28, 28], { generator: gen }).mul(0.3));
  const model = new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(8 * 14 * 14, 10),
  );
  const opt = new ax.optim.Adam(model.parameters(), { lr: 3e-3 });
  const losses: number[] = [];
  for (let step = 0; step < 6; step++) {
    opt.zeroGrad();
    const loss = F.crossEntropy(model.call(x), y);
    loss.backward();
    opt.step();
    losses.push(loss.item());
  }
  assert.ok(losses.every(Number.isFinite), `losses: ${losses}`);
  assert.ok(losses[losses.length - 1] < losses[0] * 0.7, `the loss did not fall enough: ${losses.map((l) => l.toFixed(3)).join(" ")}`);
});
