// The native backend (native/, src/backend/native/) against the reference backend, kernel by kernel, for every
// kernel variant this CPU can run (avx512, avx2, generic) and with 1 and 2 threads. The reference is the spec:
//   - add/sub/mul/div/maximum/minimum, relu, neg, abs, square, sqrt, floor, ceil, clamp must match bit for bit
//     (a float32 result of one IEEE operation is the same whether computed in float32 or in float64 and rounded);
//   - exp/sigmoid/tanh/silu are polynomial approximations: within a few float32 ulps;
//   - matmul accumulates in float32 with FMA: within k-term float32 rounding of sum |a||b|;
//   - sums accumulate in float64 in a different order: within one float32 rounding;
//   - im2col, col2im (same summation order), maxPool2d and scatterAdd must match bit for bit;
//   - conv2d and its gradients are GEMMs: within float32 rounding of the terms' absolute sum, as matmul;
//   - adamStep computes in float32 as PyTorch does (the reference in float64): within a few float32 ulps;
//   - sgdStep, rmspropStep and adagradStep compute in float64 as the reference does: bit for bit;
//   - softmax and log-softmax: float64 in both, exp and log from different libraries: within a few ulps.
// Skipped, with the reason, only when the addon is not built (Axon then runs on the reference backend).

import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import * as ax from "../src/index.js";
import type { Backend, BinaryOp, MatmulParams, ReduceOp, UnaryOp, View, Window2d } from "../src/index.js";
import type { AdagradStepParams, AdamStepParams, RmspropStepParams, SgdStepParams } from "../src/backend/backend.js";
import { referenceBackend } from "../src/backend/reference/index.js";
import { createNativeBackend, loadNativeAddon, NATIVE_OPS, type NativeAddon } from "../src/backend/native/index.js";

const loaded = loadNativeAddon();

