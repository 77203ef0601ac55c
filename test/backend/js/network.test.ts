import { describe, expect, it } from 'vitest';
import { jsBackend } from '../../../lib/backend/js';
import { PREDICT_CHUNK } from '../../../lib/backend/js/network';
import type { BackendModel, LossName, ModelSpec } from '../../../lib/backend/types';
import { Rng } from '../../../lib/random';
import { lossValue } from '../../reference/losses';
import { forwardSpec, numericGradientSpec } from '../../reference/network';
import { expectClose } from '../../support/close';
import { TOL } from '../../support/tolerances';
import { buildSpec, optimizerSpec, randomF32, type TestLayer } from './helpers';

function targets(rng: Rng, loss: LossName, rows: number, outputs: number): Float32Array {
  if (loss === 'sparseCategoricalCrossentropy') {
    return Float32Array.from({ length: rows }, () => rng.nextInt(outputs));
  }
  if (loss === 'categoricalCrossentropy') {
    // Soft distributions (non-negative, summing to 1).
    const y = new Float32Array(rows * outputs);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = 0; j < outputs; j++) s += y[r * outputs + j] = rng.nextFloat() + 0.1;
      for (let j = 0; j < outputs; j++) y[r * outputs + j] = y[r * outputs + j]! / s;
    }
    return y;
  }
  if (loss === 'binaryCrossentropy') return randomF32(rng, rows * outputs, 0, 1);
  return randomF32(rng, rows * outputs, -1, 1);
}

function model(spec: ModelSpec, seed: number, scale = 1): BackendModel {
  const m = jsBackend.createModel(spec);
  m.params.set(randomF32(new Rng(seed), spec.paramCount, -scale, scale));
  return m;
}

const ROWS = 6;

const CASES: Array<[string, TestLayer[], LossName]> = [
  [
    'relu → softmax, categorical CE (fused)',
    [
      { units: 5, activation: 'relu' },
      { units: 3, activation: 'softmax' },
    ],
    'categoricalCrossentropy',
  ],
  [
    'tanh → softmax, sparse CE (fused)',
    [
      { units: 5, activation: 'tanh' },
      { units: 4, activation: 'softmax' },
    ],
    'sparseCategoricalCrossentropy',
  ],
  [
    'gelu → sigmoid, binary CE (fused)',
    [
      { units: 5, activation: 'gelu' },
      { units: 2, activation: 'sigmoid' },
    ],
    'binaryCrossentropy',
  ],
  [
    'leakyRelu → linear, mse',
    [
      { units: 5, activation: 'leakyRelu', alpha: 0.1 },
      { units: 2, activation: 'linear' },
    ],
    'mse',
  ],
  [
    'sigmoid → linear, mae',
    [
      { units: 5, activation: 'sigmoid' },
      { units: 3, activation: 'linear' },
    ],
    'mae',
  ],
  [
    'softmax hidden (JVP), no bias → linear, mse',
    [
      { units: 4, activation: 'softmax', useBias: false },
      { units: 2, activation: 'linear' },
    ],
    'mse',
  ],
  [
    'tanh → sigmoid, mse (unfused sigmoid)',
    [
      { units: 4, activation: 'tanh' },
      { units: 3, activation: 'sigmoid' },
    ],
    'mse',
  ],
  [
    'relu → softmax, mse (unfused softmax JVP)',
    [
      { units: 4, activation: 'relu' },
      { units: 3, activation: 'softmax' },
    ],
    'mse',
  ],
  [
    'linear → softmax, binary CE (unfused, clip inactive)',
    [
      { units: 4, activation: 'linear' },
      { units: 3, activation: 'softmax' },
    ],
    'binaryCrossentropy',
  ],
  [
    'sigmoid output, categorical CE (unfused)',
    [
      { units: 4, activation: 'tanh' },
      { units: 3, activation: 'sigmoid' },
    ],
    'categoricalCrossentropy',
  ],
  [
    'dropout anywhere is the identity in gradients',
    [
      { dropout: 0.5 },
      { units: 5, activation: 'relu' },
      { dropout: 0.3 },
      { units: 3, activation: 'softmax' },
      { dropout: 0.2 },
    ],
    'mse',
  ],
];

