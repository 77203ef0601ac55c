/**
 * The float64 reference of the loss options and row weights (test/reference/losses.ts
 * refWeightedLoss / refWeightedGradient) against its own central differences and against
 * the frozen PyTorch values of test/fixtures/losses.json, so that it can serve as an oracle:
 * every loss × fromLogits × labelSmoothing × huber delta × classWeight × sampleWeight case.
 */
import { describe, expect, it } from 'vitest';
import { refSpec, refWeightedGradient, refWeightedLoss } from '../reference/losses';
import { flatten, forward, unflatten } from '../reference/network';
import { expectClose } from '../support/close';
import { FIXTURE, refLayers, refParams } from '../support/loss_fixture';
import { FD_STEP, TOL } from '../support/tolerances';

function numericGradient(f: (x: Float64Array) => number, x: ArrayLike<number>, h = FD_STEP): Float64Array {
  const p = Float64Array.from(x);
  const g = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
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

const { rows, x } = FIXTURE;

describe('loss options and row weights: float64 reference', () => {
  it('covers every option and weighting', () => {
    const names = new Set(FIXTURE.cases.map((c) => c.name.split(' / ')[1]));
    expect([...names].sort()).toEqual(['both', 'classWeight', 'none', 'sampleWeight']);
    expect(FIXTURE.cases.some((c) => c.loss.fromLogits)).toBe(true);
    expect(FIXTURE.cases.some((c) => (c.loss.labelSmoothing ?? 0) > 0)).toBe(true);
    expect(FIXTURE.cases.some((c) => c.loss.delta !== undefined)).toBe(true);
  });

  for (const c of FIXTURE.cases) {
    it(`${c.name}: value and ∂L/∂ŷ`, () => {
      const layers = refLayers(c);
      const spec = refSpec(c.loss);
      const out = forward(layers, refParams(c.params), x, rows).a[2]!;
      // The value as PyTorch computed it (different formulas: a few float64 roundings).
      expectClose([refWeightedLoss(spec, out, c.y, c.rowWeights, rows, c.outputs)], [c.value], TOL.float64, 'loss');
      // The analytic gradient w.r.t. ŷ against central differences of the value.
      const analytic = refWeightedGradient(spec, out, c.y, c.rowWeights, rows, c.outputs);
      const numeric = numericGradient((v) => refWeightedLoss(spec, v, c.y, c.rowWeights, rows, c.outputs), out);
      expectClose(analytic, numeric, TOL.finiteDifference, '∂L/∂ŷ', [rows, c.outputs]);
      // The parameter gradients of PyTorch against central differences of the reference network loss.
      const flat = flatten(refParams(c.params));
      const f = (p: Float64Array): number =>
        refWeightedLoss(spec, forward(layers, unflatten(layers, p), x, rows).a[2]!, c.y, c.rowWeights, rows, c.outputs);
      expectClose(numericGradient(f, flat), c.grads.flat(), TOL.finiteDifference, '∂L/∂θ');
    });
  }

  it('classWeight alone on class targets is CrossEntropyLoss(weight=…)', () => {
    const checked = FIXTURE.cases.filter((c) => c.torchWeightedCrossEntropy !== undefined);
    expect(checked.length).toBeGreaterThanOrEqual(4);
    for (const c of checked) expect(c.value).toBeCloseTo(c.torchWeightedCrossEntropy!, 12);
  });
});
