/**
 * The native busy guard: while a trainEpoch runs on a worker thread, every other call
 * on that model throws an Error with code DENSELY_BUSY (requestStop excepted), and the
 * model works again once the promise settles.
 */
import { describe, expect, it } from 'vitest';
import { DIGITS } from '../support/tolerances';
import { identityOrder, makeSpec, oneHot, randomArray, seededModel, sgd } from './helpers';

function busyError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('native busy guard', () => {
  it('rejects every call during trainEpoch and accepts them after', async () => {
    const spec = makeSpec(64, [
      { units: 128, activation: 'relu' },
      { units: 10, activation: 'softmax' },
    ]);
    const { model, rng } = seededModel(spec, 3, 'categoricalCrossentropy', sgd(0.01));
    const rows = 4096;
    const x = randomArray(rows * 64, rng);
    const y = oneHot(rows, 10, rng);
    const out = new Float32Array(10);
    const grads = new Float32Array(spec.paramCount);

    const running = model.trainEpoch({ x, y, order: identityOrder(rows), batchSize: 1, firstStep: 0 });
    const calls: Array<[string, () => unknown]> = [
      ['predict', () => model.predict(x.subarray(0, 64), 1, out)],
      ['evaluate', () => model.evaluate(x.subarray(0, 64), y.subarray(0, 10), 1)],
      ['gradients', () => model.gradients(x.subarray(0, 64), y.subarray(0, 10), 1, grads)],
      ['trainStep', () => model.trainStep(x.subarray(0, 64), y.subarray(0, 10), 1, 0)],
      ['setLoss', () => model.setLoss('mse')],
      ['setOptimizer', () => model.setOptimizer(sgd(0.1))],
      ['dispose', () => model.dispose()],
    ];
    for (const [name, call] of calls) {
      const err = busyError(call) as (Error & { code?: string }) | undefined;
      expect(err, `${name} during trainEpoch`).toBeInstanceOf(Error);
      expect(err!.code, `${name} during trainEpoch`).toBe('DENSELY_BUSY');
      expect(err!.message).toMatch(/busy/);
    }
    await expect(
      model.trainEpoch({ x, y, order: identityOrder(rows), batchSize: 1, firstStep: 0 }),
    ).rejects.toMatchObject({
      code: 'DENSELY_BUSY',
    });
    const result = await running;
    expect(result.status).toBe('done');
    expect(result.batches).toBe(rows);
    model.predict(x.subarray(0, 64), 1, out);
    expect(Number.isFinite(out[0]!)).toBe(true);
    model.dispose();
  });

  it('stops at a batch boundary when the AbortSignal fires', async () => {
    const spec = makeSpec(32, [
      { units: 64, activation: 'tanh' },
      { units: 1, activation: 'sigmoid' },
    ]);
    const { model, rng } = seededModel(spec, 4, 'binaryCrossentropy', sgd(0.01));
    const rows = 200_000;
    const x = randomArray(rows * 32, rng);
    const y = new Float32Array(rows).map(() => (rng.nextFloat() < 0.5 ? 0 : 1));
    const controller = new AbortController();
    let seen = 0;
    const running = model.trainEpoch({
      x,
      y,
      order: identityOrder(rows),
      batchSize: 1,
      firstStep: 0,
      signal: controller.signal,
      onBatchEnd: (batch) => {
        expect(batch).toBe(seen);
        seen++;
        if (seen === 10) controller.abort();
      },
    });
    const result = await running;
    expect(result.status).toBe('aborted');
    expect(result.batches).toBeGreaterThanOrEqual(10);
    expect(result.batches).toBeLessThan(rows);
    expect(seen).toBe(result.batches);
    expect(result.samples).toBe(result.batches);
  });

  it('reports every batch, in order, before the promise resolves, and surfaces a throwing callback', async () => {
    const spec = makeSpec(8, [
      { units: 4, activation: 'relu' },
      { units: 3, activation: 'softmax' },
    ]);
    const { model, rng } = seededModel(spec, 5, 'sparseCategoricalCrossentropy', sgd(0.05));
    const rows = 1000;
    const x = randomArray(rows * 8, rng);
    const y = new Float32Array(rows).map(() => rng.nextInt(3));
    const seen: number[] = [];
    let lossSum = 0;
    let correct = 0;
    const result = await model.trainEpoch({
      x,
      y,
      order: identityOrder(rows),
      batchSize: 7,
      firstStep: 0,
      onBatchEnd: (batch, loss, c, n) => {
        seen.push(batch);
        lossSum += loss * n;
        correct += c;
      },
    });
    expect(result.batches).toBe(Math.ceil(rows / 7));
    expect(seen).toEqual(Array.from({ length: result.batches }, (_, i) => i));
    expect(lossSum).toBeCloseTo(result.lossSum, DIGITS.regroupedLossSum);
    expect(correct).toBe(result.correct);

    const boom = new Error('callback failed');
    await expect(
      model.trainEpoch({
        x,
        y,
        order: identityOrder(rows),
        batchSize: 1,
        firstStep: 0,
        onBatchEnd: () => {
          throw boom;
        },
      }),
    ).rejects.toBe(boom);
    model.predict(x.subarray(0, 8), 1, new Float32Array(3));
  });
});
