// MLP training throughput: a 784-256-128-10 ReLU MLP trained with Adam (lr 1e-3) and softmax cross-entropy on
// batches of 128 Fashion-MNIST images (Debian's dataset-fashion-mnist, when installed; random data of the same
// shape otherwise), for Axon on each backend (native, reference), TensorFlow.js (cpu, wasm) and PyTorch (when
// /usr/bin/python3 has it), in one run.
//
//   npm run bench:mlp
//   npm run bench:mlp -- --steps=10 --batches=40 --threads=1 --no-tfjs --random
//
// One rep is `steps` full training steps (zero grads, forward, loss, backward, optimizer step); each contender runs
// in a process of its own (PyTorch's is Python: bench/torch_server.py), and they are interleaved rep by rep
// (bench/harness.ts). Prints a markdown table with samples/s and ratios and writes it to bench/results/mlp.md.

import * as ax from "../src/index.node.js";
import { axonTrainer, fashionMnistOrRandom, type Trainer } from "./data.js";
import { nativeInfo } from "../src/backend/native/index.js";
import { environment, fmt, interleaved, isContenderProcess, isolated, markdownTable, parseFlags, rateRange, selected, skipped, threadsLabel, writeResults, type Contender } from "./harness.js";
import { loadTfjs, tfjsInstalled, tfjsVersion, type LoadedTfjs } from "./tfjs.js";
import { torchTraining, torchVersion, torchThreadCount } from "./torch.js";

const flags = parseFlags();
const BATCH = 128;
const WARM_STEPS = Number(flags.get("warm-steps") ?? 2);
const STEPS = Number(flags.get("steps") ?? 10);
const NBATCHES = Number(flags.get("batches") ?? 40);
const LR = 1e-3;
if (typeof flags.get("threads") === "string") ax.setNumThreads(Number(flags.get("threads")));
const torchThreads = torchThreadCount(flags); // same as axon:native's unless --torch-threads

const n = BATCH * NBATCHES;
const { xs, ys, source } = fashionMnistOrRandom(n, flags);

const buildModel = () => new ax.nn.Sequential(
  new ax.nn.Flatten(), new ax.nn.Linear(784, 256), new ax.nn.ReLU(), new ax.nn.Linear(256, 128), new ax.nn.ReLU(), new ax.nn.Linear(128, 10),
);

async function tfjsTrainer(loaded: LoadedTfjs, backend: "cpu" | "wasm"): Promise<Trainer & { note: string }> {
  const tf = loaded.tf;
  await tf.setBackend(backend);
  // He-uniform weights and zero biases, as Axon's nn.Linear (PyTorch's init differs only in the bound's constant).
  const layer = (fanIn: number, fanOut: number) => {
    const bound = 1 / Math.sqrt(fanIn);
    return [tf.variable(tf.randomUniform([fanIn, fanOut], -bound, bound, "float32", 1)), tf.variable(tf.zeros([fanOut]))];
  };
  const [w1, b1] = layer(784, 256), [w2, b2] = layer(256, 128), [w3, b3] = layer(128, 10);
  const opt = tf.train.adam(LR);
  const batches = Array.from({ length: NBATCHES }, (_, i) => [
    tf.tensor2d(xs.subarray(i * BATCH * 784, (i + 1) * BATCH * 784), [BATCH, 784]),
    tf.oneHot(tf.tensor1d(ys.subarray(i * BATCH, (i + 1) * BATCH), "int32"), 10),
  ]);
  let i = 0, last = NaN;
  return {
    step: () => {
      const [x, y] = batches[i++ % NBATCHES];
      const loss = opt.minimize(() => {
        const h1 = tf.relu(tf.add(tf.matMul(x, w1), b1));
        const h2 = tf.relu(tf.add(tf.matMul(h1, w2), b2));
        return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(h2, w3), b3)) as import("@tensorflow/tfjs").Scalar;
      }, true)!;
      last = loss.dataSync()[0]; // also waits for the step to finish
      loss.dispose();
    },
    loss: () => last,
    note: backend === "wasm" ? loaded.wasmNote : "",
  };
}

