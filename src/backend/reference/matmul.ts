import type { MatmulParams } from "../backend.js";
import type { TypedArray } from "../../tensor/dtype.js";
import { unary } from "./elementwise.js";

// Batched GEMM in plain TypeScript (no WebAssembly, no Node APIs: it runs in browsers and workers too).
// This file is the spec other backends are tested against, so it must be right for every MatmulParams: any
// m, n, k (0 and 1 included), transposed operands, batch stride 0 (broadcast), offsets, float32 and float64.
//
// Two paths, both accumulating each output element in float64 (JavaScript's only float arithmetic):
//   - matrix-vector shapes (m <= 2 or n = 1): one dot product per output element, read through the strides;
//   - everything else: a packed, register-tiled GEMM in the GotoBLAS shape:
//       for each KC-deep slab of k:    pack B[slab, :] into NR-column panels (contiguous, zero-padded)
//         for each MC-tall block of m: pack A[block, slab] into MR-row panels
//           for each panel pair:       a MR x NR micro-kernel keeps the C tile in local variables
//     Packing reads A and B through their strides, so transposed operands cost nothing extra, and the
//     micro-kernel always streams two contiguous arrays. When k > KC, later slabs add into `out`, so a float32
//     output is rounded once per KC slab (as BLAS does with a float32 C), not once per product.
//
// What limits speed in V8 (measured on x64, Node 20, by reading --print-opt-code output):
//   - JavaScript has no SIMD and no FMA, so the best case is scalar mul + add: ~10-12 GFLOPS on registers alone.
//   - Each typed-array load costs ~5 instructions (bounds check, index sign-extension, base-pointer add), so
//     loads, not flops, set the pace: the kernel wants the most multiply-adds per load that fit the registers.
//   - Turbofan schedules all of an iteration's products before its sums, which doubles the live values; with 16
//     accumulators (4x4) it spills several to the stack every iteration. 4x2 (8 accumulators, 6 loads for 8
//     multiply-adds) nearly fits the 15 usable xmm registers and measured fastest of 4x4, 4x8, 8x4, 2x8, 6x4, 6x6, 8x8,
//     3x4, 4x3, 2x4 (4x4 -10%, 8x4 -10%, 2x4 -5%, 4x8 -35%).
//   - Index arithmetic is written `(x + c) | 0`: an int32-truncating add needs no overflow check, a plain `+` does.
//   - Packing into Float64Array was slightly faster (2-5%) than Float32Array (a float32 load adds a conversion)
//     and than plain number[] arrays.
//   - KC in 128..512 and MC in 32..128 measured the same; pack buffers are reused across calls, since allocating
//     them per call showed up as GC noise on small products.
const MR = 4, NR = 2, KC = 256, MC = 64;

// Packing B costs about as much as one pass of multiply-adds over it, so it pays only when each packed element
// is reused by several rows of A (and each packed A element by several columns of B). Measured: the direct path
// is ~2x faster for m = 1 or n = 1, about even at m = 2, and the packed path already wins at m = 4, at n = 4, and
// for square products as small as 8x8x8 (so there is no size threshold, only a shape one).
const useDirect = (m: number, n: number) => m <= 2 || n === 1;

export function matmul(a: TypedArray, b: TypedArray, out: TypedArray, p: MatmulParams): void {
  const { batch, m, n, k, transA, transB } = p;
  if (batch === 0 || m === 0 || n === 0) return;
  // An empty sum is 0: out is a fresh allocation whose contents we must not trust.
  if (k === 0) {
    out.fill(0, 0, batch * m * n);
    if (p.bias) addRowBias(out, p.bias, batch * m, n);
    if (p.relu) reluInPlace(out, batch * m * n);
    return;
  }
  // Element (i, l) of A sits at aOff + i*ars + l*acs; element (l, j) of B at bOff + l*brs + j*bcs.
  const ars = transA ? 1 : k, acs = transA ? m : 1;
  const brs = transB ? 1 : n, bcs = transB ? k : 1;
  if (useDirect(m, n)) matmulDirect(a, b, out, p, ars, acs, brs, bcs);
  else matmulPacked(a, b, out, p, ars, acs, brs, bcs);
  if (p.bias) addRowBias(out, p.bias, batch * m, n);
  if (p.relu) reluInPlace(out, batch * m * n);
}

