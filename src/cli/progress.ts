// A live progress bar for fit(): one redrawn line per epoch on a terminal, plain lines otherwise (CI logs, pipes).

import type { BatchLogs, Callback, EpochLogs } from "../train/fit.js";

export interface ProgressOptions {
  stream?: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean; columns?: number };
  /** Force plain output even on a terminal. */
  plain?: boolean;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const m = Math.floor(seconds / 60), s = Math.round(seconds % 60);
  return m < 60 ? `${m}m${String(s).padStart(2, "0")}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

const pct = (v: number | undefined): string => (v === undefined ? "" : `${(100 * v).toFixed(2)}%`);
const rate = (v: number): string => Math.round(v).toLocaleString("en-US");

export class ProgressBar implements Callback {
  private readonly out: NonNullable<ProgressOptions["stream"]>;
  private readonly tty: boolean;
  private epochs = 0;
  private lastDraw = 0;

  constructor(opts: ProgressOptions = {}) {
    this.out = opts.stream ?? process.stderr;
    this.tty = !opts.plain && Boolean(this.out.isTTY);
  }

  onTrainBegin(info: { epochs: number }): void {
    this.epochs = info.epochs;
  }

  onBatchEnd(logs: BatchLogs): void {
    if (!this.tty) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && logs.batch !== logs.batches) return; // at most 10 redraws a second
    this.lastDraw = now;
    const width = 24;
    const frac = logs.batches ? logs.batch / logs.batches : 0;
    const filled = Math.round(frac * width);
    const bar = "=".repeat(Math.max(filled - 1, 0)) + (filled > 0 ? ">" : "") + " ".repeat(width - filled);
    const left = logs.batches ? (logs.seconds / logs.batch) * (logs.batches - logs.batch) : NaN;
    const parts = [
      `Epoch ${logs.epoch}/${this.epochs}`,
      `[${bar}]`,
      logs.batches ? `${logs.batch}/${logs.batches}` : `${logs.batch}`,
      `loss ${logs.loss.toFixed(4)}`,
      logs.accuracy !== undefined ? `acc ${pct(logs.accuracy)}` : "",
      `${rate(logs.samplesPerSecond)} samples/s`,
      `ETA ${formatDuration(left)}`,
    ].filter(Boolean);
    const cols = ("columns" in this.out && this.out.columns) || 120;
    this.out.write(`\r${parts.join("  ").slice(0, cols - 1)}\x1b[K`);
  }

  onEpochEnd(logs: EpochLogs): void {
    if (this.tty) this.out.write("\r\x1b[K");
    this.out.write(formatEpoch(logs, this.epochs) + "\n");
  }
}

export function formatEpoch(logs: EpochLogs, epochs: number): string {
  const parts = [
    `Epoch ${String(logs.epoch).padStart(String(epochs).length)}/${epochs}`,
    `loss ${logs.loss.toFixed(4)}`,
    logs.accuracy !== undefined ? `acc ${pct(logs.accuracy)}` : "",
    logs.valLoss !== undefined ? `val_loss ${logs.valLoss.toFixed(4)}` : "",
    logs.valAccuracy !== undefined ? `val_acc ${pct(logs.valAccuracy)}` : "",
    `${rate(logs.samplesPerSecond)} samples/s`,
    formatDuration(logs.seconds),
  ].filter(Boolean);
  return parts.join("  ");
}
