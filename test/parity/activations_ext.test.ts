/**
 * The activations of issue 13 (elu, selu, softplus, silu, mish, hardSigmoid, hardSwish,
 * relu6) on the backend under test (BACKEND; the native-<set> projects pin each kernel set):
 * - forward values against the frozen PyTorch float64 vectors
 *   (test/fixtures/activations/torch_activations.json, written by
 *   test/fixtures/gen_activations.py), through a Dense layer whose kernel holds the grid
 *   (x = [1], so z = kernel exactly); the js backend's element functions also against
 *   PyTorch's derivatives, kinks included; the backend's bias gradients on that grid
 *   against the float64 reference's;
 * - predict, evaluate and gradients over activation × loss × bias (test/support/grid.ts's
 *   construction) against the float64 reference;
 * - a few SGD and Adam steps against the float64 reference's trajectory.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { activationBackward as jsBackward, activationForward as jsForward } from '../../lib/backend/js/activations';
import type { ActivationName } from '../../lib/backend/types';
import { Adam, Dense, Network, SGD } from '../../lib/index';
import { ACTIVATIONS as FACADE_ACTIVATIONS } from '../../lib/layers/dense';
import { ACTIVATIONS, EXT_ACTIVATIONS, extDerivative } from '../reference/activations';
import { LOSSES, lossValue, type RefLoss } from '../reference/losses';
import { flatten, forward, gradients, type RefDense, type RefParams, unflatten } from '../reference/network';
import { RefAdam, type RefOptimizer, RefSGD } from '../reference/optimizers';
import { BACKEND } from '../support/backend';
import { expectClose, type Tolerance } from '../support/close';
import { type GridCase, makeCase } from '../support/grid';
import { describeLeg } from '../support/isa_leg';
import { TOL } from '../support/tolerances';

interface TorchFixture {
  torch: string;
  z: number[];
  forward: Record<string, number[]>;
  derivative: Record<string, number[]>;
  kinks: { z: number[]; forward: Record<string, number[]>; derivative: Record<string, number[]> };
}

const fixture = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'activations', 'torch_activations.json'), 'utf8'),
) as TorchFixture;

const EXT = EXT_ACTIVATIONS as readonly ActivationName[];

/**
 * Against PyTorch: TOL.roundedOnce, plus for elu and selu the float64 cancellation of
 * PyTorch 1.13's exp(z) − 1 (2^-52 absolute; densely uses expm1, gen_activations.py).
 */
