// nn: modules (layers that hold parameters), their functional forms, losses and initialisers, with PyTorch's
// names (camelCase), defaults, parameter shapes and state-dict keys.

export { Module, type AnyModule, type StateDict, type StateDictOptions, type LoadStateDictOptions, type LoadStateDictResult } from "./module.js";
export { Parameter, parameter } from "./parameter.js";
export { Sequential, ModuleList } from "./container.js";
export { Linear, Identity, type LinearOptions } from "./linear.js";
export { Flatten, Unflatten } from "./flatten.js";
export { Dropout, Dropout2d } from "./dropout.js";
export { Conv1d, Conv2d, ConvTranspose2d, type ConvOptions, type ConvTranspose2dModuleOptions, type PaddingMode } from "./conv.js";
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from "./pooling.js";
export { Upsample } from "./upsample.js";
export {
  BatchNorm1d, BatchNorm2d, LayerNorm, GroupNorm, type BatchNormModuleOptions, type LayerNormModuleOptions,
  type GroupNormModuleOptions,
} from "./normalization.js";
export { Embedding, type EmbeddingOptions, type EmbeddingFromPretrainedOptions } from "./embedding.js";
export {
  Sigmoid, Tanh, ReLU, LeakyReLU, ELU, SELU, GELU, SiLU, Softplus, Mish, Hardtanh, ReLU6, Hardsigmoid, Hardswish,
  Softmax, LogSoftmax, Softmin, LogSigmoid, Softsign, PReLU, type PReLUOptions,
} from "./activation.js";
export { CosineSimilarity } from "./distance.js";
export {
  MSELoss, L1Loss, HuberLoss, SmoothL1Loss, BCELoss, BCEWithLogitsLoss, NLLLoss, CrossEntropyLoss, KLDivLoss,
} from "./loss.js";
export * as functional from "./functional/index.js";
export * as init from "./init.js";
