// Node-only: Fashion-MNIST (or any dataset in MNIST's IDX layout) from a directory. Debian's
// `dataset-fashion-mnist` package installs the four gzipped files in /usr/share/datasets/fashion-mnist.

import { existsSync } from "node:fs";
import * as path from "node:path";
import { idxImageDataset, IDX_IMAGE_OPTION_KEYS, type IdxImageOptions } from "../datasets/fashion_mnist.js";
import { checkOptionKeys } from "../../util/options.js";
import type { TensorDataset } from "../dataset.js";
import { readMaybeGzip } from "./idx.js";

/** Where Debian's dataset-fashion-mnist package puts the files. */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

const FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

/** The names a file may have: as is or gzipped, with "-idx" or ".idx" (both spellings circulate). */
function candidates(base: string): string[] {
  const dotted = base.replace("-idx", ".idx");
  return [base, `${base}.gz`, dotted, `${dotted}.gz`];
}

export interface IdxSplits {
  /** 60,000 images for Fashion-MNIST. */
  train: TensorDataset;
  /** 10,000 images for Fashion-MNIST. */
  test: TensorDataset;
}

/**
 * Loads train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte
 * (each plain or .gz) from `dir`: x float32 [N, 1, 28, 28] (or [N, 784] with flatten) in [0, 1], y int32 [N].
 * Any directory in that layout works (the original MNIST too). Labels name FASHION_MNIST_CLASSES.
 */
export function fashionMnist(dir: string = FASHION_MNIST_DIR, opts: IdxImageOptions = {}): IdxSplits {
  checkOptionKeys("fashionMnist", opts, IDX_IMAGE_OPTION_KEYS);
  const found: Partial<Record<keyof typeof FILES, string>> = {};
  const missing: string[] = [];
  for (const [key, base] of Object.entries(FILES) as [keyof typeof FILES, string][]) {
    const file = candidates(base).map((c) => path.join(dir, c)).find((f) => existsSync(f));
    if (file) found[key] = file;
    else missing.push(`${base}(.gz)`);
  }
  if (missing.length > 0) {
    const hint = dir === FASHION_MNIST_DIR ? " (install Debian's dataset-fashion-mnist package, or pass the directory that holds the files)" : "";
    throw new Error(`fashionMnist: missing in ${dir}: ${missing.join(", ")}; it needs ${Object.values(FILES).map((f) => `${f}(.gz)`).join(", ")}${hint}`);
  }
  const load = (images: string, labels: string): TensorDataset => {
    const imageBytes = readMaybeGzip("fashionMnist", images), labelBytes = readMaybeGzip("fashionMnist", labels);
    try {
      return idxImageDataset(imageBytes, labelBytes, opts, { images, labels });
    } catch (e) {
      const err = e as Error;
      err.message = err.message.replace(/^idxImageDataset: /, "fashionMnist: ");
      throw err;
    }
  };
  return { train: load(found.trainImages!, found.trainLabels!), test: load(found.testImages!, found.testLabels!) };
}
