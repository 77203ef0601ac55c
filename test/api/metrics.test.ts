/**
 * compile({ metrics }): lib/metrics.ts against scikit-learn values frozen by
 * test/fixtures/gen_metrics.py (binary, multilabel, multi-class, regression; ties,
 * single-class sets, zero division), then the plumbing: fit's per-epoch training metrics
 * (each row's output before its batch's step), validation metrics, evaluate, and the
 * compile-time checks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Dense, type LossName, Network, SGD } from '../../lib/index';
import { computeMetrics, METRICS, type MetricName, rocAuc, valKey } from '../../lib/metrics';
import { BACKEND } from '../support/backend';
import { expectClose } from '../support/close';
import { TestRng } from '../support/rng';

interface Case {
  name: string;
  loss: LossName;
  outputs: number;
  yhat: number[];
  y: number[];
  want: Partial<Record<MetricName, number | null>>;
}
const fixture = JSON.parse(readFileSync(join(__dirname, '../fixtures/metrics.json'), 'utf8')) as { cases: Case[] };

/** float64 sums of float32 data against scikit-learn's float64: a few roundings apart. */
const F64 = { rtol: 1e-12, atol: 1e-12 };

describe('lib/metrics against scikit-learn', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const names = Object.keys(c.want) as MetricName[];
      const yhat = Float32Array.from(c.yhat);
      const y = Float32Array.from(c.y);
      const rows = yhat.length / c.outputs;
      const got = computeMetrics(names, c.loss, yhat, y, c.outputs, rows);
      for (const m of names) {
        const want = c.want[m];
        if (want === null) expect(got[m as keyof typeof got], `${c.name} ${m}`).toBeNaN();
        else expectClose([got[m as keyof typeof got]!], [want!], F64, `${c.name} ${m}`);
      }
    });
  }

  it('index selects rows (the trained rows of an epoch)', () => {
    const c = fixture.cases.find((k) => k.name === 'multiclass random sparse')!;
    const yhat = Float32Array.from(c.yhat);
    const y = Float32Array.from(c.y);
    const rows = y.length;
    const rev = Int32Array.from({ length: rows }, (_, i) => rows - 1 - i);
    const all = computeMetrics(['precision', 'recall', 'f1', 'auc'], c.loss, yhat, y, c.outputs, rows);
    const perm = computeMetrics(['precision', 'recall', 'f1', 'auc'], c.loss, yhat, y, c.outputs, rows, rev);
    expect(perm).toEqual(all);
  });

  it('rocAuc counts ties one half (Mann–Whitney)', () => {
    expect(rocAuc([0.5, 0.5], [true, false])).toBe(0.5);
    expect(rocAuc([0.1, 0.9, 0.4], [false, true, true])).toBe(1);
    expect(rocAuc([0.1, 0.2], [true, true])).toBeNaN();
  });

  it('valKey names the validation entries', () => {
    expect(METRICS.map(valKey)).toEqual([
      'valAccuracy',
      'valPrecision',
      'valRecall',
      'valF1',
      'valAuc',
      'valMae',
      'valMse',
      'valR2',
    ]);
  });
});

function classification(rows: number, seed: number): { x: Float32Array; y: Float32Array } {
  const rng = new TestRng(seed);
  const x = rng.float32Array(rows * 4, -1, 1);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) y[r] = (x[r * 4]! + 0.5 * x[r * 4 + 1]! > 0 ? 1 : 0) + (x[r * 4 + 2]! > 0.3 ? 1 : 0);
  return { x, y };
}

