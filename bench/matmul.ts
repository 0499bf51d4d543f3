// Square float32 matmul: Axon (every registered backend: native when its addon is built, and reference) beside
// TensorFlow.js (cpu and wasm backends) and, when Debian's python3 has torch, PyTorch, all in one run. For each
// size the contenders, each in a process of its own (PyTorch's is Python: bench/torch_server.py), are interleaved
// rep by rep (see bench/harness.ts).
//
//   npm run bench:matmul                 sizes 128, 256, 512, 1024, 2048 (2048 takes minutes: reference, tfjs-cpu)
//   npm run bench:matmul -- --no-big     sizes 128 to 1024
//   npm run bench:matmul -- --sizes=64,300 --no-torch --no-tfjs --torch-threads=1 --threads=1
//                                        (--threads: the native backend's thread count; default all cores)
//
// Prints a markdown table and writes it to bench/results/matmul.md.

import * as ax from "../src/index.node.js";
import {
  environment, fmt, interleaved, isContenderProcess, isolated, markdownTable, parseFlags, selected, skipped,
  stats, threadsLabel, writeResults, type Contender, type External, type Stats,
} from "./harness.js";
import { loadTfjs, tfjsInstalled, tfjsVersion } from "./tfjs.js";
import { torchContender, torchVersion, torchThreadCount } from "./torch.js";
import { nativeInfo } from "../src/backend/native/index.js";

const flags = parseFlags();
const sizes = typeof flags.get("sizes") === "string"
  ? (flags.get("sizes") as string).split(",").map(Number)
  : [128, 256, 512, 1024, ...(flags.has("no-big") ? [] : [2048])];
if (typeof flags.get("threads") === "string") ax.setNumThreads(Number(flags.get("threads")));
const torchThreads = torchThreadCount(flags); // same as axon:native's unless --torch-threads
const nativeNote = ax.listBackends().includes("native")
  ? `axon:native: ${nativeInfo()!.isa} kernels, ${threadsLabel(nativeInfo()!.threads)}`
  : "axon:native: not built (run `npm run install`), so not shown";

// ---- peers --------------------------------------------------------------------------------------------------
// TensorFlow.js is optional: the benchmark still runs Axon alone if it is not installed.
const withTfjs = !flags.has("no-tfjs") && tfjsInstalled();
let wasmNote = "";

const torch = isContenderProcess() ? null : torchVersion(flags);

/** PyTorch for size n, interleaved with the others (bench/torch_server.py), by the same rules as contender() below. */
function torchMatmul(n: number): External {
  return torchContender(`
import time, torch
torch.set_num_threads(${torchThreads})
a, b = torch.randn(${n}, ${n}), torch.randn(${n}, ${n})
inner, warm = 1, 0
def once():
    with torch.no_grad():
        return torch.matmul(a, b)
def setup():
    global inner, warm
    t0 = time.perf_counter(); once()
    if time.perf_counter() - t0 < 0.1:
        while time.perf_counter() - t0 < 1.0: once()
    t1 = time.perf_counter(); once(); call_ms = (time.perf_counter() - t1) * 1000
    inner = max(1, min(64, int(2 / call_ms + 0.5)))
    warm = max(1, min(16, int(0.5 / call_ms + 0.5))) if call_ms < 100 else 0
def before():
    for _ in range(warm): once()
def run():
    for _ in range(inner): once()
def result(): return {"output": None, "note": "", "inner": inner}
`);
}

// ---- one size -------------------------------------------------------------------------------------------------
const axonNames = ax.listBackends();
const columns = [
  ...axonNames.map((b) => `axon:${b}`),
  ...(withTfjs ? ["tfjs-cpu", "tfjs-wasm"] : []),
  ...(torch ? ["torch"] : []),
];
const results = new Map<number, Map<string, Stats>>();
const notRun = new Map<string, string>();
const checks: string[] = [];

