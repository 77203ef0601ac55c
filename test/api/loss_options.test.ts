/**
 * The facade of the loss options and row weights: compile's loss objects and their
 * checks, fit's classWeight/sampleWeight and evaluate's sampleWeight (checks, the
 * zero-weight batch, validation data, chunked evaluation), accuracy with fromLogits.
 * The numbers themselves are checked against PyTorch in test/parity/loss_options.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Dense, Network, SGD } from '../../lib/index';
import { refSpec, refWeightedLoss } from '../reference/losses';
import { BACKEND } from '../support/backend';
import { expectClose } from '../support/close';
import { TestRng } from '../support/rng';
import { TOL } from '../support/tolerances';

function net(outputs: number, activation: 'linear' | 'softmax' | 'sigmoid' = 'linear', seed = 3): Network {
  return new Network({
    inputs: 2,
    layers: [new Dense(5, { activation: 'tanh' }), new Dense(outputs, { activation })],
    backend: BACKEND,
    seed,
  });
}

function data(rows: number, seed: number): { x: Float32Array; cls: Int32Array; onehot: Float32Array } {
  const rng = new TestRng(seed);
  const x = Float32Array.from({ length: rows * 2 }, () => rng.uniform(-1, 1));
  const cls = Int32Array.from({ length: rows }, () => rng.int(3));
  const onehot = new Float32Array(rows * 3);
  cls.forEach((c, r) => {
    onehot[r * 3 + c] = 1;
  });
  return { x, cls, onehot };
}

describe(`compile({ loss }) with options (${BACKEND})`, () => {
  it('takes a name or an object, and reports the resolved options', () => {
    const n = net(3);
    n.compile({ loss: 'huber', optimizer: 'sgd' });
    expect(n.compiled?.lossConfig).toEqual({ name: 'huber', fromLogits: false, labelSmoothing: 0, delta: 1 });
    n.compile({ loss: { name: 'categoricalCrossentropy', fromLogits: true, labelSmoothing: 0.1 }, optimizer: 'sgd' });
    expect(n.compiled?.loss).toBe('categoricalCrossentropy');
    expect(n.compiled?.lossConfig).toEqual({
      name: 'categoricalCrossentropy',
      fromLogits: true,
      labelSmoothing: 0.1,
      delta: 1,
    });
  });

  it('rejects options that do not belong to the loss, or out of range, before any change', () => {
    const n = net(3);
    n.compile({ loss: 'mse', optimizer: 'sgd' });
    const bad: Array<[unknown, RegExp]> = [
      [{ name: 'mse', fromLogits: true }, /fromLogits only with a cross-entropy loss for loss\.fromLogits/],
      [{ name: 'binaryCrossentropy', labelSmoothing: 0.1 }, /labelSmoothing only with categorical/],
      [{ name: 'categoricalCrossentropy', labelSmoothing: 1 }, /a finite number in \[0, 1\) for loss\.labelSmoothing/],
      [{ name: 'sparseCategoricalCrossentropy', labelSmoothing: -0.1 }, /in \[0, 1\)/],
      [{ name: 'huber', delta: 0 }, /a finite number > 0 for loss\.delta/],
      [{ name: 'huber', delta: Number.POSITIVE_INFINITY }, /loss\.delta/],
      [{ name: 'mae', delta: 2 }, /delta only with huber/],
      [{ name: 'binaryCrossentropy', fromLogits: 1 }, /a boolean for loss\.fromLogits/],
      [{ name: 'huber', delta: 1, gamma: 2 }, /unknown option 'gamma'/],
      [{ fromLogits: true }, /for loss\.name/],
      [42, /a loss name .* or an object/],
      ['cosine', /one of 'mse'.*'huber'/],
    ];
    for (const [loss, message] of bad) {
      expect(() => n.compile({ loss: loss as never, optimizer: 'sgd' }), JSON.stringify(loss)).toThrow(message);
      expect(n.compiled?.loss).toBe('mse');
    }
  });

  it('fromLogits with one output: accuracy predicts class 1 for z > 0', () => {
    const n = new Network({ inputs: 1, layers: [new Dense(1)], backend: BACKEND, seed: 1 });
    n.setWeights([{ kernel: Float32Array.of(1), bias: Float32Array.of(0) }]);
    n.compile({ loss: { name: 'binaryCrossentropy', fromLogits: true }, optimizer: 'sgd', metrics: ['accuracy'] });
    // z = x: 0.3 and −0.2 are right for y = 1 and 0; 0.4 (> 0 but < 0.5) right for y = 1; −3 wrong for y = 1.
    const r = n.evaluate([[0.3], [-0.2], [0.4], [-3]], [[1], [0], [1], [1]]);
    expect(r.accuracy).toBe(0.75);
  });
});

describe(`row weights in fit and evaluate (${BACKEND})`, () => {
  it('evaluate with sampleWeight is Σ wᵢ·lᵢ / Σ wᵢ, over several inference chunks too', () => {
    const rows = 2600; // > 2 chunks of 1024 rows
    const { x, onehot } = data(rows, 11);
    const n = net(3, 'softmax');
    n.compile({ loss: { name: 'categoricalCrossentropy', labelSmoothing: 0.05 }, optimizer: 'sgd' });
    const rng = new TestRng(4);
    const w = Float32Array.from({ length: rows }, (_, i) => (i % 7 === 0 ? 0 : rng.uniform(0, 3)));
    const want = refWeightedLoss(
      refSpec({ name: 'categoricalCrossentropy', labelSmoothing: 0.05 }),
      n.predict(x),
      onehot,
      w,
      rows,
      3,
    );
    expectClose([n.evaluate(x, onehot, { sampleWeight: w }).loss], [want], TOL.float32(rows), 'weighted loss');
    // Weights of 0 drop rows: the same as evaluating the rows left.
    const keep = [...w.keys()].filter((i) => w[i]! > 0).slice(0, 50);
    const w01 = new Float32Array(rows);
    for (const i of keep) w01[i] = 1;
    const xs = Float32Array.from(keep.flatMap((i) => [x[2 * i]!, x[2 * i + 1]!]));
    const ys = Float32Array.from(keep.flatMap((i) => [...onehot.subarray(3 * i, 3 * i + 3)]));
    expectClose(
      [n.evaluate(x, onehot, { sampleWeight: w01 }).loss],
      [n.evaluate(xs, ys).loss],
      TOL.float32(rows),
      'weights 0/1 select rows',
    );
  });

  it('rejects bad weights with the argument named, before training', async () => {
    const { x, cls } = data(12, 5);
    const n = net(3, 'softmax');
    n.compile({ loss: 'sparseCategoricalCrossentropy', optimizer: new SGD({ learningRate: 0.5 }) });
    const before = n.getWeights();
    const bad: Array<[object, RegExp]> = [
      [{ classWeight: [1, 2] }, /3 class weights .* for classWeight but received 2/],
      [{ classWeight: [1, -1, 1] }, /non-negative weight .* for classWeight\[1\] but received -1/],
      [{ classWeight: [1, Number.NaN, 1] }, /classWeight\[1\] but received NaN/],
      [{ classWeight: 'balanced' }, /an array of 3 class weights for classWeight/],
      [{ sampleWeight: new Float32Array(11) }, /12 sample weights .* for sampleWeight but received 11/],
      [
        { sampleWeight: Float32Array.from({ length: 12 }, (_, i) => (i === 4 ? Number.POSITIVE_INFINITY : 1)) },
        /sampleWeight\[4\] but received Infinity/,
      ],
      [{ sampleWeight: new Int8Array(12) }, /a Float32Array of 12 sample weights for sampleWeight/],
      [{ sampleWeight: new Float32Array(12) }, /a positive weight in every batch .* but received batch 0 of epoch 0/],
    ];
    for (const [opts, message] of bad) {
      await expect(
        n.fit(x, cls, { epochs: 1, batchSize: 4, shuffle: false, ...opts }),
        JSON.stringify(opts),
      ).rejects.toThrow(message);
      expect(n.busy).toBe(false);
    }
    expect(n.getWeights()).toEqual(before);
    expect(() => n.evaluate(x, cls, { sampleWeight: new Float32Array(12) })).toThrow(/positive sum for sampleWeight/);
    // Subnormal weights count as 0 (the native core flushes them), on both backends alike.
    expect(() => n.evaluate(x, cls, { sampleWeight: new Float32Array(12).fill(1e-40) })).toThrow(
      /positive sum for sampleWeight/,
    );
    expect(() => n.evaluate(x, cls, { weights: [] } as never)).toThrow(/unknown option 'weights'/);
  });

  it('names the batch whose weights are all 0, before the first step with shuffle off', async () => {
    const { x, cls } = data(12, 6);
    const n = net(3, 'softmax');
    n.compile({ loss: 'sparseCategoricalCrossentropy', optimizer: new SGD({ learningRate: 0.5 }) });
    const before = n.getWeights();
    const sampleWeight = Float32Array.from({ length: 12 }, (_, i) => (i >= 8 ? 0 : 1));
    await expect(n.fit(x, cls, { epochs: 2, batchSize: 4, shuffle: false, sampleWeight })).rejects.toThrow(
      /batch 2 of epoch 0 with all weights 0/,
    );
    expect(n.getWeights()).toEqual(before);
    // A class weight of 0 counts too: class 1 weighs nothing in a batch of only class 1.
    const only1 = Int32Array.from({ length: 12 }, (_, i) => (i < 4 ? 1 : 0));
    await expect(n.fit(x, only1, { batchSize: 4, shuffle: false, classWeight: [1, 0, 1] })).rejects.toThrow(
      /batch 0 of epoch 0/,
    );
  });

  it('uniform class weights change nothing; weights 0 make rows count for nothing', async () => {
    const { x, cls } = data(24, 7);
    const train = async (opts: object): Promise<Float32Array> => {
      const n = net(3, 'softmax', 9);
      n.compile({ loss: 'sparseCategoricalCrossentropy', optimizer: new SGD({ learningRate: 0.5 }) });
      await n.fit(x, cls, { epochs: 3, batchSize: 8, shuffle: true, ...opts });
      return Float32Array.from(n.getWeights().flatMap((l) => [...l.kernel, ...l.bias!]));
    };
    const plain = await train({});
    expectClose(await train({ classWeight: [2.5, 2.5, 2.5] }), plain, TOL.backendTrajectory, 'uniform classWeight');
    // Weights that differ do change the result (so the options are not ignored).
    const weighted = await train({ classWeight: [1, 3, 0.5] });
    expect(weighted).not.toEqual(plain);
  });

  it('validationData may carry sample weights; validationSplit keeps them for its rows', async () => {
    const { x, cls } = data(20, 8);
    const sw = Float32Array.from({ length: 20 }, (_, i) => (i % 3) + 0.5);
    const n = net(3, 'softmax');
    n.compile({ loss: { name: 'sparseCategoricalCrossentropy', labelSmoothing: 0.1 }, optimizer: 'sgd' });
    const vx = x.subarray(0, 16);
    const vy = cls.subarray(0, 8);
    const vw = sw.subarray(0, 8);
    const h = await n.fit(x, cls, { epochs: 1, validationData: [vx, vy, vw] });
    expectClose(h.valLoss!, [n.evaluate(vx, vy, { sampleWeight: vw }).loss], TOL.exact, 'valLoss, weighted');
    await expect(n.fit(x, cls, { validationData: [vx, vy, new Float32Array(8)] })).rejects.toThrow(
      /positive sum for validationData\[2\]/,
    );
    const h2 = await n.fit(x, cls, { epochs: 1, validationSplit: 0.25, sampleWeight: sw, classWeight: [1, 2, 3] });
    expectClose(
      h2.valLoss!,
      [n.evaluate(x.subarray(30), cls.subarray(15), { sampleWeight: sw.subarray(15) }).loss],
      TOL.exact,
      'valLoss of the split rows',
    );
  });
});
