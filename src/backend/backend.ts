// The Backend interface: the complete list of kernels an Axon backend implements. Ops (src/ops) check their
// inputs, shape their outputs and call these; autograd never talks to a backend directly. A kernel reads
// strided views of typed arrays and writes a fresh, contiguous output array that the op allocated.
//
// A backend implements only these primitives; softmax, losses, layers and optimizers are compositions. A fast
// backend may add fused kernels later, but the reference backend stays the definition of what each one means.

import type { TypedArray } from "../tensor/dtype.js";

/** A strided window on a typed array: element i of a tensor of shape S sits at offset + sum(idx[d] * strides[d]). */
export interface View {
  data: TypedArray;
  offset: number;
  strides: readonly number[];
}

export type UnaryOp =
  | "neg" | "exp" | "log" | "sqrt" | "rsqrt" | "abs" | "sign" | "sin" | "cos" | "reciprocal" | "square" | "erf"
  | "floor" | "ceil" | "round" | "log1p" | "expm1"
  | "tanh" | "sigmoid" | "relu" | "gelu" | "geluTanh" | "silu"
  | "leakyRelu" // p0 = negative slope
  | "elu" // p0 = alpha
  | "softplus" // p0 = beta, p1 = threshold
  | "clamp" // p0 = min, p1 = max (NaN for none)
  | "isnan" | "isinf" | "not";

export type BinaryOp =
  | "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "minimum" | "atan2"
  | "eq" | "ne" | "lt" | "le" | "gt" | "ge" | "and" | "or"
  // relu's gradient in one pass: a > 0 ? b : 0 (a the input, b the output's gradient; NaN inputs give 0).
  | "reluBackward";

export type ReduceOp = "sum" | "max" | "min" | "prod";
export type ArgReduceOp = "argmax" | "argmin";

export interface MatmulParams {
  batch: number;
  m: number;
  n: number;
  k: number;
  /** A is stored [k, m] row-major (so the kernel reads its transpose) instead of [m, k]. */
  transA: boolean;
  /** B is stored [n, k] row-major instead of [k, n]. */
  transB: boolean;
  aOffset: number;
  bOffset: number;
  /** Elements between consecutive batch matrices; 0 repeats (broadcasts) one matrix. */
  aBatchStride: number;
  bBatchStride: number;
  /** When given (n elements): added to every row of every product, out[b, i, j] = (A_b B_b)[i, j] + bias[j]. */
  bias?: TypedArray | null;
  /** When true, relu is applied last (after the bias), as the unary "relu" does it: NaN kept, -0 made +0. */
  relu?: boolean;
}

/**
 * The geometry of a 2-D sliding window (convolution or pooling) over a contiguous input [batch, channels, height,
 * width]. The window at output (oh, ow) reads rows oh*strideH - padH + i*dilationH (i < kernelH) and columns
 * ow*strideW - padW + j*dilationW (j < kernelW); positions outside the input are padding. padH/padW are the padding
 * before the first row/column; the padding after is whatever outH/outW imply, so asymmetric ("same" with an even
 * kernel) and ceil-mode windows need no extra field.
 */
export interface Window2d {
  batch: number;
  channels: number;
  height: number;
  width: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilationH: number;
  dilationW: number;
  outH: number;
  outW: number;
}

/** A convolution's geometry: its window over the input, the channel groups and the output channels. */
export interface Conv2dGeometry extends Window2d {
  groups: number;
  outChannels: number;
}

/** The scalars of one SGD step (torch.optim.SGD); see Backend.sgdStep. */
export interface SgdStepParams {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
  /** The momentum buffer's first step: it starts as the gradient itself (no dampening). */
  first: boolean;
}

/** The scalars of one RMSprop step (torch.optim.RMSprop); see Backend.rmspropStep. */
export interface RmspropStepParams {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  maximize: boolean;
}

/** The scalars of one Adagrad step (torch.optim.Adagrad); see Backend.adagradStep. */
export interface AdagradStepParams {
  /** The step's learning rate, lr / (1 + (t - 1) * lrDecay). */
  clr: number;
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

/** The scalars of one Adam or AdamW step (torch.optim.Adam / AdamW); see Backend.adamStep. */
export interface AdamStepParams {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW: decay the parameter by (1 - lr*weightDecay); otherwise (Adam) add weightDecay*param to the gradient. */
  decoupled: boolean;
  maximize: boolean;
  /** The step being taken: 1 on the first update. */
  step: number;
}

export interface Backend {
  readonly name: string;

