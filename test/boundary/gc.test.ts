/**
 * Garbage collection around native work: a model, its inputs and its promise's
 * only owner may become unreachable while trainEpoch runs — the binding pins them, so
 * forced collections (global.gc, from --expose-gc in the vitest 'native' project) must
 * neither crash nor change the result — and dropped models free their native memory
 * through their finalizers.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../lib/random';
import type { EpochResult } from '../../lib/backend/types';
import { identityOrder, initParams, makeSpec, nativeBackend, oneHot, randomArray, sgd } from './helpers';

const gc = (globalThis as { gc?: () => void }).gc;

function startEpoch(seed: number): { done: Promise<EpochResult>; params: () => Float32Array } {
  const backend = nativeBackend();
  const spec = makeSpec(32, [{ units: 64, activation: 'relu' }, { dropout: 0.25 }, { units: 5, activation: 'softmax' }], seed);
  const model = backend.createModel(spec);
  const rng = new Rng(seed);
  initParams(spec, model.params, rng);
  model.setLoss('categoricalCrossentropy');
  model.setOptimizer({ ...sgd(0.05), kind: 'adam', learningRate: 0.001 });
  const rows = 3000;
  const done = model.trainEpoch({ x: randomArray(rows * 32, rng), y: oneHot(rows, 5, rng), order: identityOrder(rows), batchSize: 4, firstStep: 0, onBatchEnd: () => undefined });
  const params = model.params;
  return { done, params: () => params };
}

describe('native memory and GC', () => {
  it('has global.gc (the native project runs with --expose-gc)', () => {
    expect(typeof gc).toBe('function');
  });

  it('survives forced collections during async training with nothing else holding the model', async () => {
    const reference = startEpoch(11);
    const expected = await reference.done;
    const expectedParams = Float32Array.from(reference.params());

    const run = startEpoch(11);
    let ticks = 0;
    const timer = setInterval(() => {
      gc!();
      ticks++;
    }, 1);
    const got = await run.done;
    clearInterval(timer);
    gc!();
    expect(ticks).toBeGreaterThan(0);
    expect(got).toEqual(expected);
    expect(Array.from(run.params())).toEqual(Array.from(expectedParams));
  });

  it('frees dropped and disposed models', async () => {
    const backend = nativeBackend();
    const spec = makeSpec(256, [{ units: 256, activation: 'gelu' }, { units: 10 }]);
    const rng = new Rng(2);
    const x = randomArray(512 * 256, rng);
    const out = new Float32Array(512 * 10);
    // Node runs N-API finalizers on a later turn of the event loop, not inside gc().
    const collect = async (): Promise<void> => {
      for (let i = 0; i < 3; i++) {
        gc!();
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const round = (dispose: boolean): void => {
      for (let i = 0; i < 40; i++) {
        const m = backend.createModel(spec);
        m.setLoss('mse');
        m.setOptimizer({ ...sgd(), kind: 'adam' });
        m.predict(x, 512, out);
        if (dispose) m.dispose();
      }
    };
    round(true);
    await collect();
    const before = process.memoryUsage();
    round(true);
    await collect();
    const afterDispose = process.memoryUsage();
    round(false);
    await collect();
    const afterGc = process.memoryUsage();
    // Each model holds ≈ 2.6 MB of native scratch and optimizer state (reported to V8 as
    // external memory): 40 kept models would add ≈ 100 MB.
    const mb = 1024 * 1024;
    expect(afterDispose.external - before.external).toBeLessThan(8 * mb);
    expect(afterGc.external - before.external).toBeLessThan(8 * mb);
    expect(afterGc.rss - before.rss).toBeLessThan(32 * mb);
  });
});
