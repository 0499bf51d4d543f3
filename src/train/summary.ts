// summary(model, inputShape): a Keras-style table of a model's layers, each one's output shape and parameter count.
// It runs one forward pass on a batch of zeros in eval mode, without gradients, and records what every leaf module
// returns by wrapping its forward() for the duration of the call, so it works for any Module, not only Sequential.

import { noGrad } from "../autograd/grad_mode.js";
import { zeros } from "../ops/creation.js";
import { Tensor } from "../tensor/tensor.js";
import type { AnyModule } from "../nn/module.js";

export interface LayerSummary {
  /** The module's path in the state dict, e.g. "1" or "encoder.0". */
  name: string;
  type: string;
  /** Output shape with the batch dimension as -1, or null when the output is not a tensor. */
  outputShape: number[] | null;
  /** Parameters the module holds itself (not its children). */
  params: number;
  trainable: number;
}

export interface ModelSummary {
  layers: LayerSummary[];
  inputShape: number[];
  outputShape: number[] | null;
  totalParams: number;
  trainableParams: number;
  /** Bytes of parameter storage. */
  paramBytes: number;
  /** The table, as printed by `axon summary`. */
  text: string;
}

const count = (n: number): string => n.toLocaleString("en-US");
const shapeText = (s: number[] | null): string => (s === null ? "-" : `[${s.join(", ")}]`);

/** Summarises `model` for inputs of one sample's shape `inputShape` (without the batch dimension). */
export function summary(model: AnyModule, inputShape: readonly number[]): ModelSummary {
  if (!inputShape.every((d) => Number.isInteger(d) && d > 0)) throw new RangeError(`summary: inputShape must be positive integers, got [${inputShape.join(", ")}]`);
  const layers: LayerSummary[] = [];
  const wrapped: AnyModule[] = [];
  for (const [name, m] of model.namedModules()) {
    if (name === "" || m.children().length > 0) continue; // leaves only: containers' outputs are their last child's
    const own = m.parameters(false);
    const entry: LayerSummary = {
      name, type: m.constructor.name, outputShape: null,
      params: own.reduce((s, p) => s + p.numel(), 0),
      trainable: own.filter((p) => p.requiresGrad).reduce((s, p) => s + p.numel(), 0),
    };
    const original = m.forward;
    Object.defineProperty(m, "forward", {
      configurable: true, enumerable: false, writable: true,
      value: (...args: unknown[]) => {
        const out = (original as (...a: unknown[]) => unknown).apply(m, args);
        if (out instanceof Tensor) entry.outputShape = [-1, ...out.shape.slice(1)];
        layers.push(entry);
        return out;
      },
    });
    wrapped.push(m);
  }
  const wasTraining = model.training;
  model.eval();
  let output: unknown;
  try {
    output = noGrad(() => model.call(zeros([1, ...inputShape])));
  } finally {
    for (const m of wrapped) delete (m as unknown as { forward?: unknown }).forward;
    model.train(wasTraining);
  }
  // Leaves that were never called (unused modules) still own parameters: list them at the end.
  for (const [name, m] of model.namedModules()) {
    if (name === "" || m.children().length > 0 || layers.some((l) => l.name === name)) continue;
    const own = m.parameters(false);
    layers.push({ name, type: m.constructor.name, outputShape: null, params: own.reduce((s, p) => s + p.numel(), 0), trainable: own.filter((p) => p.requiresGrad).reduce((s, p) => s + p.numel(), 0) });
  }
  const all = model.parameters();
  const totalParams = all.reduce((s, p) => s + p.numel(), 0);
  const trainableParams = all.filter((p) => p.requiresGrad).reduce((s, p) => s + p.numel(), 0);
  const paramBytes = all.reduce((s, p) => s + p.numel() * p.data.BYTES_PER_ELEMENT, 0);
  const outputShape = output instanceof Tensor ? [-1, ...output.shape.slice(1)] : null;

  const rows = layers.map((l) => [`${l.name} (${l.type})`, shapeText(l.outputShape), count(l.params)]);
  const head = ["Layer (type)", "Output shape", "Params"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `${r[0].padEnd(widths[0])}  ${r[1].padEnd(widths[1])}  ${r[2].padStart(widths[2])}`;
  const rule = "-".repeat(widths[0] + widths[1] + widths[2] + 4);
  const text = [
    `Input shape: ${shapeText([-1, ...inputShape])}`,
    rule, line(head), rule.replace(/-/g, "="), ...rows.map(line), rule,
    `Total params: ${count(totalParams)}`,
    `Trainable params: ${count(trainableParams)}`,
    `Non-trainable params: ${count(totalParams - trainableParams)}`,
    `Parameter size: ${(paramBytes / 2 ** 20).toFixed(2)} MiB`,
  ].join("\n");
  return { layers, inputShape: [...inputShape], outputShape, totalParams, trainableParams, paramBytes, text };
}
