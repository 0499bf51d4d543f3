// The training loop: fit() runs epochs of forward, loss, backward and optimizer step over a data loader, keeps a
// history, evaluates on validation data and calls callbacks (progress display, early stopping, schedulers).
// It relies only on small structural interfaces, so any module, optimizer or iterable of batches fits.

import { noGrad } from "../autograd/grad_mode.js";
import { fmt } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { cat } from "../ops/movement.js";
import { checkOptionKeys, optionKeys } from "../util/options.js";

export interface TrainableModel {
  forward(x: Tensor): Tensor;
  train(mode?: boolean): unknown;
  eval(): unknown;
  stateDict?(): Record<string, Tensor> | Map<string, Tensor>;
  loadStateDict?(dict: Record<string, Tensor> | Map<string, Tensor>): unknown;
}

export interface StepOptimizer {
  zeroGrad(): void;
  step(): unknown;
}

/** Batches of [inputs, targets]; a DataLoader is one. `length` (batches per epoch) enables progress estimates. */
export type Batches = Iterable<readonly Tensor[]> & { length?: number; datasetLength?: number };

export type LossFn = (output: Tensor, target: Tensor) => Tensor;

export interface EpochLogs {
  epoch: number;
  loss: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  lr?: number;
  seconds: number;
  samplesPerSecond: number;
}

export interface BatchLogs {
  epoch: number;
  batch: number;
  batches?: number;
  samples: number;
  loss: number;
  accuracy?: number;
  samplesPerSecond: number;
  seconds: number;
}

export interface Callback {
  onTrainBegin?(info: { epochs: number; batches?: number }): void;
  onEpochBegin?(epoch: number): void;
  onBatchEnd?(logs: BatchLogs): void;
  /** Return true to stop training after this epoch. */
  onEpochEnd?(logs: EpochLogs, control: { model: TrainableModel }): boolean | void;
  onTrainEnd?(history: History): void;
}

export interface History {
  epochs: EpochLogs[];
  /** Why training ended: all epochs ran, or a callback stopped it. */
  stoppedEarly: boolean;
}

export interface FitOptions {
  loss: LossFn;
  optimizer: StepOptimizer;
  epochs?: number;
  validation?: Batches;
  callbacks?: Callback[];
  /** Counts correct predictions in a batch; the default handles class logits [N, C] with int32 targets [N] and one
   *  probability column [N] / [N, 1] against 0/1 targets. Pass null to skip accuracy. */
  accuracy?: ((output: Tensor, target: Tensor) => number) | null;
  /** Called after each epoch, e.g. a learning-rate scheduler; receives the epoch's logs. */
  onEpoch?: (logs: EpochLogs) => void;
  /** The optimizer's current learning rate, for the logs. */
  lr?: () => number;
  now?: () => number;
}

const FIT_OPTION_KEYS = optionKeys<FitOptions>({
  loss: true, optimizer: true, epochs: true, validation: true, callbacks: true, accuracy: true, onEpoch: true, lr: true, now: true,
});

const clock = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());

export function defaultAccuracy(output: Tensor, target: Tensor): number {
  return noGrad(() => {
    if (target.dtype === "int32" && output.ndim >= 2 && output.shape[1] > 1) {
      return output.argmax(1).eq(target).sum().item();
    }
    const probs = output.reshape([-1]);
    const t = target.reshape([-1]);
    if (probs.numel() !== t.numel()) throw new Error(`accuracy: cannot compare output ${fmt(output.shape)} with target ${fmt(target.shape)}; pass an accuracy function or null`);
    return probs.gt(0.5).eq(t.gt(0.5)).sum().item();
  });
}

function batchSize(x: Tensor): number {
  return x.ndim === 0 ? 1 : x.shape[0];
}

export function fit(model: TrainableModel, data: Batches, opts: FitOptions): History {
  checkOptionKeys("fit", opts, FIT_OPTION_KEYS);
  const { loss, optimizer, epochs = 1, validation, callbacks = [], onEpoch, lr } = opts;
  const accuracy = opts.accuracy === undefined ? defaultAccuracy : opts.accuracy;
  const now = opts.now ?? clock;
  const history: History = { epochs: [], stoppedEarly: false };
  callbacks.forEach((c) => c.onTrainBegin?.({ epochs, batches: data.length }));
  for (let epoch = 1; epoch <= epochs; epoch++) {
    model.train(true);
    callbacks.forEach((c) => c.onEpochBegin?.(epoch));
    const start = now();
    let seen = 0, lossSum = 0, correct = 0, batch = 0;
    for (const b of data) {
      const [x, y] = b;
      if (!(x instanceof Tensor) || !(y instanceof Tensor)) throw new TypeError("fit: each batch must be [inputs, targets] tensors");
      optimizer.zeroGrad();
      const out = model.forward(x);
      const l = loss(out, y);
      if (l.numel() !== 1) throw new Error(`fit: the loss must be a scalar, got shape ${fmt(l.shape)} (use reduction "mean" or "sum")`);
      l.backward();
      optimizer.step();
      const n = batchSize(x);
      const lv = l.item();
      if (!Number.isFinite(lv)) throw new Error(`fit: the loss became ${lv} at epoch ${epoch}, batch ${batch + 1} (learning rate too high?)`);
      seen += n;
      lossSum += lv * n;
      if (accuracy) correct += accuracy(out, y);
      batch++;
      const seconds = (now() - start) / 1000;
      const logs: BatchLogs = { epoch, batch, batches: data.length, samples: seen, loss: lossSum / seen, samplesPerSecond: seen / Math.max(seconds, 1e-9), seconds };
      if (accuracy) logs.accuracy = correct / seen;
      callbacks.forEach((c) => c.onBatchEnd?.(logs));
    }
    if (seen === 0) throw new Error("fit: the training data yielded no batches (empty dataset, or dropLast with fewer samples than one batch?)");
    const seconds = (now() - start) / 1000;
    const logs: EpochLogs = { epoch, loss: lossSum / seen, seconds, samplesPerSecond: seen / Math.max(seconds, 1e-9) };
    if (accuracy) logs.accuracy = correct / seen;
    if (lr) logs.lr = lr();
    if (validation) {
      const v = evaluate(model, validation, { loss, accuracy });
      logs.valLoss = v.loss;
      if (v.accuracy !== undefined) logs.valAccuracy = v.accuracy;
    }
    history.epochs.push(logs);
    onEpoch?.(logs);
    let stop = false;
    for (const c of callbacks) if (c.onEpochEnd?.(logs, { model })) stop = true;
    if (stop) {
      history.stoppedEarly = true;
      break;
    }
  }
  callbacks.forEach((c) => c.onTrainEnd?.(history));
  return history;
}

