// Upsample: the layer form of interpolate (no parameters; a thin wrapper over the op).

import type { Tensor } from "../tensor/tensor.js";
import { interpolate, INTERPOLATE_OPTION_KEYS, type InterpolateMode, type InterpolateOptions } from "../ops/resize.js";
import { checkOptionKeys } from "../util/options.js";
import { Module } from "./module.js";

/** Resizes [N, C, W] or [N, C, H, W] inputs to `size`, or by `scaleFactor`, with mode "nearest" (default) or
 *  "bilinear"; see interpolate. */
export class Upsample extends Module {
  readonly size: number | readonly number[] | null;
  readonly scaleFactor: number | readonly number[] | null;
  readonly mode: InterpolateMode;
  readonly alignCorners: boolean | null;

  constructor(opts: InterpolateOptions = {}) {
    super();
    checkOptionKeys("Upsample", opts, INTERPOLATE_OPTION_KEYS);
    this.size = opts.size ?? null;
    this.scaleFactor = opts.scaleFactor ?? null;
    this.mode = opts.mode ?? "nearest";
    this.alignCorners = opts.alignCorners ?? null;
    // Checked here too, so a layer that can never run fails where it is built, not at its first forward.
    if (this.size !== null && this.scaleFactor !== null) throw new RangeError(`Upsample: only one of size and scaleFactor may be given, got size=${JSON.stringify(this.size)} and scaleFactor=${JSON.stringify(this.scaleFactor)}`);
    if (this.size === null && this.scaleFactor === null) throw new RangeError("Upsample: either size or scaleFactor must be given");
  }

  override forward(x: Tensor): Tensor {
    const opts: InterpolateOptions = { mode: this.mode };
    if (this.size !== null) opts.size = this.size;
    if (this.scaleFactor !== null) opts.scaleFactor = this.scaleFactor;
    if (this.alignCorners !== null) opts.alignCorners = this.alignCorners;
    return interpolate(x, opts);
  }

  override extraRepr(): string {
    const show = (v: number | readonly number[]) => (typeof v === "number" ? String(v) : `[${v.join(", ")}]`);
    return this.scaleFactor !== null ? `scaleFactor=${show(this.scaleFactor)}, mode=${this.mode}` : `size=${show(this.size!)}, mode=${this.mode}`;
  }
}
