// Convolution and pooling over NCHW tensors, with PyTorch's arguments (camelCase) and output sizes.
//
// Convolution is a backend kernel (Backend.conv2d, defined in the reference backend as im2col + a GEMM per group,
// image by image), and so are all of its gradients at once (conv2dBackward). convTranspose2d is convolution's
// input gradient run forwards, so it uses the same two kernels with the roles swapped. Average pooling is im2col
// plus a sum; adaptive average pooling is two small averaging matmuls; max pooling has a kernel of its own.
//
// conv1d runs as conv2d on a height-1 image. Unbatched inputs ([C, H, W], [C, L]) are accepted, as in PyTorch.

import type { Conv2dGeometry, Window2d } from "../backend/backend.js";
import { getBackend } from "../backend/registry.js";
import { exclusive, record } from "../autograd/graph.js";
import { allocateUninitialized, isFloat, promoteTypes, type DType, type TypedArray } from "../tensor/dtype.js";
import { sliceDims, ShapeError, fmt } from "../tensor/shape.js";
import { Tensor, contiguousData, empty, filled } from "../tensor/tensor.js";
import { reluBackward } from "./elementwise.js";
import { checkOptionKeys, optionKeys } from "../util/options.js";

export type Size2 = number | readonly [number, number];
export type Size1 = number | readonly [number];

export interface Conv2dOptions {
  stride?: Size2;
  /** Zero padding on both sides of each spatial dim, or "valid" (none) or "same" (output size = input size;
   *  stride 1 only; an odd total padding puts the extra row/column after, as PyTorch does). */
  padding?: Size2 | "same" | "valid";
  dilation?: Size2;
  groups?: number;
}

export interface Conv1dOptions {
  stride?: Size1;
  padding?: Size1 | "same" | "valid";
  dilation?: Size1;
  groups?: number;
}

export interface ConvTranspose2dOptions {
  stride?: Size2;
  /** As PyTorch: the input is implicitly padded by dilation*(k-1) - padding, so the output shrinks by 2*padding. */
  padding?: Size2;
  /** Extra rows/columns added to one side of the output, to pick among the sizes a strided conv maps to the same
   *  input size. Must be smaller than stride or dilation. */
  outputPadding?: Size2;
  groups?: number;
  dilation?: Size2;
}

const CONV2D_OPTION_KEYS = optionKeys<Conv2dOptions>({ stride: true, padding: true, dilation: true, groups: true });
const CONV1D_OPTION_KEYS = optionKeys<Conv1dOptions>({ stride: true, padding: true, dilation: true, groups: true });
const CONV_TRANSPOSE2D_OPTION_KEYS = optionKeys<ConvTranspose2dOptions>({ stride: true, padding: true, outputPadding: true, groups: true, dilation: true });

// ---- scratch storage ---------------------------------------------------------------------------------------------

/**
 * Reused arrays for average pooling's temporaries that die inside the call that makes them (the unfolded windows,
 * their gradient before col2im). Unfolded windows are among the largest arrays of a CNN step, and a fresh
 * allocation of each every step costs more than the kernels that fill them: the memory must be faulted in, and
 * the garbage collector runs more often.
 * One array per (slot, dtype), grown as needed. Safe because kernels are synchronous and no slot is used twice
 * within one call; an array that outlives its call (one a backward pass reads) is never scratch.
 */
const scratchArrays = new Map<string, TypedArray>();

function scratch(slot: string, dt: DType, n: number): TypedArray {
  const key = `${slot}:${dt}`;
  let a = scratchArrays.get(key);
  if (a === undefined || a.length < n) {
    a = allocateUninitialized(dt, n);
    scratchArrays.set(key, a);
  }
  return a.length === n ? a : a.subarray(0, n);
}

// ---- argument checking -------------------------------------------------------------------------------------------

