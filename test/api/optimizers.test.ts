/**
 * Every optimizer against a multi-step trajectory computed here by the float64
 * reference rules (test/reference/optimizers.ts, written from torch.optim's algorithm
 * boxes), driven through `trainOnBatch` on a network whose gradient the reference
 * computes exactly: one linear Dense layer 3 → 2 with mse, biases included (weight
 * decay applies to them too).
 */
import { describe, expect, it } from 'vitest';
import type { Optimizer } from '../../lib/index';
import { Adam, AdamW, Dense, Network, RMSProp, SGD } from '../../lib/index';
import { flatten, gradients, type RefDense, unflatten } from '../reference/network';
import { RefAdam, RefAdamW, type RefOptimizer, RefRMSProp, RefSGD } from '../reference/optimizers';
import { BACKEND } from '../support/backend';
import { expectClose } from '../support/close';
import { TestRng } from '../support/rng';
import { TOL } from '../support/tolerances';

const INPUTS = 3;
const UNITS = 2;
const ROWS = 5;
const STEPS = 4;
const layers: RefDense[] = [{ inputs: INPUTS, units: UNITS, activation: 'linear', alpha: 0, useBias: true }];

interface Batch {
  x: Float32Array;
  y: Float32Array;
}

function data(seed: number): { theta0: Float32Array; batches: Batch[] } {
  const rng = new TestRng(seed);
  const theta0 = rng.float32Array(INPUTS * UNITS + UNITS, -1, 1);
  const batches = Array.from({ length: STEPS + 2 }, () => ({
    x: rng.float32Array(ROWS * INPUTS, -1, 1),
    y: rng.float32Array(ROWS * UNITS, -2, 2),
  }));
  return { theta0, batches };
}

function build(theta: ArrayLike<number>): Network {
  const net = new Network({ inputs: INPUTS, layers: [new Dense(UNITS)], backend: BACKEND, seed: 3 });
  setFlat(net, theta);
  return net;
}

function setFlat(net: Network, theta: ArrayLike<number>): void {
  const p = unflatten(layers, theta)[0]!;
  net.setWeights([{ kernel: Float32Array.from(p.kernel), bias: Float32Array.from(p.bias!) }]);
}

function getFlat(net: Network): Float64Array {
  const w = net.getWeights()[0]!;
  return Float64Array.from([...w.kernel, ...w.bias!]);
}

/** One reference step on a batch; returns the pre-step loss. */
function refStep(opt: RefOptimizer, theta: Float64Array, b: Batch): number {
  const r = gradients(layers, unflatten(layers, theta), 'mse', b.x, b.y, ROWS);
  // Guard against a test that cannot discriminate: Adam/RMSProp's first step is
  // ~lr·sign(g), so a gradient within float32 noise (~1e-7) of 0 would make it flaky.
  const g = flatten(r.grads);
  expect(Math.min(...Array.from(g, Math.abs)), 'reference gradient too close to 0 for a sharp test').toBeGreaterThan(
    1e-5,
  );
  opt.step(theta, g);
  return r.loss;
}

