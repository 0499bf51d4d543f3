// matmul against a naive triple loop written here, in float64. Two levels:
//   - the kernel itself (referenceBackend.matmul, and each registered backend's), over random MatmulParams: every
//     shape class the kernel distinguishes (direct path, packed path, edge tiles, k past one KC slab), transposed
//     storage, batch stride 0 (broadcast) and gapped strides, non-zero offsets, float32 and float64 arrays, k = 0;
//     it must write every output element and nothing past the output;
//   - the op (ax.matmul) on tensors: 1-D operands, transposed and narrowed views, broadcast batch dims.

import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as ax from "../src/index.js";
import type { Backend, MatmulParams, Tensor } from "../src/index.js";
import { referenceBackend } from "../src/backend/reference/index.js";

type FloatArray = Float32Array | Float64Array;

// Sizes around the kernel's seams: the 4x2 tile, the 64-row A block, the 256-deep k slab, and m <= 2 / n = 1,
// which pick the direct (unpacked) path.
const EDGE_SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 17, 31, 33, 64, 65, 100];
const BIG_SIZES = [127, 257, 300];

/** out[b, i, j] = sum_l A(b, i, l) * B(b, l, j), read exactly as MatmulParams describes, accumulated in float64. */
function naive(a: FloatArray, b: FloatArray, p: MatmulParams): Float64Array {
  const { batch, m, n, k } = p;
  const out = new Float64Array(batch * m * n);
  for (let bt = 0; bt < batch; bt++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let l = 0; l < k; l++) {
          const ai = p.aOffset + bt * p.aBatchStride + (p.transA ? l * m + i : i * k + l);
          const bi = p.bOffset + bt * p.bBatchStride + (p.transB ? j * k + l : l * n + j);
          s += a[ai] * b[bi];
        }
        out[(bt * m + i) * n + j] = s;
      }
    }
  }
  return out;
}

/** |got - want| within what float64 (or float32) rounding of a k-term sum allows, scaled by sum |a_il * b_lj|. */
function assertClose(got: FloatArray, want: Float64Array, scale: Float64Array, f32: boolean, ctx: string): void {
  const eps = f32 ? 2 ** -23 : 2 ** -50;
  for (let i = 0; i < want.length; i++) {
    const tol = 8 * eps * scale[i] + (f32 ? 1e-30 : 0);
    if (!(Math.abs(got[i] - want[i]) <= tol)) assert.fail(`${ctx}: element ${i} is ${got[i]}, expected ${want[i]} (tol ${tol})`);
  }
}

function absOf(x: FloatArray): Float64Array {
  return Float64Array.from(x, Math.abs);
}

function randomArray(g: ax.Generator, size: number, f32: boolean): FloatArray {
  const x = f32 ? new Float32Array(size) : new Float64Array(size);
  for (let i = 0; i < size; i++) x[i] = g.normal();
  return x;
}

function pick<T>(g: ax.Generator, xs: readonly T[]): T {
  return xs[g.int(0, xs.length)];
}

/** Random operands for p (filling gaps and offsets with junk the kernel must not read), run, and compare. */
function checkKernel(backend: Backend, g: ax.Generator, p: MatmulParams, f32: boolean, ctx: string): void {
  const { batch, m, n, k } = p;
  const aSize = p.aOffset + (batch - 1) * p.aBatchStride + m * k;
  const bSize = p.bOffset + (batch - 1) * p.bBatchStride + k * n;
  const a = randomArray(g, aSize, f32), b = randomArray(g, bSize, f32);
  // The output has a tail the kernel must leave alone, and starts as NaN so an unwritten element shows.
  const size = batch * m * n, tail = 3;
  const out = f32 ? new Float32Array(size + tail) : new Float64Array(size + tail);
  out.fill(NaN);
  out.fill(7, size);
  backend.matmul(a, b, out, p);
  const want = naive(a, b, p), scale = naive(absOf(a), absOf(b), p);
  assertClose(out.subarray(0, size), want, scale, f32, ctx);
  for (let i = size; i < size + tail; i++) assert.equal(out[i], 7, `${ctx}: wrote past the output at ${i}`);
}

