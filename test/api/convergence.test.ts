/**
 * End-to-end learning with fixed seeds: XOR, and the bundled digits data set
 * (data/digits.csv: 1797 8×8 images, 64 features in 0..16, label in the last column).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Adam, Dense, Network } from '../../lib/index';
import { BACKEND } from '../support/backend';
import { DIGITS } from '../support/tolerances';

describe(`convergence (${BACKEND})`, () => {
  it('XOR: 2 → 8 (tanh) → 1 (sigmoid) with binary cross-entropy reaches loss < 0.01', async () => {
    const x = [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ];
    const y = [[0], [1], [1], [0]];
    const net = new Network({
      inputs: 2,
      layers: [new Dense(8, { activation: 'tanh' }), new Dense(1, { activation: 'sigmoid' })],
      backend: BACKEND,
      seed: 42,
    });
    net.compile({ loss: 'binaryCrossentropy', optimizer: new Adam({ learningRate: 0.05 }), metrics: ['accuracy'] });
    const before = net.evaluate(x, y).loss;
    const history = await net.fit(x, y, { epochs: 600, batchSize: 4 });
    const after = net.evaluate(x, y);
    expect(before).toBeGreaterThan(0.5);
    expect(after.loss).toBeLessThan(0.01);
    expect(after.accuracy).toBe(1);
    expect(history.loss[history.loss.length - 1]).toBeLessThan(history.loss[0]!);
    const p = net.predict(x);
    expect(Array.from(p, (v) => (v > 0.5 ? 1 : 0))).toEqual([0, 1, 1, 0]);
  });

  it('digits: 64 → 64 (relu) → 10 (softmax) with Adam reaches ≥ 95% accuracy on a held-out fifth', async () => {
    const lines = readFileSync(join(__dirname, '../../data/digits.csv'), 'utf8').trim().split(/\r?\n/);
    const header = lines[0]!.split(',');
    expect(header).toHaveLength(65);
    const rows = lines.slice(1).map((l) => l.split(',').map(Number));
    expect(rows).toHaveLength(1797);
    // Deterministic split: every fifth row (index ≡ 4 mod 5) is held out.
    const train = rows.filter((_, i) => i % 5 !== 4);
    const test = rows.filter((_, i) => i % 5 === 4);
    const features = (set: number[][]): Float32Array => {
      const out = new Float32Array(set.length * 64);
      set.forEach((r, i) => {
        for (let j = 0; j < 64; j++) out[i * 64 + j] = r[j]! / 16;
      });
      return out;
    };
    const labels = (set: number[][]): Int32Array => Int32Array.from(set, (r) => r[64]!);
    const xTrain = features(train);
    const yTrain = labels(train);
    const xTest = features(test);
    const yTest = labels(test);
    expect(Math.max(...xTrain)).toBeLessThanOrEqual(1);

    const net = new Network({
      inputs: 64,
      layers: [new Dense(64, { activation: 'relu' }), new Dense(10, { activation: 'softmax' })],
      backend: BACKEND,
      seed: 7,
    });
    net.compile({
      loss: 'sparseCategoricalCrossentropy',
      optimizer: new Adam({ learningRate: 0.003 }),
      metrics: ['accuracy'],
    });
    await net.fit(xTrain, yTrain, { epochs: 25, batchSize: 32 });

    // Accuracy computed here from predict (argmax), and cross-checked with evaluate.
    const p = net.predict(xTest);
    let correct = 0;
    for (let r = 0; r < test.length; r++) {
      let best = 0;
      for (let k = 1; k < 10; k++) if (p[r * 10 + k]! > p[r * 10 + best]!) best = k;
      if (best === yTest[r]) correct++;
    }
    const accuracy = correct / test.length;
    expect(accuracy).toBeGreaterThanOrEqual(0.95);
    expect(net.evaluate(xTest, yTest).accuracy).toBeCloseTo(accuracy, DIGITS.accuracy);
  });
});
