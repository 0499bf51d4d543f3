// The DataLoader: turns a dataset into an iterable of batches, as torch.utils.data.DataLoader (single process).
// Each `for (const batch of loader)` is one epoch; with shuffle on, each epoch draws a fresh permutation from the
// generator, so epochs differ from one another while one manualSeed reproduces the whole sequence.

import { fmt } from "../tensor/shape.js";
import { defaultGenerator, type Generator } from "../tensor/random.js";
import { Tensor } from "../tensor/tensor.js";
import { randperm, tensor } from "../ops/creation.js";
import { stack } from "../ops/movement.js";
import { hasGetBatch, type Dataset } from "./dataset.js";
import { checkOptionKeys, optionKeys } from "../util/options.js";

/** What defaultCollate makes of a list of items of type T: tensors are stacked, numbers and booleans become a
 *  tensor, arrays and objects are collated field by field, strings are gathered into an array. */
export type Collated<T> =
  T extends Tensor ? Tensor
  : T extends number | boolean ? Tensor
  : T extends string ? string[]
  : T extends readonly unknown[] ? { -readonly [K in keyof T]: Collated<T[K]> }
  : T extends object ? { [K in keyof T]: Collated<T[K]> }
  : T[];

export interface DataLoaderOptions<T, B> {
  /** Items per batch (default 1). */
  batchSize?: number;
  /** Draw a new random order each epoch (default false: dataset order). */
  shuffle?: boolean;
  /** Drop the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Where shuffling draws from (default: the global generator that manualSeed seeds). */
  generator?: Generator;
  /** Builds a batch from a list of items (default: defaultCollate). Giving one also turns off the getBatch fast path. */
  collate?: (items: T[]) => B;
}

const DATA_LOADER_OPTION_KEYS = optionKeys<DataLoaderOptions<unknown, unknown>>({
  batchSize: true, shuffle: true, dropLast: true, generator: true, collate: true,
});

/**
 * Batches items the way PyTorch's default_collate does: tensors of one shape are stacked along a new first
 * dimension; numbers become a tensor (int32 when all are integers, else float32, Axon's default float); booleans
 * a bool tensor; arrays (such as [x, y] pairs) and plain objects are collated position by position / key by key;
 * strings are gathered into an array.
 */
export function defaultCollate<T>(items: readonly T[]): Collated<T> {
  return collate(items as readonly unknown[], "batch") as Collated<T>;
}

function collate(items: readonly unknown[], where: string): unknown {
  if (items.length === 0) throw new Error("defaultCollate: cannot collate an empty list of items");
  const first = items[0];
  const kind = (v: unknown): string => (v instanceof Tensor ? "Tensor" : Array.isArray(v) ? "array" : v === null ? "null" : typeof v);
  const k = kind(first);
  items.forEach((v, i) => {
    if (kind(v) !== k) throw new TypeError(`defaultCollate: ${where}: item ${i} is ${kind(v)} but item 0 is ${k}`);
  });
  if (first instanceof Tensor) {
    const ts = items as Tensor[];
    const bad = ts.findIndex((t) => t.ndim !== first.ndim || t.shape.some((s, d) => s !== first.shape[d]));
    if (bad >= 0) throw new Error(`defaultCollate: ${where}: item ${bad} has shape ${fmt(ts[bad].shape)} but item 0 has ${fmt(first.shape)}; stacking needs equal shapes (pass a collate function to pad)`);
    return stack(ts);
  }
  if (k === "number") {
    const nums = items as number[];
    return tensor(nums, { dtype: nums.every(Number.isInteger) ? "int32" : "float32" });
  }
  if (k === "boolean") return tensor(items as boolean[]);
  if (k === "string") return items.slice();
  if (k === "array") {
    const arrays = items as unknown[][];
    const bad = arrays.findIndex((a) => a.length !== arrays[0].length);
    if (bad >= 0) throw new Error(`defaultCollate: ${where}: item ${bad} has ${arrays[bad].length} fields but item 0 has ${arrays[0].length}`);
    return arrays[0].map((_, j) => collate(arrays.map((a) => a[j]), `${where}[${j}]`));
  }
  if (k === "object" && Object.getPrototypeOf(first) === Object.prototype) {
    const objs = items as Record<string, unknown>[];
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first as object)) {
      objs.forEach((o, i) => {
        if (!(key in o)) throw new Error(`defaultCollate: ${where}: item ${i} has no key "${key}" (item 0 has)`);
      });
      out[key] = collate(objs.map((o) => o[key]), `${where}.${key}`);
    }
    return out;
  }
  throw new TypeError(`defaultCollate: ${where}: cannot batch items of type ${k}; pass a collate function`);
}

/**
 * Iterates a dataset in batches. For a TensorDataset (or a Subset of one) each batch is gathered straight from the
 * underlying tensors with indexSelect, one contiguous tensor per field; other datasets go item by item through
 * `collate`. `length` is the number of batches per epoch.
 *
 *   const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 64, shuffle: true });
 *   for (const [xb, yb] of loader) { ... }
 */
export class DataLoader<T = Tensor[], B = Collated<T>> implements Iterable<B> {
  readonly dataset: Dataset<T>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly generator: Generator;
  private readonly collateFn: ((items: T[]) => B) | null;

  constructor(dataset: Dataset<T>, opts: DataLoaderOptions<T, B> = {}) {
    if (dataset === null || typeof dataset !== "object" || typeof dataset.getItem !== "function" || !Number.isInteger(dataset.length)) {
      throw new TypeError("DataLoader: the dataset must have an integer `length` and a getItem(index) method");
    }
    checkOptionKeys("DataLoader", opts, DATA_LOADER_OPTION_KEYS);
    const { batchSize = 1, shuffle = false, dropLast = false, generator = defaultGenerator, collate = null } = opts;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`DataLoader: batchSize must be a positive integer, got ${batchSize}`);
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.generator = generator;
    this.collateFn = collate;
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Items in the dataset (fit() uses it for progress). */
  get datasetLength(): number {
    return this.dataset.length;
  }

  /** The item order of one epoch: a fresh permutation when shuffling, else 0..n-1. Each call is one draw. */
  private epochOrder(): Int32Array {
    const n = this.dataset.length;
    if (this.shuffle) return randperm(n, { generator: this.generator }).data as Int32Array;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    return order;
  }

  *[Symbol.iterator](): Iterator<B> {
    const order = this.epochOrder();
    const batches = this.length;
    const d = this.dataset;
    const fast = this.collateFn === null && hasGetBatch(d);
    for (let b = 0; b < batches; b++) {
      const indices = order.subarray(b * this.batchSize, Math.min((b + 1) * this.batchSize, order.length));
      if (fast) {
        yield d.getBatch(indices) as B;
      } else {
        const items: T[] = [];
        for (const i of indices) items.push(d.getItem(i));
        yield this.collateFn ? this.collateFn(items) : (defaultCollate(items) as B);
      }
    }
  }
}
