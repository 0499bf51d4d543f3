// The Tensor itself: creation and dtype inference, constant and range constructors, seeded randomness, read-out,
// views that share storage, in-place writes, and the autograd controls (noGrad, detach, retainGrad, accumulation).

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as ax from "../src/index.js";

const arr = (t: ax.Tensor): number[] => Array.from(t.contiguous().toTypedArray());

describe("tensor(): creation and dtype inference", () => {
  test("nested arrays give their shape; numbers become float32, booleans bool", () => {
    const t = ax.tensor([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(t.shape, [2, 3]);
    assert.equal(t.dtype, "float32");
    assert.deepEqual(t.toArray(), [[1, 2, 3], [4, 5, 6]]);
    const b = ax.tensor([[true, false], [false, true]]);
    assert.equal(b.dtype, "bool");
    assert.deepEqual(b.toArray(), [[true, false], [false, true]]);
    assert.equal(ax.tensor([1, true]).dtype, "float32"); // mixed: numbers win
    const s = ax.tensor(2.5);
    assert.deepEqual(s.shape, []);
    assert.equal(s.item(), 2.5);
    assert.deepEqual(ax.tensor([]).shape, [0]);
    assert.deepEqual(ax.tensor([[], []]).shape, [2, 0]);
  });

  test("typed arrays keep their element type; an explicit dtype wins", () => {
    assert.equal(ax.tensor(new Float32Array([1, 2])).dtype, "float32");
    assert.equal(ax.tensor(new Float64Array([1, 2])).dtype, "float64");
    assert.equal(ax.tensor(new Int32Array([1, 2])).dtype, "int32");
    assert.equal(ax.tensor(new Uint8Array([1, 0])).dtype, "bool");
    const i = ax.tensor([1.7, -2.7, 3], { dtype: "int32" });
    assert.equal(i.dtype, "int32");
    assert.deepEqual(i.toArray(), [1, -2, 3]); // truncation toward zero, as a cast in PyTorch
    assert.equal(ax.tensor(new Int32Array([1]), { dtype: "float64" }).dtype, "float64");
    // bool means non-zero: no 0.5 -> 0 or -2 -> 254 from a raw byte store
    assert.deepEqual(ax.tensor([0, 0.5, -2, NaN], { dtype: "bool" }).toArray(), [false, true, true, true]);
    assert.deepEqual(Array.from(ax.tensor(new Float32Array([0, 0.5, -2]), { dtype: "bool" }).data), [0, 1, 1]);
    assert.deepEqual(Array.from(ax.full([2], 5, { dtype: "bool" }).data), [1, 1]);
    assert.deepEqual(ax.tensor([0, 0.25, NaN]).bool().toArray(), [false, true, true]);
    assert.equal(ax.tensor([0.5, -3]).bool().sum().item(), 2);
  });

  test("the data is copied", () => {
    const src = new Float32Array([1, 2, 3]);
    const t = ax.tensor(src);
    src[0] = 99;
    assert.equal(t.toArray().toString(), "1,2,3");
  });

  test("ragged arrays and non-numbers are rejected with the offending position", () => {
    assert.throws(() => ax.tensor([[1, 2], [3]]), /ragged nested array: element \[1\] has length 1 where length 2/);
    assert.throws(() => ax.tensor([[1, 2], 3] as never), /ragged nested array: element \[1\] has a scalar where length 2/);
    assert.throws(() => ax.tensor([1, [2]] as never), /ragged nested array: element \[1\] is an array where a number was expected/);
    assert.throws(() => ax.tensor([[1, "x"]] as never), /element \[0\]\[1\] is string, expected a number or boolean/);
  });

  test("requiresGrad option, and only for floating point", () => {
    assert.equal(ax.tensor([1, 2], { requiresGrad: true }).requiresGrad, true);
    assert.throws(() => ax.tensor([1], { dtype: "int32", requiresGrad: true }), /only floating-point tensors can require gradients/);
  });
});

describe("constant and range constructors", () => {
  test("zeros, ones, full and the *Like forms", () => {
    assert.deepEqual(ax.zeros([2, 2]).toArray(), [[0, 0], [0, 0]]);
    assert.deepEqual(ax.ones(3, { dtype: "int32" }).toArray(), [1, 1, 1]);
    assert.equal(ax.ones(3, { dtype: "int32" }).dtype, "int32");
    assert.deepEqual(ax.full([2], 7.5).toArray(), [7.5, 7.5]);
    assert.equal(ax.full([2], true).dtype, "bool");
    const x = ax.tensor([[1, 2]], { dtype: "float64" });
    assert.equal(ax.zerosLike(x).dtype, "float64");
    assert.deepEqual(ax.onesLike(x).shape, [1, 2]);
    assert.deepEqual(ax.fullLike(x, 3).toArray(), [[3, 3]]);
    assert.deepEqual(ax.zeros([]).shape, []);
    assert.throws(() => ax.zeros([2, -1]), /zeros: invalid size -1 in shape \[2,-1\]/);
  });

  test("arange: int32 for integer arguments, float32 otherwise, either direction", () => {
    const a = ax.arange(5);
    assert.equal(a.dtype, "int32");
    assert.deepEqual(a.toArray(), [0, 1, 2, 3, 4]);
    assert.deepEqual(ax.arange(2, 11, 3).toArray(), [2, 5, 8]);
    assert.deepEqual(ax.arange(5, -1, -2).toArray(), [5, 3, 1]);
    const f = ax.arange(0, 1, 0.25);
    assert.equal(f.dtype, "float32");
    assert.deepEqual(f.toArray(), [0, 0.25, 0.5, 0.75]);
    assert.equal(ax.arange(3, undefined, 1, { dtype: "float64" }).dtype, "float64");
    assert.deepEqual(ax.arange(0).shape, [0]);
    assert.throws(() => ax.arange(0, 5, 0), /arange: step must be a non-zero finite number/);
  });

  test("linspace hits both ends exactly; eye is square or rectangular", () => {
    const l = ax.linspace(-1, 2, 7);
    assert.equal(l.numel(), 7);
    assert.equal(arr(l)[0], -1);
    assert.equal(arr(l)[6], 2);
    assert.deepEqual(arr(ax.linspace(0, 1, 5)), [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(arr(ax.linspace(3, 9, 1)), [3]);
    assert.deepEqual(arr(ax.linspace(3, 9, 0)), []);
    assert.deepEqual(ax.eye(2).toArray(), [[1, 0], [0, 1]]);
    assert.deepEqual(ax.eye(2, 3).toArray(), [[1, 0, 0], [0, 1, 0]]);
    assert.equal(ax.eye(2, 2, { dtype: "int32" }).dtype, "int32");
  });
});

describe("seeded randomness", () => {
  test("manualSeed reproduces rand, randn, randint and randperm; other seeds differ", () => {
    const draw = () => [arr(ax.rand([5])), arr(ax.randn([5])), arr(ax.randint(0, 10, [5])), arr(ax.randperm(6))];
    ax.manualSeed(42);
    const first = draw();
    ax.manualSeed(42);
    assert.deepEqual(draw(), first);
    ax.manualSeed(43);
    assert.notDeepEqual(draw(), first);
  });

  test("an explicit Generator is independent of the global one", () => {
    const g1 = new ax.Generator(5), g2 = new ax.Generator(5);
    const a = arr(ax.randn([4], { generator: g1 }));
    ax.rand([10]); // the global stream moving does not matter
    assert.deepEqual(arr(ax.randn([4], { generator: g2 })), a);
    const state = g1.getState();
    const next = arr(ax.rand([3], { generator: g1 }));
    g1.setState(state);
    assert.deepEqual(arr(ax.rand([3], { generator: g1 })), next);
  });

  test("statistics: rand is uniform on [0, 1), randn standard normal, randint covers [low, high)", () => {
    const g = new ax.Generator(2024);
    const n = 20000;
    const u = ax.rand([n], { generator: g, dtype: "float64" });
    const uv = arr(u);
    assert.ok(uv.every((v) => v >= 0 && v < 1));
    assert.ok(Math.abs(u.mean().item() - 0.5) < 0.01, `mean ${u.mean().item()}`);
    assert.ok(Math.abs(u.var().item() - 1 / 12) < 0.005, `var ${u.var().item()}`);
    const z = ax.randn([n], { generator: g, dtype: "float64" });
    assert.ok(Math.abs(z.mean().item()) < 0.03, `mean ${z.mean().item()}`);
    assert.ok(Math.abs(z.std().item() - 1) < 0.03, `std ${z.std().item()}`);
    const within1 = arr(z).filter((v) => Math.abs(v) < 1).length / n;
    assert.ok(Math.abs(within1 - 0.6827) < 0.015, `P(|z|<1) = ${within1}`);
    const k = ax.randint(-3, 4, [n], { generator: g });
    assert.equal(k.dtype, "int32");
    const counts = new Map<number, number>();
    for (const v of arr(k)) counts.set(v, (counts.get(v) ?? 0) + 1);
    assert.deepEqual([...counts.keys()].sort((a, b) => a - b), [-3, -2, -1, 0, 1, 2, 3]);
    for (const c of counts.values()) assert.ok(Math.abs(c / n - 1 / 7) < 0.015);
  });

  test("randperm is a permutation", () => {
    const p = ax.randperm(50, { generator: new ax.Generator(1) });
    assert.equal(p.dtype, "int32");
    assert.deepEqual(arr(p).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
    assert.notDeepEqual(arr(p), Array.from({ length: 50 }, (_, i) => i));
    assert.deepEqual(arr(ax.randperm(0)), []);
  });
});

describe("read-out", () => {
  test("toArray, item and toTypedArray", () => {
    const t = ax.tensor([[1, 2], [3, 4]], { dtype: "float64" });
    assert.deepEqual(t.toArray(), [[1, 2], [3, 4]]);
    assert.deepEqual(t.T.toArray(), [[1, 3], [2, 4]]);
    assert.equal(ax.tensor(3).toArray(), 3);
    assert.equal(ax.tensor([[7]]).item(), 7);
    assert.equal(t.select(0, 1).select(0, 0).item(), 3); // item of a 0-d view reads at its offset
    const ta = t.toTypedArray();
    assert.ok(ta instanceof Float64Array);
    assert.equal(ta, t.data, "a tensor covering its whole storage hands out the storage itself");
    const tt = t.T.toTypedArray();
    assert.deepEqual(Array.from(tt), [1, 3, 2, 4]);
    assert.notEqual(tt.buffer, t.data.buffer, "a non-contiguous view is copied");
    assert.deepEqual(Array.from(t.select(0, 1).toTypedArray()), [3, 4]);
  });
});

describe("views share storage", () => {
  test("transpose, permute, reshape, slice, select, narrow, expand, squeeze and unsqueeze are views", () => {
    const x = ax.arange(24).float().reshape([2, 3, 4]);
    const views = [
      x.transpose(0, 2), x.permute([1, 2, 0]), x.reshape([6, 4]), x.view([4, 6]), x.slice(2, 0, 4, 2), x.select(1, 1),
      x.narrow(0, 1, 1), x.flatten(), x.unsqueeze(1), x.narrow(1, 0, 1).squeeze(1), x.select(0, 0).select(0, 0).unsqueeze(0).expand([5, 4]),
      x.mT, x.split(1, 1)[2], x.chunk(2, 2)[1],
    ];
    for (const v of views) assert.equal(v.data, x.data);
    // a write through a stepped slice shows in the base
    const s = x.slice(2, 1, 4, 2); // x[:, :, 1::2]
    s.fill_(-1);
    assert.deepEqual(x.select(0, 0).select(0, 0).toArray(), [0, -1, 2, -1]);
    assert.deepEqual(arr(x.select(1, 2).select(1, 3)), [-1, -1]);
  });

  test("reshape of a non-contiguous tensor copies; contiguous() and clone() copy", () => {
    const x = ax.arange(6).float().reshape([2, 3]);
    assert.equal(x.T.isContiguous(), false);
    assert.notEqual(x.T.reshape([6]).data, x.data);
    assert.deepEqual(arr(x.T.reshape([6])), [0, 3, 1, 4, 2, 5]);
    assert.equal(x.contiguous(), x);
    assert.notEqual(x.clone().data, x.data);
    assert.notEqual(x.T.contiguous().data, x.data);
  });
});

describe("in-place ops", () => {
  test("copy_ (broadcasting, converting), fill_, zero_, add_, sub_, mul_, div_", () => {
    const x = ax.zeros([2, 3]);
    x.copy_(ax.tensor([1, 2, 3]));
    assert.deepEqual(x.toArray(), [[1, 2, 3], [1, 2, 3]]);
    x.copy_(ax.tensor([[7], [8]], { dtype: "int32" }));
    assert.deepEqual(x.toArray(), [[7, 7, 7], [8, 8, 8]]);
    assert.equal(x.dtype, "float32");
    x.add_(ax.tensor([1, 2, 3])).sub_(1).mul_(2).div_(4);
    assert.deepEqual(x.toArray(), [[3.5, 4, 4.5], [4, 4.5, 5]]);
    assert.equal(x.fill_(2).zero_().add_(1), x);
    assert.deepEqual(x.toArray(), [[1, 1, 1], [1, 1, 1]]);
    const col = x.select(1, 1);
    col.fill_(9);
    assert.deepEqual(x.toArray(), [[1, 9, 1], [1, 9, 1]]);
  });

  test("copy_ from an overlapping view of the same storage reads the source first", () => {
    const x = ax.tensor([1, 2, 3, 4, 5]);
    x.narrow(0, 1, 4).copy_(x.narrow(0, 0, 4));
    assert.deepEqual(x.toArray(), [1, 1, 2, 3, 4]);
    const y = ax.tensor([[1, 2], [3, 4]]);
    y.copy_(y.T);
    assert.deepEqual(y.toArray(), [[1, 3], [2, 4]]);
  });

  test("refused on tensors that require grad while recording; allowed under noGrad", () => {
    const w = ax.ones([2], { requiresGrad: true });
    for (const f of [() => w.copy_(ax.zeros([2])), () => w.fill_(0), () => w.add_(1), () => w.mul_(2), () => w.zero_()]) {
      assert.throws(f, /a tensor that requires grad cannot be modified in place while autograd is recording/);
    }
    assert.throws(() => w.mul(2).add_(1), /add_: a tensor that requires grad/);
    ax.noGrad(() => w.sub_(0.5));
    assert.deepEqual(w.toArray(), [0.5, 0.5]);
    assert.equal(w.requiresGrad, true);
  });
});

describe("autograd controls", () => {
  test("noGrad, setGradEnabled and enableGrad", () => {
    const x = ax.ones([2], { requiresGrad: true });
    const y = ax.noGrad(() => x.mul(2));
    assert.equal(y.requiresGrad, false);
    assert.equal(y.gradFn, null);
    assert.equal(ax.isGradEnabled(), true);
    const z = ax.noGrad(() => ax.enableGrad(() => x.mul(2)));
    assert.equal(z.requiresGrad, true);
    assert.throws(() => ax.noGrad(() => { throw new Error("boom"); }), /boom/);
    assert.equal(ax.isGradEnabled(), true, "noGrad restores the mode after a throw");
    ax.setGradEnabled(false);
    try {
      assert.equal(x.exp().requiresGrad, false);
    } finally {
      ax.setGradEnabled(true);
    }
  });

  test("detach shares storage and cuts the graph; requiresGrad_ only on leaves", () => {
    const x = ax.ones([2], { requiresGrad: true });
    const y = x.mul(3);
    const d = y.detach();
    assert.equal(d.data, y.data);
    assert.equal(d.requiresGrad, false);
    assert.equal(d.isLeaf, true);
    assert.equal(y.isLeaf, false);
    assert.equal(y.gradFn?.name, "mul");
    const loss = d.mul(x).sum();
    loss.backward();
    assert.deepEqual(x.grad!.toArray(), [3, 3]); // only through the non-detached path
    assert.throws(() => y.requiresGrad_(false), /cannot turn off gradients of a non-leaf tensor/);
    const leaf = ax.zeros([2]).requiresGrad_();
    assert.equal(leaf.requiresGrad, true);
  });

  test("retainGrad keeps a non-leaf gradient; others stay null", () => {
    const x = ax.tensor([1, 2], { requiresGrad: true });
    const h = x.mul(2).retainGrad();
    const k = h.exp();
    k.sum().backward();
    assert.deepEqual(arr(h.grad!), arr(h.exp()));
    assert.equal(k.grad, null);
    assert.deepEqual(arr(x.grad!), arr(h.exp().mul(2)));
  });

  test("gradients accumulate across two backward calls", () => {
    const x = ax.tensor([1, 2, 3], { requiresGrad: true });
    x.square().sum().backward();
    x.mul(5).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [7, 9, 11]);
    x.grad = null;
    x.mul(5).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [5, 5, 5]);
  });

  test("backward frees the rules that saved values: a second backward through them is an error that names the op, unless retainGraph", () => {
    const x = ax.tensor([0, 1, 2], { dtype: "float64", requiresGrad: true });
    const y = x.exp();
    const loss = y.sum();
    loss.backward();
    assert.deepEqual(x.grad!.toArray(), y.toArray());
    // sum saves nothing and stays; exp saved its result, and that rule is gone (PyTorch raises here too).
    assert.throws(() => loss.backward(), /through exp .*retainGraph: true/);
    assert.throws(() => y.mul(2).sum().backward(), /through exp .*retainGraph/);
    assert.deepEqual(x.grad!.toArray(), y.toArray(), "the failed calls added nothing");
    // The freed rule holds no tensors, so a loss kept for later keeps no activations alive through it.
    assert.deepEqual(y.gradFn!.inputs, []);
    assert.throws(() => loss.backward({ retainGraph: true } as never), /the first argument is the output's gradient .*backward\(undefined, \{ retainGraph: true \}\)/);

    x.grad = null;
    const z = x.exp();
    const kept = z.sum();
    kept.backward(undefined, { retainGraph: true });
    kept.backward(undefined, { retainGraph: true });
    z.mul(2).sum().backward();
    assert.deepEqual(x.grad!.toArray(), z.mul(4).toArray());
  });

  test("ops that save nothing (views, add, sum) can be backed through again, as in PyTorch", () => {
    // torch 1.13: w = ones(2, 3, requires_grad=True); wt = w.t(); two (ones(1, 3) @ wt).sum().backward() -> w.grad 2s;
    // y = x + 1; y.sum().backward() twice -> x.grad = [2., 2.]
    const w = ax.ones([2, 3], { requiresGrad: true });
    const wt = w.t();
    for (let i = 0; i < 2; i++) ax.ones([1, 3]).matmul(wt).sum().backward();
    assert.deepEqual(w.grad!.toArray(), [[2, 2, 2], [2, 2, 2]]);
    const x = ax.ones([2], { requiresGrad: true });
    const y = x.add(1);
    y.sum().backward();
    y.sum().backward();
    assert.deepEqual(x.grad!.toArray(), [2, 2]);
  });

  test("a later backward adds into .grad in place, as PyTorch does: a reference to .grad sees the sum", () => {
    // torch 1.13: x = ones(3, requires_grad=True); (x*2).sum().backward(); g = x.grad; (x*3).sum().backward()
    // leaves g = [5., 5., 5.] and x.grad is g
    const x = ax.ones([3], { requiresGrad: true });
    x.mul(2).sum().backward();
    const g = x.grad!;
    x.mul(3).sum().backward();
    assert.equal(x.grad, g);
    assert.deepEqual(g.toArray(), [5, 5, 5]);
    // A .grad that cannot take the sum in place (an expanded view) gets a fresh tensor instead.
    const y = ax.ones([3], { requiresGrad: true });
    const shared = ax.zeros([1]).expand([3]);
    y.grad = shared;
    y.mul(2).sum().backward();
    assert.deepEqual([y.grad!.toArray(), shared.toArray()], [[2, 2, 2], [0, 0, 0]]);
  });

  test("add_, sub_, mul_ and div_ write in place: broadcasting, scalars, views, a source sharing the storage, ints", () => {
    const base = ax.arange(0, 8, 1, { dtype: "float32" });
    const row = base.narrow(0, 2, 4).reshape([2, 2]); // [[2, 3], [4, 5]], a contiguous view at offset 2
    row.add_(ax.tensor([10, 20])).mul_(2).sub_(1).div_(ax.tensor([[1], [2]]));
    assert.deepEqual(row.toArray(), [[23, 45], [13.5, 24.5]]);
    assert.deepEqual(base.toArray(), [0, 1, 23, 45, 13.5, 24.5, 6, 7]);
    const t = ax.tensor([[1, 2], [3, 4]]);
    t.add_(t.t()); // the source shares the storage: read in full before any write
    assert.deepEqual(t.toArray(), [[2, 5], [5, 8]]);
    const strided = ax.zeros([2, 4]).slice(1, 0, undefined, 2); // not contiguous: the general path
    strided.add_(1.5);
    assert.deepEqual(strided.toArray(), [[1.5, 1.5], [1.5, 1.5]]);
    const i = ax.tensor([1, 2], { dtype: "int32" });
    i.mul_(3);
    assert.deepEqual([i.dtype, i.toArray()], ["int32", [3, 6]]);
    assert.throws(() => ax.ones([2], { requiresGrad: true }).add_(1), /add_: a tensor that requires grad cannot be modified in place/);
  });

  test("backward with an explicit gradient, cast to the output's dtype", () => {
    const x = ax.tensor([[1, 2], [3, 4]], { dtype: "float64", requiresGrad: true });
    x.mul(x).backward(ax.tensor([[1, 0], [0.5, 2]]));
    assert.equal(x.grad!.dtype, "float64");
    assert.deepEqual(x.grad!.toArray(), [[2, 0], [3, 16]]);
  });

  test("each leaf's .grad is its own storage, not the seed's nor another leaf's", () => {
    const a = ax.ones([3], { requiresGrad: true }), b = ax.ones([3], { requiresGrad: true });
    const seed = ax.tensor([1, 2, 3]);
    a.add(b).backward(seed);
    assert.notEqual(a.grad!.data, b.grad!.data);
    assert.notEqual(a.grad!.data, seed.data);
    ax.noGrad(() => a.grad!.mul_(10)); // e.g. gradient clipping
    assert.deepEqual(b.grad!.toArray(), [1, 2, 3]);
    assert.deepEqual(seed.toArray(), [1, 2, 3]);
  });

  test("a gradient flows to a tensor used twice and through int/float mixes", () => {
    const x = ax.tensor([1, 2], { requiresGrad: true });
    const y = x.mul(x).add(x.mul(ax.tensor([3, 4], { dtype: "int32" })));
    y.sum().backward();
    assert.deepEqual(x.grad!.toArray(), [5, 8]);
  });
});