function randomParams(g: ax.Generator, sizes: readonly number[]): MatmulParams {
  const m = pick(g, sizes), n = pick(g, sizes), k = pick(g, sizes);
  const batch = pick(g, [1, 1, 2, 3]);
  // Batch stride: 0 broadcasts one matrix; otherwise a whole matrix, sometimes with a gap after it.
  const stride = (size: number) => (batch > 1 && g.random() < 0.3 ? 0 : size + pick(g, [0, 0, 5]));
  return {
    batch, m, n, k,
    transA: g.random() < 0.5, transB: g.random() < 0.5,
    aOffset: pick(g, [0, 0, 1, 7]), bOffset: pick(g, [0, 0, 3]),
    aBatchStride: stride(m * k), bBatchStride: stride(k * n),
  };
}

const describeParams = (p: MatmulParams, f32: boolean) =>
  `${p.batch}x[${p.m},${p.k}]${p.transA ? "ᵀ" : ""} @ [${p.k},${p.n}]${p.transB ? "ᵀ" : ""} ` +
  `off ${p.aOffset}/${p.bOffset} bstride ${p.aBatchStride}/${p.bBatchStride} ${f32 ? "float32" : "float64"}`;

const backends: [string, Backend][] = [["reference (direct import)", referenceBackend]];

describe("matmul kernel against a naive triple loop", () => {
  for (const [name, backend] of backends) {
    test(`${name}: random shapes at the kernel's edges, both layouts, both float types`, () => {
      const g = new ax.Generator(1234);
      for (let trial = 0; trial < 400; trial++) {
        const p = randomParams(g, EDGE_SIZES), f32 = g.random() < 0.5;
        checkKernel(backend, g, p, f32, `trial ${trial}: ${describeParams(p, f32)}`);
      }
    });

    test(`${name}: larger shapes (packed path, several k slabs, partial tiles)`, () => {
      const g = new ax.Generator(99);
      for (let trial = 0; trial < 24; trial++) {
        const p = randomParams(g, [...BIG_SIZES, ...EDGE_SIZES.slice(-4)]), f32 = g.random() < 0.5;
        p.batch = 1;
        checkKernel(backend, g, p, f32, `trial ${trial}: ${describeParams(p, f32)}`);
      }
    });

    test(`${name}: matrix-vector and outer-product shapes`, () => {
      const g = new ax.Generator(5);
      for (const [m, n, k] of [[1, 300, 200], [300, 1, 200], [200, 300, 1], [1, 1, 1000], [2, 513, 70], [513, 3, 70]]) {
        for (const transA of [false, true]) for (const transB of [false, true]) {
          const p: MatmulParams = { batch: 2, m, n, k, transA, transB, aOffset: 2, bOffset: 1, aBatchStride: m * k, bBatchStride: 0 };
          checkKernel(backend, g, p, true, describeParams(p, true));
        }
      }
    });

    test(`${name}: k = 0 writes zeros, and m = 0 or n = 0 writes nothing`, () => {
      const g = new ax.Generator(3);
      for (const [m, n] of [[1, 1], [5, 3], [70, 90]]) {
        const p: MatmulParams = { batch: 2, m, n, k: 0, transA: false, transB: true, aOffset: 0, bOffset: 0, aBatchStride: 0, bBatchStride: 0 };
        checkKernel(backend, g, p, false, describeParams(p, false));
      }
      for (const [m, n] of [[0, 4], [4, 0], [0, 0]]) {
        const p: MatmulParams = { batch: 2, m, n, k: 3, transA: false, transB: false, aOffset: 0, bOffset: 0, aBatchStride: 3 * m, bBatchStride: 3 * n };
        checkKernel(backend, g, p, true, describeParams(p, true));
      }
    });

    test(`${name}: NaN and Inf propagate as in the naive sum (zero padding must not leak into C)`, () => {
      for (const [m, n, k] of [[3, 3, 3], [67, 35, 300]]) {
        const a = new Float64Array(m * k).fill(1), b = new Float64Array(k * n).fill(0);
        a[0] = Infinity; // row 0: Inf * 0 = NaN everywhere in row 0 of C
        b[(k - 1) * n + (n - 1)] = NaN; // last column: NaN everywhere in column n-1
        const out = new Float64Array(m * n);
        const p: MatmulParams = { batch: 1, m, n, k, transA: false, transB: false, aOffset: 0, bOffset: 0, aBatchStride: 0, bBatchStride: 0 };
        backend.matmul(a, b, out, p);
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
          const nan = i === 0 || j === n - 1;
          assert.equal(Number.isNaN(out[i * n + j]), nan, `[${m},${k}]@[${k},${n}] at (${i}, ${j})`);
          if (!nan) assert.equal(out[i * n + j], 0);
        }
      }
    });
  }
});

