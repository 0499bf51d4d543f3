// linear and embedding: the functional forms of nn.Linear and nn.Embedding.

import { Tensor } from "../../tensor/tensor.js";
import { ShapeError, fmt } from "../../tensor/shape.js";
import { where } from "../../ops/elementwise.js";

/**
 * y = x W^T + b, x of shape [..., in], weight [out, in], bias [out]. weight.t() is a strided view that the matmul
 * kernel reads as a transposed operand, so no copy of W is made forward or backward.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  if (!(x instanceof Tensor) || !(weight instanceof Tensor)) throw new TypeError("linear: input and weight must be tensors");
  if (weight.ndim !== 2) throw new ShapeError(`linear: weight must be 2-D [outFeatures, inFeatures], got shape ${fmt(weight.shape)}`);
  if (x.ndim === 0) throw new ShapeError("linear: input must have at least 1 dimension (its last is the features), got a 0-D tensor");
  const inF = weight.shape[1], outF = weight.shape[0];
  if (x.shape[x.ndim - 1] !== inF) {
    throw new ShapeError(`linear: input has ${x.shape[x.ndim - 1]} features (shape ${fmt(x.shape)}) but the weight expects ${inF} (weight shape ${fmt(weight.shape)})`);
  }
  const y = x.matmul(weight.t());
  if (bias === null || bias === undefined) return y;
  if (bias.ndim !== 1 || bias.shape[0] !== outF) throw new ShapeError(`linear: bias must have shape [${outF}] to match the weight ${fmt(weight.shape)}, got ${fmt(bias.shape)}`);
  return y.add(bias);
}

/**
 * Rows of `weight` ([numEmbeddings, dim]) picked by the int32 `input` (any shape): output [...input.shape, dim].
 * The row at paddingIdx is looked up like any other but gets no gradient, as in PyTorch.
 */
export function embedding(input: Tensor, weight: Tensor, paddingIdx: number | null = null): Tensor {
  if (!(input instanceof Tensor) || !(weight instanceof Tensor)) throw new TypeError("embedding: input and weight must be tensors");
  if (input.dtype !== "int32") throw new TypeError(`embedding: input must hold int32 indices, got ${input.dtype} (shape ${fmt(input.shape)}); use .int()`);
  if (weight.ndim !== 2) throw new ShapeError(`embedding: weight must be 2-D [numEmbeddings, embeddingDim], got shape ${fmt(weight.shape)}`);
  const n = weight.shape[0];
  const pad = paddingIdx === null ? null : paddingIdx < 0 ? paddingIdx + n : paddingIdx;
  if (pad !== null && (!Number.isInteger(pad) || pad < 0 || pad >= n)) throw new RangeError(`embedding: paddingIdx ${paddingIdx} is out of range for ${n} embeddings`);
  const flat = input.reshape([-1]);
  let rows = weight.indexSelect(0, flat);
  // The padding row is read through a detached view, so its gradient is cut while its value is kept.
  if (pad !== null) rows = where(flat.eq(pad).unsqueeze(1), weight.detach().indexSelect(0, flat), rows);
  return rows.reshape([...input.shape, weight.shape[1]]);
}