describe('js model gradients vs float64 central differences', () => {
  for (const [name, layers, loss] of CASES) {
    it(name, () => {
      const spec = buildSpec(3, layers);
      const m = model(spec, 11);
      m.setLoss(loss);
      const rng = new Rng(12);
      const x = randomF32(rng, ROWS * 3);
      const y = targets(rng, loss, ROWS, spec.outputs);
      const grads = new Float32Array(spec.paramCount).fill(NaN);
      const value = m.gradients(x, y, ROWS, grads);
      const want = numericGradientSpec(spec, loss, m.params, x, y, ROWS);
      expectClose(grads, want, TOL.float32VsCentralDifference, `${name}: gradients`);
      const loss64Value = lossValue(loss, forwardSpec(spec, m.params, x, ROWS), y, ROWS, spec.outputs);
      expectClose([value], [loss64Value], TOL.fewRoundings, `${name}: loss`);
      expectClose([m.evaluate(x, y, ROWS).loss], [value], TOL.exact, `${name}: evaluate = gradients' loss`);
    });
  }

  it('2-layer relu → softmax CE matches hand-written float64 backprop', () => {
    const inputs = 4;
    const hidden = 3;
    const outputs = 3;
    const spec = buildSpec(inputs, [
      { units: hidden, activation: 'relu' },
      { units: outputs, activation: 'softmax' },
    ]);
    const m = model(spec, 21);
    m.setLoss('categoricalCrossentropy');
    const rng = new Rng(22);
    const x = randomF32(rng, ROWS * inputs);
    const y = targets(rng, 'categoricalCrossentropy', ROWS, outputs);
    const p = Array.from(m.params);
    const [l1, l2] = spec.layers as [
      Extract<ModelSpec['layers'][number], { kind: 'dense' }>,
      Extract<ModelSpec['layers'][number], { kind: 'dense' }>,
    ];
    const W1 = (i: number, j: number): number => p[l1.kernelOffset + i * hidden + j]!;
    const W2 = (i: number, j: number): number => p[l2.kernelOffset + i * outputs + j]!;
    const want = new Array<number>(spec.paramCount).fill(0);
    for (let r = 0; r < ROWS; r++) {
      const z1 = Array.from(
        { length: hidden },
        (_, j) =>
          p[l1.biasOffset + j]! +
          Array.from({ length: inputs }, (_, i) => x[r * inputs + i]! * W1(i, j)).reduce((s, v) => s + v, 0),
      );
      const a1 = z1.map((v) => Math.max(0, v));
      const z2 = Array.from(
        { length: outputs },
        (_, j) => p[l2.biasOffset + j]! + a1.reduce((s, v, i) => s + v * W2(i, j), 0),
      );
      const mx = Math.max(...z2);
      const e = z2.map((v) => Math.exp(v - mx));
      const se = e.reduce((s, v) => s + v, 0);
      const dz2 = e.map((v, j) => (v / se - y[r * outputs + j]!) / ROWS);
      const dz1 = a1.map((_, i) => (z1[i]! > 0 ? dz2.reduce((s, d, j) => s + d * W2(i, j), 0) : 0));
      for (let i = 0; i < hidden; i++)
        for (let j = 0; j < outputs; j++) want[l2.kernelOffset + i * outputs + j] += a1[i]! * dz2[j]!;
      for (let j = 0; j < outputs; j++) want[l2.biasOffset + j] += dz2[j]!;
      for (let i = 0; i < inputs; i++)
        for (let j = 0; j < hidden; j++) want[l1.kernelOffset + i * hidden + j] += x[r * inputs + i]! * dz1[j]!;
      for (let j = 0; j < hidden; j++) want[l1.biasOffset + j] += dz1[j]!;
    }
    const grads = new Float32Array(spec.paramCount);
    m.gradients(x, y, ROWS, grads);
    expectClose(grads, want, TOL.handBackprop, 'hand-written backprop');
  });

  it('fused softmax + CE and sigmoid + BCE ignore the clip: db = Σ (ŷ − y)/N', () => {
    for (const [act, loss] of [
      ['softmax', 'categoricalCrossentropy'],
      ['sigmoid', 'binaryCrossentropy'],
    ] as const) {
      const spec = buildSpec(2, [{ units: 3, activation: act }]);
      const m = jsBackend.createModel(spec);
      // Saturating logits: ŷ far outside [1e-7, 1 − 1e-7] for some targets.
      m.params.set([40, -40, 0, -40, 40, 0, 0, 0, 0]);
      m.setLoss(loss);
      const x = Float32Array.from([1, 0, 0, 1]);
      const y = Float32Array.from([0, 1, 0, 0, 0, 1]);
      const yhat = new Float32Array(6);
      m.predict(x, 2, yhat);
      const grads = new Float32Array(spec.paramCount);
      m.gradients(x, y, 2, grads);
      const n = loss === 'binaryCrossentropy' ? 6 : 2;
      const db = [0, 1, 2].map((j) => (yhat[j]! - y[j]! + (yhat[3 + j]! - y[3 + j]!)) / n);
      expectClose(grads.subarray(6), db, TOL.fusedBiasGradient, `${act} + ${loss} bias gradient`);
      expect(Math.abs(grads[6]!)).toBeGreaterThan(0.1);
    }
  });
});

