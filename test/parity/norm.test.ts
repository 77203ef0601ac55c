/**
 * LayerNorm and BatchNorm on the backend under test against PyTorch in float64
 * (test/fixtures/norm.json, written by test/fixtures/gen_norm.py):
 * - every layer case through a network of an identity Dense layer then the norm layer:
 *   the forward output (predict: LayerNorm, BatchNorm on its running statistics), the
 *   training-mode loss, dγ and dβ from `gradients()`, dx seen through the Dense layer's
 *   gradients (db = Σ_rows dx, dW = xᵀ·dx), and the running statistics after one step;
 * - SGD (momentum) and Adam trajectories of Dense → BatchNorm → Dense(relu) → LayerNorm →
 *   Dense: the loss before each step, every weight and running statistic after it, and
 *   the eval-mode predictions at the end;
 * - the float64 finite-difference gradient of a reference forward pass (training mode)
 *   against `gradients()` on a net with every center/scale combination.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { Adam, BatchNorm, Dense, LayerNorm, Network, SGD } from '../../lib/index';
import { BACKEND } from '../support/backend';
import { expectClose } from '../support/close';
import { describeLeg, itRunsOnLegIsa } from '../support/isa_leg';
import { TestRng } from '../support/rng';
import { FD_STEP, TOL } from '../support/tolerances';

interface LayerCase {
  kind: 'layerNorm' | 'batchNormTrain' | 'batchNormEval';
  rows: number;
  units: number;
  center: boolean;
  scale: boolean;
  epsilon: number;
  momentum: number;
  x: number[];
  target: number[];
  loss: number;
  dy: number[];
  gamma: number[] | null;
  beta: number[] | null;
  runningMean: number[];
  runningVar: number[];
  y: number[];
  dx: number[];
  dgamma: number[] | null;
  dbeta: number[] | null;
  runningMeanAfter: number[];
  runningVarAfter: number[];
}

interface Trajectory {
  optimizer: 'sgd' | 'adam';
  initial: Array<Record<string, number[] | null>>;
  batches: Array<{ x: number[]; y: number[] }>;
  steps: Array<{ loss: number; weights: Array<Record<string, number[] | null>> }>;
  testX: number[];
  testPredict: number[];
}

const FIXTURE = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'norm.json'), 'utf8')) as {
  layers: LayerCase[];
  trajectories: Trajectory[];
};

function identity(n: number): Float32Array {
  const k = new Float32Array(n * n);
  for (let i = 0; i < n; i++) k[i * n + i] = 1;
  return k;
}

/** The largest rstd = 1/√(σ² + ε) over the case's rows (LayerNorm) or columns (BatchNorm), in float64. */
function maxRstd(c: LayerCase): number {
  const byRow = c.kind === 'layerNorm';
  const groups = byRow ? c.rows : c.units;
  const len = byRow ? c.units : c.rows;
  let worst = 0;
  for (let g = 0; g < groups; g++) {
    const v = Array.from({ length: len }, (_, k) => c.x[byRow ? g * c.units + k : k * c.units + g]!);
    const mean = v.reduce((s, e) => s + e, 0) / len;
    const variance = v.reduce((s, e) => s + (e - mean) ** 2, 0) / len;
    worst = Math.max(worst, 1 / Math.sqrt(variance + c.epsilon));
  }
  return worst;
}

function caseName(c: LayerCase): string {
  return `${c.kind} ${c.rows}×${c.units} center ${c.center} scale ${c.scale}`;
}

/** The network of a layer case: identity Dense, then the norm layer with the case's parameters. */
function caseNetwork(c: LayerCase): Network {
  const opts = { epsilon: c.epsilon, center: c.center, scale: c.scale };
  const norm = c.kind === 'layerNorm' ? new LayerNorm(opts) : new BatchNorm({ ...opts, momentum: c.momentum });
  const net = new Network({ inputs: c.units, layers: [new Dense(c.units), norm], backend: BACKEND, seed: 1 });
  const entry: Record<string, Float32Array | null> = {
    gamma: c.gamma ? Float32Array.from(c.gamma) : null,
    beta: c.beta ? Float32Array.from(c.beta) : null,
  };
  if (c.kind !== 'layerNorm') {
    entry.runningMean = Float32Array.from(c.runningMean);
    entry.runningVar = Float32Array.from(c.runningVar);
  }
  const weights: Array<Record<string, Float32Array | null>> = [
    { kernel: identity(c.units), bias: new Float32Array(c.units) },
  ];
  if (c.center || c.scale || c.kind !== 'layerNorm') weights.push(entry);
  net.setWeights(weights);
  net.compile({ loss: 'mse', optimizer: new SGD({ learningRate: 0 }) });
  return net;
}

