// Movement ops. transpose, permute, expand, narrow/slice, select, squeeze/unsqueeze and reshape of contiguous
// data are views: new shape and strides over the same storage, no copy. Each gradient undoes the movement.

import { getBackend } from "../backend/registry.js";
import { record } from "../autograd/graph.js";
import { promoteTypes } from "../tensor/dtype.js";
import { sliceDims, ShapeError, fmt, normalizeDim, normalizeDims, numel } from "../tensor/shape.js";
import { Tensor, contiguousData, empty, filled, viewOf } from "../tensor/tensor.js";
import { sumToShape } from "./reduce.js";
import { indexSelect } from "./indexing.js";

function asView(x: Tensor, shape: readonly number[], strides: readonly number[], offset: number): Tensor {
  return new Tensor(x.data, shape, strides, offset);
}

export function contiguous(x: Tensor): Tensor {
  if (x.isContiguous()) return x;
  const out = empty(x.shape, x.dtype);
  getBackend().copy(viewOf(x), x.shape, out.data);
  return record("contiguous", out, [x], (g) => [g]);
}

export function clone(x: Tensor): Tensor {
  const out = empty(x.shape, x.dtype);
  getBackend().copy(viewOf(x), x.shape, out.data);
  return record("clone", out, [x], (g) => [g]);
}

function inferShape(op: string, x: Tensor, shape: readonly number[]): number[] {
  const out = shape.slice();
  const free = out.indexOf(-1);
  if (out.lastIndexOf(-1) !== free) throw new ShapeError(`${op}: only one dimension can be -1, got ${fmt(shape)}`);
  for (const d of out) if (!Number.isInteger(d) || d < -1) throw new ShapeError(`${op}: invalid size ${d} in ${fmt(shape)}`);
  if (free >= 0) {
    const rest = numel(out.filter((_, i) => i !== free));
    if (rest === 0 || x.numel() % rest !== 0) throw new ShapeError(`${op}: shape ${fmt(shape)} is invalid for input of size ${x.numel()} (shape ${fmt(x.shape)})`);
    out[free] = x.numel() / rest;
  }
  if (numel(out) !== x.numel()) throw new ShapeError(`${op}: shape ${fmt(shape)} is invalid for input of size ${x.numel()} (shape ${fmt(x.shape)})`);
  return out;
}

/** A view when x is contiguous, else a copy (PyTorch's reshape contract). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const s = inferShape("reshape", x, shape);
  const src = x.isContiguous() ? x : contiguous(x);
  const out = asView(src, s, contiguousStridesOf(s), src.offset);
  return record("reshape", out, [src], (g) => [g.reshape(src.shape)]);
}

/** Like reshape but never copies: non-contiguous input is an error, as in PyTorch. */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  if (!x.isContiguous()) throw new ShapeError(`view: input of shape ${fmt(x.shape)} is not contiguous (strides ${fmt(x.strides)}); use reshape() or contiguous() first`);
  return reshape(x, shape);
}

function contiguousStridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  for (let i = shape.length - 1, acc = 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return x.reshape([1]);
  const s = normalizeDim("flatten", startDim, x.ndim), e = normalizeDim("flatten", endDim, x.ndim);
  if (s > e) throw new RangeError(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  return x.reshape([...sliceDims(x.shape, 0, s), numel(sliceDims(x.shape, s, e + 1)), ...sliceDims(x.shape, e + 1)]);
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.ndim) throw new ShapeError(`permute: got ${dims.length} dims ${fmt(dims)} for a tensor of ${x.ndim} dimensions (shape ${fmt(x.shape)})`);
  const p = dims.map((d) => normalizeDim("permute", d, x.ndim));
  if (new Set(p).size !== p.length) throw new ShapeError(`permute: dims ${fmt(dims)} repeat a dimension`);
  const out = asView(x, p.map((d) => x.shape[d]), p.map((d) => x.strides[d]), x.offset);
  const inverse = new Array<number>(p.length);
  p.forEach((d, i) => (inverse[d] = i));
  return record("permute", out, [x], (g) => [g.permute(inverse)]);
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  if (x.ndim < 2 && (dim0 === 0 || dim0 === -1) && (dim1 === 0 || dim1 === -1)) return x;
  const a = normalizeDim("transpose", dim0, x.ndim), b = normalizeDim("transpose", dim1, x.ndim);
  const p = x.shape.map((_, i) => i);
  [p[a], p[b]] = [p[b], p[a]];
  return permute(x, p);
}

