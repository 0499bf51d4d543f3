// CosineSimilarity: the module form of nn.functional.cosineSimilarity, with PyTorch's defaults (dim 1, eps 1e-8).

import type { Tensor } from "../tensor/tensor.js";
import { Module } from "./module.js";
import { cosineSimilarity, COSINE_SIMILARITY_OPTION_KEYS, type CosineSimilarityOptions } from "./functional/distance.js";
import { checkOptionKeys } from "../util/options.js";

export class CosineSimilarity extends Module<[Tensor, Tensor]> {
  readonly dim: number;
  readonly eps: number;

  constructor(opts: CosineSimilarityOptions = {}) {
    super();
    checkOptionKeys("CosineSimilarity", opts, COSINE_SIMILARITY_OPTION_KEYS);
    const { dim = 1, eps = 1e-8 } = opts;
    if (!Number.isInteger(dim)) throw new TypeError(`CosineSimilarity: dim must be an integer, got ${String(dim)}`);
    if (typeof eps !== "number" || !(eps >= 0)) throw new RangeError(`CosineSimilarity: eps must be a non-negative number, got ${String(eps)}`);
    this.dim = dim;
    this.eps = eps;
  }

  override forward(x1: Tensor, x2: Tensor): Tensor { return cosineSimilarity(x1, x2, { dim: this.dim, eps: this.eps }); }
  override extraRepr(): string { return `dim=${this.dim}, eps=${this.eps}`; }
}
