// The datasets the command line knows, loaded into one common form: train and test tensors, class names, the shape
// of one sample, and how to normalise inputs. A saved model records its dataset (InputInfo), so `axon eval` and
// `axon predict` can load the same data with the same preprocessing.

import * as path from "node:path";
import { Generator, tensor, Tensor, data, type InputInfo } from "../index.js";
import { mnist, fashionMnist, readCsv, FASHION_MNIST_DIR } from "../node.js";
import { UsageError } from "./args.js";

export const DATASETS = ["mnist", "fashion-mnist", "csv"] as const;
export type DatasetName = (typeof DATASETS)[number];

export interface LoadedData {
  name: DatasetName;
  xTrain: Tensor;
  yTrain: Tensor;
  xTest: Tensor;
  yTest: Tensor;
  classes: string[];
  /** One sample's shape, e.g. [1, 28, 28]. */
  inputShape: number[];
  /** Images can be augmented by shifting; tables cannot. */
  images: boolean;
  /** What a saved model records so the data can be found and prepared again. */
  source: { dataDir?: string; csv?: string; testCsv?: string; labelColumn?: string };
}

export interface DataOptions {
  dataset: DatasetName;
  dataDir?: string;
  csv?: string;
  testCsv?: string;
  labelColumn?: string;
  /** Fraction of a single CSV held out for testing (seeded split). */
  testFraction?: number;
  seed?: number;
}

const DIGITS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

export function loadData(opts: DataOptions): LoadedData {
  switch (opts.dataset) {
    case "mnist": {
      const { train, test } = mnist();
      const [xTrain, yTrain] = train.tensors, [xTest, yTest] = test.tensors;
      return { name: "mnist", xTrain, yTrain, xTest, yTest, classes: DIGITS, inputShape: [1, 28, 28], images: true, source: {} };
    }
    case "fashion-mnist": {
      const dir = opts.dataDir ?? process.env.AXON_FASHION_MNIST_DIR ?? FASHION_MNIST_DIR;
      const { train, test } = fashionMnist(dir);
      const [xTrain, yTrain] = train.tensors, [xTest, yTest] = test.tensors;
      return {
        name: "fashion-mnist", xTrain, yTrain, xTest, yTest, classes: [...data.FASHION_MNIST_CLASSES],
        inputShape: xTrain.shape.slice(1), images: true, source: { dataDir: path.resolve(dir) },
      };
    }
    case "csv": return loadCsv(opts);
  }
}

function parseLabelColumn(raw: string | undefined): number | string {
  if (raw === undefined) return -1;
  return /^-?\d+$/.test(raw) ? Number(raw) : raw;
}

