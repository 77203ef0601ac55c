/**
 * The addon is context-aware: it loads in several worker_threads at once and each
 * trains its own model concurrently, with the same bits as the main thread (same seed,
 * same thread count ⇒ same weights).
 */

import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { packModelSpec, packOptimizerSpec } from '../../lib/backend/native/index';
import { WIRE_LOSS } from '../../lib/backend/native/wire';
import { Rng } from '../../lib/random';
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

const WORKER = `
const { parentPort, workerData: d } = require('worker_threads');
const binding = require(d.addon);
const model = new binding.Model(d.spec);
model.params.set(d.params);
model.setLoss(d.loss);
model.setOptimizer(d.opt);
(async () => {
  let batches = 0;
  for (let e = 0; e < d.epochs; e++) {
    const r = await model.trainEpoch(d.x, d.y, d.order, d.batchSize, batches, () => {});
    batches += r[0];
  }
  parentPort.postMessage({ params: model.params.slice(), batches });
})().catch((err) => parentPort.postMessage({ error: String(err && err.stack || err) }));
`;

describe('native addon in worker_threads', () => {
  it('loads and trains in two workers at once, matching the main thread bit for bit', async () => {
    const backend = nativeBackend();
    const spec = makeSpec(
      20,
      [{ units: 48, activation: 'tanh' }, { dropout: 0.2 }, { units: 4, activation: 'softmax' }],
      9,
    );
    const rng = new Rng(9);
    const main = backend.createModel(spec);
    initParams(spec, main.params, rng);
    const params0 = Float32Array.from(main.params);
    const rows = 2000;
    const x = randomArray(rows * 20, rng);
    const y = oneHot(rows, 4, rng);
    const order = identityOrder(rows);
    const opt = { ...sgd(0.05), momentum: 0.9 };
    main.setLoss('categoricalCrossentropy');
    main.setOptimizer(opt);
    const epochs = 3;
    let step = 0;
    for (let e = 0; e < epochs; e++)
      step += (await main.trainEpoch({ x, y, order, batchSize: 16, firstStep: step })).batches;

    const data = {
      addon: nativeAddonPath(),
      spec: packModelSpec(spec),
      params: params0,
      loss: WIRE_LOSS.categoricalCrossentropy,
      opt: packOptimizerSpec(opt),
      x,
      y,
      order,
      batchSize: 16,
      epochs,
    };
    const run = (): Promise<{ params?: Float32Array; batches?: number; error?: string }> =>
      new Promise((resolve, reject) => {
        const w = new Worker(WORKER, { eval: true, workerData: data });
        w.once('message', (m) => {
          resolve(m);
          void w.terminate();
        });
        w.once('error', reject);
      });
    const results = await Promise.all([run(), run()]);
    for (const r of results) {
      expect(r.error).toBeUndefined();
      expect(r.batches).toBe(step);
      expect(Array.from(r.params!)).toEqual(Array.from(main.params));
    }
  });

  it('survives worker.terminate() in the middle of an epoch', async () => {
    const spec = makeSpec(
      16,
      [
        { units: 32, activation: 'relu' },
        { units: 4, activation: 'softmax' },
      ],
      3,
    );
    const rows = 40_000;
    const code = `
const { parentPort, workerData: d } = require('worker_threads');
const binding = require(d.addon);
const model = new binding.Model(d.spec);
model.setLoss(3);
model.setOptimizer(d.opt);
const x = new Float32Array(d.rows * 16).fill(0.5);
const y = new Float32Array(d.rows * 4);
for (let r = 0; r < d.rows; r++) y[r * 4 + (r % 4)] = 1;
const order = Int32Array.from({ length: d.rows }, (_, i) => i);
model.trainEpoch(x, y, order, 1, 0, () => {});
parentPort.postMessage('started');
`;
    for (let i = 0; i < 2; i++) {
      const w = new Worker(code, {
        eval: true,
        workerData: { addon: nativeAddonPath(), spec: packModelSpec(spec), opt: packOptimizerSpec(sgd()), rows },
      });
      await new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(await w.terminate()).toBe(1);
    }
    expect(nativeBackend().getThreads()).toBeGreaterThan(0);
  });
});
