// The Tensor: a typed-array storage seen through a shape, strides and an offset, plus what autograd needs
// (requiresGrad, grad, gradFn). Views (transpose, expand, narrow, reshape of contiguous data) share storage.
// Every method is a one-line call into src/ops, where the op checks its inputs, calls a backend kernel and
// records its gradient rule.

import { allocate, allocateUninitialized, dtypeOfArray, isFloat, type DType, type TypedArray } from "./dtype.js";
import { contiguousStrides, fmt, isContiguous, normalizeDim, numel, type Shape } from "./shape.js";
import type { View } from "../backend/backend.js";
import { getBackend } from "../backend/registry.js";
import { backward, type BackwardOptions, type GradFn } from "../autograd/graph.js";
import { isGradEnabled } from "../autograd/grad_mode.js";
import * as E from "../ops/elementwise.js";
import * as A from "../ops/activation.js";
import * as R from "../ops/reduce.js";
import * as M from "../ops/movement.js";
import * as I from "../ops/indexing.js";
import * as S from "../ops/sort.js";
import * as MM from "../ops/matmul.js";
import { formatTensor } from "./format.js";

export type Scalar = number | boolean;
export type TensorLike = Tensor | Scalar;
export type Nested = number | boolean | readonly Nested[];

export class Tensor {
  readonly data: TypedArray;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
  /** Gradient accumulated by backward(); null until then. */
  grad: Tensor | null = null;
  /** The rule that produced this tensor, if autograd recorded one; null for leaves. */
  gradFn: GradFn | null = null;
  /** Set by retainGrad(): backward() also stores this non-leaf tensor's gradient in .grad. */
  retainsGrad = false;
  private _requiresGrad = false;

  /** Low-level: wraps storage with no copy. Use tensor(), zeros() and friends to create tensors. */
  constructor(data: TypedArray, shape: Shape, strides?: readonly number[], offset = 0) {
    this.data = data;
    // A frozen array (another tensor's shape or strides) is shared as it is: it cannot change, and copying a
    // frozen array is slow in V8 (see sliceDims).
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze([...shape]);
    this.strides = strides === undefined ? Object.freeze(contiguousStrides(shape)) : Object.isFrozen(strides) ? strides : Object.freeze([...strides]);
    this.offset = offset;
    this.dtype = dtypeOfArray(data);
  }

  // ---- metadata ---------------------------------------------------------------------------------------------
  get ndim(): number { return this.shape.length; }
  dim(): number { return this.shape.length; }
  numel(): number { return numel(this.shape); }
  size(dim?: number): number | readonly number[] {
    return dim === undefined ? this.shape : this.shape[normalizeDim("size", dim, this.ndim)];
  }
  isContiguous(): boolean { return isContiguous(this.shape, this.strides); }
  get isLeaf(): boolean { return this.gradFn === null; }

  get requiresGrad(): boolean { return this._requiresGrad; }
  set requiresGrad(on: boolean) {
    if (on && !isFloat(this.dtype)) throw new TypeError(`requiresGrad: only floating-point tensors can require gradients (this one is ${this.dtype})`);
    this._requiresGrad = on;
  }
  /** PyTorch's requires_grad_(): sets the flag on a leaf and returns this tensor. */
  requiresGrad_(on = true): this {
    if (!on && this.gradFn !== null) throw new Error("requiresGrad_: cannot turn off gradients of a non-leaf tensor; use detach()");
    this.requiresGrad = on;
    return this;
  }
  retainGrad(): this {
    if (this.gradFn !== null) this.retainsGrad = true;
    return this;
  }

  // ---- autograd ----------------------------------------------------------------------------------------------
  /** Adds d(this)/d(leaf) into the .grad of every leaf this tensor depends on (see autograd/graph.ts). */
  backward(gradient?: Tensor, options?: BackwardOptions): void { backward(this, gradient, options); }
  /** A tensor sharing this one's storage, cut off from the graph. */
  detach(): Tensor { return new Tensor(this.data, this.shape, this.strides, this.offset); }

