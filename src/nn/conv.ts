// Convolution layers: Conv1d, Conv2d, ConvTranspose2d, with PyTorch's argument names (camelCase), parameter shapes,
// state-dict keys (weight, bias) and default initialisation.

import type { Tensor } from "../tensor/tensor.js";
import type { DType } from "../tensor/dtype.js";
import { sliceDims, fmt } from "../tensor/shape.js";
import { zeros } from "../ops/creation.js";
import { conv1d, conv2d, conv2dRelu, convTranspose2d } from "../ops/conv.js";
import { pad } from "../ops/movement.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from "./init.js";
import { checkOptionKeys, optionKeys } from "../util/options.js";

export interface ConvOptions<P> {
  stride?: P;
  /** A size per spatial dim, or "valid" (none) or "same" (keep the size; stride 1 only). Default 0. */
  padding?: P | "same" | "valid";
  dilation?: P;
  groups?: number;
  /** Learn an additive bias per output channel (default true). */
  bias?: boolean;
  /** What the padding holds (default "zeros"): "reflect" mirrors the input at its edges, "replicate" repeats the
   *  edge, "circular" wraps around. The others pad with nn.functional.pad and then convolve unpadded, as PyTorch. */
  paddingMode?: PaddingMode;
  dtype?: DType;
}

export interface ConvTranspose2dModuleOptions {
  stride?: number | readonly [number, number];
  padding?: number | readonly [number, number];
  outputPadding?: number | readonly [number, number];
  groups?: number;
  bias?: boolean;
  dilation?: number | readonly [number, number];
  dtype?: DType;
}

const CONV_OPTION_KEYS = optionKeys<ConvOptions<unknown>>({
  stride: true, padding: true, dilation: true, groups: true, bias: true, paddingMode: true, dtype: true,
});
const CONV_TRANSPOSE2D_OPTION_KEYS = optionKeys<ConvTranspose2dModuleOptions>({
  stride: true, padding: true, outputPadding: true, groups: true, bias: true, dilation: true, dtype: true,
});

type Pad = number[] | "same" | "valid";
export type PaddingMode = "zeros" | "reflect" | "replicate" | "circular";
const PADDING_MODES: readonly string[] = ["zeros", "reflect", "replicate", "circular"];

function sizes(layer: string, name: string, v: number | readonly number[], n: number, min: number): number[] {
  const list = typeof v === "number" ? new Array<number>(n).fill(v) : [...v];
  if (list.length !== n || list.some((x) => !Number.isInteger(x) || x < min)) {
    throw new RangeError(`${layer}: ${name} must be a ${min === 0 ? "non-negative" : "positive"} integer or ${n} of them, got ${JSON.stringify(v)}`);
  }
  return list;
}