function randomData(n: number, seed: number): Float32Array {
  const g = new ax.Generator(seed);
  const x = new Float32Array(n * n);
  for (let i = 0; i < x.length; i++) x[i] = g.normal();
  return x;
}

/** One contender for size n, in its own process: `inner` back-to-back products per rep. */
async function contender(name: string, n: number): Promise<Contender> {
  const aData = randomData(n, 2 * n), bData = randomData(n, 2 * n + 1);
  let once: () => Float32Array, note = "";
  if (name.startsWith("axon:")) {
    ax.setBackend(name.slice(5));
    const A = ax.tensor(aData).reshape([n, n]), B = ax.tensor(bData).reshape([n, n]);
    once = () => ax.matmul(A, B).toTypedArray() as Float32Array;
  } else {
    const loaded = await loadTfjs();
    if (!loaded) return skipped(name, "tfjs did not load (see the message above)");
    const t = loaded.tf;
    await t.setBackend(name === "tfjs-cpu" ? "cpu" : "wasm");
    note = loaded.wasmNote;
    const ta = t.tensor2d(aData, [n, n]), tb = t.tensor2d(bData, [n, n]);
    once = () => { const c = t.matMul(ta, tb); const d = c.dataSync() as Float32Array; c.dispose(); return d; };
  }
  // Warm up for a second here, in the contender's own process: JavaScript reaches its fastest tier only after some
  // hundreds of calls, and a process of its own gets no calls from the other contenders (when they shared a
  // process, the reference backend's reps warmed ax.matmul for the native one too). Without this, native 128^3
  // measured 52 GFLOPS on one thread against 92-99 with it. Contenders whose one call takes seconds skip it.
  const t0 = performance.now();
  once();
  if (performance.now() - t0 < 100) while (performance.now() - t0 < 1000) once();
  // The same rule for every contender, from the time of a warm call: a rep is a run of back-to-back calls lasting
  // ~2 ms (at least one; the time per call is reported), and it starts with ~0.5 ms of untimed calls (at least
  // one, for calls under 100 ms). PyTorch's process follows the same rules (torchMatmul). The first call after another library's rep pays for that library's leftovers (caches full
  // of its data, this library's worker threads asleep, its output's memory not in cache): a 50 us call timed alone
  // measured mostly those, and a single 512^3 call ran at half the speed of the same call back to back.
  const t1 = performance.now();
  once();
  const callMs = performance.now() - t1;
  const inner = Math.max(1, Math.min(64, Math.round(2 / callMs)));
  const warmCalls = callMs < 100 ? Math.max(1, Math.min(16, Math.round(0.5 / callMs))) : 0;
  return {
    name,
    before: () => { for (let i = 0; i < warmCalls; i++) once(); },
    run: () => { for (let i = 0; i < inner; i++) once(); },
    result: () => ({ output: once(), note, inner }),
  };
}

for (const n of sizes) {
  const names = selected(flags, [...axonNames.map((b) => `axon:${b}`), ...(withTfjs ? ["tfjs-cpu", "tfjs-wasm"] : [])]);
  const contenders = await isolated(names, (name) => contender(name, n), String(n), torch ? [torchMatmul(n)] : []);
  if (contenders.length === 0) continue; // a child process serving another size
  process.stderr.write(`n=${n}: ${contenders.map((c) => c.name).join(", ")} ... `);
  const flop = 2 * n ** 3;
  const targetMs = n >= 1024 ? 8000 : 2500;
  // At 2048 one rep of the slow contenders takes seconds: one warm-up and three reps are enough there.
  for (const c of contenders) if (c.skip) notRun.set(c.name, c.skip);
  const timed = contenders.filter((c) => !c.skip);
  const runs = await interleaved(timed, { warmup: n >= 2048 ? 1 : 2, targetMs, minReps: n >= 2048 ? 3 : 5, maxReps: 30 });
  const outputs = new Map<string, Float32Array>();
  const measured = new Map<string, Stats>();
  for (const c of timed) {
    const { output, note, inner } = (await c.result!()) as { output: Float32Array | null; note: string; inner: number };
    if (output) outputs.set(c.name, output); // (torch's stays in its process)
    if (c.name === "tfjs-wasm") wasmNote = note;
    measured.set(c.name, stats(runs.get(c.name)!.samples.map((ms) => ms / inner)));
  }
  await contenders.close();
  results.set(n, measured);

  // Sanity: every contender computes the same product (float32 outputs, float32-level agreement).
  const [[firstName, want], ...rest] = [...outputs];
  let scale = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  for (const [label, got] of rest) {
    let err = 0;
    for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
    checks.push(`n=${n}: max |${firstName} - ${label}| / max |C| = ${(err / scale).toExponential(1)}`);
  }
  process.stderr.write(columns.map((c) => `${c} ${fmt(flop / (measured.get(c)?.median ?? NaN) / 1e6)}`).join(", ") + " GFLOPS\n");
}

