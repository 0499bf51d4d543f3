// Axon's public API. Re-exports only: each name lives in the module its folder suggests.

export { Tensor, type TensorLike, type Nested, type Scalar } from "./tensor/tensor.js";
export { type DType, type TypedArray } from "./tensor/dtype.js";
export { ShapeError, type Shape } from "./tensor/shape.js";
export { Generator, manualSeed, defaultGenerator } from "./tensor/random.js";

export {
  tensor, zeros, ones, full, zerosLike, onesLike, fullLike, arange, linspace, eye, rand, randn, randint, randperm,
  type TensorOptions, type RandomOptions,
} from "./ops/creation.js";
export {
  add, sub, mul, div, pow, maximum, minimum, eq, ne, lt, le, gt, ge, logicalAnd, logicalOr, logicalNot, where,
  neg, exp, expm1, log, log1p, sqrt, rsqrt, abs, sign, sin, cos, reciprocal, square, erf, floor, ceil, round, clamp,
  isnan, isinf, isfinite, maskedFill, tril, triu, isclose, allclose, equal, type IscloseOptions,
} from "./ops/elementwise.js";
export {
  tanh, sigmoid, relu, leakyRelu, elu, selu, gelu, silu, softplus, mish, hardtanh, relu6, hardsigmoid, hardswish,
  softmax, logSoftmax,
} from "./ops/activation.js";
export {
  sum, mean, max, min, amax, amin, argmax, argmin, variance as var, std, logsumexp, prod, cumsum, all, any, norm, type VarOptions,
  type ValuesIndices,
} from "./ops/reduce.js";
export { sort, argsort, topk, type SortOptions } from "./ops/sort.js";
export { matmul, mm, bmm, outer } from "./ops/matmul.js";
export {
  reshape, view, flatten, permute, transpose, squeeze, unsqueeze, expand, slice, narrow, select, cat, concat, stack,
  split, chunk, pad, contiguous, clone, flip, repeat, unbind, type PadMode,
} from "./ops/movement.js";
export { indexSelect, gather, scatter, scatterAdd, oneHot } from "./ops/indexing.js";
export {
  conv1d, conv2d, convTranspose2d, maxPool2d, avgPool2d, adaptiveAvgPool2d,
  type Conv1dOptions, type Conv2dOptions, type ConvTranspose2dOptions, type MaxPool2dOptions, type AvgPool2dOptions,
} from "./ops/conv.js";
export { batchNorm, layerNorm, type BatchNormOptions, type LayerNormOptions } from "./ops/norm.js";

export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from "./autograd/grad_mode.js";
export { gradcheck, type GradcheckOptions } from "./autograd/gradcheck.js";
export type { BackwardOptions } from "./autograd/graph.js";

export { setBackend, getBackend, listBackends, registerBackend } from "./backend/registry.js";
export type { Backend, View, UnaryOp, BinaryOp, ReduceOp, MatmulParams, Window2d } from "./backend/backend.js";

export * as nn from "./nn/index.js";
export * as optim from "./optim/index.js";
export * as data from "./data/index.js";

export {
  fit, evaluate, predict, EarlyStopping, defaultAccuracy,
  type FitOptions, type PredictOptions, type History, type EpochLogs, type BatchLogs, type Callback, type TrainableModel,
} from "./train/fit.js";
export { summary, type ModelSummary, type LayerSummary } from "./train/summary.js";
export { Perceptron, XOR_PROOF, type PerceptronFitOptions, type PerceptronHistory } from "./models/perceptron.js";
export { mlp, cnn, buildModel, CNN_ARCHS, type ModelSpec, type MlpSpec, type PerceptronSpec, type CnnSpec, type CnnArch } from "./models/zoo.js";
export { serializeSafetensors, parseSafetensors, SafetensorsError } from "./io/safetensors.js";
export { serializeModel, parseModel, type SavedModel, type InputInfo } from "./io/model.js";