function checkChannels(layer: string, inChannels: number, outChannels: number, groups: number): void {
  for (const [name, v] of [["inChannels", inChannels], ["outChannels", outChannels]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${layer}: ${name} must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(groups) || groups < 1) throw new RangeError(`${layer}: groups must be a positive integer, got ${groups}`);
  if (inChannels % groups !== 0) throw new RangeError(`${layer}: inChannels (${inChannels}) must be divisible by groups (${groups})`);
  if (outChannels % groups !== 0) throw new RangeError(`${layer}: outChannels (${outChannels}) must be divisible by groups (${groups})`);
}

/** PyTorch's _ConvNd.reset_parameters: kaimingUniform_(a = sqrt(5)), i.e. U(+-1/sqrt(fanIn)), and the bias from
 *  U(+-1/sqrt(fanIn)), fanIn = weight.shape[1] * prod(kernel). */
function resetConv(weight: Parameter, bias: Parameter | null): void {
  kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (bias !== null) {
    const [fanIn] = calculateFanInAndFanOut(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound);
  }
}

const tuple = (v: readonly number[]): string => `[${v.join(", ")}]`;

/** The settings PyTorch prints, leaving out the defaults. */
function convRepr(inC: number, outC: number, kernel: number[], stride: number[], padding: Pad, dilation: number[], groups: number, bias: boolean, outputPadding?: number[]): string {
  let s = `${inC}, ${outC}, kernelSize=${tuple(kernel)}, stride=${tuple(stride)}`;
  if (typeof padding === "string") s += `, padding=${padding}`;
  else if (padding.some((p) => p !== 0)) s += `, padding=${tuple(padding)}`;
  if (dilation.some((d) => d !== 1)) s += `, dilation=${tuple(dilation)}`;
  if (outputPadding && outputPadding.some((p) => p !== 0)) s += `, outputPadding=${tuple(outputPadding)}`;
  if (groups !== 1) s += `, groups=${groups}`;
  if (!bias) s += ", bias=false";
  return s;
}

abstract class ConvNd extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: Pad;
  readonly dilation: number[];
  readonly groups: number;
  readonly paddingMode: PaddingMode;
  /** [outChannels, inChannels/groups, ...kernelSize], as in PyTorch. */
  weight: Parameter;
  bias: Parameter | null;

  protected constructor(layer: string, nd: number, inChannels: number, outChannels: number, kernelSize: number | readonly number[], opts: ConvOptions<number | readonly number[]>) {
    super();
    checkOptionKeys(layer, opts, CONV_OPTION_KEYS);
    const { groups = 1, bias = true, dtype = "float32", paddingMode = "zeros" } = opts;
    checkChannels(layer, inChannels, outChannels, groups);
    if (!PADDING_MODES.includes(paddingMode)) throw new RangeError(`${layer}: paddingMode must be one of ${PADDING_MODES.map((m) => `"${m}"`).join(", ")}, got ${JSON.stringify(paddingMode)}`);
    this.paddingMode = paddingMode;
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.groups = groups;
    this.kernelSize = sizes(layer, "kernelSize", kernelSize, nd, 1);
    this.stride = sizes(layer, "stride", opts.stride ?? 1, nd, 1);
    this.dilation = sizes(layer, "dilation", opts.dilation ?? 1, nd, 1);
    const padding = opts.padding ?? 0;
    if (padding === "same" || padding === "valid") {
      if (padding === "same" && this.stride.some((s) => s !== 1)) throw new RangeError(`${layer}: padding="same" is not supported for strided convolutions (stride ${fmt(this.stride)})`);
      this.padding = padding;
    } else {
      this.padding = sizes(layer, "padding", padding, nd, 0);
    }
    this.weight = new Parameter(zeros([outChannels, inChannels / groups, ...this.kernelSize], { dtype }));
    this.bias = bias ? new Parameter(zeros([outChannels], { dtype })) : null;
    this.resetParameters();
  }

  resetParameters(): void {
    resetConv(this.weight, this.bias);
  }

  /** With a non-zero paddingMode: pads x by that mode (F.pad order, last dim first) and returns it, so the
   *  convolution itself runs with padding 0. With "zeros", returns x and the convolution pads. */
  protected padInput(x: Tensor): Tensor {
    if (this.paddingMode === "zeros") return x;
    const nd = this.kernelSize.length;
    const total = this.kernelSize.map((k, i) => this.dilation[i] * (k - 1));
    const before = this.padding === "valid" ? total.map(() => 0) : this.padding === "same" ? total.map((t) => Math.floor(t / 2)) : this.padding;
    const after = this.padding === "same" ? total.map((t, i) => t - before[i]) : before;
    const amounts: number[] = [];
    for (let i = nd - 1; i >= 0; i--) amounts.push(before[i], after[i]);
    return pad(x, amounts, this.paddingMode);
  }

  protected convPadding(): Pad {
    return this.paddingMode === "zeros" ? this.padding : this.kernelSize.map(() => 0);
  }

  override extraRepr(): string {
    const s = convRepr(this.inChannels, this.outChannels, this.kernelSize, this.stride, this.padding, this.dilation, this.groups, this.bias !== null);
    return this.paddingMode === "zeros" ? s : `${s}, paddingMode=${this.paddingMode}`;
  }
}

/** 1-D convolution over input [N, inChannels, L] (or [inChannels, L]). */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly [number], opts: ConvOptions<number | readonly [number]> = {}) {
    super("Conv1d", 1, inChannels, outChannels, kernelSize, opts);
  }

  override forward(x: Tensor): Tensor {
    const p = this.convPadding();
    const padding = typeof p === "string" ? p : p[0];
    return conv1d(this.padInput(x), this.weight, this.bias, { stride: this.stride[0], padding, dilation: this.dilation[0], groups: this.groups });
  }
}

/** 2-D convolution over input [N, inChannels, H, W] (or [inChannels, H, W]). */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly [number, number], opts: ConvOptions<number | readonly [number, number]> = {}) {
    super("Conv2d", 2, inChannels, outChannels, kernelSize, opts);
  }

  override forward(x: Tensor): Tensor {
    return this.convolve(x, conv2d);
  }

  /** relu(forward(x)) as one op (conv2dRelu): what nn.Sequential runs for a Conv2d followed by a ReLU. */
  forwardRelu(x: Tensor): Tensor {
    return this.convolve(x, conv2dRelu);
  }

  private convolve(x: Tensor, conv: typeof conv2d): Tensor {
    const pair = (v: number[]) => [v[0], v[1]] as const;
    const p = this.convPadding();
    const padding = typeof p === "string" ? p : pair(p);
    return conv(this.padInput(x), this.weight, this.bias, { stride: pair(this.stride), padding, dilation: pair(this.dilation), groups: this.groups });
  }
}

