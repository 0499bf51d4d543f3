// Reductions over any set of axes, with keepdim. The kernel reduces the middle axis of a contiguous
// [outer, size, inner] array; reducing axes that are not adjacent first permutes them to the end.

import type { ArgReduceOp, ReduceOp } from "../backend/backend.js";
import { getBackend } from "../backend/registry.js";
import { record } from "../autograd/graph.js";
import { noGrad } from "../autograd/grad_mode.js";
import { isFloat, type DType } from "../tensor/dtype.js";
import { sliceDims, fmt, normalizeDim, normalizeDims, numel } from "../tensor/shape.js";
import { Tensor, contiguousData, empty } from "../tensor/tensor.js";
import { maximum, minimum, where } from "./elementwise.js";
import { gather } from "./indexing.js";
import { checkOptionKeys, optionKeys } from "../util/options.js";

type Dims = number | readonly number[] | undefined;

/** The dims a reduction runs over: undefined, and an empty list as in PyTorch, mean every dim. */
function reductionDims(op: string, dim: Dims, ndim: number): number[] {
  return normalizeDims(op, Array.isArray(dim) && dim.length === 0 ? undefined : dim, ndim);
}

function reducedShape(shape: readonly number[], dims: readonly number[], keepdim: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!dims.includes(i)) out.push(d);
    else if (keepdim) out.push(1);
  });
  return out;
}

/** Lays x out as [outer, size, inner] with `dims` (sorted) forming the middle axis. */
function asThreeAxes(x: Tensor, dims: readonly number[]): { data: ReturnType<typeof contiguousData>; outer: number; size: number; inner: number } {
  const adjacent = dims.every((d, i) => i === 0 || d === dims[i - 1] + 1);
  if (adjacent && dims.length > 0) {
    const first = dims[0], last = dims[dims.length - 1];
    return {
      data: contiguousData(x),
      outer: numel(sliceDims(x.shape, 0, first)),
      size: numel(sliceDims(x.shape, first, last + 1)),
      inner: numel(sliceDims(x.shape, last + 1)),
    };
  }
  const kept = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const moved = x.permute([...kept, ...dims]);
  return { data: contiguousData(moved), outer: numel(kept.map((i) => x.shape[i])), size: numel(dims.map((i) => x.shape[i])), inner: 1 };
}

function reduceKernel(op: ReduceOp, name: string, x: Tensor, dims: readonly number[], keepdim: boolean, outDtype: DType): Tensor {
  const { data, outer, size, inner } = asThreeAxes(x, dims);
  if (size === 0 && (op === "max" || op === "min")) {
    throw new Error(`${name}: cannot reduce over an empty dimension (input shape ${fmt(x.shape)}, dims ${fmt(dims)})`);
  }
  const out = empty(reducedShape(x.shape, dims, keepdim), outDtype);
  getBackend().reduce(op, data, outer, size, inner, out.data);
  return out;
}

/** Puts the reduced dims back as size 1 so a [kept] gradient broadcasts against the input. */
function unreduce(g: Tensor, shape: readonly number[], dims: readonly number[], keepdim: boolean): Tensor {
  return keepdim ? g : g.reshape(reducedShape(shape, dims, true));
}

export function sum(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const dims = reductionDims("sum", dim, x.ndim);
  const out = reduceKernel("sum", "sum", x, dims, keepdim, isFloat(x.dtype) ? x.dtype : "int32");
  return record("sum", out, [x], (g) => [unreduce(g, x.shape, dims, keepdim).expand(x.shape)]);
}

export function mean(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  if (!isFloat(x.dtype)) throw new TypeError(`mean: input dtype must be floating point, got ${x.dtype} (cast with .float())`);
  const dims = reductionDims("mean", dim, x.ndim);
  const count = numel(dims.map((d) => x.shape[d]));
  return sum(x, dims, keepdim).div(count);
}