function loadCsv(opts: DataOptions): LoadedData {
  if (!opts.csv) throw new UsageError("--dataset csv needs --csv FILE (a table of numbers with a label column, the last one unless --label-column says otherwise)");
  const labelColumn = parseLabelColumn(opts.labelColumn);
  const table = readCsv(opts.csv, { labelColumn });
  if (!table.labels) throw new UsageError(`${opts.csv}: no label column`);
  if (table.labels.dtype !== "int32") throw new UsageError(`${opts.csv}: the label column "${table.labelName}" holds fractional numbers; axon train classifies, so labels must be class indices or names`);
  let classes = table.classes ?? [];
  const labels = table.labels;
  if (classes.length === 0) {
    // Loops, not Math.min(...values): spreading a large table's labels overflows the call stack.
    const values = labels.toTypedArray() as Int32Array;
    let lowest = 0, highest = -1;
    for (const v of values) { lowest = Math.min(lowest, v); highest = Math.max(highest, v); }
    if (lowest < 0) throw new UsageError(`${opts.csv}: class labels must be 0, 1, 2, ... (found ${lowest}); or use names`);
    classes = Array.from({ length: highest + 1 }, (_, k) => String(k));
  }
  const source = { csv: path.resolve(opts.csv), labelColumn: String(labelColumn), ...(opts.testCsv ? { testCsv: path.resolve(opts.testCsv) } : {}) };
  if (opts.testCsv) {
    const test = readCsv(opts.testCsv, { labelColumn });
    if (!test.labels) throw new UsageError(`${opts.testCsv}: no label column`);
    if (test.features.shape[1] !== table.features.shape[1]) throw new UsageError(`${opts.testCsv} has ${test.features.shape[1]} feature columns but ${opts.csv} has ${table.features.shape[1]}`);
    let yTest = test.labels;
    if (table.classes) {
      // Map the test file's class names onto the training file's numbering.
      const names = test.classes ?? [];
      const ids = Array.from(yTest.toTypedArray() as Int32Array, (k) => {
        const id = classes.indexOf(names[k]);
        if (id < 0) throw new UsageError(`${opts.testCsv}: class "${names[k]}" does not occur in ${opts.csv}`);
        return id;
      });
      yTest = tensor(ids, { dtype: "int32" });
    }
    return { name: "csv", xTrain: table.features, yTrain: labels, xTest: test.features, yTest, classes, inputShape: [table.features.shape[1]], images: false, source };
  }
  // One file: a seeded split, the same for the same seed.
  const n = table.features.shape[0];
  const nTest = Math.max(1, Math.round(n * (opts.testFraction ?? 0.2)));
  if (n - nTest < 1) throw new UsageError(`${opts.csv}: ${n} rows are too few to split into train and test`);
  const perm = Array.from({ length: n }, (_, i) => i);
  const g = new Generator(opts.seed ?? 0);
  for (let i = n - 1; i > 0; i--) { const j = g.int(0, i + 1); [perm[i], perm[j]] = [perm[j], perm[i]]; }
  const pick = (t: Tensor, idx: number[]) => t.indexSelect(0, tensor(idx, { dtype: "int32" }));
  const testIdx = perm.slice(0, nTest), trainIdx = perm.slice(nTest);
  return {
    name: "csv", xTrain: pick(table.features, trainIdx), yTrain: pick(labels, trainIdx), xTest: pick(table.features, testIdx), yTest: pick(labels, testIdx),
    classes, inputShape: [table.features.shape[1]], images: false, source: { ...source, testFraction: String(opts.testFraction ?? 0.2), seed: String(opts.seed ?? 0) } as LoadedData["source"],
  };
}

/** Statistics for (x - mean) / std: one mean and std for images, one per column for tables. */
export function normalization(d: LoadedData): NonNullable<InputInfo["normalize"]> {
  if (d.images) {
    const mean = d.xTrain.mean().item();
    return { mean, std: d.xTrain.std().item() || 1 };
  }
  const mean = Array.from(d.xTrain.mean(0).toTypedArray());
  const std = Array.from(d.xTrain.std(0).toTypedArray(), (s) => (s > 1e-12 ? s : 1));
  return { mean, std };
}

export function normalize(x: Tensor, norm: InputInfo["normalize"]): Tensor {
  if (!norm) return x;
  return x.float().sub(typeof norm.mean === "number" ? norm.mean : tensor(norm.mean)).div(typeof norm.std === "number" ? norm.std : tensor(norm.std));
}

/** Loads the data a saved model was trained on, as its metadata describes it. */
export function dataFor(input: InputInfo, override: Partial<DataOptions> = {}): LoadedData {
  const src = (input.source ?? {}) as LoadedData["source"] & { testFraction?: string; seed?: string };
  const name = (override.dataset ?? input.dataset) as DatasetName;
  if (!DATASETS.includes(name)) throw new UsageError(`the model was trained on "${input.dataset}", which axon cannot load by name; pass --dataset`);
  return loadData({
    dataset: name,
    dataDir: override.dataDir ?? src.dataDir,
    csv: override.csv ?? src.csv,
    testCsv: override.testCsv ?? src.testCsv,
    labelColumn: override.labelColumn ?? src.labelColumn,
    testFraction: src.testFraction ? Number(src.testFraction) : undefined,
    seed: src.seed ? Number(src.seed) : undefined,
  });
}