if ("error" in loaded) {
  test("native backend", { skip: `native addon not built: ${loaded.error}` }, () => {});
} else {
  const addon = loaded.addon;
  const defaultIsa = addon.isa();
  const defaultThreads = addon.getNumThreads();
  after(() => {
    addon.setIsa(defaultIsa);
    addon.setNumThreads(defaultThreads);
  });
  const isas = ["avx512", "avx2", "generic"].filter((isa) => {
    const ok = addon.setIsa(isa);
    addon.setIsa(defaultIsa);
    return ok;
  });

  test("native addon: loads, reports its kernel variant and thread count", () => {
    assert.ok(isas.includes(defaultIsa), `isa ${defaultIsa} among ${isas.join(", ")}`);
    assert.ok(addon.getNumThreads() >= 1);
    assert.equal(addon.setIsa("sse9000"), false);
  });

  test("the default thread count is the CPUs this process may use (its affinity; a cgroup quota may lower it)", () => {
    // A fresh process, without AXON_NUM_THREADS, so that the pool starts at its default size.
    const addonPath = fileURLToPath(new URL("../build/Release/axon_native.node", import.meta.url));
    const env = { ...process.env };
    delete env.AXON_NUM_THREADS;
    const threadsIn = (command: string, args: string[]) => {
      const r = spawnSync(command, [...args, "-e", `console.log(require(${JSON.stringify(addonPath)}).getNumThreads())`], { env, encoding: "utf8" });
      assert.equal(r.status, 0, `${command} failed: ${r.error?.message ?? r.stderr}`);
      return Number(r.stdout.trim());
    };
    const all = threadsIn(process.execPath, []);
    assert.ok(all >= 1 && all <= availableParallelism(), `default ${all} threads, ${availableParallelism()} CPUs available`);
    // Pinned to one CPU (taskset, from util-linux), the pool must not start a second thread.
    if (process.platform === "linux") assert.equal(threadsIn("taskset", ["-c", "0", process.execPath]), 1);
  });

  for (const isa of isas) {
    for (const threads of [1, 2]) {
      describe(`native kernels (${isa}, ${threads} thread${threads > 1 ? "s" : ""})`, () => {
        const native = createNativeBackend(addon);
        const use = () => { addon.setIsa(isa); addon.setNumThreads(threads); };
        kernelTests(native, addon, use, 1000 * threads + isa.length);
        windowTests(native, use, 2000 * threads + isa.length);
      });
    }
  }

  test("matmul on 8 threads (4 tiles a thread instead of 2) agrees with the reference", () => {
    const native = createNativeBackend(addon);
    const before = addon.getNumThreads();
    addon.setIsa(defaultIsa);
    addon.setNumThreads(8);
    try {
      const g = new ax.Generator(8008);
      for (const [m, n, k] of [[300, 257, 513], [129, 1024, 64], [256, 256, 256], [1, 700, 300]]) {
        for (const transA of [false, true]) for (const transB of [false, true]) {
          checkMatmul(native, g, { batch: 1, m, n, k, transA, transB, aOffset: 0, bOffset: 0, aBatchStride: 0, bBatchStride: 0 });
        }
      }
    } finally {
      addon.setNumThreads(before);
    }
  });

  describe("native backend through the ops", () => {
    test("a depthwise conv's weight gradient over a big image, and a conv with no input channels, match the reference", () => {
      if (!ax.listBackends().includes("native")) ax.registerBackend(createNativeBackend(addon), -1);
      const before = ax.getBackend().name, threadsBefore = addon.getNumThreads();
      addon.setNumThreads(2);
      try {
        const run = (name: string) => {
          ax.setBackend(name);
          ax.manualSeed(11);
          // per group, the weight gradient is a one-row product (9 columns, 6400 deep): the split path of sgemm
          const x = ax.randn([1, 32, 80, 80], { requiresGrad: true }), w = ax.randn([32, 1, 3, 3], { requiresGrad: true });
          ax.nn.functional.conv2d(x, w, null, { padding: 1, groups: 32 }).square().sum().backward();
          // zero input channels: the output is the bias (PyTorch gives the same)
          const empty = ax.nn.functional.conv2d(ax.randn([2, 0, 5, 5]), ax.randn([4, 0, 3, 3]), ax.tensor([1, 2, 3, 4]), { padding: 1 });
          return { gw: Array.from(w.grad!.toTypedArray()), gx: Array.from(x.grad!.toTypedArray()), empty: empty.toArray() };
        };
        const ref = run("reference"), nat = run("native");
        assert.deepEqual(nat.empty, ref.empty);
        for (const key of ["gw", "gx"] as const) {
          const scale = ref[key].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
          ref[key].forEach((v, i) => assert.ok(Math.abs(nat[key][i] - v) <= 1e-4 * scale, `${key}[${i}]: native ${nat[key][i]}, reference ${v}`));
        }
      } finally {
        ax.setBackend(before);
        addon.setNumThreads(threadsBefore);
      }
    });

    test("an MLP's forward and backward agree with the reference backend", () => {
      if (!ax.listBackends().includes("native")) ax.registerBackend(createNativeBackend(addon), -1);
      const before = ax.getBackend().name;
      const run = (name: string) => {
        ax.setBackend(name);
        ax.manualSeed(7);
        const model = new ax.nn.Sequential(new ax.nn.Linear(37, 65), new ax.nn.ReLU(), new ax.nn.Linear(65, 10));
        const x = ax.randn([33, 37]);
        const y = ax.randint(0, 10, [33]);
        const loss = ax.nn.functional.crossEntropy(model.forward(x), y);
        loss.backward();
        return { loss: loss.item(), grads: model.parameters().map((p) => p.grad!.toTypedArray() as Float32Array) };
      };
      try {
        const want = run("reference"), got = run("native");
        assert.ok(Math.abs(got.loss - want.loss) <= 1e-5 * Math.abs(want.loss), `loss ${got.loss} vs ${want.loss}`);
        got.grads.forEach((g, i) => assertClose(g, want.grads[i], 1e-5, 1e-6, `grad ${i}`));
      } finally {
        ax.setBackend(before);
      }
    });

    test("kernels and dtypes the addon lacks fall back to the reference", () => {
      const native = createNativeBackend(addon);
      for (const k of Object.keys(referenceBackend) as (keyof Backend)[]) assert.ok(native[k] !== undefined, k);
      const x = Float64Array.from([0.5, -1, 2]), out = new Float64Array(3), want = new Float64Array(3);
      native.unary("exp", x, out);
      referenceBackend.unary("exp", x, want);
      assert.deepEqual(out, want);
      const xe = Float32Array.from([0.5, -1, 2]), oe = new Float32Array(3), we = new Float32Array(3);
      native.unary("erf", xe, oe);
      referenceBackend.unary("erf", xe, we);
      assert.deepEqual(oe, we);
    });
  });

  describe("native addon: bad arguments give errors, never out-of-bounds access", () => {
    const a = new Float32Array(12), b = new Float32Array(12), out = new Float32Array(16);
    test("matmul", () => {
      assert.throws(() => addon.matmul(a, b, out, 1, 4, 4, 4, false, false, 0, 0, 0, 0), RangeError); // A needs 16
      assert.throws(() => addon.matmul(a, b, out, 1, 3, 4, 3, false, false, 0, 0, 0, 0, new Float32Array(3)), RangeError); // bias needs 4
      assert.throws(() => addon.matmul(a, b, out, 2, 3, 3, 4, false, false, 0, 0, 1, 0), RangeError); // batch 2 past the end
      assert.throws(() => addon.matmul(a, new Float64Array(12) as never, out, 1, 3, 3, 4, false, false, 0, 0, 0, 0), TypeError);
      assert.throws(() => addon.matmul(a, b, out, 1, -3, 3, 4, false, false, 0, 0, 0, 0), RangeError);
    });
    test("unary, binary, reduce", () => {
      assert.throws(() => addon.unary(0, new Float32Array(3), new Float32Array(4), 0, 0), RangeError);
      assert.throws(() => addon.unary(99, a, a, 0, 0), RangeError);
      assert.throws(() => addon.binary(0, a, 0, 4, 1, b, 0, 4, 1, out, 4, 4), RangeError);
      assert.throws(() => addon.binary(0, a, 0, 4, 2, b, 0, 4, 1, out, 3, 4), RangeError);
      assert.throws(() => addon.reduce(0, a, 2, 3, 3, out), RangeError);
      // sizes whose products overflow 64-bit integers are checked in floating point, not wrapped past the checks
      const one = new Float32Array(1);
      assert.throws(() => addon.binary(0, one, 0, 0, 0, one, 0, 0, 0, one, 2 ** 32, 2 ** 32), RangeError);
      assert.throws(() => addon.where(new Uint8Array(1), 0, 0, 0, one, 0, 0, 0, one, 0, 0, 0, one, 2 ** 32, 2 ** 32), RangeError);
      assert.throws(() => addon.reduce(0, one, 2 ** 32, 2 ** 32, 2 ** 32, one), RangeError);
      assert.throws(() => addon.matmul(one, one, one, 2 ** 32, 2 ** 32, 2 ** 32, 1, false, false, 0, 0, 0, 0), RangeError);
      assert.throws(() => addon.softmax(new Float32Array(5), 2, 3, 1, new Float32Array(6), false), RangeError); // x needs 6
      assert.throws(() => addon.binary(104, a, 0, 4, 1, b, 0, 4, 1, out, 3, 4), TypeError); // comparisons write bytes
      assert.throws(() => addon.where(new Uint8Array(12), 0, 4, 1, a, 0, 4, 1, b, 1, 4, 1, out, 3, 4), RangeError);
      assert.throws(() => addon.copy(a, 0, 1, 4, out, 4, 4), RangeError);
      assert.throws(() => addon.copy(a, 0, 4, 1, out, 1, 4, 3, 5), RangeError); // third block reads past the end
    });
    test("im2col, col2im, maxPool2d, scatterAddRows, adamStep", () => {
      const w = [1, 1, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4, 4]; // x 16 elements, cols 144
      assert.throws(() => addon.im2col(new Float32Array(15), new Float32Array(144), ...w), RangeError);
      assert.throws(() => addon.im2col(new Float32Array(16), new Float32Array(143), ...w), RangeError);
      assert.throws(() => addon.im2col(new Float32Array(16), new Float32Array(144), ...w.map((v, i) => (i === 6 ? 0 : v))), RangeError); // stride 0
      assert.throws(() => addon.col2im(new Float32Array(143), new Float32Array(16), ...w), RangeError);
      assert.throws(() => addon.maxPool2d(new Float32Array(16), new Float32Array(16), new Int32Array(15), ...w), RangeError);
      assert.throws(() => addon.maxPool2d(new Float32Array(16), new Float32Array(16), new Float32Array(16) as never, ...w), TypeError);
      const p = [1, 1, 4, 4, 2, 2, 2, 2, 0, 0, 1, 1, 2, 2]; // 4 outputs of a 4x4 plane
      assert.throws(() => addon.maxPool2dBackward(new Float32Array(4), Int32Array.from([0, 1, 2, 16]), new Float32Array(16), ...p), RangeError); // index past the plane
      assert.throws(() => addon.maxPool2dBackward(new Float32Array(4), Int32Array.from([0, 1, 2, 3]), new Float32Array(15), ...p), RangeError);
      assert.throws(() => addon.scatterAddRows(new Float32Array(8), 2, 4, Int32Array.from([0, 4]), 1, new Float32Array(2)), RangeError);
      assert.throws(() => addon.scatterAddRows(new Float32Array(8), 2, 4, Int32Array.from([0, -1]), 1, new Float32Array(2)), RangeError);
      assert.throws(() => addon.scatterAddRows(new Float32Array(8), 3, 4, Int32Array.from([0, 1]), 1, new Float32Array(2)), RangeError);
      const f = (n: number) => new Float32Array(n);
      assert.throws(() => addon.adamStep(f(4), f(3), f(4), f(4), null, 0.9, 0.999, 1e-8, 0, 1e-3, 1, 1, false, false), RangeError);
      assert.throws(() => addon.adamStep(f(4), f(4), f(4), f(4), f(2), 0.9, 0.999, 1e-8, 0, 1e-3, 1, 1, false, false), RangeError);
      assert.throws(() => addon.sgdStep(f(4), f(3), null, 0.1, 0, 0, 0, false, false, true), RangeError);
      assert.throws(() => addon.sgdStep(f(4), f(4), f(3), 0.1, 0.9, 0, 0, false, false, true), RangeError);
      assert.throws(() => addon.rmspropStep(f(4), f(4), f(3), null, null, 0.01, 0.99, 1e-8, 0, 0, false), RangeError);
      assert.throws(() => addon.rmspropStep(f(4), f(4), f(4), f(2), null, 0.01, 0.99, 1e-8, 0, 0, false), RangeError);
      assert.throws(() => addon.adagradStep(f(4), f(4), f(3), 0.01, 1e-10, 0, false), RangeError);
    });
    test("conv2d, conv2dBackward", () => {
      const w = [2, 2, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4, 4]; // x 64 elements; weight 3 x 2 x 3 x 3 = 54; out 96
      const f = (n: number) => new Float32Array(n);
      assert.throws(() => addon.conv2d(f(63), f(54), null, f(96), 1, 3, ...w), RangeError);
      assert.throws(() => addon.conv2d(f(64), f(53), null, f(96), 1, 3, ...w), RangeError);
      // empty arrays (whose data pointer N-API gives as null) are checked like any other, not taken as absent
      assert.throws(() => addon.conv2d(f(0), f(54), null, f(96), 1, 3, ...w), RangeError);
      assert.throws(() => addon.conv2d(f(64), f(54), f(0), f(96), 1, 3, ...w), RangeError);
      assert.throws(() => addon.conv2d(f(64), f(54), f(2), f(96), 1, 3, ...w), RangeError); // bias needs 3
      assert.throws(() => addon.conv2d(f(64), f(54), null, f(95), 1, 3, ...w), RangeError);
      assert.throws(() => addon.conv2d(f(64), f(54), null, f(96), 2, 3, ...w), RangeError); // 3 outputs, 2 groups
      assert.throws(() => addon.conv2d(f(64), f(54), null, f(96), 0, 3, ...w), RangeError);
      assert.throws(() => addon.conv2d(f(64), new Float64Array(54) as never, null, f(96), 1, 3, ...w), TypeError);
      assert.throws(() => addon.conv2dBackward(f(64), f(54), f(95), null, f(54), null, 1, 3, ...w), RangeError);
      assert.throws(() => addon.conv2dBackward(f(64), f(54), f(96), f(63), null, null, 1, 3, ...w), RangeError);
      assert.throws(() => addon.conv2dBackward(f(64), f(54), f(96), null, f(53), null, 1, 3, ...w), RangeError);
      assert.throws(() => addon.conv2dBackward(f(64), f(54), f(96), null, null, f(2), 1, 3, ...w), RangeError);
      assert.throws(() => addon.conv2dBackward(null, f(54), f(96), null, f(54), null, 1, 3, ...w), TypeError); // gw needs x
    });
    test("setNumThreads", () => {
      assert.throws(() => addon.setNumThreads(0), RangeError);
    });
  });
}