  // ---- read-out ----------------------------------------------------------------------------------------------
  /** The elements in row-major order as a typed array: the storage itself when this tensor covers it exactly (so
   *  writes show through, as numpy() does in PyTorch), a copy otherwise. */
  toTypedArray(): TypedArray {
    if (this.isContiguous()) {
      const n = this.numel();
      return this.offset === 0 && this.data.length === n ? this.data : this.data.subarray(this.offset, this.offset + n);
    }
    return contiguousData(this);
  }
  /** Nested arrays of numbers (booleans for bool tensors), as tolist() gives. */
  toArray(): Nested {
    const flat = contiguousData(this);
    const toValue = this.dtype === "bool" ? (v: number) => v !== 0 : (v: number) => v;
    if (this.ndim === 0) return toValue(flat[0]);
    let i = 0;
    const build = (d: number): Nested[] => {
      const out: Nested[] = [];
      for (let j = 0; j < this.shape[d]; j++) out.push(d === this.ndim - 1 ? toValue(flat[i++]) : build(d + 1));
      return out;
    };
    return build(0);
  }
  /** The value of a one-element tensor. */
  item(): number {
    if (this.numel() !== 1) throw new Error(`item: a tensor with ${this.numel()} elements (shape ${fmt(this.shape)}) cannot be converted to a number`);
    return this.data[this.offset];
  }
  toString(): string { return formatTensor(this); }
  [Symbol.for("nodejs.util.inspect.custom")](): string { return formatTensor(this); }

  // ---- dtype -------------------------------------------------------------------------------------------------
  to(dtype: DType): Tensor { return E.cast(this, dtype); }
  float(): Tensor { return E.cast(this, "float32"); }
  double(): Tensor { return E.cast(this, "float64"); }
  int(): Tensor { return E.cast(this, "int32"); }
  bool(): Tensor { return E.cast(this, "bool"); }

  // ---- elementwise -------------------------------------------------------------------------------------------
  add(other: TensorLike): Tensor { return E.add(this, other); }
  sub(other: TensorLike): Tensor { return E.sub(this, other); }
  mul(other: TensorLike): Tensor { return E.mul(this, other); }
  div(other: TensorLike): Tensor { return E.div(this, other); }
  pow(exponent: TensorLike): Tensor { return E.pow(this, exponent); }
  maximum(other: TensorLike): Tensor { return E.maximum(this, other); }
  minimum(other: TensorLike): Tensor { return E.minimum(this, other); }
  eq(other: TensorLike): Tensor { return E.eq(this, other); }
  ne(other: TensorLike): Tensor { return E.ne(this, other); }
  lt(other: TensorLike): Tensor { return E.lt(this, other); }
  le(other: TensorLike): Tensor { return E.le(this, other); }
  gt(other: TensorLike): Tensor { return E.gt(this, other); }
  ge(other: TensorLike): Tensor { return E.ge(this, other); }
  logicalAnd(other: TensorLike): Tensor { return E.logicalAnd(this, other); }
  logicalOr(other: TensorLike): Tensor { return E.logicalOr(this, other); }
  logicalNot(): Tensor { return E.logicalNot(this); }
  neg(): Tensor { return E.neg(this); }
  exp(): Tensor { return E.exp(this); }
  log(): Tensor { return E.log(this); }
  log1p(): Tensor { return E.log1p(this); }
  expm1(): Tensor { return E.expm1(this); }
  sqrt(): Tensor { return E.sqrt(this); }
  rsqrt(): Tensor { return E.rsqrt(this); }
  abs(): Tensor { return E.abs(this); }
  sign(): Tensor { return E.sign(this); }
  sin(): Tensor { return E.sin(this); }
  cos(): Tensor { return E.cos(this); }
  reciprocal(): Tensor { return E.reciprocal(this); }
  square(): Tensor { return E.square(this); }
  erf(): Tensor { return E.erf(this); }
  floor(): Tensor { return E.floor(this); }
  ceil(): Tensor { return E.ceil(this); }
  round(): Tensor { return E.round(this); }
  clamp(min?: number | null, max?: number | null): Tensor { return E.clamp(this, min, max); }
  isnan(): Tensor { return E.isnan(this); }
  isinf(): Tensor { return E.isinf(this); }
  isfinite(): Tensor { return E.isfinite(this); }
  maskedFill(mask: Tensor, value: number | boolean): Tensor { return E.maskedFill(this, mask, value); }
  tril(diagonal = 0): Tensor { return E.tril(this, diagonal); }
  triu(diagonal = 0): Tensor { return E.triu(this, diagonal); }
  isclose(other: Tensor, opts: E.IscloseOptions = {}): Tensor { return E.isclose(this, other, opts); }
  allclose(other: Tensor, opts: E.IscloseOptions = {}): boolean { return E.allclose(this, other, opts); }
  equal(other: Tensor): boolean { return E.equal(this, other); }

