/**
 * The process-wide thread budget (native/core/runtime/thread_pool.h), seen through the
 * addon's threadBudget(): a model's cap bounds the threads its jobs borrow; jobs running
 * at once — in one process or in several worker_threads, which share the one pool —
 * never count more threads than the pool size; and each ends with the weights it reaches
 * alone. Also predictAsync's pinning: a GC, a detached input and a disposed model during
 * the call change nothing in its result.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { NativeBinding } from '../../lib/backend/native/binding';
import { packModelSpec, packOptimizerSpec } from '../../lib/backend/native/index';
import { WIRE_LOSS } from '../../lib/backend/native/wire';
import type { BackendModel, OptimizerSpec } from '../../lib/backend/types';
import { Rng } from '../../lib/random';
import { detach } from '../support/fuzz_values';
import {
  identityOrder,
  initParams,
  makeSpec,
  nativeAddonPath,
  nativeBackend,
  oneHot,
  randomArray,
  sgd,
} from './helpers';

const gc = (globalThis as { gc?: () => void }).gc;
const binding = (): NativeBinding => require(nativeAddonPath()) as NativeBinding;

const INPUTS = 64;
const CLASSES = 8;
const ROWS = 1024;
const BATCH = 128;
const EPOCHS = 2;
const spec = makeSpec(
  INPUTS,
  [{ units: 256, activation: 'relu' }, { dropout: 0.1 }, { units: CLASSES, activation: 'softmax' }],
  5,
);
const rng = new Rng(5);
const params0 = new Float32Array(spec.paramCount);
initParams(spec, params0, rng);
const x = randomArray(ROWS * INPUTS, rng);
const y = oneHot(ROWS, CLASSES, rng);
const opt: OptimizerSpec = { ...sgd(0.001), kind: 'adam' };

function model(cap: number): BackendModel {
  const m = nativeBackend().createModel(spec);
  m.params.set(params0);
  m.setLoss('categoricalCrossentropy');
  m.setOptimizer(opt);
  m.setThreads(cap);
  return m;
}

async function train(m: BackendModel): Promise<Float32Array> {
  let step = 0;
  for (let e = 0; e < EPOCHS; e++)
    step += (await m.trainEpoch({ x, y, order: identityOrder(ROWS), batchSize: BATCH, firstStep: step })).batches;
  return Float32Array.from(m.params);
}

const same = (a: Float32Array, b: Float32Array): boolean => Buffer.from(a.buffer).equals(Buffer.from(b.buffer));

/** Runs `fn` with the pool at `size` threads and the budget's peak reset; returns the peak. */
async function withPool(size: number, fn: () => Promise<void>): Promise<number> {
  const backend = nativeBackend();
  const saved = backend.getThreads();
  backend.setThreads(size);
  try {
    binding().threadBudget(true);
    await fn();
    const b = binding().threadBudget();
    expect(b.size).toBe(size);
    expect(b.jobs).toBe(0);
    expect(b.inUse).toBe(0);
    return b.peak;
  } finally {
    backend.setThreads(saved);
  }
}

describe('thread budget', () => {
  it('a cap bounds the threads a job borrows; none lifts it to the pool size', async () => {
    const weights: Float32Array[] = [];
    const run = (cap: number) => async (): Promise<void> => {
      weights.push(await train(model(cap)));
    };
    expect(await withPool(2, run(1))).toBe(1);
    expect(await withPool(2, run(0))).toBe(2);
    expect(await withPool(4, run(3))).toBe(3);
    for (const w of weights.slice(1)) expect(same(w, weights[0]!)).toBe(true);
  });

  it('two jobs at once share the pool and end as each does alone', async () => {
    const alone = await train(model(2));
    for (const [size, caps] of [
      [2, [0, 0]],
      [2, [2, 1]],
      [4, [0, 0]],
      [3, [2, 2]],
    ] as const) {
      let results: Float32Array[] = [];
      const peak = await withPool(size, async () => {
        results = await Promise.all(caps.map((c) => train(model(c))));
      });
      expect(peak, `pool ${size}, caps ${caps}`).toBeLessThanOrEqual(size);
      for (const r of results) expect(same(r, alone)).toBe(true);
    }
  });

  it('worker_threads share the one budget and match the main thread', async () => {
    const alone = await train(model(0));
    const code = `
const { parentPort, workerData: d } = require('worker_threads');
const binding = require(d.addon);
const model = new binding.Model(d.spec);
model.params.set(d.params);
model.setLoss(d.loss);
model.setOptimizer(d.opt);
model.setThreads(d.cap);
const order = Int32Array.from({ length: d.rows }, (_, i) => i);
(async () => {
  let step = 0;
  for (let e = 0; e < d.epochs; e++) step += (await model.trainEpoch(d.x, d.y, order, d.batch, step))[0];
  parentPort.postMessage({ params: model.params.slice() });
})().catch((err) => parentPort.postMessage({ error: String((err && err.stack) || err) }));
`;
    const run = (cap: number): Promise<{ params?: Float32Array; error?: string }> =>
      new Promise((resolve, reject) => {
        const w = new Worker(code, {
          eval: true,
          workerData: {
            addon: nativeAddonPath(),
            spec: packModelSpec(spec),
            params: params0,
            loss: WIRE_LOSS.categoricalCrossentropy,
            opt: packOptimizerSpec(opt),
            cap,
            x,
            y,
            rows: ROWS,
            batch: BATCH,
            epochs: EPOCHS,
          },
        });
        w.once('message', (m) => {
          resolve(m);
          void w.terminate();
        });
        w.once('error', reject);
      });
    let results: Array<{ params?: Float32Array; error?: string }> = [];
    const peak = await withPool(2, async () => {
      results = await Promise.all([run(0), run(2)]);
    });
    // Alone, each would borrow the second thread; together each keeps its own.
    expect(peak).toBeLessThanOrEqual(2);
    for (const r of results) {
      expect(r.error).toBeUndefined();
      expect(same(r.params!, alone)).toBe(true);
    }
  });
});

describe('predictAsync pinning', () => {
  it('survives a GC, a detached input and a disposed model during the call', async () => {
    expect(typeof gc).toBe('function');
    const m = model(0);
    const rows = 6000;
    const input = randomArray(rows * INPUTS, new Rng(8));
    const want = new Float32Array(rows * CLASSES);
    m.predict(input, rows, want);
    const out = new Float32Array(rows * CLASSES);
    const p = m.predictAsync(input, rows, out);
    detach(input);
    m.dispose();
    for (let i = 0; i < 5; i++) {
      gc!();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await p;
    expect(same(out, want)).toBe(true);
  });

  it('reads a SharedArrayBuffer input in place and runs many calls at once', async () => {
    const m = model(2);
    const rows = 3000;
    const shared = new Float32Array(new SharedArrayBuffer(rows * INPUTS * 4));
    shared.set(randomArray(rows * INPUTS, new Rng(9)));
    const want = new Float32Array(rows * CLASSES);
    m.predict(shared, rows, want);
    const outs = Array.from({ length: 6 }, () => new Float32Array(rows * CLASSES));
    await Promise.all(outs.map((o) => m.predictAsync(shared, rows, o)));
    for (const o of outs) expect(same(o, want)).toBe(true);
  });
});
