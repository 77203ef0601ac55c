/**
 * js and native backends side by side, below the facade: the same ModelSpec, weights
 * and batches go into `jsBackend` and the native backend and must agree within
 * API.md's promise (1e-5 relative + 1e-6 absolute, scaled by the tensor's magnitude) on
 * predict, evaluate and gradients — over every activation × loss × bias — and within
 * 1e-4 relative on the weights after a few seeded trainSteps with every optimizer, with
 * dropout masks in play. sgemm is compared over shapes that cross the tile edges.
 * Runs in the 'native' vitest project only (it needs the addon).
 */
import { expect, it } from 'vitest';
import { jsBackend } from '../../lib/backend/js/index';
import { loadNativeBackend } from '../../lib/backend/native/index';
import type {
  ActivationName,
  Backend,
  BackendModel,
  EpochResult,
  LossName,
  ModelSpec,
  OptimizerName,
  OptimizerSpec,
} from '../../lib/backend/types';
import { buildModelSpec } from '../../lib/layers/plan';
import { expectClose, type Tolerance } from '../support/close';
import { describeLeg, itRunsOnLegIsa } from '../support/isa_leg';
import { TestRng } from '../support/rng';
import { plannedLayers } from '../support/spec';
import { TOL } from '../support/tolerances';

const ACTIVATIONS: ActivationName[] = [
  'linear',
  'relu',
  'leakyRelu',
  'sigmoid',
  'tanh',
  'softmax',
  'gelu',
  'elu',
  'selu',
  'softplus',
  'silu',
  'mish',
  'hardSigmoid',
  'hardSwish',
  'relu6',
];
const LOSSES: LossName[] = [
  'mse',
  'mae',
  'binaryCrossentropy',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
];

function native(): Backend {
  const { backend, reason } = loadNativeBackend();
  if (!backend) throw new Error(`the native addon did not load: ${reason}`);
  return backend;
}

/** API.md's agreement, with the absolute part scaled to the tensor's largest magnitude. */
function agreement(ref: ArrayLike<number>, tol: Tolerance = TOL.backendAgreement): Tolerance {
  let scale = 0;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]!));
  return { rtol: tol.rtol, atol: tol.atol * Math.max(1, scale) };
}

function spec(
  inputs: number,
  layers: Array<{ units: number; activation: ActivationName; useBias: boolean } | { dropout: number }>,
  seed: number,
): ModelSpec {
  return buildModelSpec(inputs, plannedLayers(layers.map((l) => ('dropout' in l ? l : { ...l, alpha: 0.1 }))), seed);
}

function targets(loss: LossName, rows: number, outputs: number, rng: TestRng): Float32Array {
  if (loss === 'sparseCategoricalCrossentropy') return Float32Array.from({ length: rows }, () => rng.int(outputs));
  const y = new Float32Array(rows * outputs);
  for (let r = 0; r < rows; r++) {
    if (loss === 'categoricalCrossentropy') {
      let sum = 0;
      for (let j = 0; j < outputs; j++) sum += y[r * outputs + j] = rng.uniform(0.05, 1);
      for (let j = 0; j < outputs; j++) y[r * outputs + j] = Math.fround(y[r * outputs + j]! / sum);
    } else if (loss === 'binaryCrossentropy') {
      for (let j = 0; j < outputs; j++) y[r * outputs + j] = rng.uniform(0, 1);
    } else {
      for (let j = 0; j < outputs; j++) y[r * outputs + j] = rng.uniform(-1, 1);
    }
  }
  return y;
}

/**
 * Targets for the grid. Where the loss does not match the output activation (cross-
 * entropy on a non-softmax / non-sigmoid output) its gradient chains −y/ŷ (and
 * (1 − y)/(1 − ŷ)) through the clip, which turns a float32 rounding of a small ŷ into
 * an arbitrarily large relative error downstream, in any float32 implementation (the js
 * GEMM happens to accumulate in float64, the native one in float32). There the targets
 * put no weight on outputs within 0.05 of the clip edge, so the comparison measures
 * the backends and not the conditioning of 1/ŷ.
 */
