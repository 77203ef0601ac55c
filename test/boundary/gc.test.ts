/**
 * Garbage collection around native work: a model, its inputs and its promise's
 * only owner may become unreachable while trainEpoch runs — the binding pins them, so
 * forced collections (global.gc, from --expose-gc in the vitest 'native' project) must
 * neither crash nor change the result — and dropped models free their native memory
 * through their finalizers.
 */
import { describe, expect, it } from 'vitest';
import type { NativeBinding } from '../../lib/backend/native/binding';
import type { EpochResult } from '../../lib/backend/types';
import { Rng } from '../../lib/random';
import {
  identityOrder,
  makeSpec,
  nativeAddonPath,
  nativeBackend,
  oneHot,
  randomArray,
  seededModel,
  sgd,
} from './helpers';

const gc = (globalThis as { gc?: () => void }).gc;

function startEpoch(seed: number): { done: Promise<EpochResult>; params: () => Float32Array } {
  const spec = makeSpec(
    32,
    [{ units: 64, activation: 'relu' }, { dropout: 0.25 }, { units: 5, activation: 'softmax' }],
    seed,
  );
  const { model, rng } = seededModel(spec, seed, 'categoricalCrossentropy', {
    ...sgd(0.05),
    kind: 'adam',
    learningRate: 0.001,
  });
  const rows = 30_000;
  const done = model.trainEpoch({
    x: randomArray(rows * 32, rng),
    y: oneHot(rows, 5, rng),
    order: identityOrder(rows),
    batchSize: 4,
    firstStep: 0,
    onBatchEnd: () => undefined,
  });
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

  it('frees dropped and disposed models (dispose() at once, the finalizer after GC)', async () => {
    const backend = nativeBackend();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const binding = require(nativeAddonPath()) as NativeBinding;
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
    await collect();
    const base = binding.stats();

    // Inference scratch for 512 rows (activations, Z) plus adam's two slots and the
    // gradient: ≈ 1.9 MB, reported to V8 and counted here.
    const held = backend.createModel(spec);
    held.setLoss('mse');
    held.setOptimizer({ ...sgd(), kind: 'adam' });
    held.predict(x, 512, out);
    const one = binding.stats();
    expect(one.models - base.models).toBe(1);
    expect(one.bytes - base.bytes).toBeGreaterThan(1.5 * 1024 * 1024);
    // predict runs in chunks of 1024 rows: 8192 rows need only twice the 512-row scratch.
    held.predict(randomArray(8192 * 256, rng), 8192, new Float32Array(8192 * 10));
    expect(binding.stats().bytes - base.bytes).toBeLessThan(2 * (one.bytes - base.bytes));
    held.dispose();
    expect(binding.stats()).toEqual(base);

    // In a function of its own, so no stack slot of this frame keeps the last one alive.
    const churn = (): void => {
      for (let i = 0; i < 40; i++) {
        const m = backend.createModel(spec);
        m.setLoss('mse');
        m.setOptimizer({ ...sgd(), kind: 'adam' });
        m.predict(x, 512, out);
      }
    };
    churn();
    await collect();
    expect(binding.stats()).toEqual(base);
  });
});
