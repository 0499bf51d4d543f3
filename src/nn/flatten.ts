// Flatten and Unflatten: reshape between a batch of images and a batch of vectors.

import type { Tensor } from "../tensor/tensor.js";
import { sliceDims, ShapeError, fmt, normalizeDim, numel } from "../tensor/shape.js";
import { Module } from "./module.js";

/** Merges dimensions startDim..endDim (default: all but the batch dimension), e.g. [N, 1, 28, 28] -> [N, 784]. */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

/** Splits dimension `dim` into `sizes` (one may be -1), e.g. Unflatten(1, [1, 28, 28]) turns [N, 784] into images. */
export class Unflatten extends Module {
  readonly sizes: readonly number[];

  constructor(readonly dim: number, sizes: readonly number[]) {
    super();
    this.sizes = Object.freeze(sizes.slice());
  }

  override forward(x: Tensor): Tensor {
    const d = normalizeDim("Unflatten", this.dim, x.ndim);
    const known = this.sizes.filter((s) => s !== -1);
    const n = x.shape[d];
    if (this.sizes.includes(-1) ? n % numel(known) !== 0 : numel(this.sizes) !== n) {
      throw new ShapeError(`Unflatten: dimension ${this.dim} of size ${n} (input ${fmt(x.shape)}) cannot be split into ${fmt(this.sizes)}`);
    }
    return x.reshape([...sliceDims(x.shape, 0, d), ...this.sizes, ...sliceDims(x.shape, d + 1)]);
  }

  override extraRepr(): string {
    return `dim=${this.dim}, unflattenedSize=${fmt(this.sizes)}`;
  }
}
