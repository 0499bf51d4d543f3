// Dataset and DataLoader semantics: TensorDataset rows, Subset, randomSplit, batching (sizes, dropLast, length),
// seeded shuffling (reproducible, reshuffled each epoch), the TensorDataset fast path against the generic collate.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as ax from "../src/index.js";
import { Tensor } from "../src/index.js";
import { DataLoader, TensorDataset, Subset, randomSplit, defaultCollate, type Dataset } from "../src/data/index.js";
import type { Batches } from "../src/train/fit.js";

/** x[i] = [i, 10 i] float32, y[i] = i int32: every row says which index it came from. */
function indexed(n: number): TensorDataset {
  const x = new Float32Array(2 * n), y = new Int32Array(n);
  for (let i = 0; i < n; i++) { x[2 * i] = i; x[2 * i + 1] = 10 * i; y[i] = i; }
  return new TensorDataset(new Tensor(x, [n, 2]), new Tensor(y, [n]));
}

/** A dataset without getBatch, so the loader goes item by item through the collate. */
class Plain<T> implements Dataset<T> {
  constructor(private readonly items: T[]) {}
  get length(): number { return this.items.length; }
  getItem(i: number): T { return this.items[i]; }
}

const order = (loader: Iterable<readonly Tensor[]>): number[] => {
  const out: number[] = [];
  for (const [, y] of loader) out.push(...(y.toArray() as number[]));
  return out;
};

describe("TensorDataset", () => {
  test("rows along the first dimension, negative indices from the end", () => {
    const ds = indexed(5);
    assert.equal(ds.length, 5);
    const [x, y] = ds.getItem(3);
    assert.deepEqual(x.toArray(), [3, 30]);
    assert.equal(y.item(), 3);
    assert.equal(ds.getItem(-1)[1].item(), 4);
    assert.throws(() => ds.getItem(5), /index 5 is out of range for a dataset of length 5/);
    assert.throws(() => ds.getItem(1.5), /integer/);
  });

  test("unequal first dimensions are refused with every shape named", () => {
    assert.throws(() => new TensorDataset(ax.zeros([4, 2]), ax.zeros([3])), /same size in the first dimension.*tensor 0: \[4,2\], tensor 1: \[3\]/);
    assert.throws(() => new TensorDataset(), /at least one tensor/);
    assert.throws(() => new TensorDataset(ax.tensor(1)), /zero-dimensional/);
  });

  test("getBatch gathers rows into one contiguous tensor per field", () => {
    const [x, y] = indexed(6).getBatch(Int32Array.of(4, 0, 2));
    assert.deepEqual(x.shape, [3, 2]);
    assert.ok(x.isContiguous());
    assert.deepEqual(x.toArray(), [[4, 40], [0, 0], [2, 20]]);
    assert.deepEqual(y.toArray(), [4, 0, 2]);
    assert.equal(y.dtype, "int32");
  });

  test("a non-contiguous tensor (a transposed view) batches correctly", () => {
    const base = ax.arange(12).reshape([3, 4]).float();
    const ds = new TensorDataset(base.t()); // rows of the transpose are columns of base
    const [b] = ds.getBatch(Int32Array.of(3, 1));
    assert.deepEqual(b.toArray(), [[3, 7, 11], [1, 5, 9]]);
    assert.deepEqual(ds.getItem(2)[0].toArray(), [2, 6, 10]);
  });
});

