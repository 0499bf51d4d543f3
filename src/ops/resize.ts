// Resizing: interpolate (torch.nn.functional.interpolate) in modes "nearest" ([N, C, W] and [N, C, H, W]) and
// "bilinear" ([N, C, H, W]), with PyTorch 1.13's output sizes and source positions.
//
// Both modes are separable: each output row (column) reads one or two input rows (columns) along one spatial dim at
// a time. So they are built from indexSelect along H and W, plus per-row weights for bilinear; autograd
// differentiates those ops, which gives exactly the adjoint: indexSelect's gradient adds each output gradient into
// the element it read (nearest), and the weights multiply the gradients on the way back (bilinear).
//
// PyTorch computes source positions in the input's scalar type (float32 for float32 inputs; nearest always in
// float32), and a float32 product can floor to a different index than the same product in float64 (e.g.
// d * (1 / 0.6)). Math.fround reproduces those roundings so the indices match PyTorch's, not only the values.

import { ShapeError, fmt } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { isFloat, type DType } from "../tensor/dtype.js";
import { tensor } from "./creation.js";
import { checkOptionKeys, optionKeys } from "../util/options.js";

export type InterpolateMode = "nearest" | "bilinear";

export interface InterpolateOptions {
  /** The output's spatial size: one number for every spatial dim, or one per dim. Exclusive with scaleFactor. */
  size?: number | readonly number[];
  /** Multiplier of each spatial size: the output size is floor(inputSize * scaleFactor), and the source positions
   *  use 1 / scaleFactor (not inputSize / outputSize), as PyTorch does without recompute_scale_factor. */
  scaleFactor?: number | readonly number[];
  /** "nearest" (default) or "bilinear" (4-D input only). */
  mode?: InterpolateMode;
  /** Bilinear only: map the corner pixels' centres onto each other (true) or the corners' edges (false, the
   *  default). PyTorch rejects it for nearest, and so does this. */
  alignCorners?: boolean | null;
}

export const INTERPOLATE_OPTION_KEYS = optionKeys<InterpolateOptions>({ size: true, scaleFactor: true, mode: true, alignCorners: true });

const MODES: readonly string[] = ["nearest", "bilinear"];

/** Resizes the spatial dims of input [N, C, W] (nearest) or [N, C, H, W] (nearest, bilinear). */
export function interpolate(input: Tensor, opts: InterpolateOptions = {}): Tensor {
  const op = "interpolate";
  checkOptionKeys(op, opts, INTERPOLATE_OPTION_KEYS);
  if (!(input instanceof Tensor)) throw new TypeError(`${op}: input must be a tensor`);
  const { size, scaleFactor, mode = "nearest", alignCorners } = opts;
  if (!MODES.includes(mode)) throw new RangeError(`${op}: mode must be one of ${MODES.map((m) => `"${m}"`).join(", ")}, got ${JSON.stringify(mode)}`);
  if (!isFloat(input.dtype)) throw new TypeError(`${op}: input must be floating point, got ${input.dtype} (shape ${fmt(input.shape)})`);
  if (mode === "nearest" && input.ndim !== 3 && input.ndim !== 4) {
    throw new ShapeError(`${op}: mode "nearest" expects a 3-D [N, C, W] or 4-D [N, C, H, W] input, got shape ${fmt(input.shape)}`);
  }
  if (mode === "bilinear" && input.ndim !== 4) throw new ShapeError(`${op}: mode "bilinear" expects a 4-D [N, C, H, W] input, got shape ${fmt(input.shape)}`);
  // PyTorch: "align_corners option can only be set with the interpolating modes"; silently ignoring it would hide
  // a caller's belief that it changes nearest's output.
  if (mode === "nearest" && alignCorners !== undefined && alignCorners !== null) {
    throw new RangeError(`${op}: alignCorners can only be set with mode "bilinear", got alignCorners=${alignCorners} with mode "nearest"`);
  }
  if (alignCorners !== undefined && alignCorners !== null && typeof alignCorners !== "boolean") throw new TypeError(`${op}: alignCorners must be a boolean, got ${JSON.stringify(alignCorners)}`);
  const inSize = input.shape.slice(2);
  const { outSize, scales } = outputSize(op, input, inSize, size, scaleFactor);

  if (mode === "nearest") {
    // No shortcut for an output of the input's size or twice it: PyTorch 1.13's forward on contiguous NCHW inputs
    // floors d / scale there too (scaleFactor 1.1 on 5 reads 0, 0, 1, 2, 3). Its backward (and its channels-last
    // forward) copies or takes d >> 1 instead, which is not the adjoint of that output; this gradient is.
    let y = input;
    inSize.forEach((n, i) => {
      y = y.indexSelect(2 + i, indexTensor(nearestIndices(n, outSize[i], scales[i])));
    });
    return y;
  }
  // Along W first, then H: the order PyTorch's kernel sums in, h0 * (w0 * x00 + w1 * x01) + h1 * (...).
  let y = input;
  for (const d of [1, 0]) {
    const { i0, i1, l0, l1 } = linearWeights(inSize[d], outSize[d], scales[d], alignCorners ?? false, input.dtype);
    const shape = d === 0 ? [outSize[d], 1] : [outSize[d]];
    const weight = (l: Float64Array): Tensor => tensor(l, { dtype: input.dtype }).reshape(shape);
    y = y.indexSelect(2 + d, indexTensor(i0)).mul(weight(l0)).add(y.indexSelect(2 + d, indexTensor(i1)).mul(weight(l1)));
  }
  return y;
}

