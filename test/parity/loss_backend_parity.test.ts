/**
 * js and native side by side, below the facade, for the loss options and row weights:
 * the same ModelSpec, parameters, batches and weights must agree within API.md's promise
 * (1e-5 relative + 1e-6 absolute, scaled) on evaluate (several inference chunks too),
 * gradients and trainStep, and within 1e-4 relative on the parameters after weighted
 * epochs of shuffled mini-batches (trainEpoch with EpochJob.weights), every loss spec.
 * Runs in the 'native' vitest projects only (it needs the addon).
 */
import { expect, it } from 'vitest';
import { jsBackend } from '../../lib/backend/js/index';
import { loadNativeBackend } from '../../lib/backend/native/index';
import type { ActivationName, Backend, BackendModel, LossSpec, ModelSpec } from '../../lib/backend/types';
import { buildModelSpec } from '../../lib/layers/plan';
import { expectClose, type Tolerance } from '../support/close';
import { describeLeg, itRunsOnLegIsa } from '../support/isa_leg';
import { TestRng } from '../support/rng';
import { plannedLayers } from '../support/spec';
import { TOL } from '../support/tolerances';

function native(): Backend {
  const { backend, reason } = loadNativeBackend();
  if (!backend) throw new Error(`the native addon did not load: ${reason}`);
  return backend;
}

function agreement(ref: ArrayLike<number>, tol: Tolerance = TOL.backendAgreement): Tolerance {
  let scale = 0;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]!));
  return { rtol: tol.rtol, atol: tol.atol * Math.max(1, scale) };
}

const spec = (name: LossSpec['name'], o: Partial<LossSpec> = {}): LossSpec => ({
  name,
  fromLogits: false,
  labelSmoothing: 0,
  delta: 1,
  ...o,
});

/** Each loss spec with the output activation it is tried on. */
const CASES: Array<[string, LossSpec, ActivationName]> = [
  ['mse', spec('mse'), 'linear'],
  ['mae', spec('mae'), 'tanh'],
  ['huber δ=1', spec('huber'), 'linear'],
  ['huber δ=0.2', spec('huber', { delta: 0.2 }), 'linear'],
  ['bce sigmoid', spec('binaryCrossentropy'), 'sigmoid'],
  ['bce logits', spec('binaryCrossentropy', { fromLogits: true }), 'linear'],
  ['bce logits after tanh', spec('binaryCrossentropy', { fromLogits: true }), 'tanh'],
  ['cce softmax', spec('categoricalCrossentropy'), 'softmax'],
  ['cce softmax ε=0.1', spec('categoricalCrossentropy', { labelSmoothing: 0.1 }), 'softmax'],
  ['cce logits ε=0.2', spec('categoricalCrossentropy', { fromLogits: true, labelSmoothing: 0.2 }), 'linear'],
  ['sparse softmax', spec('sparseCategoricalCrossentropy'), 'softmax'],
  ['sparse logits', spec('sparseCategoricalCrossentropy', { fromLogits: true }), 'linear'],
  [
    'sparse logits ε=0.1 after relu',
    spec('sparseCategoricalCrossentropy', { fromLogits: true, labelSmoothing: 0.1 }),
    'relu',
  ],
];

function targets(s: LossSpec, rows: number, outputs: number, rng: TestRng): Float32Array {
  if (s.name === 'sparseCategoricalCrossentropy') return Float32Array.from({ length: rows }, () => rng.int(outputs));
  const y = new Float32Array(rows * outputs);
  for (let r = 0; r < rows; r++) {
    if (s.name === 'categoricalCrossentropy') {
      let sum = 0;
      for (let j = 0; j < outputs; j++) sum += y[r * outputs + j] = rng.uniform(0.05, 1);
      for (let j = 0; j < outputs; j++) y[r * outputs + j] = Math.fround(y[r * outputs + j]! / sum);
    } else if (s.name === 'binaryCrossentropy') {
      for (let j = 0; j < outputs; j++) y[r * outputs + j] = rng.int(2);
    } else {
      for (let j = 0; j < outputs; j++) y[r * outputs + j] = rng.uniform(-1.5, 1.5);
    }
  }
  return y;
}

