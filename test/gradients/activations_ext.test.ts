/**
 * Central differences of the float64 reference for the activations of issue 13 (elu,
 * selu, softplus, silu, mish, hardSigmoid, hardSwish, relu6): each activation's VJP, on
 * both sides of every kink and around softplus's threshold, and the network gradients
 * over activation × loss × bias (test/support/grid.ts's construction, the grid of
 * reference.test.ts run over EXT_ACTIVATIONS). The backends are held to this reference
 * in test/parity/activations_ext.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { activate, activationBackward, EXT_ACTIVATIONS, extDerivative } from '../reference/activations';
import { LOSSES } from '../reference/losses';
import { flatten, gradients, networkLoss, unflatten } from '../reference/network';
import { expectClose } from '../support/close';
import { makeCase } from '../support/grid';
import { TestRng } from '../support/rng';
import { FD_STEP, TOL } from '../support/tolerances';

function numericGradient(f: (x: Float64Array) => number, x: ArrayLike<number>, h = FD_STEP): Float64Array {
  const g = new Float64Array(x.length);
  const p = Float64Array.from(x);
  for (let i = 0; i < x.length; i++) {
    const v = p[i]!;
    p[i] = v + h;
    const up = f(p);
    p[i] = v - h;
    const down = f(p);
    p[i] = v;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

describe('elu … relu6: analytic VJP vs central differences', () => {
  const rng = new TestRng(13);
  // Away from the kinks (0, ±3, 6) by ≥ 0.01; softplus's threshold 20 on both sides; the
  // saturated tails.
  const fixed = [-25, -8, -3.5, -2.99, -1, -0.01, 0.01, 1, 2.99, 3.5, 5.99, 6.01, 19.9, 20.1, 30];
  for (const act of EXT_ACTIVATIONS) {
    it(act, () => {
      for (let trial = 0; trial < 5; trial++) {
        const z =
          trial === 0
            ? Float64Array.from(fixed)
            : Float64Array.from({ length: 8 }, () => {
                let v = 0;
                do v = rng.uniform(-7, 7);
                while ([0, -3, 3, 6].some((k) => Math.abs(v - k) < 0.01));
                return v;
              });
        const da = Float64Array.from(z, () => rng.uniform(-1, 1));
        const f = (zz: Float64Array): number => activate(act, zz, 0).reduce((s, a, i) => s + a * da[i]!, 0);
        const analytic = activationBackward(act, z, activate(act, z, 0), da, 0);
        expectClose(analytic, numericGradient(f, z), TOL.finiteDifference, `${act} VJP at z=${Array.from(z)}`);
      }
    });
  }

  it('one-sided differences at the kinks bracket the chosen derivative (PyTorch’s)', () => {
    // At a kink the derivative is one of the one-sided slopes (or, for hardSigmoid′(±3)
    // and relu6′(0) = relu6′(6) = 0, the value PyTorch picks); elsewhere it is smooth.
    const h = 1e-7;
    const cases: Array<[(typeof EXT_ACTIVATIONS)[number], number, number]> = [
      ['elu', 0, 1],
      ['selu', 0, 1.0507009873554805 * 1.6732632423543772],
      ['hardSigmoid', -3, 0],
      ['hardSigmoid', 3, 0],
      ['hardSwish', -3, -0.5],
      ['hardSwish', 3, 1.5],
      ['relu6', 0, 0],
      ['relu6', 6, 0],
      ['softplus', 0, 0.5],
      ['silu', 0, 0.5],
      ['mish', 0, 0.6],
    ];
    for (const [act, z, want] of cases) {
      expect(extDerivative(act, z), `${act}′(${z})`).toBeCloseTo(want, 12);
      const f = (v: number): number => activate(act, [v], 0)[0]!;
      const left = (f(z) - f(z - h)) / h;
      const right = (f(z + h) - f(z)) / h;
      const lo = Math.min(left, right, 0) - 1e-5;
      const hi = Math.max(left, right, 0) + 1e-5;
      expect(want >= lo && want <= hi, `${act}′(${z}) = ${want} within [${left}, ${right}] ∪ {0}`).toBe(true);
    }
  });
});

describe('reference network gradients vs central differences, elu … relu6 (activation × loss × bias)', () => {
  let seed = 5000; // the seeds test/parity/activations_ext.test.ts uses for the same cases
  for (const activation of EXT_ACTIVATIONS) {
    for (const loss of LOSSES) {
      for (const useBias of [true, false]) {
        const c = makeCase(activation, loss, useBias, seed++);
        it(c.name, () => {
          const theta = flatten(c.params);
          const f = (p: Float64Array): number =>
            networkLoss(c.layers, unflatten(c.layers, p), c.loss, c.x, c.y, c.rows);
          const numeric = numericGradient(f, theta);
          const chained = gradients(c.layers, c.params, c.loss, c.x, c.y, c.rows);
          expect(chained.loss).toBe(f(theta));
          expectClose(flatten(chained.grads), numeric, TOL.finiteDifference, `${c.name}: chained gradient`);
        });
      }
    }
  }
});
