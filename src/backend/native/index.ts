// The native backend: Axon's C++ kernels (native/, an N-API addon built at install time) behind the Backend
// interface. Node only: src/index.ts never imports this file; src/index.node.ts does.
//
// The backend starts as a copy of the reference backend and overrides only the kernels the addon has (matmul,
// unary, binary, where, copy, reduce, softmax, conv2d and its backward, im2col, col2im, maxPool2d and its
// backward, scatterAdd along the last axis of a matrix, and the optimizers' steps), and within those only the cases
// it handles: float32 arrays, and views that collapse to [rows, n] with contiguous or broadcast rows (any strides
// for copy).
// Everything else, including kernels added to the Backend interface later, runs the reference code, so the
// native backend is always complete and always agrees with the spec up to float32 rounding.

import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type {
  AdagradStepParams, AdamStepParams, Backend, BinaryOp, Conv2dGeometry, MatmulParams, ReduceOp, RmspropStepParams, SgdStepParams,
  UnaryOp, View, Window2d,
} from "../backend.js";
import type { TypedArray } from "../../tensor/dtype.js";
import { referenceBackend } from "../reference/index.js";
import { collapse } from "../reference/strided.js";
import { isContiguous, numel } from "../../tensor/shape.js";
import { adagradStep, adamScalars, adamStep, rmspropStep, sgdStep } from "../reference/optim.js";

/** What the compiled addon (build/Release/axon_native.node) exports; see native/addon.cc. */
export interface NativeAddon {
  matmul(a: Float32Array, b: Float32Array, out: Float32Array, batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, aOffset: number, bOffset: number, aBatchStride: number, bBatchStride: number,
    bias?: Float32Array | null, relu?: boolean): void;
  unary(op: number, x: Float32Array, out: Float32Array, p0: number, p1: number): void;
  /** Comparisons (op >= 100) write a Uint8Array, the arithmetic ops a Float32Array. */
  binary(op: number, a: Float32Array, aOffset: number, aRowStride: number, aStride: number,
    b: Float32Array, bOffset: number, bRowStride: number, bStride: number, out: Float32Array | Uint8Array, rows: number, n: number): void;
  reduce(op: number, x: Float32Array, outer: number, size: number, inner: number, out: Float32Array): void;
  softmax(x: Float32Array, outer: number, size: number, inner: number, out: Float32Array, log: boolean): void;
  where(cond: Uint8Array, cOffset: number, cRowStride: number, cStride: number,
    a: Float32Array, aOffset: number, aRowStride: number, aStride: number,
    b: Float32Array, bOffset: number, bRowStride: number, bStride: number, out: Float32Array, rows: number, n: number): void;
  /** With outer and outerStride: `outer` such [rows, n] blocks, the q-th read from offset + q*outerStride. */
  copy(src: Float32Array, offset: number, rowStride: number, stride: number, out: Float32Array, rows: number, n: number,
    outer?: number, outerStride?: number): void;
  /** Backend.conv2d; the Conv2dGeometry follows as groups, outChannels and the window's 14 numbers. */
  /** The window's 14 numbers may be followed by relu (Backend.conv2d's). */
  conv2d(x: Float32Array, w: Float32Array, bias: Float32Array | null, out: Float32Array, groups: number, outChannels: number, ...windowAndRelu: (number | boolean)[]): void;
  conv2dBackward(x: Float32Array | null, w: Float32Array, gy: Float32Array, gx: Float32Array | null, gw: Float32Array | null,
    gb: Float32Array | null, groups: number, outChannels: number, ...window: number[]): void;
  /** The Window2d's 14 fields follow each array argument, in the interface's order (see windowArgs). */
  im2col(x: Float32Array, out: Float32Array, ...window: number[]): void;
  col2im(cols: Float32Array, out: Float32Array, ...window: number[]): void;
  maxPool2d(x: Float32Array, out: Float32Array, indices: Int32Array, ...window: number[]): void;
  maxPool2dBackward(gy: Float32Array, indices: Int32Array, gx: Float32Array, ...window: number[]): void;
  /** out[r*outCols + index[r*idxCols + j]] += src[r*idxCols + j]: scatterAdd into a matrix along dim 1. */
  scatterAddRows(out: Float32Array, rows: number, outCols: number, index: Int32Array, idxCols: number, src: Float32Array): void;
  adamStep(param: Float32Array, grad: Float32Array, expAvg: Float32Array, expAvgSq: Float32Array, maxExpAvgSq: Float32Array | null,
    beta1: number, beta2: number, eps: number, weightDecay: number, stepSize: number, bias2Sqrt: number, decay: number,
    decoupled: boolean, maximize: boolean): void;
  sgdStep(param: Float32Array, grad: Float32Array, momentumBuffer: Float32Array | null, lr: number, momentum: number,
    dampening: number, weightDecay: number, nesterov: boolean, maximize: boolean, first: boolean): void;
  rmspropStep(param: Float32Array, grad: Float32Array, squareAvg: Float32Array, gradAvg: Float32Array | null,
    momentumBuffer: Float32Array | null, lr: number, alpha: number, eps: number, weightDecay: number, momentum: number,
    maximize: boolean): void;
  adagradStep(param: Float32Array, grad: Float32Array, sum: Float32Array, clr: number, eps: number, weightDecay: number,
    maximize: boolean): void;
  /** glibc's mallopt(M_MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD); false where not glibc. See native/addon.cc. */
  tuneMalloc(mmapThreshold: number, trimThreshold: number): boolean;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  /** The kernel variant in use: "avx512", "avx2" or "generic". */
  isa(): string;
  /** Switches kernel variant; false if this CPU cannot run it. For tests and benchmarks. */
  setIsa(name: string): boolean;
}