  // ---- activations -------------------------------------------------------------------------------------------
  tanh(): Tensor { return A.tanh(this); }
  sigmoid(): Tensor { return A.sigmoid(this); }
  relu(): Tensor { return A.relu(this); }
  leakyRelu(negativeSlope = 0.01): Tensor { return A.leakyRelu(this, negativeSlope); }
  gelu(approximate: "none" | "tanh" = "none"): Tensor { return A.gelu(this, approximate); }
  silu(): Tensor { return A.silu(this); }
  softplus(beta = 1, threshold = 20): Tensor { return A.softplus(this, beta, threshold); }
  softmax(dim: number): Tensor { return A.softmax(this, dim); }
  logSoftmax(dim: number): Tensor { return A.logSoftmax(this, dim); }

  // ---- reductions --------------------------------------------------------------------------------------------
  sum(dim?: number | readonly number[], keepdim = false): Tensor { return R.sum(this, dim, keepdim); }
  mean(dim?: number | readonly number[], keepdim = false): Tensor { return R.mean(this, dim, keepdim); }
  /** max(): over every element; max(other): elementwise; max(dim, keepdim): { values, indices } along dim, as
   *  torch.max; max(dims, keepdim): amax over several dims. */
  max(): Tensor;
  max(other: Tensor): Tensor;
  max(dim: number, keepdim?: boolean): R.ValuesIndices;
  max(dims: readonly number[], keepdim?: boolean): Tensor;
  max(dim?: number | readonly number[] | Tensor, keepdim = false): Tensor | R.ValuesIndices {
    return (R.max as R.ExtremeAny)(this, dim, keepdim);
  }
  /** min(), min(other), min(dim, keepdim) and min(dims, keepdim), as max. */
  min(): Tensor;
  min(other: Tensor): Tensor;
  min(dim: number, keepdim?: boolean): R.ValuesIndices;
  min(dims: readonly number[], keepdim?: boolean): Tensor;
  min(dim?: number | readonly number[] | Tensor, keepdim = false): Tensor | R.ValuesIndices {
    return (R.min as R.ExtremeAny)(this, dim, keepdim);
  }
  amax(dim?: number | readonly number[], keepdim = false): Tensor { return R.amax(this, dim, keepdim); }
  amin(dim?: number | readonly number[], keepdim = false): Tensor { return R.amin(this, dim, keepdim); }
  argmax(dim?: number, keepdim = false): Tensor { return R.argmax(this, dim, keepdim); }
  argmin(dim?: number, keepdim = false): Tensor { return R.argmin(this, dim, keepdim); }
  var(dim?: number | readonly number[], opts: R.VarOptions = {}): Tensor { return R.variance(this, dim, opts); }
  std(dim?: number | readonly number[], opts: R.VarOptions = {}): Tensor { return R.std(this, dim, opts); }
  logsumexp(dim: number | readonly number[], keepdim = false): Tensor { return R.logsumexp(this, dim, keepdim); }
  prod(dim?: number, keepdim = false): Tensor { return R.prod(this, dim, keepdim); }
  all(dim?: number | readonly number[], keepdim = false): Tensor { return R.all(this, dim, keepdim); }
  any(dim?: number | readonly number[], keepdim = false): Tensor { return R.any(this, dim, keepdim); }
  norm(p: number | "fro" = 2, dim?: number | readonly number[], keepdim = false): Tensor { return R.norm(this, p, dim, keepdim); }
  cumsum(dim: number): Tensor { return R.cumsum(this, dim); }