// ---- through the op -------------------------------------------------------------------------------------------

/** Naive matmul of two tensors with PyTorch's rules (1-D promotion, broadcast batch), from their logical values. */
function naiveTensors(a: Tensor, b: Tensor): { shape: number[]; values: Float64Array; scale: Float64Array } {
  const as = a.ndim === 1 ? [1, a.shape[0]] : [...a.shape], bs = b.ndim === 1 ? [b.shape[0], 1] : [...b.shape];
  const m = as[as.length - 2], k = as[as.length - 1], n = bs[bs.length - 1];
  const ab = as.slice(0, -2), bb = bs.slice(0, -2);
  const nb = Math.max(ab.length, bb.length);
  const pad = (s: number[]) => [...Array(nb - s.length).fill(1), ...s];
  const abP = pad(ab), bbP = pad(bb);
  const batchShape = abP.map((d, i) => Math.max(d, bbP[i]));
  const av = Float64Array.from(a.contiguous().toTypedArray() as FloatArray);
  const bv = Float64Array.from(b.contiguous().toTypedArray() as FloatArray);
  const batch = batchShape.reduce((x, y) => x * y, 1);
  const values = new Float64Array(batch * m * n), scale = new Float64Array(batch * m * n);
  for (let bt = 0; bt < batch; bt++) {
    // Unravel bt over batchShape, then re-ravel over each operand's (broadcast) batch shape.
    let rest = bt, ai = 0, bi = 0, aMul = 1, bMul = 1;
    for (let d = nb - 1; d >= 0; d--) {
      const idx = rest % batchShape[d];
      rest = Math.floor(rest / batchShape[d]);
      if (abP[d] !== 1) ai += idx * aMul;
      if (bbP[d] !== 1) bi += idx * bMul;
      aMul *= abP[d]; bMul *= bbP[d];
    }
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0, t = 0;
      for (let l = 0; l < k; l++) {
        const x = av[ai * m * k + i * k + l] * bv[bi * k * n + l * n + j];
        s += x; t += Math.abs(x);
      }
      values[(bt * m + i) * n + j] = s;
      scale[(bt * m + i) * n + j] = t;
    }
  }
  let shape = [...batchShape, m, n];
  if (a.ndim === 1 && b.ndim === 1) shape = batchShape;
  else if (a.ndim === 1) shape = [...batchShape, n];
  else if (b.ndim === 1) shape = [...batchShape, m];
  return { shape, values, scale };
}