// Operation codes: the order of the enums in native/kernels.h.
const UNARY_CODES: Partial<Record<UnaryOp, number>> = {
  neg: 0, abs: 1, square: 2, sqrt: 3, rsqrt: 4, reciprocal: 5, exp: 6, relu: 7, leakyRelu: 8, sigmoid: 9, tanh: 10,
  silu: 11, floor: 12, ceil: 13, clamp: 14,
};
// Comparisons are offset by 100: the addon writes them to a Uint8Array (Axon's bool dtype).
const BINARY_CODES: Partial<Record<BinaryOp, number>> = {
  add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5, reluBackward: 6, eq: 100, ne: 101, lt: 102, le: 103, gt: 104, ge: 105,
};
const REDUCE_CODES: Partial<Record<ReduceOp, number>> = { sum: 0, max: 1, min: 2 };

/** The unary, binary and reduce ops the addon runs natively for float32 (comparisons: float32 in, bool out);
 *  the rest use the reference kernels. where and copy are native for float32 too (bool condition for where). */
export const NATIVE_OPS = {
  unary: Object.keys(UNARY_CODES) as UnaryOp[],
  binary: Object.keys(BINARY_CODES) as BinaryOp[],
  reduce: Object.keys(REDUCE_CODES) as ReduceOp[],
};

const ADDON_PATH = fileURLToPath(new URL("../../../build/Release/axon_native.node", import.meta.url));

let loaded: { addon: NativeAddon } | { error: string } | undefined;

/** Loads the addon once; on failure returns why (never throws). */
export function loadNativeAddon(): { addon: NativeAddon } | { error: string } {
  if (loaded) return loaded;
  try {
    if (!existsSync(ADDON_PATH)) {
      loaded = { error: `${ADDON_PATH} was not built (run \`npm run install\` in axon-dl; see build/native-build.log)` };
    } else {
      const addon = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
      // Tensors up to 32 MiB (glibc's largest mmap threshold) come from the heap and reuse freed tensors' memory
      // instead of page-faulting in a fresh mapping each time; up to 256 MiB of freed heap is kept for reuse.
      // AXON_MALLOC_TUNING=0 leaves the C library's settings alone.
      if (process.env.AXON_MALLOC_TUNING !== "0") addon.tuneMalloc(32 << 20, 256 << 20);
      loaded = { addon };
    }
  } catch (e) {
    loaded = { error: `loading ${ADDON_PATH} failed: ${(e as Error).message.split("\n")[0]}` };
  }
  return loaded;
}

const isF32 = (x: TypedArray): x is Float32Array => x instanceof Float32Array;
const isU8 = (x: TypedArray): x is Uint8Array => x instanceof Uint8Array;
const isF32OrNull = (x: TypedArray | null): x is Float32Array | null => x === null || isF32(x);

/**
 * Collapses `shape` (merging dimensions laid out alike in every view) to at most [rows, n]; null when more
 * dimensions remain, or when an inner stride is not in {0, 1} and `anyInner` is false. Each view gets its
 * (rowStride, innerStride) pair.
 */