describeLeg(`LayerNorm/BatchNorm against PyTorch float64 (${BACKEND})`, () => {
  itRunsOnLegIsa();

  for (const c of FIXTURE.layers) {
    it(caseName(c), () => {
      const net = caseNetwork(c);
      const n = c.units;
      const red = c.kind === 'layerNorm' ? n : c.rows;
      if (c.kind !== 'batchNormTrain') {
        expectClose(net.predict(Float32Array.from(c.x)), c.y, TOL.float32(red, 4), `${caseName(c)} y`, [c.rows, n]);
      }
      if (c.kind === 'batchNormEval') return;
      const x = Float32Array.from(c.x);
      const t = Float32Array.from(c.target);
      expect(net.evaluate(x, t).loss).toBeDefined();
      const g = net.gradients(x, t);
      const tol = TOL.float32(2 * red * red, 1);
      const norm = g[1] as { gamma: Float32Array | null; beta: Float32Array | null };
      if (c.scale) expectClose(norm.gamma!, c.dgamma!, tol, `${caseName(c)} dgamma`);
      if (c.center) expectClose(norm.beta!, c.dbeta!, tol, `${caseName(c)} dbeta`);
      // dx through the identity Dense layer: db = Σ_rows dx, dW = xᵀ·dx.
      const db = new Float64Array(n);
      const dw = new Float64Array(n * n);
      for (let r = 0; r < c.rows; r++) {
        for (let j = 0; j < n; j++) {
          db[j] += c.dx[r * n + j]!;
          for (let i = 0; i < n; i++) dw[i * n + j] += c.x[r * n + i]! * c.dx[r * n + j]!;
        }
      }
      const dense = g[0] as { kernel: Float32Array; bias: Float32Array };
      // dx = rstd·γ·(dy − mean(dy) − x̂·mean(dy·x̂)) can cancel to almost 0 (Σ dx is 0 in
      // exact arithmetic for BatchNorm; at 2 rows x̂ = ±1 and dx is nearly 0 too), so its
      // float32 error is relative to the terms: rstd·max|γ|·max|dy|, not to dx.
      const scale = maxRstd(c) * Math.max(1, ...(c.gamma ?? []).map(Math.abs)) * Math.max(...c.dy.map(Math.abs));
      expectClose(dense.bias, db, TOL.float32(4 * red * red, scale), `${caseName(c)} Σ dx`);
      expectClose(dense.kernel, dw, TOL.float32(4 * red * red, 4 * scale), `${caseName(c)} xᵀ·dx`, [n, n]);
      if (c.kind === 'batchNormTrain') {
        const before = net.getWeights();
        const loss = net.trainOnBatch(x, t);
        expectClose([loss], [c.loss], TOL.float32(red * n), `${caseName(c)} training loss`);
        const after = net.getWeights()[1] as { runningMean: Float32Array; runningVar: Float32Array };
        expectClose(after.runningMean, c.runningMeanAfter, TOL.float32(red, 2), `${caseName(c)} runningMean`);
        expectClose(after.runningVar, c.runningVarAfter, TOL.float32(red, 2), `${caseName(c)} runningVar`);
        // gradients() before left them as they were.
        expect((before[1] as { runningMean: Float32Array }).runningMean).toEqual(Float32Array.from(c.runningMean));
      }
    });
  }

  for (const tr of FIXTURE.trajectories) {
    it(`${tr.optimizer} trajectory: Dense (no bias) → BatchNorm → Dense(relu) → LayerNorm → Dense`, () => {
      const net = new Network({
        inputs: 4,
        layers: [
          new Dense(5, { useBias: false }),
          new BatchNorm(),
          new Dense(6, { activation: 'relu' }),
          new LayerNorm(),
          new Dense(2),
        ],
        backend: BACKEND,
        seed: 3,
      });
      net.setWeights(
        tr.initial.map((e) =>
          Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v === null ? null : Float32Array.from(v)])),
        ),
      );
      net.compile({
        loss: 'mse',
        optimizer:
          tr.optimizer === 'sgd' ? new SGD({ learningRate: 0.1, momentum: 0.9 }) : new Adam({ learningRate: 0.01 }),
      });
      tr.batches.forEach((b, s) => {
        const step = tr.steps[s]!;
        const loss = net.trainOnBatch(Float32Array.from(b.x), Float32Array.from(b.y));
        expectClose([loss], [step.loss], TOL.trajectory, `${tr.optimizer} step ${s} loss`);
        const w = net.getWeights() as unknown as Array<Record<string, Float32Array | null>>;
        step.weights.forEach((entry, i) => {
          for (const [k, v] of Object.entries(entry)) {
            if (v === null) expect(w[i]![k]).toBeNull();
            else expectClose(w[i]![k]!, v, TOL.trajectory, `${tr.optimizer} step ${s} layer entry ${i} ${k}`);
          }
        });
      });
      expectClose(
        net.predict(Float32Array.from(tr.testX)),
        tr.testPredict,
        TOL.trajectory,
        `${tr.optimizer} eval predict`,
      );
    });
  }
});

// A float64 forward pass of Dense / LayerNorm / BatchNorm (training mode) layers, for
// finite differences of the loss with respect to every parameter.
type RefLayer =
  | { kind: 'dense'; inputs: number; units: number; relu: boolean }
  | { kind: 'layerNorm' | 'batchNorm'; units: number; center: boolean; scale: boolean; epsilon: number };