describe("Subset and randomSplit", () => {
  test("Subset maps indices and checks them up front", () => {
    const sub = new Subset(indexed(10), [7, 2, 5]);
    assert.equal(sub.length, 3);
    assert.equal(sub.getItem(0)[1].item(), 7);
    assert.equal(sub.getItem(-1)[1].item(), 5);
    assert.throws(() => new Subset(indexed(3), [0, 3]), /indices\[1\] is 3, out of range for a dataset of length 3/);
    assert.deepEqual(order(new DataLoader(sub, { batchSize: 2 })), [7, 2, 5]);
  });

  test("randomSplit by counts: disjoint, covering, reproducible with a seed", () => {
    const ds = indexed(20);
    const split = () => randomSplit(ds, [12, 5, 3], new ax.Generator(7)).map((s) => Array.from(s.indices));
    const parts = split();
    assert.deepEqual(parts.map((p) => p.length), [12, 5, 3]);
    assert.deepEqual(parts.flat().sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
    assert.deepEqual(split(), parts);
    assert.notDeepEqual(randomSplit(ds, [12, 5, 3], new ax.Generator(8)).map((s) => Array.from(s.indices)), parts);
  });

  test("randomSplit by fractions hands out the remainder from the first subset on", () => {
    const parts = randomSplit(indexed(10), [0.33, 0.33, 0.34], new ax.Generator(1));
    // floor(3.3) = 3, 3, floor(3.4) = 3; one left over goes to the first.
    assert.deepEqual(parts.map((p) => p.length), [4, 3, 3]);
  });

  test("randomSplit uses the global generator by default, so manualSeed reproduces it", () => {
    ax.manualSeed(123);
    const a = randomSplit(indexed(30), [0.8, 0.2]).map((s) => Array.from(s.indices));
    ax.manualSeed(123);
    const b = randomSplit(indexed(30), [0.8, 0.2]).map((s) => Array.from(s.indices));
    assert.deepEqual(a, b);
  });

  test("randomSplit refuses lengths that do not add up", () => {
    assert.throws(() => randomSplit(indexed(10), [5, 4]), /sum to 9, but the dataset has 10 items/);
    assert.throws(() => randomSplit(indexed(10), [0.5, 0.2]), /neither whole counts nor fractions/);
    assert.throws(() => randomSplit(indexed(10), [-1, 11]), /non-negative/);
  });

  test("a Subset of a TensorDataset keeps the fast path", () => {
    const [train] = randomSplit(indexed(10), [6, 4], new ax.Generator(3));
    assert.equal(typeof train.getBatch, "function");
    const [x, y] = new DataLoader(train, { batchSize: 6 })[Symbol.iterator]().next().value as Tensor[];
    assert.deepEqual(Array.from(y.toTypedArray()), Array.from(train.indices));
    assert.deepEqual(x.shape, [6, 2]);
    assert.equal(new Subset(new Plain([1, 2, 3]), [0]).getBatch, undefined);
  });
});

describe("DataLoader", () => {
  test("batches in order with the last one smaller; length counts batches", () => {
    const loader = new DataLoader(indexed(10), { batchSize: 4 });
    assert.equal(loader.length, 3);
    assert.equal(loader.datasetLength, 10);
    const batches = [...loader];
    assert.equal(batches.length, 3);
    assert.deepEqual(batches.map(([x]) => x.shape), [[4, 2], [4, 2], [2, 2]]);
    assert.deepEqual(batches.map(([, y]) => y.shape), [[4], [4], [2]]);
    assert.deepEqual(order(loader), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test("dropLast drops the short batch and length follows", () => {
    const loader = new DataLoader(indexed(10), { batchSize: 4, dropLast: true });
    assert.equal(loader.length, 2);
    assert.deepEqual([...loader].map(([x]) => x.shape[0]), [4, 4]);
    assert.equal(new DataLoader(indexed(3), { batchSize: 4, dropLast: true }).length, 0);
    assert.equal([...new DataLoader(indexed(3), { batchSize: 4, dropLast: true })].length, 0);
    assert.equal(new DataLoader(indexed(8), { batchSize: 4, dropLast: true }).length, 2);
  });

  test("batchSize defaults to 1 and must be a positive integer", () => {
    const loader = new DataLoader(indexed(3));
    assert.equal(loader.length, 3);
    assert.deepEqual([...loader][0][0].shape, [1, 2]);
    assert.throws(() => new DataLoader(indexed(3), { batchSize: 0 }), /batchSize must be a positive integer, got 0/);
    assert.throws(() => new DataLoader({} as Dataset<number>), /length.*getItem/);
  });

  test("an empty dataset yields no batches", () => {
    assert.deepEqual([...new DataLoader(indexed(0), { batchSize: 2, shuffle: true })], []);
  });

  test("shuffle: a permutation, reshuffled each epoch, reproduced by one manualSeed", () => {
    ax.manualSeed(42);
    const loader = new DataLoader(indexed(50), { batchSize: 8, shuffle: true });
    const e1 = order(loader), e2 = order(loader);
    const sorted = Array.from({ length: 50 }, (_, i) => i);
    assert.deepEqual([...e1].sort((a, b) => a - b), sorted);
    assert.deepEqual([...e2].sort((a, b) => a - b), sorted);
    assert.notDeepEqual(e1, sorted);
    assert.notDeepEqual(e1, e2, "each epoch draws a new order");
    ax.manualSeed(42);
    const again = new DataLoader(indexed(50), { batchSize: 8, shuffle: true });
    assert.deepEqual(order(again), e1);
    assert.deepEqual(order(again), e2);
  });

  test("shuffle with its own generator ignores the global one", () => {
    const a = new DataLoader(indexed(30), { batchSize: 30, shuffle: true, generator: new ax.Generator(5) });
    ax.manualSeed(1);
    const first = order(a);
    const b = new DataLoader(indexed(30), { batchSize: 30, shuffle: true, generator: new ax.Generator(5) });
    ax.manualSeed(999);
    assert.deepEqual(order(b), first);
  });

  test("rows stay paired with their labels through shuffling", () => {
    for (const [x, y] of new DataLoader(indexed(37), { batchSize: 5, shuffle: true, generator: new ax.Generator(2) })) {
      const xs = x.toArray() as number[][], ys = y.toArray() as number[];
      xs.forEach((row, k) => assert.deepEqual(row, [ys[k], 10 * ys[k]]));
    }
  });

  test("the fast path and the generic collate give the same batches", () => {
    const ds = indexed(11);
    const plain = new Plain(Array.from({ length: 11 }, (_, i) => ds.getItem(i)));
    const fast = [...new DataLoader(ds, { batchSize: 3, shuffle: true, generator: new ax.Generator(9) })];
    const slow = [...new DataLoader(plain, { batchSize: 3, shuffle: true, generator: new ax.Generator(9) })];
    assert.equal(fast.length, slow.length);
    fast.forEach((b, i) => {
      assert.deepEqual(b.map((t) => t.shape), slow[i].map((t) => t.shape));
      assert.deepEqual(b.map((t) => t.toArray()), slow[i].map((t) => t.toArray()));
      assert.deepEqual(b.map((t) => t.dtype), slow[i].map((t) => t.dtype));
    });
  });

  test("a custom collate receives the items", () => {
    const loader = new DataLoader(new Plain(["a", "b", "c"]), { batchSize: 2, collate: (items: string[]) => items.join("") });
    assert.deepEqual([...loader], ["ab", "c"]);
  });

  test("feeds fit()-style loops: each batch is [inputs, targets]", () => {
    let seen = 0;
    const batches: Batches = new DataLoader(indexed(9), { batchSize: 4 }); // the type fit() accepts
    assert.equal(batches.length, 3);
    assert.equal(batches.datasetLength, 9);
    for (const batch of batches) {
      assert.equal(batch.length, 2);
      seen += batch[0].shape[0];
    }
    assert.equal(seen, 9);
  });
});

describe("defaultCollate", () => {
  test("stacks tensors, turns numbers into int32 or float32, recurses into arrays and objects", () => {
    const s = defaultCollate([ax.tensor([1, 2]), ax.tensor([3, 4])]);
    assert.deepEqual(s.shape, [2, 2]);
    const ints = defaultCollate([1, 2, 3]);
    assert.equal(ints.dtype, "int32");
    const floats = defaultCollate([1, 2.5]);
    assert.equal(floats.dtype, "float32");
    assert.equal(defaultCollate([true, false]).dtype, "bool");
    const pairs = defaultCollate([[ax.tensor([1, 2]), 0], [ax.tensor([3, 4]), 1]] as [Tensor, number][]);
    assert.deepEqual(pairs[0].toArray(), [[1, 2], [3, 4]]);
    assert.deepEqual(pairs[1].toArray(), [0, 1]);
    const objs = defaultCollate([{ x: ax.tensor([1]), name: "a" }, { x: ax.tensor([2]), name: "b" }]);
    assert.deepEqual(objs.x.toArray(), [[1], [2]]);
    assert.deepEqual(objs.name, ["a", "b"]);
  });

  test("explains what it cannot batch", () => {
    assert.throws(() => defaultCollate([ax.zeros([2]), ax.zeros([3])]), /item 1 has shape \[3\] but item 0 has \[2\]/);
    assert.throws(() => defaultCollate([1, "a"] as unknown[]), /item 1 is string but item 0 is number/);
    assert.throws(() => defaultCollate([new Map(), new Map()]), /cannot batch items of type object; pass a collate function/);
    assert.throws(() => defaultCollate([[1, 2], [1]]), /item 1 has 1 fields but item 0 has 2/);
  });
});