function as2d(shape: readonly number[], strides: readonly (readonly number[])[], anyInner = false):
  { rows: number; n: number; s: [number, number][] } | null {
  const c = collapse(shape, strides);
  const nd = c.shape.length;
  if (nd > 2) return null;
  if (nd === 0) return { rows: 1, n: 1, s: strides.map(() => [0, 0]) };
  const s = c.strides.map((st): [number, number] => [nd === 2 ? st[0] : 0, st[nd - 1]]);
  for (const [r, i] of s) if (r < 0 || i < 0 || (!anyInner && i > 1)) return null;
  return { rows: nd === 2 ? c.shape[0] : 1, n: c.shape[nd - 1], s };
}

/**
 * As as2d, for shapes that collapse to three dimensions [outer, rows, n] (a per-channel broadcast such as
 * [N, C, H, W] with [1, C, 1, 1] is one): the addon then runs one 2-d call per outer index.
 */
function as3d(shape: readonly number[], strides: readonly (readonly number[])[]):
  { outer: number; rows: number; n: number; s: [number, number, number][] } | null {
  const c = collapse(shape, strides);
  if (c.shape.length !== 3) return null;
  const s = c.strides.map((st): [number, number, number] => [st[0], st[1], st[2]]);
  for (const [o, r, i] of s) if (o < 0 || r < 0 || i < 0 || i > 1) return null;
  return { outer: c.shape[0], rows: c.shape[1], n: c.shape[2], s };
}

/** A Window2d as the addon's 14 trailing numbers, or null when a padding is negative (the reference handles it). */
function windowArgs(g: Window2d): number[] | null {
  if (g.padH < 0 || g.padW < 0) return null;
  return [g.batch, g.channels, g.height, g.width, g.kernelH, g.kernelW, g.strideH, g.strideW, g.padH, g.padW,
    g.dilationH, g.dilationW, g.outH, g.outW];
}