// max/min over axes return values only (PyTorch's amax/amin). Ties share the gradient equally, as amax does.
function extreme(op: "max" | "min", x: Tensor, dim: Dims, keepdim: boolean): Tensor {
  const dims = reductionDims(op, dim, x.ndim);
  const out = reduceKernel(op, op, x, dims, keepdim, x.dtype);
  return record(op, out, [x], (g) => {
    const kept = unreduce(out, x.shape, dims, keepdim);
    const mask = x.eq(kept);
    const count = mask.sum(dims, true);
    return [where(mask, unreduce(g, x.shape, dims, keepdim).div(count), 0)];
  });
}

export const amax = (x: Tensor, dim?: Dims, keepdim = false): Tensor => extreme("max", x, dim, keepdim);
export const amin = (x: Tensor, dim?: Dims, keepdim = false): Tensor => extreme("min", x, dim, keepdim);

/** What max/min along a dim, sort and topk return: PyTorch's (values, indices) named tuple, so both
 *  `const { values, indices } = ...` and `const [values, indices] = ...` work. Indices are int32 (PyTorch: int64). */
export type ValuesIndices = [values: Tensor, indices: Tensor] & { values: Tensor; indices: Tensor };

export function valuesIndices(values: Tensor, indices: Tensor): ValuesIndices {
  return Object.assign([values, indices] as [Tensor, Tensor], { values, indices });
}

/** max/min along one dim, as torch.max(x, dim): the first extreme of each line (NaN wins) and its index. The
 *  gradient goes to that index alone (amax shares it among ties). */
function extremeAlong(op: "max" | "min", x: Tensor, dim: number, keepdim: boolean): ValuesIndices {
  const d = normalizeDim(op, dim, x.ndim);
  if (x.ndim > 0 && x.shape[d] === 0) throw new Error(`${op}: cannot reduce over an empty dimension (input shape ${fmt(x.shape)}, dims ${fmt([d])})`);
  const indices = argExtreme(op === "max" ? "argmax" : "argmin", x, d, true);
  const values = gather(x, d, indices);
  return keepdim || x.ndim === 0 ? valuesIndices(values, indices) : valuesIndices(values.squeeze(d), indices.squeeze(d));
}

