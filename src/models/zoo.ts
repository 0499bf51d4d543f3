// The model zoo: architectures described by a small JSON spec, so that a saved file carries its own architecture
// (in the safetensors metadata) and `axon eval`/`predict` can rebuild the model with no code.
// Parameter names are PyTorch's for the same nn.Sequential, e.g. an MLP's first Linear is "1.weight" [out, in]
// after the Flatten at index 0; a cnn's first convolution is "0.weight" [out, in, kH, kW] (see cnn.ts).

import * as nn from "../nn/index.js";
import { Perceptron } from "./perceptron.js";
import { numel } from "../tensor/shape.js";
import { cnn, describeCnn, checkCnnSpec, CNN_SPEC_KEYS, type CnnSpec } from "./cnn.js";
import { checkOptionKeys, optionKeys } from "../util/options.js";

export { cnn, CNN_ARCHS, type CnnSpec, type CnnArch } from "./cnn.js";

export const ACTIVATIONS = ["relu", "tanh", "sigmoid", "gelu", "silu", "leakyRelu"] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

export interface MlpSpec {
  kind: "mlp";
  /** Shape of one input sample, e.g. [1, 28, 28] or [784]. */
  inputShape: number[];
  hidden: number[];
  /** Output units: N classes (softmax over logits), or 1 (a sigmoid probability for binary tasks). */
  outputs: number;
  activation: ActivationName;
  dropout: number;
}

export interface PerceptronSpec {
  kind: "perceptron";
  inputShape: number[];
  /** 1 for a binary perceptron, else the number of classes (the multi-class perceptron). */
  outputs: number;
}

export type ModelSpec = MlpSpec | PerceptronSpec | CnnSpec;

// A spec written in code is checked like an options object: a misspelt dropout would otherwise build a model
// without it. (checkSpec, for specs read from files, builds a fresh spec from the fields it knows.)
const MLP_SPEC_KEYS = optionKeys<MlpSpec>({ kind: true, inputShape: true, hidden: true, outputs: true, activation: true, dropout: true });
const PERCEPTRON_SPEC_KEYS = optionKeys<PerceptronSpec>({ kind: true, inputShape: true, outputs: true });

export function activationModule(name: ActivationName): nn.Module {
  switch (name) {
    case "relu": return new nn.ReLU();
    case "tanh": return new nn.Tanh();
    case "sigmoid": return new nn.Sigmoid();
    case "gelu": return new nn.GELU();
    case "silu": return new nn.SiLU();
    case "leakyRelu": return new nn.LeakyReLU();
  }
}

/** Flatten, then Linear-activation(-Dropout) blocks, then a Linear head producing logits. */
export function mlp(spec: MlpSpec): nn.Sequential {
  checkOptionKeys("mlp", spec, MLP_SPEC_KEYS);
  const layers: nn.Module[] = [new nn.Flatten()];
  let width = numel(spec.inputShape);
  for (const h of spec.hidden) {
    layers.push(new nn.Linear(width, h), activationModule(spec.activation));
    if (spec.dropout > 0) layers.push(new nn.Dropout(spec.dropout));
    width = h;
  }
  layers.push(new nn.Linear(width, spec.outputs));
  return new nn.Sequential(...layers);
}

export function buildModel(spec: ModelSpec): nn.Module | Perceptron {
  switch (spec.kind) {
    case "mlp": checkOptionKeys("buildModel", spec, MLP_SPEC_KEYS); return mlp(spec);
    case "perceptron": checkOptionKeys("buildModel", spec, PERCEPTRON_SPEC_KEYS); return new Perceptron(numel(spec.inputShape), spec.outputs);
    case "cnn": checkOptionKeys("buildModel", spec, CNN_SPEC_KEYS); return cnn(spec);
    default: throw new Error(`unknown model kind ${JSON.stringify((spec as { kind: unknown }).kind)} (known: mlp, perceptron, cnn)`);
  }
}

export function describeSpec(spec: ModelSpec): string {
  if (spec.kind === "cnn") return describeCnn(spec);
  if (spec.kind === "perceptron") return `perceptron ${numel(spec.inputShape)}-${spec.outputs} (${spec.outputs === 1 ? "step activation" : "argmax over class scores"}, perceptron rule)`;
  const sizes = [numel(spec.inputShape), ...spec.hidden, spec.outputs].join("-");
  return `mlp ${sizes} (${spec.activation}${spec.dropout > 0 ? `, dropout ${spec.dropout}` : ""})`;
}

/** Validates a spec read from a file, with errors that say which field is wrong. */
export function checkSpec(raw: unknown): ModelSpec {
  const s = raw as (Partial<Omit<MlpSpec, "kind">> & { kind?: string }) | undefined;
  const shapeOk = Array.isArray(s?.inputShape) && s.inputShape.length > 0 && s.inputShape.every((d) => Number.isInteger(d) && d > 0);
  if (!shapeOk) throw new Error(`model spec: inputShape must be a list of positive integers, got ${JSON.stringify(s?.inputShape)}`);
  const outputsOk = Number.isInteger(s.outputs) && s.outputs! > 0;
  if (s.kind === "perceptron") {
    const outputs = s.outputs ?? 1;
    if (!Number.isInteger(outputs) || outputs <= 0 || outputs === 2) throw new Error(`model spec: a perceptron's outputs must be 1 or a class count >= 3, got ${JSON.stringify(s.outputs)}`);
    return { kind: "perceptron", inputShape: s.inputShape!, outputs };
  }
  if (s.kind === "cnn") return checkCnnSpec(s as Record<string, unknown>, s.inputShape!);
  if (s.kind !== "mlp") throw new Error(`model spec: unknown kind ${JSON.stringify(s?.kind)} (known: mlp, perceptron, cnn)`);
  if (!Array.isArray(s.hidden) || !s.hidden.every((d) => Number.isInteger(d) && d > 0)) throw new Error(`model spec: hidden must be a list of positive integers, got ${JSON.stringify(s.hidden)}`);
  if (!outputsOk) throw new Error(`model spec: outputs must be a positive integer, got ${JSON.stringify(s.outputs)}`);
  if (!ACTIVATIONS.includes(s.activation as ActivationName)) throw new Error(`model spec: activation must be one of ${ACTIVATIONS.join(", ")}, got ${JSON.stringify(s.activation)}`);
  const dropout = s.dropout ?? 0;
  if (typeof dropout !== "number" || dropout < 0 || dropout >= 1) throw new Error(`model spec: dropout must be in [0, 1), got ${JSON.stringify(s.dropout)}`);
  return { kind: "mlp", inputShape: s.inputShape!, hidden: s.hidden, outputs: s.outputs!, activation: s.activation as ActivationName, dropout };
}
