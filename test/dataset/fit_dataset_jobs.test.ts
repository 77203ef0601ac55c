/**
 * `fitDataset` with the training-job features of `fit`: learning-rate schedules (one rate
 * per update, the same as `fit`'s), `History.lr`, the shared callback runner with
 * `earlyStopping` (which sets `stopTraining`), and `initialEpoch` counting on after a
 * checkpoint is loaded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Adam, BatchNorm, cosineDecay, type DataBatch, Dense, Dropout, earlyStopping, Network } from '../../lib/index';
import { BACKEND } from '../support/backend';
import { expectBitExact } from '../support/close';
import { TestRng } from '../support/rng';

const INPUTS = 4;
const dir = mkdtempSync(join(tmpdir(), 'densely-fds-jobs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function data(rows: number): { x: Float32Array; y: Float32Array } {
  const rng = new TestRng(5);
  const x = rng.float32Array(rows * INPUTS, -1, 1);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) y[r] = x[r * INPUTS]! - 0.5 * x[r * INPUTS + 2]! > 0 ? 1 : 0;
  return { x, y };
}

function make(): Network {
  const net = new Network({
    inputs: INPUTS,
    layers: [new Dense(12, { activation: 'tanh' }), new Dropout(0.2), new Dense(1, { activation: 'sigmoid' })],
    backend: BACKEND,
    seed: 3,
  });
  net.compile({
    loss: 'binaryCrossentropy',
    optimizer: new Adam({ learningRate: cosineDecay({ initial: 0.05, steps: 20, warmupSteps: 3 }) }),
    metrics: ['accuracy'],
  });
  return net;
}

function batches(x: Float32Array, y: Float32Array, size: number): DataBatch[] {
  const out: DataBatch[] = [];
  for (let r = 0; r < y.length; r += size) {
    const e = Math.min(y.length, r + size);
    out.push({ x: x.slice(r * INPUTS, e * INPUTS), y: y.slice(r, e) });
  }
  return out;
}

describe(`fitDataset with schedules and callbacks (${BACKEND})`, () => {
  const { x, y } = data(70);

  it('follows a schedule update by update, as fit(shuffle: false) does, with History.lr', async () => {
    const a = make();
    const b = make();
    const ha = await a.fit(x, y, { epochs: 4, batchSize: 16, shuffle: false });
    const hb = await b.fitDataset(batches(x, y, 16), { epochs: 4 });
    expect(hb.lr).toEqual(ha.lr);
    expect(hb.loss).toEqual(ha.loss);
    expect(b.optimizerSteps).toBe(a.optimizerSteps);
    expect(b.epochsTrained).toBe(4);
    a.getWeights().forEach((w, i) => {
      expectBitExact(b.getWeights()[i]!.kernel!, w.kernel!, `kernel ${i}`);
    });
    // The warm-up and decay really moved the rate.
    expect(new Set(hb.lr).size).toBe(4);
  });

  it('stops on earlyStopping and restores the best weights', async () => {
    const net = make();
    const seen: number[] = [];
    const h = await net.fitDataset(batches(x, y, 16), {
      epochs: 30,
      validationData: [x, y],
      callbacks: [
        // A monitor that never improves after the first epoch: stops after patience + 1 epochs.
        earlyStopping({ monitor: 'lr', mode: 'max', patience: 1 }),
        { onEpochEnd: (e: number) => void seen.push(e) },
      ],
    });
    expect(h.epochs.length).toBeLessThan(30);
    expect(seen).toEqual(h.epochs);
  });

  it('counts epochs on from a loaded checkpoint (initialEpoch)', async () => {
    const net = make();
    await net.fitDataset(batches(x, y, 16), { epochs: 2 });
    const path = join(dir, `ckpt-${BACKEND}.safetensors`);
    net.save(path);
    const again = await Network.load(path, { backend: BACKEND });
    expect(again.epochsTrained).toBe(2);
    const h = await again.fitDataset(batches(x, y, 16), { epochs: 2 });
    expect(h.epochs).toEqual([2, 3]);
    // The same as four epochs in one go.
    const whole = make();
    const hw = await whole.fitDataset(batches(x, y, 16), { epochs: 4 });
    expect(h.loss).toEqual(hw.loss.slice(2));
    whole.getWeights().forEach((w, i) => {
      expectBitExact(again.getWeights()[i]!.kernel!, w.kernel!, `kernel ${i}`);
    });
  });
});

describe(`fitDataset with BatchNorm (${BACKEND})`, () => {
  it('rejects a one-row batch mid-stream, naming epoch and batch, weights of the last good batch kept', async () => {
    const net = new Network({
      inputs: INPUTS,
      layers: [new Dense(6), new BatchNorm(), new Dense(1, { activation: 'sigmoid' })],
      backend: BACKEND,
      seed: 4,
    });
    net.compile({ loss: 'binaryCrossentropy', optimizer: 'sgd' });
    const { x, y } = data(9);
    const good = batches(x.subarray(0, 8 * INPUTS), y.subarray(0, 8), 4);
    const one = { x: x.slice(8 * INPUTS), y: y.slice(8) };
    const ref = new Network({
      inputs: INPUTS,
      layers: [new Dense(6), new BatchNorm(), new Dense(1, { activation: 'sigmoid' })],
      backend: BACKEND,
      seed: 4,
    });
    ref.compile({ loss: 'binaryCrossentropy', optimizer: 'sgd' });
    await ref.fitDataset(good, { epochs: 1 });
    await expect(net.fitDataset([...good, one], { epochs: 1 })).rejects.toThrow(/at least 2 rows.*epoch 0, batch 2/s);
    ref.getWeights().forEach((w, i) => {
      const got = net.getWeights()[i]!;
      for (const k of Object.keys(w) as Array<keyof typeof w>) {
        if (w[k] !== null) expectBitExact(got[k] as Float32Array, w[k] as Float32Array, `${i}.${String(k)}`);
      }
    });
  });
});