/** Builds the native Backend object around a loaded addon. */
export function createNativeBackend(addon: NativeAddon): Backend {
  const ref = referenceBackend;
  return {
    ...ref,
    name: "native",

    unary(op: UnaryOp, x: TypedArray, out: TypedArray, p0?: number, p1?: number): void {
      const code = UNARY_CODES[op];
      if (code === undefined || !isF32(x) || !isF32(out)) return ref.unary(op, x, out, p0, p1);
      addon.unary(code, x, out, p0 ?? 0, p1 ?? 0);
    },

    binary(op: BinaryOp, a: View, b: View, shape: readonly number[], out: TypedArray): void {
      const code = BINARY_CODES[op];
      const outOk = code !== undefined && (code >= 100 ? isU8(out) : isF32(out));
      if (code === undefined || !outOk || !isF32(a.data) || !isF32(b.data)) return ref.binary(op, a, b, shape, out);
      if (isContiguous(shape, a.strides) && isContiguous(shape, b.strides)) {
        return addon.binary(code, a.data, a.offset, 0, 1, b.data, b.offset, 0, 1, out as Float32Array | Uint8Array, 1, numel(shape));
      }
      const v = as2d(shape, [a.strides, b.strides]);
      if (v) {
        const [[ra, ia], [rb, ib]] = v.s;
        return addon.binary(code, a.data, a.offset, ra, ia, b.data, b.offset, rb, ib, out as Float32Array | Uint8Array, v.rows, v.n);
      }
      const w = as3d(shape, [a.strides, b.strides]);
      if (!w) return ref.binary(op, a, b, shape, out);
      const [[oa, ra, ia], [ob, rb, ib]] = w.s;
      const block = w.rows * w.n;
      for (let q = 0; q < w.outer; q++) {
        const o = (out as Float32Array | Uint8Array).subarray(q * block, (q + 1) * block);
        addon.binary(code, a.data, a.offset + q * oa, ra, ia, b.data, b.offset + q * ob, rb, ib, o, w.rows, w.n);
      }
    },

    where(cond: View, a: View, b: View, shape: readonly number[], out: TypedArray): void {
      if (!isU8(cond.data) || !isF32(a.data) || !isF32(b.data) || !isF32(out)) return ref.where(cond, a, b, shape, out);
      const v = as2d(shape, [cond.strides, a.strides, b.strides]);
      if (!v) return ref.where(cond, a, b, shape, out);
      const [[rc, ic], [ra, ia], [rb, ib]] = v.s;
      addon.where(cond.data, cond.offset, rc, ic, a.data, a.offset, ra, ia, b.data, b.offset, rb, ib, out, v.rows, v.n);
    },

    copy(src: View, shape: readonly number[], out: TypedArray): void {
      if (!isF32(src.data) || !isF32(out)) return ref.copy(src, shape, out);
      const v = as2d(shape, [src.strides], true);
      if (v) {
        const [[rs, is]] = v.s;
        return addon.copy(src.data, src.offset, rs, is, out, v.rows, v.n);
      }
      // Three dimensions after collapsing (a batch <-> channel swap, say): the addon's outer axis.
      const c = collapse(shape, [src.strides]);
      const st = c.strides[0];
      if (c.shape.length !== 3 || st.some((x) => x < 0)) return ref.copy(src, shape, out);
      addon.copy(src.data, src.offset, st[1], st[2], out, c.shape[1], c.shape[2], c.shape[0], st[0]);
    },

    scatterInto(src: TypedArray, shape: readonly number[], dst: View): void {
      // Rows of contiguous runs (a slice, a column block of a matrix): one memcpy-like set() per row.
      const v = as2d(shape, [dst.strides], true);
      if (!v) return ref.scatterInto(src, shape, dst);
      const [[rs, is]] = v.s, D = dst.data;
      if (is === 1 && v.n >= 16) {
        for (let r = 0; r < v.rows; r++) D.set(src.subarray(r * v.n, (r + 1) * v.n), dst.offset + r * rs);
        return;
      }
      // Short or strided rows (a bias column beside a weight block): a plain loop, no generic index walk.
      for (let r = 0, i = 0; r < v.rows; r++) {
        for (let j = 0, d = dst.offset + r * rs; j < v.n; j++, d += is) D[d] = src[i++];
      }
    },

    reduce(op: ReduceOp, x: TypedArray, outer: number, size: number, inner: number, out: TypedArray): void {
      const code = REDUCE_CODES[op];
      if (code === undefined || size === 0 || !isF32(x) || !isF32(out)) return ref.reduce(op, x, outer, size, inner, out);
      addon.reduce(code, x, outer, size, inner, out);
    },

    softmax(x: TypedArray, outer: number, size: number, inner: number, out: TypedArray, log: boolean): void {
      if (!isF32(x) || !isF32(out)) return ref.softmax(x, outer, size, inner, out, log);
      addon.softmax(x, outer, size, inner, out, log);
    },

    matmul(a: TypedArray, b: TypedArray, out: TypedArray, p: MatmulParams): void {
      const bias = p.bias ?? null;
      if (!isF32(a) || !isF32(b) || !isF32(out) || !isF32OrNull(bias)) return ref.matmul(a, b, out, p);
      addon.matmul(a, b, out, p.batch, p.m, p.n, p.k, p.transA, p.transB, p.aOffset, p.bOffset, p.aBatchStride, p.bBatchStride, bias, p.relu === true);
    },

    conv2d(x: TypedArray, w: TypedArray, bias: TypedArray | null, g: Conv2dGeometry, out: TypedArray, relu = false): void {
      const win = windowArgs(g);
      if (!win || !isF32(x) || !isF32(w) || !isF32(out) || !isF32OrNull(bias)) return ref.conv2d(x, w, bias, g, out, relu);
      addon.conv2d(x, w, bias, out, g.groups, g.outChannels, ...win, relu);
    },

    conv2dBackward(x: TypedArray | null, w: TypedArray, gy: TypedArray, g: Conv2dGeometry, gx: TypedArray | null, gw: TypedArray | null, gb: TypedArray | null): void {
      const win = windowArgs(g);
      if (!win || !isF32OrNull(x) || !isF32(w) || !isF32(gy) || !isF32OrNull(gx) || !isF32OrNull(gw) || !isF32OrNull(gb)) {
        return ref.conv2dBackward(x, w, gy, g, gx, gw, gb);
      }
      addon.conv2dBackward(x, w, gy, gx, gw, gb, g.groups, g.outChannels, ...win);
    },

    im2col(x: TypedArray, g: Window2d, out: TypedArray): void {
      const w = windowArgs(g);
      if (!w || !isF32(x) || !isF32(out)) return ref.im2col(x, g, out);
      addon.im2col(x, out, ...w);
    },

    col2im(cols: TypedArray, g: Window2d, out: TypedArray): void {
      const w = windowArgs(g);
      if (!w || !isF32(cols) || !isF32(out)) return ref.col2im(cols, g, out);
      addon.col2im(cols, out, ...w);
    },

    maxPool2d(x: TypedArray, g: Window2d, out: TypedArray, indices: Int32Array): void {
      const w = windowArgs(g);
      if (!w || !isF32(x) || !isF32(out)) return ref.maxPool2d(x, g, out, indices);
      addon.maxPool2d(x, out, indices, ...w);
    },

    maxPool2dBackward(gy: TypedArray, indices: Int32Array, g: Window2d, gx: TypedArray): void {
      if (!isF32(gy) || !isF32(gx)) return ref.maxPool2dBackward(gy, indices, g, gx);
      addon.maxPool2dBackward(gy, indices, gx, ...windowArgs({ ...g, padH: 0, padW: 0 })!);
    },

    scatterAdd(out: TypedArray, outShape: readonly number[], dim: number, index: Int32Array, indexShape: readonly number[], src: TypedArray): void {
      if (outShape.length !== 2 || indexShape.length !== 2 || dim !== 1 || outShape[0] !== indexShape[0] || !isF32(out) || !isF32(src)) {
        return ref.scatterAdd(out, outShape, dim, index, indexShape, src);
      }
      addon.scatterAddRows(out, outShape[0], outShape[1], index, indexShape[1], src);
    },

    adamStep(param: TypedArray, grad: TypedArray, expAvg: TypedArray, expAvgSq: TypedArray, maxExpAvgSq: TypedArray | null, p: AdamStepParams): void {
      if (!isF32(param) || !isF32(grad) || !isF32(expAvg) || !isF32(expAvgSq) || !isF32OrNull(maxExpAvgSq)) {
        return adamStep(param, grad, expAvg, expAvgSq, maxExpAvgSq, p);
      }
      const { stepSize, bias2Sqrt, decay } = adamScalars(p);
      addon.adamStep(param, grad, expAvg, expAvgSq, maxExpAvgSq, p.beta1, p.beta2, p.eps, p.weightDecay, stepSize, bias2Sqrt, decay, p.decoupled, p.maximize);
    },

    sgdStep(param: TypedArray, grad: TypedArray, momentumBuffer: TypedArray | null, p: SgdStepParams): void {
      if (!isF32(param) || !isF32(grad) || !isF32OrNull(momentumBuffer)) return sgdStep(param, grad, momentumBuffer, p);
      addon.sgdStep(param, grad, momentumBuffer, p.lr, p.momentum, p.dampening, p.weightDecay, p.nesterov, p.maximize, p.first);
    },

    rmspropStep(param: TypedArray, grad: TypedArray, squareAvg: TypedArray, gradAvg: TypedArray | null, momentumBuffer: TypedArray | null, p: RmspropStepParams): void {
      if (!isF32(param) || !isF32(grad) || !isF32(squareAvg) || !isF32OrNull(gradAvg) || !isF32OrNull(momentumBuffer)) {
        return rmspropStep(param, grad, squareAvg, gradAvg, momentumBuffer, p);
      }
      addon.rmspropStep(param, grad, squareAvg, gradAvg, momentumBuffer, p.lr, p.alpha, p.eps, p.weightDecay, p.momentum, p.maximize);
    },

    adagradStep(param: TypedArray, grad: TypedArray, sum: TypedArray, p: AdagradStepParams): void {
      if (!isF32(param) || !isF32(grad) || !isF32(sum)) return adagradStep(param, grad, sum, p);
      addon.adagradStep(param, grad, sum, p.clr, p.eps, p.weightDecay, p.maximize);
    },
  };
}

