// Pooling layers: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d (no parameters; thin wrappers over the ops).

import type { Tensor } from "../tensor/tensor.js";
import {
  adaptiveAvgPool2d, avgPool2d, maxPool2d, AVG_POOL2D_OPTION_KEYS, MAX_POOL2D_OPTION_KEYS, type AvgPool2dOptions, type MaxPool2dOptions, type Size2,
} from "../ops/conv.js";
import { checkOptionKeys } from "../util/options.js";
import { Module } from "./module.js";

const show = (v: Size2 | null | undefined): string => (v === null || v === undefined ? "null" : typeof v === "number" ? String(v) : `[${v.join(", ")}]`);

/** Max over kernelSize windows; stride defaults to kernelSize. */
export class MaxPool2d extends Module {
  readonly stride: Size2;
  constructor(readonly kernelSize: Size2, readonly opts: MaxPool2dOptions = {}) {
    super();
    checkOptionKeys("MaxPool2d", opts, MAX_POOL2D_OPTION_KEYS);
    this.stride = opts.stride ?? kernelSize;
    checkPool("MaxPool2d", kernelSize, opts);
  }

  override forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.opts);
  }

  override extraRepr(): string {
    const o = this.opts;
    return `kernelSize=${show(this.kernelSize)}, stride=${show(this.stride)}, padding=${show(o.padding ?? 0)}, dilation=${show(o.dilation ?? 1)}, ceilMode=${o.ceilMode ?? false}`;
  }
}

/** Mean over kernelSize windows; stride defaults to kernelSize; zero padding counts in the divisor by default. */
export class AvgPool2d extends Module {
  readonly stride: Size2;
  constructor(readonly kernelSize: Size2, readonly opts: AvgPool2dOptions = {}) {
    super();
    checkOptionKeys("AvgPool2d", opts, AVG_POOL2D_OPTION_KEYS);
    this.stride = opts.stride ?? kernelSize;
    checkPool("AvgPool2d", kernelSize, opts);
  }

  override forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.opts);
  }

  override extraRepr(): string {
    const o = this.opts;
    return `kernelSize=${show(this.kernelSize)}, stride=${show(this.stride)}, padding=${show(o.padding ?? 0)}`;
  }
}

/** Average pooling to a fixed output size (e.g. 1 for global average pooling before a classifier head). */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | readonly [number | null, number | null]) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }

  override extraRepr(): string {
    return `outputSize=${typeof this.outputSize === "number" ? this.outputSize : `[${this.outputSize.join(", ")}]`}`;
  }
}

/** Fails at construction, not at the first forward, on sizes that can never work. */
function checkPool(layer: string, kernelSize: Size2, opts: { padding?: Size2 }): void {
  const k = typeof kernelSize === "number" ? [kernelSize, kernelSize] : kernelSize;
  const p = opts.padding === undefined ? [0, 0] : typeof opts.padding === "number" ? [opts.padding, opts.padding] : opts.padding;
  if (k.some((v) => !Number.isInteger(v) || v < 1)) throw new RangeError(`${layer}: kernelSize must be a positive integer or 2 of them, got ${JSON.stringify(kernelSize)}`);
  if (p.some((v, i) => v > Math.floor(k[i] / 2))) throw new RangeError(`${layer}: padding ${JSON.stringify(opts.padding)} must be at most half of the kernel size ${JSON.stringify(kernelSize)}`);
}
