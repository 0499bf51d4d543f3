// torch.optim for Axon: optimizers, learning-rate schedulers and gradient clipping.

export {
  Optimizer, type OptimizerOptions, type ParamGroup, type ParamGroupInput, type Params, type ParamState, type StateValue,
  type OptimizerStateDict, type Closure,
} from "./optimizer.js";
export { SGD, type SGDOptions, type SGDState } from "./sgd.js";
export { Adam, type AdamOptions, type AdamState } from "./adam.js";
export { AdamW, type AdamWOptions } from "./adamw.js";
export { RMSprop, type RMSpropOptions, type RMSpropState } from "./rmsprop.js";
export { Adagrad, type AdagradOptions, type AdagradState } from "./adagrad.js";
export {
  LRScheduler, StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR, SequentialLR, warmupCosineLR, ReduceLROnPlateau,
  LambdaLR, MultiplicativeLR, ConstantLR, PolynomialLR, CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR,
  type SchedulerStateDict, type StepLROptions, type MultiStepLROptions, type ExponentialLROptions, type CosineAnnealingLROptions,
  type LinearLROptions, type SequentialLROptions, type WarmupCosineOptions, type ReduceLROnPlateauOptions,
  type LrLambda, type LambdaLROptions, type MultiplicativeLROptions, type ConstantLROptions, type PolynomialLROptions,
  type CosineAnnealingWarmRestartsOptions, type CyclicLROptions, type OneCycleLROptions, type OneCyclePhase,
} from "./lr_scheduler.js";
export { clipGradNorm_, clipGradValue_ } from "./clip_grad.js";
