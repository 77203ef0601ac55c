import { describe, expect, it } from 'vitest';
import { dropoutBackward, dropoutForward, dropoutScale } from '../../../lib/backend/js/dropout';
import { dropoutKeep, dropoutLayerSeed, dropoutStepSeed, dropoutThreshold, Rng } from '../../../lib/random';
import { expectClose } from '../../support/close';
import { TOL } from '../../support/tolerances';
import { randomF32 } from './helpers';

const ROWS = 200;
const UNITS = 500;

function run(
  rate: number,
  seed: number,
  step: number,
  layer: number,
  a: Float32Array,
): { out: Float32Array; mask: Float32Array } {
  const out = new Float32Array(a.length);
  const mask = new Float32Array(a.length);
  dropoutForward(a, out, mask, ROWS, UNITS, rate, seed, step, layer);
  return { out, mask };
}

describe('js dropout', () => {
  const a = randomF32(new Rng(1), ROWS * UNITS, 0.5, 2);

  it('is reproducible for (seed, step, layer) and changes with each of them', () => {
    const base = run(0.3, 42, 5, 1, a);
    expectClose(run(0.3, 42, 5, 1, a).out, base.out, TOL.exact, 'same seed/step/layer');
    for (const [seed, step, layer] of [
      [43, 5, 1],
      [42, 6, 1],
      [42, 5, 2],
    ] as const) {
      const other = run(0.3, seed, step, layer, a).mask;
      let differ = 0;
      for (let i = 0; i < other.length; i++) if ((other[i] === 0) !== (base.mask[i] === 0)) differ++;
      // Independent masks at rate 0.3 disagree on 2·0.3·0.7 = 42% of elements.
      expect(differ / other.length, `seed ${seed} step ${step} layer ${layer}`).toBeGreaterThan(0.35);
    }
  });

  it('follows lib/random.ts element by element: index = row·units + col, kept = fround(a·fround(1/(1−rate)))', () => {
    const rate = 0.25;
    const { out } = run(rate, 9, 123, 3, a);
    const layerSeed = dropoutLayerSeed(dropoutStepSeed(9, 123), 3);
    const thr = dropoutThreshold(rate);
    const scale = Math.fround(1 / (1 - rate));
    const want = Array.from(a, (v, i) => (dropoutKeep(layerSeed, i, thr) ? Math.fround(v * scale) : 0));
    expectClose(out, want, TOL.exact, 'dropout forward');
    expect(dropoutScale(rate)).toBe(scale);
  });

  for (const rate of [0.1, 0.5, 0.9]) {
    it(`keeps ≈ 1 − rate of the elements (rate ${rate})`, () => {
      const { mask } = run(rate, 3, 0, 0, a);
      let kept = 0;
      for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) kept++;
      const n = mask.length;
      const sigma = Math.sqrt(n * rate * (1 - rate));
      expect(Math.abs(kept - n * (1 - rate))).toBeLessThan(5 * sigma);
    });
  }

  it('backward multiplies by the same factors', () => {
    const { mask } = run(0.4, 1, 2, 0, a);
    const g = randomF32(new Rng(2), a.length);
    const dIn = new Float32Array(a.length);
    dropoutBackward(g, mask, dIn, a.length);
    expectClose(
      dIn,
      Array.from(g, (v, i) => Math.fround(v * mask[i]!)),
      TOL.exact,
      'dropout backward',
    );
  });
});
