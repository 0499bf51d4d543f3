// Activation functions. The common ones run as one fused kernel forward, softmax and logSoftmax too (the backend's
// softmax kernel; test/activation_softmax.test.ts holds the max-shifted composition they replaced as their oracle);
// every gradient is written with ops.

import { exclusive, record } from "../autograd/graph.js";
import { noGrad } from "../autograd/grad_mode.js";
import { sliceDims, normalizeDim, numel, ShapeError, fmt } from "../tensor/shape.js";
import { contiguousData, empty, Tensor } from "../tensor/tensor.js";
import { isFloat } from "../tensor/dtype.js";
import { getBackend } from "../backend/registry.js";
import { floatUnary, minimum, reluBackward, where } from "./elementwise.js";
import { INV_SQRT_2, SQRT_2_OVER_PI } from "../backend/reference/math.js";

export function tanh(x: Tensor): Tensor {
  const out = floatUnary("tanh", x);
  return record("tanh", out, [x], (g) => [g.mul(out.square().neg().add(1))]);
}

export function sigmoid(x: Tensor): Tensor {
  const out = floatUnary("sigmoid", x);
  return record("sigmoid", out, [x], (g) => [g.mul(out).mul(out.neg().add(1))]);
}

// NOTE: the gradient is zero where x <= 0, so relu'(0) = 0 as in PyTorch (and a NaN passes its gradient on);
// rewriting relu as maximum(x, 0) would split the gradient at 0 and silently change training.
export function relu(x: Tensor): Tensor {
  if (x.dtype === "int32") return x.clamp(0); // integers stay integers, as torch.relu keeps them
  const out = floatUnary("relu", x);
  // The mask comes from the output (out <= 0 exactly where x <= 0; NaN stays NaN), as in PyTorch, so the input can be
  // freed before the backward pass; the gradient overwrites the incoming one when that is the rule's to take.
  return record("relu", out, [x], (g, owned) => [exclusive(reluBackward(out, g, owned))]);
}

export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  const out = floatUnary("leakyRelu", x, negativeSlope);
  return record("leakyRelu", out, [x], (g) => [where(x.gt(0), g, g.mul(negativeSlope))]);
}

export function elu(x: Tensor, alpha = 1): Tensor {
  const out = floatUnary("elu", x, alpha);
  return record("elu", out, [x], (g) => [where(x.gt(0), g, g.mul(out.add(alpha)))]);
}

/** SELU: scale * elu(x, alpha) with the self-normalising constants. */
export function selu(x: Tensor): Tensor {
  return elu(x, 1.6732632423543772).mul(1.0507009873554805);
}

export function gelu(x: Tensor, approximate: "none" | "tanh" = "none"): Tensor {
  if (approximate !== "none" && approximate !== "tanh") throw new TypeError(`gelu: approximate must be "none" or "tanh", got ${JSON.stringify(approximate)}`);
  if (approximate === "tanh") {
    const out = floatUnary("geluTanh", x);
    return record("gelu", out, [x], (g) => {
      // u = c (x + 0.044715 x^3); d/dx [x/2 (1 + tanh u)] = (1 + tanh u)/2 + x/2 (1 - tanh^2 u) c (1 + 3*0.044715 x^2)
      const th = x.pow(3).mul(0.044715).add(x).mul(SQRT_2_OVER_PI).tanh();
      const du = x.square().mul(3 * 0.044715).add(1).mul(SQRT_2_OVER_PI);
      return [g.mul(th.add(1).mul(0.5).add(x.mul(0.5).mul(th.square().neg().add(1)).mul(du)))];
    });
  }
  const out = floatUnary("gelu", x);
  return record("gelu", out, [x], (g) => {
    // d/dx x Phi(x) = Phi(x) + x phi(x)
    const cdf = x.mul(INV_SQRT_2).erf().add(1).mul(0.5);
    const pdf = x.square().mul(-0.5).exp().mul(1 / Math.sqrt(2 * Math.PI));
    return [g.mul(cdf.add(x.mul(pdf)))];
  });
}

export function silu(x: Tensor): Tensor {
  const out = floatUnary("silu", x);
  return record("silu", out, [x], (g) => {
    const s = x.sigmoid();
    return [g.mul(s.mul(x.mul(s.neg().add(1)).add(1)))];
  });
}

export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  const out = floatUnary("softplus", x, beta, threshold);
  return record("softplus", out, [x], (g) => [where(x.mul(beta).gt(threshold), g, g.mul(x.mul(beta).sigmoid()))]);
}

/** Mish: x * tanh(softplus(x)). */
export function mish(x: Tensor): Tensor {
  return x.mul(softplus(x).tanh());
}

// NOTE: hardtanh's gradient is zero AT its bounds (PyTorch's hardtanh_backward uses strict inequalities), where
// clamp's passes it; so relu6'(0) = 0 like relu'(0). Written as clamp alone, the rule would differ at the bounds.
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1): Tensor {
  const out = noGrad(() => x.clamp(minVal, maxVal));
  return record("hardtanh", out, [x], (g) => [where(x.gt(minVal).logicalAnd(x.lt(maxVal)), g, 0)]);
}