function refLoss(
  layers: RefLayer[],
  weights: Array<Record<string, Float64Array | null>>,
  x: number[],
  rows: number,
  y: number[],
): number {
  let a = Float64Array.from(x);
  let width = x.length / rows;
  let e = 0;
  for (const l of layers) {
    if (l.kind === 'dense') {
      const w = weights[e++]!;
      const out = new Float64Array(rows * l.units);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < l.units; j++) {
          let s = w.bias![j]!;
          for (let i = 0; i < l.inputs; i++) s += a[r * l.inputs + i]! * w.kernel![i * l.units + j]!;
          out[r * l.units + j] = l.relu && s <= 0 ? 0 : s;
        }
      }
      a = out;
      width = l.units;
      continue;
    }
    const w = l.center || l.scale || l.kind === 'batchNorm' ? weights[e++]! : { gamma: null, beta: null };
    const out = new Float64Array(rows * width);
    const groups = l.kind === 'layerNorm' ? rows : width;
    const len = l.kind === 'layerNorm' ? width : rows;
    const at = (g: number, k: number): number => (l.kind === 'layerNorm' ? g * width + k : k * width + g);
    const colOf = (g: number, k: number): number => (l.kind === 'layerNorm' ? k : g);
    for (let g = 0; g < groups; g++) {
      let mean = 0;
      for (let k = 0; k < len; k++) mean += a[at(g, k)]!;
      mean /= len;
      let v = 0;
      for (let k = 0; k < len; k++) v += (a[at(g, k)]! - mean) ** 2;
      const s = Math.sqrt(v / len + l.epsilon);
      for (let k = 0; k < len; k++) {
        const j = colOf(g, k);
        out[at(g, k)] = ((a[at(g, k)]! - mean) / s) * (w.gamma ? w.gamma[j]! : 1) + (w.beta ? w.beta[j]! : 0);
      }
    }
    a = out;
  }
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - y[i]!) ** 2;
  return sum / a.length;
}

describeLeg(`LayerNorm/BatchNorm gradients() against float64 finite differences (${BACKEND})`, () => {
  for (const [center, scale] of [
    [true, true],
    [true, false],
    [false, true],
    [false, false],
  ] as const) {
    it(`center ${center}, scale ${scale}: every parameter`, () => {
      const rng = new TestRng(center ? (scale ? 1 : 2) : scale ? 3 : 4);
      const rows = 6;
      const layers: RefLayer[] = [
        { kind: 'layerNorm', units: 3, center, scale, epsilon: 1e-5 },
        { kind: 'dense', inputs: 3, units: 5, relu: false },
        { kind: 'batchNorm', units: 5, center, scale, epsilon: 1e-3 },
        { kind: 'dense', inputs: 5, units: 4, relu: true },
        { kind: 'layerNorm', units: 4, center, scale, epsilon: 1e-2 },
        { kind: 'dense', inputs: 4, units: 2, relu: false },
      ];
      const net = new Network({
        inputs: 3,
        layers: [
          new LayerNorm({ center, scale }),
          new Dense(5),
          new BatchNorm({ center, scale, epsilon: 1e-3 }),
          new Dense(4, { activation: 'relu' }),
          new LayerNorm({ center, scale, epsilon: 1e-2 }),
          new Dense(2),
        ],
        backend: BACKEND,
        seed: 9,
      });
      // Random γ/β away from 1/0, so each part's gradient path is exercised.
      const start = net.getWeights() as unknown as Array<Record<string, Float32Array | null>>;
      for (const e of start) {
        for (const [k, v] of Object.entries(e)) {
          if (v === null) continue;
          for (let i = 0; i < v.length; i++) {
            if (k === 'gamma') v[i] = rng.uniform(0.5, 1.5);
            if (k === 'beta' || k === 'bias') v[i] = rng.uniform(-0.5, 0.5);
          }
        }
      }
      net.setWeights(start);
      net.compile({ loss: 'mse', optimizer: 'sgd' });
      const x = Array.from({ length: rows * 3 }, () => rng.uniform(-2, 2));
      const y = Array.from({ length: rows * 2 }, () => rng.uniform(-1, 1));
      const grads = net.gradients(Float32Array.from(x), Float32Array.from(y)) as unknown as Array<
        Record<string, Float32Array | null>
      >;
      const w64 = start.map((e) =>
        Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v === null ? null : Float64Array.from(v)])),
      );
      const f = (): number => refLoss(layers, w64, x, rows, y);
      w64.forEach((e, i) => {
        for (const [k, v] of Object.entries(e)) {
          if (v === null || k === 'runningMean' || k === 'runningVar') continue;
          const fd = new Float64Array(v.length);
          for (let j = 0; j < v.length; j++) {
            const keep = v[j]!;
            v[j] = keep + FD_STEP;
            const up = f();
            v[j] = keep - FD_STEP;
            const down = f();
            v[j] = keep;
            fd[j] = (up - down) / (2 * FD_STEP);
          }
          expectClose(grads[i]![k]!, fd, TOL.float32(64, 1), `entry ${i} ${k}`);
        }
      });
    });
  }
});