export interface EvaluateOptions {
  loss?: LossFn;
  accuracy?: ((output: Tensor, target: Tensor) => number) | null;
}

const EVALUATE_OPTION_KEYS = optionKeys<EvaluateOptions>({ loss: true, accuracy: true });

/** Mean loss and accuracy over all batches, in eval mode and without recording gradients. */
export function evaluate(model: TrainableModel, data: Batches, opts: EvaluateOptions = {}): { loss?: number; accuracy?: number; samples: number } {
  checkOptionKeys("evaluate", opts, EVALUATE_OPTION_KEYS);
  const accuracy = opts.accuracy === undefined ? defaultAccuracy : opts.accuracy;
  model.eval();
  try {
    return noGrad(() => {
      let seen = 0, lossSum = 0, correct = 0;
      for (const [x, y] of data) {
        const out = model.forward(x);
        const n = batchSize(x);
        if (opts.loss) lossSum += opts.loss(out, y).item() * n;
        if (accuracy) correct += accuracy(out, y);
        seen += n;
      }
      const result: { loss?: number; accuracy?: number; samples: number } = { samples: seen };
      if (opts.loss && seen > 0) result.loss = lossSum / seen;
      if (accuracy && seen > 0) result.accuracy = correct / seen;
      return result;
    });
  } finally {
    model.train(true);
  }
}

export interface PredictOptions {
  /** Samples per forward pass (default 256). */
  batchSize?: number;
}

const PREDICT_OPTION_KEYS = optionKeys<PredictOptions>({ batchSize: true });

/** The model's outputs for x, computed in batches in eval mode without gradients. */
export function predict(model: TrainableModel, x: Tensor, opts: PredictOptions = {}): Tensor {
  checkOptionKeys("predict", opts, PREDICT_OPTION_KEYS);
  const bs = opts.batchSize ?? 256;
  model.eval();
  try {
    return noGrad(() => {
      const outs: Tensor[] = [];
      for (let i = 0; i < x.shape[0]; i += bs) outs.push(model.forward(x.narrow(0, i, Math.min(bs, x.shape[0] - i))));
      return outs.length === 1 ? outs[0] : cat(outs, 0);
    });
  } finally {
    model.train(true);
  }
}

export interface EarlyStoppingOptions {
  monitor?: "valLoss" | "loss" | "valAccuracy" | "accuracy";
  /** Epochs without improvement before stopping. */
  patience?: number;
  minDelta?: number;
  /** Put back the weights of the best epoch when stopping (needs stateDict/loadStateDict on the model). */
  restoreBestWeights?: boolean;
}

const EARLY_STOPPING_OPTION_KEYS = optionKeys<EarlyStoppingOptions>({ monitor: true, patience: true, minDelta: true, restoreBestWeights: true });

/** Stops training when the monitored value has not improved for `patience` epochs. */
export class EarlyStopping implements Callback {
  readonly monitor: NonNullable<EarlyStoppingOptions["monitor"]>;
  readonly patience: number;
  readonly minDelta: number;
  readonly restoreBestWeights: boolean;
  best = NaN;
  bestEpoch = 0;
  private wait = 0;
  private bestWeights: Map<string, Tensor> | null = null;

  constructor(opts: EarlyStoppingOptions = {}) {
    checkOptionKeys("EarlyStopping", opts, EARLY_STOPPING_OPTION_KEYS);
    this.monitor = opts.monitor ?? "valLoss";
    this.patience = opts.patience ?? 3;
    this.minDelta = opts.minDelta ?? 0;
    this.restoreBestWeights = opts.restoreBestWeights ?? false;
  }

  onEpochEnd(logs: EpochLogs, { model }: { model: TrainableModel }): boolean {
    const value = logs[this.monitor];
    if (value === undefined) throw new Error(`EarlyStopping: "${this.monitor}" is not in the epoch logs (is validation data given?)`);
    const higherIsBetter = this.monitor.toLowerCase().includes("accuracy");
    const improved = Number.isNaN(this.best) || (higherIsBetter ? value > this.best + this.minDelta : value < this.best - this.minDelta);
    if (improved) {
      this.best = value;
      this.bestEpoch = logs.epoch;
      this.wait = 0;
      if (this.restoreBestWeights && model.stateDict) {
        const sd = model.stateDict();
        const entries = sd instanceof Map ? [...sd.entries()] : Object.entries(sd);
        this.bestWeights = new Map(entries.map(([k, v]) => [k, v.detach().clone()]));
      }
      return false;
    }
    this.wait++;
    if (this.wait < this.patience) return false;
    if (this.restoreBestWeights && this.bestWeights && model.loadStateDict) model.loadStateDict(this.bestWeights);
    return true;
  }
}
