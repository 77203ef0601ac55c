import type { OptimizerSpec } from '../backend/types';
import type { LearningRateSchedule } from '../schedules';
import { expectBoolean, expectKnownKeys, expectNumber, expectOptionalObject, invalid } from '../validate';
import { baseSpec, CLIP_KEYS, type ClipOptions, clipSpec, expectRate, Optimizer, readClip } from './optimizer';

export const SGD_DEFAULTS = { learningRate: 0.01, momentum: 0, nesterov: false, weightDecay: 0 } as const;

/** Options of {@link SGD}; each defaults as stated. */
export interface SGDOptions extends ClipOptions {
  /** Step size lr, ≥ 0, or a schedule of the step (see {@link Optimizer.learningRate}). Default 0.01. */
  learningRate?: number | LearningRateSchedule;
  /** Momentum factor μ, ≥ 0. Default 0 (plain SGD). */
  momentum?: number;
  /** Nesterov momentum (needs momentum > 0). Default false. */
  nesterov?: boolean;
  /** L2 penalty λ added to the gradient, on every parameter including biases. Default 0. */
  weightDecay?: number;
}

/**
 * Stochastic gradient descent with PyTorch's (`torch.optim.SGD`) update rule, no dampening:
 * ```
 * g ← ∇θ + λ·θ                          (weightDecay λ, every parameter incl. biases)
 * if μ ≠ 0:  b ← g at the first step, else b ← μ·b + g
 *            g ← nesterov ? g + μ·b : b
 * θ ← θ − lr·g
 * ```
 * Defaults: learningRate 0.01, momentum 0, nesterov false, weightDecay 0. `clipNorm` /
 * `clipValue` clip ∇θ first ({@link ClipOptions}).
 * @throws RangeError when nesterov is set without momentum, or a value is out of range.
 * @example net.compile({ loss: 'mse', optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }) })
 */
export class SGD extends Optimizer {
  /** The name `compile` also accepts for this optimizer with its defaults. */
  readonly name = 'sgd' as const;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  /** Gradient clipping by global norm (see {@link ClipOptions}); undefined when off. */
  readonly clipNorm?: number;
  /** Gradient clipping by value (see {@link ClipOptions}); undefined when off. */
  readonly clipValue?: number;

  constructor(options?: SGDOptions) {
    super();
    const o = expectOptionalObject(options, 'SGD options');
    expectKnownKeys(o, [...Object.keys(SGD_DEFAULTS), ...CLIP_KEYS], 'SGD options');
    this.learningRate = o.learningRate === undefined ? SGD_DEFAULTS.learningRate : expectRate(o.learningRate);
    this.momentum = o.momentum === undefined ? SGD_DEFAULTS.momentum : expectNumber(o.momentum, 'momentum', { min: 0 });
    this.nesterov = o.nesterov === undefined ? SGD_DEFAULTS.nesterov : expectBoolean(o.nesterov, 'nesterov');
    this.weightDecay =
      o.weightDecay === undefined ? SGD_DEFAULTS.weightDecay : expectNumber(o.weightDecay, 'weightDecay', { min: 0 });
    if (this.nesterov && this.momentum <= 0)
      throw invalid('momentum > 0 when nesterov is true', 'momentum', String(this.momentum), 'range');
    const clip = readClip(o);
    if (clip.clipNorm !== undefined) this.clipNorm = clip.clipNorm;
    if (clip.clipValue !== undefined) this.clipValue = clip.clipValue;
    Object.freeze(this);
  }

  toSpec(): OptimizerSpec {
    return {
      ...baseSpec('sgd', this.rateAt(0)),
      momentum: this.momentum,
      nesterov: this.nesterov,
      weightDecay: this.weightDecay,
      ...clipSpec(this),
    };
  }
}