type Extreme = {
  /** Over every element. */
  (x: Tensor): Tensor;
  /** Elementwise with another tensor (torch.max(a, b)), broadcasting. */
  (x: Tensor, other: Tensor): Tensor;
  /** Along one dim: the values and their indices (torch.max(x, dim, keepdim)). */
  (x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
  /** Over several dims: the values only (amax/amin; PyTorch's max takes one dim). */
  (x: Tensor, dims: readonly number[], keepdim?: boolean): Tensor;
};

/** Extreme's overloads as one signature (for Tensor's methods, which pass their arguments on). */
export type ExtremeAny = (x: Tensor, dim?: number | readonly number[] | Tensor, keepdim?: boolean) => Tensor | ValuesIndices;

function extremeOf(op: "max" | "min"): Extreme {
  const f: ExtremeAny = (x, dim, keepdim = false) => {
    if (dim instanceof Tensor) return op === "max" ? maximum(x, dim) : minimum(x, dim);
    if (typeof dim === "number") return extremeAlong(op, x, dim, keepdim);
    return extreme(op, x, dim, keepdim);
  };
  return f as Extreme;
}

/** max(x); max(x, other): elementwise; max(x, dim, keepdim): { values, indices }; max(x, dims): amax. */
export const max = extremeOf("max");
/** min(x); min(x, other): elementwise; min(x, dim, keepdim): { values, indices }; min(x, dims): amin. */
export const min = extremeOf("min");

function argExtreme(op: ArgReduceOp, x: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  if (dim === undefined) {
    if (x.numel() === 0) throw new Error(`${op}: cannot take ${op} of an empty tensor (shape ${fmt(x.shape)})`);
    const out = argExtreme(op, x.reshape([-1]), 0, false);
    return keepdim ? out.reshape(x.shape.map(() => 1)) : out;
  }
  const d = normalizeDim(op, dim, x.ndim);
  if (x.ndim > 0 && x.shape[d] === 0) throw new Error(`${op}: cannot reduce over an empty dimension (input shape ${fmt(x.shape)}, dims ${fmt([d])})`);
  const dims = x.ndim === 0 ? [] : [d];
  const { data, outer, size, inner } = asThreeAxes(x, dims);
  const out = empty(reducedShape(x.shape, dims, keepdim), "int32");
  getBackend().argReduce(op, data, outer, size, inner, out.data as Int32Array);
  return out;
}

export const argmax = (x: Tensor, dim?: number, keepdim = false): Tensor => argExtreme("argmax", x, dim, keepdim);
export const argmin = (x: Tensor, dim?: number, keepdim = false): Tensor => argExtreme("argmin", x, dim, keepdim);

export interface VarOptions {
  /** Subtracted from the count in the denominator: 1 (default) is Bessel's correction, 0 the population variance. */
  correction?: number;
  /** PyTorch's older spelling: true is correction 1, false correction 0. Give one of the two, not both. */
  unbiased?: boolean;
  keepdim?: boolean;
}

const VAR_OPTION_KEYS = optionKeys<VarOptions>({ correction: true, unbiased: true, keepdim: true });

export function variance(x: Tensor, dim?: Dims, opts: VarOptions = {}): Tensor {
  checkOptionKeys("var", opts, VAR_OPTION_KEYS);
  const { keepdim = false } = opts;
  if (opts.unbiased !== undefined && opts.correction !== undefined) {
    throw new TypeError("var: give either unbiased or correction, not both");
  }
  const correction = opts.unbiased !== undefined ? (opts.unbiased ? 1 : 0) : (opts.correction ?? 1);
  const dims = reductionDims("var", dim, x.ndim);
  const n = numel(dims.map((d) => x.shape[d]));
  const diff = x.sub(mean(x, dims, true));
  return sum(diff.square(), dims, keepdim).div(Math.max(n - correction, 0));
}

/** The square root of variance(). Where the variance is 0 the gradient is 0, as in PyTorch (sqrt's own would be
 *  infinite, and times the variance's zero gradient, NaN). */
export function std(x: Tensor, dim?: Dims, opts: VarOptions = {}): Tensor {
  checkOptionKeys("std", opts, VAR_OPTION_KEYS);
  const v = variance(x, dim, opts);
  const zero = v.eq(0);
  return where(zero, 0, where(zero, 1, v).sqrt());
}

/** log(sum(exp(x))) computed stably by factoring out the maximum. */
export function logsumexp(x: Tensor, dim: number | readonly number[], keepdim = false): Tensor {
  const dims = reductionDims("logsumexp", dim, x.ndim);
  const xf = isFloat(x.dtype) ? x : x.float();
  // Over an empty dim the sum is 0 and its log -inf, as in PyTorch (the max below would have nothing to take).
  if (dims.some((d) => x.shape[d] === 0)) return xf.exp().sum(dims, keepdim).log();
  const m = noGrad(() => {
    const mx = max(xf, dims, true);
    return where(mx.isinf(), 0, mx);
  });
  const out = xf.sub(m).exp().sum(dims, true).log().add(m);
  return keepdim ? out : out.reshape(reducedShape(x.shape, dims, false));
}

/**
 * The product of all elements, or along one dim (torch.prod). Integers and bools give int32 (PyTorch: int64).
 * The gradient is PyTorch's: g * prod / x on lines without a zero; on a line with one zero, the product of the others
 * at the zero and 0 elsewhere; 0 on a line with two or more zeros.
 */
export function prod(x: Tensor, dim?: number, keepdim = false): Tensor {
  if (Array.isArray(dim)) throw new TypeError("prod: dim must be one dimension (a number) or omitted for all, as in PyTorch");
  const dims = reductionDims("prod", dim, x.ndim);
  const out = reduceKernel("prod", "prod", x, dims, keepdim, isFloat(x.dtype) ? x.dtype : "int32");
  return record("prod", out, [x], (g) => {
    const up = unreduce(g, x.shape, dims, keepdim), result = unreduce(out, x.shape, dims, keepdim);
    const zero = x.eq(0);
    const zeros = zero.sum(dims, true);
    const othersAtZero = prod(where(zero, 1, x), dim, true);
    const noZero = up.mul(result).div(x);
    const oneZero = where(zero, up.mul(othersAtZero), 0);
    return [where(zeros.eq(0), noZero, where(zeros.eq(1), oneZero, 0))];
  });
}

/** Lays x out as [outer, size, inner] around dim d (contiguous). */
function aroundDim(x: Tensor, d: number): { data: ReturnType<typeof contiguousData>; outer: number; size: number; inner: number } {
  if (x.ndim === 0) return { data: contiguousData(x), outer: 1, size: 1, inner: 1 };
  return { data: contiguousData(x), outer: numel(sliceDims(x.shape, 0, d)), size: x.shape[d], inner: numel(sliceDims(x.shape, d + 1)) };
}

/** Running sums along dim (torch.cumsum): out[..., j, ...] = x[..., 0, ...] + ... + x[..., j, ...]. Integers and
 *  bools give int32 (PyTorch: int64). Its gradient is the running sum of g taken from the end. */
export function cumsum(x: Tensor, dim: number): Tensor {
  const d = normalizeDim("cumsum", dim, x.ndim);
  const scan = (t: Tensor, dtype: DType, reverse: boolean): Tensor => {
    const { data, outer, size, inner } = aroundDim(t, d);
    const out = empty(t.shape, dtype);
    getBackend().cumsum(data, outer, size, inner, out.data, reverse);
    return out;
  };
  const out = scan(x, isFloat(x.dtype) ? x.dtype : "int32", false);
  return record("cumsum", out, [x], (g) => [scan(g, g.dtype, true)]);
}

/** Whether every element (along dims) is non-zero (torch.all): bool. NaN counts as non-zero. */
export function all(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return sum(x.eq(0), reductionDims("all", dim, x.ndim), keepdim).eq(0);
}

/** Whether any element (along dims) is non-zero (torch.any): bool. NaN counts as non-zero. */
export function any(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return sum(x.ne(0), reductionDims("any", dim, x.ndim), keepdim).gt(0);
}

/**
 * The vector p-norm over every element or along dims (torch.linalg.vector_norm, and Tensor.norm's p-norms):
 * (sum |x|^p)^(1/p); p = Infinity is max |x|, -Infinity min |x|, 0 the count of non-zeros. Where the norm is 0 its
 * gradient is 0, as in PyTorch.
 */
export function norm(x: Tensor, p: number | "fro" = 2, dim?: Dims, keepdim = false): Tensor {
  if (!isFloat(x.dtype)) throw new TypeError(`norm: input must be floating point, got ${x.dtype} (cast with .float())`);
  if (p === "fro") p = 2;
  if (typeof p !== "number" || Number.isNaN(p)) throw new TypeError(`norm: p must be a number (Infinity for the max norm), got ${String(p)}`);
  const dims = reductionDims("norm", dim, x.ndim);
  const a = x.abs();
  if (p === Infinity) return amax(a, dims, keepdim);
  if (p === -Infinity) return amin(a, dims, keepdim);
  if (p === 0) return record("norm", sum(x.ne(0), dims, keepdim).to(x.dtype), [x], () => [x.zerosLike()]);
  if (p === 1) return sum(a, dims, keepdim);
  if (p < 0) {
    // A zero entry makes |x|^p infinite and the norm 0, with a gradient of 0 (PyTorch's); keep zeros out of the
    // power so that no infinity reaches the gradient.
    const zeroIn = sum(a.eq(0), dims, keepdim).gt(0);
    const total = sum(where(a.eq(0), 1, a).pow(p), dims, keepdim);
    return where(zeroIn, 0, total.pow(1 / p));
  }
  // For 0 < p < 1, |x|^p has an infinite slope at 0: keep zeros out of the power, so their gradient is 0 (PyTorch's).
  const powered = p === 2 ? x.square() : p < 1 ? where(a.eq(0), 0, where(a.eq(0), 1, a).pow(p)) : a.pow(p);
  const s = sum(powered, dims, keepdim);
  const zero = s.eq(0);
  const safe = where(zero, 1, s);
  return where(zero, 0, p === 2 ? safe.sqrt() : safe.pow(1 / p));
}

/** Sums a broadcast gradient back down to `shape` (the adjoint of broadcasting). */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  return sum(g, dims, true).reshape(shape);
}
