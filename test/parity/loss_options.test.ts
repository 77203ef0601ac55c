/**
 * The backend under test (BACKEND) against the frozen PyTorch values of
 * test/fixtures/losses.json, for every loss × option × weighting case: the weighted loss
 * of `evaluate(x, y, { sampleWeight })`, the parameter gradients of the backend model
 * with per-row weights (and of `net.gradients` without), and five-step SGD and Adam
 * trajectories of `fit` with `classWeight` / `sampleWeight`.
 */
import { expect, it } from 'vitest';
import { jsBackend } from '../../lib/backend/js/index';
import { loadNativeBackend } from '../../lib/backend/native/index';
import type { Backend, LossSpec } from '../../lib/backend/types';
import { Adam, Dense, Network, SGD } from '../../lib/index';
import { buildModelSpec } from '../../lib/layers/plan';
import type { CompileOptions, Targets } from '../../lib/network_types';
import { BACKEND } from '../support/backend';
import { expectClose } from '../support/close';
import { describeLeg, itRunsOnLegIsa } from '../support/isa_leg';
import { FIXTURE, type FixtureCase, isSparse } from '../support/loss_fixture';
import { plannedLayers } from '../support/spec';
import { TOL } from '../support/tolerances';

const { rows, inputs, hidden } = FIXTURE;
const X = Float32Array.from(FIXTURE.x);
/** Terms summed along the way in this network: rows + every dot product on the chain. */
const REDUCTION = rows + 2 * (inputs + hidden) + 3;

function backend(): Backend {
  if (BACKEND === 'js') return jsBackend;
  const { backend: b, reason } = loadNativeBackend();
  if (!b) throw new Error(`the native addon did not load: ${reason}`);
  return b;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

function targets(c: FixtureCase): Targets {
  return isSparse(c) ? Int32Array.from(c.y) : Float32Array.from(c.y);
}

function lossSpec(c: FixtureCase): LossSpec {
  return {
    name: c.loss.name as LossSpec['name'],
    fromLogits: c.loss.fromLogits ?? false,
    labelSmoothing: c.loss.labelSmoothing ?? 0,
    delta: c.loss.delta ?? 1,
  };
}

function network(c: FixtureCase, optimizer: CompileOptions['optimizer']): Network {
  const net = new Network({
    inputs,
    layers: [new Dense(hidden, { activation: 'tanh' }), new Dense(c.outputs, { activation: c.activation })],
    backend: BACKEND,
    seed: 1,
  });
  net.setWeights([
    { kernel: Float32Array.from(c.params[0]!), bias: Float32Array.from(c.params[1]!) },
    { kernel: Float32Array.from(c.params[2]!), bias: Float32Array.from(c.params[3]!) },
  ]);
  net.compile({ loss: c.loss as CompileOptions['loss'], optimizer });
  return net;
}

describeLeg(`loss options and row weights against PyTorch (${BACKEND})`, () => {
  itRunsOnLegIsa();

  for (const c of FIXTURE.cases) {
    it(`${c.name}: weighted loss and gradients`, () => {
      const net = network(c, new SGD({ learningRate: 0.1 }));
      const y = targets(c);
      const weighted = c.classWeight !== null || c.sampleWeight !== null;
      const got = weighted ? net.evaluate(X, y, { sampleWeight: c.rowWeights }) : net.evaluate(X, y);
      expectClose([got.loss], [c.value], TOL.float32(REDUCTION, Math.abs(c.value)), 'evaluate loss');

      const want = c.grads.flat();
      const tol = TOL.float32(REDUCTION, maxAbs(want));
      if (!weighted)
        expectClose(
          net.gradients(X, y).flatMap((l) => [...l.kernel, ...l.bias!]),
          want,
          tol,
          'net.gradients',
        );

      // Below the facade: the backend model with the row weights on gradients().
      const spec = buildModelSpec(
        inputs,
        plannedLayers([
          { units: hidden, activation: 'tanh' },
          { units: c.outputs, activation: c.activation },
        ]),
        1,
      );
      const model = backend().createModel(spec);
      model.params.set(c.params.flat());
      model.setLoss(lossSpec(c));
      const grads = new Float32Array(spec.paramCount);
      const yb = Float32Array.from(c.y);
      const loss = model.gradients(X, yb, rows, grads, Float32Array.from(c.rowWeights));
      expectClose([loss], [c.value], TOL.float32(REDUCTION, Math.abs(c.value)), 'model.gradients loss');
      expectClose(grads, want, tol, 'model.gradients');
      model.dispose();
    });

    for (const kind of ['sgd', 'adam'] as const) {
      const traj = c[kind];
      if (traj === undefined) continue;
      it(`${c.name}: five ${kind} steps of fit`, async () => {
        const lr = FIXTURE[kind].learningRate;
        const net = network(c, kind === 'sgd' ? new SGD({ learningRate: lr }) : new Adam({ learningRate: lr }));
        const history = await net.fit(X, targets(c), {
          epochs: 5,
          batchSize: rows,
          shuffle: false,
          ...(c.classWeight === null ? {} : { classWeight: c.classWeight }),
          ...(c.sampleWeight === null ? {} : { sampleWeight: Float32Array.from(c.sampleWeight) }),
        });
        expectClose(history.loss, traj.losses, TOL.trajectory, `${kind} losses`);
        const w = net.getWeights();
        expectClose(
          w.flatMap((l) => [...l.kernel, ...l.bias!]),
          traj.params.flat(),
          TOL.trajectory,
          `${kind} parameters after 5 steps`,
        );
      });
    }
  }

  it('has trajectories with and without weights', () => {
    expect(FIXTURE.cases.filter((c) => c.sgd && c.sampleWeight !== null).length).toBeGreaterThanOrEqual(4);
    expect(FIXTURE.cases.filter((c) => c.adam && c.sampleWeight === null).length).toBeGreaterThanOrEqual(4);
  });
});
