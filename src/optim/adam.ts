// Adam (Kingma & Ba, 2014), with the AMSGrad variant, as torch.optim.Adam. Weight decay here is the L2 penalty
// added to the gradient; for decoupled weight decay use AdamW.
//
// The update, per parameter, at step t = 1, 2, ... (PyTorch's documented algorithm):
//
//   g_t <- ∇f(θ_{t-1}),  or −∇f(θ_{t-1}) when maximize
//   if λ ≠ 0:  g_t <- g_t + λ θ_{t-1}                  (weightDecay)
//   m_t <- β1 m_{t-1} + (1 − β1) g_t                    (first moment,  m_0 = 0)
//   v_t <- β2 v_{t-1} + (1 − β2) g_t²                   (second moment, v_0 = 0)
//   if amsgrad:  v_t^max <- max(v_{t-1}^max, v_t),  and v_t^max stands in for v_t below
//   θ_t <- θ_{t-1} − γ/(1 − β1^t) · m_t / ( sqrt(v_t) / sqrt(1 − β2^t) + ε )
//
// The last line is γ m̂_t / (sqrt(v̂_t) + ε) with the bias corrections m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t),
// grouped as PyTorch computes it. The loop itself is the backend kernel adamStep, shared with AdamW: its reference
// definition (src/backend/reference/optim.ts) is this update, term for term; the native backend runs the same
// arithmetic in C++ for float32 parameters.

import type { Tensor } from "../tensor/tensor.js";
import type { TypedArray } from "../tensor/dtype.js";
import type { AdamStepParams } from "../backend/backend.js";
import { getBackend } from "../backend/registry.js";
import { adamStep } from "../backend/reference/optim.js";
import { Optimizer, checkBoolean, checkNumber, type OptimizerOptions, type ParamGroup, type Params } from "./optimizer.js";

export interface AdamOptions extends OptimizerOptions {
  /** Learning rate γ. Default 1e-3. */
  lr: number;
  /** Decay rates (β1, β2) of the moment estimates. Default [0.9, 0.999]. */
  betas: readonly [number, number];
  /** ε, added to the denominator for stability. Default 1e-8. */
  eps: number;
  /** L2 penalty λ, added to the gradient. Default 0. */
  weightDecay: number;
  /** Use AMSGrad's running maximum of the second moment. Default false. */
  amsgrad: boolean;
  /** Maximize the objective instead of minimizing it. Default false. */
  maximize: boolean;
}

/** Adam's (and AdamW's) state per parameter. */
export type AdamState = { step: number; expAvg: Tensor; expAvgSq: Tensor; maxExpAvgSq?: Tensor };

/** Checks the options Adam and AdamW share. */
export function checkAdamOptions(name: string, o: AdamOptions, where: string): void {
  checkNumber(name, where, "eps", o.eps, 0);
  if (!Array.isArray(o.betas) || o.betas.length !== 2) throw new TypeError(`${name}: betas must be a pair [β1, β2], got ${JSON.stringify(o.betas)} (${where})`);
  checkNumber(name, where, "betas[0]", o.betas[0], 0, 1);
  checkNumber(name, where, "betas[1]", o.betas[1], 0, 1);
  checkNumber(name, where, "weightDecay", o.weightDecay, 0);
  checkBoolean(name, where, "amsgrad", o.amsgrad);
  checkBoolean(name, where, "maximize", o.maximize);
}

/** A parameter's first Adam state: zero moments, step 0. */
export function initAdamState(p: Tensor, amsgrad: boolean): AdamState {
  const s: AdamState = { step: 0, expAvg: p.zerosLike(), expAvgSq: p.zerosLike() };
  if (amsgrad) s.maxExpAvgSq = p.zerosLike();
  return s;
}

/** Runs one step on the current backend's fused kernel (or the reference one, which defines it). */
export function runAdamStep(theta: TypedArray, grad: TypedArray, state: AdamState, p: Tensor, params: AdamStepParams, amsgrad: boolean): void {
  if (amsgrad && state.maxExpAvgSq === undefined) state.maxExpAvgSq = p.zerosLike();
  const vMax = amsgrad ? state.maxExpAvgSq!.data : null;
  const kernel = getBackend().adamStep ?? adamStep;
  kernel(theta, grad, state.expAvg.data, state.expAvgSq.data, vMax, params);
}

export class Adam extends Optimizer<AdamOptions> {
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false }, options);
  }

  protected override checkOptions(o: AdamOptions, where: string): void {
    super.checkOptions(o, where);
    checkAdamOptions(this.name, o, where);
  }

  protected updateGroup(group: ParamGroup<AdamOptions>): void {
    const { lr, betas: [beta1, beta2], eps, weightDecay: wd, amsgrad, maximize } = group;
    this.forEachParam<AdamState>(group, (p) => initAdamState(p, amsgrad), (theta, grad, state, p) => {
      const step = ++state.step;
      runAdamStep(theta, grad, state, p, { lr, beta1, beta2, eps, weightDecay: wd, decoupled: false, maximize, step }, amsgrad);
    });
  }
}
