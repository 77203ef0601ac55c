import type { OptimizerSpec } from '../backend/types';
import type { LearningRateSchedule } from '../schedules';
import { expectKnownKeys, expectNumber, expectOptionalObject } from '../validate';
import { baseSpec, CLIP_KEYS, type ClipOptions, clipSpec, expectRate, Optimizer, readClip } from './optimizer';

export const RMSPROP_DEFAULTS = { learningRate: 0.01, rho: 0.99, epsilon: 1e-8, momentum: 0, weightDecay: 0 } as const;

/** Options of {@link RMSProp}; each defaults as stated. */
export interface RMSPropOptions extends ClipOptions {
  /** Step size lr, ≥ 0, or a schedule of the step (see {@link Optimizer.learningRate}). Default 0.01. */
  learningRate?: number | LearningRateSchedule;
  /** Decay ρ of the running mean of squared gradients, in [0, 1). Default 0.99. */
  rho?: number;
  /** ε added to √v (outside the square root), ≥ 0. Default 1e-8. */
  epsilon?: number;
  /** Momentum factor μ, ≥ 0. Default 0. */
  momentum?: number;
  /** L2 penalty λ added to the gradient, on every parameter including biases. Default 0. */
  weightDecay?: number;
}

/**
 * RMSProp with PyTorch's (`torch.optim.RMSprop`, not centred) update rule:
 * ```
 * g ← ∇θ + λ·θ
 * v ← ρ·v + (1 − ρ)·g²
 * if μ > 0:  b ← μ·b + g / (√v + ε);  θ ← θ − lr·b
 * else:      θ ← θ − lr · g / (√v + ε)                (ε outside the square root)
 * ```
 * v and b start at 0, as in PyTorch.
 * Defaults: learningRate 0.01, rho 0.99, epsilon 1e-8, momentum 0, weightDecay 0. `clipNorm` /
 * `clipValue` clip ∇θ first ({@link ClipOptions}).
 * @example new RMSProp({ learningRate: 1e-3, momentum: 0.9 })
 */
export class RMSProp extends Optimizer {
  readonly name = 'rmsprop' as const;
  readonly rho: number;
  readonly epsilon: number;
  readonly momentum: number;
  readonly weightDecay: number;
  /** Gradient clipping by global norm (see {@link ClipOptions}); undefined when off. */
  readonly clipNorm?: number;
  /** Gradient clipping by value (see {@link ClipOptions}); undefined when off. */
  readonly clipValue?: number;

  constructor(options?: RMSPropOptions) {
    super();
    const o = expectOptionalObject(options, 'RMSProp options');
    expectKnownKeys(o, [...Object.keys(RMSPROP_DEFAULTS), ...CLIP_KEYS], 'RMSProp options');
    this.learningRate = o.learningRate === undefined ? RMSPROP_DEFAULTS.learningRate : expectRate(o.learningRate);
    this.rho = o.rho === undefined ? RMSPROP_DEFAULTS.rho : expectNumber(o.rho, 'rho', { min: 0, max: 1 });
    this.epsilon = o.epsilon === undefined ? RMSPROP_DEFAULTS.epsilon : expectNumber(o.epsilon, 'epsilon', { min: 0 });
    this.momentum =
      o.momentum === undefined ? RMSPROP_DEFAULTS.momentum : expectNumber(o.momentum, 'momentum', { min: 0 });
    this.weightDecay =
      o.weightDecay === undefined
        ? RMSPROP_DEFAULTS.weightDecay
        : expectNumber(o.weightDecay, 'weightDecay', { min: 0 });
    const clip = readClip(o);
    if (clip.clipNorm !== undefined) this.clipNorm = clip.clipNorm;
    if (clip.clipValue !== undefined) this.clipValue = clip.clipValue;
    Object.freeze(this);
  }

  toSpec(): OptimizerSpec {
    return {
      ...baseSpec('rmsprop', this.rateAt(0)),
      rho: this.rho,
      epsilon: this.epsilon,
      momentum: this.momentum,
      weightDecay: this.weightDecay,
      ...clipSpec(this),
    };
  }
}