// ---- the kernel checks, run once per (variant, thread count) --------------------------------------------------

function kernelTests(native: Backend, addon: NativeAddon, use: () => void, seed: number): void {
  const g = new ax.Generator(seed);
  const SIZES = [1, 7, 33, 129];

  test("matmul: every combination of m, n, k in {1, 7, 33, 129} and transA/transB", () => {
    use();
    for (const m of SIZES) for (const n of SIZES) for (const k of SIZES) {
      for (const transA of [false, true]) for (const transB of [false, true]) {
        checkMatmul(native, g, { batch: 1, m, n, k, transA, transB, aOffset: 0, bOffset: 0, aBatchStride: 0, bBatchStride: 0 });
      }
    }
  });

  test("sum of -0s is +0 across rows (inner > 1) and along one (inner = 1), as in the reference and PyTorch", () => {
    use();
    const x = new Float32Array(6).fill(-0);
    for (const [outer, size, inner] of [[1, 2, 3], [2, 3, 1]]) {
      const out = new Float32Array(outer * inner).fill(NaN);
      native.reduce("sum", x, outer, size, inner, out);
      assert.ok(Array.from(out).every((v) => Object.is(v, 0)), `[${outer}, ${size}, ${inner}]: ${Array.from(out).map((v) => (Object.is(v, -0) ? "-0" : v))}`);
    }
  });

  test("matmul: one row against a big B (split by columns across threads), every width from 1 to 64 columns", () => {
    use();
    // n * k * 4 bytes >= 64 KiB takes the split; below 32 columns it must not split (with n < 16 it once split into
    // zero parts and left C unwritten on 2 threads: nn.Linear(2048, 10) on one sample gave garbage)
    for (const n of [1, 5, 10, 15, 16, 17, 31, 32, 33, 64]) for (const k of [2048, 16384]) for (const transB of [false, true]) {
      checkMatmul(native, g, { batch: 1, m: 1, n, k, transA: false, transB, aOffset: 0, bOffset: 0, aBatchStride: 0, bBatchStride: 0 });
    }
  });

  test("matmul: batched, broadcast (batch stride 0), offsets, k past one slab, multi-tile products", () => {
    use();
    const cases: [number, number, number, number][] = [[3, 17, 31, 9], [4, 20, 30, 40], [2, 65, 129, 300], [1, 300, 257, 513], [1, 200, 1, 300], [1, 1, 300, 700], [5, 8, 32, 256]];
    for (const [batch, m, n, k] of cases) {
      for (const transA of [false, true]) for (const transB of [false, true]) {
        checkMatmul(native, g, { batch, m, n, k, transA, transB, aOffset: 5, bOffset: 3, aBatchStride: m * k, bBatchStride: k * n });
        checkMatmul(native, g, { batch, m, n, k, transA, transB, aOffset: 0, bOffset: 1, aBatchStride: m * k + 2, bBatchStride: 0 });
        checkMatmul(native, g, { batch, m, n, k, transA, transB, aOffset: 2, bOffset: 0, aBatchStride: 0, bBatchStride: k * n });
      }
    }
  });

  test("matmul with a bias added to every row (addmm), the empty product included", () => {
    use();
    for (const [batch, m, n, k] of [[1, 1, 256, 784], [1, 33, 7, 129], [2, 65, 129, 33], [3, 4, 9, 0]] as const) {
      const bias = Float32Array.from({ length: n }, () => g.normal());
      for (const transB of [false, true]) {
        checkMatmul(native, g, { batch, m, n, k, transA: false, transB, aOffset: 0, bOffset: 0, aBatchStride: m * k, bBatchStride: k * n, bias });
      }
    }
  });

  test("matmul with relu after the bias (a linear layer and its activation), NaN and -0 included", () => {
    use();
    for (const [batch, m, n, k] of [[1, 1, 256, 784], [1, 128, 256, 64], [2, 33, 7, 129], [3, 4, 9, 0]] as const) {
      for (const bias of [Float32Array.from({ length: n }, () => g.normal()), null]) {
        for (const transB of [false, true]) {
          checkMatmul(native, g, { batch, m, n, k, transA: false, transB, aOffset: 0, bOffset: 0, aBatchStride: m * k, bBatchStride: k * n, bias, relu: true });
        }
      }
    }
    // A product of NaN stays NaN; -0 (0 times a negative) becomes +0, as the unary relu makes it.
    const out = new Float32Array(3);
    native.matmul(Float32Array.of(NaN, 0, -0), Float32Array.of(1, -1, 1), out, { batch: 1, m: 3, n: 1, k: 1, transA: false, transB: false, aOffset: 0, bOffset: 1, aBatchStride: 0, bBatchStride: 0, relu: true });
    assert.ok(Number.isNaN(out[0]));
    assert.ok(Object.is(out[1], 0) && Object.is(out[2], 0), `got ${out[1]}, ${out[2]}`);
  });

  test("matmul: empty products", () => {
    use();
    const out = new Float32Array(6).fill(NaN);
    native.matmul(new Float32Array(0), new Float32Array(0), out, { batch: 1, m: 2, n: 3, k: 0, transA: false, transB: false, aOffset: 0, bOffset: 0, aBatchStride: 0, bBatchStride: 0 });
    assert.deepEqual([...out], [0, 0, 0, 0, 0, 0]);
    native.matmul(new Float32Array(0), new Float32Array(6), new Float32Array(0), { batch: 1, m: 0, n: 3, k: 2, transA: false, transB: false, aOffset: 0, bOffset: 0, aBatchStride: 0, bBatchStride: 0 });
  });

  const EXACT_UNARY = new Set<UnaryOp>(["neg", "abs", "square", "sqrt", "relu", "leakyRelu", "floor", "ceil", "clamp", "reciprocal"]);
  for (const op of NATIVE_OPS.unary) {
    test(`unary ${op}`, () => {
      use();
      for (const len of [1, 7, 33, 1000, 70001]) {
        const x = specialValues(g, len, op === "exp" || op === "sigmoid" || op === "tanh" || op === "silu" ? 30 : 5);
        const params: [number, number] = op === "leakyRelu" ? [0.01, 0] : op === "clamp" ? [-0.5, len % 2 ? NaN : 0.75] : [0, 0];
        const want = new Float32Array(len), got = new Float32Array(len);
        referenceBackend.unary(op, x, want, ...params);
        native.unary(op, x, got, ...params);
        if (EXACT_UNARY.has(op)) assertClose(got, want, 0, 0, `${op} len ${len}`);
        // rsqrt rounds twice (sqrt, then 1/x) where the reference rounds once.
        else assertClose(got, want, op === "rsqrt" ? 2.5e-7 : 6e-7, 1e-37, `${op} len ${len}`);
      }
    });
  }

  test("exp, sigmoid, tanh: overflow, underflow, infinities and NaN", () => {
    use();
    const x = Float32Array.from([88.7, 88.8, 89, 100, Infinity, -Infinity, -87.3, -100, -103.9, -104, -200, NaN, 0, -0, 1e-8, -1e-8, 0.6249, 0.6251]);
    for (const op of ["exp", "sigmoid", "tanh", "silu"] as UnaryOp[]) {
      const want = new Float32Array(x.length), got = new Float32Array(x.length);
      referenceBackend.unary(op, x, want);
      native.unary(op, x, got);
      assertClose(got, want, 6e-7, 1e-37, op);
    }
  });

  for (const op of NATIVE_OPS.binary) {
    test(`binary ${op}: same shape, row and column broadcast, scalar, strided fallback`, () => {
      use();
      const shapes: [number[], number[], number[]][] = [
        [[33, 129], [33, 129], [33, 129]],
        [[7, 1000], [1000], [7, 1000]],
        [[129, 33], [129, 1], [129, 33]],
        [[], [40000], [40000]],
        [[300, 257], [], [300, 257]],
        [[1], [1], [1]],
        [[5, 1, 7], [1, 6, 7], [5, 6, 7]], // three dims after collapsing: the reference path
        [[400, 300], [400, 300], [400, 300]],
      ];
      for (const [sa, sb, shape] of shapes) {
        for (const swap of [false, true]) {
          const [s1, s2] = swap ? [sb, sa] : [sa, sb];
          const a = viewOf(g, s1, shape, 2), b = viewOf(g, s2, shape, 3);
          const size = shape.reduce((p, q) => p * q, 1);
          const want = outFor(op, size), got = outFor(op, size);
          referenceBackend.binary(op, a, b, shape, want);
          native.binary(op, a, b, shape, got);
          assertClose(got, want, 0, 0, `${op} ${JSON.stringify(s1)} with ${JSON.stringify(s2)}`);
        }
      }
      // A transposed operand: general strides, handled by the reference kernel.
      const a = viewOf(g, [20, 30], [20, 30], 0);
      const at: View = { data: a.data, offset: 0, strides: [1, 20] };
      const b = viewOf(g, [30, 20], [30, 20], 0);
      const want = outFor(op, 600), got = outFor(op, 600);
      referenceBackend.binary(op, at, b, [30, 20], want);
      native.binary(op, at, b, [30, 20], got);
      assertClose(got, want, 0, 0, `${op} transposed`);
    });
  }

  test("where: same shape, broadcast condition and operands, strided fallback", () => {
    use();
    const cases: [number[], number[], number[], number[]][] = [
      [[129, 33], [129, 33], [129, 33], [129, 33]],
      [[129, 1], [33], [], [129, 33]],
      [[70000], [70000], [1], [70000]],
      [[4, 1, 5], [1, 3, 5], [4, 3, 5], [4, 3, 5]],
    ];
    for (const [sc, sa, sb, shape] of cases) {
      const c0 = viewOf(g, sc, shape, 1);
      const cond: View = { data: Uint8Array.from(c0.data, (v) => (v > 0 ? 1 : 0)), offset: 1, strides: c0.strides };
      const a = viewOf(g, sa, shape, 0), b = viewOf(g, sb, shape, 2);
      const size = shape.reduce((p, q) => p * q, 1);
      const want = new Float32Array(size), got = new Float32Array(size);
      referenceBackend.where(cond, a, b, shape, want);
      native.where(cond, a, b, shape, got);
      assertClose(got, want, 0, 0, `where ${JSON.stringify([sc, sa, sb])}`);
    }
  });

  test("copy of an empty non-contiguous tensor (a first dim of 0) is empty, not an out-of-bounds error", () => {
    use();
    // [0, 2, 3] transposed to [0, 3, 2], and [0, 1, 2] expanded to [0, 4, 2]: three dims after collapsing.
    native.copy({ data: new Float32Array(0), offset: 0, strides: [6, 1, 3] }, [0, 3, 2], new Float32Array(0));
    native.copy({ data: new Float32Array(0), offset: 0, strides: [2, 0, 1] }, [0, 4, 2], new Float32Array(0));
  });

  test("copy: contiguous, transposed, strided, broadcast and dtype-converting views", () => {
    use();
    const data = new Float32Array(300 * 257 + 5);
    for (let i = 0; i < data.length; i++) data[i] = g.normal();
    const cases: [number[], number[], number][] = [
      [[300, 257], [257, 1], 5], // contiguous
      [[257, 300], [1, 257], 0], // transposed
      [[100, 50], [514, 2], 3], // every other column of every other row
      [[7, 33], [0, 1], 0], // a broadcast row
      [[3, 4, 5], [1, 15, 3], 0], // a 3-d permutation: the addon's outer axis
      [[8, 4, 200], [200, 1600, 1], 7], // convolution's [O, N, P] -> [N, O, P] swap
      [[2, 3, 4, 5], [1, 40, 10, 2], 0], // four dimensions: the reference path
      [[], [], 9],
    ];
    for (const [shape, strides, offset] of cases) {
      const size = shape.reduce((p, q) => p * q, 1);
      const want = new Float32Array(size), got = new Float32Array(size);
      referenceBackend.copy({ data, offset, strides }, shape, want);
      native.copy({ data, offset, strides }, shape, got);
      assertClose(got, want, 0, 0, `copy ${JSON.stringify([shape, strides])}`);
    }
    const f64 = new Float64Array(10), f64ref = new Float64Array(10);
    native.copy({ data, offset: 0, strides: [1] }, [10], f64);
    referenceBackend.copy({ data, offset: 0, strides: [1] }, [10], f64ref);
    assert.deepEqual(f64, f64ref);
  });

  for (const op of NATIVE_OPS.reduce) {
    test(`reduce ${op} over [outer, size, inner]`, () => {
      use();
      const shapes = [[1, 1, 1], [1, 7, 1], [3, 33, 1], [2, 129, 7], [7, 1, 33], [4, 1000, 1], [1, 100003, 1], [2, 300, 257], [1000, 60, 1]];
      for (const [outer, size, inner] of shapes) {
        for (const withNaN of [false, true]) {
          const x = new Float32Array(outer * size * inner);
          for (let i = 0; i < x.length; i++) x[i] = g.normal() * 10;
          if (withNaN) x[Math.floor(x.length / 2)] = NaN;
          const want = new Float32Array(outer * inner), got = new Float32Array(outer * inner);
          referenceBackend.reduce(op as ReduceOp, x, outer, size, inner, want);
          native.reduce(op as ReduceOp, x, outer, size, inner, got);
          // A sum rounds once to float32 from float64 partial sums taken in another order: one ulp of sum |x|.
          assertClose(got, want, op === "sum" ? 1.2e-7 * 10 * size : 0, 0, `${op} [${outer}, ${size}, ${inner}]${withNaN ? " with NaN" : ""}`, op === "sum");
        }
      }
    });
  }

  test("softmax and log-softmax over [outer, size, inner], with infinities and NaN", () => {
    use();
    for (const [outer, size, inner] of [[1, 1, 1], [128, 10, 1], [3, 33, 7], [2, 1000, 1], [5000, 10, 1], [1, 7, 300]]) {
      const x = new Float32Array(outer * size * inner);
      for (let i = 0; i < x.length; i++) x[i] = g.normal() * 8;
      if (x.length > 20) { x[3] = Infinity; x[7] = -Infinity; x[11] = NaN; }
      for (const log of [false, true]) {
        const want = new Float32Array(x.length), got = new Float32Array(x.length);
        referenceBackend.softmax(x, outer, size, inner, want, log);
        native.softmax(x, outer, size, inner, got, log);
        const ctx = `${log ? "logSoftmax" : "softmax"} [${outer}, ${size}, ${inner}]`;
        if (inner !== 1) {
          // float64 arithmetic in both, rounded once; exp/log from different libraries: a few ulps.
          assertClose(got, want, 4e-7, 1e-30, ctx);
          continue;
        }
        // Contiguous lines: the native kernel takes exp in float32 of x - max rounded to float32, as PyTorch's
        // float32 softmax does, which adds |x - max| * 2^-24 to the relative error of that element's exp. The log
        // of the float64 sum is a few ulps of 1 off at most, absolutely.
        for (let i = 0; i < x.length; i++) {
          const row = Math.floor(i / size);
          const line = x.subarray(row * size, (row + 1) * size);
          const mx = line.some(Number.isNaN) ? NaN : Math.max(...line);
          const arg = Number.isFinite(mx) ? Math.abs(x[i] - mx) : 0;
          const tol = log ? 4e-7 * Math.abs(want[i]) + 2.4e-7 : (4e-7 + 6e-8 * arg) * Math.abs(want[i]) + 1e-30;
          const [v, w] = [got[i], want[i]];
          if (Number.isNaN(v) || Number.isNaN(w) || !Number.isFinite(w)) {
            assert.ok(Object.is(v, w) || (Number.isNaN(v) && Number.isNaN(w)), `${ctx}: element ${i} is ${v}, expected ${w}`);
          } else {
            assert.ok(Math.abs(v - w) <= tol, `${ctx}: element ${i} is ${v}, expected ${w} (|diff| ${Math.abs(v - w)} > ${tol})`);
          }
        }
      }
    }
  });
}

