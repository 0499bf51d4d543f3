// Convolution layer speed: conv2d forward + backward (weight, bias and input gradients) for the layer shapes of a
// small MNIST CNN, once per Axon backend, and PyTorch on the CPU for scale when /usr/bin/python3 has torch.
//
//   npm run bench:conv-layers                           # every shape, torch with 2 threads
//   npm run bench:conv-layers -- --torch-threads=1 --no-torch
//
// Milliseconds per fwd+bwd, median and min over interleaved reps (see harness.ts for why interleaved).

import { spawnSync } from "node:child_process";
import * as ax from "../src/index.node.js";
import { TORCH_PYTHON, environment, fmt, interleaved, markdownTable, parseFlags, writeResults, type Contender } from "./harness.js";
import { torchThreadCount } from "./torch.js";

const F = ax.nn.functional;
const flags = parseFlags();
if (typeof flags.get("threads") === "string") ax.setNumThreads(Number(flags.get("threads")));
const torchThreads = torchThreadCount(flags); // same as axon:native's unless --torch-threads

interface Layer { name: string; x: number[]; w: number[]; padding: number; inputGrad: boolean }
const LAYERS: Layer[] = [
  { name: "64x1x28x28 -> 32, 3x3, pad 1 (first layer, no input grad)", x: [64, 1, 28, 28], w: [32, 1, 3, 3], padding: 1, inputGrad: false },
  { name: "64x1x28x28 -> 32, 3x3, pad 1 (with input grad)", x: [64, 1, 28, 28], w: [32, 1, 3, 3], padding: 1, inputGrad: true },
  { name: "64x32x14x14 -> 64, 3x3, pad 1", x: [64, 32, 14, 14], w: [64, 32, 3, 3], padding: 1, inputGrad: true },
];

function torchTimes(layer: Layer): number | undefined {
  if (flags.has("no-torch")) return undefined;
  const code = `
import torch, time, json
torch.set_num_threads(${torchThreads})
x = torch.randn(${layer.x.join(",")}, requires_grad=${layer.inputGrad ? "True" : "False"})
w = torch.randn(${layer.w.join(",")}, requires_grad=True); b = torch.zeros(${layer.w[0]}, requires_grad=True)
def run():
    y = torch.nn.functional.conv2d(x, w, b, padding=${layer.padding}); y.backward(torch.ones_like(y))
for _ in range(3): run()
ts = []
for _ in range(20):
    t = time.perf_counter(); run(); ts.append((time.perf_counter() - t) * 1e3)
ts.sort(); print(json.dumps(ts[len(ts) // 2]))
`;
  const r = spawnSync(TORCH_PYTHON, ["-c", code], { encoding: "utf8" });
  return r.status === 0 ? Number(r.stdout.trim()) : undefined;
}

const rows: string[][] = [];
for (const layer of LAYERS) {
  const x = ax.randn(layer.x).requiresGrad_(layer.inputGrad);
  const w = ax.randn(layer.w).mul(0.1).detach().requiresGrad_();
  const b = ax.zeros([layer.w[0]]).requiresGrad_();
  const contenders: Contender[] = ax.listBackends().map((backend) => ({
    name: backend,
    before: () => ax.setBackend(backend),
    run: () => {
      const y = F.conv2d(x, w, b, { padding: layer.padding });
      y.backward(y.onesLike());
    },
  }));
  const results = await interleaved(contenders, { warmup: 3, targetMs: 2000, minReps: 10, maxReps: 40 });
  const torchMs = torchTimes(layer);
  for (const [backend, s] of results) rows.push([layer.name, `axon ${backend}`, fmt(s.median, 1), fmt(s.min, 1)]);
  rows.push([layer.name, `torch (${torchThreads} thread${torchThreads === 1 ? "" : "s"})`, fmt(torchMs, 1), "-"]);
}

const text = [...environment(), "", markdownTable(["conv2d fwd+bwd", "contender", "median ms", "min ms"], rows)].join("\n");
console.log(text);
console.log(`\nwritten to ${writeResults("conv_layers.md", text)}`);
