// matmul with PyTorch's semantics: 1-D operands are promoted (and the added dim removed again), leading
// dimensions broadcast as batch dimensions. Operands whose last two dims are a row-major matrix or its transpose
// go to the kernel as they are (transA/transB), so x @ w.T and the backward pass's transposes never copy.

import { getBackend } from "../backend/registry.js";
import { record } from "../autograd/graph.js";
import { isFloat, promoteTypes } from "../tensor/dtype.js";
import { sliceDims, ShapeError, broadcastShapes, fmt, numel } from "../tensor/shape.js";
import { Tensor, empty } from "../tensor/tensor.js";
import { sumToShape } from "./reduce.js";

export function matmul(a: Tensor, b: Tensor): Tensor {
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) throw new TypeError("matmul: both operands must be tensors");
  if (a.ndim === 0 || b.ndim === 0) throw new ShapeError(`matmul: both operands need at least 1 dimension, got shapes ${fmt(a.shape)} and ${fmt(b.shape)}`);
  const dt = promoteTypes(a.dtype, b.dtype);
  if (dt === "int32") {
    // Integer products, as PyTorch computes them on the CPU: exact in float64 while every sum stays below 2^53,
    // then wrapped to int32 as int32 arithmetic would.
    return matmul(a.double(), b.double()).to("int32");
  }
  if (!isFloat(dt)) throw new TypeError(`matmul: expected numeric operands, got ${a.dtype} and ${b.dtype}`);
  let x = a.to(dt), y = b.to(dt);
  const vecA = x.ndim === 1, vecB = y.ndim === 1;
  if (vecA) x = x.unsqueeze(0);
  if (vecB) y = y.unsqueeze(1);
  const out = matmulND(x, y);
  let result = out;
  if (vecA && vecB) result = out.reshape([...sliceDims(out.shape, 0, -2)]);
  else if (vecA) result = out.squeeze(-2);
  else if (vecB) result = out.squeeze(-1);
  return result;
}

function matmulND(a: Tensor, b: Tensor): Tensor {
  const m = a.shape[a.ndim - 2], k = a.shape[a.ndim - 1];
  const k2 = b.shape[b.ndim - 2], n = b.shape[b.ndim - 1];
  if (k !== k2) throw new ShapeError(`matmul: shapes ${fmt(a.shape)} and ${fmt(b.shape)} do not align (${k} != ${k2})`);
  let batchShape: number[];
  try {
    batchShape = broadcastShapes("matmul", sliceDims(a.shape, 0, -2), sliceDims(b.shape, 0, -2));
  } catch {
    throw new ShapeError(`matmul: the batch dimensions of shapes ${fmt(a.shape)} and ${fmt(b.shape)} cannot be broadcast (${fmt(sliceDims(a.shape, 0, -2))} vs ${fmt(sliceDims(b.shape, 0, -2))})`);
  }
  const A = asMatrices(a, batchShape), B = asMatrices(b, batchShape);
  const out = empty([...batchShape, m, n], a.dtype);
  getBackend().matmul(A.t.data, B.t.data, out.data, {
    batch: numel(batchShape), m, n, k,
    transA: A.trans, transB: B.trans,
    aOffset: A.t.offset, bOffset: B.t.offset,
    aBatchStride: A.batchStride, bBatchStride: B.batchStride,
  });
  return record("matmul", out, [a, b], (g) => [
    a.requiresGrad ? sumToShape(g.matmul(b.mT), a.shape) : null,
    b.requiresGrad ? sumToShape(a.mT.matmul(g), b.shape) : null,
  ]);
}

/**
 * Brings a [..., r, c] operand to the kernel's form: its batch dims (broadcast to batchShape) must collapse to one
 * stride (0 when broadcast), and its matrices must be row-major or transposed row-major. Anything else is copied.
 */
function asMatrices(t: Tensor, batchShape: readonly number[]): { t: Tensor; trans: boolean; batchStride: number } {
  const r = t.shape[t.ndim - 2], c = t.shape[t.ndim - 1];
  const rs = t.strides[t.ndim - 2], cs = t.strides[t.ndim - 1];
  const rowMajor = (cs === 1 || c === 1) && (rs === c || r === 1);
  const colMajor = !rowMajor && (rs === 1 || r === 1) && (cs === r || c === 1);
  const batchStride = collapsedBatchStride(t, batchShape);
  if ((rowMajor || colMajor) && batchStride !== null) return { t, trans: colMajor, batchStride };
  const copy = t.expand([...batchShape, r, c]).contiguous();
  return { t: copy, trans: false, batchStride: r * c };
}

function collapsedBatchStride(t: Tensor, batchShape: readonly number[]): number | null {
  const nb = batchShape.length;
  const lead = nb - (t.ndim - 2);
  const strides: number[] = [];
  for (let i = 0; i < nb; i++) {
    const own = i - lead;
    strides.push(own < 0 || t.shape[own] === 1 ? 0 : t.strides[own]);
  }
  const size = numel(batchShape);
  if (size <= 1 || strides.every((s) => s === 0)) return 0;
  // One stride s must reach batch index i at i*s: row-major over batchShape, ignoring size-1 dims.
  let inner = -1, expect = -1;
  for (let i = nb - 1; i >= 0; i--) {
    if (batchShape[i] === 1) continue;
    if (inner === -1) { inner = strides[i]; expect = inner * batchShape[i]; continue; }
    if (strides[i] !== expect) return null;
    expect *= batchShape[i];
  }
  return inner === 0 ? null : inner;
}

/** The product of two matrices (torch.mm): both must be 2-D. */
export function mm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 2 || b.ndim !== 2) throw new ShapeError(`mm: expected two 2-D tensors, got shapes ${fmt(a.shape)} and ${fmt(b.shape)}`);
  return matmul(a, b);
}

/** Batched matrix products (torch.bmm): [b, n, m] @ [b, m, p], both 3-D with the same batch size, no broadcasting. */
export function bmm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 3 || b.ndim !== 3) throw new ShapeError(`bmm: expected two 3-D tensors, got shapes ${fmt(a.shape)} and ${fmt(b.shape)}`);
  if (a.shape[0] !== b.shape[0]) throw new ShapeError(`bmm: batch sizes differ: shapes ${fmt(a.shape)} and ${fmt(b.shape)}`);
  return matmul(a, b);
}

/** The outer product of two vectors (torch.outer): out[i, j] = a[i] * b[j]. */
export function outer(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1) throw new ShapeError(`outer: expected two 1-D tensors, got shapes ${fmt(a.shape)} and ${fmt(b.shape)}`);
  return a.unsqueeze(1).mul(b.unsqueeze(0));
}
