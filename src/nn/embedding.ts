// Embedding: a lookup table of numEmbeddings vectors, indexed by int32 ids.

import type { Tensor } from "../tensor/tensor.js";
import type { DType } from "../tensor/dtype.js";
import { fmt } from "../tensor/shape.js";
import { zeros } from "../ops/creation.js";
import { noGrad } from "../autograd/grad_mode.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import { embedding } from "./functional/linear.js";
import { normal_ } from "./init.js";
import { checkOptionKeys, optionKeys } from "../util/options.js";

export interface EmbeddingOptions {
  /** This row starts at zero and gets no gradient (a padding token). Negative counts from the end. */
  paddingIdx?: number | null;
  dtype?: DType;
}

export interface EmbeddingFromPretrainedOptions {
  /** No gradient for the table (default true). */
  freeze?: boolean;
  paddingIdx?: number | null;
}

const EMBEDDING_OPTION_KEYS = optionKeys<EmbeddingOptions>({ paddingIdx: true, dtype: true });
const FROM_PRETRAINED_OPTION_KEYS = optionKeys<EmbeddingFromPretrainedOptions>({ freeze: true, paddingIdx: true });

/** Input: int32 ids of any shape; output: [...input.shape, embeddingDim]. The weight starts as N(0, 1). */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  /** Shape [numEmbeddings, embeddingDim]. */
  weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    checkOptionKeys("Embedding", opts, EMBEDDING_OPTION_KEYS);
    const { paddingIdx = null, dtype = "float32" } = opts;
    for (const [name, v] of [["numEmbeddings", numEmbeddings], ["embeddingDim", embeddingDim]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`Embedding: ${name} must be a non-negative integer, got ${v}`);
    }
    if (paddingIdx !== null && !(Number.isInteger(paddingIdx) && paddingIdx >= -numEmbeddings && paddingIdx < numEmbeddings)) {
      throw new RangeError(`Embedding: paddingIdx must be within [-${numEmbeddings}, ${numEmbeddings}), got ${paddingIdx}`);
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = paddingIdx === null ? null : paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx;
    this.weight = new Parameter(zeros([numEmbeddings, embeddingDim], { dtype }));
    this.resetParameters();
  }

  /** A table from existing vectors [n, dim]; frozen (no gradient) unless freeze is false. */
  static fromPretrained(embeddings: Tensor, opts: EmbeddingFromPretrainedOptions = {}): Embedding {
    checkOptionKeys("Embedding.fromPretrained", opts, FROM_PRETRAINED_OPTION_KEYS);
    if (embeddings.ndim !== 2) throw new Error(`Embedding.fromPretrained: embeddings must be 2-D [n, dim], got shape ${fmt(embeddings.shape)}`);
    const e = new Embedding(embeddings.shape[0], embeddings.shape[1], { paddingIdx: opts.paddingIdx ?? null, dtype: embeddings.dtype });
    e.weight = new Parameter(embeddings.detach().clone(), !(opts.freeze ?? true));
    return e;
  }

  resetParameters(): void {
    normal_(this.weight);
    if (this.paddingIdx !== null) noGrad(() => this.weight.select(0, this.paddingIdx!).zero_());
  }

  override forward(input: Tensor): Tensor {
    return embedding(input, this.weight, this.paddingIdx);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ""}`;
  }
}
