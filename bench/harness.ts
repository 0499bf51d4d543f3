// Shared helpers for Axon's benchmarks (matmul today; MLP training and inference later): timing with warm-up,
// round-robin interleaving of contenders, summary statistics, markdown tables, and writing bench/results/.
//
// Why interleave: benchmarks run on shared, noisy machines where speed drifts for seconds at a time. Running
// contender A's reps, then B's, would credit that drift to whichever ran during it. Taking one rep of each in
// turn makes every contender see the same conditions, so ratios stay honest even when absolute numbers wobble.

import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const RESULTS_DIR = join(BENCH_DIR, "results");
/** The Python that has torch: Debian's (python3-torch) unless AXON_TORCH_PYTHON names another, e.g. a venv's. */
export const TORCH_PYTHON = process.env.AXON_TORCH_PYTHON || "/usr/bin/python3";

export interface Stats {
  /** Milliseconds per rep, in the order taken. */
  samples: number[];
  median: number;
  min: number;
  max: number;
}

export function stats(samples: readonly number[]): Stats {
  const s = [...samples].sort((x, y) => x - y);
  const mid = s.length >> 1;
  const median = s.length === 0 ? NaN : s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { samples: [...samples], median, min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN };
}

/** Wall time of one call in milliseconds (awaiting it if it returns a promise). */
export async function timeOnce(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  const r = fn();
  if (r instanceof Promise) await r;
  return performance.now() - t0;
}

export interface Contender {
  name: string;
  /** One rep of the work being timed. */
  run: () => unknown;
  /** Runs, untimed, before each of this contender's reps (e.g. switching a library's active backend). */
  before?: () => unknown;
}

export interface InterleaveOptions {
  /** Untimed reps per contender before measuring (JIT tiers, lazy initialization, caches). */
  warmup?: number;
  /** Aim for about this much measured time per contender; the rep count follows from the warm-up speed. */
  targetMs?: number;
  minReps?: number;
  maxReps?: number;
  /** Collect garbage before each rep (node must run with --expose-gc, as the npm bench scripts do). For
   *  allocation-heavy reps (training steps): otherwise V8 collects one library's garbage (tfjs-cpu makes a lot)
   *  during the next library's rep, on its cores. Not for reps of microseconds (small matmuls, inference): V8
   *  finishes a collection on a background thread, which then took the second core from Axon's worker for the
   *  whole rep. */
  collectGarbage?: boolean;
  /** Keep warming up until this much time has passed too: JavaScript reaches its fastest tier only after some
   *  hundreds of calls (an MLP step's code was still ~40% slower after 20 steps). */
  warmupMs?: number;
}

/**
 * Warms each contender up, then takes reps round-robin (one of each per round) until every contender has its rep
 * count. Returns each contender's Stats in milliseconds per rep.
 */
export async function interleaved(contenders: readonly Contender[], opts: InterleaveOptions = {}): Promise<Map<string, Stats>> {
  const { warmup = 2, warmupMs = 0, targetMs = 1500, minReps = 5, maxReps = 25, collectGarbage = false } = opts;
  const gc = collectGarbage ? (globalThis as { gc?: () => void }).gc : undefined;
  const reps = new Map<string, number>();
  for (const c of contenders) {
    let last = Infinity;
    const start = performance.now();
    for (let i = 0; i < Math.max(1, warmup) || performance.now() - start < warmupMs; i++) {
      if (c.before) await c.before();
      last = await timeOnce(c.run);
    }
    reps.set(c.name, Math.max(minReps, Math.min(maxReps, Math.round(targetMs / Math.max(last, 1e-3)))));
  }
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const rounds = Math.max(...reps.values());
  for (let r = 0; r < rounds; r++) {
    for (const c of contenders) {
      if (r >= reps.get(c.name)!) continue;
      gc?.();
      if (c.before) await c.before();
      samples.get(c.name)!.push(await timeOnce(c.run));
    }
  }
  return new Map([...samples].map(([name, s]) => [name, stats(s)]));
}

/** Formats a number with a fixed number of significant-looking decimals, "-" for missing values. */
export function fmt(x: number | undefined, digits = 2): string {
  return x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(digits);
}

/** A GitHub-flavoured markdown table; columns after the first are right-aligned (they are numbers). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    "| " + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ") + " |";
  const rule = "|" + widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|") + "|";
  return [line(header), rule, ...rows.map(line)].join("\n");
}

/** One line per fact about the machine and runtime, for the top of a results file. */
export function environment(extra: readonly string[] = []): string[] {
  const cpu = cpus();
  return [
    `date: ${new Date().toISOString()}`,
    `node: ${process.version} (V8 ${process.versions.v8}), ${process.platform}/${process.arch}`,
    `cpu: ${cpu[0]?.model ?? "unknown"} x ${cpu.length} logical cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    ...extra,
  ];
}

/** Writes bench/results/<name> (the directory is git-ignored) and returns its path. */
export function writeResults(name: string, text: string): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, name);
  writeFileSync(path, text.endsWith("\n") ? text : text + "\n");
  return path;
}

/** `--flag` and `--key=value` command-line options. */
export function parseFlags(argv: readonly string[] = process.argv.slice(2)): Map<string, string | true> {
  const flags = new Map<string, string | true>();
  for (const arg of argv) {
    if (!arg.startsWith("--")) continue;
    const eq = arg.indexOf("=");
    if (eq < 0) flags.set(arg.slice(2), true);
    else flags.set(arg.slice(2, eq), arg.slice(eq + 1));
  }
  return flags;
}
