/**
 * `fitDataset` with the compiled metrics beyond accuracy and with row weights: the same
 * History as `fit(…, { shuffle: false, batchSize })` on the same batches (training metrics
 * over the whole epoch, validation metrics from arrays or a source), the same weights bit
 * for bit with `classWeight` and per-batch `sampleWeight` / `w`, and the weight checks.
 * The accumulator itself (MetricAccumulator) is checked against computeMetrics on
 * batches of uneven size.
 */
import { describe, expect, it } from 'vitest';
import { Adam, type DataBatch, Dense, Dropout, type History, Network } from '../../lib/index';
import { computeMetrics, MetricAccumulator, type MetricName } from '../../lib/metrics';
import type { CompileOptions } from '../../lib/network_types';
import { BACKEND } from '../support/backend';
import { expectBitExact } from '../support/close';
import { TestRng } from '../support/rng';

const INPUTS = 4;

type Problem = {
  name: string;
  loss: 'binaryCrossentropy' | 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy' | 'mse';
  outputs: number;
  activation: 'sigmoid' | 'softmax' | 'linear';
  metrics: MetricName[];
};

const PROBLEMS: Problem[] = [
  {
    name: 'binary',
    loss: 'binaryCrossentropy',
    outputs: 1,
    activation: 'sigmoid',
    metrics: ['accuracy', 'precision', 'recall', 'f1', 'auc', 'mae', 'mse', 'r2'],
  },
  {
    name: 'multi-class (one-hot)',
    loss: 'categoricalCrossentropy',
    outputs: 3,
    activation: 'softmax',
    metrics: ['precision', 'recall', 'f1', 'auc', 'accuracy', 'mse'],
  },
  {
    name: 'multi-class (sparse)',
    loss: 'sparseCategoricalCrossentropy',
    outputs: 3,
    activation: 'softmax',
    metrics: ['f1', 'auc', 'precision', 'recall'],
  },
  { name: 'regression', loss: 'mse', outputs: 2, activation: 'linear', metrics: ['mae', 'mse', 'r2'] },
];

/** x and targets in the form the loss takes (class indices as Int32Array for sparse). */
function data(p: Problem, rows: number, seed: number): { x: Float32Array; y: Float32Array | Int32Array } {
  const rng = new TestRng(seed);
  const x = rng.float32Array(rows * INPUTS, -1, 1);
  if (p.loss === 'mse') {
    const y = new Float32Array(rows * p.outputs);
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < p.outputs; j++)
        y[r * p.outputs + j] = x[r * INPUTS + j]! - 0.5 * x[r * INPUTS + j + 1]! + 0.1 * rng.uniform(-1, 1);
    return { x, y };
  }
  const cls = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const k = Math.max(2, p.outputs);
    let best = 0;
    for (let j = 1; j < k; j++) if (x[r * INPUTS + j]! > x[r * INPUTS + best]!) best = j;
    cls[r] = best;
  }
  if (p.loss === 'sparseCategoricalCrossentropy') return { x, y: cls };
  const y = new Float32Array(rows * p.outputs);
  for (let r = 0; r < rows; r++) {
    if (p.outputs === 1) y[r] = cls[r]!;
    else y[r * p.outputs + cls[r]!] = 1;
  }
  return { x, y };
}

function make(p: Problem, dropout = true): Network {
  const net = new Network({
    inputs: INPUTS,
    layers: [
      new Dense(8, { activation: 'tanh' }),
      ...(dropout ? [new Dropout(0.2)] : []),
      new Dense(p.outputs, { activation: p.activation }),
    ],
    backend: BACKEND,
    seed: 11,
  });
  net.compile({
    loss: p.loss,
    optimizer: new Adam({ learningRate: 0.02 }),
    metrics: p.metrics as CompileOptions['metrics'],
  });
  return net;
}

/** Batches of `size` rows (the last shorter), with optional per-row weights under `key`. */
function batches(
  x: Float32Array,
  y: Float32Array | Int32Array,
  yCols: number,
  size: number,
  sw?: Float32Array,
  key: (b: number) => 'sampleWeight' | 'w' = () => 'sampleWeight',
): DataBatch[] {
  const out: DataBatch[] = [];
  const rows = x.length / INPUTS;
  for (let r = 0, b = 0; r < rows; r += size, b++) {
    const e = Math.min(rows, r + size);
    const batch: DataBatch = { x: x.slice(r * INPUTS, e * INPUTS), y: y.slice(r * yCols, e * yCols) };
    if (sw) batch[key(b)] = sw.slice(r, e);
    out.push(batch);
  }
  return out;
}