// ---- sliding windows and the fused optimizer, run once per (variant, thread count) ------------------------------

function windowTests(native: Backend, use: () => void, seed: number): void {
  const g = new ax.Generator(seed);
  const window = (batch: number, channels: number, height: number, width: number, k: [number, number], s: [number, number],
    p: [number, number], d: [number, number], ceil = false): Window2d => {
    const out = (n: number, kk: number, ss: number, pp: number, dd: number) => {
      const span = n + 2 * pp - dd * (kk - 1) - 1;
      return Math.max(0, (ceil ? Math.ceil(span / ss) : Math.floor(span / ss)) + 1);
    };
    return { batch, channels, height, width, kernelH: k[0], kernelW: k[1], strideH: s[0], strideW: s[1], padH: p[0], padW: p[1],
      dilationH: d[0], dilationW: d[1], outH: out(height, k[0], s[0], p[0], d[0]), outW: out(width, k[1], s[1], p[1], d[1]) };
  };
  // The MNIST CNN's layers, strides, dilations, asymmetric kernels, padding wider than the kernel, 1x1 and
  // ceil-mode (a last window that hangs past the input).
  const WINDOWS: Window2d[] = [
    window(4, 1, 28, 28, [3, 3], [1, 1], [1, 1], [1, 1]),
    window(3, 5, 14, 14, [3, 3], [1, 1], [1, 1], [1, 1]),
    window(2, 3, 11, 9, [2, 2], [2, 2], [0, 0], [1, 1]),
    window(2, 3, 11, 9, [3, 2], [2, 3], [1, 0], [2, 1]),
    window(1, 2, 7, 8, [5, 3], [1, 2], [4, 3], [1, 2]),
    window(2, 4, 6, 6, [1, 1], [1, 1], [0, 0], [1, 1]),
    window(2, 2, 7, 7, [2, 2], [2, 2], [0, 0], [1, 1], true),
    window(1, 1, 1, 1, [3, 3], [1, 1], [1, 1], [1, 1]),
    window(8, 64, 9, 9, [3, 3], [1, 1], [1, 1], [1, 1]), // enough work for the thread pool
    window(2, 3, 28, 70, [2, 2], [2, 2], [0, 0], [1, 1]), // 2x2 pooling rows of 35 windows: whole vectors and a tail
    window(2, 2, 9, 9, [3, 3], [1, 1], [0, 0], [2, 2]), // row-aligned convolution taps with no padding, dilated
  ];
  const randomArray = (n: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = g.normal();
    return a;
  };
  const imageSize = (w: Window2d) => w.batch * w.channels * w.height * w.width;
  const colsSize = (w: Window2d) => w.channels * w.kernelH * w.kernelW * w.batch * w.outH * w.outW;

  test("scatterInto: row blocks (native) and other strides (reference) write what the reference writes", () => {
    use();
    for (const [shape, strides, offset] of [[[30, 40], [50, 1], 3], [[40, 30], [1, 50], 0], [[5, 10], [0, 1], 0], [[1000], [1], 2]] as [number[], number[], number][]) {
      const size = shape.reduce((p, q) => p * q, 1);
      const src = randomArray(size), want = randomArray(offset + 2000), got = want.slice();
      referenceBackend.scatterInto(src, shape, { data: want, offset, strides });
      native.scatterInto(src, shape, { data: got, offset, strides });
      assertClose(got, want, 0, 0, `scatterInto ${JSON.stringify([shape, strides])}`);
    }
  });

  test("binary with a per-channel broadcast ([N, C, H, W] with [1, C, 1, 1], batch norm's pattern) matches the reference", () => {
    use();
    const [n, c, h, w] = [3, 5, 7, 4];
    const x = randomArray(n * c * h * w), ch = randomArray(c);
    const shape = [n, c, h, w];
    const full: View = { data: x, offset: 0, strides: [c * h * w, h * w, w, 1] };
    const perChannel: View = { data: ch, offset: 0, strides: [0, 1, 0, 0] };
    for (const op of ["add", "sub", "mul", "div", "gt"] as BinaryOp[]) {
      for (const [p, q] of [[full, perChannel], [perChannel, full]]) {
        const cmp = op === "gt";
        const want = cmp ? new Uint8Array(x.length) : new Float32Array(x.length);
        const got = cmp ? new Uint8Array(x.length) : new Float32Array(x.length);
        referenceBackend.binary(op, p, q, shape, want);
        native.binary(op, p, q, shape, got);
        assert.deepEqual([...got], [...want], `${op} per-channel`);
      }
    }
  });

  test("where with a scalar operand (relu's backward) matches the reference", () => {
    use();
    const n = 70001, x = randomArray(n), cond = Uint8Array.from(x, (v) => (v > 0 ? 1 : 0)), zero = Float32Array.of(0.5);
    for (const swap of [false, true]) {
      const a: View = { data: x, offset: 0, strides: [1] }, b: View = { data: zero, offset: 0, strides: [0] };
      const [p, q] = swap ? [b, a] : [a, b];
      const want = new Float32Array(n), got = new Float32Array(n);
      referenceBackend.where({ data: cond, offset: 0, strides: [1] }, p, q, [n], want);
      native.where({ data: cond, offset: 0, strides: [1] }, p, q, [n], got);
      assertClose(got, want, 0, 0, `where scalar ${swap ? "a" : "b"}`);
    }
  });

  test("im2col and col2im match the reference bit for bit", () => {
    use();
    for (const w of WINDOWS) {
      const x = randomArray(imageSize(w));
      const want = new Float32Array(colsSize(w)), got = new Float32Array(colsSize(w)).fill(NaN);
      referenceBackend.im2col(x, w, want);
      native.im2col(x, w, got);
      assertClose(got, want, 0, 0, `im2col ${JSON.stringify(w)}`);
      const cols = randomArray(colsSize(w));
      const back = new Float32Array(imageSize(w)), backGot = new Float32Array(imageSize(w)).fill(NaN);
      referenceBackend.col2im(cols, w, back);
      native.col2im(cols, w, backGot);
      assertClose(backGot, back, 0, 0, `col2im ${JSON.stringify(w)}`);
    }
  });

  test("maxPool2d matches the reference (values, indices, ties, NaN, -Infinity)", () => {
    use();
    for (const w of WINDOWS) {
      const x = randomArray(imageSize(w));
      for (let i = 0; i < x.length; i += 13) x[i] = [NaN, -Infinity, Infinity, 0, -0][(i / 13) % 5];
      for (let i = 5; i + 1 < x.length; i += 17) x[i + 1] = x[i]; // ties: the first maximum must win
      const n = w.batch * w.channels * w.outH * w.outW;
      const want = new Float32Array(n), got = new Float32Array(n), wi = new Int32Array(n), gi = new Int32Array(n).fill(-7);
      referenceBackend.maxPool2d(x, w, want, wi);
      native.maxPool2d(x, w, got, gi);
      assertClose(got, want, 0, 0, `maxPool2d ${JSON.stringify(w)}`);
      assert.deepEqual(gi, wi, `maxPool2d indices ${JSON.stringify(w)}`);
      // The backward: gx written in full (a NaN-filled gx must come back with no NaN left), overlapping windows summed.
      const gy = randomArray(n), plane = imageSize(w) / (w.batch * w.channels);
      const gxWant = new Float32Array(imageSize(w)), gxGot = new Float32Array(imageSize(w)).fill(NaN);
      referenceBackend.maxPool2dBackward(gy, wi, { ...w, batch: w.batch * w.channels, channels: 1 }, gxWant);
      native.maxPool2dBackward(gy, wi, { ...w, batch: w.batch * w.channels, channels: 1 }, gxGot);
      assertClose(gxGot, gxWant, 0, 0, `maxPool2dBackward ${JSON.stringify(w)} (plane ${plane})`);
    }
  });

  test("conv2d and conv2dBackward agree with the reference (groups, bias, each gradient alone, threads)", () => {
    use();
    const abs = (a: Float32Array) => a.map(Math.abs);
    for (const w of WINDOWS) {
      for (const groups of w.channels > 1 ? [1, w.channels] : [1]) {
        const outChannels = 2 * groups + (groups === 1 ? 1 : 0);
        const geo = { ...w, groups, outChannels };
        const Kg = (w.channels / groups) * w.kernelH * w.kernelW, P = w.outH * w.outW;
        const x = randomArray(imageSize(w)), wt = randomArray(outChannels * Kg), bias = randomArray(outChannels);
        const outLen = w.batch * outChannels * P, gy = randomArray(outLen);
        // Error bound as for matmul: float32 sums of at most `terms` products, within terms * 2^-24 * sum |terms|.
        const terms = Math.max(2, Kg + 1, w.batch * P + 1, (outChannels / groups) * w.kernelH * w.kernelW);
        const check = (got: Float32Array, want: Float32Array, scale: Float32Array, what: string) => {
          assert.ok(Number.isNaN(got[want.length]), `${what}: wrote past the end`);
          for (let i = 0; i < want.length; i++) {
            const tol = terms * 2 ** -24 * scale[i] + 1e-30;
            if (!(Math.abs(got[i] - want[i]) <= tol)) assert.fail(`${what} ${JSON.stringify(geo)}: element ${i} is ${got[i]}, expected ${want[i]} (tol ${tol})`);
          }
        };
        const nanArray = (n: number) => new Float32Array(n + 1).fill(NaN);
        for (const b of [bias, null]) {
          for (const relu of [false, true]) {
            const want = new Float32Array(outLen), got = nanArray(outLen), scale = new Float32Array(outLen);
            referenceBackend.conv2d(x, wt, b, geo, want, relu);
            native.conv2d(x, wt, b, geo, got, relu);
            referenceBackend.conv2d(abs(x), abs(wt), b && abs(b), geo, scale);
            check(got, want, scale, `conv2d${b ? "" : " (no bias)"}${relu ? " with relu" : ""}`);
            if (relu) {
              const plain = new Float32Array(outLen);
              referenceBackend.conv2d(x, wt, b, geo, plain);
              assert.deepEqual(want, plain.map((v) => (v > 0 ? v : 0)), "the reference's relu");
            }
          }
        }
        const want = { gx: new Float32Array(x.length), gw: new Float32Array(wt.length), gb: new Float32Array(outChannels) };
        const scale = { gx: new Float32Array(x.length), gw: new Float32Array(wt.length), gb: new Float32Array(outChannels) };
        referenceBackend.conv2dBackward(x, wt, gy, geo, want.gx, want.gw, want.gb);
        referenceBackend.conv2dBackward(abs(x), abs(wt), abs(gy), geo, scale.gx, scale.gw, scale.gb);
        // All three at once, then each alone (the kernel skips what is not asked for).
        for (const wanted of [["gx", "gw", "gb"], ["gx"], ["gw"], ["gb"]] as const) {
          const got = { gx: nanArray(x.length), gw: nanArray(wt.length), gb: nanArray(outChannels) };
          const pick = (k: "gx" | "gw" | "gb") => ((wanted as readonly string[]).includes(k) ? got[k] : null);
          // x is read only for gw: without it (a transposed convolution's forward) the others come out the same.
          native.conv2dBackward(pick("gw") ? x : null, wt, gy, geo, pick("gx"), pick("gw"), pick("gb"));
          for (const k of wanted) check(got[k], want[k], scale[k], `conv2dBackward ${k} (of ${wanted.join(", ")})`);
        }
      }
    }
  });

  test("conv2dBackward is deterministic: the same weight gradient, bit for bit, however the threads split the batch", () => {
    use();
    const w = window(16, 8, 12, 12, [3, 3], [1, 1], [1, 1], [1, 1]);
    const geo = { ...w, groups: 1, outChannels: 16 };
    const x = randomArray(imageSize(w)), wt = randomArray(16 * 8 * 9), gy = randomArray(w.batch * 16 * w.outH * w.outW);
    const run = () => {
      const gw = new Float32Array(wt.length), gb = new Float32Array(16);
      native.conv2dBackward(x, wt, gy, geo, null, gw, gb);
      return [gw, gb];
    };
    const [gw0, gb0] = run();
    for (let i = 0; i < 5; i++) {
      const [gw, gb] = run();
      assert.deepEqual(gw, gw0);
      assert.deepEqual(gb, gb0);
    }
  });

  test("scatterAdd along the last axis of a matrix (max pooling's backward) matches the reference", () => {
    use();
    for (const [rows, outCols, idxCols] of [[1, 1, 1], [3, 10, 25], [300, 196, 49], [5, 4, 0]]) {
      const index = new Int32Array(rows * idxCols), src = randomArray(rows * idxCols);
      for (let i = 0; i < index.length; i++) index[i] = Math.floor(g.random() * outCols);
      const want = randomArray(rows * outCols), got = want.slice();
      referenceBackend.scatterAdd(want, [rows, outCols], 1, index, [rows, idxCols], src);
      native.scatterAdd(got, [rows, outCols], 1, index, [rows, idxCols], src);
      assertClose(got, want, 0, 0, `scatterAdd [${rows}, ${outCols}] <- [${rows}, ${idxCols}]`);
    }
  });

  test("sgdStep matches the reference bit for bit: momentum, dampening, Nesterov, weight decay, maximize, 5 steps", () => {
    use();
    const ref = referenceBackend.sgdStep!, nat = native.sgdStep!;
    for (const n of [1, 7, 100, 70001]) {
      for (const [momentum, dampening, nesterov, weightDecay, maximize] of [[0, 0, false, 0, false], [0, 0, false, 0.01, true], [0.9, 0, false, 0, false], [0.9, 0.1, false, 0.001, false], [0.8, 0, true, 0.01, true]] as const) {
        const theta = randomArray(n), tn = theta.slice();
        const b = momentum ? new Float32Array(n) : null, bn = momentum ? new Float32Array(n) : null;
        for (let step = 1; step <= 5; step++) {
          const grad = randomArray(n);
          const p: SgdStepParams = { lr: 0.01 * step, momentum, dampening, weightDecay, nesterov, maximize, first: step === 1 };
          ref(theta, grad, b, p);
          nat(tn, grad, bn, p);
        }
        const ctx = `sgdStep n ${n} ${JSON.stringify({ momentum, dampening, nesterov, weightDecay, maximize })}`;
        assertClose(tn, theta, 0, 0, `${ctx} param`);
        if (b) assertClose(bn!, b, 0, 0, `${ctx} momentum buffer`);
      }
    }
  });

  test("rmspropStep and adagradStep match the reference bit for bit: centered, momentum, weight decay, maximize, 5 steps", () => {
    use();
    for (const n of [1, 7, 100, 70001]) {
      for (const [centered, momentum, weightDecay, maximize] of [[false, 0, 0, false], [true, 0, 0.01, false], [false, 0.9, 0, true], [true, 0.5, 0.001, false]] as const) {
        const theta = randomArray(n), tn = theta.slice();
        const state = () => [new Float32Array(n), centered ? new Float32Array(n) : null, momentum ? new Float32Array(n) : null] as const;
        const [v, ga, b] = state(), [vn, gan, bn] = state();
        for (let step = 1; step <= 5; step++) {
          const grad = randomArray(n);
          const p: RmspropStepParams = { lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay, momentum, maximize };
          referenceBackend.rmspropStep!(theta, grad, v, ga, b, p);
          native.rmspropStep!(tn, grad, vn, gan, bn, p);
        }
        const ctx = `rmspropStep n ${n} ${JSON.stringify({ centered, momentum, weightDecay, maximize })}`;
        assertClose(tn, theta, 0, 0, `${ctx} param`);
        assertClose(vn, v, 0, 0, `${ctx} squareAvg`);
        if (ga) assertClose(gan!, ga, 0, 0, `${ctx} gradAvg`);
        if (b) assertClose(bn!, b, 0, 0, `${ctx} momentum buffer`);
      }
      for (const [weightDecay, maximize] of [[0, false], [0.01, true]] as const) {
        const theta = randomArray(n), tn = theta.slice(), s = new Float32Array(n).fill(0.1), sn = s.slice();
        for (let step = 1; step <= 5; step++) {
          const grad = randomArray(n);
          const p: AdagradStepParams = { clr: 0.01 / (1 + (step - 1) * 0.001), eps: 1e-10, weightDecay, maximize };
          referenceBackend.adagradStep!(theta, grad, s, p);
          native.adagradStep!(tn, grad, sn, p);
        }
        assertClose(tn, theta, 0, 0, `adagradStep n ${n} param`);
        assertClose(sn, s, 0, 0, `adagradStep n ${n} sum`);
      }
    }
  });

  test("optimizer state that would be a float32 subnormal is stored as a zero of its sign, alike in both backends", () => {
    use();
    const MIN = 1.1754943508222875e-38;
    // Moments and buffers around the smallest normal float32, with zero gradients: each step shrinks them.
    const start = Float32Array.from([2e-38, -2e-38, 1.3e-38, -1.2e-38, 1e-39, 1.4e-45, -1.4e-45, 0, -0, 5e-38, 1, -3e-37]);
    const n = start.length, zeroGrad = new Float32Array(n);
    const noSubnormal = (a: Float32Array, ctx: string) => {
      for (let i = 0; i < n; i++) assert.ok(a[i] === 0 || Math.abs(a[i]) >= MIN, `${ctx}: element ${i} is subnormal (${a[i]})`);
    };
    const sameBits = (got: Float32Array, want: Float32Array, ctx: string) => {
      for (let i = 0; i < n; i++) assert.ok(Object.is(got[i], want[i]), `${ctx}: element ${i} is ${Object.is(got[i], -0) ? "-0" : got[i]}, expected ${Object.is(want[i], -0) ? "-0" : want[i]}`);
    };
    const theta = Float32Array.from({ length: n }, (_, i) => i / 10), tn = theta.slice();
    const b = start.slice(), bn = start.slice();
    for (let step = 0; step < 3; step++) {
      const p: SgdStepParams = { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, first: false };
      referenceBackend.sgdStep!(theta, zeroGrad, b, p);
      native.sgdStep!(tn, zeroGrad, bn, p);
      // After the first step, -1.2e-38 * 0.9 (subnormal) is stored as -0 by both.
      if (step === 0) assert.ok(Object.is(b[3], -0) && Object.is(bn[3], -0), `a negative subnormal becomes -0 (got ${b[3]}, ${bn[3]})`);
    }
    noSubnormal(b, "sgdStep reference buffer");
    sameBits(bn, b, "sgdStep buffer");
    sameBits(tn, theta, "sgdStep param");

    // Not centered: the square average and the momentum buffer are flushed. Centered: the two averages are kept as
    // they are (a flushed v under an unflushed gAve would make v - gAve² negative), the buffer is flushed.
    for (const centered of [false, true]) {
      const v = start.map(Math.abs), ga = centered ? start.slice() : null, rb = start.slice();
      const vn = v.slice(), gan = ga && ga.slice(), rbn = rb.slice();
      for (let step = 0; step < 3; step++) {
        const p: RmspropStepParams = { lr: 0.01, alpha: 0.5, eps: 1e-8, weightDecay: 0, momentum: 0.5, maximize: false };
        referenceBackend.rmspropStep!(theta, zeroGrad, v, ga, rb, p);
        native.rmspropStep!(tn, zeroGrad, vn, gan, rbn, p);
      }
      if (!centered) noSubnormal(v, "rmspropStep reference squareAvg");
      noSubnormal(rb, `rmspropStep reference momentum buffer${centered ? " (centered)" : ""}`);
      sameBits(vn, v, `rmspropStep squareAvg${centered ? " (centered)" : ""}`);
      if (ga) sameBits(gan!, ga, "rmspropStep gradAvg");
      sameBits(rbn, rb, `rmspropStep momentum buffer${centered ? " (centered)" : ""}`);
      sameBits(tn, theta, `rmspropStep param${centered ? " (centered)" : ""}`);
    }

    const m = start.slice(), v2 = start.map(Math.abs), mn = m.slice(), v2n = v2.slice(), ta = theta.slice(), tan = theta.slice();
    for (let step = 1; step <= 3; step++) {
      const p: AdamStepParams = { lr: 1e-3, beta1: 0.5, beta2: 0.5, eps: 1e-8, weightDecay: 0, decoupled: false, maximize: false, step };
      referenceBackend.adamStep!(ta, zeroGrad, m, v2, null, p);
      native.adamStep!(tan, zeroGrad, mn, v2n, null, p);
    }
    for (const [got, want, name] of [[mn, m, "expAvg"], [v2n, v2, "expAvgSq"]] as const) {
      noSubnormal(want, `adamStep reference ${name}`);
      noSubnormal(got, `adamStep native ${name}`);
    }
    assertClose(tan, ta, 4e-7, 0, "adamStep param");
  });

  test("adamStep agrees with the reference to float32 rounding: Adam, AdamW, L2, AMSGrad, maximize, 10 steps", () => {
    use();
    const ref = referenceBackend.adamStep!, nat = native.adamStep!;
    for (const n of [1, 7, 100, 70001]) {
      for (const [decoupled, weightDecay, amsgrad, maximize] of [[false, 0, false, false], [false, 0.1, true, false], [true, 0.01, false, true], [true, 0.05, true, false]] as const) {
        const theta = randomArray(n), tn = theta.slice();
        const s = [new Float32Array(n), new Float32Array(n)], sn = [new Float32Array(n), new Float32Array(n)];
        const vm = amsgrad ? new Float32Array(n) : null, vmn = amsgrad ? new Float32Array(n) : null;
        for (let step = 1; step <= 10; step++) {
          const grad = randomArray(n);
          if (n > 7) grad[3] = step % 2 ? 0 : 1e-30;
          const p: AdamStepParams = { lr: 1e-2 * step, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay, decoupled, maximize, step };
          ref(theta, grad, s[0], s[1], vm, p);
          nat(tn, grad, sn[0], sn[1], vmn, p);
        }
        const ctx = `adamStep n ${n} ${JSON.stringify({ decoupled, weightDecay, amsgrad, maximize })}`;
        // float32 against float64-then-rounded arithmetic over 10 steps: a few float32 ulps of each value, and of
        // the gradient's scale (1) where a running average cancels to near 0. A parameter is rounded twice a step
        // at the size it had then (up to ~2: ulp 2.4e-7), so one that ends near 0 carries ~10 steps of that.
        assertClose(tn, theta, 2e-6, 5e-6, `${ctx} param`);
        assertClose(sn[0], s[0], 2e-6, 1e-6, `${ctx} expAvg`);
        assertClose(sn[1], s[1], 2e-6, 1e-9, `${ctx} expAvgSq`);
        if (vm) assertClose(vmn!, vm, 2e-6, 1e-9, `${ctx} maxExpAvgSq`);
      }
    }
    // float64 parameters use the reference kernel.
    const t64 = Float64Array.from([1, 2]), w64 = t64.slice();
    const p: AdamStepParams = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, maximize: false, step: 1 };
    nat(t64, Float64Array.from([0.5, -1]), new Float64Array(2), new Float64Array(2), null, p);
    ref(w64, Float64Array.from([0.5, -1]), new Float64Array(2), new Float64Array(2), null, p);
    assert.deepEqual(t64, w64);
  });
}

