// Sorting along one dim: sort, argsort and topk. Their values' gradient goes back to the positions the values came
// from (a scatter along the same dim).

import { getBackend } from "../backend/registry.js";
import { record } from "../autograd/graph.js";
import { fmt, normalizeDim, numel, sliceDims } from "../tensor/shape.js";
import { Tensor, contiguousData, empty, filled } from "../tensor/tensor.js";
import { valuesIndices, type ValuesIndices } from "./reduce.js";
import { checkOptionKeys, optionKeys } from "../util/options.js";

function sortedAlong(op: string, x: Tensor, dim: number, k: number | null, descending: boolean): ValuesIndices {
  const d = normalizeDim(op, dim, x.ndim);
  const scalar = x.ndim === 0;
  const size = scalar ? 1 : x.shape[d];
  const keep = k ?? size;
  if (scalar && keep !== 1) throw new RangeError(`${op}: k = ${keep} on a 0-d tensor: the only k there is 1`);
  if (!Number.isInteger(keep) || keep < 0 || keep > size) {
    throw new RangeError(`${op}: k = ${keep} is out of range for dimension ${d} of size ${size} (input shape ${fmt(x.shape)})`);
  }
  const outer = scalar ? 1 : numel(sliceDims(x.shape, 0, d)), inner = scalar ? 1 : numel(sliceDims(x.shape, d + 1));
  const shape = scalar ? [] : x.shape.map((n, i) => (i === d ? keep : n));
  const values = empty(shape, x.dtype), indices = empty(shape, "int32");
  getBackend().sort(contiguousData(x), outer, size, inner, keep, descending, values.data, indices.data as Int32Array);
  record(op, values, [x], (g) => [filled(x.shape, g.dtype, 0).scatterAdd(d, indices, g)]);
  return valuesIndices(values, indices);
}

export interface SortOptions {
  stable?: boolean;
}

const SORT_OPTION_KEYS = optionKeys<SortOptions>({ stable: true });

/** Sorts along dim (default the last), ascending unless `descending`; NaN counts as the largest value. Equal
 *  values keep their order, so `stable` (accepted for PyTorch's signature) is always honoured. */
export function sort(x: Tensor, dim = -1, descending = false, opts: SortOptions = {}): ValuesIndices {
  checkOptionKeys("sort", opts, SORT_OPTION_KEYS);
  return sortedAlong("sort", x, dim, null, descending);
}

/** The indices that sort x along dim (sort(...).indices). */
export function argsort(x: Tensor, dim = -1, descending = false, opts: SortOptions = {}): Tensor {
  checkOptionKeys("argsort", opts, SORT_OPTION_KEYS);
  return sortedAlong("argsort", x, dim, null, descending).indices;
}

/** The k largest (or, with largest false, smallest) entries along dim and their indices, largest first (smallest
 *  first). `sorted` is accepted for PyTorch's signature; the result is always in order. NaN counts as the largest. */
export function topk(x: Tensor, k: number, dim = -1, largest = true, _sorted = true): ValuesIndices {
  return sortedAlong("topk", x, dim, k, largest);
}