function tuple(op: string, name: string, v: number | readonly number[], n: number, min: number): number[] {
  const list = typeof v === "number" ? new Array<number>(n).fill(v) : [...v];
  if (list.length !== n || list.some((x) => !Number.isInteger(x) || x < min)) {
    const what = min === 0 ? "non-negative" : "positive";
    throw new RangeError(`${op}: ${name} must be a ${what} integer or ${n} of them, got ${JSON.stringify(v)}`);
  }
  return list;
}

function checkGroups(op: string, groups: number): number {
  if (!Number.isInteger(groups) || groups < 1) throw new RangeError(`${op}: groups must be a positive integer, got ${groups}`);
  return groups;
}

function floatPair(op: string, x: Tensor, w: Tensor): DType {
  if (!(x instanceof Tensor) || !(w instanceof Tensor)) throw new TypeError(`${op}: input and weight must be tensors`);
  const dt = promoteTypes(x.dtype, w.dtype);
  if (!isFloat(dt)) throw new TypeError(`${op}: expected floating-point input and weight, got ${x.dtype} and ${w.dtype}`);
  return dt;
}

/** Adds a batch dim of 1 to an unbatched input; the returned function takes it off the result again. */
function batched(op: string, x: Tensor, spatial: number, layout: string): [Tensor, (y: Tensor) => Tensor] {
  if (x.ndim === spatial + 2) return [x, (y) => y];
  if (x.ndim === spatial + 1) return [x.unsqueeze(0), (y) => y.squeeze(0)];
  throw new ShapeError(`${op}: expected a ${spatial + 1}-D (unbatched) or ${spatial + 2}-D (batched) input ${layout}, got shape ${fmt(x.shape)}`);
}

function checkBias(op: string, bias: Tensor | null | undefined, outChannels: number, w: Tensor): Tensor | null {
  if (bias === null || bias === undefined) return null;
  if (!(bias instanceof Tensor)) throw new TypeError(`${op}: bias must be a tensor or null`);
  if (bias.ndim !== 1 || bias.shape[0] !== outChannels) throw new ShapeError(`${op}: bias must have shape [${outChannels}] (one per output channel of weight ${fmt(w.shape)}), got ${fmt(bias.shape)}`);
  return bias;
}

const addChannelBias = (y: Tensor, bias: Tensor | null): Tensor =>
  bias === null ? y : y.add(bias.reshape([bias.shape[0], ...sliceDims(y.shape, 2).map(() => 1)]));

// ---- convolution ---------------------------------------------------------------------------------------------------

interface ConvArgs {
  stride: number[];
  padBefore: number[];
  padAfter: number[];
  dilation: number[];
  groups: number;
}

/** Resolves stride/padding/dilation for `nd` spatial dims, padding "same" included. */
function convArgs(op: string, nd: number, kernel: readonly number[], opts: Conv2dOptions | Conv1dOptions): ConvArgs {
  const stride = tuple(op, "stride", opts.stride ?? 1, nd, 1);
  const dilation = tuple(op, "dilation", opts.dilation ?? 1, nd, 1);
  const groups = checkGroups(op, opts.groups ?? 1);
  const padding = opts.padding ?? 0;
  let padBefore: number[], padAfter: number[];
  if (padding === "valid") {
    padBefore = padAfter = new Array<number>(nd).fill(0);
  } else if (padding === "same") {
    if (stride.some((s) => s !== 1)) throw new RangeError(`${op}: padding="same" is not supported for strided convolutions (stride ${fmt(stride)})`);
    // Total padding d*(k-1) keeps the size; PyTorch puts the odd extra one after.
    const total = kernel.map((k, i) => dilation[i] * (k - 1));
    padBefore = total.map((t) => Math.floor(t / 2));
    padAfter = total.map((t, i) => t - padBefore[i]);
  } else if (typeof padding === "string") {
    throw new RangeError(`${op}: padding must be a number, a tuple, "same" or "valid", got ${JSON.stringify(padding)}`);
  } else {
    padBefore = padAfter = tuple(op, "padding", padding, nd, 0);
  }
  return { stride, padBefore, padAfter, dilation, groups };
}