// ---- helpers ------------------------------------------------------------------------------------------------

function checkMatmul(native: Backend, g: ax.Generator, p: MatmulParams): void {
  const aLen = p.aOffset + (p.batch - 1) * p.aBatchStride + p.m * p.k;
  const bLen = p.bOffset + (p.batch - 1) * p.bBatchStride + p.k * p.n;
  const a = new Float32Array(aLen), b = new Float32Array(bLen);
  for (let i = 0; i < aLen; i++) a[i] = g.normal();
  for (let i = 0; i < bLen; i++) b[i] = g.normal();
  const outLen = p.batch * p.m * p.n;
  // One guard element past the end: the kernel must not write there.
  const want = new Float32Array(outLen), got = new Float32Array(outLen + 1).fill(NaN), scale = new Float32Array(outLen);
  referenceBackend.matmul(a, b, want, p);
  native.matmul(a, b, got, p);
  referenceBackend.matmul(a.map(Math.abs), b.map(Math.abs), scale, { ...p, bias: p.bias ? p.bias.map(Math.abs) : null });
  const ctx = `matmul ${JSON.stringify({ ...p, bias: p.bias ? `[${p.bias.length}]` : undefined })}`;
  if (p.bias || p.relu) {
    // The reference's own epilogue: the plain product, then + bias[j] rounded once, then relu.
    const plain = new Float32Array(outLen);
    referenceBackend.matmul(a, b, plain, { ...p, bias: null, relu: false });
    for (let i = 0; i < outLen; i++) {
      const v = p.bias ? Math.fround(plain[i] + p.bias[i % p.n]) : plain[i];
      assert.equal(want[i], p.relu ? (v > 0 ? v : 0) : v, `${ctx}: reference epilogue at ${i}`);
    }
  }
  assert.ok(Number.isNaN(got[outLen]), `${ctx}: wrote past the output`);
  // float32 accumulation of k products: error within about k * 2^-24 * sum |a||b| in the worst case.
  const rel = Math.max(2, p.k) * 2 ** -24;
  for (let i = 0; i < outLen; i++) {
    const tol = rel * scale[i] + 1e-30;
    if (!(Math.abs(got[i] - want[i]) <= tol)) assert.fail(`${ctx}: element ${i} is ${got[i]}, expected ${want[i]} (tol ${tol})`);
  }
}

