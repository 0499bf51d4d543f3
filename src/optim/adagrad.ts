// Adagrad (Duchi et al., 2011), as torch.optim.Adagrad: each coordinate's step shrinks with the sum of its past
// squared gradients.
//
// The update, per parameter, at step t = 1, 2, ... (PyTorch's documented algorithm):
//
//   g_t <- ∇f(θ_{t-1}),  or −∇f(θ_{t-1}) when maximize
//   γ̃ <- γ / (1 + (t − 1) η)                           (η: lrDecay)
//   if λ ≠ 0:  g_t <- g_t + λ θ_{t-1}                   (weightDecay)
//   s_t <- s_{t-1} + g_t²                               (s_0 = initialAccumulatorValue)
//   θ_t <- θ_{t-1} − γ̃ g_t / (sqrt(s_t) + ε)
//
// The loop itself is a backend kernel (Backend.adagradStep; its definition is src/backend/reference/optim.ts).

import type { Tensor } from "../tensor/tensor.js";
import { getBackend } from "../backend/registry.js";
import { adagradStep } from "../backend/reference/optim.js";
import { noGrad } from "../autograd/grad_mode.js";
import { Optimizer, checkBoolean, checkNumber, type OptimizerOptions, type ParamGroup, type ParamGroupInput, type Params } from "./optimizer.js";

export interface AdagradOptions extends OptimizerOptions {
  /** Learning rate γ. Default 1e-2. */
  lr: number;
  /** Learning-rate decay η. Default 0. */
  lrDecay: number;
  /** L2 penalty λ, added to the gradient. Default 0. */
  weightDecay: number;
  /** Starting value s_0 of the sum of squared gradients. Default 0. */
  initialAccumulatorValue: number;
  /** ε, added to the denominator. Default 1e-10. */
  eps: number;
  /** Maximize the objective instead of minimizing it. Default false. */
  maximize: boolean;
}

/** Adagrad's state per parameter: the step count and the running sum s of squared gradients. */
export type AdagradState = { step: number; sum: Tensor };

export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: Params<AdagradOptions>, options: Partial<AdagradOptions> = {}) {
    super(params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false }, options);
  }

  /** As in PyTorch, a parameter's state exists as soon as its group is added (stateDict() shows it before any step). */
  override addParamGroup(group: ParamGroupInput<AdagradOptions>): void {
    super.addParamGroup(group);
    const added = this.paramGroups[this.paramGroups.length - 1];
    for (const p of added.params) this.state.set(p, Adagrad.initState(p, added.initialAccumulatorValue));
  }

  private static initState(p: Tensor, initial: number): AdagradState {
    return { step: 0, sum: noGrad(() => p.zerosLike().fill_(initial)) };
  }

  protected override checkOptions(o: AdagradOptions, where: string): void {
    super.checkOptions(o, where);
    checkNumber(this.name, where, "lrDecay", o.lrDecay, 0);
    checkNumber(this.name, where, "weightDecay", o.weightDecay, 0);
    checkNumber(this.name, where, "initialAccumulatorValue", o.initialAccumulatorValue, 0);
    checkNumber(this.name, where, "eps", o.eps, 0);
    checkBoolean(this.name, where, "maximize", o.maximize);
  }

  protected updateGroup(group: ParamGroup<AdagradOptions>): void {
    const { lr, lrDecay, weightDecay: wd, eps, maximize } = group;
    const init = (p: Tensor) => Adagrad.initState(p, group.initialAccumulatorValue);
    const kernel = getBackend().adagradStep ?? adagradStep;
    this.forEachParam<AdagradState>(group, init, (theta, grad, state) => {
      const t = ++state.step;
      const clr = lr / (1 + (t - 1) * lrDecay);
      kernel(theta, grad, state.sum.data, { clr, eps, weightDecay: wd, maximize });
    });
  }
}
