import { describe, it } from 'vitest';
import { createOptimizer, optimizerStep } from '../../../lib/backend/js/optimizers';
import type { OptimizerSpec } from '../../../lib/backend/types';
import { refOptimizer } from '../../reference/optimizers';
import { expectClose } from '../../support/close';
import { TOL } from '../../support/tolerances';
import { optimizerSpec } from './helpers';

const THETA = [0.5, -1.25, 2, 0, -0.03];
const G1 = [0.1, -0.2, 0.3, 0.05, 0];
const G2 = [-0.4, 0.25, 0.01, -0.3, 0.2];

/** Two steps of the float64 reference (test/reference/optimizers.ts) from THETA. */
function twoSteps(o: OptimizerSpec): Float64Array {
  const theta = Float64Array.from(THETA);
  const ref = refOptimizer(o);
  ref.step(theta, G1);
  ref.step(theta, G2);
  return theta;
}

const CASES: Array<[string, OptimizerSpec]> = [
  ['sgd', optimizerSpec('sgd', { learningRate: 0.1 })],
  ['sgd + weight decay', optimizerSpec('sgd', { learningRate: 0.1, weightDecay: 0.05 })],
  ['sgd + momentum', optimizerSpec('sgd', { learningRate: 0.1, momentum: 0.9 })],
  [
    'sgd + nesterov + weight decay',
    optimizerSpec('sgd', { learningRate: 0.1, momentum: 0.8, nesterov: true, weightDecay: 0.01 }),
  ],
  ['adam', optimizerSpec('adam', { learningRate: 0.01 })],
  ['adam + L2 weight decay', optimizerSpec('adam', { learningRate: 0.01, weightDecay: 0.1 })],
  ['adamw', optimizerSpec('adamw', { learningRate: 0.01, weightDecay: 0.1 })],
  ['rmsprop', optimizerSpec('rmsprop', { learningRate: 0.01 })],
  [
    'rmsprop + momentum + weight decay',
    optimizerSpec('rmsprop', { learningRate: 0.01, momentum: 0.9, weightDecay: 0.02 }),
  ],
];

describe('js optimizers: two steps vs the PyTorch rules in float64', () => {
  for (const [name, spec] of CASES) {
    it(name, () => {
      const params = Float32Array.from(THETA);
      const state = createOptimizer(spec, params.length);
      optimizerStep(state, params, Float32Array.from(G1));
      optimizerStep(state, params, Float32Array.from(G2));
      expectClose(params, twoSteps(spec), TOL.optimizerSteps, `${name} after two steps`);
    });
  }

  it('createOptimizer starts fresh: same result as the first run after a reset', () => {
    const spec = optimizerSpec('adam', { learningRate: 0.05 });
    const a = Float32Array.from(THETA);
    let s = createOptimizer(spec, a.length);
    optimizerStep(s, a, Float32Array.from(G1));
    const afterOne = Float32Array.from(a);
    const b = Float32Array.from(THETA);
    s = createOptimizer(spec, b.length);
    optimizerStep(s, b, Float32Array.from(G2));
    s = createOptimizer(spec, b.length);
    b.set(THETA);
    optimizerStep(s, b, Float32Array.from(G1));
    expectClose(b, afterOne, TOL.exact, 'reset state');
  });
});