export function t(x: Tensor): Tensor {
  if (x.ndim > 2) throw new ShapeError(`t: expects a tensor with at most 2 dimensions, got shape ${fmt(x.shape)}; use transpose or mT`);
  return x.ndim < 2 ? x : transpose(x, 0, 1);
}

export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  const dims = dim === undefined ? x.shape.map((_, i) => i) : normalizeDims("squeeze", dim, x.ndim);
  const keep = x.shape.map((d, i) => !(dims.includes(i) && d === 1));
  const out = asView(x, x.shape.filter((_, i) => keep[i]), x.strides.filter((_, i) => keep[i]), x.offset);
  return record("squeeze", out, [x], (g) => [g.reshape(x.shape)]);
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normalizeDim("unsqueeze", dim, x.ndim + 1);
  const shape = [...x.shape], strides = [...x.strides];
  shape.splice(d, 0, 1);
  strides.splice(d, 0, d < x.ndim ? x.strides[d] * x.shape[d] : 1);
  const out = asView(x, shape, strides, x.offset);
  return record("unsqueeze", out, [x], (g) => [g.reshape(x.shape)]);
}

/** Broadcasts to `shape` as a view (stride 0 on repeated dims); -1 keeps a size. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (shape.length < x.ndim) throw new ShapeError(`expand: the target shape ${fmt(shape)} has fewer dimensions than the input ${fmt(x.shape)}`);
  const lead = shape.length - x.ndim;
  const outShape: number[] = [], strides: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const own = i - lead;
    const size = shape[i] === -1 && own >= 0 ? x.shape[own] : shape[i];
    if (own < 0) {
      if (shape[i] < 0) throw new ShapeError(`expand: -1 is not allowed for the new leading dimension ${i} in ${fmt(shape)}`);
      outShape.push(size); strides.push(0);
    } else if (x.shape[own] === size) {
      outShape.push(size); strides.push(x.strides[own]);
    } else if (x.shape[own] === 1) {
      outShape.push(size); strides.push(0);
    } else {
      throw new ShapeError(`expand: cannot expand shape ${fmt(x.shape)} to ${fmt(shape)} (dimension ${i}: ${x.shape[own]} vs ${size})`);
    }
  }
  if (outShape.every((d, i) => d === x.shape[i - lead]) && lead === 0) return x;
  const out = asView(x, outShape, strides, x.offset);
  return record("expand", out, [x], (g) => [sumToShape(g, x.shape)]);
}

/** The elements start, start+step, ... before end along dim, as a view. Negative start/end count from the end. */
export function slice(x: Tensor, dim: number, start?: number, end?: number, step = 1): Tensor {
  const d = normalizeDim("slice", dim, x.ndim);
  if (!Number.isInteger(step) || step <= 0) throw new RangeError(`slice: step must be a positive integer, got ${step}`);
  const n = x.shape[d];
  const clampIdx = (i: number) => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
  const s = clampIdx(start ?? 0), e = Math.max(clampIdx(end ?? n), s);
  const len = Math.ceil((e - s) / step);
  const shape = [...x.shape], strides = [...x.strides];
  shape[d] = len;
  strides[d] = x.strides[d] * step;
  const out = asView(x, shape, strides, x.offset + s * x.strides[d]);
  return record("slice", out, [x], (g) => {
    // Adjoint: scatter g into the same window of a zero tensor shaped like x.
    const gx = filled(x.shape, g.dtype, 0);
    const cs = contiguousStridesOf(x.shape);
    const win = { data: gx.data, offset: s * cs[d], strides: cs.map((v, i) => (i === d ? v * step : v)) };
    getBackend().scatterInto(contiguousData(g), g.shape, win);
    return [gx];
  });
}

