/**
 * Learning-rate schedules and the settable rate, against PyTorch float64 trajectories
 * (test/fixtures/schedules.json from gen_schedules.py: torch's StepLR, ExponentialLR,
 * CosineAnnealingLR and a LambdaLR warm-up, stepped once per update), plus the rules of
 * API.md: t counts applied updates, skipped steps do not advance it, fit's per-batch
 * rates (native: one Float64Array per epoch) equal trainOnBatch's, and bad schedule
 * outputs are rejected naming the step, before any change.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Adam,
  AdamW,
  cosineDecay,
  Dense,
  exponentialDecay,
  type LearningRateSchedule,
  Network,
  type Optimizer,
  RMSProp,
  SGD,
  stepDecay,
} from '../../lib/index';
import { BACKEND } from '../support/backend';

interface Case {
  name: string;
  optimizer: Record<string, unknown> & { name: string };
  schedule: Record<string, unknown> & { type: string };
  epochs: number;
  rates: number[];
  loss: number[];
  weights: Array<{ kernel: number[]; bias: number[] }>;
}
const F = JSON.parse(readFileSync(join(__dirname, '../fixtures/schedules.json'), 'utf8')) as {
  x: number[];
  y: number[];
  batchSize: number;
  initial: Array<{ kernel: number[]; bias: number[] }>;
  cases: Case[];
};

function schedule(s: Case['schedule']): LearningRateSchedule {
  const { type, ...o } = s;
  if (type === 'stepDecay') return stepDecay(o as never);
  if (type === 'exponentialDecay') return exponentialDecay(o as never);
  return cosineDecay(o as never);
}

function optimizer(c: Case): Optimizer {
  const learningRate = schedule(c.schedule);
  switch (c.optimizer.name) {
    case 'sgd':
      return new SGD({ learningRate, momentum: c.optimizer.momentum as number });
    case 'adam':
      return new Adam({ learningRate });
    case 'adamw':
      return new AdamW({ learningRate, weightDecay: c.optimizer.weight_decay as number });
    default:
      return new RMSProp({ learningRate, rho: c.optimizer.alpha as number });
  }
}

function makeNet(opt: Optimizer): Network {
  const net = new Network({
    inputs: 3,
    layers: [new Dense(4, { activation: 'tanh' }), new Dense(2)],
    backend: BACKEND,
    seed: 1,
  });
  net.setWeights(F.initial);
  net.compile({ loss: 'mse', optimizer: opt });
  return net;
}

const x = new Float32Array(F.x);
const y = new Float32Array(F.y);

function expectClose(actual: ArrayLike<number>, expected: number[], rtol: number, atol: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e)))
      throw new Error(`${what}[${i}]: ${a} is not within ${atol} + ${rtol}·|e| of ${e}`);
  }
}

describe(`schedules against PyTorch (${BACKEND})`, () => {
  for (const c of F.cases) {
    it(c.name, async () => {
      const opt = optimizer(c);
      // The rate sequence: the schedule at t = 0, 1, … against torch's scheduler.
      expectClose(
        c.rates.map((_, t) => opt.rateAt(t)),
        c.rates,
        1e-12,
        0,
        'rates',
      );
      const net = makeNet(opt);
      const h = await net.fit(x, y, { epochs: c.epochs, batchSize: F.batchSize, shuffle: false });
      expect(net.optimizerSteps).toBe(c.rates.length);
      // History.lr: the rate of each epoch's last update (2 updates per epoch).
      expectClose(
        h.lr!,
        c.rates.filter((_, t) => t % 2 === 1),
        1e-12,
        0,
        'History.lr',
      );
      expectClose(h.loss, c.loss, 1e-5, 1e-7, 'loss');
      net.getWeights().forEach((w, i) => {
        expectClose(w.kernel, c.weights[i]!.kernel, 1e-4, 2e-5, `layers[${i}].kernel`);
        expectClose(w.bias!, c.weights[i]!.bias, 1e-4, 2e-5, `layers[${i}].bias`);
      });
      // trainOnBatch (setLearningRate before each step) gives fit's weights bit for bit.
      const byBatch = makeNet(optimizer(c));
      for (let t = 0; t < c.rates.length; t++) {
        const b = t % 2;
        byBatch.trainOnBatch(x.subarray(b * 12, b * 12 + 12), y.subarray(b * 8, b * 8 + 8));
      }
      expect(byBatch.getWeights()).toEqual(net.getWeights());
    });
  }
});

describe(`learning rates (${BACKEND})`, () => {
  it('the built-in formulas', () => {
    const s = stepDecay({ initial: 0.1, stepSize: 3, gamma: 0.5 });
    expect([0, 2, 3, 5, 6, 9].map(s)).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.0125]);
    const e = exponentialDecay({ initial: 2, gamma: 0.5 });
    expect([0, 1, 4].map(e)).toEqual([2, 1, 0.125]);
    const c = cosineDecay({ initial: 1, steps: 4, final: 0.2, warmupSteps: 2 });
    expect(c(0)).toBe(0.5);
    expect(c(1)).toBe(1);
    expect(c(2)).toBe(1);
    expect(c(4)).toBeCloseTo(0.6, 15);
    expect(c(6)).toBeCloseTo(0.2, 15);
    expect(c(100)).toBeCloseTo(0.2, 15);
    expect(() => stepDecay({ initial: 0.1, stepSize: 0, gamma: 0.5 })).toThrow(/stepSize/);
    expect(() => cosineDecay({ initial: -1, steps: 3 })).toThrow(/initial/);
  });

  it('net.optimizer.learningRate is settable and takes effect at the next step', () => {
    const a = makeNet(new SGD({ learningRate: 0.1 }));
    const b = makeNet(new SGD({ learningRate: 0.1 }));
    expect(a.optimizer).toBeInstanceOf(SGD);
    a.trainOnBatch(x, y);
    b.trainOnBatch(x, y);
    a.optimizer!.learningRate = 0.02;
    expect(a.optimizer!.learningRate).toBe(0.02);
    a.trainOnBatch(x, y);
    b.trainOnBatch(x, y);
    expect(a.getWeights()).not.toEqual(b.getWeights());
    // The same two steps by a network whose schedule gives 0.1 then 0.02.
    const c = makeNet(new SGD({ learningRate: (t: number) => (t === 0 ? 0.1 : 0.02) }));
    c.trainOnBatch(x, y);
    c.trainOnBatch(x, y);
    expect(c.getWeights()).toEqual(a.getWeights());
    expect(() => {
      a.optimizer!.learningRate = -1;
    }).toThrow(/learningRate/);
    expect(() => {
      a.optimizer!.learningRate = 'fast' as never;
    }).toThrow(/learningRate/);
  });

  it('a rate set between epochs applies from the next epoch of fit; History.lr records it', async () => {
    const net = makeNet(new SGD({ learningRate: 0.1 }));
    const h = await net.fit(x, y, {
      epochs: 3,
      batchSize: 4,
      shuffle: false,
      callbacks: [
        {
          onEpochEnd: (epoch) => {
            if (epoch === 0) net.optimizer!.learningRate = 0.05;
          },
        },
      ],
    });
    expect(h.lr).toEqual([0.1, 0.05, 0.05]);
  });

  it('t counts applied updates: a skipped (non-finite) step does not advance it', () => {
    const seen: number[] = [];
    const net = makeNet(
      new SGD({
        learningRate: (t: number) => {
          seen.push(t);
          return 0.01;
        },
      }),
    );
    net.trainOnBatch(x, y);
    // Output weights of 3e38 overflow the float32 output, so the loss is not finite: skipped.
    const w = net.getWeights();
    net.setWeights([w[0]!, { kernel: new Float32Array(8).fill(3e38), bias: w[1]!.bias }]);
    seen.length = 0;
    const skipped = net.trainOnBatch(x, y);
    expect(Number.isFinite(skipped)).toBe(false);
    expect(net.optimizerSteps).toBe(1);
    net.setWeights(w);
    net.trainOnBatch(x, y);
    expect(net.optimizerSteps).toBe(2);
    // Both the skipped step and the next one asked for the rate of update t = 1.
    expect(seen).toEqual([1, 1]);
  });

  it('a schedule returning a bad rate is rejected naming the step, before any change', async () => {
    const net = makeNet(new Adam({ learningRate: (t: number) => (t < 2 ? 0.01 : Number.NaN) }));
    net.trainOnBatch(x, y);
    net.trainOnBatch(x, y);
    const before = net.getWeights();
    expect(() => net.trainOnBatch(x, y)).toThrow(/learningRate\(2\)/);
    expect(net.getWeights()).toEqual(before);
    await expect(net.fit(x, y, { batchSize: 4 })).rejects.toThrow(/learningRate\(2\)/);
    expect(net.getWeights()).toEqual(before);
    const neg = makeNet(new SGD({ learningRate: (t: number) => (t === 0 ? 0.1 : -0.1) }));
    neg.trainOnBatch(x, y);
    expect(() => neg.trainOnBatch(x, y)).toThrow(expect.objectContaining({ code: 'DENSELY_INVALID_ARGUMENT' }));
  });
});