describe('js model training-mode backward (dropout on)', () => {
  for (const [name, layers, loss] of [
    [
      'dropout on the input and between layers, softmax + CE',
      [{ dropout: 0.4 }, { units: 6, activation: 'tanh' }, { dropout: 0.5 }, { units: 3, activation: 'softmax' }],
      'categoricalCrossentropy',
    ],
    [
      'dropout after the output layer (unfused softmax JVP)',
      [{ units: 6, activation: 'relu' }, { units: 3, activation: 'softmax' }, { dropout: 0.3 }],
      'mse',
    ],
  ] as Array<[string, TestLayer[], LossName]>) {
    it(`${name}: the SGD step (lr 1) equals minus the float64 gradient under the same masks`, () => {
      const spec = buildSpec(4, layers, 1234);
      const m = model(spec, 41, 0.7);
      m.setLoss(loss);
      m.setOptimizer(optimizerSpec('sgd', { learningRate: 1 }));
      const rng = new Rng(42);
      const rows = 8;
      const x = randomF32(rng, rows * 4);
      const y = targets(rng, loss, rows, spec.outputs);
      const before = Float32Array.from(m.params);
      const step = 17;
      const want = numericGradientSpec(spec, loss, before, x, y, rows, 1e-6, { seed: spec.seed, step });
      m.trainStep(x, y, rows, step);
      const got = Array.from(before, (v, i) => v - m.params[i]!);
      // θ − fround(θ − g): the float32 rounding of θ (|θ| < 1) bounds the error by ~6e-8.
      expectClose(got, want, TOL.recoveredGradient, `${name}: recovered gradient`);
      // The masks matter: the gradient without dropout differs.
      const off = numericGradientSpec(spec, loss, before, x, y, rows);
      expect(want.some((g, i) => Math.abs(g - off[i]!) > 1e-3)).toBe(true);
    });
  }
});