function yColsOf(p: Problem): number {
  return p.loss === 'sparseCategoricalCrossentropy' ? 1 : p.outputs;
}

/** The metric keys of a History (training and validation), without loss/epochs/lr. */
function metricKeys(h: History): string[] {
  return Object.keys(h)
    .filter((k) => !['epochs', 'loss', 'valLoss', 'lr'].includes(k))
    .sort();
}

function expectSameWeights(a: Network, b: Network, label: string): void {
  const wb = b.getWeights();
  a.getWeights().forEach((w, i) => {
    expectBitExact(w.kernel, wb[i]!.kernel, `${label}: layer ${i} kernel`);
    if (w.bias) expectBitExact(w.bias, wb[i]!.bias!, `${label}: layer ${i} bias`);
  });
}

describe(`fitDataset metrics (${BACKEND})`, () => {
  for (const p of PROBLEMS) {
    it(`${p.name}: every compiled metric in History and epoch logs, as fit gives (training over the epoch, validation arrays)`, async () => {
      const { x, y } = data(p, 70, 3);
      const { x: vx, y: vy } = data(p, 23, 4);
      const a = make(p);
      const b = make(p);
      const logsA: Record<string, number>[] = [];
      const logsB: Record<string, number>[] = [];
      const ha = await a.fit(x, y, {
        epochs: 3,
        batchSize: 16,
        shuffle: false,
        validationData: [vx, vy],
        onEpochEnd: (_e, l) => {
          logsA.push({ ...l } as Record<string, number>);
        },
      });
      const hb = await b.fitDataset(batches(x, y, yColsOf(p), 16), {
        epochs: 3,
        validationData: [vx, vy],
        onEpochEnd: (_e, l) => {
          logsB.push({ ...l } as Record<string, number>);
        },
      });
      expectSameWeights(a, b, p.name);
      const keys = metricKeys(ha);
      expect(metricKeys(hb)).toEqual(keys);
      // Every set metric and its validation twin is there.
      for (const m of p.metrics.filter((k) => k !== 'accuracy')) {
        expect(keys).toContain(m);
        expect(keys).toContain(`val${m[0]!.toUpperCase()}${m.slice(1)}`);
      }
      const ra = ha as unknown as Record<string, number[]>;
      const rb = hb as unknown as Record<string, number[]>;
      for (const k of keys) {
        expect(rb[k]!.length, k).toBe(3);
        // r2 of the training epoch merges per-batch means (rounding); everything else is exact.
        if (k === 'r2') for (const [i, v] of rb[k]!.entries()) expect(v, k).toBeCloseTo(ra[k]![i]!, 10);
        else expect(rb[k], k).toEqual(ra[k]);
        for (const [i, l] of logsB.entries()) expect(l[k], `logs ${k}`).toBe(rb[k]![i]);
        for (const [i, l] of logsA.entries()) expect(l[k], `fit logs ${k}`).toBe(ra[k]![i]);
      }
      expect(hb.loss).toEqual(ha.loss);
      expect(hb.valLoss).toEqual(ha.valLoss);
    });
  }

  it('validation metrics from a source of batches: those of the whole set (evaluate gives them)', async () => {
    for (const p of PROBLEMS) {
      const { x, y } = data(p, 40, 5);
      const { x: vx, y: vy } = data(p, 29, 6);
      const net = make(p, false);
      let seen: Record<string, number> | null = null;
      const h = await net.fitDataset(batches(x, y, yColsOf(p), 10), {
        epochs: 1,
        validationData: () => batches(vx, vy, yColsOf(p), 8),
        onEpochEnd: (_e, l) => {
          // evaluate on the whole validation set, with the weights at the epoch's end.
          seen = net.evaluate(vx, vy) as unknown as Record<string, number>;
          expect(l.valLoss).toBeCloseTo(seen.loss!, 6);
        },
      });
      const rh = h as unknown as Record<string, number[]>;
      for (const m of p.metrics) {
        const k = `val${m[0]!.toUpperCase()}${m.slice(1)}`;
        expect(rh[k], `${p.name} ${k}`).toHaveLength(1);
        expect(rh[k]![0]!, `${p.name} ${k}`).toBeCloseTo(seen![m]!, 6);
      }
    }
  });

  it('no metric arrays beyond those compiled', async () => {
    const p = PROBLEMS[0]!;
    const net = new Network({ inputs: INPUTS, layers: [new Dense(1, { activation: 'sigmoid' })], backend: BACKEND });
    net.compile({ loss: 'binaryCrossentropy', optimizer: 'sgd', metrics: ['auc'] });
    const { x, y } = data(p, 20, 1);
    const h = await net.fitDataset(batches(x, y, 1, 7), { validationData: [x, y] });
    expect(metricKeys(h)).toEqual(['auc', 'valAuc']);
  });
});

