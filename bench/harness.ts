// Shared helpers for Axon's benchmarks: timing with warm-up, round-robin interleaving of contenders that each run
// in a process of their own, summary statistics, markdown tables, and writing bench/results/.
//
// Why interleave: benchmarks run on shared, noisy machines where speed drifts for seconds at a time. Running
// contender A's reps, then B's, would credit that drift to whichever ran during it. Taking one rep of each in
// turn makes every contender see the same conditions, so ratios stay honest even when absolute numbers wobble.
//
// Why a process each: in one process, the contenders share one JavaScript heap and its garbage collector. One
// library's garbage (tfjs-cpu makes a lot) was collected during the next library's reps, on its cores: with tfjs
// in the process, Axon's batch-1 inference measured 18.6-40.6 us against 12.9-13.4 without. Collecting garbage
// before each rep fixed that but hid each contender's own collections from its reps. In a process of its own, each
// contender pays for its own garbage and nobody else's. While one contender runs, the others are stopped
// (SIGSTOP): an idle V8 process can still collect garbage and compile on background threads, and on a 2-core
// machine that would take a core from the contender being timed.

import { fork, spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
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

/** The rate of the slowest and of the fastest rep, "slow–fast", for `units` (samples, calls) per rep of s's ms. */
export function rateRange(s: Stats, units: number): string {
  return [s.max, s.min].map((ms) => fmt(units / (ms / 1000), 0)).join("–");
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
  /** Times one rep itself and returns its milliseconds (a contender in another process: see isolated). */
  timedRun?: () => Promise<number>;
  /** What the report needs from the contender once its reps are done (a last loss, an output to compare). */
  result?: () => unknown;
  /** Why this contender is not timed (its library did not load, it cannot run the model); see isolated. */
  skip?: string;
}

export interface InterleaveOptions {
  /** Untimed reps per contender before measuring (JIT tiers, lazy initialization, caches). */
  warmup?: number;
  /** Aim for about this much measured time per contender; the rep count follows from the warm-up speed. */
  targetMs?: number;
  minReps?: number;
  maxReps?: number;
  /** Keep warming up until this much time has passed too: JavaScript reaches its fastest tier only after some
   *  hundreds of calls (an MLP step's code was still ~40% slower after 20 steps). */
  warmupMs?: number;
}

/**
 * Warms each contender up, then takes reps round-robin (one of each per round) until every contender has its rep
 * count. Returns each contender's Stats in milliseconds per rep.
 */
export async function interleaved(contenders: readonly Contender[], opts: InterleaveOptions = {}): Promise<Map<string, Stats>> {
  const { warmup = 2, warmupMs = 0, targetMs = 1500, minReps = 5, maxReps = 25 } = opts;
  const time = (c: Contender) => (c.timedRun ? c.timedRun() : timeOnce(c.run));
  const reps = new Map<string, number>();
  for (const c of contenders) {
    let last = Infinity;
    const start = performance.now();
    for (let i = 0; i < Math.max(1, warmup) || performance.now() - start < warmupMs; i++) {
      if (c.before) await c.before();
      last = await time(c);
    }
    reps.set(c.name, Math.max(minReps, Math.min(maxReps, Math.round(targetMs / Math.max(last, 1e-3)))));
  }
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const rounds = Math.max(...reps.values());
  for (let r = 0; r < rounds; r++) {
    for (const c of contenders) {
      if (r >= reps.get(c.name)!) continue;
      if (c.before) await c.before();
      samples.get(c.name)!.push(await time(c));
    }
  }
  // --print-reps: every rep's time in ms, in the order run, to see the slow ones that the median and range hide.
  if (parseFlags().has("print-reps")) for (const [n, s] of samples) process.stderr.write(`${n}: ${s.map((x) => x.toFixed(2)).join(" ")} ms\n`);
  return new Map([...samples].map(([name, s]) => [name, stats(s)]));
}

// ---- one process per contender ----------------------------------------------------------------------------------

const CONTENDER_ENV = "AXON_BENCH_CONTENDER";

type Request = { id: number; cmd: "setup" | "run" | "result" };
type Reply = { id: number; value?: unknown; error?: string };

/** Every contender process this parent has forked and not yet seen exit. */
const liveChildren = new Set<ChildProcess>();
// A stopped child cannot see its parent go: whatever ends the parent first continues and ends its children.
// (Only SIGKILL cannot be caught; a child it leaves stopped ends with its process group.)
const STOPPABLE = process.platform !== "win32";
let cleanupInstalled = false;
function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  const endChildren = () => {
    for (const c of liveChildren) {
      if (STOPPABLE) c.kill("SIGCONT");
      c.kill("SIGTERM");
    }
  };
  process.once("exit", endChildren);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      endChildren();
      process.kill(process.pid, signal); // the default action, now that this handler is gone
    });
  }
}