describe('js model inference', () => {
  it('predict in chunks equals row-by-row prediction, bit for bit', () => {
    const spec = buildSpec(7, [
      { units: 9, activation: 'relu' },
      { dropout: 0.5 },
      { units: 4, activation: 'softmax' },
    ]);
    const m = model(spec, 3);
    const rows = 2 * PREDICT_CHUNK + 3;
    const x = randomF32(new Rng(4), rows * 7);
    const all = new Float32Array(rows * 4);
    m.predict(x, rows, all);
    const one = new Float32Array(4);
    const byRow = new Float32Array(rows * 4);
    for (let r = 0; r < rows; r++) {
      m.predict(x.subarray(r * 7, r * 7 + 7), 1, one);
      byRow.set(one, r * 4);
    }
    expectClose(all, byRow, TOL.exact, 'chunked predict');
  });

  it('evaluate over several chunks: loss and correct count of the whole batch', () => {
    const spec = buildSpec(5, [
      { units: 6, activation: 'tanh' },
      { units: 3, activation: 'softmax' },
    ]);
    const m = model(spec, 13);
    m.setLoss('categoricalCrossentropy');
    const rows = PREDICT_CHUNK + 77;
    const rng = new Rng(14);
    const x = randomF32(rng, rows * 5);
    const y = targets(rng, 'categoricalCrossentropy', rows, 3);
    const yhat = new Float32Array(rows * 3);
    m.predict(x, rows, yhat);
    const want = lossValue('categoricalCrossentropy', Array.from(yhat), y, rows, 3);
    let correct = 0;
    for (let r = 0; r < rows; r++) {
      const p = Array.from(yhat.subarray(r * 3, r * 3 + 3));
      const t = Array.from(y.subarray(r * 3, r * 3 + 3));
      if (p.indexOf(Math.max(...p)) === t.indexOf(Math.max(...t))) correct++;
    }
    const res = m.evaluate(x, y, rows);
    expectClose([res.loss], [want], TOL.float64Regrouped, 'chunked evaluate loss');
    expect(res.correct).toBe(correct);
  });

  it('correct counts argmax (first maximum wins) and the 0.5 rule for one output', () => {
    const spec = buildSpec(2, [{ units: 3, activation: 'linear', useBias: false }]);
    const m = jsBackend.createModel(spec);
    m.params.set([1, 0, 0, 0, 1, 0]);
    m.setLoss('sparseCategoricalCrossentropy');
    // ŷ rows: [1,0,0], [0,1,0], [1,1,0] (tie → class 0)
    const x = Float32Array.from([1, 0, 0, 1, 1, 1]);
    expect(m.evaluate(x, Float32Array.from([0, 2, 0]), 3).correct).toBe(2);
    m.setLoss('mse');
    expect(m.evaluate(x, Float32Array.from([1, 0, 0, 0, 0, 1, 0, 1, 0]), 3).correct).toBe(1);
    const one = jsBackend.createModel(buildSpec(1, [{ units: 1, activation: 'linear', useBias: false }]));
    one.params[0] = 1;
    one.setLoss('mse');
    expect(one.evaluate(Float32Array.from([0.7, 0.2, 0.5]), Float32Array.from([1, 1, 0]), 3).correct).toBe(2);
  });

  it('scratch growth keeps results identical to a fresh model', () => {
    const spec = buildSpec(5, [
      { units: 6, activation: 'tanh' },
      { units: 2, activation: 'sigmoid' },
    ]);
    const a = model(spec, 8);
    const x = randomF32(new Rng(9), 40 * 5);
    const small = new Float32Array(3 * 2);
    a.predict(x, 3, small);
    const big = new Float32Array(40 * 2);
    a.predict(x, 40, big);
    a.predict(x, 3, small);
    const fresh = model(spec, 8);
    const want = new Float32Array(40 * 2);
    fresh.predict(x, 40, want);
    expectClose(big, want, TOL.exact, 'after growth');
    expectClose(small, want.subarray(0, 6), TOL.exact, 'smaller batch after growth');
  });
});