export function relu6(x: Tensor): Tensor {
  return hardtanh(x, 0, 6);
}

/** clamp(x/6 + 1/2, 0, 1); its gradient, like hardtanh's, is zero at x = -3 and x = 3 (as in PyTorch). */
export function hardsigmoid(x: Tensor): Tensor {
  const out = noGrad(() => x.div(6).add(0.5).clamp(0, 1));
  return record("hardsigmoid", out, [x], (g) => [where(x.gt(-3).logicalAnd(x.lt(3)), g.div(6), 0)]);
}

/** x * hardsigmoid(x); gradient 0 below -3, x/3 + 1/2 on [-3, 3], 1 above (PyTorch's piecewise rule). */
export function hardswish(x: Tensor): Tensor {
  const out = noGrad(() => x.mul(x.div(6).add(0.5).clamp(0, 1)));
  return record("hardswish", out, [x], (g) => [where(x.lt(-3), 0, where(x.le(3), g.mul(x.div(3).add(0.5)), g))]);
}

export function softmax(x: Tensor, dim: number): Tensor {
  return softmaxOp("softmax", x, dim, false);
}

export function logSoftmax(x: Tensor, dim: number): Tensor {
  return softmaxOp("logSoftmax", x, dim, true);
}

/**
 * One kernel pass forward (the backend's softmax: max, exp, sum and divide or log in one loop per line), and the
 * gradient from the output y:  softmax  dx = y * (dy - sum(dy * y)),  log-softmax  dx = dy - exp(y) * sum(dy).
 */
function softmaxOp(name: string, x0: Tensor, dim: number, log: boolean): Tensor {
  const d = normalizeDim(name, dim, x0.ndim);
  const x = isFloatTensor(x0) ? x0 : x0.float();
  const size = x.ndim === 0 ? 1 : x.shape[d];
  const outer = numel(sliceDims(x.shape, 0, d)), inner = numel(sliceDims(x.shape, d + 1));
  const out = empty(x.shape, x.dtype);
  getBackend().softmax(contiguousData(x), outer, size, inner, out.data, log);
  return record(name, out, [x], (g) =>
    [log ? g.sub(out.exp().mul(g.sum(d, true))) : out.mul(g.sub(g.mul(out).sum(d, true)))]);
}

/**
 * log(sigmoid(x)), written as min(x, 0) - log1p(exp(-|x|)): neither exp can overflow, and a large negative x gives
 * x rather than log(0). The gradient is the exact derivative sigmoid(-x), as PyTorch's log_sigmoid_backward.
 */
export function logsigmoid(x0: Tensor): Tensor {
  const x = isFloatTensor(x0) ? x0 : x0.float();
  const out = noGrad(() => minimum(x, 0).sub(x.abs().neg().exp().log1p()));
  return record("logsigmoid", out, [x], (g) => [g.mul(x.neg().sigmoid())]);
}

/** x / (1 + |x|), composed as PyTorch composes it, so autograd gives the same gradient (1 at x = 0). */
export function softsign(x: Tensor): Tensor {
  return x.div(x.abs().add(1));
}

/** softmax(-x) along `dim`: the smallest entries get the largest weights. */
export function softmin(x: Tensor, dim: number): Tensor {
  return softmaxOp("softmin", x.neg(), dim, false);
}

/**
 * Parametric ReLU: x where x > 0, weight * x elsewhere. The weight holds one slope for every element, or one per
 * channel (dimension 1 of the input, as PyTorch reads it; a 1-D input counts as one channel). Written with where,
 * so x = 0 takes the slope branch and its gradient there is the weight, as in PyTorch's prelu_backward.
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError("prelu: input must be a tensor");
  if (!(weight instanceof Tensor)) throw new TypeError("prelu: weight must be a tensor");
  if (!isFloat(x.dtype) || !isFloat(weight.dtype)) throw new TypeError(`prelu: input and weight must be floating point, got ${x.dtype} and ${weight.dtype}`);
  if (weight.ndim > 1) throw new ShapeError(`prelu: weight must be a scalar or 1-D, got shape ${fmt(weight.shape)}`);
  const n = weight.numel();
  let w: Tensor;
  if (n === 1) {
    w = weight.reshape([]);
  } else {
    const channels = x.ndim >= 2 ? x.shape[1] : 1;
    if (n !== channels) {
      throw new ShapeError(`prelu: weight has ${n} entries but the input ${fmt(x.shape)} has ${channels} channel${channels === 1 ? "" : "s"} (dimension 1; a 0-D or 1-D input has 1); give one weight, or one per channel`);
    }
    w = weight.reshape([n, ...sliceDims(x.shape, 2).map(() => 1)]);
  }
  return where(x.gt(0), x, x.mul(w));
}

function isFloatTensor(x: Tensor): boolean {
  return x.dtype === "float32" || x.dtype === "float64";
}