  // ---- sorting -----------------------------------------------------------------------------------------------
  sort(dim = -1, descending = false): R.ValuesIndices { return S.sort(this, dim, descending); }
  argsort(dim = -1, descending = false): Tensor { return S.argsort(this, dim, descending); }
  topk(k: number, dim = -1, largest = true, sorted = true): R.ValuesIndices { return S.topk(this, k, dim, largest, sorted); }

  // ---- linear algebra ----------------------------------------------------------------------------------------
  matmul(other: Tensor): Tensor { return MM.matmul(this, other); }
  mm(other: Tensor): Tensor { return MM.mm(this, other); }
  bmm(other: Tensor): Tensor { return MM.bmm(this, other); }
  outer(other: Tensor): Tensor { return MM.outer(this, other); }

  // ---- movement (views where possible) -----------------------------------------------------------------------
  reshape(shape: readonly number[]): Tensor { return M.reshape(this, shape); }
  view(shape: readonly number[]): Tensor { return M.view(this, shape); }
  flatten(startDim = 0, endDim = -1): Tensor { return M.flatten(this, startDim, endDim); }
  transpose(dim0: number, dim1: number): Tensor { return M.transpose(this, dim0, dim1); }
  permute(dims: readonly number[]): Tensor { return M.permute(this, dims); }
  /** Transpose of a matrix (2-D); a 0-D or 1-D tensor is returned as is. */
  t(): Tensor { return M.t(this); }
  get T(): Tensor { return M.permute(this, this.shape.map((_, i) => this.ndim - 1 - i)); }
  get mT(): Tensor { return M.transpose(this, -2, -1); }
  squeeze(dim?: number | readonly number[]): Tensor { return M.squeeze(this, dim); }
  unsqueeze(dim: number): Tensor { return M.unsqueeze(this, dim); }
  expand(shape: readonly number[]): Tensor { return M.expand(this, shape); }
  expandAs(other: Tensor): Tensor { return M.expand(this, other.shape); }
  narrow(dim: number, start: number, length: number): Tensor { return M.narrow(this, dim, start, length); }
  slice(dim: number, start?: number, end?: number, step = 1): Tensor { return M.slice(this, dim, start, end, step); }
  select(dim: number, index: number): Tensor { return M.select(this, dim, index); }
  split(splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] { return M.split(this, splitSizeOrSections, dim); }
  chunk(chunks: number, dim = 0): Tensor[] { return M.chunk(this, chunks, dim); }
  unbind(dim = 0): Tensor[] { return M.unbind(this, dim); }
  flip(dims: number | readonly number[]): Tensor { return M.flip(this, dims); }
  repeat(sizes: readonly number[]): Tensor { return M.repeat(this, sizes); }
  contiguous(): Tensor { return M.contiguous(this); }
  clone(): Tensor { return M.clone(this); }

