// nn.functional: the stateless forms of the layers (linear, convolution, pooling, normalization, dropout,
// activations, distances, interpolate) and the loss functions.

export * from "./activation.js";
export { linear, embedding } from "./linear.js";
export { dropout, dropout2d } from "./dropout.js";
export { pad, type PadMode } from "../../ops/movement.js";
export { oneHot } from "../../ops/indexing.js";
export {
  conv1d, conv2d, convTranspose2d, maxPool2d, avgPool2d, adaptiveAvgPool2d,
  type Conv1dOptions, type Conv2dOptions, type ConvTranspose2dOptions, type MaxPool2dOptions, type AvgPool2dOptions,
} from "../../ops/conv.js";
export { interpolate, type InterpolateOptions, type InterpolateMode } from "../../ops/resize.js";
export { batchNorm, layerNorm, groupNorm, type BatchNormOptions, type LayerNormOptions } from "../../ops/norm.js";
export { normalize, cosineSimilarity, type NormalizeOptions, type CosineSimilarityOptions } from "./distance.js";
export {
  mseLoss, l1Loss, huberLoss, smoothL1Loss, binaryCrossEntropy, binaryCrossEntropyWithLogits, nllLoss, crossEntropy, klDiv,
  type Reduction, type ReductionOptions, type HuberLossOptions, type SmoothL1LossOptions, type BinaryCrossEntropyOptions,
  type BinaryCrossEntropyWithLogitsOptions, type NllLossOptions, type CrossEntropyOptions, type KlDivReduction, type KlDivOptions,
} from "./loss.js";