/**
 * 2-D convolution (cross-correlation, as in every DL library) of input [N, C, H, W] (or [C, H, W]) with weight
 * [O, C/groups, kH, kW] and an optional bias [O]: output [N, O, oH, oW] with
 * oH = floor((H + 2*padding - dilation*(kH-1) - 1) / stride) + 1.
 */
export function conv2d(input: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  return conv2dWith(input, weight, bias, opts, false);
}

/**
 * relu(conv2d(input, weight, bias, opts)) as one op: the kernel applies relu to each image's output while it is in
 * cache, so a convolution and its activation cost one output tensor and no separate pass. Exactly relu's values and
 * gradient. nn.Sequential uses it for an nn.Conv2d followed by an nn.ReLU.
 */
export function conv2dRelu(input: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  return conv2dWith(input, weight, bias, opts, true);
}

function conv2dWith(input: Tensor, weight: Tensor, bias: Tensor | null, opts: Conv2dOptions, relu: boolean): Tensor {
  const op = "conv2d";
  checkOptionKeys(op, opts, CONV2D_OPTION_KEYS);
  floatPair(op, input, weight);
  const [x, unbatch] = batched(op, input, 2, "[N, C, H, W]");
  if (weight.ndim !== 4) throw new ShapeError(`${op}: weight must be 4-D [outChannels, inChannels/groups, kH, kW], got shape ${fmt(weight.shape)}`);
  const args = convArgs(op, 2, sliceDims(weight.shape, 2), opts);
  const b = checkBias(op, bias, weight.shape[0], weight);
  return unbatch(convCore(op, x, weight, b, args, input.shape, 0, relu));
}

/** 1-D convolution of input [N, C, L] (or [C, L]) with weight [O, C/groups, k]: output [N, O, oL]. */
export function conv1d(input: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv1dOptions = {}): Tensor {
  const op = "conv1d";
  checkOptionKeys(op, opts, CONV1D_OPTION_KEYS);
  floatPair(op, input, weight);
  const [x, unbatch] = batched(op, input, 1, "[N, C, L]");
  if (weight.ndim !== 3) throw new ShapeError(`${op}: weight must be 3-D [outChannels, inChannels/groups, k], got shape ${fmt(weight.shape)}`);
  const a = convArgs(op, 1, sliceDims(weight.shape, 2), opts);
  const b = checkBias(op, bias, weight.shape[0], weight);
  // A height-1 image with a height-1 kernel: no padding, stride or dilation along the added dim.
  const args2d: ConvArgs = { stride: [1, ...a.stride], padBefore: [0, ...a.padBefore], padAfter: [0, ...a.padAfter], dilation: [1, ...a.dilation], groups: a.groups };
  return unbatch(convCore(op, x.unsqueeze(2), weight.unsqueeze(2), b, args2d, input.shape, 1).squeeze(2));
}

/** Checks the channel and size arithmetic of a convolution, naming the op and the shapes as the user gave them. */
function convGeometry(op: string, x: Tensor, w: Tensor, a: ConvArgs, shownInput: readonly number[], skip: number): Window2d {
  const [n, c, h, wd] = x.shape;
  const [o, cg, kh, kw] = w.shape;
  const shownW = fmt(skip ? [o, cg, kw] : w.shape);
  if (o % a.groups !== 0) throw new ShapeError(`${op}: the weight's ${o} output channels (weight ${shownW}) are not divisible by groups=${a.groups}`);
  if (cg * a.groups !== c) {
    throw new ShapeError(`${op}: the input has ${c} channels (shape ${fmt(shownInput)}) but weight ${shownW} with groups=${a.groups} expects ${cg * a.groups} (weight.shape[1] * groups)`);
  }
  const size = [h, wd], kernel = [kh, kw];
  const out = [0, 1].map((i) => {
    const padded = size[i] + a.padBefore[i] + a.padAfter[i];
    const span = a.dilation[i] * (kernel[i] - 1) + 1;
    if (padded < span) {
      const sl = (v: number[]) => fmt(v.slice(skip));
      throw new ShapeError(`${op}: the padded input ${sl(size.map((s, j) => s + a.padBefore[j] + a.padAfter[j]))} (input ${fmt(shownInput)}, padding ${sl(a.padBefore)}) is smaller than the dilated kernel ${sl(kernel.map((k, j) => a.dilation[j] * (k - 1) + 1))} (weight ${shownW}, dilation ${sl(a.dilation)})`);
    }
    return Math.floor((padded - span) / a.stride[i]) + 1;
  });
  return {
    batch: n, channels: c, height: h, width: wd, kernelH: kh, kernelW: kw,
    strideH: a.stride[0], strideW: a.stride[1], padH: a.padBefore[0], padW: a.padBefore[1],
    dilationH: a.dilation[0], dilationW: a.dilation[1], outH: out[0], outW: out[1],
  };
}