function conditionedTargets(
  loss: LossName,
  act: ActivationName,
  yhat: Float32Array,
  rows: number,
  outputs: number,
  rng: TestRng,
): Float32Array {
  const y = targets(loss, rows, outputs, rng);
  const fused =
    (act === 'softmax' && loss.endsWith('ategoricalCrossentropy')) ||
    (act === 'sigmoid' && loss === 'binaryCrossentropy');
  if (fused || loss === 'mse' || loss === 'mae') return y;
  const near0 = (v: number): boolean => v > 0 && v < 0.05;
  for (let r = 0; r < rows; r++) {
    const row = yhat.subarray(r * outputs, (r + 1) * outputs);
    if (loss === 'sparseCategoricalCrossentropy') {
      let best = 0;
      for (let j = 1; j < outputs; j++) if (row[j]! > row[best]!) best = j;
      if (near0(row[best]!)) best = row.findIndex((v) => v <= 0);
      y[r] = best < 0 ? 0 : best;
    } else if (loss === 'categoricalCrossentropy') {
      let sum = 0;
      for (let j = 0; j < outputs; j++) {
        if (near0(row[j]!)) y[r * outputs + j] = 0;
        sum += y[r * outputs + j]!;
      }
      if (sum === 0)
        y[
          r * outputs +
            Math.max(
              0,
              row.findIndex((v) => !near0(v)),
            )
        ] = sum = 1;
      for (let j = 0; j < outputs; j++) y[r * outputs + j] = Math.fround(y[r * outputs + j]! / sum);
    } else {
      for (let j = 0; j < outputs; j++) {
        const v = row[j]!;
        if (near0(v)) y[r * outputs + j] = 0;
        else if (v < 1 && v > 0.95) y[r * outputs + j] = 1;
      }
    }
  }
  return y;
}

function twins(s: ModelSpec, rng: TestRng, scale: number): [BackendModel, BackendModel] {
  const a = jsBackend.createModel(s);
  const b = native().createModel(s);
  for (let i = 0; i < s.paramCount; i++) a.params[i] = rng.uniform(-scale, scale);
  b.params.set(a.params);
  return [a, b];
}

itRunsOnLegIsa();

describeLeg('js ↔ native: predict, evaluate, gradients', () => {
  let seed = 1;
  for (const activation of ACTIVATIONS) {
    for (const loss of LOSSES) {
      for (const useBias of [true, false]) {
        const caseSeed = seed++;
        it(`${activation} × ${loss} × ${useBias ? 'bias' : 'no bias'}`, () => {
          const rng = new TestRng(caseSeed);
          const inputs = 7;
          const rows = 9;
          const s = spec(
            inputs,
            [
              { units: 13, activation, useBias },
              { units: 5, activation, useBias },
            ],
            caseSeed,
          );
          const [js, nat] = twins(s, rng, 0.6);
          js.setLoss(loss);
          nat.setLoss(loss);
          const x = Float32Array.from({ length: rows * inputs }, () => rng.uniform(-1, 1));

          const outJs = new Float32Array(rows * s.outputs);
          const outNat = new Float32Array(rows * s.outputs);
          js.predict(x, rows, outJs);
          nat.predict(x, rows, outNat);
          const y = conditionedTargets(loss, activation, outJs, rows, s.outputs, rng);
          expectClose(outNat, outJs, agreement(outJs), 'predict', [rows, s.outputs]);

          const eJs = js.evaluate(x, y, rows);
          const eNat = nat.evaluate(x, y, rows);
          expectClose([eNat.loss], [eJs.loss], agreement([eJs.loss]), 'evaluate loss');
          expect(eNat.correct, 'correct count').toBe(eJs.correct);

          const gJs = new Float32Array(s.paramCount);
          const gNat = new Float32Array(s.paramCount);
          const lJs = js.gradients(x, y, rows, gJs);
          const lNat = nat.gradients(x, y, rows, gNat);
          expectClose([lNat], [lJs], agreement([lJs]), 'gradients loss');
          expectClose(gNat, gJs, agreement(gJs), 'gradients');
        });
      }
    }
  }
});

describeLeg('js ↔ native: inputs larger than one inference chunk (1024 rows)', () => {
  it('predict and evaluate on 2500 rows', () => {
    const rng = new TestRng(2500);
    const s = spec(
      11,
      [
        { units: 40, activation: 'relu', useBias: true },
        { units: 6, activation: 'softmax', useBias: true },
      ],
      3,
    );
    const [js, nat] = twins(s, rng, 0.5);
    const rows = 2500;
    const x = Float32Array.from({ length: rows * 11 }, () => rng.uniform(-1, 1));
    const y = targets('sparseCategoricalCrossentropy', rows, 6, rng);
    for (const m of [js, nat]) m.setLoss('sparseCategoricalCrossentropy');
    const outJs = new Float32Array(rows * 6);
    const outNat = new Float32Array(rows * 6);
    js.predict(x, rows, outJs);
    nat.predict(x, rows, outNat);
    expectClose(outNat, outJs, agreement(outJs), 'predict', [rows, 6]);
    const eJs = js.evaluate(x, y, rows);
    const eNat = nat.evaluate(x, y, rows);
    expectClose([eNat.loss], [eJs.loss], agreement([eJs.loss]), 'evaluate loss');
    expect(eNat.correct).toBe(eJs.correct);
  });
});