// ---- report ---------------------------------------------------------------------------------------------------
const gflops = (n: number, ms: number) => (2 * n ** 3) / ms / 1e6;
const label = (c: string) =>
  c === "tfjs-wasm" ? `tfjs-wasm (${wasmNote})` : c === "torch" ? `torch ${torch} (${threadsLabel(torchThreads)})` : c;

const mainRows = sizes.map((n) => [String(n), ...columns.map((c) => {
  const s = results.get(n)!.get(c);
  // GFLOPS is inverse in time: the fastest rep (min ms) gives the max GFLOPS.
  return s ? `${fmt(gflops(n, s.median))} (${fmt(gflops(n, s.max))}–${fmt(gflops(n, s.min))})` : "-";
})]);
const peers = columns.filter((c) => !c.startsWith("axon:"));
const ratioHeader = axonNames.flatMap((a) => peers.map((p) => `${a} ÷ ${p}`));
const ratioRows = sizes.map((n) => [String(n), ...axonNames.flatMap((a) => peers.map((p) => {
  const x = results.get(n)!.get(`axon:${a}`), y = results.get(n)!.get(p);
  return x && y ? `${fmt(y.median / x.median)}x` : "-";
}))]);
const timeRows = sizes.map((n) => [String(n), ...columns.map((c) => {
  const s = results.get(n)!.get(c);
  return s ? `${fmt(s.median, s.median < 10 ? 3 : 1)} (${s.samples.length})` : "-";
})]);

const report = [
  "# Square float32 matmul",
  "",
  ...environment([
    withTfjs ? `tfjs: ${tfjsVersion()}; wasm backend: ${wasmNote}` : "tfjs: not run",
    ...[...notRun].map(([c, why]) => `${c}: not run (${why})`),
    torch ? `torch: ${torch}, torch.set_num_threads(${torchThreads}), in a Python process (bench/torch_server.py)` : "torch: not run",
    "each contender in a process of its own, interleaved rep by rep; axon:reference and tfjs run on one thread",
    "a rep is ~2 ms of back-to-back calls (at least one; times are per call) after ~0.5 ms of untimed ones (at least one, for calls under 100 ms)",
    nativeNote,
  ]).map((l) => `- ${l}`),
  "",
  "## GFLOPS (2·n³ / time): median (min–max)",
  "",
  markdownTable(["n", ...columns.map(label)], mainRows),
  "",
  "## Axon relative to each peer (median GFLOPS ratio; above 1x Axon is faster)",
  "",
  markdownTable(["n", ...ratioHeader], ratioRows),
  "",
  "## Median milliseconds per matmul (reps)",
  "",
  markdownTable(["n", ...columns], timeRows),
  "",
  "## Agreement",
  "",
  ...checks.map((c) => `- ${c}`),
  "",
].join("\n");

console.log(report);
const path = writeResults("matmul.md", report);
console.error(`wrote ${path}`);