/** The convolution proper: one backend kernel forward (bias, and relu when asked, included), one for all of its
 *  gradients. */
function convCore(op: string, x0: Tensor, w0: Tensor, bias: Tensor | null, a: ConvArgs, shownInput: readonly number[], skip = 0, relu = false): Tensor {
  const dt = promoteTypes(x0.dtype, w0.dtype);
  const x = x0.to(dt), w = w0.to(dt), b = bias === null ? null : bias.to(dt);
  const g: Conv2dGeometry = { ...convGeometry(op, x, w, a, shownInput, skip), groups: a.groups, outChannels: w.shape[0] };
  const be = getBackend();
  const xd = contiguousData(x), wd = contiguousData(w);
  const out = empty([g.batch, g.outChannels, g.outH, g.outW], dt);
  be.conv2d(xd, wd, b === null ? null : contiguousData(b), g, out.data, relu);
  return record(relu ? `${op}Relu` : op, out, b === null ? [x, w] : [x, w, b], (gy, owned) => {
    const gx = x.requiresGrad ? exclusive(empty(x.shape, dt)) : null;
    const gw = w.requiresGrad ? exclusive(empty(w.shape, dt)) : null;
    const gb = b !== null && b.requiresGrad ? exclusive(empty([g.outChannels], dt)) : null;
    // relu's gradient first (gy where the output is > 0), into gy's storage when it is this rule's to overwrite.
    const g0 = relu ? reluBackward(out, gy, owned) : gy;
    be.conv2dBackward(xd, wd, contiguousData(g0), g, gx?.data ?? null, gw?.data ?? null, gb?.data ?? null);
    return [gx, gw, gb];
  });
}

/**
 * Transposed 2-D convolution (the gradient of conv2d with respect to its input) of input [N, Cin, H, W] with weight
 * [Cin, Cout/groups, kH, kW]: output [N, Cout, oH, oW] with
 * oH = (H - 1)*stride - 2*padding + dilation*(kH - 1) + outputPadding + 1.
 */