describeLeg('js ↔ native: seeded trainSteps with every optimizer (dropout on)', () => {
  const base: OptimizerSpec = {
    kind: 'sgd',
    learningRate: 0.05,
    momentum: 0,
    nesterov: false,
    weightDecay: 0,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    rho: 0.99,
  };
  const cases: Array<[string, OptimizerSpec]> = [
    ['sgd', base],
    ['sgd + momentum + nesterov + weight decay', { ...base, momentum: 0.9, nesterov: true, weightDecay: 0.01 }],
    ['adam + L2', { ...base, kind: 'adam' satisfies OptimizerName, learningRate: 0.01, weightDecay: 0.01 }],
    ['adamw', { ...base, kind: 'adamw', learningRate: 0.01, weightDecay: 0.1 }],
    ['rmsprop', { ...base, kind: 'rmsprop', learningRate: 0.005 }],
    [
      'rmsprop + momentum + weight decay',
      { ...base, kind: 'rmsprop', learningRate: 0.005, momentum: 0.5, weightDecay: 0.01 },
    ],
  ];
  for (const [name, opt] of cases) {
    for (const loss of ['categoricalCrossentropy', 'mse'] as const) {
      it(`${name}, ${loss}`, () => {
        const rng = new TestRng(name.length * 31 + loss.length);
        const s = spec(
          6,
          [
            { units: 24, activation: 'tanh', useBias: true },
            { dropout: 0.3 },
            { units: 16, activation: 'gelu', useBias: true },
            { units: 4, activation: loss === 'mse' ? 'linear' : 'softmax', useBias: true },
          ],
          1234,
        );
        const [js, nat] = twins(s, rng, 0.4);
        for (const m of [js, nat]) {
          m.setLoss(loss);
          m.setOptimizer(opt);
        }
        const rows = 16;
        for (let step = 0; step < 5; step++) {
          const x = Float32Array.from({ length: rows * 6 }, () => rng.uniform(-1, 1));
          const y = targets(loss, rows, 4, rng);
          const rJs = js.trainStep(x, y, rows, step);
          const rNat = nat.trainStep(x, y, rows, step);
          expectClose([rNat.loss], [rJs.loss], agreement([rJs.loss], TOL.backendTrajectory), `step ${step} loss`);
        }
        expectClose(
          nat.params,
          js.params,
          agreement(js.params, TOL.backendTrajectory),
          `${name}: weights after 5 steps`,
        );
      });
    }
  }

  it('one epoch through trainEpoch (native on a worker thread, js with yields) ends on the same weights', async () => {
    const rng = new TestRng(77);
    const s = spec(
      5,
      [
        { units: 12, activation: 'relu', useBias: true },
        { dropout: 0.2 },
        { units: 3, activation: 'softmax', useBias: true },
      ],
      99,
    );
    const [js, nat] = twins(s, rng, 0.5);
    const opt: OptimizerSpec = {
      kind: 'adam',
      learningRate: 0.01,
      momentum: 0,
      nesterov: false,
      weightDecay: 0,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      rho: 0.99,
    };
    for (const m of [js, nat]) {
      m.setLoss('sparseCategoricalCrossentropy');
      m.setOptimizer(opt);
    }
    const rows = 300;
    const x = Float32Array.from({ length: rows * 5 }, () => rng.uniform(-1, 1));
    const y = targets('sparseCategoricalCrossentropy', rows, 3, rng);
    const order = Int32Array.from({ length: rows }, (_, i) => (i * 7) % rows);
    const seenJs: number[] = [];
    const seenNat: number[] = [];
    const rJs = await js.trainEpoch({
      x,
      y,
      order,
      batchSize: 10,
      firstStep: 5,
      onBatchEnd: (_b, l) => seenJs.push(l),
    });
    const rNat = await nat.trainEpoch({
      x,
      y,
      order,
      batchSize: 10,
      firstStep: 5,
      onBatchEnd: (_b, l) => seenNat.push(l),
    });
    expect(rNat.batches).toBe(rJs.batches);
    expect(rNat.samples).toBe(rJs.samples);
    expect(rNat.status).toBe('done');
    expectClose(seenNat, seenJs, agreement(seenJs, TOL.backendTrajectory), 'per-batch losses');
    expectClose(nat.params, js.params, agreement(js.params, TOL.backendTrajectory), 'weights after the epoch');
  });
});

