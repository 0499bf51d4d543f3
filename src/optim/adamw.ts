// AdamW (Loshchilov & Hutter, 2017), as torch.optim.AdamW: Adam with decoupled weight decay, which shrinks the
// parameter directly instead of adding λθ to the gradient (so the decay is not rescaled by the adaptive denominator).
//
// The update, per parameter, at step t = 1, 2, ... (PyTorch's documented algorithm):
//
//   g_t <- ∇f(θ_{t-1}),  or −∇f(θ_{t-1}) when maximize
//   θ_t <- θ_{t-1} − γ λ θ_{t-1}                         (weightDecay, decoupled; default λ = 1e-2)
//   m_t <- β1 m_{t-1} + (1 − β1) g_t                      (m_0 = 0)
//   v_t <- β2 v_{t-1} + (1 − β2) g_t²                     (v_0 = 0)
//   if amsgrad:  v_t^max <- max(v_{t-1}^max, v_t),  and v_t^max stands in for v_t below
//   θ_t <- θ_t − γ/(1 − β1^t) · m_t / ( sqrt(v_t) / sqrt(1 − β2^t) + ε )
//
// The loop is the backend kernel adamStep with decoupled = true (see adam.ts).

import { Optimizer, type ParamGroup, type Params } from "./optimizer.js";
import { checkAdamOptions, initAdamState, runAdamStep, type AdamOptions, type AdamState } from "./adam.js";

export type AdamWOptions = AdamOptions;

export class AdamW extends Optimizer<AdamWOptions> {
  constructor(params: Params<AdamWOptions>, options: Partial<AdamWOptions> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false }, options);
  }

  protected override checkOptions(o: AdamWOptions, where: string): void {
    super.checkOptions(o, where);
    checkAdamOptions(this.name, o, where);
  }

  protected updateGroup(group: ParamGroup<AdamWOptions>): void {
    const { lr, betas: [beta1, beta2], eps, weightDecay: wd, amsgrad, maximize } = group;
    this.forEachParam<AdamState>(group, (p) => initAdamState(p, amsgrad), (theta, grad, state, p) => {
      const step = ++state.step;
      runAdamStep(theta, grad, state, p, { lr, beta1, beta2, eps, weightDecay: wd, decoupled: true, maximize, step }, amsgrad);
    });
  }
}
