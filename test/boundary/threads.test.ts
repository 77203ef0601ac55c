/**
 * Results do not depend on the thread count (API.md "Threads and determinism"): the
 * GEMMs never split k, and the elementwise work (activations, dropout masks, bias sums
 * split by columns, optimizer updates) is cut into blocks fixed by the shape. Layers are
 * wide enough here that every parallel path really runs on several threads.
 */
import { describe, expect, it } from 'vitest';
import type { OptimizerSpec } from '../../lib/backend/types';
import { Rng } from '../../lib/random';
import { identityOrder, initParams, makeSpec, nativeBackend, oneHot, randomArray, sgd } from './helpers';

describe('native thread-count independence', () => {
  for (const opt of [{ ...sgd(0.01), momentum: 0.9 }, { ...sgd(0.001), kind: 'adam' } as OptimizerSpec]) {
    it(`${opt.kind}: 1, 2 and 3 threads give bit-identical weights, gradients and predictions`, async () => {
      const backend = nativeBackend();
      const saved = backend.getThreads();
      const spec = makeSpec(
        300,
        [
          { units: 384, activation: 'gelu' },
          { dropout: 0.2 },
          { units: 256, activation: 'tanh' },
          { units: 160, activation: 'relu' },
          { units: 10, activation: 'softmax' },
        ],
        21,
      );
      const rng = new Rng(21);
      const params0 = new Float32Array(spec.paramCount);
      initParams(spec, params0, rng);
      const rows = 512;
      const x = randomArray(rows * 300, rng);
      const y = oneHot(rows, 10, rng);
      const runs: Array<{ params: Float32Array; grads: Float32Array; out: Float32Array; loss: number }> = [];
      try {
        for (const threads of [1, 2, 3]) {
          backend.setThreads(threads);
          const m = backend.createModel(spec);
          m.params.set(params0);
          m.setLoss('categoricalCrossentropy');
          m.setOptimizer(opt);
          const r = await m.trainEpoch({ x, y, order: identityOrder(rows), batchSize: 128, firstStep: 0 });
          const grads = new Float32Array(spec.paramCount);
          const loss = m.gradients(x, y, rows, grads);
          const out = new Float32Array(rows * 10);
          m.predict(x, rows, out);
          runs.push({ params: Float32Array.from(m.params), grads, out, loss: loss + r.lossSum });
          m.dispose();
        }
      } finally {
        backend.setThreads(saved);
      }
      for (const r of runs.slice(1)) {
        expect(r.loss).toBe(runs[0]!.loss);
        expect(Buffer.from(r.params.buffer).equals(Buffer.from(runs[0]!.params.buffer)), 'weights').toBe(true);
        expect(Buffer.from(r.grads.buffer).equals(Buffer.from(runs[0]!.grads.buffer)), 'gradients').toBe(true);
        expect(Buffer.from(r.out.buffer).equals(Buffer.from(runs[0]!.out.buffer)), 'predictions').toBe(true);
      }
    });
  }
});
