// Every differentiable op's gradient rule against central finite differences (the public gradcheck, float64).
// Inputs are seeded and kept away from points where an op is not differentiable (0 for relu/abs, the bounds of
// clamp/hardtanh, ties for max/maximum), so a mismatch always means a wrong rule. Runs once per backend.

import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as ax from "../src/index.js";
import type { Tensor } from "../src/index.js";

const F = ax.nn.functional;

const gen = new ax.Generator(1234);
const leaf = (t: Tensor): Tensor => t.requiresGrad_();
/** Standard normal, float64, requiring grad. */
const r = (...shape: number[]): Tensor => leaf(ax.randn(shape, { dtype: "float64", generator: gen }));
/** Uniform in [lo, hi). */
const u = (lo: number, hi: number, ...shape: number[]): Tensor =>
  leaf(ax.rand(shape, { dtype: "float64", generator: gen }).mul(hi - lo).add(lo).detach());
/** Normal values at least `gap` away from every point in `kinks` (the places an op's derivative jumps). */
function away(shape: number[], kinks: number[] = [0], gap = 0.1, scale = 1): Tensor {
  const t = ax.randn(shape, { dtype: "float64", generator: gen }).mul(scale).detach();
  const d = t.data as Float64Array;
  for (let i = 0; i < d.length; i++) {
    for (const k of kinks) if (Math.abs(d[i] - k) < gap) d[i] = k + (d[i] >= k ? gap : -gap) * 2;
  }
  return leaf(t);
}
const idx = (values: number[], shape = [values.length]): Tensor => ax.tensor(values, { dtype: "int32" }).reshape(shape);
/** Folds several outputs into one tensor so one check covers all of them (weights keep the pieces distinct). */
const fold = (parts: Tensor[]): Tensor => ax.cat(parts.map((p, i) => p.mul(i + 1).reshape([-1])));

type Case = [name: string, fn: (...x: Tensor[]) => Tensor, inputs: () => Tensor[]];