const previous = ax.getBackend().name;
for (const backend of ax.listBackends()) {
  describe(`ax.matmul on the ${backend} backend against a naive triple loop`, () => {
    before(() => ax.setBackend(backend));
    after(() => ax.setBackend(previous));

    const g = new ax.Generator(42);
    const randn = (shape: number[], dtype: "float32" | "float64") => ax.randn(shape, { dtype, generator: g });

    // Each case builds its operands (often views: transposes, narrows, expands) from sizes m, k, n.
    const cases: [string, (m: number, k: number, n: number, dt: "float32" | "float64") => [Tensor, Tensor]][] = [
      ["plain", (m, k, n, dt) => [randn([m, k], dt), randn([k, n], dt)]],
      ["A transposed view", (m, k, n, dt) => [randn([k, m], dt).mT, randn([k, n], dt)]],
      ["B transposed view (x @ w.T)", (m, k, n, dt) => [randn([m, k], dt), randn([n, k], dt).mT]],
      ["both transposed", (m, k, n, dt) => [randn([k, m], dt).mT, randn([n, k], dt).mT]],
      ["narrowed views (offsets, row strides)", (m, k, n, dt) =>
        [randn([m + 2, k + 3], dt).narrow(0, 1, m).narrow(1, 2, k), randn([k + 1, n], dt).narrow(0, 1, k)]],
      ["batched", (m, k, n, dt) => [randn([3, m, k], dt), randn([3, k, n], dt)]],
      ["batch broadcast A [2,1,m,k] @ B [3,k,n]", (m, k, n, dt) => [randn([2, 1, m, k], dt), randn([3, k, n], dt)]],
      ["shared weight [4,m,k] @ [k,n]", (m, k, n, dt) => [randn([4, m, k], dt), randn([k, n], dt)]],
      ["expanded batch view", (m, k, n, dt) => [randn([1, m, k], dt).expand([3, m, k]), randn([3, n, k], dt).mT]],
      ["vector @ matrix", (_m, k, n, dt) => [randn([k], dt), randn([k, n], dt)]],
      ["matrix @ vector", (m, k, _n, dt) => [randn([m, k], dt), randn([k], dt)]],
      ["vector @ vector", (_m, k, _n, dt) => [randn([k], dt), randn([k], dt)]],
      ["batched @ vector", (m, k, _n, dt) => [randn([2, m, k], dt), randn([k], dt)]],
    ];
    const sizes: [number, number, number][] = [
      [1, 1, 1], [3, 5, 4], [4, 4, 4], [5, 17, 3], [17, 64, 65], [65, 33, 9], [64, 257, 5], [40, 70, 50], [130, 20, 66],
    ];

    for (const [name, make] of cases) {
      test(name, () => {
        for (const [m, k, n] of sizes) for (const dt of ["float64", "float32"] as const) {
          const [a, b] = make(m, k, n, dt);
          const got = ax.matmul(a, b);
          const want = naiveTensors(a, b);
          const ctx = `${name}: [${a.shape}] @ [${b.shape}] ${dt}`;
          assert.deepEqual(got.shape, want.shape, `${ctx}: shape`);
          assert.equal(got.dtype, dt, `${ctx}: dtype`);
          assertClose(got.contiguous().toTypedArray() as FloatArray, want.values, want.scale, dt === "float32", ctx);
        }
      });
    }

    test("k = 0 gives zeros of shape [m, n]", () => {
      for (const dt of ["float32", "float64"] as const) {
        const out = ax.matmul(ax.zeros([3, 0], { dtype: dt }), ax.zeros([0, 4], { dtype: dt }));
        assert.deepEqual(out.shape, [3, 4]);
        assert.deepEqual([...out.toTypedArray()], new Array(12).fill(0));
        const batched = ax.matmul(ax.zeros([2, 1, 5, 0], { dtype: dt }), ax.zeros([3, 0, 2], { dtype: dt }));
        assert.deepEqual(batched.shape, [2, 3, 5, 2]);
        assert.ok([...batched.toTypedArray()].every((v) => v === 0));
      }
    });

    test("gradients through transposed operands match the naive products", () => {
      const a = randn([6, 9], "float64").mT.detach(), b = randn([6, 5], "float64");
      a.requiresGrad = true; b.requiresGrad = true;
      ax.matmul(a, b).sum().backward();
      // d(sum(A@B))/dA[i,l] = sum_j B[l,j]; d/dB[l,j] = sum_i A[i,l].
      const bv = b.toArray() as number[][], av = a.toArray() as number[][];
      const ga = a.grad!.toArray() as number[][], gb = b.grad!.toArray() as number[][];
      for (let i = 0; i < 9; i++) for (let l = 0; l < 6; l++) assert.ok(Math.abs(ga[i][l] - bv[l].reduce((x, y) => x + y, 0)) < 1e-12);
      for (let l = 0; l < 6; l++) for (let j = 0; j < 5; j++) assert.ok(Math.abs(gb[l][j] - av.reduce((s, row) => s + row[l], 0)) < 1e-12);
    });
  });
}
