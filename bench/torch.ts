// PyTorch as a benchmark peer: trains a model given as Python source on the same data, in a child process of
// Debian's /usr/bin/python3 (the one that sees python3-torch; AXON_TORCH_PYTHON names another), after the
// in-process contenders have run.
// Returns null (and says why on stderr) when torch is not installed or --no-torch is given.

import { spawnSync } from "node:child_process";
import { TORCH_PYTHON } from "./harness.js";

export interface TorchResult { sps: number; msPerStep: number; loss: number; version: string }

export interface TorchTraining {
  /** Python expression building the model from `nn` (torch.nn), e.g. "nn.Sequential(nn.Linear(784, 10))". */
  model: string;
  /** Shape one sample is viewed as, e.g. [784] or [1, 28, 28]. */
  sampleShape: number[];
  batch: number;
  batches: number;
  steps: number;
  lr: number;
  threads: number;
}

export function torchTraining(t: TorchTraining, xs: Float32Array, ys: Int32Array, flags: Map<string, string | boolean>): TorchResult | null {
  if (flags.has("no-torch")) return null;
  const code = `
import json, time, sys, torch
torch.set_num_threads(${t.threads}); torch.manual_seed(0)
B, NB, STEPS = ${t.batch}, ${t.batches}, ${t.steps}
data = sys.stdin.buffer.read()
x = torch.frombuffer(bytearray(data[:B*NB*784*4]), dtype=torch.float32).reshape(B*NB, ${t.sampleShape.join(", ")})
y = torch.frombuffer(bytearray(data[B*NB*784*4:]), dtype=torch.int32).long()
nn = torch.nn
model = ${t.model}
opt = torch.optim.Adam(model.parameters(), lr=${t.lr})
i = 0
def step():
    global i
    b = i % NB; i += 1
    opt.zero_grad(); loss = nn.functional.cross_entropy(model(x[b*B:(b+1)*B]), y[b*B:(b+1)*B]); loss.backward(); opt.step()
    return loss.item()
for _ in range(2 * STEPS): step()
ts = []
t_end = time.perf_counter() + 4
while len(ts) < 4 or (time.perf_counter() < t_end and len(ts) < 20):
    t = time.perf_counter()
    for _ in range(STEPS): last = step()
    ts.append(time.perf_counter() - t)
ts.sort()
print(json.dumps({"median": ts[len(ts)//2], "loss": last, "version": torch.__version__}))
`;
  const input = Buffer.concat([Buffer.from(xs.buffer, xs.byteOffset, xs.byteLength), Buffer.from(ys.buffer, ys.byteOffset, ys.byteLength)]);
  const r = spawnSync(TORCH_PYTHON, ["-c", code], { input, encoding: "utf8", timeout: 300_000 });
  if (r.status !== 0) {
    process.stderr.write(`torch not run: ${(r.stderr || r.error?.message || "").trim().split("\n").pop()}\n`);
    return null;
  }
  const o = JSON.parse(r.stdout.trim()) as { median: number; loss: number; version: string };
  return { sps: (t.steps * t.batch) / o.median, msPerStep: (o.median * 1000) / t.steps, loss: o.loss, version: o.version };
}