describeLeg('js ↔ native: a diverging epoch', () => {
  for (const momentum of [0, 0.9]) {
    it(`sgd (momentum ${momentum}), learning rate 300: both stop at the same batch with the same last all-finite weights`, async () => {
      const kind = 'sgd';
      const rng = new TestRng(11 + momentum * 10);
      const s = spec(
        3,
        [
          { units: 4, activation: 'tanh', useBias: true },
          { units: 2, activation: 'linear', useBias: true },
        ],
        9,
      );
      const [js, nat] = twins(s, rng, 0.5);
      const opt: OptimizerSpec = {
        kind,
        learningRate: 300,
        momentum,
        nesterov: false,
        weightDecay: 0,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
        rho: 0.99,
      };
      for (const m of [js, nat]) {
        m.setLoss('mse');
        m.setOptimizer(opt);
      }
      const rows = 64;
      const x = Float32Array.from({ length: rows * 3 }, () => rng.uniform(-1, 1));
      const y = Float32Array.from({ length: rows * 2 }, () => rng.uniform(-1, 1));
      const order = Int32Array.from({ length: rows }, (_, i) => i);
      const results = [];
      for (const m of [js, nat]) {
        let first = 0;
        let r: EpochResult | undefined;
        for (let e = 0; e < 10; e++) {
          r = await m.trainEpoch({ x, y, order, batchSize: 8, firstStep: first });
          first += r.batches;
          if (r.status !== 'done') break;
        }
        results.push({ r: r!, steps: first });
      }
      const [a, b] = results;
      expect(b!.r.status).toBe('nonfinite');
      expect(b!.r.status).toBe(a!.r.status);
      expect(b!.r.failedBatch).toBe(a!.r.failedBatch);
      expect(b!.steps).toBe(a!.steps);
      expect(nat.params.every(Number.isFinite)).toBe(true);
      expectClose(nat.params, js.params, agreement(js.params, TOL.backendTrajectory), 'weights kept');
    });
  }
});

describeLeg("js ↔ native: copyInRange (fit's copy and finiteness check)", () => {
  it('copies every element and finds the same first element outside the range', () => {
    const rng = new TestRng(11);
    for (const n of [0, 1, 7, 4095, 4096, 4097, 12_289]) {
      const src = new Float32Array(n);
      for (let i = 0; i < n; i++) src[i] = rng.uniform(-2, 2);
      const positions = n === 0 ? [] : [0, n - 1, Math.floor(n / 2), Math.min(n - 1, 4095), Math.min(n - 1, 4096)];
      const cases: Array<[number, number] | null> = [
        null,
        ...[NaN, Infinity, -Infinity, 3].flatMap((v) => positions.map((p): [number, number] => [p, v])),
      ];
      for (const c of cases) {
        const s = src.slice();
        if (c) s[c[0]] = c[1];
        const dj = new Float32Array(n);
        const dn = new Float32Array(n);
        const lo = c && c[1] === 3 ? -2 : -3.4028234663852886e38;
        const hi = c && c[1] === 3 ? 2 : 3.4028234663852886e38;
        const ij = jsBackend.copyInRange(s, dj, lo, hi);
        const inat = native().copyInRange(s, dn, lo, hi);
        const what = `n ${n}, ${c ? `${c[1]} at ${c[0]}` : 'clean'}`;
        expect(inat, what).toBe(ij);
        // The first bad element is the earliest one, whatever else the data holds.
        expect(ij, what).toBe(c ? c[0] : -1);
        if (!c) expect(Buffer.compare(Buffer.from(dn.buffer), Buffer.from(s.buffer)), what).toBe(0);
      }
    }
  });
});

describeLeg('js ↔ native: sgemm', () => {
  const shapes: Array<[number, number, number]> = [
    [1, 1, 1],
    [3, 5, 1],
    [7, 17, 9],
    [13, 33, 70],
    [64, 31, 300],
    [97, 130, 41],
  ];
  for (const [m, n, k] of shapes) {
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      it(`${m}×${n}×${k}, transA ${ta}, transB ${tb}`, () => {
        const rng = new TestRng(m * 1000 + n * 10 + k + (ta ? 1 : 0) + (tb ? 2 : 0));
        const lda = (ta ? m : k) + 3;
        const ldb = (tb ? k : n) + 1;
        const ldc = n + 2;
        const a = Float32Array.from({ length: (ta ? k : m) * lda }, () => rng.uniform(-1, 1));
        const b = Float32Array.from({ length: (tb ? n : k) * ldb }, () => rng.uniform(-1, 1));
        const c0 = Float32Array.from({ length: m * ldc }, () => rng.uniform(-1, 1));
        const cJs = c0.slice();
        const cNat = c0.slice();
        jsBackend.sgemm(ta, tb, m, n, k, 0.75, a, lda, b, ldb, 0.5, cJs, ldc);
        native().sgemm(ta, tb, m, n, k, 0.75, a, lda, b, ldb, 0.5, cNat, ldc);
        // Each element sums k products of magnitude ≤ 1: float32 rounding grows ~k·u.
        expectClose(cNat, cJs, TOL.sgemmAgreement(k), 'C', [m, ldc]);
      });
    }
  }
});
