// What eval, predict and summary share: loading a saved model and running it on prepared inputs.

import { cat, noGrad, type Tensor, type SavedModel } from "../index.js";
import { loadModel } from "../node.js";
import { UsageError } from "./args.js";
import { normalize } from "./datasets.js";

export function openModel(file: string | undefined, command: string): SavedModel {
  if (!file) throw new UsageError(`axon ${command} needs a model file, e.g. axon ${command} axon-mlp-mnist.safetensors (made by axon train)`);
  return loadModel(file);
}

/** Class scores for raw inputs x (normalised as at training time): logits [N, C], or [N, 1] for a binary model. */
export function scores(saved: SavedModel, x: Tensor): Tensor {
  const model = saved.model;
  model.eval();
  return noGrad(() => {
    const xn = normalize(x, saved.input.normalize);
    const out = model.forward(xn);
    return out.ndim === 1 ? out.unsqueeze(1) : out;
  });
}

/** Predicted class index for each row of scores. */
export function predictedClasses(saved: SavedModel, s: Tensor): Int32Array {
  if (s.shape[1] === 1) {
    // Binary: an MLP's one logit fires above 0; a binary perceptron outputs 0/1 and fires above 0.5.
    const cut = saved.spec.kind === "perceptron" ? 0.5 : 0;
    return Int32Array.from(s.toTypedArray() as Float32Array, (v) => (v > cut ? 1 : 0));
  }
  return s.argmax(1).toTypedArray() as Int32Array;
}

/** Class probabilities [N, C] from an MLP's logits (softmax; for one logit, [1 - p, p] with p its sigmoid);
 *  null for a perceptron, which has scores but no probabilities. */
export function probabilities(saved: SavedModel, s: Tensor): Tensor | null {
  if (saved.spec.kind === "perceptron") return null;
  return noGrad(() => {
    if (s.shape[1] !== 1) return s.softmax(1);
    const p = s.sigmoid();
    return cat([p.neg().add(1), p], 1);
  });
}
