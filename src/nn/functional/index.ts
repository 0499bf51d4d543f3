// nn.functional: the stateless forms of the layers (linear, dropout, activations) and the loss functions.

export * from "./activation.js";
export { linear, embedding } from "./linear.js";
export { dropout } from "./dropout.js";
export {
  mseLoss, l1Loss, huberLoss, smoothL1Loss, binaryCrossEntropy, binaryCrossEntropyWithLogits, nllLoss, crossEntropy,
  type Reduction, type ReductionOptions, type HuberLossOptions, type SmoothL1LossOptions, type BinaryCrossEntropyOptions,
  type BinaryCrossEntropyWithLogitsOptions, type NllLossOptions, type CrossEntropyOptions,
} from "./loss.js";