  /** out[i] = src at the i-th index of `shape` in row-major order; converts dtype if out's differs. */
  copy(src: View, shape: readonly number[], out: TypedArray): void;
  /** Writes a contiguous `src` into a strided window of `dst` (used by slicing backward, pad, concat). */
  scatterInto(src: TypedArray, shape: readonly number[], dst: View): void;

  /** out[i] = f(x[i]) over contiguous arrays of equal length. */
  unary(op: UnaryOp, x: TypedArray, out: TypedArray, p0?: number, p1?: number): void;
  /** out = a (op) b, with a and b already broadcast to `shape` through their strides. */
  binary(op: BinaryOp, a: View, b: View, shape: readonly number[], out: TypedArray): void;
  /** out = cond ? a : b, all three broadcast to `shape`. */
  where(cond: View, a: View, b: View, shape: readonly number[], out: TypedArray): void;

  /** Contiguous x seen as [outer, size, inner]; reduces the middle axis into out [outer, inner]. */
  reduce(op: ReduceOp, x: TypedArray, outer: number, size: number, inner: number, out: TypedArray): void;
  /** Contiguous x seen as [outer, size, inner]: softmax (or, with `log`, log-softmax) along the middle axis, shifted
   *  by each line's maximum; NaN anywhere in a line, or an infinite maximum, makes the line NaN (as in PyTorch). */
  softmax(x: TypedArray, outer: number, size: number, inner: number, out: TypedArray, log: boolean): void;
  /** As reduce, writing the index of the first extreme value into an Int32Array. */
  argReduce(op: ArgReduceOp, x: TypedArray, outer: number, size: number, inner: number, out: Int32Array): void;

  /**
   * Contiguous x seen as [outer, size, inner]: sorts each line along the middle axis and writes its first k entries
   * to values [outer, k, inner] (x's dtype) and their positions in the line to indices. Ascending, or descending;
   * NaN counts as larger than any number; equal values keep their order (stable).
   */
  sort(x: TypedArray, outer: number, size: number, inner: number, k: number, descending: boolean, values: TypedArray, indices: Int32Array): void;
  /** Contiguous x seen as [outer, size, inner]: running sums along the middle axis, from its end when `reverse`;
   *  out has x's shape and is written in full. */
  cumsum(x: TypedArray, outer: number, size: number, inner: number, out: TypedArray, reverse: boolean): void;

  /** Batched C[b] = op(A[b]) @ op(B[b]) with contiguous row-major output [batch, m, n]. */
  matmul(a: TypedArray, b: TypedArray, out: TypedArray, p: MatmulParams): void;

  /** Contiguous x seen as [outer, size, inner]: out[o, j, i] = x[o, index[j], i]. */
  indexSelect(x: TypedArray, outer: number, size: number, inner: number, index: Int32Array, out: TypedArray): void;
  /** The adjoint of indexSelect: out[o, index[j], i] += src[o, j, i]. */
  indexAdd(out: TypedArray, outer: number, size: number, inner: number, index: Int32Array, src: TypedArray): void;
  /** out[...] = x[... with dim replaced by index[...]]; index and out are contiguous of `indexShape`. */
  gather(x: View, dim: number, index: Int32Array, indexShape: readonly number[], out: TypedArray): void;
  /** The adjoint of gather: out (contiguous, shape `outShape`) at [... index[...] ...] += src[...]. */
  scatterAdd(out: TypedArray, outShape: readonly number[], dim: number, index: Int32Array, indexShape: readonly number[], src: TypedArray): void;
  /** As scatterAdd, but each position is overwritten with src[...] instead of added to; where an index repeats, the
   *  last in row-major order of the index wins. */
  scatter(out: TypedArray, outShape: readonly number[], dim: number, index: Int32Array, indexShape: readonly number[], src: TypedArray): void;