function addRowBias(out: TypedArray, bias: TypedArray, rows: number, n: number): void {
  for (let r = 0, o = 0; r < rows; r++) for (let j = 0; j < n; j++, o++) out[o] += bias[j];
}

/** The unary "relu" over out's first `size` elements, in place: NaN stays NaN, -0 becomes +0. */
function reluInPlace(out: TypedArray, size: number): void {
  const o = out.subarray(0, size);
  unary("relu", o, o);
}

/** One float64 dot product per output element: no packing, no scratch, nothing to amortize. Also the simplest
 *  statement of what this kernel computes. */
function matmulDirect(a: TypedArray, b: TypedArray, out: TypedArray, p: MatmulParams,
  ars: number, acs: number, brs: number, bcs: number): void {
  const { batch, m, n, k } = p;
  for (let bt = 0; bt < batch; bt++) {
    const aOff = p.aOffset + bt * p.aBatchStride, bOff = p.bOffset + bt * p.bBatchStride;
    let o = bt * m * n;
    for (let i = 0; i < m; i++) {
      const ai = aOff + i * ars;
      for (let j = 0; j < n; j++) {
        // Four partial sums break the add-latency chain of a single accumulator (~20% on long dot products).
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0, l = 0, ia = ai, ib = bOff + j * bcs;
        for (; l + 3 < k; l += 4, ia += 4 * acs, ib += 4 * brs) {
          s0 += a[ia] * b[ib];
          s1 += a[ia + acs] * b[ib + brs];
          s2 += a[ia + 2 * acs] * b[ib + 2 * brs];
          s3 += a[ia + 3 * acs] * b[ib + 3 * brs];
        }
        for (; l < k; l++, ia += acs, ib += brs) s0 += a[ia] * b[ib];
        out[o++] = (s0 + s1) + (s2 + s3);
      }
    }
  }
}

function matmulPacked(a: TypedArray, b: TypedArray, out: TypedArray, p: MatmulParams,
  ars: number, acs: number, brs: number, bcs: number): void {
  const { batch, m, n, k } = p;
  const nPanels = Math.ceil(n / NR);
  const kcMax = Math.min(KC, k);
  const packB = scratch(0, nPanels * NR * kcMax);
  const packA = scratch(1, Math.ceil(Math.min(MC, m) / MR) * MR * kcMax);
  const edge = scratch(2, MR * NR);

  for (let bt = 0; bt < batch; bt++) {
    const aOff = p.aOffset + bt * p.aBatchStride, bOff = p.bOffset + bt * p.bBatchStride, cOff = bt * m * n;
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      const first = pc === 0; // the first slab assigns C, later slabs add to it
      // Pack B[pc:pc+kc, :] as panels: packB[jp*kc*NR + l*NR + c] = B[pc+l, jp*NR+c], zero past column n.
      for (let jp = 0; jp < nPanels; jp++) {
        const base = jp * kc * NR;
        for (let c = 0; c < NR; c++) {
          const j = jp * NR + c;
          if (j >= n) { for (let l = 0; l < kc; l++) packB[base + l * NR + c] = 0; continue; }
          let src = bOff + pc * brs + j * bcs;
          for (let l = 0; l < kc; l++, src += brs) packB[base + l * NR + c] = b[src];
        }
      }
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        const mPanels = Math.ceil(mc / MR);
        // Pack A[ic:ic+mc, pc:pc+kc] as panels: packA[ip*kc*MR + l*MR + r] = A[ic+ip*MR+r, pc+l], zero past row m.
        for (let ip = 0; ip < mPanels; ip++) {
          const base = ip * kc * MR;
          for (let r = 0; r < MR; r++) {
            const i = ic + ip * MR + r;
            if (i >= ic + mc) { for (let l = 0; l < kc; l++) packA[base + l * MR + r] = 0; continue; }
            let src = aOff + i * ars + pc * acs;
            for (let l = 0; l < kc; l++, src += acs) packA[base + l * MR + r] = a[src];
          }
        }
        // B panel outer, A panel inner: one kc x NR panel of B stays in L1 while the A block streams from L2.
        for (let jp = 0; jp < nPanels; jp++) {
          const j0 = jp * NR, cols = Math.min(NR, n - j0);
          for (let ip = 0; ip < mPanels; ip++) {
            const i0 = ic + ip * MR, rows = Math.min(MR, m - i0);
            if (rows === MR && cols === NR) {
              // A full tile: the kernel writes straight into C (no round trip through a temporary).
              microKernel(packA, ip * kc * MR, packB, jp * kc * NR, kc, out, cOff + i0 * n + j0, n, first);
              continue;
            }
            // An edge tile: the zero padding makes the kernel's result right; store only the part inside C.
            microKernel(packA, ip * kc * MR, packB, jp * kc * NR, kc, edge, 0, NR, true);
            for (let r = 0; r < rows; r++) {
              const row = cOff + (i0 + r) * n + j0;
              if (first) for (let c = 0; c < cols; c++) out[row + c] = edge[r * NR + c];
              else for (let c = 0; c < cols; c++) out[row + c] += edge[r * NR + c];
            }
          }
        }
      }
    }
  }
}