function modelSpec(act: ActivationName, seed: number): ModelSpec {
  return buildModelSpec(
    6,
    plannedLayers([
      { units: 11, activation: 'tanh' },
      { units: 4, activation: act },
    ]),
    seed,
  );
}

function twins(s: ModelSpec, loss: LossSpec, rng: TestRng): [BackendModel, BackendModel] {
  const a = jsBackend.createModel(s);
  const b = native().createModel(s);
  for (let i = 0; i < s.paramCount; i++) a.params[i] = rng.uniform(-0.7, 0.7);
  b.params.set(a.params);
  a.setLoss(loss);
  b.setLoss(loss);
  return [a, b];
}

function weights(rows: number, rng: TestRng): Float32Array {
  return Float32Array.from({ length: rows }, (_, i) => (i % 5 === 2 ? 0 : rng.uniform(0.1, 3)));
}

itRunsOnLegIsa();

describeLeg('js ↔ native: loss options and row weights', () => {
  CASES.forEach(([name, loss, act], k) => {
    it(`${name}: evaluate, gradients, trainStep with and without weights`, () => {
      const rng = new TestRng(100 + k);
      const s = modelSpec(act, k);
      const [js, nat] = twins(s, loss, rng);
      js.setOptimizer({
        kind: 'adam',
        learningRate: 0.01,
        momentum: 0,
        nesterov: false,
        weightDecay: 0,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
        rho: 0.9,
      });
      nat.setOptimizer({
        kind: 'adam',
        learningRate: 0.01,
        momentum: 0,
        nesterov: false,
        weightDecay: 0,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
        rho: 0.9,
      });
      const rows = 13;
      const x = Float32Array.from({ length: rows * 6 }, () => rng.uniform(-1, 1));
      const y = targets(loss, rows, 4, rng);
      for (const w of [undefined, weights(rows, rng)]) {
        const label = w ? 'weighted' : 'unweighted';
        const eJs = js.evaluate(x, y, rows, w);
        const eNat = nat.evaluate(x, y, rows, w);
        expectClose([eNat.loss], [eJs.loss], agreement([eJs.loss]), `${label} evaluate loss`);
        expect(eNat.correct, `${label} correct`).toBe(eJs.correct);
        const gJs = new Float32Array(s.paramCount);
        const gNat = new Float32Array(s.paramCount);
        expectClose(
          [nat.gradients(x, y, rows, gNat, w)],
          [js.gradients(x, y, rows, gJs, w)],
          agreement([eJs.loss]),
          `${label} gradients loss`,
        );
        expectClose(gNat, gJs, agreement(gJs), `${label} gradients`);
        for (let step = 0; step < 3; step++) {
          const a = js.trainStep(x, y, rows, step, w);
          const b = nat.trainStep(x, y, rows, step, w);
          expectClose([b.loss], [a.loss], agreement([a.loss], TOL.backendTrajectory), `${label} trainStep loss`);
        }
        expectClose(nat.params, js.params, agreement(js.params, TOL.backendTrajectory), `${label} params after steps`);
      }
      js.dispose();
      nat.dispose();
    });

    it(`${name}: weighted epochs of shuffled batches (trainEpoch)`, async () => {
      const rng = new TestRng(200 + k);
      const s = modelSpec(act, k);
      const [js, nat] = twins(s, loss, rng);
      const opt = {
        kind: 'sgd' as const,
        learningRate: 0.2,
        momentum: 0.5,
        nesterov: false,
        weightDecay: 0,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
        rho: 0.9,
      };
      js.setOptimizer(opt);
      nat.setOptimizer(opt);
      const samples = 50;
      const x = new Float32Array(new SharedArrayBuffer(4 * samples * 6));
      x.set(Float32Array.from({ length: samples * 6 }, () => rng.uniform(-1, 1)));
      const y = targets(loss, samples, 4, rng);
      const w = weights(samples, rng);
      w[3] = w[7] = 5; // a few heavy rows
      for (let epoch = 0; epoch < 2; epoch++) {
        const order = Int32Array.from({ length: samples }, (_, i) => i);
        for (let i = samples - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
        // The last batch is one row: keep it weighted (a batch whose weights are all 0 is
        // the facade's error; the backends' NaN for it is checked below).
        const j = order.findIndex((i) => w[i]! > 0);
        [order[j], order[samples - 1]] = [order[samples - 1]!, order[j]!];
        const job = { x, y, order, batchSize: 7, firstStep: epoch * 8, weights: w };
        const a = await js.trainEpoch(job);
        const b = await nat.trainEpoch(job);
        expect(b.status).toBe('done');
        expect(a.status).toBe('done');
        expectClose([b.lossSum], [a.lossSum], agreement([a.lossSum], TOL.backendTrajectory), 'epoch loss sum');
      }
      expectClose(nat.params, js.params, agreement(js.params, TOL.backendTrajectory), 'params after 2 epochs');
      js.dispose();
      nat.dispose();
    });
  });

  it('a batch whose weights are all 0: NaN loss, the epoch stops there on both', async () => {
    const rng = new TestRng(55);
    const loss = spec('huber', { delta: 0.5 });
    const s = modelSpec('linear', 55);
    const [js, nat] = twins(s, loss, rng);
    const opt = {
      kind: 'sgd' as const,
      learningRate: 0.1,
      momentum: 0,
      nesterov: false,
      weightDecay: 0,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      rho: 0.9,
    };
    js.setOptimizer(opt);
    nat.setOptimizer(opt);
    const samples = 12;
    const x = Float32Array.from({ length: samples * 6 }, () => rng.uniform(-1, 1));
    const y = targets(loss, samples, 4, rng);
    const w = Float32Array.from({ length: samples }, (_, i) => (i >= 8 ? 0 : 1));
    const order = Int32Array.from({ length: samples }, (_, i) => i);
    const job = { x, y, order, batchSize: 4, firstStep: 0, weights: w };
    const a = await js.trainEpoch(job);
    const b = await nat.trainEpoch(job);
    expect([a.status, a.failedBatch, a.batches]).toEqual(['nonfinite', 2, 2]);
    expect([b.status, b.failedBatch, b.batches]).toEqual(['nonfinite', 2, 2]);
    expect(Number.isNaN(nat.evaluate(x.subarray(8 * 6), y.subarray(8 * 4), 4, w.subarray(8)).loss)).toBe(true);
    expectClose(nat.params, js.params, agreement(js.params, TOL.backendTrajectory), 'params of the 2 applied steps');
  });

  it('weighted evaluate across inference chunks, with an all-zero chunk', () => {
    const rng = new TestRng(77);
    const loss = spec('categoricalCrossentropy', { fromLogits: true, labelSmoothing: 0.1 });
    const s = modelSpec('linear', 77);
    const [js, nat] = twins(s, loss, rng);
    const rows = 2500;
    const x = Float32Array.from({ length: rows * 6 }, () => rng.uniform(-1, 1));
    const y = targets(loss, rows, 4, rng);
    const w = weights(rows, rng);
    w.fill(0, 1024, 2048); // the second chunk weighs nothing
    const a = js.evaluate(x, y, rows, w);
    const b = nat.evaluate(x, y, rows, w);
    expect(Number.isFinite(a.loss)).toBe(true);
    expectClose([b.loss], [a.loss], agreement([a.loss]), 'loss');
    expect(b.correct).toBe(a.correct);
  });
});