// Each contender trains in a process of its own (see isolated in bench/harness.ts). One rep is STEPS steps after
// WARM_STEPS untimed ones: the first step of a rep follows another process's rep, and pays for its leftovers (caches
// full of its data, this library's worker threads asleep).
const names = selected(flags, [...ax.listBackends().sort().map((b) => `axon:${b}`), ...(!flags.has("no-tfjs") && tfjsInstalled() ? ["tfjs-cpu", "tfjs-wasm"] : [])]);
const torch = isContenderProcess() ? null : torchVersion(flags);
const external = torch === null ? [] : [torchTraining({
  model: "nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))",
  sampleShape: [784], batch: BATCH, batches: NBATCHES, steps: STEPS, warmSteps: WARM_STEPS, lr: LR, threads: torchThreads,
}, xs, ys)];
const contenders = await isolated(names, async (name): Promise<Contender> => {
  let trainer: Trainer & { note: string };
  if (name.startsWith("axon:")) {
    trainer = { ...axonTrainer(name.slice(5), buildModel, { xs, ys, source }, { batch: BATCH, batches: NBATCHES, lr: LR, sampleShape: [784] }), note: "" };
  } else {
    const loaded = await loadTfjs();
    if (!loaded) return skipped(name, "tfjs did not load (see the message above)");
    trainer = await tfjsTrainer(loaded, name === "tfjs-cpu" ? "cpu" : "wasm");
  }
  return {
    name,
    before: () => { for (let s = 0; s < WARM_STEPS; s++) trainer.step(); },
    run: () => { for (let s = 0; s < STEPS; s++) trainer.step(); },
    result: () => ({ loss: trainer.loss(), note: trainer.note }),
  };
}, "", external);
const timed = contenders.filter((c) => !c.skip);
process.stderr.write(`MLP 784-256-128-10, batch ${BATCH}, ${STEPS} steps per rep: ${timed.map((c) => c.name).join(", ")} ...\n`);
const measured = await interleaved(timed, { warmup: 2, warmupMs: 1000, targetMs: 4000, minReps: 4, maxReps: 20 });
const finals = new Map<string, { loss: number; note: string }>();
for (const c of timed) finals.set(c.name, (await c.result!()) as { loss: number; note: string });
await contenders.close();
const wasmNote = finals.get("tfjs-wasm")?.note;

const label = (c: string) => (c === "tfjs-wasm" ? `tfjs-wasm (${wasmNote})` : c === "torch" ? `torch ${torch} (${threadsLabel(torchThreads)})` : c);
const results = timed.map(({ name: c }) => ({
  name: label(c),
  short: c,
  sps: (STEPS * BATCH) / (measured.get(c)!.median / 1000),
  range: rateRange(measured.get(c)!, STEPS * BATCH),
  ms: measured.get(c)!.median / STEPS,
  loss: finals.get(c)!.loss,
}));
const peers = results.filter((r) => r.short !== "axon:native");
const rows = results.map((r) => [r.name, fmt(r.sps, 0), r.range, fmt(r.ms, 2), ...peers.map((p) => `${fmt(r.sps / p.sps)}x`), fmt(r.loss, 3)]);

const native = nativeInfo();
const report = [
  "# MLP training throughput",
  "",
  ...environment([
    `model: 784-256-128-10 ReLU MLP, softmax cross-entropy, Adam lr ${LR}, batch ${BATCH}, float32`,
    `data: ${source}`,
    native ? `axon:native: ${native.isa} kernels, ${threadsLabel(native.threads)}` : "axon:native: not built (run `npm run install`)",
    wasmNote !== undefined ? `tfjs: ${tfjsVersion()}; wasm backend: ${wasmNote}` : "tfjs: not run",
    ...contenders.filter((c) => c.skip).map((c) => `${c.name}: not run (${c.skip})`),
    torch ? `torch ${torch}: torch.set_num_threads(${torchThreads}), in a Python process (bench/torch_server.py)` : "torch: not run",
    `one rep = ${STEPS} training steps after ${WARM_STEPS} untimed ones; each contender in a process of its own, interleaved rep by rep, each warmed up for at least 1 s first (so "last loss" comes after different step counts); median over reps, and the slowest and the fastest rep (min–max); ratios of medians`,
  ]).map((l) => `- ${l}`),
  "",
  markdownTable(
    ["contender", "samples/s", "min–max", "ms/step", ...peers.map((p) => `÷ ${p.short}`), "last loss"],
    rows,
  ),
  "",
].join("\n");
console.log(report);
console.error(`wrote ${writeResults("mlp.md", report)}`);