const cases: Array<{
  name: string;
  lib: () => Optimizer | 'sgd' | 'adam' | 'adamw' | 'rmsprop';
  ref: () => RefOptimizer;
}> = [
  { name: 'SGD plain', lib: () => new SGD({ learningRate: 0.1 }), ref: () => new RefSGD(0.1) },
  { name: 'SGD momentum', lib: () => new SGD({ learningRate: 0.1, momentum: 0.9 }), ref: () => new RefSGD(0.1, 0.9) },
  {
    name: 'SGD Nesterov',
    lib: () => new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true }),
    ref: () => new RefSGD(0.1, 0.9, true),
  },
  {
    name: 'SGD weight decay',
    lib: () => new SGD({ learningRate: 0.1, weightDecay: 0.3 }),
    ref: () => new RefSGD(0.1, 0, false, 0.3),
  },
  {
    name: 'SGD momentum + Nesterov + weight decay',
    lib: () => new SGD({ learningRate: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.2 }),
    ref: () => new RefSGD(0.05, 0.8, true, 0.2),
  },
  { name: 'Adam', lib: () => new Adam({ learningRate: 0.05 }), ref: () => new RefAdam(0.05) },
  {
    name: 'Adam with betas, epsilon and L2 weight decay',
    lib: () => new Adam({ learningRate: 0.02, beta1: 0.8, beta2: 0.95, epsilon: 1e-3, weightDecay: 0.5 }),
    ref: () => new RefAdam(0.02, 0.8, 0.95, 1e-3, 0.5),
  },
  {
    name: 'AdamW decoupled decay',
    lib: () => new AdamW({ learningRate: 0.05, weightDecay: 0.5 }),
    ref: () => new RefAdamW(0.05, 0.9, 0.999, 1e-8, 0.5),
  },
  { name: 'AdamW default decay 0.01', lib: () => new AdamW({ learningRate: 0.05 }), ref: () => new RefAdamW(0.05) },
  { name: 'RMSProp', lib: () => new RMSProp({ learningRate: 0.01 }), ref: () => new RefRMSProp(0.01) },
  {
    name: 'RMSProp with momentum',
    lib: () => new RMSProp({ learningRate: 0.01, rho: 0.9, momentum: 0.9 }),
    ref: () => new RefRMSProp(0.01, 0.9, 1e-8, 0.9),
  },
  { name: "'sgd' by name (defaults)", lib: () => 'sgd', ref: () => new RefSGD() },
  { name: "'adam' by name (defaults)", lib: () => 'adam', ref: () => new RefAdam() },
  { name: "'adamw' by name (defaults)", lib: () => 'adamw', ref: () => new RefAdamW() },
  { name: "'rmsprop' by name (defaults)", lib: () => 'rmsprop', ref: () => new RefRMSProp() },
];

