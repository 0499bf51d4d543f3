// The activation functions, as torch.nn.functional offers them. They live in src/ops (they are Tensor methods too);
// this file only gathers them under nn.functional.

export {
  tanh, sigmoid, relu, leakyRelu, elu, selu, gelu, silu, softplus, mish, hardtanh, relu6, hardsigmoid, hardswish,
  softmax, logSoftmax, softmin, logsigmoid, softsign, prelu,
} from "../../ops/activation.js";