/** The output's spatial size and the scale factor of each dim (null where size was given). */
function outputSize(op: string, input: Tensor, inSize: number[], size: InterpolateOptions["size"], scaleFactor: InterpolateOptions["scaleFactor"]): { outSize: number[]; scales: (number | null)[] } {
  const has = (v: unknown) => v !== undefined && v !== null;
  if (has(size) && has(scaleFactor)) throw new RangeError(`${op}: only one of size and scaleFactor may be given, got size=${JSON.stringify(size)} and scaleFactor=${JSON.stringify(scaleFactor)}`);
  if (!has(size) && !has(scaleFactor)) throw new RangeError(`${op}: either size or scaleFactor must be given (input shape ${fmt(input.shape)})`);
  const perDim = (name: string, v: number | readonly number[]): number[] => {
    if (typeof v === "number") return inSize.map(() => v);
    if (!Array.isArray(v) || v.length !== inSize.length) {
      throw new ShapeError(`${op}: ${name} must be a number or ${inSize.length} of them (one per spatial dim of input ${fmt(input.shape)}), got ${JSON.stringify(v)}`);
    }
    return [...v];
  };
  let outSize: number[], scales: (number | null)[];
  if (has(size)) {
    outSize = perDim("size", size!);
    if (outSize.some((s) => !Number.isInteger(s) || s < 1)) throw new RangeError(`${op}: size must hold positive integers, got ${JSON.stringify(size)}`);
    scales = inSize.map(() => null);
  } else {
    scales = perDim("scaleFactor", scaleFactor!);
    if (scales.some((s) => typeof s !== "number" || !Number.isFinite(s) || s <= 0)) throw new RangeError(`${op}: scaleFactor must hold positive finite numbers, got ${JSON.stringify(scaleFactor)}`);
    // floor(in * scale) in float64, as PyTorch's compute_output_size
    outSize = inSize.map((n, i) => Math.floor(n * scales[i]!));
  }
  if (inSize.some((n) => n < 1) || outSize.some((n) => n < 1)) {
    throw new ShapeError(`${op}: input and output sizes must be greater than 0, got input ${fmt(input.shape)} and output spatial size ${fmt(outSize)}`);
  }
  return { outSize, scales };
}

const indexTensor = (idx: number[]): Tensor => tensor(Int32Array.from(idx), { dtype: "int32" });

/** Source index of each output position: floor(d * ratio) in float32, ratio = 1 / scale (scale given) else in / out. */
function nearestIndices(n: number, out: number, scale: number | null): number[] {
  const ratio = Math.fround(scale !== null ? 1 / scale : n / out);
  return Array.from({ length: out }, (_, d) => Math.min(Math.floor(Math.fround(d * ratio)), n - 1));
}

/** The two source indices and weights of each output position along one dim, in the input's precision. */
function linearWeights(n: number, out: number, scale: number | null, alignCorners: boolean, dtype: DType): { i0: number[]; i1: number[]; l0: Float64Array; l1: Float64Array } {
  const r = dtype === "float32" ? Math.fround : (v: number) => v;
  const i0: number[] = [], i1: number[] = [];
  const l0 = new Float64Array(out), l1 = new Float64Array(out);
  // PyTorch copies when the size is unchanged, whatever the scale factor says.
  const ratio = alignCorners ? (out > 1 ? r((n - 1) / (out - 1)) : 0) : r(scale !== null ? 1 / scale : n / out);
  for (let d = 0; d < out; d++) {
    if (out === n) {
      i0.push(d); i1.push(d); l0[d] = 1; l1[d] = 0;
      continue;
    }
    // Pixel centres: output d sits at (d + 0.5) * ratio - 0.5 in the input, clamped at 0 (the left edge reads
    // pixel 0 only); past the right edge both indices are the last pixel, so the split of the weight is moot.
    let src = alignCorners ? r(ratio * d) : r(ratio * (d + 0.5) - 0.5);
    if (src < 0) src = 0;
    const a = Math.min(Math.trunc(src), n - 1);
    i0.push(a); i1.push(a < n - 1 ? a + 1 : a);
    l1[d] = Math.min(Math.max(r(src - a), 0), 1);
    l0[d] = r(1 - l1[d]);
  }
  return { i0, i1, l0, l1 };
}