/**
 * C[co + r*ldc + c] (=|+=) sum over l < kc of pa[ao + l*MR + r] * pb[bo + l*NR + c], for the 4x2 tile.
 * The k loop is unrolled by two (fewer loop-control instructions per multiply-add; measured ~3% faster).
 */
function microKernel(pa: Float64Array, ao: number, pb: Float64Array, bo: number, kc: number,
  c: TypedArray, co: number, ldc: number, first: boolean): void {
  let c00 = 0, c01 = 0, c10 = 0, c11 = 0, c20 = 0, c21 = 0, c30 = 0, c31 = 0;
  let l = 0;
  for (; l + 1 < kc; l = (l + 2) | 0, ao = (ao + 8) | 0, bo = (bo + 4) | 0) {
    let a0 = pa[ao], a1 = pa[(ao + 1) | 0], a2 = pa[(ao + 2) | 0], a3 = pa[(ao + 3) | 0];
    let b0 = pb[bo], b1 = pb[(bo + 1) | 0];
    c00 += a0 * b0; c01 += a0 * b1;
    c10 += a1 * b0; c11 += a1 * b1;
    c20 += a2 * b0; c21 += a2 * b1;
    c30 += a3 * b0; c31 += a3 * b1;
    a0 = pa[(ao + 4) | 0]; a1 = pa[(ao + 5) | 0]; a2 = pa[(ao + 6) | 0]; a3 = pa[(ao + 7) | 0];
    b0 = pb[(bo + 2) | 0]; b1 = pb[(bo + 3) | 0];
    c00 += a0 * b0; c01 += a0 * b1;
    c10 += a1 * b0; c11 += a1 * b1;
    c20 += a2 * b0; c21 += a2 * b1;
    c30 += a3 * b0; c31 += a3 * b1;
  }
  if (l < kc) {
    const a0 = pa[ao], a1 = pa[(ao + 1) | 0], a2 = pa[(ao + 2) | 0], a3 = pa[(ao + 3) | 0];
    const b0 = pb[bo], b1 = pb[(bo + 1) | 0];
    c00 += a0 * b0; c01 += a0 * b1;
    c10 += a1 * b0; c11 += a1 * b1;
    c20 += a2 * b0; c21 += a2 * b1;
    c30 += a3 * b0; c31 += a3 * b1;
  }
  const r1 = co + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
  if (first) {
    c[co] = c00; c[co + 1] = c01;
    c[r1] = c10; c[r1 + 1] = c11;
    c[r2] = c20; c[r2 + 1] = c21;
    c[r3] = c30; c[r3 + 1] = c31;
  } else {
    c[co] += c00; c[co + 1] += c01;
    c[r1] += c10; c[r1 + 1] += c11;
    c[r2] += c20; c[r2 + 1] += c21;
    c[r3] += c30; c[r3 + 1] += c31;
  }
}

// Pack buffers, kept between calls and grown on demand. Safe because a kernel runs to completion before another
// can start (JavaScript is single-threaded; each worker has its own copy of this module).
const buffers: Float64Array[] = [new Float64Array(0), new Float64Array(0), new Float64Array(0)];
function scratch(slot: number, size: number): Float64Array {
  if (buffers[slot].length < size) buffers[slot] = new Float64Array(size);
  return buffers[slot];
}
