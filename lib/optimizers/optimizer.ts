import type { OptimizerName, OptimizerSpec } from '../backend/types';
import { type LearningRateSchedule, rateAt } from '../schedules';
import { describe, expectNumber, invalid } from '../validate';

/**
 * Gradient clipping, an option of every optimizer. Both act on the loss gradient (the
 * regularizer penalty's included) before the optimizer's own rule, weight decay included,
 * and when both are set, in this order — what a PyTorch user writes as
 * `clip_grad_value_(params, clipValue)` then `clip_grad_norm_(params, clipNorm)`, so the
 * gradient the rule sees never has a norm above clipNorm:
 * 1. `clipValue` v: each gradient element clamped to [−v, v];
 * 2. `clipNorm` c: the whole gradient (every parameter of the network, one global L2 norm
 *    ‖g‖) scaled by c / (‖g‖ + 1e-6) when that is < 1 (`torch.nn.utils.clip_grad_norm_`).
 */
export interface ClipOptions {
  /** Maximum global L2 norm of the gradient, > 0. Default: off. */
  clipNorm?: number;
  /** Maximum absolute value of each gradient element, > 0. Default: off. */
  clipValue?: number;
}

/** The option names of {@link ClipOptions}, accepted by every optimizer. */
export const CLIP_KEYS: readonly string[] = ['clipNorm', 'clipValue'];

/** Reads {@link ClipOptions} from an optimizer's options (each a finite number > 0, or undefined). */
export function readClip(o: Record<string, unknown>): { clipNorm: number | undefined; clipValue: number | undefined } {
  return {
    clipNorm:
      o.clipNorm === undefined ? undefined : expectNumber(o.clipNorm, 'clipNorm', { min: 0, minExclusive: true }),
    clipValue:
      o.clipValue === undefined ? undefined : expectNumber(o.clipValue, 'clipValue', { min: 0, minExclusive: true }),
  };
}

/** The spec fields of an optimizer's clipping (0 = off). */
export function clipSpec(opt: { readonly clipNorm?: number; readonly clipValue?: number }): {
  clipNorm: number;
  clipValue: number;
} {
  return { clipNorm: opt.clipNorm ?? 0, clipValue: opt.clipValue ?? 0 };
}

/**
 * Base of every optimizer: a bag of hyper-parameters, immutable except `learningRate`;
 * state lives in the network's backend.
 */
export abstract class Optimizer {
  /** The optimizer's name, as `compile` accepts it. */
  abstract readonly name: OptimizerName;
  #learningRate: number | LearningRateSchedule = 0;

  /**
   * The step size: a number (≥ 0), or a schedule, a function of the optimizer step t (the
   * number of updates made before this one) returning the rate of update t (see
   * `stepDecay`, `exponentialDecay`, `cosineDecay`). Settable between steps: a new value
   * takes effect at the next `trainOnBatch`, or at the next epoch of a running `fit` (whose
   * per-batch rates are fixed when each epoch starts, on both backends).
   * @throws TypeError/RangeError (when set) for anything but a number ≥ 0 or a function.
   */
  get learningRate(): number | LearningRateSchedule {
    return this.#learningRate;
  }

  set learningRate(value: number | LearningRateSchedule) {
    if (typeof value === 'function') this.#learningRate = value;
    else if (typeof value === 'number') this.#learningRate = expectNumber(value, 'learningRate', { min: 0 });
    else throw invalid('a number ≥ 0 or a schedule function', 'learningRate', describe(value));
  }

  /**
   * The rate of update `step` (t = the number of updates made before it).
   * @throws RangeError naming the step when a schedule returns a non-finite or negative rate.
   */
  rateAt(step: number): number {
    return rateAt(this.#learningRate, step);
  }

  /**
   * The fully resolved hyper-parameters handed to a backend (the rate: that of update 0).
   * @internal
   */
  abstract toSpec(): OptimizerSpec;
}

/** A `learningRate` option: a number ≥ 0 or a schedule function. */
export function expectRate(value: unknown): number | LearningRateSchedule {
  if (typeof value === 'function') return value as LearningRateSchedule;
  return expectNumber(value, 'learningRate', { min: 0 });
}

/** Spec fields an optimizer does not use are set to these neutral values. */
export function baseSpec(kind: OptimizerName, learningRate: number): OptimizerSpec {
  return {
    kind,
    learningRate,
    momentum: 0,
    nesterov: false,
    weightDecay: 0,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    rho: 0.99,
  };
}
