// Dropout: zeroes each element with probability p in training mode (scaling the rest by 1/(1-p)); the identity in
// evaluation mode. The masks come from the global generator, so manualSeed() reproduces them.

import type { Tensor } from "../tensor/tensor.js";
import { Module } from "./module.js";
import { checkDropoutP, dropout, dropout2d } from "./functional/dropout.js";

export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    checkDropoutP("Dropout", p);
  }

  override forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/** Zeroes whole channels of [N, C, H, W] (or [C, H, W]) inputs with probability p in training mode. */
export class Dropout2d extends Module {
  constructor(readonly p = 0.5) {
    super();
    checkDropoutP("Dropout2d", p);
  }

  override forward(x: Tensor): Tensor {
    return dropout2d(x, this.p, this.training);
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