let backend: Backend | null | undefined;

/** The native backend, or null (with the reason from loadNativeAddon) when the addon is unavailable. */
export function nativeBackend(): Backend | null {
  if (backend === undefined) {
    const r = loadNativeAddon();
    backend = "addon" in r ? createNativeBackend(r.addon) : null;
  }
  return backend;
}

function addonOrThrow(what: string): NativeAddon {
  const r = loadNativeAddon();
  if ("error" in r) throw new Error(`${what}: the native backend is unavailable (${r.error})`);
  return r.addon;
}

/** Threads the native kernels use (the calling thread included). Defaults to AXON_NUM_THREADS when set, else the
 *  CPUs this process may use: its CPU affinity (taskset, a container's cpuset), capped on Linux by its cgroup's
 *  CPU quota (a container's --cpus), rounded up. */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: expected an integer >= 1, got ${n}`);
  addonOrThrow("setNumThreads").setNumThreads(n);
}

export function getNumThreads(): number {
  return addonOrThrow("getNumThreads").getNumThreads();
}

/** The kernel variant and thread count in use, or null when the addon is unavailable (for reports). */
export function nativeInfo(): { isa: string; threads: number } | null {
  const r = loadNativeAddon();
  return "addon" in r ? { isa: r.addon.isa(), threads: r.addon.getNumThreads() } : null;
}
