// RMSprop (Hinton's lecture 6e), as torch.optim.RMSprop, with optional momentum and the centered variant
// (Graves, 2013), which divides by an estimate of the gradient's variance instead of its raw second moment.
//
// The update, per parameter (PyTorch's documented algorithm):
//
//   g_t <- ∇f(θ_{t-1}),  or −∇f(θ_{t-1}) when maximize
//   if λ ≠ 0:  g_t <- g_t + λ θ_{t-1}                   (weightDecay)
//   v_t <- α v_{t-1} + (1 − α) g_t²                      (square average, v_0 = 0)
//   ṽ_t <- v_t
//   if centered:
//       g^ave_t <- α g^ave_{t-1} + (1 − α) g_t           (gradient average, g^ave_0 = 0)
//       ṽ_t <- v_t − (g^ave_t)²
//   if μ > 0:
//       b_t <- μ b_{t-1} + g_t / (sqrt(ṽ_t) + ε)         (momentum buffer, b_0 = 0)
//       θ_t <- θ_{t-1} − γ b_t
//   else:
//       θ_t <- θ_{t-1} − γ g_t / (sqrt(ṽ_t) + ε)
//
// The loop itself is a backend kernel (Backend.rmspropStep; its definition is src/backend/reference/optim.ts).

import type { Tensor } from "../tensor/tensor.js";
import { getBackend } from "../backend/registry.js";
import { rmspropStep } from "../backend/reference/optim.js";
import { Optimizer, checkBoolean, checkNumber, type OptimizerOptions, type ParamGroup, type Params } from "./optimizer.js";

export interface RMSpropOptions extends OptimizerOptions {
  /** Learning rate γ. Default 1e-2. */
  lr: number;
  /** Smoothing constant α. Default 0.99. */
  alpha: number;
  /** ε, added to the denominator. Default 1e-8. */
  eps: number;
  /** L2 penalty λ, added to the gradient. Default 0. */
  weightDecay: number;
  /** Momentum factor μ. Default 0. */
  momentum: number;
  /** Normalize by the estimated variance of the gradient. Default false. */
  centered: boolean;
  /** Maximize the objective instead of minimizing it. Default false. */
  maximize: boolean;
}

/** RMSprop's state per parameter. */
export type RMSpropState = { step: number; squareAvg: Tensor; momentumBuffer?: Tensor; gradAvg?: Tensor };

export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: Params<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super(params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false }, options);
  }

  protected override checkOptions(o: RMSpropOptions, where: string): void {
    super.checkOptions(o, where);
    checkNumber(this.name, where, "alpha", o.alpha, 0);
    checkNumber(this.name, where, "eps", o.eps, 0);
    checkNumber(this.name, where, "weightDecay", o.weightDecay, 0);
    checkNumber(this.name, where, "momentum", o.momentum, 0);
    checkBoolean(this.name, where, "centered", o.centered);
    checkBoolean(this.name, where, "maximize", o.maximize);
  }

  protected updateGroup(group: ParamGroup<RMSpropOptions>): void {
    const { lr, alpha, eps, weightDecay: wd, momentum: mu, centered, maximize } = group;
    const init = (p: Tensor): RMSpropState => ({ step: 0, squareAvg: p.zerosLike() });
    const kernel = getBackend().rmspropStep ?? rmspropStep;
    this.forEachParam<RMSpropState>(group, init, (theta, grad, state, p) => {
      state.step += 1;
      // A group's momentum or centered option may be switched on later: the buffer starts at zero then.
      if (mu > 0 && state.momentumBuffer === undefined) state.momentumBuffer = p.zerosLike();
      if (centered && state.gradAvg === undefined) state.gradAvg = p.zerosLike();
      const b = mu > 0 ? state.momentumBuffer!.data : null;
      const gAve = centered ? state.gradAvg!.data : null;
      kernel(theta, grad, state.squareAvg.data, gAve, b, { lr, alpha, eps, weightDecay: wd, momentum: mu, maximize });
    });
  }
}
