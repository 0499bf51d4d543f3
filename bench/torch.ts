// PyTorch as a benchmark peer, interleaved with the other contenders: a Debian /usr/bin/python3 (the one that sees
// python3-torch; AXON_TORCH_PYTHON names another) running bench/torch_server.py, which answers the same requests as
// the other contenders' processes (see isolated in bench/harness.ts).

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { BENCH_DIR, TORCH_PYTHON, selected, type External } from "./harness.js";
import { nativeInfo } from "../src/backend/native/index.js";

/** torch's version when the Python has it and --no-torch is not given, else null (saying why on stderr). */
export function torchVersion(flags: Map<string, string | boolean>): string | null {
  if (flags.has("no-torch") || selected(flags, ["torch"]).length === 0) return null;
  const r = spawnSync(TORCH_PYTHON, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" });
  if (r.status === 0) return r.stdout.trim();
  process.stderr.write(`torch not run: ${(r.stderr || r.error?.message || "").trim().split("\n").pop()}\n`);
  return null;
}

/**
 * PyTorch's thread count: --torch-threads=N, else the native backend's (after the script has applied --threads),
 * so that Axon and PyTorch are timed on the same number of threads on any machine: both 2 on a 2-core one, both
 * 16 on a 16-core one (PyTorch's 2 against Axon's 16 was the old default there). Without the addon, the CPUs
 * available to this process.
 */
export function torchThreadCount(flags: Map<string, string | boolean>): number {
  const given = flags.get("torch-threads");
  if (typeof given === "string") return Number(given);
  return nativeInfo()?.threads ?? availableParallelism();
}

/** The contender "torch" running `code` (Python defining setup, before, run and result: see torch_server.py). */
export function torchContender(code: string): External {
  return { name: "torch", command: TORCH_PYTHON, args: [join(BENCH_DIR, "torch_server.py"), code] };
}

export interface TorchTraining {
  /** Python expression building the model from `nn` (torch.nn), e.g. "nn.Sequential(nn.Linear(784, 10))". */
  model: string;
  /** Shape one sample is viewed as, e.g. [784] or [1, 28, 28]. */
  sampleShape: number[];
  batch: number;
  batches: number;
  /** Timed steps per rep, and untimed ones before them. */
  steps: number;
  warmSteps: number;
  lr: number;
  threads: number;
}

/**
 * PyTorch training the model on the same data as the other contenders (written to a temporary file, removed when
 * this process exits), with Adam and cross-entropy; its result() is { loss, version }.
 */
export function torchTraining(t: TorchTraining, xs: Float32Array, ys: Int32Array): External {
  const dir = mkdtempSync(join(tmpdir(), "axon-bench-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "data.bin");
  writeFileSync(path, Buffer.concat([Buffer.from(xs.buffer, xs.byteOffset, xs.byteLength), Buffer.from(ys.buffer, ys.byteOffset, ys.byteLength)]));
  return torchContender(`
import torch
torch.set_num_threads(${t.threads}); torch.manual_seed(0)
B, NB, STEPS, WARM = ${t.batch}, ${t.batches}, ${t.steps}, ${t.warmSteps}
data = open(${JSON.stringify(path)}, "rb").read()
x = torch.frombuffer(bytearray(data[:${xs.byteLength}]), dtype=torch.float32).reshape(B*NB, ${t.sampleShape.join(", ")})
y = torch.frombuffer(bytearray(data[${xs.byteLength}:]), dtype=torch.int32).long()
nn = torch.nn
model = ${t.model}
opt = torch.optim.Adam(model.parameters(), lr=${t.lr})
i, last = 0, float("nan")
def step():
    global i, last
    b = i % NB; i += 1
    opt.zero_grad(); loss = nn.functional.cross_entropy(model(x[b*B:(b+1)*B]), y[b*B:(b+1)*B]); loss.backward(); opt.step()
    last = loss.item()
def setup(): return None
def before():
    for _ in range(WARM): step()
def run():
    for _ in range(STEPS): step()
def result(): return {"loss": last, "version": torch.__version__}
`);
}
