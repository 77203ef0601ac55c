/**
 * `trainOnBatch(x, y, { sampleWeight, classWeight })` and `gradients(x, y, { … })` against
 * the frozen PyTorch values of test/fixtures/losses.json (gen_losses.py): the weighted loss
 * Σ wᵢ·lᵢ / Σ wᵢ and its parameter gradients for every loss × weighting case, five SGD and
 * Adam steps of trainOnBatch with the weights, and the option checks (thrown before any
 * state changes).
 */
import { describe, expect, it } from 'vitest';
import { Adam, Dense, Network, SGD } from '../../lib/index';
import type { CompileOptions, Targets } from '../../lib/network_types';
import { BACKEND } from '../support/backend';
import { expectBitExact, expectClose } from '../support/close';
import { FIXTURE, type FixtureCase, isSparse } from '../support/loss_fixture';
import { TOL } from '../support/tolerances';

const { rows, inputs, hidden } = FIXTURE;
const X = Float32Array.from(FIXTURE.x);
/** Terms summed along the way in this network: rows + every dot product on the chain. */
const REDUCTION = rows + 2 * (inputs + hidden) + 3;

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

function targets(c: FixtureCase): Targets {
  return isSparse(c) ? Int32Array.from(c.y) : Float32Array.from(c.y);
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

/** The case's options: its classWeight and sampleWeight, each when the case has it. */
function weightOptions(c: FixtureCase): { classWeight?: number[]; sampleWeight?: Float32Array } {
  return {
    ...(c.classWeight === null ? {} : { classWeight: c.classWeight }),
    ...(c.sampleWeight === null ? {} : { sampleWeight: Float32Array.from(c.sampleWeight) }),
  };
}

const WEIGHTED = FIXTURE.cases.filter((c) => c.classWeight !== null || c.sampleWeight !== null);

describe(`trainOnBatch / gradients with row weights against PyTorch (${BACKEND})`, () => {
  it('covers classWeight, sampleWeight and both', () => {
    expect(WEIGHTED.filter((c) => c.classWeight !== null && c.sampleWeight === null).length).toBeGreaterThan(5);
    expect(WEIGHTED.filter((c) => c.classWeight === null && c.sampleWeight !== null).length).toBeGreaterThan(5);
    expect(WEIGHTED.filter((c) => c.classWeight !== null && c.sampleWeight !== null).length).toBeGreaterThan(5);
  });

  for (const c of WEIGHTED) {
    it(`${c.name}: gradients and the trainOnBatch loss`, () => {
      const net = network(c, new SGD({ learningRate: 0.1 }));
      const y = targets(c);
      const want = c.grads.flat();
      const got = net.gradients(X, y, weightOptions(c)).flatMap((l) => [...l.kernel, ...l.bias!]);
      expectClose(got, want, TOL.float32(REDUCTION, maxAbs(want)), 'gradients');
      // The unweighted gradient differs (the options are not ignored).
      const plain = net.gradients(X, y).flatMap((l) => [...l.kernel, ...l.bias!]);
      expect(maxAbs(plain.map((v, i) => v - want[i]!))).toBeGreaterThan(1e-4);
      const loss = net.trainOnBatch(X, y, weightOptions(c));
      expectClose([loss], [c.value], TOL.float32(REDUCTION, Math.abs(c.value)), 'trainOnBatch loss');
    });

    for (const kind of ['sgd', 'adam'] as const) {
      const traj = c[kind];
      if (traj === undefined) continue;
      it(`${c.name}: five ${kind} steps of trainOnBatch, equal to fit's bit for bit`, async () => {
        const lr = FIXTURE[kind].learningRate;
        const opt = () => (kind === 'sgd' ? new SGD({ learningRate: lr }) : new Adam({ learningRate: lr }));
        const net = network(c, opt());
        const losses: number[] = [];
        for (let s = 0; s < 5; s++) losses.push(net.trainOnBatch(X, targets(c), weightOptions(c)));
        expectClose(losses, traj.losses, TOL.trajectory, `${kind} losses`);
        const w = net.getWeights();
        expectClose(
          w.flatMap((l) => [...l.kernel, ...l.bias!]),
          traj.params.flat(),
          TOL.trajectory,
          `${kind} parameters after 5 steps`,
        );
        const ref = network(c, opt());
        const h = await ref.fit(X, targets(c), { epochs: 5, batchSize: rows, shuffle: false, ...weightOptions(c) });
        // fit reports (loss × rows) / rows per epoch: equal to the last bit or so.
        expectClose(losses, h.loss, { atol: 0, rtol: 1e-15 }, 'losses vs fit');
        const wr = ref.getWeights();
        for (const [i, l] of w.entries()) expectBitExact(l.kernel, wr[i]!.kernel, `layer ${i} kernel vs fit`);
      });
    }
  }

  it('checks the options before anything changes', () => {
    const c = WEIGHTED.find((k) => k.loss.name === 'sparseCategoricalCrossentropy')!;
    const net = network(c, new SGD({ learningRate: 0.1 }));
    const y = targets(c);
    const before = net.getWeights();
    const bad: [unknown, RegExp][] = [
      [{ sampleWeight: new Float32Array(5) }, /6 sample weights .* for sampleWeight but received 5/],
      [{ sampleWeight: Float32Array.of(1, 1, Number.NaN, 1, 1, 1) }, /for sampleWeight\[2\] but received NaN/],
      [{ sampleWeight: 'heavy' }, /a Float32Array of 6 sample weights for sampleWeight/],
      [{ classWeight: [1, 2] }, /3 class weights .* for classWeight but received 2/],
      [{ classWeight: [1, -2, 1] }, /for classWeight\[1\] but received -2/],
      [
        { sampleWeight: new Float32Array(6) },
        /a positive weight in the batch .* for sampleWeight but received all weights 0/,
      ],
      [{ classWeight: [0, 0, 0] }, /a positive weight in the batch/],
      [{ weights: [1] }, /weights/],
      [7, /options/],
    ];
    for (const [opts, re] of bad) {
      for (const method of ['trainOnBatch', 'gradients'] as const) {
        let err: unknown = null;
        try {
          (net[method] as (x: unknown, y: unknown, o: unknown) => unknown)(X, y, opts);
        } catch (e) {
          err = e;
        }
        expect(String(err), `${method} ${JSON.stringify(opts)}`).toMatch(re);
        expect((err as { code: string }).code).toBe('DENSELY_INVALID_ARGUMENT');
      }
    }
    for (const [i, l] of net.getWeights().entries())
      expectBitExact(l.kernel, before[i]!.kernel, `layer ${i} unchanged`);
    // One output: classWeight has 2 entries (class 0 and 1).
    const b = WEIGHTED.find((k) => k.outputs === 1)!;
    const nb = network(b, new SGD({ learningRate: 0.1 }));
    expect(() => nb.trainOnBatch(X, targets(b), { classWeight: [1, 2, 3] })).toThrow(
      /2 class weights \(one per class: 0 and 1 for one output\) for classWeight but received 3/,
    );
  });
});