describe(`optimizer trajectories vs the reference rules (${BACKEND})`, () => {
  cases.forEach((c, i) => {
    it(`${c.name}: ${STEPS} steps`, () => {
      const { theta0, batches } = data(100 + i);
      const net = build(theta0);
      net.compile({ loss: 'mse', optimizer: c.lib() });
      const opt = c.ref();
      const theta = Float64Array.from(theta0);
      for (let t = 0; t < STEPS; t++) {
        const b = batches[t]!;
        const wantLoss = refStep(opt, theta, b);
        const gotLoss = net.trainOnBatch(b.x, b.y);
        expectClose([gotLoss], [wantLoss], TOL.trajectory, `${c.name}: loss before step ${t + 1}`);
        expectClose(getFlat(net), theta, TOL.trajectory, `${c.name}: parameters after step ${t + 1}`);
      }
      // The trajectory moved: a no-op optimizer would not pass.
      expect(maxDiff(theta, theta0)).toBeGreaterThan(1e-3);
    });
  });

  it('the optimizers expose API.md defaults', () => {
    expect(new SGD()).toMatchObject({ learningRate: 0.01, momentum: 0, nesterov: false, weightDecay: 0 });
    expect(new Adam()).toMatchObject({ learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
    expect(new AdamW()).toMatchObject({
      learningRate: 0.001,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: 0.01,
    });
    expect(new RMSProp()).toMatchObject({ learningRate: 0.01, rho: 0.99, epsilon: 1e-8, momentum: 0 });
  });
});

describe(`optimizer state (${BACKEND})`, () => {
  const stateful: Array<{ name: string; lib: () => Optimizer; ref: () => RefOptimizer }> = [
    { name: 'SGD momentum', lib: () => new SGD({ learningRate: 0.1, momentum: 0.9 }), ref: () => new RefSGD(0.1, 0.9) },
    { name: 'Adam', lib: () => new Adam({ learningRate: 0.05 }), ref: () => new RefAdam(0.05) },
    {
      name: 'RMSProp momentum',
      lib: () => new RMSProp({ learningRate: 0.01, momentum: 0.9 }),
      ref: () => new RefRMSProp(0.01, 0.99, 1e-8, 0.9),
    },
  ];

  for (const c of stateful) {
    it(`${c.name}: compile starts fresh optimizer state`, () => {
      const { theta0, batches } = data(7);
      const net = build(theta0);
      const optimizer = c.lib();
      net.compile({ loss: 'mse', optimizer });
      net.trainOnBatch(batches[0]!.x, batches[0]!.y);
      net.trainOnBatch(batches[1]!.x, batches[1]!.y);
      const theta2 = getFlat(net); // the float32 weights reached so far
      net.compile({ loss: 'mse', optimizer });
      const want = Float64Array.from(theta2);
      refStep(c.ref(), want, batches[2]!);
      net.trainOnBatch(batches[2]!.x, batches[2]!.y);
      expectClose(getFlat(net), want, TOL.trajectory, `${c.name}: first step after re-compile`);

      // Continuing with the old state from the same weights lands elsewhere (so the test can fail).
      const stale = c.ref();
      const s = Float64Array.from(theta0);
      refStep(stale, s, batches[0]!);
      refStep(stale, s, batches[1]!);
      s.set(theta2);
      refStep(stale, s, batches[2]!);
      expect(maxDiff(s, want)).toBeGreaterThan(1e-4);
    });

    it(`${c.name}: setWeights keeps optimizer state`, () => {
      const { theta0, batches } = data(8);
      const net = build(theta0);
      net.compile({ loss: 'mse', optimizer: c.lib() });
      const opt = c.ref();
      const theta = Float64Array.from(theta0);
      refStep(opt, theta, batches[0]!);
      net.trainOnBatch(batches[0]!.x, batches[0]!.y);
      refStep(opt, theta, batches[1]!);
      net.trainOnBatch(batches[1]!.x, batches[1]!.y);
      // Jump to new weights; the moments/buffers carry on.
      const jump = new TestRng(99).float32Array(theta.length, -1, 1);
      setFlat(net, jump);
      theta.set(jump);
      refStep(opt, theta, batches[2]!);
      net.trainOnBatch(batches[2]!.x, batches[2]!.y);
      expectClose(getFlat(net), theta, TOL.trajectory, `${c.name}: step after setWeights`);

      // A fresh optimizer from the same weights lands elsewhere (so the test can fail).
      const fresh = Float64Array.from(jump);
      refStep(c.ref(), fresh, batches[2]!);
      expect(maxDiff(fresh, theta)).toBeGreaterThan(1e-4);
    });
  }

  it('a non-finite batch loss skips the step: weights and state unchanged, the loss is still reported', () => {
    const { theta0, batches } = data(9);
    const net = build(theta0);
    net.compile({ loss: 'mse', optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }) });
    const opt = new RefSGD(0.1, 0.9);
    const theta = Float64Array.from(theta0);
    refStep(opt, theta, batches[0]!);
    net.trainOnBatch(batches[0]!.x, batches[0]!.y);
    const before = getFlat(net);
    // Finite inputs whose squared error overflows float32: (3e38)² = Infinity.
    const huge = { x: new Float32Array(ROWS * INPUTS).fill(3e38), y: new Float32Array(ROWS * UNITS) };
    const loss = net.trainOnBatch(huge.x, huge.y);
    expect(Number.isFinite(loss)).toBe(false);
    expect(getFlat(net)).toEqual(before);
    // The momentum buffer was not touched either: the next step follows the reference.
    refStep(opt, theta, batches[1]!);
    net.trainOnBatch(batches[1]!.x, batches[1]!.y);
    expectClose(getFlat(net), theta, TOL.trajectory, 'step after a skipped step');
  });
});

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