function torchTol(act: ActivationName): Tolerance {
  return act === 'elu' || act === 'selu' ? { ...TOL.roundedOnce, atol: 2 ** -52 } : TOL.roundedOnce;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** One Dense(units) layer on one input with kernel = z and no bias: its output is act(z). */
function gridNetwork(act: ActivationName, z: readonly number[], useBias: boolean): Network {
  const net = new Network({ inputs: 1, layers: [new Dense(z.length, { activation: act, useBias })], backend: BACKEND });
  net.setWeights([{ kernel: Float32Array.from(z), bias: useBias ? new Float32Array(z.length) : null }]);
  return net;
}

function buildNetwork(layers: readonly RefDense[], params: readonly RefParams[], inputs: number): Network {
  const net = new Network({
    inputs,
    layers: layers.map((l) => new Dense(l.units, { activation: l.activation, alpha: l.alpha, useBias: l.useBias })),
    backend: BACKEND,
    seed: 5,
  });
  net.setWeights(
    params.map((p) => ({ kernel: Float32Array.from(p.kernel), bias: p.bias ? Float32Array.from(p.bias) : null })),
  );
  return net;
}

function targetsFor(loss: RefLoss, y: Float64Array): Float32Array | Int32Array {
  return loss === 'sparseCategoricalCrossentropy' ? Int32Array.from(y) : Float32Array.from(y);
}

describe('the activation lists', () => {
  it('the facade, the reference and the fixture name the same activations', () => {
    expect([...ACTIVATIONS, ...EXT_ACTIVATIONS].sort()).toEqual([...FACADE_ACTIVATIONS].sort());
    expect(Object.keys(fixture.forward).sort()).toEqual([...EXT_ACTIVATIONS].sort());
  });
});

describe(`Dense with elu … relu6 (${BACKEND})`, () => {
  it('accepts each name, survives toJSON/fromJSON with the same predictions, rejects a misspelling', () => {
    const x = Float32Array.from({ length: 12 }, (_, i) => (i - 6) / 2);
    for (const act of EXT) {
      const net = new Network({ inputs: 3, layers: [new Dense(4, { activation: act })], backend: BACKEND, seed: 3 });
      const back = Network.fromJSON(net.toJSON(), { backend: BACKEND });
      expect(back.toJSON()).toEqual(net.toJSON());
      expect(Array.from(back.predict(x))).toEqual(Array.from(net.predict(x)));
    }
    expect(() => new Dense(2, { activation: 'Elu' as ActivationName })).toThrow(
      /Expected one of .*'elu', 'selu', 'softplus', 'silu', 'mish', 'hardSigmoid', 'hardSwish', 'relu6' for activation but received/,
    );
  });
});

describeLeg(`activations elu … relu6 against PyTorch (${BACKEND})`, () => {
  // Finite z only where PyTorch's value is finite and the float32 grid holds it.
  const z = fixture.z;
  for (const act of EXT) {
    it(`${act}: forward on the fixture grid (PyTorch ${fixture.torch}, float64)`, () => {
      const net = gridNetwork(act, z, false);
      const got = net.predict(Float32Array.of(1));
      expectClose(got, fixture.forward[act]!, torchTol(act), `${act} forward`);
      // The kinks too.
      const kinks = gridNetwork(act, fixture.kinks.z, false).predict(Float32Array.of(1));
      expectClose(kinks, fixture.kinks.forward[act]!, torchTol(act), `${act} forward at the kinks`);
    });

    it(`${act}: the js element functions match PyTorch's values and derivatives, kinks exactly`, () => {
      const zz = Float32Array.from(z);
      const a = new Float32Array(z.length);
      jsForward(act, 0, zz, a, 1, z.length);
      expectClose(a, fixture.forward[act]!, torchTol(act), `${act} js forward`);
      const d = new Float32Array(z.length).fill(1);
      jsBackward(act, 0, zz, a, d, d, 1, z.length);
      expectClose(d, fixture.derivative[act]!, torchTol(act), `${act} js derivative`);
      const kz = Float32Array.from(fixture.kinks.z);
      const ka = new Float32Array(kz.length);
      const kd = new Float32Array(kz.length).fill(1);
      jsForward(act, 0, kz, ka, 1, kz.length);
      jsBackward(act, 0, kz, ka, kd, kd, 1, kz.length);
      // PyTorch's autograd at the kinks (0, ±3, 6, 20).
      expectClose(kd, fixture.kinks.derivative[act]!, TOL.roundedOnce, `${act} js derivative at the kinks`);
      // The float64 reference's derivative agrees with PyTorch's too.
      expectClose(
        fixture.kinks.z.map((v) => extDerivative(act, v)),
        fixture.kinks.derivative[act]!,
        TOL.roundedOnce,
        `${act} reference derivative at the kinks`,
      );
    });

    it(`${act}: bias gradients on the fixture grid against the float64 reference`, () => {
      // mse against 0: ∂L/∂b_j = 2·a_j·act′(z_j)/N; the grid and the kinks in one layer.
      const all = [...z.filter((v) => Math.abs(v) < 1e4), ...fixture.kinks.z];
      const net = gridNetwork(act, all, true);
      net.compile({ loss: 'mse', optimizer: 'sgd' });
      const x = Float32Array.of(1);
      const y = new Float32Array(all.length);
      const got = net.gradients(x, y)[0]!.bias!;
      const layers: RefDense[] = [{ inputs: 1, units: all.length, activation: act, alpha: 0, useBias: true }];
      const params: RefParams[] = [
        { kernel: Float64Array.from(Float32Array.from(all)), bias: new Float64Array(all.length) },
      ];
      const want = gradients(layers, params, 'mse', Float64Array.of(1), new Float64Array(all.length), 1).grads[0]!
        .bias!;
      // Two roundings (a and the product with act′) and the mse scale: a few ulp.
      expectClose(got, want, { rtol: 4 * 2 ** -23, atol: 2 ** -126 }, `${act} bias gradient`);
    });
  }
});

describeLeg(`network parity with the float64 reference, elu … relu6 (${BACKEND})`, () => {
  let seed = 5000;
  for (const activation of EXT_ACTIVATIONS) {
    for (const loss of LOSSES) {
      for (const useBias of [true, false]) {
        const c = makeCase(activation, loss, useBias, seed++);
        it(c.name, () => {
          const net = buildNetwork(c.layers, c.params, c.inputs);
          net.compile({ loss: c.loss, optimizer: 'sgd' });
          const x = Float32Array.from(c.x);
          const y = targetsFor(c.loss, c.y);
          const outputs = c.layers[c.layers.length - 1]!.units;
          const k = c.rows + c.layers.reduce((s, l) => s + l.inputs + l.units, 0);
          const refOut = forward(c.layers, c.params, c.x, c.rows).a[c.layers.length]!;
          expectClose(net.predict(x), refOut, TOL.float32(k, maxAbs(refOut)), `${c.name}: predict`, [c.rows, outputs]);
          const ref = gradients(c.layers, c.params, c.loss, c.x, c.y, c.rows, { fused: true });
          expect(ref.loss).toBe(lossValue(c.loss, refOut, c.y, c.rows, outputs));
          expectClose([net.evaluate(x, y).loss], [ref.loss], TOL.float32(k, Math.abs(ref.loss)), `${c.name}: loss`);
          const got = net.gradients(x, y).flatMap((g) => [...g.kernel, ...(g.bias ?? [])]);
          const want = flatten(ref.grads);
          expectClose(got, want, TOL.float32(k, maxAbs(want)), `${c.name}: gradients`);
        });
      }
    }
  }
});

describeLeg(`training trajectories against the float64 reference, elu … relu6 (${BACKEND})`, () => {
  const cases: Array<[string, () => SGD | Adam, () => RefOptimizer]> = [
    ['SGD(0.3)', () => new SGD({ learningRate: 0.3 }), () => new RefSGD(0.3)],
    ['Adam(0.01)', () => new Adam({ learningRate: 0.01 }), () => new RefAdam(0.01)],
  ];
  let seed = 6000;
  for (const activation of EXT_ACTIVATIONS) {
    for (const [name, make, makeRef] of cases) {
      const c: GridCase = makeCase(activation, 'mse', true, seed++);
      it(`${activation} × mse, ${name}: 4 steps`, () => {
        const net = buildNetwork(c.layers, c.params, c.inputs);
        net.compile({ loss: 'mse', optimizer: make() });
        const opt = makeRef();
        const theta = flatten(c.params);
        const x = Float32Array.from(c.x);
        const y = Float32Array.from(c.y);
        for (let step = 0; step < 4; step++) {
          const r = gradients(c.layers, unflatten(c.layers, theta), 'mse', c.x, c.y, c.rows);
          opt.step(theta, flatten(r.grads));
          expectClose([net.trainOnBatch(x, y)], [r.loss], TOL.trajectory, `loss of step ${step}`);
          const flat = Float64Array.from(net.getWeights().flatMap((w) => [...w.kernel, ...(w.bias ?? [])]));
          expectClose(flat, theta, TOL.trajectory, `parameters after step ${step}`);
        }
      });
    }
  }
});
