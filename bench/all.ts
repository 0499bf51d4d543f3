// The whole benchmark suite in one command: the machine's FMA peak, matmul (128 to 2048), MLP training, CNN training and MLP inference,
// each run as its own script (one at a time, so they never compete for the cores) with the flags given here
// passed on to every one. The four reports are joined, in that order, into bench/results/all.md.
//
//   npm run bench                    # everything (about 15 minutes here, most of it matmul 2048 and the CNN)
//   npm run bench -- --no-big        # matmul up to 1024 only; other flags (--no-tfjs, --no-torch, --threads=N)
//                                    # go to every script that knows them

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeResults } from "./harness.js";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const SUITE: Array<{ script: string; result: string; title: string }> = [
  { script: "fma_peak.ts", result: "peak.md", title: "FMA peak (the ceiling for matmul)" },
  { script: "matmul.ts", result: "matmul.md", title: "matmul" },
  { script: "mlp.ts", result: "mlp.md", title: "MLP training" },
  { script: "conv.ts", result: "conv.md", title: "CNN training" },
  { script: "infer.ts", result: "infer.md", title: "MLP inference" },
];

const flags = process.argv.slice(2);
const sections: string[] = [];
for (const { script, result, title } of SUITE) {
  console.error(`\n==== ${title}: bench/${script} ${flags.join(" ")}`);
  const started = Date.now();
  const r = spawnSync(process.execPath, ["--import", "tsx", join(HERE, script), ...flags], { stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`bench/${script} failed (exit ${r.status ?? r.signal}); its section is left out`);
    sections.push(`## ${title}\n\nbench/${script} failed (exit ${r.status ?? r.signal}).\n`);
    continue;
  }
  const text = readFileSync(join(HERE, "results", result), "utf8");
  sections.push(`## ${title} (${((Date.now() - started) / 1000).toFixed(0)} s)\n\n${text}`);
}
console.error(`\nwrote ${writeResults("all.md", `# Axon benchmarks\n\n${sections.join("\n")}`)}`);