export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normalizeDim("narrow", dim, x.ndim);
  const n = x.shape[d];
  const s = start < 0 ? start + n : start;
  if (!Number.isInteger(start) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > n) {
    throw new RangeError(`narrow: start ${start} and length ${length} do not fit dimension ${dim} of size ${n} (shape ${fmt(x.shape)})`);
  }
  return slice(x, d, s, s + length);
}

/** Indexes one position along dim and removes that dim (x[:, i] in Python). */
export function select(x: Tensor, dim: number, index: number): Tensor {
  const d = normalizeDim("select", dim, x.ndim);
  const n = x.shape[d];
  if (!Number.isInteger(index) || index < -n || index >= n) throw new RangeError(`select: index ${index} is out of range for dimension ${dim} of size ${n} (shape ${fmt(x.shape)})`);
  const i = index < 0 ? index + n : index;
  return slice(x, d, i, i + 1).squeeze(d);
}

export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new Error("cat: expected a non-empty list of tensors");
  const first = tensors[0];
  const d = normalizeDim("cat", dim, first.ndim);
  if (first.ndim === 0) throw new ShapeError("cat: zero-dimensional tensors cannot be concatenated; use stack");
  tensors.forEach((t, j) => {
    if (t.ndim !== first.ndim || t.shape.some((s, i) => i !== d && s !== first.shape[i])) {
      throw new ShapeError(`cat: tensor ${j} has shape ${fmt(t.shape)}, which does not match ${fmt(first.shape)} except in dimension ${d}`);
    }
  });
  const dtype = tensors.map((t) => t.dtype).reduce(promoteTypes);
  const shape = [...first.shape];
  shape[d] = tensors.reduce((acc, t) => acc + t.shape[d], 0);
  const out = empty(shape, dtype);
  const cs = contiguousStridesOf(shape);
  let at = 0;
  for (const t of tensors) {
    getBackend().scatterInto(contiguousData(t.to(dtype)), t.shape, { data: out.data, offset: at * cs[d], strides: cs });
    at += t.shape[d];
  }
  const sizes = tensors.map((t) => t.shape[d]);
  return record("cat", out, tensors, (g) => split(g, sizes, d));
}

export const concat = cat;

export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new Error("stack: expected a non-empty list of tensors");
  const first = tensors[0];
  tensors.forEach((t, j) => {
    if (t.ndim !== first.ndim || t.shape.some((s, i) => s !== first.shape[i])) throw new ShapeError(`stack: tensor ${j} has shape ${fmt(t.shape)}, expected ${fmt(first.shape)} like tensor 0`);
  });
  const d = normalizeDim("stack", dim, first.ndim + 1);
  return cat(tensors.map((t) => t.unsqueeze(d)), d);
}

/** Views of consecutive pieces along dim: equal pieces of splitSize (the last may be smaller), or the given sizes. */
export function split(x: Tensor, splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  if (x.ndim === 0) throw new ShapeError("split: a 0-d tensor has no dimension to split");
  const d = normalizeDim("split", dim, x.ndim);
  const n = x.shape[d];
  let sizes: number[];
  if (typeof splitSizeOrSections === "number") {
    const s = splitSizeOrSections;
    if (!Number.isInteger(s) || s <= 0) throw new RangeError(`split: split size must be a positive integer, got ${s}`);
    sizes = [];
    for (let at = 0; at < n; at += s) sizes.push(Math.min(s, n - at));
    if (n === 0) sizes.push(0);
  } else {
    sizes = [...splitSizeOrSections];
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== n || sizes.some((s) => !Number.isInteger(s) || s < 0)) throw new ShapeError(`split: sections ${fmt(sizes)} do not add up to ${n}, the size of dimension ${dim} (shape ${fmt(x.shape)})`);
  }
  const out: Tensor[] = [];
  let at = 0;
  for (const s of sizes) {
    out.push(narrow(x, d, at, s));
    at += s;
  }
  return out;
}