describe(`metrics in fit and evaluate (${BACKEND})`, () => {
  const all: MetricName[] = ['accuracy', 'precision', 'recall', 'f1', 'auc'];
  const make = () => {
    const net = new Network({
      inputs: 4,
      layers: [new Dense(6, { activation: 'tanh' }), new Dense(3, { activation: 'softmax' })],
      backend: BACKEND,
      seed: 11,
    });
    net.compile({ loss: 'sparseCategoricalCrossentropy', optimizer: new SGD({ learningRate: 0.5 }), metrics: all });
    return net;
  };

  it("training metrics use each row's output before its batch's step", async () => {
    const { x, y } = classification(40, 3);
    const net = make();
    const twin = make();
    // The twin replays fit's batches (shuffle off, batches of 8) by hand.
    const outputs = new Float32Array(40 * 3);
    for (let b = 0; b < 5; b++) {
      const xb = x.subarray(b * 32, (b + 1) * 32);
      const yb = y.subarray(b * 8, (b + 1) * 8);
      outputs.set(twin.predict(xb), b * 24);
      twin.trainOnBatch(xb, yb);
    }
    const h = await net.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false });
    const want = computeMetrics(all, 'sparseCategoricalCrossentropy', outputs, y, 3, 40);
    for (const m of ['precision', 'recall', 'f1', 'auc'] as const) {
      expect(h[m], m).toHaveLength(1);
      expectClose(h[m]!, [want[m]!], { rtol: 1e-6, atol: 1e-9 }, `history.${m}`);
    }
    expect(net.getWeights()[0]!.kernel).toEqual(twin.getWeights()[0]!.kernel);
  });

  it('validation metrics and evaluate equal the metrics of predict', async () => {
    const { x, y } = classification(60, 5);
    const net = make();
    const h = await net.fit(x, y, { epochs: 3, batchSize: 10, validationSplit: 0.25 });
    expect(h.epochs).toEqual([0, 1, 2]);
    for (const m of ['precision', 'recall', 'f1', 'auc'] as const) {
      expect(h[m]).toHaveLength(3);
      expect(h[valKey(m) as 'valPrecision']).toHaveLength(3);
    }
    const vx = x.subarray(45 * 4);
    const vy = y.subarray(45);
    const want = computeMetrics(all, 'sparseCategoricalCrossentropy', net.predict(vx), vy, 3, 15);
    expect(h.valAuc![2]).toBe(want.auc);
    expect(h.valF1![2]).toBe(want.f1);
    const e = net.evaluate(vx, vy);
    expect(e.precision).toBe(want.precision);
    expect(e.recall).toBe(want.recall);
    expect(e.auc).toBe(want.auc);
    expect(e.accuracy).toBeGreaterThanOrEqual(0);
    expect(Object.keys(e)).toEqual(['loss', 'accuracy', 'precision', 'recall', 'f1', 'auc']);
  });

  it('regression metrics (mae, mse, r2) with a regression loss', async () => {
    const rng = new TestRng(9);
    const x = rng.float32Array(30 * 2, -1, 1);
    const y = Float32Array.from({ length: 30 }, (_, r) => 2 * x[r * 2]! - x[r * 2 + 1]!);
    const net = new Network({ inputs: 2, layers: [new Dense(1)], backend: BACKEND, seed: 2 });
    net.compile({ loss: 'mse', optimizer: new SGD({ learningRate: 0.1 }), metrics: ['mae', 'mse', 'r2'] });
    const h = await net.fit(x, y, { epochs: 4, batchSize: 30, validationData: [x, y] });
    expect(h.r2).toHaveLength(4);
    expect(h.valMse).toHaveLength(4);
    // One batch of all rows: the training mse metric is the loss itself (no penalty).
    expectClose(h.mse!, h.loss, { rtol: 1e-6, atol: 1e-9 }, 'mse metric vs loss');
    const e = net.evaluate(x, y);
    expectClose([e.mse!], [e.loss], { rtol: 1e-6, atol: 1e-9 }, 'evaluate mse');
    expect(e.r2!).toBeGreaterThan(h.r2![0]!);
  });

  it('compile rejects metrics that do not fit the loss, naming them', () => {
    const net = new Network({ inputs: 2, layers: [new Dense(3, { activation: 'softmax' })], backend: BACKEND });
    expect(() => net.compile({ loss: 'mse', optimizer: 'sgd', metrics: ['accuracy', 'auc'] })).toThrow(
      /^Expected a metric that fits loss 'mse'.* for metrics\[1\] but received "auc"$/,
    );
    expect(() => net.compile({ loss: 'sparseCategoricalCrossentropy', optimizer: 'sgd', metrics: ['r2'] })).toThrow(
      /metrics\[0\] but received "r2"/,
    );
    expect(() => net.compile({ loss: 'mse', optimizer: 'sgd', metrics: 'mae' as never })).toThrow(/metrics/);
    net.compile({ loss: 'categoricalCrossentropy', optimizer: 'sgd', metrics: ['f1', 'mae', 'f1'] });
    expect(net.compiled!.metrics).toEqual(['f1', 'mae']);
  });
});
