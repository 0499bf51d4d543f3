// CNN training throughput: conv 3x3 (32) - ReLU - max-pool 2, conv 3x3 (64) - ReLU - max-pool 2, dense 10, trained
// with Adam (lr 1e-3) and softmax cross-entropy on batches of 64 Fashion-MNIST images (Debian's
// dataset-fashion-mnist when installed, random data of the same shape otherwise): Axon on each backend,
// TensorFlow.js cpu and wasm, and PyTorch (CPU, child process) when /usr/bin/python3 has it.
//
//   npm run bench:conv
//   npm run bench:conv -- --steps=2 --batches=20 --threads=1 --no-tfjs --no-torch --random --torch-threads=2
//
// One rep is `steps` full training steps (zero grads, forward, loss, backward, optimizer step); each contender runs
// in a process of its own (PyTorch's is Python: bench/torch_server.py), and they are interleaved rep by rep
// (bench/harness.ts). Writes bench/results/conv.md.
// Per-layer conv2d timings: npm run bench:conv-layers.

import * as ax from "../src/index.node.js";
import { axonTrainer, fashionMnistOrRandom, type Trainer } from "./data.js";
import { nativeInfo } from "../src/backend/native/index.js";
import { environment, fmt, interleaved, isContenderProcess, isolated, markdownTable, parseFlags, rateRange, selected, skipped, threadsLabel, writeResults, type Contender } from "./harness.js";
import { loadTfjs, tfjsInstalled, tfjsVersion, type Tf } from "./tfjs.js";
import { torchTraining, torchVersion, torchThreadCount } from "./torch.js";

const flags = parseFlags();
const BATCH = 64;
const WARM_STEPS = Number(flags.get("warm-steps") ?? 2);
const STEPS = Number(flags.get("steps") ?? 5);
const NBATCHES = Number(flags.get("batches") ?? 20);
const LR = 1e-3;
if (typeof flags.get("threads") === "string") ax.setNumThreads(Number(flags.get("threads")));
const torchThreads = torchThreadCount(flags); // same as axon:native's unless --torch-threads

// ---- data: the same images and labels for every contender ----------------------------------------------------
const n = BATCH * NBATCHES;
const { xs, ys, source } = fashionMnistOrRandom(n, flags);

// ---- Axon -----------------------------------------------------------------------------------------------------
const buildModel = () => new ax.nn.Sequential(
  new ax.nn.Conv2d(1, 32, 3, { padding: 1 }), new ax.nn.ReLU(), new ax.nn.MaxPool2d(2),
  new ax.nn.Conv2d(32, 64, 3, { padding: 1 }), new ax.nn.ReLU(), new ax.nn.MaxPool2d(2),
  new ax.nn.Flatten(), new ax.nn.Linear(64 * 7 * 7, 10),
);

// ---- TensorFlow.js (NHWC, as tfjs wants) ------------------------------------------------------------------------
async function tfjsTrainer(tf: Tf, backend: "cpu" | "wasm"): Promise<Trainer> {
  await tf.setBackend(backend);
  const uniform = (shape: number[], fanIn: number) => {
    const bound = 1 / Math.sqrt(fanIn);
    return tf.variable(tf.randomUniform(shape, -bound, bound, "float32", 1));
  };
  const c1 = uniform([3, 3, 1, 32], 9), b1 = tf.variable(tf.zeros([32]));
  const c2 = uniform([3, 3, 32, 64], 288), b2 = tf.variable(tf.zeros([64]));
  const d = uniform([64 * 7 * 7, 10], 64 * 7 * 7), bd = tf.variable(tf.zeros([10]));
  const opt = tf.train.adam(LR);
  const batches = Array.from({ length: NBATCHES }, (_, i) => [
    tf.tensor4d(xs.subarray(i * BATCH * 784, (i + 1) * BATCH * 784), [BATCH, 28, 28, 1]),
    tf.oneHot(tf.tensor1d(ys.subarray(i * BATCH, (i + 1) * BATCH), "int32"), 10),
  ]);
  let i = 0, last = NaN;
  return {
    step: () => {
      const [x, y] = batches[i++ % NBATCHES];
      const loss = opt.minimize(() => {
        type T4 = import("@tensorflow/tfjs").Tensor4D;
        let h = tf.maxPool(tf.relu(tf.add(tf.conv2d(x as T4, c1 as T4, 1, "same"), b1)) as T4, 2, 2, "valid");
        h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, c2 as T4, 1, "same"), b2)) as T4, 2, 2, "valid");
        // tfjs flattens NHWC, Axon NCHW: a different but equally sized dense layer, which is all speed needs.
        const logits = tf.add(tf.matMul(tf.reshape(h, [BATCH, 64 * 7 * 7]), d), bd);
        return tf.losses.softmaxCrossEntropy(y, logits) as import("@tensorflow/tfjs").Scalar;
      }, true)!;
      last = loss.dataSync()[0];
      loss.dispose();
    },
    loss: () => last,
  };
}