  // ---- convolutional networks
  /**
   * Convolution (cross-correlation) of contiguous x [batch, channels, height, width] with w [outChannels,
   * channels/groups, kernelH, kernelW], plus bias [outChannels] when given:
   *   out[b, o, oh, ow] = bias[o] + sum over c < channels/groups, i, j of
   *     w[o, c, i, j] * x[b, gi*channels/groups + c, oh*strideH - padH + i*dilationH, ow*strideW - padW + j*dilationW]
   * with gi = floor(o / (outChannels/groups)) the output channel's group and 0 where the position is padding.
   * out [batch, outChannels, outH, outW] is written in full. With relu, relu is applied last, as the unary "relu"
   * does it (NaN kept, -0 made +0).
   */
  conv2d(x: TypedArray, w: TypedArray, bias: TypedArray | null, g: Conv2dGeometry, out: TypedArray, relu?: boolean): void;
  /** conv2d's gradients for the output's gradient gy: gx (shaped as x), gw (as w) and gb ([outChannels]); a null one
   *  is not wanted, and each one given is written in full. x is read only for gw (null otherwise is fine). With gx
   *  alone this is the transposed convolution of gy. */
  conv2dBackward(x: TypedArray | null, w: TypedArray, gy: TypedArray, g: Conv2dGeometry, gx: TypedArray | null, gw: TypedArray | null, gb: TypedArray | null): void;
  // im2col and col2im (its adjoint) serve the ops built from them: transposed convolution, average pooling, unfold.
  /**
   * Unfolds windows into columns, the batch folded into the column axis:
   *   out[(c*kernelH + i)*kernelW + j, (b*outH + oh)*outW + ow] = x[b, c, oh*strideH - padH + i*dilationH, ow*strideW - padW + j*dilationW]
   * with 0 where the position is padding. x is contiguous [batch, channels, height, width]; out is
   * [channels*kernelH*kernelW, batch*outH*outW] and is written in full.
   */
  im2col(x: TypedArray, g: Window2d, out: TypedArray): void;
  /** The adjoint of im2col: out [batch, channels, height, width] (written in full) gets the sum of every column
   *  entry that im2col would read from each position; entries that fall on padding are dropped. */
  col2im(cols: TypedArray, g: Window2d, out: TypedArray): void;
  /**
   * Max pooling of contiguous x: out[b, c, oh, ow] = the max over the window's positions inside the input (padding
   * never wins; NaN propagates), and indices[b, c, oh, ow] = h*width + w of the first maximum (PyTorch's indices).
   */
  maxPool2d(x: TypedArray, g: Window2d, out: TypedArray, indices: Int32Array): void;
  /** Max pooling's gradient: gx [batch, channels, height, width] (written in full) is zero except where a window's
   *  maximum was, which gets the sum of gy over the windows that picked it (indices as maxPool2d wrote them). */
  maxPool2dBackward(gy: TypedArray, indices: Int32Array, g: Window2d, gx: TypedArray): void;

  // ---- fused fast paths: optional. Callers fall back to the reference backend's definition when one is missing.
  /**
   * One Adam/AdamW step, in place, over equal-length param, grad and state arrays (maxExpAvgSq only with AMSGrad),
   * with the arithmetic of src/optim/adam.ts's documented update: float64 scalars, the arrays' own precision for
   * what is stored. The reference (src/backend/reference/optim.ts) is the definition.
   */
  adamStep?(param: TypedArray, grad: TypedArray, expAvg: TypedArray, expAvgSq: TypedArray, maxExpAvgSq: TypedArray | null, p: AdamStepParams): void;
  /** One SGD step, in place, over equal-length param and grad (and the momentum buffer, null without momentum),
   *  with the arithmetic of src/backend/reference/optim.ts's sgdStep (the definition). */
  sgdStep?(param: TypedArray, grad: TypedArray, momentumBuffer: TypedArray | null, p: SgdStepParams): void;
  /** One RMSprop step, in place: gradAvg only when centered, momentumBuffer only with momentum > 0. The reference
   *  (src/backend/reference/optim.ts) is the definition. */
  rmspropStep?(param: TypedArray, grad: TypedArray, squareAvg: TypedArray, gradAvg: TypedArray | null, momentumBuffer: TypedArray | null, p: RmspropStepParams): void;
  /** One Adagrad step, in place, over param, grad and the running sum of squares. */
  adagradStep?(param: TypedArray, grad: TypedArray, sum: TypedArray, p: AdagradStepParams): void;
}
