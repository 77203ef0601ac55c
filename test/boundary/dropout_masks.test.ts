/**
 * native/core/network/random.h mirrors lib/random.ts bit for bit: the dropout mask the
 * native core applies in trainStep is the one dropoutKeep draws. The mask is read back
 * from one SGD step of x = 1 → Dense(identity, linear, no bias) → Dropout → mse against
 * 0: the kernel column j moves iff unit j was kept.
 */
import { describe, expect, it } from 'vitest';
import { dropoutKeep, dropoutLayerSeed, dropoutStepSeed, dropoutThreshold } from '../../lib/random';
import { makeSpec, nativeBackend, sgd } from './helpers';

describe('native dropout masks', () => {
  const units = 257;
  for (const [seed, step, rate] of [
    [1, 0, 0.5],
    [0xdeadbeef, 12345, 0.1],
    [42, 2 ** 32 + 7, 0.9],
    [7, 2 ** 40 + 3, 0.33],
  ] as const) {
    it(`seed ${seed}, step ${step}, rate ${rate}`, () => {
      const spec = makeSpec(units, [{ units, useBias: false }, { dropout: rate }], seed);
      const model = nativeBackend().createModel(spec);
      for (let i = 0; i < units; i++) model.params[i * units + i] = 1;
      model.setLoss('mse');
      model.setOptimizer(sgd(1));
      const before = Float32Array.from(model.params);
      model.trainStep(new Float32Array(units).fill(1), new Float32Array(units), 1, step);
      const layerSeed = dropoutLayerSeed(dropoutStepSeed(seed, step), 1);
      const threshold = dropoutThreshold(rate);
      let kept = 0;
      for (let j = 0; j < units; j++) {
        const moved = model.params[j] !== before[j];
        const keep = dropoutKeep(layerSeed, j, threshold);
        expect(moved, `unit ${j}`).toBe(keep);
        if (keep) kept++;
      }
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(units);
    });
  }
});