const COMPARISONS = new Set<BinaryOp>(["eq", "ne", "lt", "le", "gt", "ge"]);
function outFor(op: BinaryOp, size: number): Float32Array | Uint8Array {
  return COMPARISONS.has(op) ? new Uint8Array(size) : new Float32Array(size);
}

/** Random values mixed with the ones kernels get wrong: 0, -0, ±Inf, NaN, tiny and huge. */
function specialValues(g: ax.Generator, len: number, spread: number): Float32Array {
  const specials = [0, -0, Infinity, -Infinity, NaN, 1e-30, -1e-30, 1e30, -1e30, 0.5, -0.5, 1, -1];
  const x = new Float32Array(len);
  for (let i = 0; i < len; i++) x[i] = i % 11 === 3 ? specials[(i / 11 | 0) % specials.length] : g.normal() * spread;
  return x;
}

/** A view of `shape` broadcast to `target` (strides 0 on broadcast dims), over random data at an offset. */
function viewOf(g: ax.Generator, shape: number[], target: number[], offset: number): View {
  const size = shape.reduce((p, q) => p * q, 1);
  const data = new Float32Array(offset + size);
  for (let i = 0; i < data.length; i++) data[i] = i % 17 === 5 ? NaN : g.normal();
  const own: number[] = [];
  for (let d = shape.length - 1, acc = 1; d >= 0; d--) { own[d] = shape[d] === 1 ? 0 : acc; acc *= shape[d]; }
  const lead = target.length - shape.length;
  const strides = target.map((_, d) => (d < lead ? 0 : own[d - lead]));
  return { data, offset, strides };
}

/**
 * |got - want| <= rtol * |want| + atol, elementwise (or, with scaleBySize, rtol alone as an absolute bound);
 * NaN must match NaN and infinities must match exactly. rtol = atol = 0 asks for identical values (0 and -0 equal).
 */
function assertClose(got: Float32Array | Uint8Array, want: Float32Array | Uint8Array, rtol: number, atol: number, ctx: string, absolute = false): void {
  assert.equal(got.length, want.length, `${ctx}: length`);
  for (let i = 0; i < want.length; i++) {
    const w = want[i], v = got[i];
    if (Number.isNaN(w) || Number.isNaN(v)) {
      if (Number.isNaN(w) !== Number.isNaN(v)) assert.fail(`${ctx}: element ${i} is ${v}, expected ${w}`);
      continue;
    }
    if (!Number.isFinite(w) || !Number.isFinite(v)) {
      if (v !== w) assert.fail(`${ctx}: element ${i} is ${v}, expected ${w}`);
      continue;
    }
    const tol = absolute ? rtol : rtol * Math.abs(w) + atol;
    if (!(Math.abs(v - w) <= tol)) assert.fail(`${ctx}: element ${i} is ${v}, expected ${w} (|diff| ${Math.abs(v - w)} > ${tol})`);
  }
}