describe('js model training', () => {
  const spec = buildSpec(
    4,
    [{ units: 8, activation: 'relu' }, { dropout: 0.25 }, { units: 3, activation: 'softmax' }],
    99,
  );
  const N = 50;
  const rng = new Rng(5);
  const x = randomF32(rng, N * 4);
  const y = targets(rng, 'sparseCategoricalCrossentropy', N, 3);

  function fresh(): BackendModel {
    const m = model(spec, 6, 0.5);
    m.setLoss('sparseCategoricalCrossentropy');
    m.setOptimizer(optimizerSpec('adam', { learningRate: 0.01 }));
    return m;
  }

  function gather(order: Int32Array, start: number, rows: number, src: Float32Array, width: number): Float32Array {
    const out = new Float32Array(rows * width);
    for (let r = 0; r < rows; r++)
      out.set(src.subarray(order[start + r]! * width, (order[start + r]! + 1) * width), r * width);
    return out;
  }

  it('trainEpoch = trainStep on each gathered batch with step firstStep + b (dropout on)', async () => {
    const order = new Rng(1).shuffle(Int32Array.from({ length: N }, (_, i) => i));
    const a = fresh();
    const seen: number[][] = [];
    const res = await a.trainEpoch({
      x,
      y,
      order,
      batchSize: 16,
      firstStep: 7,
      onBatchEnd: (b, l, c, r) => seen.push([b, l, c, r]),
    });
    const b = fresh();
    const manual: number[][] = [];
    let lossSum = 0;
    for (let i = 0, start = 0; start < N; i++, start += 16) {
      const rows = Math.min(16, N - start);
      const s = b.trainStep(gather(order, start, rows, x, 4), gather(order, start, rows, y, 1), rows, 7 + i);
      manual.push([i, s.loss, s.correct, rows]);
      lossSum += s.loss * rows;
    }
    expect(seen).toEqual(manual);
    expectClose(a.params, b.params, TOL.exact, 'params after the epoch');
    expect(res).toEqual({
      batches: 4,
      lossSum,
      correct: manual.reduce((s, v) => s + v[2]!, 0),
      samples: N,
      status: 'done',
      failedBatch: -1,
    });
    // A different firstStep gives different dropout masks, hence different weights.
    const c = fresh();
    await c.trainEpoch({ x, y, order, batchSize: 16, firstStep: 8 });
    expect(Array.from(c.params)).not.toEqual(Array.from(a.params));
  });

  it('trainStep with a non-finite loss reports it and changes neither parameters nor optimizer state', () => {
    const a = fresh();
    const b = fresh();
    const bad = Float32Array.from({ length: 4 * 4 }, () => 3e38);
    const badY = Float32Array.from([0, 1, 2, 0]);
    // mse on a linear output overflows to Infinity with these inputs.
    a.setLoss('mse');
    const big = jsBackend.createModel(buildSpec(4, [{ units: 1, activation: 'linear' }]));
    big.params.fill(1);
    big.setLoss('mse');
    big.setOptimizer(optimizerSpec('sgd'));
    const before = Float32Array.from(big.params);
    const r = big.trainStep(bad, badY, 4, 0);
    expect(Number.isFinite(r.loss)).toBe(false);
    expectClose(big.params, before, TOL.exact, 'params after a non-finite step');
    a.setLoss('sparseCategoricalCrossentropy');
    // The skipped step does not advance Adam's t: a then b see identical updates.
    const xs = x.subarray(0, 8);
    const ys = y.subarray(0, 2);
    const nanX = Float32Array.from(xs).fill(NaN, 0, 1);
    expect(Number.isNaN(a.trainStep(nanX, ys, 2, 0).loss)).toBe(true);
    a.trainStep(xs, ys, 2, 1);
    b.trainStep(xs, ys, 2, 1);
    expectClose(a.params, b.params, TOL.exact, 'Adam state after a skipped step');
  });

  it('trainEpoch stops with status "nonfinite" at the failing batch, its step not applied', async () => {
    const order = Int32Array.from({ length: N }, (_, i) => i);
    const xBad = Float32Array.from(x);
    // Batch 2 (rows 20..29 with batchSize 10) gets a NaN input.
    xBad[25 * 4 + 1] = NaN;
    const a = fresh();
    const seen: number[] = [];
    const res = await a.trainEpoch({
      x: xBad,
      y,
      order,
      batchSize: 10,
      firstStep: 0,
      onBatchEnd: (bt) => seen.push(bt),
    });
    expect(res.status).toBe('nonfinite');
    expect(res.failedBatch).toBe(2);
    expect(res.batches).toBe(2);
    expect(res.samples).toBe(20);
    expect(seen).toEqual([0, 1]);
    const b = fresh();
    b.trainStep(x.subarray(0, 40), y.subarray(0, 10), 10, 0);
    b.trainStep(x.subarray(40, 80), y.subarray(10, 20), 10, 1);
    expectClose(a.params, b.params, TOL.exact, 'params = those after the last finite batch');
  });

  it('trainEpoch undoes a step whose update overflows the parameters and stops there', async () => {
    const div = buildSpec(3, [
      { units: 4, activation: 'linear' },
      { units: 2, activation: 'linear' },
    ]);
    const make = (): BackendModel => {
      const m = model(div, 31, 0.5);
      m.setLoss('mse');
      m.setOptimizer(optimizerSpec('sgd', { learningRate: 300, momentum: 0.5 }));
      return m;
    };
    const rows = 64;
    const bx = randomF32(new Rng(32), rows * 3);
    const by = randomF32(new Rng(33), rows * 2);
    const order = Int32Array.from({ length: rows }, (_, i) => i);
    // Replay with trainStep: the first batch whose loss is non-finite or whose update
    // leaves a non-finite parameter, and the parameters before it.
    const twin = make();
    let lastFinite = Float32Array.from(twin.params);
    let failAt = -1;
    for (let b = 0; b < rows / 8; b++) {
      const r = twin.trainStep(bx.subarray(b * 24, b * 24 + 24), by.subarray(b * 16, b * 16 + 16), 8, b);
      if (!Number.isFinite(r.loss) || !twin.params.every(Number.isFinite)) {
        failAt = b;
        break;
      }
      lastFinite = Float32Array.from(twin.params);
    }
    expect(failAt, 'the setup diverges within the epoch, after its first batch').toBeGreaterThan(0);
    const m = make();
    const res = await m.trainEpoch({ x: bx, y: by, order, batchSize: 8, firstStep: 0 });
    expect(res).toMatchObject({ status: 'nonfinite', failedBatch: failAt, batches: failAt });
    expectClose(m.params, lastFinite, TOL.exact, 'params = those of the last finite step');
    // Optimizer state was restored too: continuing from here with a small step matches a
    // model that never saw the overflowing batch.
    const ref = make();
    for (let b = 0; b < failAt; b++)
      ref.trainStep(bx.subarray(b * 24, b * 24 + 24), by.subarray(b * 16, b * 16 + 16), 8, b);
    const sx = Float32Array.from(bx.subarray(0, 24), (v) => v * 1e-30);
    const sy = new Float32Array(16);
    m.trainStep(sx, sy, 8, 99);
    ref.trainStep(sx, sy, 8, 99);
    expectClose(m.params, ref.params, TOL.exact, 'momentum buffer after the undone step');
  });

  it('trainEpoch stops at the next batch boundary when the signal aborts', async () => {
    const order = Int32Array.from({ length: N }, (_, i) => i);
    const ctl = new AbortController();
    const a = fresh();
    const res = await a.trainEpoch({
      x,
      y,
      order,
      batchSize: 5,
      firstStep: 0,
      signal: ctl.signal,
      onBatchEnd: (b) => b === 2 && ctl.abort(),
    });
    expect(res.status).toBe('aborted');
    expect(res.batches).toBe(3);
    expect(res.samples).toBe(15);
    const pre = new AbortController();
    pre.abort();
    const b = fresh();
    const before = Float32Array.from(b.params);
    const r2 = await b.trainEpoch({ x, y, order, batchSize: 5, firstStep: 0, signal: pre.signal });
    expect(r2).toMatchObject({ status: 'aborted', batches: 0, samples: 0 });
    expectClose(b.params, before, TOL.exact, 'params after an epoch aborted before it began');
  });

  it('trainEpoch yields to the event loop between batches', async () => {
    // Enough work per epoch (≥ several ms) that at least one 1 ms yield point is reached.
    const big = buildSpec(64, [
      { units: 128, activation: 'relu' },
      { units: 3, activation: 'softmax' },
    ]);
    const m = model(big, 1, 0.1);
    m.setLoss('sparseCategoricalCrossentropy');
    m.setOptimizer(optimizerSpec('sgd'));
    const rows = 2048;
    const bx = randomF32(new Rng(2), rows * 64);
    const by = targets(new Rng(3), 'sparseCategoricalCrossentropy', rows, 3);
    let immediateRan = false;
    setImmediate(() => {
      immediateRan = true;
    });
    let sawImmediateBeforeLastBatch = false;
    const batches = rows / 32;
    await m.trainEpoch({
      x: bx,
      y: by,
      order: Int32Array.from({ length: rows }, (_, i) => i),
      batchSize: 32,
      firstStep: 0,
      onBatchEnd: (b) => {
        if (b < batches - 1 && immediateRan) sawImmediateBeforeLastBatch = true;
      },
    });
    expect(sawImmediateBeforeLastBatch).toBe(true);
  });
});