  // ---- indexing ----------------------------------------------------------------------------------------------
  indexSelect(dim: number, index: Tensor): Tensor { return I.indexSelect(this, dim, index); }
  gather(dim: number, index: Tensor): Tensor { return I.gather(this, dim, index); }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return I.scatterAdd(this, dim, index, src); }
  scatter(dim: number, index: Tensor, src: Tensor | number): Tensor { return I.scatter(this, dim, index, src); }

  // ---- creation helpers --------------------------------------------------------------------------------------
  zerosLike(): Tensor { return filled(this.shape, this.dtype, 0); }
  onesLike(): Tensor { return filled(this.shape, this.dtype, 1); }

  // ---- in place (for optimizers and initialisers; refused on tensors autograd is tracking) -------------------
  /** Copies `src` (broadcast to this shape) into this tensor's elements. */
  copy_(src: TensorLike): this { return writeInPlace(this, "copy_", src); }
  fill_(value: number): this { return writeInPlace(this, "fill_", value); }
  zero_(): this { return writeInPlace(this, "zero_", 0); }
  add_(other: TensorLike): this { return arithmeticInPlace(this, "add", other); }
  sub_(other: TensorLike): this { return arithmeticInPlace(this, "sub", other); }
  mul_(other: TensorLike): this { return arithmeticInPlace(this, "mul", other); }
  div_(other: TensorLike): this { return arithmeticInPlace(this, "div", other); }
}

// ---- helpers the ops share -----------------------------------------------------------------------------------

export function viewOf(t: Tensor): View {
  return { data: t.data, offset: t.offset, strides: t.strides };
}

/** The tensor's elements in row-major order: a zero-copy subarray when contiguous, else a fresh copy. */
export function contiguousData(t: Tensor): TypedArray {
  if (t.isContiguous()) {
    const n = t.numel();
    return t.offset === 0 && t.data.length === n ? t.data : t.data.subarray(t.offset, t.offset + n);
  }
  const out = allocateUninitialized(t.dtype, t.numel());
  getBackend().copy(viewOf(t), t.shape, out);
  return out;
}

/** A tensor whose elements are unspecified (allocateUninitialized): for outputs a kernel writes in full. */
export function empty(shape: Shape, dtype: DType): Tensor {
  return new Tensor(allocateUninitialized(dtype, numel(shape)), shape);
}

export function filled(shape: Shape, dtype: DType, value: number): Tensor {
  const t = new Tensor(allocate(dtype, numel(shape)), shape);
  if (value !== 0) t.data.fill(dtype === "bool" ? 1 : value); // any non-zero (NaN too) is true
  return t;
}

// add_ and friends: in the tensor's own storage when E.binaryInPlace can (no temporary), else the result is computed
// out of place and copied in.
function arithmeticInPlace<T extends Tensor>(t: T, op: "add" | "sub" | "mul" | "div", other: TensorLike): T {
  if (isGradEnabled() && t.requiresGrad) {
    throw new Error(`${op}_: a tensor that requires grad cannot be modified in place while autograd is recording (wrap the update in noGrad)`);
  }
  if (E.binaryInPlace(op, t, other)) return t;
  const compute = { add: E.add, sub: E.sub, mul: E.mul, div: E.div }[op];
  return writeInPlace(t, `${op}_`, compute(t.detach(), other));
}

function writeInPlace<T extends Tensor>(t: T, op: string, src: TensorLike): T {
  if (isGradEnabled() && t.requiresGrad) {
    throw new Error(`${op}: a tensor that requires grad cannot be modified in place while autograd is recording (wrap the update in noGrad)`);
  }
  const s = src instanceof Tensor ? M.expand(src.to(t.dtype), t.shape) : filled([], t.dtype, Number(src)).expand(t.shape);
  // A source that shares this tensor's storage (x.narrow(0, 1, 3).copy_(x.narrow(0, 0, 3))) is read in full
  // before any element is written; reading while writing would smear the first values along.
  const data = s.data === t.data ? contiguousData(s).slice() : contiguousData(s);
  getBackend().scatterInto(data, t.shape, viewOf(t));
  return t;
}
