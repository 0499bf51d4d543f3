// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight decay, as
// torch.optim.SGD.
//
// The update, per parameter (PyTorch's documented algorithm):
//
//   g_t <- ∇f(θ_{t-1}),  or −∇f(θ_{t-1}) when maximize
//   if λ ≠ 0:  g_t <- g_t + λ θ_{t-1}                          (weightDecay: L2, added to the gradient)
//   if μ ≠ 0:                                                  (momentum)
//       b_t <- g_t                        on the first step     (no dampening then)
//       b_t <- μ b_{t-1} + (1 − τ) g_t    afterwards            (τ: dampening)
//       g_t <- g_t + μ b_t   if nesterov,   else  g_t <- b_t
//   θ_t <- θ_{t-1} − γ g_t                                     (γ: lr)
//
// The loop itself is a backend kernel (Backend.sgdStep; its definition is src/backend/reference/optim.ts).

import type { Tensor } from "../tensor/tensor.js";
import { getBackend } from "../backend/registry.js";
import { sgdStep } from "../backend/reference/optim.js";
import { Optimizer, checkBoolean, checkNumber, type OptimizerOptions, type ParamGroup, type Params } from "./optimizer.js";

export interface SGDOptions extends OptimizerOptions {
  /** Learning rate γ. Default 1e-3 (PyTorch 2's default). */
  lr: number;
  /** Momentum factor μ. Default 0. */
  momentum: number;
  /** Dampening τ of the momentum. Default 0. */
  dampening: number;
  /** L2 penalty λ, added to the gradient. Default 0. */
  weightDecay: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default false. */
  nesterov: boolean;
  /** Maximize the objective instead of minimizing it. Default false. */
  maximize: boolean;
}

/** SGD's state per parameter: the momentum buffer b (null while momentum is 0). */
export type SGDState = { momentumBuffer: Tensor | null };

export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Params<SGDOptions>, options: Partial<SGDOptions> = {}) {
    super(params, { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false }, options);
  }

  protected override checkOptions(o: SGDOptions, where: string): void {
    super.checkOptions(o, where);
    checkNumber(this.name, where, "momentum", o.momentum, 0);
    checkNumber(this.name, where, "dampening", o.dampening, -Infinity);
    checkNumber(this.name, where, "weightDecay", o.weightDecay, 0);
    checkBoolean(this.name, where, "nesterov", o.nesterov);
    checkBoolean(this.name, where, "maximize", o.maximize);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new Error(`${this.name}: Nesterov momentum requires momentum > 0 and dampening 0 (got momentum ${o.momentum}, dampening ${o.dampening}; ${where})`);
    }
  }

  protected updateGroup(group: ParamGroup<SGDOptions>): void {
    const { lr, momentum: mu, dampening, weightDecay: wd, nesterov, maximize } = group;
    const kernel = getBackend().sgdStep ?? sgdStep;
    this.forEachParam<SGDState>(group, () => ({ momentumBuffer: null }), (theta, grad, state, p) => {
      const first = state.momentumBuffer === null;
      if (mu !== 0 && first) state.momentumBuffer = p.zerosLike();
      const b = mu !== 0 ? state.momentumBuffer!.data : null;
      kernel(theta, grad, b, { lr, momentum: mu, dampening, weightDecay: wd, nesterov, maximize, first });
    });
  }
}