export function convTranspose2d(input: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvTranspose2dOptions = {}): Tensor {
  const op = "convTranspose2d";
  checkOptionKeys(op, opts, CONV_TRANSPOSE2D_OPTION_KEYS);
  const dt = floatPair(op, input, weight);
  const [x0, unbatch] = batched(op, input, 2, "[N, C, H, W]");
  if (weight.ndim !== 4) throw new ShapeError(`${op}: weight must be 4-D [inChannels, outChannels/groups, kH, kW], got shape ${fmt(weight.shape)}`);
  const stride = tuple(op, "stride", opts.stride ?? 1, 2, 1);
  const padding = tuple(op, "padding", opts.padding ?? 0, 2, 0);
  const outputPadding = tuple(op, "outputPadding", opts.outputPadding ?? 0, 2, 0);
  const dilation = tuple(op, "dilation", opts.dilation ?? 1, 2, 1);
  const G = checkGroups(op, opts.groups ?? 1);
  const [cin, cog, kh, kw] = weight.shape;
  const [n, c, h, wd] = x0.shape;
  if (c !== cin) throw new ShapeError(`${op}: the input has ${c} channels (shape ${fmt(input.shape)}) but weight ${fmt(weight.shape)} expects ${cin} (weight.shape[0])`);
  if (cin % G !== 0) throw new ShapeError(`${op}: the ${cin} input channels (weight ${fmt(weight.shape)}) are not divisible by groups=${G}`);
  if (outputPadding.some((p, i) => p >= stride[i] && p >= dilation[i])) {
    throw new RangeError(`${op}: outputPadding ${fmt(outputPadding)} must be smaller than either stride ${fmt(stride)} or dilation ${fmt(dilation)}`);
  }
  const outSize = [h, wd].map((s, i) => (s - 1) * stride[i] - 2 * padding[i] + dilation[i] * ([kh, kw][i] - 1) + outputPadding[i] + 1);
  if (outSize.some((s) => s < 1)) throw new ShapeError(`${op}: the output size ${fmt(outSize)} is too small (input ${fmt(input.shape)}, weight ${fmt(weight.shape)}, stride ${fmt(stride)}, padding ${fmt(padding)})`);
  const b = checkBias(op, bias, cog * G, weight);
  const x = x0.to(dt), w = weight.to(dt);
  const cout = cog * G;
  // The conv whose input gradient this is: input [N, Cout, oH, oW], output [N, Cin, H, W], and weight
  // [Cin, Cout/G, kH, kW], which is the transposed convolution's own weight as it is stored.
  const conv: Conv2dGeometry = {
    batch: n, channels: cout, height: outSize[0], width: outSize[1], kernelH: kh, kernelW: kw,
    strideH: stride[0], strideW: stride[1], padH: padding[0], padW: padding[1],
    dilationH: dilation[0], dilationW: dilation[1], outH: h, outW: wd, groups: G, outChannels: cin,
  };
  const be = getBackend();
  const xd = contiguousData(x), wd2 = contiguousData(w);
  const out = empty([n, cout, outSize[0], outSize[1]], dt);
  be.conv2dBackward(null, wd2, xd, conv, out.data, null, null); // that conv's input gradient for output gradient x
  const y = record(op, out, [x, w], (gy) => {
    const gyd = contiguousData(gy);
    // d/dx: the conv itself applied to gy; d/dW: the conv's weight gradient for input gy and output gradient x.
    const gx = x.requiresGrad ? exclusive(empty(x.shape, dt)) : null;
    if (gx !== null) be.conv2d(gyd, wd2, null, conv, gx.data);
    const gw = w.requiresGrad ? exclusive(empty(w.shape, dt)) : null;
    if (gw !== null) be.conv2dBackward(gyd, wd2, xd, conv, null, gw.data, null);
    return [gx, gw];
  });
  return unbatch(addChannelBias(y, b));
}

// ---- pooling -------------------------------------------------------------------------------------------------------

export interface MaxPool2dOptions {
  /** Default: kernelSize. */
  stride?: Size2 | null;
  padding?: Size2;
  dilation?: Size2;
  /** Round the output size up instead of down (a last, partial window), as PyTorch's ceil_mode. */
  ceilMode?: boolean;
}

export interface AvgPool2dOptions {
  stride?: Size2 | null;
  padding?: Size2;
  ceilMode?: boolean;
  /** Count the zero padding in each window's divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead. */
  divisorOverride?: number | null;
}

export const MAX_POOL2D_OPTION_KEYS = optionKeys<MaxPool2dOptions>({ stride: true, padding: true, dilation: true, ceilMode: true });
export const AVG_POOL2D_OPTION_KEYS = optionKeys<AvgPool2dOptions>({ stride: true, padding: true, ceilMode: true, countIncludePad: true, divisorOverride: true });

/** PyTorch's pooling_output_shape: floor (or ceil) division, and a ceil-mode window must start inside the input
 *  or its left padding. */
function poolOutSize(size: number, k: number, pad: number, stride: number, dilation: number, ceilMode: boolean): number {
  const span = size + 2 * pad - dilation * (k - 1) - 1 + (ceilMode ? stride - 1 : 0);
  let out = Math.floor(span / stride) + 1;
  if (ceilMode && (out - 1) * stride >= size + pad) out--;
  return out;
}

