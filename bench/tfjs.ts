// Loading TensorFlow.js for the benchmarks: the cpu backend, then the wasm backend with its binaries read from
// node_modules (no network). Optional: returns null, after one line on stderr, when tfjs is not installed.

import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export type Tf = typeof import("@tensorflow/tfjs");

export interface LoadedTfjs {
  tf: Tf;
  /** e.g. "SIMD, 1 thread": what the wasm backend runs with here. */
  wasmNote: string;
}

export async function loadTfjs(): Promise<LoadedTfjs | null> {
  try {
    // tfjs greets Node users (on first use of a backend) with advice to install tfjs-node; noise here.
    const warn = console.warn;
    console.warn = () => {};
    let tf: Tf;
    try {
      tf = await import("@tensorflow/tfjs");
      await tf.setBackend("cpu");
      tf.tensor([0]).dispose(); // the greeting comes with the first tensor the cpu backend stores
    } finally {
      console.warn = warn;
    }
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    // In Node, tfjs-backend-wasm reads a path prefix with fs, so this must be a directory path ending in "/", not
    // a file:// URL.
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + "/");
    let wasmNote = "";
    if (await tf.setBackend("wasm")) {
      const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
      const threads = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
      wasmNote = `${simd ? "SIMD" : "no SIMD"}, ${threads ? `${wasm.getThreadsCount()} threads` : "1 thread"}`;
    }
    return { tf, wasmNote };
  } catch (e) {
    console.error(`tfjs unavailable, skipping it: ${(e as Error).message}`);
    return null;
  }
}

/** Whether TensorFlow.js and its wasm backend are installed (without loading them: a parent process that only
 *  forks the contenders does not need them). */
export function tfjsInstalled(): boolean {
  const require = createRequire(import.meta.url);
  try {
    require.resolve("@tensorflow/tfjs/package.json");
    require.resolve("@tensorflow/tfjs-backend-wasm/package.json");
    return true;
  } catch {
    return false;
  }
}

/** The installed @tensorflow/tfjs version, read from its package.json. */
export function tfjsVersion(): string {
  const require = createRequire(import.meta.url);
  return (require("@tensorflow/tfjs/package.json") as { version: string }).version;
}
