import { describe, it } from 'vitest';
import { createOptimizer, optimizerStep } from '../../../lib/backend/js/optimizers';
import type { OptimizerSpec } from '../../../lib/backend/types';
import { expectClose, optimizerSpec } from './helpers';

const THETA = [0.5, -1.25, 2, 0, -0.03];
const G1 = [0.1, -0.2, 0.3, 0.05, 0];
const G2 = [-0.4, 0.25, 0.01, -0.3, 0.2];

/**
 * Two steps of PyTorch's update rules written out in float64, one parameter at a time,
 * straight from the torch.optim pseudo-code.
 */
function twoSteps(o: OptimizerSpec): number[] {
  const { learningRate: lr, weightDecay: wd, momentum: mu } = o;
  return THETA.map((theta0, i) => {
    let th = theta0;
    let m = 0;
    let v = 0;
    let buf = 0;
    [G1[i]!, G2[i]!].forEach((grad, step) => {
      const t = step + 1;
      let g = grad;
      switch (o.kind) {
        case 'sgd':
          g += wd * th;
          if (mu !== 0) {
            buf = t === 1 ? g : mu * buf + g;
            g = o.nesterov ? g + mu * buf : buf;
          }
          th -= lr * g;
          break;
        case 'adam':
        case 'adamw': {
          if (o.kind === 'adamw') th *= 1 - lr * wd;
          else g += wd * th;
          m = o.beta1 * m + (1 - o.beta1) * g;
          v = o.beta2 * v + (1 - o.beta2) * g * g;
          const mHat = m / (1 - o.beta1 ** t);
          const vHat = v / (1 - o.beta2 ** t);
          th -= (lr * mHat) / (Math.sqrt(vHat) + o.epsilon);
          break;
        }
        case 'rmsprop':
          g += wd * th;
          v = o.rho * v + (1 - o.rho) * g * g;
          if (mu !== 0) {
            buf = mu * buf + g / (Math.sqrt(v) + o.epsilon);
            th -= lr * buf;
          } else {
            th -= (lr * g) / (Math.sqrt(v) + o.epsilon);
          }
          break;
      }
    });
    return th;
  });
}

const CASES: Array<[string, OptimizerSpec]> = [
  ['sgd', optimizerSpec('sgd', { learningRate: 0.1 })],
  ['sgd + weight decay', optimizerSpec('sgd', { learningRate: 0.1, weightDecay: 0.05 })],
  ['sgd + momentum', optimizerSpec('sgd', { learningRate: 0.1, momentum: 0.9 })],
  ['sgd + nesterov + weight decay', optimizerSpec('sgd', { learningRate: 0.1, momentum: 0.8, nesterov: true, weightDecay: 0.01 })],
  ['adam', optimizerSpec('adam', { learningRate: 0.01 })],
  ['adam + L2 weight decay', optimizerSpec('adam', { learningRate: 0.01, weightDecay: 0.1 })],
  ['adamw', optimizerSpec('adamw', { learningRate: 0.01, weightDecay: 0.1 })],
  ['rmsprop', optimizerSpec('rmsprop', { learningRate: 0.01 })],
  ['rmsprop + momentum + weight decay', optimizerSpec('rmsprop', { learningRate: 0.01, momentum: 0.9, weightDecay: 0.02 })],
];

describe('js optimizers: two steps vs the PyTorch rules in float64', () => {
  for (const [name, spec] of CASES) {
    it(name, () => {
      const params = Float32Array.from(THETA);
      const state = createOptimizer(spec, params.length);
      optimizerStep(state, params, Float32Array.from(G1));
      optimizerStep(state, params, Float32Array.from(G2));
      // float32 parameters and state: a few float32 roundings per step.
      expectClose(params, twoSteps(spec), 2e-6, 1e-7, `${name} after two steps`);
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
    expectClose(b, afterOne, 0, 0, 'reset state');
  });
});