const CASES: Case[] = [
  // arithmetic with broadcasting and scalar operands
  ["add broadcast [2,3,4]+[3,1]", (a, b) => a.add(b), () => [r(2, 3, 4), r(3, 1)]],
  ["add both broadcast [4]+[3,1]", (a, b) => a.add(b), () => [r(4), r(3, 1)]],
  ["sub broadcast [1,3]-[2,1]", (a, b) => a.sub(b), () => [r(1, 3), r(2, 1)]],
  ["mul broadcast [2,3]*[] ", (a, b) => a.mul(b), () => [r(2, 3), r()]],
  ["mul broadcast [2,1,4]*[3,1]", (a, b) => a.mul(b), () => [r(2, 1, 4), r(3, 1)]],
  ["div broadcast", (a, b) => a.div(b), () => [r(2, 3), away([3], [0], 0.5)]],
  ["div scalar numerator", (a) => ax.div(2, a), () => [away([2, 3], [0], 0.5)]],
  ["rsub / scalar ops", (a) => ax.sub(1.5, a).mul(3).add(0.5).div(2), () => [r(2, 3)]],
  ["neg", (a) => a.neg(), () => [r(2, 3)]],
  ["pow tensor^tensor broadcast", (a, b) => a.pow(b), () => [u(0.5, 2, 3, 1), r(4)]],
  ["pow tensor^3", (a) => a.pow(3), () => [r(2, 3)]],
  ["pow tensor^0.5", (a) => a.pow(0.5), () => [u(0.5, 2, 2, 3)]],
  ["pow tensor^-2", (a) => a.pow(-2), () => [away([2, 3], [0], 0.5)]],
  ["pow scalar^tensor", (a) => ax.pow(1.7, a), () => [r(2, 3)]],
  ["maximum broadcast", (a, b) => a.maximum(b), () => [r(2, 3), r(3)]],
  ["minimum broadcast", (a, b) => a.minimum(b), () => [r(3, 1), r(3, 4)]],
  ["where broadcast", (a, b) => ax.where(ax.tensor([true, false, true]), a, b), () => [r(2, 3), r(2, 1)]],
  ["where with scalar", (a) => ax.where(ax.tensor([[true], [false]]), a, 0.5), () => [r(2, 3)]],
  // unary math
  ["exp", (a) => a.exp(), () => [r(2, 3)]],
  ["expm1", (a) => a.expm1(), () => [r(2, 3)]],
  ["log", (a) => a.log(), () => [u(0.2, 3, 2, 3)]],
  ["log1p", (a) => a.log1p(), () => [u(-0.5, 3, 2, 3)]],
  ["sqrt", (a) => a.sqrt(), () => [u(0.2, 3, 2, 3)]],
  ["rsqrt", (a) => a.rsqrt(), () => [u(0.2, 3, 2, 3)]],
  ["abs", (a) => a.abs(), () => [away([2, 3])]],
  ["sign (zero gradient)", (a) => a.sign(), () => [away([2, 3])]],
  ["sin", (a) => a.sin(), () => [r(2, 3)]],
  ["cos", (a) => a.cos(), () => [r(2, 3)]],
  ["reciprocal", (a) => a.reciprocal(), () => [away([2, 3], [0], 0.3)]],
  ["square", (a) => a.square(), () => [r(2, 3)]],
  ["erf", (a) => a.erf(), () => [r(2, 3).mul(2).detach().requiresGrad_()]],
  ["floor (zero gradient)", (a) => a.floor(), () => [away([5], [-2, -1, 0, 1, 2], 0.05)]],
  ["ceil (zero gradient)", (a) => a.ceil(), () => [away([5], [-2, -1, 0, 1, 2], 0.05)]],
  ["round (zero gradient)", (a) => a.round(), () => [away([5], [-1.5, -0.5, 0.5, 1.5], 0.05)]],
  ["clamp both bounds", (a) => a.clamp(-0.5, 0.5), () => [away([3, 4], [-0.5, 0.5], 0.05)]],
  ["clamp min only", (a) => a.clamp(0.2), () => [away([3, 4], [0.2], 0.05)]],
  ["clamp max only", (a) => a.clamp(null, -0.2), () => [away([3, 4], [-0.2], 0.05)]],
  // activations
  ["tanh", (a) => a.tanh(), () => [r(2, 3)]],
  ["sigmoid", (a) => a.sigmoid(), () => [r(2, 3)]],
  ["relu", (a) => a.relu(), () => [away([2, 3])]],
  ["leakyRelu", (a) => a.leakyRelu(0.1), () => [away([2, 3])]],
  ["elu", (a) => ax.elu(a, 0.7), () => [away([2, 3])]],
  ["selu", (a) => ax.selu(a), () => [away([2, 3])]],
  ["gelu", (a) => a.gelu(), () => [r(2, 3)]],
  ["gelu tanh", (a) => a.gelu("tanh"), () => [r(2, 3)]],
  ["silu", (a) => a.silu(), () => [r(2, 3)]],
  ["softplus", (a) => a.softplus(), () => [r(2, 3)]],
  ["softplus beta/threshold", (a) => a.softplus(2, 5), () => [away([3, 4], [2.5], 0.1, 2)]],
  ["mish", (a) => ax.mish(a), () => [r(2, 3)]],
  ["hardtanh", (a) => ax.hardtanh(a, -0.5, 1), () => [away([3, 4], [-0.5, 1], 0.05)]],
  ["relu6", (a) => ax.relu6(a), () => [away([3, 4], [0, 6], 0.05, 4)]],
  ["hardsigmoid", (a) => ax.hardsigmoid(a), () => [away([3, 4], [-3, 3], 0.05, 3)]],
  ["hardswish", (a) => ax.hardswish(a), () => [away([3, 4], [-3, 3], 0.05, 3)]],
  ["softmax last dim", (a) => a.softmax(-1), () => [r(2, 3, 4)]],
  ["softmax dim 0", (a) => a.softmax(0), () => [r(3, 4)]],
  ["logSoftmax", (a) => a.logSoftmax(1), () => [r(2, 3, 4)]],
  // reductions
  ["sum all", (a) => a.sum(), () => [r(2, 3, 4)]],
  ["sum dims [0,2] keepdim", (a) => a.sum([0, 2], true), () => [r(2, 3, 4)]],
  ["sum dim -1", (a) => a.sum(-1), () => [r(2, 3, 4)]],
  ["mean dims [0,2]", (a) => a.mean([0, 2]), () => [r(2, 3, 4)]],
  ["mean all keepdim", (a) => a.mean(undefined, true), () => [r(2, 3)]],
  ["max dims [0,2]", (a) => a.max([0, 2]), () => [r(2, 3, 4)]],
  ["max all", (a) => a.max(), () => [r(3, 4)]],
  ["min dim 1 keepdim (values, as torch.min(x, dim))", (a) => a.min(1, true).values, () => [r(2, 3, 4)]],
  ["max dim 0 (values)", (a) => a.max(0).values, () => [r(3, 4)]],
  ["amin dim 1", (a) => a.amin(1), () => [r(2, 3, 4)]],
  ["var correction 1", (a) => a.var(1), () => [r(2, 3, 4)]],
  ["var correction 0 dims [0,2] keepdim", (a) => a.var([0, 2], { correction: 0, keepdim: true }), () => [r(2, 3, 4)]],
  ["std all", (a) => a.std(), () => [r(3, 4)]],
  ["var dims [] (every dim, as in PyTorch)", (a) => a.var([]), () => [r(3, 4)]],
  ["std correction 0 dim 0", (a) => a.std(0, { correction: 0 }), () => [r(3, 4)]],
  ["logsumexp dims [0,2]", (a) => a.logsumexp([0, 2]), () => [r(2, 3, 4)]],
  ["logsumexp keepdim", (a) => a.logsumexp(-1, true), () => [r(3, 4)]],
  // prod is linear in each element, so finite differences are exact at zeros too: lines with one and two zeros
  ["prod all", (a) => a.prod(), () => [u(0.5, 1.5, 2, 3)]],
  ["prod dim 1", (a) => a.prod(1), () => [r(2, 3, 4)]],
  ["prod dim 0 keepdim", (a) => a.prod(0, true), () => [r(3, 2)]],
  ["prod with zeros", (a) => a.prod(-1), () => [leaf(ax.tensor([[1.5, 0, 2, -1], [0, 3, 0, 2], [2, -0.5, 1, 3]], { dtype: "float64" }))]],
  ["cumsum dim 1", (a) => a.cumsum(1), () => [r(2, 3, 4)]],
  ["cumsum dim -1", (a) => a.cumsum(-1), () => [r(5)]],
  // sorting: distinct random values, so a small step never changes the order
  ["sort values dim -1", (a) => a.sort(-1).values, () => [r(3, 5)]],
  ["sort values dim 0 descending", (a) => a.sort(0, true).values, () => [r(4, 3)]],
  ["topk values", (a) => a.topk(2, 1).values, () => [r(3, 5)]],
  ["topk smallest dim 0", (a) => a.topk(2, 0, false).values, () => [r(4, 3, 2)]],
  // matmul
  ["mm", (a, b) => a.mm(b), () => [r(3, 4), r(4, 2)]],
  ["bmm", (a, b) => a.bmm(b), () => [r(2, 3, 4), r(2, 4, 2)]],
  ["outer", (a, b) => a.outer(b), () => [r(3), r(4)]],
  ["matmul 1-D . 1-D", (a, b) => a.matmul(b), () => [r(4), r(4)]],
  ["matmul 1-D @ 2-D", (a, b) => a.matmul(b), () => [r(4), r(4, 3)]],
  ["matmul 2-D @ 1-D", (a, b) => a.matmul(b), () => [r(3, 4), r(4)]],
  ["matmul 2-D", (a, b) => a.matmul(b), () => [r(3, 4), r(4, 2)]],
  ["matmul batched", (a, b) => a.matmul(b), () => [r(2, 3, 4), r(2, 4, 2)]],
  ["matmul broadcast batch", (a, b) => a.matmul(b), () => [r(2, 1, 3, 4), r(3, 4, 2)]],
  ["matmul batch @ matrix", (a, b) => a.matmul(b), () => [r(2, 3, 4), r(4, 2)]],
  ["matmul with transposed operands", (a, b) => a.mT.matmul(b.mT), () => [r(4, 3), r(2, 4)]],
  ["matmul of a permuted batch", (a, b) => a.permute([1, 0, 2]).matmul(b), () => [r(3, 2, 4), r(4, 2)]],
  // views, then an op
  ["transpose then mul", (a, b) => a.transpose(0, 1).mul(b), () => [r(3, 2), r(2, 3)]],
  ["permute then sum then exp", (a) => a.permute([2, 0, 1]).sum(-1).exp(), () => [r(2, 3, 4)]],
  ["slice with step then square", (a) => a.slice(1, 1, 6, 2).square(), () => [r(3, 7)]],
  ["slice negative start", (a) => a.slice(0, -3).mul(2), () => [r(5, 2)]],
  ["narrow then sin", (a) => a.narrow(1, 1, 2).sin(), () => [r(3, 4)]],
  ["select then mul", (a) => a.select(1, -1).mul(a.select(1, 0)), () => [r(3, 4)]],
  ["squeeze/unsqueeze", (a) => a.unsqueeze(1).squeeze(0).mul(3), () => [r(1, 4)]],
  ["expand then mul", (a, b) => a.expand([2, 3, 4]).mul(b), () => [r(3, 1), r(2, 3, 4)]],
  ["reshape of a transpose (copies)", (a) => a.mT.reshape([-1]).mul(ax.arange(6).double()), () => [r(2, 3)]],
  ["flatten", (a) => a.flatten(1).exp(), () => [r(2, 3, 2)]],
  ["view", (a) => a.view([3, 2]).sigmoid(), () => [r(2, 3)]],
  ["contiguous of a view", (a) => a.T.contiguous().mul(ax.arange(6).reshape([3, 2]).double()), () => [r(2, 3)]],
  ["clone", (a) => a.clone().square(), () => [r(2, 3)]],
  ["cat dim 1", (a, b) => ax.cat([a, b.exp()], 1), () => [r(2, 3), r(2, 2)]],
  ["cat the same tensor twice", (a) => ax.cat([a, a.mul(2)], 0), () => [r(2, 3)]],
  ["stack dim 1", (a, b) => ax.stack([a, b], 1), () => [r(2, 3), r(2, 3)]],
  ["split", (a) => fold(a.split(2, 0)), () => [r(5, 2)]],
  ["split sections", (a) => fold(a.split([1, 3], 1)), () => [r(2, 4)]],
  ["chunk", (a) => fold(a.chunk(3, 1)), () => [r(2, 7)]],
  ["unbind", (a) => fold(a.unbind(1)), () => [r(2, 3, 2)]],
  ["flip dims [0,2]", (a) => a.flip([0, 2]).mul(ax.arange(0, 4, 1, { dtype: "float64" })), () => [r(2, 3, 4)]],
  ["repeat", (a) => a.repeat([2, 1, 3]), () => [r(2, 2)]],
  ["maskedFill broadcast mask", (a) => a.maskedFill(ax.tensor([true, false, true]), 2), () => [r(2, 3)]],
  ["tril diagonal 1, batched", (a) => a.tril(1), () => [r(2, 3, 4)]],
  ["triu diagonal -1", (a) => a.triu(-1), () => [r(4, 3)]],
  ["norm p=2 dim 1", (a) => a.norm(2, 1), () => [r(3, 4)]],
  ["norm p=2 with a zero row (gradient 0 there)", (a) => a.norm(2, 1), () => [leaf(ax.tensor([[0, 0, 0], [1, -2, 0.5]], { dtype: "float64" }))]],
  ["norm p=1", (a) => a.norm(1), () => [away([3, 4])]],
  ["norm p=3 dims [0,2] keepdim", (a) => a.norm(3, [0, 2], true), () => [away([2, 3, 4])]],
  ["norm p=inf", (a) => a.norm(Infinity, 0), () => [away([3, 4])]],
  ["norm p=-1", (a) => a.norm(-1, 1), () => [away([3, 4], [0], 0.3)]],
  ["pad", (a) => ax.pad(a, [1, 2, 0, 1], "constant", 0.5).mul(ax.arange(4 * 6).reshape([4, 6]).double()), () => [r(3, 3)]],
  ["pad negative (crop)", (a) => ax.pad(a, [-1, 2, 1, -1]).square(), () => [r(3, 4)]],
  ["pad reflect", (a) => ax.pad(a, [2, 1, 1, 2], "reflect").square(), () => [r(1, 3, 4)]],
  ["pad replicate", (a) => ax.pad(a, [1, 3, 2, 0], "replicate").square(), () => [r(1, 2, 3)]],
  ["pad circular", (a) => ax.pad(a, [3, 1], "circular").square(), () => [r(2, 3)]],
  // indexing
  ["indexSelect with repeats", (a) => a.indexSelect(0, idx([2, 0, 2])).mul(ax.arange(9).reshape([3, 3]).double()), () => [r(3, 3)]],
  ["indexSelect dim 1", (a) => a.indexSelect(1, idx([3, 1])), () => [r(2, 4, 2)]],
  ["gather dim 1", (a) => a.gather(1, idx([0, 3, 1, 1, 2, 0], [3, 2])).square(), () => [r(3, 4)]],
  ["scatter dim 1", (a, b) => a.scatter(1, idx([0, 3, 1, 2, 2, 0], [3, 2]), b).square(), () => [r(3, 4), r(3, 3)]],
  ["scatter a value dim 0", (a) => a.scatter(0, idx([2, 0, 1, 2], [1, 4]), 0.5).square(), () => [r(3, 4)]],
  ["gather dim 0", (a) => a.gather(0, idx([2, 0, 1, 2, 0, 0, 0, 1], [2, 4])), () => [r(3, 4)]],
  ["scatterAdd into x and from src", (a, s) => a.scatterAdd(1, idx([0, 1, 0, 2, 2, 3], [2, 3]), s).square(), () => [r(3, 4), r(2, 3)]],
  ["scatterAdd src larger than index", (a, s) => a.scatterAdd(0, idx([0, 2, 0, 0], [2, 2]), s).square(), () => [r(3, 2), r(3, 3)]],
  // compositions
  ["two-layer network with logSoftmax loss", (x, w1, b1, w2) => x.matmul(w1).add(b1).tanh().matmul(w2).logSoftmax(-1).select(1, 0).mean(),
    () => [r(4, 3), r(3, 5), r(5), r(5, 2)]],
  ["layer norm", (x, g, b) => x.sub(x.mean(-1, true)).div(x.var(-1, { correction: 0, keepdim: true }).add(1e-5).sqrt()).mul(g).add(b),
    () => [r(3, 4), r(4), r(4)]],
  ["attention", (q, k, v) => q.matmul(k.mT).div(2).softmax(-1).matmul(v), () => [r(2, 3, 4), r(2, 5, 4), r(2, 5, 2)]],
  ["reused input (fan-out)", (a) => a.mul(a.exp()).add(a.sin().mul(a)), () => [r(2, 3)]],
  ["cross entropy via gather", (z) => z.logSoftmax(1).gather(1, idx([1, 0, 2], [3, 1])).neg().mean(), () => [r(3, 4)]],
  // nn.functional: activations with a parameter, normalization, divergence and similarity
  ["prelu one slope (input and weight)", (a, w) => F.prelu(a, w), () => [away([2, 3, 4]), u(0.1, 0.5, 1)]],
  ["prelu per channel (input and weight)", (a, w) => F.prelu(a, w), () => [away([2, 3, 2, 2]), u(-0.5, 0.5, 3)]],
  ["logsigmoid", (a) => F.logsigmoid(a), () => [r(3, 4).mul(4).detach().requiresGrad_()]],
  ["softsign", (a) => F.softsign(a), () => [r(3, 4)]],
  ["softmin dim 1", (a) => F.softmin(a, 1), () => [r(2, 3, 4)]],
  ["groupNorm (input, weight, bias)", (x, w, b) => F.groupNorm(x, 2, w, b), () => [r(2, 4, 3), r(4), r(4)]],
  ["klDiv batchmean (input and target)", (x, t) => F.klDiv(x, t, { reduction: "batchmean" }), () => [r(3, 4), u(0.05, 1, 3, 4)]],
  ["klDiv logTarget none", (x, t) => F.klDiv(x, t, { reduction: "none", logTarget: true }), () => [r(2, 3), r(2, 3)]],
  ["normalize p 2 dim 1", (a) => F.normalize(a), () => [r(3, 4)]],
  ["normalize p 3 dim -1", (a) => F.normalize(a, { p: 3, dim: -1 }), () => [away([2, 3, 4])]],
  ["cosineSimilarity dim 1", (a, b) => F.cosineSimilarity(a, b), () => [r(3, 4), r(3, 4)]],
  ["cosineSimilarity broadcast along dim", (a, b) => F.cosineSimilarity(a, b, { dim: -1 }), () => [r(2, 1, 4), r(3, 1)]],
  // interpolate: nearest (indexSelect adjoint) and bilinear (weights adjoint), sizes and non-integer scale factors
  ["interpolate nearest [N, C, W] scaleFactor 1.5", (x) => F.interpolate(x, { scaleFactor: 1.5 }), () => [r(2, 2, 5)]],
  // PyTorch 1.13's own backward differs here (it copies where its forward floors d / 1.1); this checks that Axon's
  // gradient is the adjoint of the output it computes.
  ["interpolate nearest [N, C, W] scaleFactor 1.1 (output size = input size)", (x) => F.interpolate(x, { scaleFactor: 1.1 }), () => [r(1, 2, 5)]],
  ["interpolate nearest [N, C, H, W] scaleFactor 2.2 (output size = twice the input)", (x) => F.interpolate(x, { scaleFactor: 2.2 }), () => [r(1, 2, 3, 3)]],
  ["interpolate nearest [N, C, H, W] downsampling 0.6, size", (x) => fold([F.interpolate(x, { scaleFactor: 0.6 }), F.interpolate(x, { size: [7, 2] })]), () => [r(1, 2, 5, 4)]],
  ["interpolate bilinear scaleFactor 1.5", (x) => F.interpolate(x, { scaleFactor: 1.5, mode: "bilinear" }), () => [r(1, 2, 3, 4)]],
  ["interpolate bilinear alignCorners, downsampling", (x) => F.interpolate(x, { size: [3, 2], mode: "bilinear", alignCorners: true }), () => [r(2, 1, 5, 4)]],
  ["interpolate bilinear scaleFactor [0.6, 2.5]", (x) => F.interpolate(x, { scaleFactor: [0.6, 2.5], mode: "bilinear" }), () => [r(1, 2, 5, 2)]],
  ["Upsample bilinear alignCorners", (x) => new ax.nn.Upsample({ scaleFactor: 2, mode: "bilinear", alignCorners: true }).call(x), () => [r(1, 1, 2, 3)]],
];

const previous = ax.getBackend().name;
for (const backend of ax.listBackends()) {
  describe(`gradcheck on the ${backend} backend`, () => {
    before(() => ax.setBackend(backend));
    after(() => ax.setBackend(previous));
    for (const [name, fn, inputs] of CASES) test(name, () => assert.equal(ax.gradcheck(fn, inputs()), true));

    test("gradcheck itself catches a wrong gradient", () => {
      // d/dx x * stopgrad(x) is x, not 2x: a rule that forgets a path must be caught.
      assert.throws(() => ax.gradcheck((a) => a.mul(a.detach()), [r(3)]), /gradcheck: Jacobian mismatch for input 0 \(shape \[3\]\)/);
      assert.equal(ax.gradcheck((a) => a.mul(a.detach()), [r(3)], { raiseException: false }), false);
    });
  });
}