/** A contender run by another program, e.g. `python3 bench/torch_server.py CODE` (see isolated). */
export interface External {
  name: string;
  command: string;
  args: string[];
}

/** A contender that is not timed, for `reason` (see Contender.skip); `result` is what its result() gives. */
export function skipped(name: string, reason: string, result: unknown = null): Contender {
  return { name, skip: reason, run: () => {}, result: () => result };
}

/** Whether this process is one contender's child (forked by isolated), not the benchmark's parent process. */
export function isContenderProcess(): boolean {
  return process.env[CONTENDER_ENV] !== undefined;
}

/**
 * The contenders `names`, each built by `make` in a child process of its own: the running benchmark script forks
 * itself (same flags, same node options) once per name, with AXON_BENCH_CONTENDER=<name>[@<key>]. In the parent
 * this returns proxies whose timedRun and result are requests to the children; call `close` on them when done.
 * The children build their contenders one at a time, once all have started, each with the others stopped: a build
 * that sizes its reps by timing (bench/infer.ts) must not share the cores with another process. A contender that
 * cannot be timed (its library did not load, it cannot run the model) sets `skip` to the reason; its proxy then
 * has `skip` too, and still answers result().
 *
 * `external` contenders are other programs (PyTorch: bench/torch.ts), started with their command and driven by the
 * same requests as JSON lines on their stdin and stdout; they are stopped and timed like the others.
 *
 * In a child, the call whose `key` matches the child's answers the parent's requests and exits the process when
 * the parent disconnects: the code after it never runs there. Calls with another key return an empty list, which
 * the script must pass over (`key` tells apart the rounds of one script: the sizes of matmul).
 */
