// Weight initialisation, as torch.nn.init: each function fills a tensor in place (outside autograd) and returns it.
// Random fills draw from the global generator unless one is passed, so manualSeed() reproduces them. Fans follow
// PyTorch: for a weight [out, in, k1, k2, ...] the receptive field is k1*k2*..., fanIn = in * receptive and
// fanOut = out * receptive.

import { Tensor } from "../tensor/tensor.js";
import { sliceDims, fmt, numel } from "../tensor/shape.js";
import { defaultGenerator, type Generator } from "../tensor/random.js";
import { fillRandom } from "../ops/creation.js";
import { noGrad } from "../autograd/grad_mode.js";
import { checkOptionKeys, optionKeys } from "../util/options.js";

export type Nonlinearity =
  | "linear" | "conv1d" | "conv2d" | "conv3d" | "convTranspose1d" | "convTranspose2d" | "convTranspose3d"
  | "sigmoid" | "tanh" | "relu" | "leakyRelu" | "selu";

export type FanMode = "fanIn" | "fanOut";

export interface KaimingOptions {
  /** The negative slope of the leaky ReLU that follows (only with nonlinearity "leakyRelu"); default 0. */
  a?: number;
  /** "fanIn" (default) preserves the variance of activations forward, "fanOut" of gradients backward. */
  mode?: FanMode;
  /** Default "leakyRelu" (with a = 0 that is ReLU's gain, sqrt(2)), as in PyTorch. */
  nonlinearity?: Nonlinearity;
  generator?: Generator;
}

const KAIMING_OPTION_KEYS = optionKeys<KaimingOptions>({ a: true, mode: true, nonlinearity: true, generator: true });

const LINEAR_LIKE = new Set(["linear", "conv1d", "conv2d", "conv3d", "convTranspose1d", "convTranspose2d", "convTranspose3d", "sigmoid"]);

/**
 * The recommended gain for a nonlinearity: 1 for linear/conv/sigmoid, 5/3 for tanh, sqrt(2) for relu,
 * sqrt(2 / (1 + slope^2)) for leakyRelu (slope defaults to 0.01), 3/4 for selu.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  if (LINEAR_LIKE.has(nonlinearity)) return 1;
  switch (nonlinearity) {
    case "tanh": return 5 / 3;
    case "relu": return Math.SQRT2;
    case "leakyRelu": {
      const slope = param ?? 0.01;
      if (typeof slope !== "number" || !Number.isFinite(slope)) throw new TypeError(`calculateGain: negative slope ${String(param)} is not a valid number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu": return 3 / 4;
  }
  const hint = nonlinearity === ("leaky_relu" as string) ? ' (Axon spells it "leakyRelu")' : "";
  throw new Error(`calculateGain: unsupported nonlinearity ${JSON.stringify(nonlinearity)}${hint}`);
}

/** [fanIn, fanOut] of a weight of at least 2 dimensions. */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  if (t.ndim < 2) throw new Error(`fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions (shape ${fmt(t.shape)})`);
  const receptive = numel(sliceDims(t.shape, 2));
  return [t.shape[1] * receptive, t.shape[0] * receptive];
}

function fanOf(t: Tensor, mode: FanMode): number {
  if (mode !== "fanIn" && mode !== "fanOut") {
    const hint = (mode as string) === "fan_in" || (mode as string) === "fan_out" ? ' (Axon spells it "fanIn" / "fanOut")' : "";
    throw new Error(`mode ${JSON.stringify(mode)} is not supported, use "fanIn" or "fanOut"${hint}`);
  }
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return mode === "fanIn" ? fanIn : fanOut;
}

/** Fills t from draw(generator), writing through a contiguous copy if t is a strided view. */
function fill(t: Tensor, draw: (g: Generator) => number, generator: Generator): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`nn.init: expected a Tensor, got ${t === null ? "null" : typeof t}`);
  if (t.isContiguous()) fillRandom(t, draw, generator);
  else noGrad(() => t.copy_(fillRandom(t.contiguous().clone().detach(), draw, generator)));
  return t;
}

/** Uniform on [a, b). */
export function uniform_(t: Tensor, a = 0, b = 1, generator: Generator = defaultGenerator): Tensor {
  if (!(a <= b)) throw new RangeError(`uniform_: expected a <= b, got a=${a}, b=${b}`);
  return fill(t, (g) => a + (b - a) * g.random(), generator);
}

/** Normal with the given mean and standard deviation. */
export function normal_(t: Tensor, mean = 0, std = 1, generator: Generator = defaultGenerator): Tensor {
  if (!(std >= 0)) throw new RangeError(`normal_: std must be non-negative, got ${std}`);
  return fill(t, (g) => mean + std * g.normal(), generator);
}

export function constant_(t: Tensor, value: number): Tensor {
  return noGrad(() => t.fill_(value));
}

export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

/** Glorot uniform: U(-b, b) with b = gain * sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform_(t: Tensor, gain = 1, generator: Generator = defaultGenerator): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound, generator);
}

/** Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, gain = 1, generator: Generator = defaultGenerator): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), generator);
}

/** He uniform: U(-b, b) with b = gain * sqrt(3 / fan), gain = calculateGain(nonlinearity, a). */
export function kaimingUniform_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  checkOptionKeys("kaimingUniform_", opts, KAIMING_OPTION_KEYS);
  const { a = 0, mode = "fanIn", nonlinearity = "leakyRelu", generator = defaultGenerator } = opts;
  const fan = fanOf(t, mode);
  if (fan === 0) return t; // an empty weight: nothing to fill (PyTorch warns and does the same)
  const bound = calculateGain(nonlinearity, a) * Math.sqrt(3 / fan);
  return uniform_(t, -bound, bound, generator);
}

/** He normal: N(0, std^2) with std = gain / sqrt(fan). */
export function kaimingNormal_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  checkOptionKeys("kaimingNormal_", opts, KAIMING_OPTION_KEYS);
  const { a = 0, mode = "fanIn", nonlinearity = "leakyRelu", generator = defaultGenerator } = opts;
  const fan = fanOf(t, mode);
  if (fan === 0) return t;
  return normal_(t, 0, calculateGain(nonlinearity, a) / Math.sqrt(fan), generator);
}