function poolGeometry(op: string, x: Tensor, input: Tensor, kernelSize: Size2, o: { stride?: Size2 | null; padding?: Size2; dilation?: Size2; ceilMode?: boolean }): Window2d {
  const kernel = tuple(op, "kernelSize", kernelSize, 2, 1);
  const stride = o.stride === null || o.stride === undefined ? kernel : tuple(op, "stride", o.stride, 2, 1);
  const padding = tuple(op, "padding", o.padding ?? 0, 2, 0);
  const dilation = tuple(op, "dilation", o.dilation ?? 1, 2, 1);
  if (padding.some((p, i) => p > Math.floor(kernel[i] / 2))) {
    throw new RangeError(`${op}: padding ${fmt(padding)} must be at most half of the kernel size ${fmt(kernel)}`);
  }
  const [n, c, h, w] = x.shape;
  const out = [h, w].map((s, i) => poolOutSize(s, kernel[i], padding[i], stride[i], dilation[i], o.ceilMode ?? false));
  if (out.some((s) => s < 1)) {
    throw new ShapeError(`${op}: the input ${fmt(input.shape)} is too small for kernel ${fmt(kernel)} (padding ${fmt(padding)}, dilation ${fmt(dilation)}): the output size would be ${fmt(out)}`);
  }
  return {
    batch: n * c, channels: 1, height: h, width: w, kernelH: kernel[0], kernelW: kernel[1],
    strideH: stride[0], strideW: stride[1], padH: padding[0], padW: padding[1],
    dilationH: dilation[0], dilationW: dilation[1], outH: out[0], outW: out[1],
  };
}

