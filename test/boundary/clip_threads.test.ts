/**
 * clipNorm's global norm is one float64 reduction in blocks fixed by the parameter
 * count (native/core/ops/clip.h), so training with clipping and regularizers gives
 * bit-identical weights, losses and epoch outputs for 1, 2 and 3 threads. The network
 * has ~260k parameters (16 norm blocks), so the reduction really runs in parallel; the
 * clip thresholds are low enough that every step is clipped.
 */
import { describe, expect, it } from 'vitest';
import type { DenseSpec, OptimizerSpec } from '../../lib/backend/types';
import { Rng } from '../../lib/random';
import { identityOrder, initParams, makeSpec, nativeBackend, oneHot, randomArray, sgd } from './helpers';

describe('native thread-count independence with clipping and regularizers', () => {
  const opts: OptimizerSpec[] = [
    { ...sgd(0.05), momentum: 0.9, clipNorm: 0.5 },
    { ...sgd(0.001), kind: 'adam', clipNorm: 0.2, clipValue: 0.001 },
  ];
  for (const opt of opts) {
    it(`${opt.kind} clipNorm ${opt.clipNorm}: 1, 2 and 3 threads give the same bits`, async () => {
      const backend = nativeBackend();
      const saved = backend.getThreads();
      const spec = makeSpec(
        300,
        [
          { units: 384, activation: 'gelu' },
          { units: 256, activation: 'tanh' },
          { units: 160, activation: 'relu' },
          { units: 10, activation: 'softmax' },
        ],
        22,
      );
      const d0 = spec.layers[0] as DenseSpec;
      d0.kernelL2 = 1e-3;
      d0.kernelL1 = 1e-4;
      (spec.layers[3] as DenseSpec).biasL2 = 0.01;
      const rng = new Rng(22);
      const params0 = new Float32Array(spec.paramCount);
      initParams(spec, params0, rng);
      const rows = 384;
      const x = randomArray(rows * 300, rng);
      const y = oneHot(rows, 10, rng);
      const runs: Array<{ params: Float32Array; outputs: Float32Array; loss: number }> = [];
      try {
        for (const threads of [1, 2, 3]) {
          backend.setThreads(threads);
          const m = backend.createModel(spec);
          m.params.set(params0);
          m.setLoss('categoricalCrossentropy');
          m.setOptimizer(opt);
          const outputs = new Float32Array(new SharedArrayBuffer(rows * 10 * 4));
          const r = await m.trainEpoch({ x, y, order: identityOrder(rows), batchSize: 96, firstStep: 0, outputs });
          expect(r.status).toBe('done');
          runs.push({ params: Float32Array.from(m.params), outputs, loss: r.lossSum });
          m.dispose();
        }
      } finally {
        backend.setThreads(saved);
      }
      expect(runs[0]!.params).not.toEqual(params0);
      for (const r of runs.slice(1)) {
        expect(r.loss).toBe(runs[0]!.loss);
        expect(Buffer.from(r.params.buffer).equals(Buffer.from(runs[0]!.params.buffer)), 'weights').toBe(true);
        expect(Buffer.from(r.outputs.buffer).equals(Buffer.from(runs[0]!.outputs.buffer)), 'outputs').toBe(true);
      }
    });
  }
});
