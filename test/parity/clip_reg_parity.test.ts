/**
 * js ↔ native with clipping, regularizers and epoch outputs, below the facade: the same
 * ModelSpec (Dense regularizers on kernels and biases) and batches go into both backends.
 * evaluate's and gradients' penalty-including results agree within API.md's promise;
 * trainStep trajectories with clipValue, clipNorm and both, for every optimizer, agree
 * within the trajectory tolerance and are really clipped (they differ from the unclipped
 * run); trainEpoch's per-row outputs and loss sums agree. Runs in the 'native' project
 * and each ISA leg (the clip is fused into every kernel set's optimizer loops).
 */
import { expect, it } from 'vitest';
import { jsBackend } from '../../lib/backend/js/index';
import { loadNativeBackend } from '../../lib/backend/native/index';
import type { Backend, DenseSpec, ModelSpec, OptimizerName, OptimizerSpec } from '../../lib/backend/types';
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

function regularizedSpec(): ModelSpec {
  const s = buildModelSpec(
    5,
    plannedLayers([
      { units: 24, activation: 'tanh' },
      { units: 19, activation: 'relu' },
      { units: 3, activation: 'linear' },
    ]),
    4,
  );
  const d = s.layers as DenseSpec[];
  Object.assign(d[0]!, { kernelL1: 0.003, kernelL2: 0.01, biasL1: 0.02 });
  Object.assign(d[1]!, { kernelL2: 0.02 });
  Object.assign(d[2]!, { kernelL1: 0.01, biasL2: 0.05 });
  return s;
}

function optimizer(kind: OptimizerName, clip: { clipNorm?: number; clipValue?: number }): OptimizerSpec {
  return {
    kind,
    learningRate: kind === 'sgd' ? 0.05 : 0.01,
    momentum: kind === 'sgd' || kind === 'rmsprop' ? 0.5 : 0,
    nesterov: false,
    weightDecay: kind === 'adamw' ? 0.05 : 0.01,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    rho: 0.99,
    ...clip,
  };
}

describeLeg('js ↔ native: clipping, regularizers, epoch outputs', () => {
  itRunsOnLegIsa();
  const rows = 37;
  const s = regularizedSpec();
  const rng = new TestRng(31);
  const params = Float32Array.from({ length: s.paramCount }, () => rng.uniform(-0.6, 0.6));
  // Some exact zeros: l1's sign(0) = 0 on both.
  for (let i = 0; i < params.length; i += 17) params[i] = 0;
  const x = Float32Array.from({ length: rows * 5 }, () => rng.uniform(-2, 2));
  const y = Float32Array.from({ length: rows * 3 }, () => rng.uniform(-3, 3));

  function twins(): [ReturnType<Backend['createModel']>, ReturnType<Backend['createModel']>] {
    const a = jsBackend.createModel(s);
    const b = native().createModel(s);
    a.params.set(params);
    b.params.set(params);
    a.setLoss('mse');
    b.setLoss('mse');
    return [a, b];
  }

  it('evaluate and gradients include the penalty on both', () => {
    const [a, b] = twins();
    const ea = a.evaluate(x, y, rows);
    const eb = b.evaluate(x, y, rows);
    expectClose([eb.loss], [ea.loss], TOL.backendAgreement, 'evaluate loss');
    const ga = new Float32Array(s.paramCount);
    const gb = new Float32Array(s.paramCount);
    const la = a.gradients(x, y, rows, ga);
    const lb = b.gradients(x, y, rows, gb);
    expectClose([lb], [la], TOL.backendAgreement, 'gradients loss');
    expect(la).toBe(ea.loss);
    expectClose(gb, ga, agreement(ga), 'gradients');
  });

  for (const kind of ['sgd', 'adam', 'adamw', 'rmsprop'] as const) {
    for (const clip of [{ clipValue: 0.05 }, { clipNorm: 0.3 }, { clipValue: 0.05, clipNorm: 0.1 }]) {
      it(`${kind} ${JSON.stringify(clip)}: 5 trainSteps agree and are clipped`, () => {
        const [a, b] = twins();
        const [c] = twins();
        a.setOptimizer(optimizer(kind, clip));
        b.setOptimizer(optimizer(kind, clip));
        c.setOptimizer(optimizer(kind, {}));
        for (let t = 0; t < 5; t++) {
          const ra = a.trainStep(x, y, rows, t);
          const rb = b.trainStep(x, y, rows, t);
          c.trainStep(x, y, rows, t);
          expectClose([rb.loss], [ra.loss], TOL.backendTrajectory, `loss ${t}`);
        }
        expectClose(b.params, a.params, agreement(a.params, TOL.backendTrajectory), 'weights');
        let diff = 0;
        for (let i = 0; i < params.length; i++) diff = Math.max(diff, Math.abs(a.params[i]! - c.params[i]!));
        expect(diff, 'clipping changed the trajectory').toBeGreaterThan(1e-3);
      });
    }
  }

  it('trainEpoch: outputs (each row before its step) and loss sums agree', async () => {
    const [a, b] = twins();
    const opt = optimizer('adam', { clipNorm: 0.5 });
    a.setOptimizer(opt);
    b.setOptimizer(opt);
    const order = Int32Array.from({ length: rows }, (_, i) => (i * 11) % rows);
    const oa = new Float32Array(rows * 3).fill(Number.NaN);
    const ob = new Float32Array(new SharedArrayBuffer(rows * 3 * 4)).fill(Number.NaN);
    // A plain (non-shared) array on native goes through the binding's copy.
    const oc = new Float32Array(rows * 3).fill(Number.NaN);
    const ra = await a.trainEpoch({ x, y, order, batchSize: 8, firstStep: 0, outputs: oa });
    const rb = await b.trainEpoch({ x, y, order, batchSize: 8, firstStep: 0, outputs: ob });
    expectClose([rb.lossSum], [ra.lossSum], TOL.backendTrajectory, 'lossSum');
    expect(oa.every(Number.isFinite)).toBe(true);
    expectClose(ob, oa, agreement(oa, TOL.backendTrajectory), 'outputs');
    // The first batch's rows saw the initial parameters: their outputs are predict's.
    const first = new Float32Array(8 * 3);
    const xb = new Float32Array(8 * 5);
    for (let r = 0; r < 8; r++) xb.set(x.subarray(order[r]! * 5, order[r]! * 5 + 5), r * 5);
    const [p] = twins();
    p.predict(xb, 8, first);
    for (let r = 0; r < 8; r++)
      expect(Array.from(oa.subarray(order[r]! * 3, order[r]! * 3 + 3))).toEqual(
        Array.from(first.subarray(r * 3, r * 3 + 3)),
      );
    const [, d] = twins();
    d.setOptimizer(opt);
    await d.trainEpoch({ x, y, order, batchSize: 8, firstStep: 0, outputs: oc });
    expect(Array.from(oc)).toEqual(Array.from(ob));
  });
});