/** Transposed 2-D convolution ("deconvolution"): the gradient of Conv2d with respect to its input, as a layer.
 *  A strided conv maps several input sizes to one output size; forward's outputSize picks which one to go back to. */
export class ConvTranspose2d extends Module<[Tensor, (readonly number[])?]> {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly outputPadding: number[];
  readonly groups: number;
  readonly dilation: number[];
  /** [inChannels, outChannels/groups, kH, kW], as in PyTorch. */
  weight: Parameter;
  bias: Parameter | null;

  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly [number, number], opts: ConvTranspose2dModuleOptions = {}) {
    super();
    const layer = "ConvTranspose2d";
    checkOptionKeys(layer, opts, CONV_TRANSPOSE2D_OPTION_KEYS);
    const { groups = 1, bias = true, dtype = "float32" } = opts;
    checkChannels(layer, inChannels, outChannels, groups);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.groups = groups;
    this.kernelSize = sizes(layer, "kernelSize", kernelSize, 2, 1);
    this.stride = sizes(layer, "stride", opts.stride ?? 1, 2, 1);
    this.padding = sizes(layer, "padding", opts.padding ?? 0, 2, 0);
    this.outputPadding = sizes(layer, "outputPadding", opts.outputPadding ?? 0, 2, 0);
    this.dilation = sizes(layer, "dilation", opts.dilation ?? 1, 2, 1);
    if (this.outputPadding.some((p, i) => p >= this.stride[i] && p >= this.dilation[i])) {
      throw new RangeError(`${layer}: outputPadding ${fmt(this.outputPadding)} must be smaller than either stride ${fmt(this.stride)} or dilation ${fmt(this.dilation)}`);
    }
    this.weight = new Parameter(zeros([inChannels, outChannels / groups, ...this.kernelSize], { dtype }));
    this.bias = bias ? new Parameter(zeros([outChannels], { dtype })) : null;
    this.resetParameters();
  }

  /** The same rule as Conv2d; fanIn is weight.shape[1] * kH * kW = (outChannels/groups) * kH * kW, as in PyTorch. */
  resetParameters(): void {
    resetConv(this.weight, this.bias);
  }

  /** outputSize: the output's [H, W] (or its whole shape); it sets outputPadding for this call, as PyTorch's
   *  output_size, and must lie within the stride's range of sizes. */
  override forward(x: Tensor, outputSize?: readonly number[]): Tensor {
    const pair = (v: number[]) => [v[0], v[1]] as const;
    const outputPadding = outputSize === undefined ? this.outputPadding : this.outputPaddingFor(x, outputSize);
    return convTranspose2d(x, this.weight, this.bias, {
      stride: pair(this.stride), padding: pair(this.padding), outputPadding: pair(outputPadding), groups: this.groups, dilation: pair(this.dilation),
    });
  }

  /** PyTorch's _output_padding: the extra rows/columns that make the output outputSize. */
  private outputPaddingFor(x: Tensor, outputSize: readonly number[]): number[] {
    const layer = "ConvTranspose2d";
    if (x.ndim !== 3 && x.ndim !== 4) throw new RangeError(`${layer}: expected a 3-D or 4-D input, got shape ${fmt(x.shape)}`);
    const size = outputSize.length === x.ndim ? outputSize.slice(-2) : [...outputSize];
    if (size.length !== 2 || size.some((s) => !Number.isInteger(s))) {
      throw new RangeError(`${layer}: outputSize must be 2 integers [H, W] (or ${x.ndim}, the whole output shape), got ${JSON.stringify(outputSize)}`);
    }
    const input = sliceDims(x.shape, -2);
    const min = input.map((s, i) => (s - 1) * this.stride[i] - 2 * this.padding[i] + this.dilation[i] * (this.kernelSize[i] - 1) + 1);
    const max = min.map((m, i) => m + this.stride[i] - 1);
    if (size.some((s, i) => s < min[i] || s > max[i])) {
      throw new RangeError(`${layer}: requested an output size of ${fmt(size)}, but the valid sizes range from ${fmt(min)} to ${fmt(max)} (for an input of ${fmt(input)})`);
    }
    return size.map((s, i) => s - min[i]);
  }

  override extraRepr(): string {
    return convRepr(this.inChannels, this.outChannels, this.kernelSize, this.stride, this.padding, this.dilation, this.groups, this.bias !== null, this.outputPadding);
  }
}