// ---- run ------------------------------------------------------------------------------------------------------
const names = selected(flags, [...ax.listBackends().sort().map((b) => `axon:${b}`), ...(!flags.has("no-tfjs") && tfjsInstalled() ? ["tfjs-cpu", "tfjs-wasm"] : [])]);
// Each contender trains in a process of its own. A tfjs backend first tries two steps there: one that cannot train
// this model (tfjs-wasm has no Conv2DBackpropFilter kernel) is listed with the reason, and one so slow that
// interleaving would take minutes (tfjs-cpu: tens of seconds a step) is timed on its second step and not
// interleaved. Each rep starts with WARM_STEPS untimed steps: the first step of a rep follows another process's rep,
// and pays for its leftovers (caches full of its data, this library's worker threads asleep).
const SLOW = "one step, not interleaved";
const torch = isContenderProcess() ? null : torchVersion(flags);
const external = torch === null ? [] : [torchTraining({
  model: "nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64*7*7, 10))",
  sampleShape: [1, 28, 28], batch: BATCH, batches: NBATCHES, steps: STEPS, warmSteps: WARM_STEPS, lr: LR, threads: torchThreads,
}, xs, ys)];
let wasmNote: string | undefined;
const contenders = await isolated(names, async (name): Promise<Contender> => {
  let trainer: Trainer, note = "";
  if (name.startsWith("axon:")) {
    trainer = axonTrainer(name.slice(5), buildModel, { xs, ys, source }, { batch: BATCH, batches: NBATCHES, lr: LR, sampleShape: [1, 28, 28] });
  } else {
    const loaded = await loadTfjs();
    if (!loaded) return skipped(name, "tfjs did not load (see the message above)");
    trainer = await tfjsTrainer(loaded.tf, name === "tfjs-cpu" ? "cpu" : "wasm");
    note = loaded.wasmNote;
    try {
      trainer.step();
      const t0 = performance.now();
      trainer.step();
      const ms = performance.now() - t0;
      if (ms > 3000) return skipped(name, SLOW, { loss: trainer.loss(), ms, note });
    } catch (e) {
      return skipped(name, `cannot train this model (${(e as Error).message.split("\n")[0]})`, { note });
    }
  }
  const t = trainer;
  return {
    name,
    before: () => { for (let s = 0; s < WARM_STEPS; s++) t.step(); },
    run: () => { for (let s = 0; s < STEPS; s++) t.step(); },
    result: () => ({ loss: t.loss(), note }),
  };
}, "", external);
const timed = contenders.filter((c) => !c.skip);
process.stderr.write(`CNN, batch ${BATCH}, ${STEPS} steps per rep: ${timed.map((c) => c.name).join(", ")} ...\n`);
const measured = await interleaved(timed, { warmup: 1, warmupMs: 1000, targetMs: 4000, minReps: 3, maxReps: 15 });
const finals = new Map<string, { loss: number; ms?: number; note: string }>();
for (const c of contenders) finals.set(c.name, (await c.result!()) as { loss: number; ms?: number; note: string });
await contenders.close();
wasmNote = finals.get("tfjs-wasm")?.note;
const slow = contenders.filter((c) => c.skip === SLOW);
const cannot = contenders.filter((c) => c.skip && c.skip !== SLOW).map((c) => `${c.name}: ${c.skip}`);

const rows: { name: string; sps: number; range: string; ms: number; loss: number }[] = timed.map(({ name }) => ({
  name: name === "tfjs-wasm" ? `tfjs-wasm (${wasmNote})` : name === "torch" ? `torch ${torch} (${threadsLabel(torchThreads)})` : name,
  sps: (STEPS * BATCH) / (measured.get(name)!.median / 1000),
  range: rateRange(measured.get(name)!, STEPS * BATCH),
  ms: measured.get(name)!.median / STEPS,
  loss: finals.get(name)!.loss,
}));
for (const { name } of slow) {
  const { loss, ms } = finals.get(name)! as { loss: number; ms: number };
  rows.push({ name: `${name} (${SLOW})`, sps: BATCH / (ms / 1000), range: "-", ms, loss });
}
const peers = rows.filter((r) => !r.name.startsWith("axon:native"));

const native = nativeInfo();
const report = [
  "# CNN training throughput",
  "",
  ...environment([
    `model: conv3x3(1->32, pad 1)-ReLU-maxpool2, conv3x3(32->64, pad 1)-ReLU-maxpool2, dense 3136->10; softmax cross-entropy, Adam lr ${LR}, batch ${BATCH}, float32`,
    `data: ${source}`,
    native ? `axon:native: ${native.isa} kernels, ${threadsLabel(native.threads)}` : "axon:native: not built (run `npm run install`)",
    wasmNote !== undefined ? `tfjs: ${tfjsVersion()}; wasm backend: ${wasmNote}` : "tfjs: not run",
    torch ? `torch ${torch}: torch.set_num_threads(${torchThreads}), in a Python process (bench/torch_server.py)` : "torch: not run",
    `one rep = ${STEPS} training steps after ${WARM_STEPS} untimed ones; each contender in a process of its own, interleaved rep by rep, each warmed up for at least 1 s first (so "last loss" comes after different step counts); median over reps, and the slowest and the fastest rep (min–max); ratios of medians`,
    ...cannot,
  ]).map((l) => `- ${l}`),
  "",
  markdownTable(
    ["contender", "samples/s", "min–max", "ms/step", ...peers.map((p) => `÷ ${p.name.split(" (")[0]}`), "last loss"],
    rows.map((r) => [r.name, fmt(r.sps, 0), r.range, fmt(r.ms, 2), ...peers.map((p) => `${fmt(r.sps / p.sps)}x`), fmt(r.loss, 3)]),
  ),
  "",
].join("\n");
console.log(report);
console.error(`wrote ${writeResults("conv.md", report)}`);
