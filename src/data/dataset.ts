// Datasets, as in torch.utils.data: anything with a length and an item getter. TensorDataset rows its tensors
// along the first dimension; Subset and randomSplit select rows by index. A dataset may also offer getBatch(indices),
// which the DataLoader prefers to fetching items one by one: TensorDataset and Subset of one gather a whole batch
// into one contiguous tensor per field with indexSelect.

import { fmt } from "../tensor/shape.js";
import { defaultGenerator, type Generator } from "../tensor/random.js";
import { Tensor } from "../tensor/tensor.js";
import { randperm } from "../ops/creation.js";
import { indexSelect } from "../ops/indexing.js";

/** A map-style dataset: `length` items, item i from getItem(i). */
export interface Dataset<T> {
  readonly length: number;
  getItem(index: number): T;
}

/** A dataset that can also fetch many items at once, already collated (the DataLoader's fast path). */
export interface BatchedDataset<T, B> extends Dataset<T> {
  getBatch(indices: Int32Array): B;
}

export function hasGetBatch<T>(d: Dataset<T>): d is BatchedDataset<T, unknown> {
  return typeof (d as Partial<BatchedDataset<T, unknown>>).getBatch === "function";
}

/** Checks an index against a length; negative indices count from the end, as in Python. */
export function checkIndex(op: string, index: number, length: number): number {
  if (!Number.isInteger(index)) throw new TypeError(`${op}: index must be an integer, got ${index}`);
  const i = index < 0 ? index + length : index;
  if (i < 0 || i >= length) throw new RangeError(`${op}: index ${index} is out of range for a dataset of length ${length}`);
  return i;
}

/**
 * Rows of tensors that share their first dimension: item i is [t0[i], t1[i], ...] (views, no copy). Typically
 * `new TensorDataset(x, y)`. A batch of indices is gathered with indexSelect into one new tensor per field.
 */
export class TensorDataset implements BatchedDataset<Tensor[], Tensor[]> {
  readonly tensors: readonly Tensor[];
  // Gathering rows reads contiguous storage; a non-contiguous input (a transposed view) is copied once, lazily.
  private sources: Tensor[] | null = null;

  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new Error("TensorDataset: expected at least one tensor");
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new TypeError(`TensorDataset: argument ${i} is not a Tensor`);
      if (t.ndim === 0) throw new Error(`TensorDataset: tensor ${i} is zero-dimensional; each tensor needs a first dimension to index`);
    });
    const n = tensors[0].shape[0];
    const bad = tensors.findIndex((t) => t.shape[0] !== n);
    if (bad >= 0) {
      const shapes = tensors.map((t, i) => `tensor ${i}: ${fmt(t.shape)}`).join(", ");
      throw new Error(`TensorDataset: all tensors must have the same size in the first dimension, got ${shapes} (${tensors[bad].shape[0]} != ${n})`);
    }
    this.tensors = Object.freeze(tensors.slice());
  }

  get length(): number {
    return this.tensors[0].shape[0];
  }

  getItem(index: number): Tensor[] {
    const i = checkIndex("TensorDataset.getItem", index, this.length);
    return this.tensors.map((t) => t.select(0, i));
  }

  /** The rows `indices`, one contiguous tensor per field: [t0[indices], t1[indices], ...]. */
  getBatch(indices: Int32Array): Tensor[] {
    const idx = new Tensor(indices, [indices.length]);
    this.sources ??= this.tensors.map((t) => (t.isContiguous() ? t : t.contiguous()));
    return this.sources.map((t) => indexSelect(t, 0, idx));
  }
}

/** The items of `dataset` at `indices`, in that order. */
export class Subset<T> implements Dataset<T> {
  readonly dataset: Dataset<T>;
  readonly indices: Int32Array;
  /** Present only when the underlying dataset batches (a TensorDataset): the DataLoader then gathers directly. */
  readonly getBatch?: (indices: Int32Array) => unknown;

  constructor(dataset: Dataset<T>, indices: readonly number[] | Int32Array) {
    this.dataset = dataset;
    const n = dataset.length;
    this.indices = Int32Array.from(indices, (v, k) => {
      if (!Number.isInteger(v) || v < 0 || v >= n) throw new RangeError(`Subset: indices[${k}] is ${v}, out of range for a dataset of length ${n}`);
      return v;
    });
    if (hasGetBatch(dataset)) {
      const inner = dataset;
      this.getBatch = (batch: Int32Array) => {
        const mapped = new Int32Array(batch.length);
        for (let k = 0; k < batch.length; k++) mapped[k] = this.indices[checkIndex("Subset.getBatch", batch[k], this.length)];
        return inner.getBatch(mapped);
      };
    }
  }

  get length(): number {
    return this.indices.length;
  }

  getItem(index: number): T {
    return this.dataset.getItem(this.indices[checkIndex("Subset.getItem", index, this.length)]);
  }
}

/**
 * Splits a dataset into non-overlapping random subsets, as torch.utils.data.random_split. `lengths` are either
 * counts that sum to the dataset's length, or fractions that sum to 1: each subset then gets floor(n * fraction)
 * items and the remainder is handed out one by one from the first subset on. The permutation comes from
 * `generator` (default: the global one), so one manualSeed reproduces the split.
 */
export function randomSplit<T>(dataset: Dataset<T>, lengths: readonly number[], generator: Generator = defaultGenerator): Subset<T>[] {
  const n = dataset.length;
  if (lengths.length === 0) throw new Error("randomSplit: expected at least one length");
  for (const l of lengths) if (!Number.isFinite(l) || l < 0) throw new RangeError(`randomSplit: lengths must be non-negative numbers, got [${lengths.join(", ")}]`);
  let counts: number[];
  const total = lengths.reduce((a, b) => a + b, 0);
  const isFractions = lengths.every((l) => l <= 1) && Math.abs(total - 1) < 1e-6 && !(lengths.every(Number.isInteger) && total === n);
  if (isFractions) {
    counts = lengths.map((f) => Math.floor(n * f));
    let rest = n - counts.reduce((a, b) => a + b, 0);
    for (let i = 0; rest > 0; i = (i + 1) % counts.length, rest--) counts[i]++;
  } else {
    if (!lengths.every(Number.isInteger)) throw new RangeError(`randomSplit: lengths [${lengths.join(", ")}] are neither whole counts nor fractions summing to 1`);
    if (total !== n) throw new RangeError(`randomSplit: lengths [${lengths.join(", ")}] sum to ${total}, but the dataset has ${n} items (or pass fractions that sum to 1)`);
    counts = lengths.slice();
  }
  const perm = randperm(n, { generator }).data as Int32Array;
  const out: Subset<T>[] = [];
  let at = 0;
  for (const c of counts) {
    out.push(new Subset(dataset, perm.subarray(at, at + c)));
    at += c;
  }
  return out;
}
