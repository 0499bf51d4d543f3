// Fused optimizer updates: the definition that faster backends' kernels (native/kernels_impl.h adam_loop, sgd_loop,
// rmsprop_loop, adagrad_loop) match. Each is the per-element loop of its optimizer's documented update (see src/optim/adam.ts, adamw.ts,
// sgd.ts, rmsprop.ts and adagrad.ts), written once here so that every backend runs the same arithmetic.

import type { AdagradStepParams, AdamStepParams, RmspropStepParams, SgdStepParams } from "../backend.js";
import type { TypedArray } from "../../tensor/dtype.js";

const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;

/**
 * After a state value is stored: in a float32 state array, a value below the smallest normal float32 becomes a zero
 * of its sign. The moments of a weight whose gradient is always zero (an MNIST border pixel's) otherwise decay into
 * subnormal numbers and stay there (0.9 x the smallest subnormal rounds back to it), and arithmetic on subnormals is
 * slow on Intel CPUs (a microcode assist per operation: an MLP's native Adam step took 0.7 ms instead of ~0.15 on
 * a Xeon).
 * PyTorch keeps them; the difference in any update is below 1e-38.
 */
function flushState(a: TypedArray, i: number): void {
  const x = a[i];
  if (x !== 0 && Math.abs(x) < FLOAT32_MIN_NORMAL && a instanceof Float32Array) a[i] = x < 0 ? -0 : 0;
}

/**
 * One Adam (decoupled = false: L2 penalty added to the gradient) or AdamW (decoupled = true: the parameter shrinks
 * by 1 - lr*λ first) step, in place:
 *   m <- β1 m + (1 − β1) g;   v <- β2 v + (1 − β2) g²;   v̂ <- max(v̂, v) with AMSGrad
 *   θ <- θ − lr/(1 − β1^t) · m / (sqrt(v) / sqrt(1 − β2^t) + ε)
 * Scalars are float64; m, v and θ are stored (and read back) at their arrays' precision, as PyTorch's float32
 * state is, with subnormal float32 moments stored as zero (see flushState).
 */
export function adamStep(
  theta: TypedArray, grad: TypedArray, m: TypedArray, v: TypedArray, vMax: TypedArray | null, p: AdamStepParams,
): void {
  const { beta1, beta2, eps, weightDecay: wd, decoupled, maximize } = p;
  const { stepSize, bias2Sqrt, decay } = adamScalars(p);
  for (let i = 0; i < theta.length; i++) {
    let g = maximize ? -grad[i] : grad[i];
    if (decoupled) theta[i] = theta[i] * decay;
    else if (wd !== 0) g = g + wd * theta[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    flushState(m, i);
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    flushState(v, i);
    let vt = v[i];
    if (vMax !== null) {
      vMax[i] = Math.max(vMax[i], vt);
      vt = vMax[i];
    }
    theta[i] = theta[i] - stepSize * (m[i] / (Math.sqrt(vt) / bias2Sqrt + eps));
  }
}

/** The scalars adamStep derives from p, for kernels that take them precomputed (computed as adamStep does). */
export function adamScalars(p: AdamStepParams): { stepSize: number; bias2Sqrt: number; decay: number } {
  return { stepSize: p.lr / (1 - p.beta1 ** p.step), bias2Sqrt: Math.sqrt(1 - p.beta2 ** p.step), decay: 1 - p.lr * p.weightDecay };
}

/**
 * One SGD step, in place (torch.optim.SGD's documented update):
 *   g <- ±grad + λ θ;   with momentum μ:  b <- g on the first step, else μ b + (1 − τ) g;  g <- g + μ b (Nesterov) or b
 *   θ <- θ − lr g
 * Arithmetic in float64; b and θ are stored (and b read back) at their arrays' precision, a subnormal float32 b
 * as zero (see flushState).
 */
export function sgdStep(theta: TypedArray, grad: TypedArray, b: TypedArray | null, p: SgdStepParams): void {
  const { lr, momentum: mu, dampening, weightDecay: wd, nesterov, maximize, first } = p;
  for (let i = 0; i < theta.length; i++) {
    let g = maximize ? -grad[i] : grad[i];
    if (wd !== 0) g = g + wd * theta[i];
    if (b !== null) {
      b[i] = first ? g : mu * b[i] + (1 - dampening) * g;
      flushState(b, i);
      g = nesterov ? g + mu * b[i] : b[i];
    }
    theta[i] = theta[i] - lr * g;
  }
}

/**
 * One RMSprop step, in place (torch.optim.RMSprop's documented update); centered when gAve is given, with momentum
 * when b is:
 *   g <- ±grad + λ θ;   v <- α v + (1 − α) g²;   ṽ <- v, or v − gAve² with gAve <- α gAve + (1 − α) g
 *   b <- μ b + g / (sqrt(ṽ) + ε), θ <- θ − lr b;   or without momentum θ <- θ − lr g / (sqrt(ṽ) + ε)
 * Arithmetic in float64; the state and θ are stored (and the state read back) at their arrays' precision, a
 * subnormal float32 b, and v when not centered, as zero (see flushState).
 */
export function rmspropStep(theta: TypedArray, grad: TypedArray, v: TypedArray, gAve: TypedArray | null, b: TypedArray | null, p: RmspropStepParams): void {
  const { lr, alpha, eps, weightDecay: wd, momentum: mu, maximize } = p;
  for (let i = 0; i < theta.length; i++) {
    let g = maximize ? -grad[i] : grad[i];
    if (wd !== 0) g = g + wd * theta[i];
    v[i] = alpha * v[i] + (1 - alpha) * g * g;
    // Centered, v and gAve are kept as they are: a flushed v under a gAve that is not yet flushed would make
    // v - gAve² negative and the step NaN.
    if (gAve === null) flushState(v, i);
    let vTilde = v[i];
    if (gAve !== null) {
      gAve[i] = alpha * gAve[i] + (1 - alpha) * g;
      vTilde = v[i] - gAve[i] * gAve[i];
    }
    const denom = Math.sqrt(vTilde) + eps;
    if (b !== null) {
      b[i] = mu * b[i] + g / denom;
      flushState(b, i);
      theta[i] = theta[i] - lr * b[i];
    } else {
      theta[i] = theta[i] - lr * (g / denom);
    }
  }
}

/**
 * One Adagrad step, in place (torch.optim.Adagrad's documented update):
 *   g <- ±grad + λ θ;   s <- s + g²;   θ <- θ − clr g / (sqrt(s) + ε)
 * Arithmetic in float64; s and θ are stored (and s read back) at their arrays' precision.
 */
export function adagradStep(theta: TypedArray, grad: TypedArray, s: TypedArray, p: AdagradStepParams): void {
  const { clr, eps, weightDecay: wd, maximize } = p;
  for (let i = 0; i < theta.length; i++) {
    let g = maximize ? -grad[i] : grad[i];
    if (wd !== 0) g = g + wd * theta[i];
    s[i] = s[i] + g * g;
    theta[i] = theta[i] - clr * (g / (Math.sqrt(s[i]) + eps));
  }
}
