// Integer indexing: indexSelect (embedding lookups), gather and its adjoint scatterAdd, oneHot.
// Indices are int32 and checked against the indexed size before any kernel runs.

import { getBackend } from "../backend/registry.js";
import { record } from "../autograd/graph.js";
import { sliceDims, ShapeError, fmt, normalizeDim, numel } from "../tensor/shape.js";
import { Tensor, contiguousData, empty, filled, viewOf } from "../tensor/tensor.js";

/** `range` says what the index counts, for the error: "dimension 1 of size 4 (input shape [3,4])". */
function checkIndex(op: string, index: Tensor, size: number, range: string): Int32Array {
  if (!(index instanceof Tensor)) throw new TypeError(`${op}: index must be a tensor`);
  if (index.dtype !== "int32") throw new TypeError(`${op}: index must be an int32 tensor, got ${index.dtype} (shape ${fmt(index.shape)})`);
  const data = contiguousData(index) as Int32Array;
  for (let i = 0; i < data.length; i++) {
    if (data[i] < 0 || data[i] >= size) throw new RangeError(`${op}: index ${data[i]} is out of range for ${range}`);
  }
  return data;
}

const dimRange = (x: Tensor, d: number, size: number): string => `dimension ${d} of size ${size} (input shape ${fmt(x.shape)})`;

/** Picks entries `index` (1-D int32) along dim. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normalizeDim("indexSelect", dim, x.ndim);
  if (index.ndim > 1) throw new ShapeError(`indexSelect: index must be 0-D or 1-D, got shape ${fmt(index.shape)}`);
  if (x.ndim === 0 && index.numel() !== 1) throw new ShapeError(`indexSelect: a 0-d input takes an index of one element, got shape ${fmt(index.shape)}`);
  const size = x.ndim === 0 ? 1 : x.shape[d];
  const idx = checkIndex("indexSelect", index, size, dimRange(x, d, size));
  const outer = numel(sliceDims(x.shape, 0, d)), inner = numel(sliceDims(x.shape, d + 1));
  const shape = x.ndim === 0 ? [] : [...sliceDims(x.shape, 0, d), idx.length, ...sliceDims(x.shape, d + 1)];
  const out = empty(shape, x.dtype);
  getBackend().indexSelect(contiguousData(x), outer, size, inner, idx, out.data);
  return record("indexSelect", out, [x], (g) => {
    const gx = filled(x.shape, g.dtype, 0);
    getBackend().indexAdd(gx.data, outer, size, inner, idx, contiguousData(g));
    return [gx];
  });
}

function checkGatherShapes(op: string, x: Tensor, d: number, index: Tensor): void {
  if (index.ndim !== x.ndim) throw new ShapeError(`${op}: index must have as many dimensions as the input (${x.ndim}), got index shape ${fmt(index.shape)} for input ${fmt(x.shape)}`);
  index.shape.forEach((s, i) => {
    if (i !== d && s > x.shape[i]) throw new ShapeError(`${op}: index shape ${fmt(index.shape)} exceeds input shape ${fmt(x.shape)} in dimension ${i}`);
  });
}

/** out[i][j][k] = x[i][index[i][j][k]][k] for dim = 1 (and likewise for any dim). */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normalizeDim("gather", dim, x.ndim);
  checkGatherShapes("gather", x, d, index);
  const size = x.ndim === 0 ? 1 : x.shape[d];
  const idx = checkIndex("gather", index, size, dimRange(x, d, size));
  const out = empty(index.shape, x.dtype);
  getBackend().gather(viewOf(x), d, idx, index.shape, out.data);
  return record("gather", out, [x], (g) => {
    const gx = filled(x.shape, g.dtype, 0);
    getBackend().scatterAdd(gx.data, x.shape, d, idx, index.shape, contiguousData(g));
    return [gx];
  });
}

/** Out-of-place scatter-add: a copy of x with src added at the positions index selects along dim. */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const { out, d, srcWindow } = scatterInto("scatterAdd", x, dim, index, src, true);
  return record("scatterAdd", out, [x, srcWindow], (g) => [g, g.gather(d, index)]);
}

/**
 * Out-of-place scatter (torch.scatter): a copy of x with src[i][j][k] (or the scalar value) written at
 * [i][index[i][j][k]][k] for dim = 1, and likewise for any dim. Where an index repeats, the last write in row-major
 * order wins (PyTorch leaves it unspecified). Gradients: x's is g with the written positions zeroed, src's is g
 * gathered back from them.
 */
export function scatter(x: Tensor, dim: number, index: Tensor, src: Tensor | number): Tensor {
  const source = src instanceof Tensor ? src : filled(index.shape, x.dtype, src);
  const { out, d, srcWindow } = scatterInto("scatter", x, dim, index, source, false);
  const inputs = src instanceof Tensor ? [x, srcWindow] : [x];
  return record("scatter", out, inputs, (g) => [g.scatter(d, index, 0), src instanceof Tensor ? g.gather(d, index) : null]);
}

/** The forward of scatter and scatterAdd: checks, then a copy of x with src's window (index's shape) written or
 *  added at the positions index selects along dim. */
function scatterInto(op: string, x: Tensor, dim: number, index: Tensor, src: Tensor, add: boolean): { out: Tensor; d: number; srcWindow: Tensor } {
  const d = normalizeDim(op, dim, x.ndim);
  checkGatherShapes(op, x, d, index);
  if (src.ndim !== index.ndim || index.shape.some((s, i) => s > src.shape[i])) throw new ShapeError(`${op}: src shape ${fmt(src.shape)} must cover index shape ${fmt(index.shape)}`);
  const size = x.ndim === 0 ? 1 : x.shape[d];
  const idx = checkIndex(op, index, size, dimRange(x, d, size));
  const srcWindow = index.shape.reduce((t, n, i) => (t.shape[i] === n ? t : t.narrow(i, 0, n)), src);
  const out = empty(x.shape, x.dtype);
  const backend = getBackend();
  backend.copy(viewOf(x), x.shape, out.data);
  (add ? backend.scatterAdd : backend.scatter).call(backend, out.data, x.shape, d, idx, index.shape, contiguousData(srcWindow.to(x.dtype)));
  return { out, d, srcWindow };
}

/** Int32 one-hot rows: shape [...index.shape, numClasses]; numClasses -1 means max(index) + 1. */
export function oneHot(index: Tensor, numClasses = -1): Tensor {
  if (index.dtype !== "int32") throw new TypeError(`oneHot: index must be an int32 tensor, got ${index.dtype}`);
  const data = contiguousData(index);
  let n = numClasses;
  if (n === -1) {
    // A loop, not Math.max(...data): spreading a few hundred thousand arguments overflows the call stack.
    let top = -1;
    for (let i = 0; i < data.length; i++) if (data[i] > top) top = data[i];
    n = top + 1;
  }
  checkIndex("oneHot", index, n, `${n} classes`);
  const out = filled([...index.shape, n], "int32", 0);
  for (let i = 0; i < data.length; i++) out.data[i * n + data[i]] = 1;
  return out;
}