export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) throw new RangeError(`chunk: chunks must be a positive integer, got ${chunks}`);
  if (x.ndim === 0) throw new ShapeError("chunk: a 0-d tensor has no dimension to chunk");
  const d = normalizeDim("chunk", dim, x.ndim), n = x.shape[d];
  // An empty dim gives `chunks` empty pieces, as in PyTorch.
  if (n === 0) return Array.from({ length: chunks }, () => narrow(x, d, 0, 0));
  return split(x, Math.ceil(n / chunks), dim);
}

export type PadMode = "constant" | "reflect" | "replicate" | "circular";

/**
 * Pads, PyTorch's F.pad: `padding` lists (before, after) pairs starting from the LAST dim.
 * - "constant" (default): fills with `value`; negative amounts crop.
 * - "reflect": mirrors without repeating the edge ([1, 2, 3] by 2 -> [3, 2, 1, 2, 3, 2, 1]); each amount must be
 *   smaller than its dim.
 * - "replicate": repeats the edge value.
 * - "circular": wraps around, as if the input were periodic; each amount at most its dim.
 * The three non-constant modes pad up to the last 3 dims and leave at least one leading (batch or channel) dim,
 * as PyTorch; their gradient sums what each input element was copied to.
 */
export function pad(x: Tensor, padding: readonly number[], mode: PadMode = "constant", value = 0): Tensor {
  if (padding.length % 2 !== 0 || padding.length / 2 > x.ndim || padding.some((p) => !Number.isInteger(p))) {
    throw new ShapeError(`pad: padding ${fmt(padding)} must have an even length of at most 2 * ${x.ndim}, all integers (input shape ${fmt(x.shape)})`);
  }
  if (mode === "constant") return padConstant(x, padding, value);
  if (mode !== "reflect" && mode !== "replicate" && mode !== "circular") {
    throw new RangeError(`pad: mode must be "constant", "reflect", "replicate" or "circular", got ${JSON.stringify(mode)}`);
  }
  const dims = padding.length / 2;
  if (dims > 3 || dims >= x.ndim) {
    throw new ShapeError(`pad: ${mode} padding pads at most the last 3 dims and needs a leading batch or channel dim; got padding ${fmt(padding)} for input shape ${fmt(x.shape)}`);
  }
  // One index map per padded dim; indexSelect gathers along it and its gradient adds back (index_add).
  let y = x;
  for (let i = 0; i < dims; i++) {
    const d = x.ndim - 1 - i, size = x.shape[d], before = padding[2 * i], after = padding[2 * i + 1];
    if (before === 0 && after === 0) continue;
    const what = `dimension ${d} of size ${size} (input shape ${fmt(x.shape)})`;
    if (before < 0 || after < 0) throw new RangeError(`pad: ${mode} padding must be non-negative, got ${fmt(padding)}`);
    if (size === 0) throw new ShapeError(`pad: cannot ${mode}-pad the empty ${what}`);
    if (mode === "reflect" && Math.max(before, after) >= size) {
      throw new RangeError(`pad: reflect padding (${before}, ${after}) must be smaller than ${what}`);
    }
    if (mode === "circular" && Math.max(before, after) > size) {
      throw new RangeError(`pad: circular padding (${before}, ${after}) must be at most ${what}`);
    }
    const index = new Int32Array(before + size + after);
    for (let o = 0; o < index.length; o++) {
      const j = o - before;
      index[o] = mode === "replicate" ? Math.min(Math.max(j, 0), size - 1)
        : mode === "circular" ? ((j % size) + size) % size
        : j < 0 ? -j : j >= size ? 2 * (size - 1) - j : j;
    }
    y = indexSelect(y, d, new Tensor(index, [index.length]));
  }
  return y;
}

