/** Shared helpers of the js backend unit tests. */
import type { ModelSpec, OptimizerName, OptimizerSpec } from '../../../lib/backend/types';
import { buildModelSpec } from '../../../lib/layers/plan';
import type { Rng } from '../../../lib/random';
import { plannedLayers, type TestLayer } from '../../support/spec';

/** `n` uniform values in [lo, hi) from a seeded generator, as float32. */
export function randomF32(rng: Rng, n: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rng.nextFloat();
  return out;
}

export type { TestLayer };

/** A ModelSpec with the parameter layout of types.ts, built by lib/layers/plan.ts. */
export function buildSpec(inputs: number, layers: TestLayer[], seed = 7): ModelSpec {
  return buildModelSpec(inputs, plannedLayers(layers), seed);
}

/** An OptimizerSpec with PyTorch's defaults, overridden by `o`. */
export function optimizerSpec(kind: OptimizerName, o: Partial<OptimizerSpec> = {}): OptimizerSpec {
  return {
    kind,
    learningRate: 0.01,
    momentum: 0,
    nesterov: false,
    weightDecay: 0,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    rho: 0.99,
    ...o,
  };
}