describe(`fitDataset row weights (${BACKEND})`, () => {
  for (const p of PROBLEMS.slice(0, 3)) {
    it(`${p.name}: classWeight and per-batch sampleWeight / w equal fit's, bit for bit (weights, losses, validation triple)`, async () => {
      const { x, y } = data(p, 61, 8);
      const { x: vx, y: vy } = data(p, 17, 9);
      const rng = new TestRng(12);
      const sw = rng.float32Array(61, 0, 2);
      sw[3] = 0;
      const vw = rng.float32Array(17, 0.1, 1.5);
      const classWeight = p.outputs === 1 ? [0.7, 2.5] : [0.4, 2.5, 1.5];
      const a = make(p);
      const b = make(p);
      const batchA: number[] = [];
      const batchB: number[] = [];
      const ha = await a.fit(x, y, {
        epochs: 2,
        batchSize: 12,
        shuffle: false,
        sampleWeight: sw,
        classWeight,
        validationData: [vx, vy, vw],
        onBatchEnd: (_b, l) => {
          batchA.push(l.loss);
        },
      });
      const hb = await b.fitDataset(
        batches(x, y, yColsOf(p), 12, sw, (i) => (i % 2 === 0 ? 'sampleWeight' : 'w')),
        {
          epochs: 2,
          classWeight,
          validationData: [vx, vy, vw],
          onBatchEnd: (_b, l) => {
            batchB.push(l.loss);
          },
        },
      );
      expectSameWeights(a, b, p.name);
      expect(batchB).toEqual(batchA);
      expect(hb.loss).toEqual(ha.loss);
      expect(hb.valLoss).toEqual(ha.valLoss);
      // Without the weights the result differs (the test would fail if they were ignored).
      const c = make(p);
      const hc = await c.fitDataset(batches(x, y, yColsOf(p), 12), { epochs: 2 });
      expect(hc.loss).not.toEqual(ha.loss);
    });
  }

  it('classWeight alone and a weighted validation source', async () => {
    const p = PROBLEMS[2]!;
    const { x, y } = data(p, 30, 13);
    const { x: vx, y: vy } = data(p, 20, 14);
    const vw = new TestRng(15).float32Array(20, 0, 3);
    const a = make(p);
    const b = make(p);
    const ha = await a.fit(x, y, {
      epochs: 1,
      batchSize: 30,
      shuffle: false,
      classWeight: [1, 3, 0.5],
      validationData: [vx, vy, vw],
    });
    const hb = await b.fitDataset([{ x, y }], {
      classWeight: [1, 3, 0.5],
      validationData: () => batches(vx, vy, 1, 7, vw),
    });
    expectSameWeights(a, b, 'classWeight');
    expect(hb.loss).toEqual(ha.loss);
    expect(hb.valLoss![0]!).toBeCloseTo(ha.valLoss![0]!, 6);
    expect(hb.valLoss![0]!).toBeCloseTo(b.evaluate(vx, vy, { sampleWeight: vw }).loss, 6);
    expect(hb.valLoss![0]!).not.toBeCloseTo(b.evaluate(vx, vy).loss, 6);
  });

  it('checks: bad weights reject naming the epoch and batch, the weights staying those of the last good batch', async () => {
    const p = PROBLEMS[2]!;
    const { x, y } = data(p, 24, 16);
    const net = make(p, false);
    const good = batches(x, y, 1, 8);
    const cases: [DataBatch, RegExp, string][] = [
      [
        { ...good[1]!, sampleWeight: new Float32Array(7) },
        /8 sample weights .* for sampleWeight of source \(epoch 0, batch 1\) but received 7/,
        'DENSELY_INVALID_ARGUMENT',
      ],
      [
        { ...good[1]!, w: Float32Array.of(1, 1, 1, -1, 1, 1, 1, 1) },
        /for w of source \(epoch 0, batch 1\)\[3\] but received -1/,
        'DENSELY_INVALID_ARGUMENT',
      ],
      [
        { ...good[1]!, sampleWeight: new Float32Array(8) },
        /a positive weight in every batch .* for sampleWeight of source \(epoch 0, batch 1\) but received all weights 0/,
        'DENSELY_INVALID_ARGUMENT',
      ],
      [
        { ...good[1]!, sampleWeight: new Float32Array(8).fill(1), w: new Float32Array(8).fill(1) },
        /either sampleWeight or w, not both for source \(epoch 0, batch 1\)/,
        'DENSELY_INVALID_ARGUMENT',
      ],
    ];
    for (const [bad, re, code] of cases) {
      const before = net.getWeights();
      let afterFirst: ReturnType<Network['getWeights']> | null = null;
      const err = await net
        .fitDataset([good[0]!, bad, good[2]!], {
          onBatchEnd: (b) => {
            if (b === 0) afterFirst = net.getWeights();
          },
        })
        .catch((e: unknown) => e);
      expect(String(err)).toMatch(re);
      expect((err as { code: string }).code).toBe(code);
      expect((err as { batch: number }).batch).toBe(1);
      expect(afterFirst).not.toBeNull();
      expectBitExact(net.getWeights()[0]!.kernel, afterFirst![0]!.kernel, 'weights of the last good batch');
      expect(net.getWeights()[0]!.kernel).not.toEqual(before[0]!.kernel);
    }
    await expect(net.fitDataset(good, { classWeight: [1, 2] })).rejects.toThrow(
      /3 class weights .* for classWeight but received 2/,
    );
    await expect(
      net.fitDataset(good, { validationData: () => batches(x, y, 1, 8, new Float32Array(24)) }),
    ).rejects.toThrow(/positive sum for validationData \(epoch 0\)/);
    await expect(net.fitDataset(good, { validationData: [x, y, new Float32Array(24)] })).rejects.toThrow(
      /positive sum for validationData\[2\]/,
    );
  });
});

