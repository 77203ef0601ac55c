import type { OptimizerSpec } from '../backend/types';
import type { LearningRateSchedule } from '../schedules';
import { expectKnownKeys, expectNumber, expectOptionalObject } from '../validate';
import { baseSpec, CLIP_KEYS, type ClipOptions, clipSpec, expectRate, Optimizer, readClip } from './optimizer';

export const ADAM_DEFAULTS = { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 } as const;
export const ADAMW_DEFAULTS = { ...ADAM_DEFAULTS, weightDecay: 0.01 } as const;

/** Options of {@link Adam} and {@link AdamW}; each defaults as stated. */
export interface AdamOptions extends ClipOptions {
  /** Step size lr, ≥ 0, or a schedule of the step (see {@link Optimizer.learningRate}). Default 0.001. */
  learningRate?: number | LearningRateSchedule;
  /** Decay β1 of the first-moment estimate, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay β2 of the second-moment estimate, in [0, 1). Default 0.999. */
  beta2?: number;
  /** ε added to the square root of the second moment (outside it), ≥ 0. Default 1e-8. */
  epsilon?: number;
  /**
   * Weight decay λ on every parameter including biases: for Adam an L2 penalty added
   * to the gradient (default 0); for AdamW decoupled, θ ← θ·(1 − lr·λ) (default 0.01).
   */
  weightDecay?: number;
}

function readAdam(o: Record<string, unknown>, defaults: typeof ADAM_DEFAULTS | typeof ADAMW_DEFAULTS, name: string) {
  expectKnownKeys(o, [...Object.keys(defaults), ...CLIP_KEYS], name);
  return {
    learningRate: o.learningRate === undefined ? defaults.learningRate : expectRate(o.learningRate),
    beta1:
      o.beta1 === undefined ? defaults.beta1 : expectNumber(o.beta1, 'beta1', { min: 0, max: 1, maxExclusive: true }),
    beta2:
      o.beta2 === undefined ? defaults.beta2 : expectNumber(o.beta2, 'beta2', { min: 0, max: 1, maxExclusive: true }),
    epsilon: o.epsilon === undefined ? defaults.epsilon : expectNumber(o.epsilon, 'epsilon', { min: 0 }),
    weightDecay:
      o.weightDecay === undefined ? defaults.weightDecay : expectNumber(o.weightDecay, 'weightDecay', { min: 0 }),
    ...readClip(o),
  };
}

/**
 * Adam with PyTorch's (`torch.optim.Adam`, amsgrad off) update rule, t counting from 1:
 * ```
 * g ← ∇θ + λ·θ                                  (weightDecay λ: L2 added to the gradient)
 * m ← β1·m + (1 − β1)·g        v ← β2·v + (1 − β2)·g²
 * θ ← θ − lr · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε)     (ε outside the square root)
 * ```
 * Defaults: learningRate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-8, weightDecay 0. `clipNorm` /
 * `clipValue` clip ∇θ first ({@link ClipOptions}).
 * @example net.compile({ loss: 'categoricalCrossentropy', optimizer: new Adam({ learningRate: 1e-3 }) })
 */
export class Adam extends Optimizer {
  readonly name: 'adam' | 'adamw' = 'adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  /** Gradient clipping by global norm (see {@link ClipOptions}); undefined when off. */
  readonly clipNorm?: number;
  /** Gradient clipping by value (see {@link ClipOptions}); undefined when off. */
  readonly clipValue?: number;

  constructor(options?: AdamOptions) {
    super();
    const v = readAdam(expectOptionalObject(options, 'Adam options'), ADAM_DEFAULTS, 'Adam options');
    this.learningRate = v.learningRate;
    this.beta1 = v.beta1;
    this.beta2 = v.beta2;
    this.epsilon = v.epsilon;
    this.weightDecay = v.weightDecay;
    if (v.clipNorm !== undefined) this.clipNorm = v.clipNorm;
    if (v.clipValue !== undefined) this.clipValue = v.clipValue;
    if (new.target === Adam) Object.freeze(this);
  }

  toSpec(): OptimizerSpec {
    return {
      ...baseSpec(this.name, this.rateAt(0)),
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      weightDecay: this.weightDecay,
      ...clipSpec(this),
    };
  }
}

/**
 * AdamW (`torch.optim.AdamW`): Adam with decoupled weight decay, applied before the Adam step:
 * ```
 * θ ← θ · (1 − lr·λ)
 * m ← β1·m + (1 − β1)·∇θ      v ← β2·v + (1 − β2)·∇θ²
 * θ ← θ − lr · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε)
 * ```
 * Defaults: as Adam, but weightDecay 0.01.
 * @example new AdamW({ learningRate: 1e-3, weightDecay: 0.05 })
 */
export class AdamW extends Adam {
  override readonly name = 'adamw' as const;

  constructor(options?: AdamOptions) {
    const o = expectOptionalObject(options, 'AdamW options');
    expectKnownKeys(o, [...Object.keys(ADAMW_DEFAULTS), ...CLIP_KEYS], 'AdamW options');
    super({ ...o, weightDecay: o.weightDecay === undefined ? ADAMW_DEFAULTS.weightDecay : (o.weightDecay as number) });
    Object.freeze(this);
  }
}