export async function isolated(names: readonly string[], make: (name: string) => Contender | Promise<Contender>, key = "",
  external: readonly External[] = []): Promise<Contender[] & { close: () => Promise<void> }> {
  const wanted = process.env[CONTENDER_ENV];
  if (wanted !== undefined) {
    const at = wanted.lastIndexOf("@");
    const [name, k] = at < 0 ? [wanted, ""] : [wanted.slice(0, at), wanted.slice(at + 1)];
    if (k === key) await serve(name, make);
    return Object.assign([], { close: async () => {} }); // another round's child
  }
  installCleanup();
  const children: ChildProcess[] = [];
  // Stopping the others while one runs (see the top of this file).
  const signalOthers = (self: ChildProcess, signal: "SIGSTOP" | "SIGCONT") => {
    if (STOPPABLE) for (const c of children) if (c !== self && liveChildren.has(c)) c.kill(signal);
  };
  const starts: Promise<void>[] = [];
  const setups: (() => Promise<void>)[] = [];
  const forked = names.map((name) => {
    const child = fork(process.argv[1], process.argv.slice(2), {
      execArgv: process.execArgv,
      env: { ...process.env, [CONTENDER_ENV]: key ? `${name}@${key}` : name },
      serialization: "advanced",
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    child.on("message", (m: Reply) => child.emit("reply", m));
    const send = (r: Request, failed: (e: Error) => void) => child.send(r, (e) => { if (e) failed(e); });
    return { name, child, send };
  });
  // Other programs (PyTorch) speak the same requests and replies as JSON lines on their stdin and stdout.
  const spawned = external.map(({ name, command, args }) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
    createInterface({ input: child.stdout! }).on("line", (line) => {
      let m: Reply;
      try {
        m = JSON.parse(line) as Reply;
      } catch {
        return void process.stderr.write(`${name}: ${line}\n`); // not a reply: pass it on
      }
      child.emit("reply", m);
    });
    child.stdin!.on("error", () => {}); // a child that exits early: reported by its exit event
    const send = (r: Request, failed: (e: Error) => void) => child.stdin!.write(JSON.stringify(r) + "\n", (e) => { if (e) failed(e); });
    return { name, child, send };
  });
  const contenders = [...forked, ...spawned].map(({ name, child, send }): Contender => {
    children.push(child);
    liveChildren.add(child);
    let next = 0;
    const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
    // A child drops requests that arrive before it listens: the first one waits for its "ready" (id -1).
    let started: () => void;
    const ready = new Promise<void>((resolve) => { started = resolve; });
    starts.push(ready);
    let exited = "";
    const fail = (why: string) => {
      exited ||= why;
      started();
      for (const p of pending.values()) p.reject(new Error(`${name}: ${exited}`));
      pending.clear();
    };
    child.on("reply", (m: Reply) => {
      if (m.id === -1) return started();
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error !== undefined) p?.reject(new Error(`${name}: ${m.error}`));
      else p?.resolve(m.value);
    });
    child.on("error", (e) => fail(`its process failed (${e.message})`));
    child.on("exit", (code, signal) => {
      liveChildren.delete(child);
      fail(`its process exited (${code ?? signal}) before answering`);
    });
    const ask = async (cmd: Request["cmd"]) => {
      await ready;
      if (exited) throw new Error(`${name}: ${exited}`);
      return new Promise<unknown>((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        send({ id, cmd }, (e) => fail(`a request could not be sent (${e.message})`));
      });
    };
    // One request per rep: the child runs its before() and then its timed rep back to back. As two requests, the
    // round trip between them let the child's worker threads fall asleep, and 128^3 products measured half their
    // speed.
    const proxy: Contender = {
      name,
      run: () => { throw new Error(`${name} runs in its own process: use timedRun`); },
      timedRun: async () => {
        signalOthers(child, "SIGSTOP");
        try {
          return (await ask("run")) as number;
        } finally {
          signalOthers(child, "SIGCONT");
        }
      },
      result: () => ask("result"),
    };
    setups.push(async () => {
      signalOthers(child, "SIGSTOP");
      try {
        const skip = await ask("setup");
        if (typeof skip === "string") proxy.skip = skip;
      } finally {
        signalOthers(child, "SIGCONT");
      }
    });
    return proxy;
  });
  const close = async () => {
    const gone = children.filter((c) => liveChildren.has(c)).map((c) => new Promise<void>((resolve) => {
      c.once("exit", () => resolve());
      if (STOPPABLE) c.kill("SIGCONT");
      if (c.connected) c.disconnect();
      else if (c.stdin && !c.stdin.destroyed) c.stdin.end(); // an external child: end of input
      else c.kill("SIGTERM");
    }));
    await Promise.all(gone); // gone before the next round (or torch) starts timing
  };
  try {
    await Promise.all(starts);
    for (const setup of setups) await setup();
  } catch (e) {
    await close();
    throw e;
  }
  return Object.assign(contenders, { close });
}

/** A child's side of isolated(): builds its contender when asked, then runs requests one at a time until the
 *  parent disconnects. A "run" is the contender's before() and then its rep, timed. */
async function serve(name: string, make: (name: string) => Contender | Promise<Contender>): Promise<never> {
  let c: Contender = { name, run: () => { throw new Error(`${name}: not set up`); } };
  const answer = async (m: Request): Promise<Reply> => {
    try {
      if (m.cmd === "setup") {
        c = await make(name);
        return { id: m.id, value: c.skip ?? null };
      }
      if (m.cmd === "run") {
        await c.before?.();
        return { id: m.id, value: await timeOnce(c.run) };
      }
      return { id: m.id, value: (await c.result?.()) ?? null };
    } catch (e) {
      return { id: m.id, error: (e as Error).stack ?? String(e) };
    }
  };
  // A send that fails (the parent is gone) ends this process rather than throwing an unhandled EPIPE.
  const send = (r: Reply) => process.send!(r, (e: Error | null) => { if (e) process.exit(1); });
  process.on("message", (m: Request) => { void answer(m).then(send); });
  send({ id: -1, value: "ready" });
  await new Promise<void>((resolve) => process.on("disconnect", resolve));
  process.exit(0);
}

/** "1 thread", "2 threads". */
export function threadsLabel(n: number): string {
  return `${n} thread${n === 1 ? "" : "s"}`;
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

/**
 * The contenders of `names` that this run times: all of them, or with --only=a,b (axon:native, torch, tfjs-wasm...)
 * those named, for a quicker run or one without a peer's processes around.
 */
export function selected(flags: ReadonlyMap<string, string | boolean>, names: readonly string[]): string[] {
  const only = flags.get("only");
  if (typeof only !== "string") return [...names];
  const keep = new Set(only.split(",").map((n) => n.trim()));
  return names.filter((n) => keep.has(n));
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
