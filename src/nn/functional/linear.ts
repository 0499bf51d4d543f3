// linear and embedding: the functional forms of nn.Linear and nn.Embedding.

import { Tensor, contiguousData, empty } from "../../tensor/tensor.js";
import { sliceDims, ShapeError, fmt, numel } from "../../tensor/shape.js";
import { isFloat, promoteTypes, type TypedArray } from "../../tensor/dtype.js";
import { getBackend } from "../../backend/registry.js";
import { exclusive, record } from "../../autograd/graph.js";
import { reluBackward, where } from "../../ops/elementwise.js";

/**
 * y = x W^T + b, x of shape [..., in], weight [out, in], bias [out]: one op with its own gradient rule, so every
 * product reads W where it lies and each gradient comes out in its parameter's layout:
 *   forward  y  = x @ W^T     (the GEMM reads W [out, in] as a transposed operand)
 *   backward dx = dy @ W,  dW = dy^T @ x  (dy [rows, out] read transposed),  db = dy summed over rows.
 * Written as x.matmul(weight.t()), dW would arrive as a transposed view of an [in, out] product and cost a
 * strided copy when accumulated (~0.35 ms of a 6 ms MLP training step), and the graph would have two more nodes.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  return linearWith(x, weight, bias, false);
}

/**
 * relu(linear(x, weight, bias)) as one op: the kernel applies relu in the pass that adds the bias, so a layer and
 * its activation cost one output tensor, one graph node and no separate pass (a batch-1 relu was ~1.2 us, mostly
 * call overhead). Exactly relu's values and gradient: the same float32 results as the two ops one after the other.
 * nn.Sequential uses it for an nn.Linear followed by an nn.ReLU.
 */
export function linearRelu(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  return linearWith(x, weight, bias, true);
}

function linearWith(x: Tensor, weight: Tensor, bias: Tensor | null, relu: boolean): Tensor {
  if (!(x instanceof Tensor) || !(weight instanceof Tensor)) throw new TypeError("linear: input and weight must be tensors");
  if (weight.ndim !== 2) throw new ShapeError(`linear: weight must be 2-D [outFeatures, inFeatures], got shape ${fmt(weight.shape)}`);
  if (x.ndim === 0) throw new ShapeError("linear: input must have at least 1 dimension (its last is the features), got a 0-D tensor");
  const inF = weight.shape[1], outF = weight.shape[0];
  if (x.shape[x.ndim - 1] !== inF) {
    throw new ShapeError(`linear: input has ${x.shape[x.ndim - 1]} features (shape ${fmt(x.shape)}) but the weight expects ${inF} (weight shape ${fmt(weight.shape)})`);
  }
  if (bias !== null && bias !== undefined) {
    if (!(bias instanceof Tensor)) throw new TypeError("linear: bias must be a tensor or null");
    if (bias.ndim !== 1 || bias.shape[0] !== outF) throw new ShapeError(`linear: bias must have shape [${outF}] to match the weight ${fmt(weight.shape)}, got ${fmt(bias.shape)}`);
  }
  const b = bias ?? null;
  let dt = promoteTypes(x.dtype, weight.dtype);
  if (b !== null) dt = promoteTypes(dt, b.dtype);
  if (!isFloat(dt)) throw new TypeError(`linear: expected floating-point input and weight, got ${x.dtype} and ${weight.dtype}`);
  const xc = x.to(dt), wc = weight.to(dt), bc = b === null ? null : b.to(dt);
  const lead = sliceDims(x.shape, 0, -1), rows = numel(lead);
  const xd = contiguousData(xc), wd = contiguousData(wc);
  const out = empty([...lead, outF], dt);
  // The bias rides in the product (the backend's addmm): one kernel call, one pass over the output.
  gemm(xd, wd, out.data, rows, outF, inF, false, true, bc === null ? null : contiguousData(bc), relu);
  const inputs = bc === null ? [xc, wc] : [xc, wc, bc];
  return record(relu ? "linearRelu" : "linear", out, inputs, (gy, owned) => {
    // relu's gradient first (g where the output is > 0), into gy's storage when it is this rule's to overwrite.
    const g = contiguousData(relu ? reluBackward(out, gy, owned) : gy);
    let gx: Tensor | null = null, gw: Tensor | null = null, gb: Tensor | null = null;
    // Every gradient here is fresh and held by no one else (exclusive): a leaf may keep it without a copy, and the
    // rule that receives it (the previous layer's relu) may overwrite it.
    if (xc.requiresGrad) {
      gx = exclusive(empty(xc.shape, dt));
      gemm(g, wd, gx.data, rows, inF, outF, false, false);
    }
    if (wc.requiresGrad) {
      gw = exclusive(empty([outF, inF], dt));
      gemm(g, xd, gw.data, outF, inF, rows, true, false);
    }
    if (bc !== null && bc.requiresGrad) {
      gb = exclusive(empty([outF], dt));
      getBackend().reduce("sum", g, 1, rows, outF, gb.data);
    }
    return bc === null ? [gx, gw] : [gx, gw, gb];
  });
}

/** c [m, n] = op(a) @ op(b) (+ bias on every row): one product, operands read in place (transA/transB). */
function gemm(a: TypedArray, b: TypedArray, c: TypedArray, m: number, n: number, k: number, transA: boolean, transB: boolean, bias: TypedArray | null = null, relu = false): void {
  getBackend().matmul(a, b, c, { batch: 1, m, n, k, transA, transB, aOffset: 0, bOffset: 0, aBatchStride: 0, bBatchStride: 0, bias, relu });
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
