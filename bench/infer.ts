// MLP inference speed: the 784-256-128-10 ReLU MLP of bench/mlp.ts, forward only, in eval mode with gradients off,
// for Axon on each backend and TensorFlow.js cpu and wasm:
//   - batch 1: latency of one forward, in microseconds (what a request-at-a-time server sees);
//   - batch 256: throughput in samples/s.
//
//   npm run bench:infer
//   npm run bench:infer -- --threads=1 --no-tfjs
//
// A rep is a loop of forwards (about 10 ms of work, so timer resolution does not matter) and the result is its
// per-forward time; each contender runs in a process of its own, and they are interleaved rep by rep
// (bench/harness.ts). tfjs forwards run inside tf.tidy and
// end with dataSync(), so, as with Axon, the output values are in JavaScript memory when a forward ends.
// Writes bench/results/infer.md.

import * as ax from "../src/index.node.js";
import { nativeInfo } from "../src/backend/native/index.js";
import { environment, fmt, interleaved, isolated, markdownTable, parseFlags, selected, skipped, threadsLabel, writeResults, type Contender } from "./harness.js";
import { loadTfjs, tfjsInstalled, tfjsVersion, type Tf } from "./tfjs.js";

const flags = parseFlags();
if (typeof flags.get("threads") === "string") ax.setNumThreads(Number(flags.get("threads")));
const BATCHES = [1, 256];

/** A forward of `batch` samples, returning nothing (its work must be done when it returns). */
type Forward = (batch: number) => () => void;

const g = new ax.Generator(3);
const input = (batch: number) => Float32Array.from({ length: batch * 784 }, () => g.random());

function axonForward(backend: string): Forward {
  ax.setBackend(backend);
  ax.manualSeed(0);
  const { nn } = ax;
  const model = new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 128), new nn.ReLU(), new nn.Linear(128, 10));
  model.eval();
  return (batch) => {
    const x = ax.tensor(input(batch)).reshape([batch, 784]);
    return () => { ax.noGrad(() => model.forward(x)); };
  };
}

async function tfjsForward(tf: Tf, backend: "cpu" | "wasm"): Promise<Forward> {
  await tf.setBackend(backend);
  const layer = (fanIn: number, fanOut: number) => {
    const bound = 1 / Math.sqrt(fanIn);
    return [tf.randomUniform([fanIn, fanOut], -bound, bound, "float32", 1), tf.zeros([fanOut])];
  };
  const [w1, b1] = layer(784, 256), [w2, b2] = layer(256, 128), [w3, b3] = layer(128, 10);
  return (batch) => {
    const x = tf.tensor2d(input(batch), [batch, 784]);
    return () => {
      const y = tf.tidy(() => {
        const h1 = tf.relu(tf.add(tf.matMul(x, w1), b1));
        const h2 = tf.relu(tf.add(tf.matMul(h1, w2), b2));
        return tf.add(tf.matMul(h2, w3), b3);
      });
      y.dataSync();
      y.dispose();
    };
  };
}

const names = selected(flags, [...ax.listBackends().sort().map((b) => `axon:${b}`), ...(!flags.has("no-tfjs") && tfjsInstalled() ? ["tfjs-cpu", "tfjs-wasm"] : [])]);

/** One contender at one batch size, in its own process: a loop of forwards sized to ~10 ms. */
async function contender(name: string, batch: number): Promise<Contender> {
  let forward: Forward, note = "";
  if (name.startsWith("axon:")) {
    forward = axonForward(name.slice(5));
  } else {
    const loaded = await loadTfjs();
    if (!loaded) return skipped(name, "tfjs did not load (see the message above)");
    forward = await tfjsForward(loaded.tf, name === "tfjs-cpu" ? "cpu" : "wasm");
    note = loaded.wasmNote;
  }
  const one = forward(batch);
  // Loops long enough (~10 ms) that timer resolution, the harness's own cost and the first forward after another
  // process's rep (caches full of its data, worker threads asleep) vanish: with ~2 ms loops, batch 256 was 1-2
  // forwards a rep. They are sized from warm calls, after a second of them: JavaScript reaches its fastest tier
  // only after some hundreds of calls (sized from the first five, a batch-1 rep was 5 forwards instead of ~100).
  for (let w = performance.now(); performance.now() - w < 1000;) one();
  const t0 = performance.now();
  let calls = 0;
  while (performance.now() - t0 < 20) { one(); calls++; }
  const loops = Math.max(1, Math.round((10 * calls) / (performance.now() - t0)));
  return { name, run: () => { for (let i = 0; i < loops; i++) one(); }, result: () => ({ loops, note }) };
}