describe('MetricAccumulator', () => {
  it('equals computeMetrics over the concatenated rows (exact but r2), for every problem and uneven batches', () => {
    const rng = new TestRng(21);
    for (const p of PROBLEMS) {
      const rows = 97;
      const { y } = data(p, rows, 22);
      const yf = Float32Array.from(y);
      const yhat =
        p.loss === 'mse' ? rng.float32Array(rows * p.outputs, -2, 2) : rng.float32Array(rows * p.outputs, 0, 1);
      // Ties in the scores (auc counts them one half).
      for (let i = 0; i < yhat.length; i += 5) yhat[i] = 0.5;
      const names = [...new Set<MetricName>([...p.metrics, 'mae', 'mse', 'r2'])].filter(
        (m) => p.loss !== 'sparseCategoricalCrossentropy' || !['mae', 'mse', 'r2'].includes(m),
      );
      const want = computeMetrics(names, p.loss, yhat, yf, p.outputs, rows);
      const acc = new MetricAccumulator(names, p.loss, p.outputs);
      const yCols = yColsOf(p);
      for (const [r0, r1] of [
        [0, 1],
        [1, 30],
        [30, 31],
        [31, 97],
      ] as const) {
        acc.add(yhat.subarray(r0 * p.outputs, r1 * p.outputs), yf.subarray(r0 * yCols, r1 * yCols), r1 - r0);
      }
      const got = acc.result();
      expect(Object.keys(got).sort(), p.name).toEqual(Object.keys(want).sort());
      for (const [k, v] of Object.entries(want)) {
        if (k === 'r2') expect(got.r2!, `${p.name} r2`).toBeCloseTo(v, 12);
        else expect(got[k as keyof typeof got], `${p.name} ${k}`).toBe(v);
      }
    }
  });

  it('undefined cases as computeMetrics: no rows, one class only (auc NaN), one row (r2 NaN)', () => {
    const empty = new MetricAccumulator(['mae', 'precision'], 'binaryCrossentropy', 1);
    expect(empty.result().mae).toBeNaN();
    expect(empty.result().precision).toBe(0);
    const one = new MetricAccumulator(['auc', 'r2'], 'binaryCrossentropy', 1);
    one.add(Float32Array.of(0.2), Float32Array.of(1), 1);
    one.add(Float32Array.of(0.9), Float32Array.of(1), 1);
    expect(one.result().auc).toBeNaN();
    const r2 = new MetricAccumulator(['r2'], 'mse', 1);
    r2.add(Float32Array.of(0.2), Float32Array.of(1), 1);
    expect(r2.result().r2).toBeNaN();
    expect(new MetricAccumulator(['accuracy'], 'mse', 1).active).toBe(false);
  });
});
