import type { MatmulParams } from "../backend.js";
import type { TypedArray } from "../../tensor/dtype.js";

// Packed, register-tiled GEMM in the GotoBLAS shape, in plain TypeScript:
//   for each KC-deep slab of k:   pack B[slab, :] into NR-column panels (contiguous, zero-padded)
//     for each MC-tall block of m: pack A[block, slab] into MR-row panels
//       for each panel pair:       a MR x NR micro-kernel keeps the C tile in local variables (registers)
// Packing reads A and B through their strides, so transposed operands cost nothing extra, and the micro-kernel
// always streams two contiguous arrays. Accumulation is in float64.
const MR = 4, NR = 4, KC = 256, MC = 64;

export function matmul(a: TypedArray, b: TypedArray, out: TypedArray, p: MatmulParams): void {
  const { batch, m, n, k, transA, transB } = p;
  // Element (i, l) of A sits at aOff + i*ars + l*acs; element (l, j) of B at bOff + l*brs + j*bcs.
  const ars = transA ? 1 : k, acs = transA ? m : 1;
  const brs = transB ? 1 : n, bcs = transB ? k : 1;
  const nPanels = Math.ceil(n / NR);
  const packB = new Float64Array(nPanels * NR * Math.min(KC, Math.max(k, 1)));
  const packA = new Float64Array(Math.ceil(Math.min(MC, m) / MR) * MR * Math.min(KC, Math.max(k, 1)));
  const acc = new Float64Array(MR * NR);

  for (let bt = 0; bt < batch; bt++) {
    const aOff = p.aOffset + bt * p.aBatchStride, bOff = p.bOffset + bt * p.bBatchStride, cOff = bt * m * n;
    if (k === 0) { out.fill(0, cOff, cOff + m * n); continue; }
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      // Pack B[pc:pc+kc, :] as panels: packB[jp*kc*NR + l*NR + c] = B[pc+l, jp*NR+c].
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
        // Pack A[ic:ic+mc, pc:pc+kc] as panels: packA[ip*kc*MR + l*MR + r] = A[ic+ip*MR+r, pc+l].
        for (let ip = 0; ip < mPanels; ip++) {
          const base = ip * kc * MR;
          for (let r = 0; r < MR; r++) {
            const i = ic + ip * MR + r;
            if (i >= ic + mc) { for (let l = 0; l < kc; l++) packA[base + l * MR + r] = 0; continue; }
            let src = aOff + i * ars + pc * acs;
            for (let l = 0; l < kc; l++, src += acs) packA[base + l * MR + r] = a[src];
          }
        }
        for (let jp = 0; jp < nPanels; jp++) {
          for (let ip = 0; ip < mPanels; ip++) {
            microKernel(packA, ip * kc * MR, packB, jp * kc * NR, kc, acc);
            // Store the valid part of the tile; the first slab assigns, later slabs add.
            const i0 = ic + ip * MR, j0 = jp * NR;
            const rows = Math.min(MR, m - i0), cols = Math.min(NR, n - j0);
            for (let r = 0; r < rows; r++) {
              const row = cOff + (i0 + r) * n + j0;
              if (pc === 0) for (let c = 0; c < cols; c++) out[row + c] = acc[r * NR + c];
              else for (let c = 0; c < cols; c++) out[row + c] += acc[r * NR + c];
            }
          }
        }
      }
    }
  }
}

function microKernel(pa: Float64Array, ao: number, pb: Float64Array, bo: number, kc: number, acc: Float64Array): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let l = 0; l < kc; l++, ao += 4, bo += 4) {
    const a0 = pa[ao], a1 = pa[ao + 1], a2 = pa[ao + 2], a3 = pa[ao + 3];
    const b0 = pb[bo], b1 = pb[bo + 1], b2 = pb[bo + 2], b3 = pb[bo + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  acc[0] = c00; acc[1] = c01; acc[2] = c02; acc[3] = c03;
  acc[4] = c10; acc[5] = c11; acc[6] = c12; acc[7] = c13;
  acc[8] = c20; acc[9] = c21; acc[10] = c22; acc[11] = c23;
  acc[12] = c30; acc[13] = c31; acc[14] = c32; acc[15] = c33;
}