function padConstant(x: Tensor, padding: readonly number[], value: number): Tensor {
  const before = new Array<number>(x.ndim).fill(0), after = new Array<number>(x.ndim).fill(0);
  for (let i = 0; i < padding.length / 2; i++) {
    before[x.ndim - 1 - i] = padding[2 * i];
    after[x.ndim - 1 - i] = padding[2 * i + 1];
  }
  // Crop first (a view), then place the result inside a filled tensor.
  let src = x;
  for (let d = 0; d < x.ndim; d++) {
    const lo = Math.max(-before[d], 0), hi = Math.max(-after[d], 0);
    if (lo + hi > x.shape[d]) throw new ShapeError(`pad: cropping ${lo + hi} from dimension ${d} of size ${x.shape[d]} leaves nothing (shape ${fmt(x.shape)})`);
    if (lo || hi) src = narrow(src, d, lo, src.shape[d] - lo - hi);
  }
  const shape = x.shape.map((s, d) => s + before[d] + after[d]);
  const out = filled(shape, x.dtype, value);
  const cs = contiguousStridesOf(shape);
  const offset = before.reduce((acc, b, d) => acc + Math.max(b, 0) * cs[d], 0);
  getBackend().scatterInto(contiguousData(src), src.shape, { data: out.data, offset, strides: cs });
  return record("pad", out, [src], (g) => {
    let gs = g;
    for (let d = 0; d < x.ndim; d++) gs = narrow(gs, d, Math.max(before[d], 0), src.shape[d]);
    return [gs];
  });
}

/** Reverses the order of entries along each of `dims` (torch.flip; a copy, as in PyTorch). */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  const list = normalizeDims("flip", dims, x.ndim);
  let out = x;
  for (const d of list) {
    const n = x.shape[d];
    const reversed = new Tensor(Int32Array.from({ length: n }, (_, i) => n - 1 - i), [n]);
    out = indexSelect(out, d, reversed);
  }
  return list.length === 0 ? clone(x) : out;
}

/** Tiles x `sizes[i]` times along each dim (torch.Tensor.repeat); extra leading sizes add leading dims. */
export function repeat(x: Tensor, sizes: readonly number[]): Tensor {
  if (sizes.length < x.ndim) throw new ShapeError(`repeat: ${sizes.length} repeat counts for a tensor of ${x.ndim} dimensions (shape ${fmt(x.shape)}); give at least one per dimension`);
  if (sizes.some((s) => !Number.isInteger(s) || s < 0)) throw new RangeError(`repeat: counts must be non-negative integers, got ${fmt(sizes)}`);
  const shape = [...sizes.slice(0, sizes.length - x.ndim).map(() => 1), ...x.shape];
  // [s0, s1, ...] -> [1, s0, 1, s1, ...] -> expanded to [r0, s0, r1, s1, ...] -> [r0*s0, r1*s1, ...]
  const spread = x.reshape(shape.flatMap((s) => [1, s]));
  const expanded = spread.expand(shape.flatMap((s, i) => [sizes[i], s]));
  return expanded.reshape(shape.map((s, i) => s * sizes[i]));
}

/** The slices along dim, each without that dim (torch.unbind): views of x. */
export function unbind(x: Tensor, dim = 0): Tensor[] {
  const d = normalizeDim("unbind", dim, x.ndim);
  if (x.ndim === 0) throw new ShapeError("unbind: a 0-d tensor has no dimension to unbind");
  return Array.from({ length: x.shape[d] }, (_, i) => select(x, d, i));
}
