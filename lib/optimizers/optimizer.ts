import type { OptimizerName, OptimizerSpec } from '../backend/types';

/** Base of every optimizer: an immutable bag of hyper-parameters; state lives in the network's backend. */
export abstract class Optimizer {
  /** The optimizer's name, as `compile` accepts it. */
  abstract readonly name: OptimizerName;
  /**
   * The fully resolved hyper-parameters handed to a backend.
   * @internal
   */
  abstract toSpec(): OptimizerSpec;
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
