// The float32 FMA peak of this machine, the ceiling for every matmul figure in the other benchmarks: compiles
// bench/fma_peak.cc with the system's g++ (into a temporary directory) and runs it on 1 thread and on every core,
// with 512-bit (where the CPU has AVX-512) and 256-bit vectors. Writes bench/results/peak.md.
//
//   npm run bench:peak

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { environment, writeResults } from "./harness.js";

const source = fileURLToPath(new URL("./fma_peak.cc", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "axon-peak-"));
try {
  const exe = join(dir, "fma_peak");
  execFileSync("g++", ["-O3", "-std=c++17", "-pthread", "-Wno-psabi", source, "-o", exe], { stdio: "inherit" });
  const cores = availableParallelism();
  const rows: string[] = [];
  for (const threads of [...new Set([1, cores])]) {
    for (const width of ["512", "256"]) {
      const runs = [0, 1, 2].map(() => JSON.parse(execFileSync(exe, [String(threads), width === "256" ? "y" : "z"], { encoding: "utf8" })) as { isa: string; gflops: number });
      if (width === "512" && runs[0].isa !== "avx512") continue;
      const best = Math.max(...runs.map((r) => r.gflops));
      rows.push(`| ${threads} | ${width}-bit (${runs[0].isa}) | ${best.toFixed(1)} |`);
    }
  }
  const report = `# float32 FMA peak\n\n${environment([]).map((l) => `- ${l}`).join("\n")}\n\nRegister-only chains of FMAs (bench/fma_peak.cc), best of 3 runs.\n\n| threads | vectors | GFLOPS |\n|---:|---|---:|\n${rows.join("\n")}\n`;
  console.log(report);
  console.error(`wrote ${writeResults("peak.md", report)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
