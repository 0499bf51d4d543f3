// A saved Axon model is a plain safetensors file: the weights under PyTorch's names, and in the metadata the
// architecture spec (so it can be rebuilt with no code), what the inputs are (dataset, class names, normalisation)
// and the metrics measured when it was saved. Any safetensors reader can load the weights.

import { parseSafetensors, serializeSafetensors, SafetensorsError } from "./safetensors.js";
import { buildModel, checkSpec, type ModelSpec } from "../models/zoo.js";
import type { Tensor } from "../tensor/tensor.js";

export const FORMAT_VERSION = "1";

export interface InputInfo {
  /** Where the model's training data came from, e.g. "mnist". */
  dataset: string;
  /** Class names, index = class id (empty for regression). */
  classes: string[];
  /** Inputs are mapped to (x - mean) / std before the model sees them: one number for all inputs, or one per column. */
  normalize?: { mean: number | number[]; std: number | number[] };
  /** Where the data came from (a directory, a CSV file and its label column), so it can be loaded again. */
  source?: Record<string, string>;
}

export interface SavedModel {
  spec: ModelSpec;
  input: InputInfo;
  metrics: Record<string, number>;
  model: ReturnType<typeof buildModel>;
  /** All the file's metadata, including entries other tools added (e.g. "axon.history", the training curves). */
  metadata: Record<string, string>;
}

interface HasState {
  stateDict(): Record<string, Tensor> | Map<string, Tensor>;
  loadStateDict(dict: Record<string, Tensor> | Map<string, Tensor>): unknown;
}

/** `extra` adds metadata entries beside Axon's own (`axon train` stores the per-epoch history as "axon.history"). */
export function serializeModel(model: HasState, spec: ModelSpec, input: InputInfo, metrics: Record<string, number> = {}, extra: Record<string, string> = {}): Uint8Array {
  return serializeSafetensors(model.stateDict(), {
    ...extra,
    "axon.format": FORMAT_VERSION,
    "axon.architecture": JSON.stringify(spec),
    "axon.input": JSON.stringify(input),
    "axon.metrics": JSON.stringify(metrics),
  });
}

export function parseModel(bytes: Uint8Array): SavedModel {
  const { tensors, metadata } = parseSafetensors(bytes);
  const arch = metadata["axon.architecture"];
  if (arch === undefined) throw new SafetensorsError('this safetensors file has no "axon.architecture" metadata, so it holds weights but no model; load it with load() and loadStateDict() into a model you build');
  const json = (key: string, fallback: string) => {
    try {
      return JSON.parse(metadata[key] ?? fallback) as unknown;
    } catch (e) {
      throw new SafetensorsError(`metadata "${key}" is not valid JSON (${(e as Error).message})`);
    }
  };
  const spec = checkSpec(json("axon.architecture", "null"));
  const input = json("axon.input", '{"dataset":"unknown","classes":[]}') as InputInfo;
  const metrics = json("axon.metrics", "{}") as Record<string, number>;
  const model = buildModel(spec);
  (model as unknown as HasState).loadStateDict(tensors);
  return { spec, input, metrics, model, metadata };
}