function floatInput(op: string, x: Tensor): void {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: input must be a tensor`);
  if (!isFloat(x.dtype)) throw new TypeError(`${op}: input must be floating point, got ${x.dtype}`);
}

/** Max over each window of input [N, C, H, W] (or [C, H, W]); padding is -inf. The gradient goes to the first
 *  maximum of each window (PyTorch's indices), summed where windows overlap. */
export function maxPool2d(input: Tensor, kernelSize: Size2, opts: MaxPool2dOptions = {}): Tensor {
  const op = "maxPool2d";
  checkOptionKeys(op, opts, MAX_POOL2D_OPTION_KEYS);
  floatInput(op, input);
  const [x, unbatch] = batched(op, input, 2, "[N, C, H, W]");
  const g = poolGeometry(op, x, input, kernelSize, opts);
  const be = getBackend();
  const [n, c] = x.shape;
  const out = empty([n, c, g.outH, g.outW], x.dtype);
  const indices = allocateUninitialized("int32", out.numel()) as Int32Array; // every entry written by the kernel
  be.maxPool2d(contiguousData(x), g, out.data, indices);
  const y = record(op, out, [x], (gy) => {
    const gx = exclusive(empty(x.shape, gy.dtype));
    be.maxPool2dBackward(contiguousData(gy), indices, g, gx.data);
    return [gx];
  });
  return unbatch(y);
}

/** Mean over each window of input [N, C, H, W] (or [C, H, W]). */
export function avgPool2d(input: Tensor, kernelSize: Size2, opts: AvgPool2dOptions = {}): Tensor {
  const op = "avgPool2d";
  checkOptionKeys(op, opts, AVG_POOL2D_OPTION_KEYS);
  floatInput(op, input);
  const [x, unbatch] = batched(op, input, 2, "[N, C, H, W]");
  const { countIncludePad = true, divisorOverride = null } = opts;
  if (divisorOverride !== null && divisorOverride !== undefined && !(Number.isInteger(divisorOverride) && divisorOverride > 0)) {
    throw new RangeError(`${op}: divisorOverride must be a positive integer, got ${divisorOverride}`);
  }
  const g = poolGeometry(op, x, input, kernelSize, { ...opts, dilation: 1 });
  const be = getBackend();
  const [n, c] = x.shape;
  const P = g.outH * g.outW, kk = g.kernelH * g.kernelW, L = n * c * P, dt = x.dtype;
  // The divisor of each output position, as PyTorch's avg_pool2d: the window clipped to the padded input
  // (ceil-mode windows can run past it), then, without countIncludePad, clipped to the input itself.
  const divisor = allocateUninitialized(dt, P);
  for (let oh = 0; oh < g.outH; oh++) {
    for (let ow = 0; ow < g.outW; ow++) {
      let h0 = oh * g.strideH - g.padH, w0 = ow * g.strideW - g.padW;
      let h1 = Math.min(h0 + g.kernelH, g.height + g.padH), w1 = Math.min(w0 + g.kernelW, g.width + g.padW);
      let count = (h1 - h0) * (w1 - w0);
      if (!countIncludePad) {
        h0 = Math.max(h0, 0); w0 = Math.max(w0, 0); h1 = Math.min(h1, g.height); w1 = Math.min(w1, g.width);
        count = (h1 - h0) * (w1 - w0);
      }
      divisor[oh * g.outW + ow] = divisorOverride ?? count;
    }
  }
  const cols = scratch("cols", dt, kk * L);
  be.im2col(contiguousData(x), g, cols);
  const sums = scratch("gemmOut", dt, L);
  be.reduce("sum", cols, 1, kk, L, sums);
  const out = empty([n, c, g.outH, g.outW], dt);
  const perPosition = { data: divisor, offset: 0, strides: [0, 1] };
  be.binary("div", { data: sums, offset: 0, strides: [P, 1] }, perPosition, [n * c, P], out.data);
  const y = record(op, out, [x], (gy) => {
    // Each window's gradient / divisor, repeated for every position of the window (stride 0), then folded back.
    const scaled = scratch("gemmOut", dt, L);
    be.binary("div", { data: contiguousData(gy), offset: 0, strides: [P, 1] }, perPosition, [n * c, P], scaled);
    const gcols = scratch("colsGrad", dt, kk * L);
    be.copy({ data: scaled, offset: 0, strides: [0, 1] }, [kk, L], gcols);
    const gx = empty(x.shape, dt);
    be.col2im(gcols, g, gx.data);
    return [gx];
  });
  return unbatch(y);
}

/**
 * Average pooling to a fixed output size [oH, oW] (null keeps that input size): output cell i along a dim of size
 * S averages input [floor(i*S/o), ceil((i+1)*S/o)). A rectangle's mean is separable, so this is A_h @ x @ A_w^T with
 * two small averaging matrices, and autograd differentiates the matmuls.
 */
export function adaptiveAvgPool2d(input: Tensor, outputSize: number | readonly [number | null, number | null]): Tensor {
  const op = "adaptiveAvgPool2d";
  floatInput(op, input);
  const [x, unbatch] = batched(op, input, 2, "[N, C, H, W]");
  const [h, w] = sliceDims(x.shape, 2);
  const req = typeof outputSize === "number" ? [outputSize, outputSize] : [...outputSize];
  if (req.length !== 2) throw new RangeError(`${op}: outputSize must be a number or 2 of them, got ${JSON.stringify(outputSize)}`);
  const size = req.map((s, i) => (s === null ? [h, w][i] : s));
  if (size.some((s) => !Number.isInteger(s) || s < 1)) throw new RangeError(`${op}: outputSize must hold positive integers (or null), got ${JSON.stringify(outputSize)}`);
  if (h === 0 || w === 0) throw new ShapeError(`${op}: the input ${fmt(input.shape)} has an empty spatial dimension`);
  const averaging = (o: number, s: number): Tensor => {
    const m = filled([o, s], x.dtype, 0);
    for (let i = 0; i < o; i++) {
      const a = Math.floor((i * s) / o), b = Math.ceil(((i + 1) * s) / o);
      for (let j = a; j < b; j++) m.data[i * s + j] = 1 / (b - a);
    }
    return m;
  };
  const y = averaging(size[0], h).matmul(x.matmul(averaging(size[1], w).t()));
  return unbatch(y);
}