// Per batch size: microseconds per forward, median and min over reps.
const results = new Map<number, Map<string, { median: number; min: number; max: number }>>();
let wasmNote = "";
const notRun = new Map<string, string>();
for (const batch of BATCHES) {
  const contenders = await isolated(names, (name) => contender(name, batch), String(batch));
  if (contenders.length === 0) continue; // a child process serving another batch size
  for (const c of contenders) if (c.skip) notRun.set(c.name, c.skip);
  const timed = contenders.filter((c) => !notRun.has(c.name));
  process.stderr.write(`batch ${batch}: ${timed.map((c) => c.name).join(", ")} ...\n`);
  const measured = await interleaved(timed, { warmup: 3, targetMs: 1500, minReps: 15, maxReps: 200 });
  const perForward = new Map<string, { median: number; min: number; max: number }>();
  for (const c of timed) {
    const { loops, note } = (await c.result!()) as { loops: number; note: string };
    if (c.name === "tfjs-wasm") wasmNote = note;
    const s = measured.get(c.name)!;
    perForward.set(c.name, { median: (s.median * 1000) / loops, min: (s.min * 1000) / loops, max: (s.max * 1000) / loops });
  }
  await contenders.close();
  results.set(batch, perForward);
}
const shown = names.filter((c) => !notRun.has(c));

const label = (c: string) => (c === "tfjs-wasm" ? `tfjs-wasm (${wasmNote})` : c);
const peers = shown.filter((c) => !c.startsWith("axon:native"));
const lat = results.get(1)!, thr = results.get(256)!;
const sps = (c: string, us = thr.get(c)!.median) => 256 / (us / 1e6);
const native = nativeInfo();
const report = [
  "# MLP inference (784-256-128-10, eval, no grad)",
  "",
  ...environment([
    native ? `axon:native: ${native.isa} kernels, ${threadsLabel(native.threads)}` : "axon:native: not built (run `npm run install`)",
    shown.includes("tfjs-wasm") ? `tfjs: ${tfjsVersion()}; wasm backend: ${wasmNote}` : "tfjs: not run",
    ...[...notRun].map(([c, why]) => `${c}: not run (${why})`),
    "a rep = a loop of forwards (~10 ms); each contender in a process of its own, interleaved rep by rep; median over reps, and the fastest and the slowest rep (min–max); ratios of medians",
  ]).map((l) => `- ${l}`),
  "",
  "## Batch 1: latency per forward",
  "",
  markdownTable(
    ["contender", "median µs", "min–max µs", ...peers.map((p) => `÷ ${p}`)],
    shown.map((c) => [label(c), fmt(lat.get(c)!.median, 1), `${fmt(lat.get(c)!.min, 1)}–${fmt(lat.get(c)!.max, 1)}`,
      ...peers.map((p) => `${fmt(lat.get(p)!.median / lat.get(c)!.median)}x`)]),
  ),
  "",
  "## Batch 256: throughput",
  "",
  markdownTable(
    ["contender", "samples/s", "min–max", "µs per batch", ...peers.map((p) => `÷ ${p}`)],
    shown.map((c) => [label(c), fmt(sps(c), 0), `${fmt(sps(c, thr.get(c)!.max), 0)}–${fmt(sps(c, thr.get(c)!.min), 0)}`, fmt(thr.get(c)!.median, 0), ...peers.map((p) => `${fmt(sps(c) / sps(p))}x`)]),
  ),
  "",
  "(÷ columns: how many times faster than that peer; above 1x the row is faster.)",
  "",
].join("\n");
console.log(report);
console.error(`wrote ${writeResults("infer.md", report)}`);
