/**
 * The backend under test (BACKEND) against the float64 reference, on the same weights:
 * predict, evaluate and the analytic `net.gradients(x, y)` over the whole
 * activation × loss × bias grid (test/support/grid.ts, checked by finite differences
 * in test/gradients/), then on wider layers whose dot products cross the GEMM tiles.
 */
import { describe, expect, it } from 'vitest';
import type { BackendName } from '../../lib/backend/types';
import { backendInfo, Dense, Dropout, Network, SGD } from '../../lib/index';
import { ACTIVATIONS, type RefActivation } from '../reference/activations';
import { dropoutMask } from '../reference/dropout';
import { lossValue, type RefLoss } from '../reference/losses';
import { flatten, forward, gradients, type RefDense, type RefParams, unflatten } from '../reference/network';
import { RefSGD } from '../reference/optimizers';
import { BACKEND } from '../support/backend';
import { expectClose } from '../support/close';
import { type GridCase, gradientGrid } from '../support/grid';
import { describeLeg } from '../support/isa_leg';
import { TestRng } from '../support/rng';
import { TOL } from '../support/tolerances';

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

function buildNetwork(
  layers: readonly RefDense[],
  params: readonly RefParams[],
  inputs: number,
  dropoutAfterFirst = false,
): Network {
  const built: Array<Dense | Dropout> = [];
  layers.forEach((l, i) => {
    built.push(new Dense(l.units, { activation: l.activation, alpha: l.alpha, useBias: l.useBias }));
    if (dropoutAfterFirst && i === 0) built.push(new Dropout(0.5));
  });
  const net = new Network({ inputs, layers: built, backend: BACKEND, seed: 5 });
  net.setWeights(
    params.map((p) => ({ kernel: Float32Array.from(p.kernel), bias: p.bias ? Float32Array.from(p.bias) : null })),
  );
  return net;
}

function targetsFor(loss: RefLoss, y: Float64Array): Float32Array | Int32Array {
  return loss === 'sparseCategoricalCrossentropy' ? Int32Array.from(y) : Float32Array.from(y);
}

/**
 * Reduction length behind a gradient element: the rows summed into a kernel gradient,
 * plus every forward dot product (over a layer's inputs) and every backward one (over
 * its units) on the chain; rounding errors of chained sums add up.
 */
function reductionLength(layers: readonly RefDense[], rows: number): number {
  return rows + layers.reduce((s, l) => s + l.inputs + l.units, 0);
}

function checkCase(c: GridCase, net: Network): void {
  const x = Float32Array.from(c.x);
  const y = targetsFor(c.loss, c.y);
  const outputs = c.layers[c.layers.length - 1]!.units;
  const k = reductionLength(c.layers, c.rows);

  const refOut = forward(c.layers, c.params, c.x, c.rows).a[c.layers.length]!;
  expectClose(net.predict(x), refOut, TOL.float32(k, maxAbs(refOut)), `${c.name}: predict`, [c.rows, outputs]);

  const ref = gradients(c.layers, c.params, c.loss, c.x, c.y, c.rows, { fused: true });
  expectClose([net.evaluate(x, y).loss], [ref.loss], TOL.float32(k, Math.abs(ref.loss)), `${c.name}: evaluate loss`);
  expect(ref.loss).toBe(lossValue(c.loss, refOut, c.y, c.rows, outputs));

  const got = net.gradients(x, y);
  expect(got).toHaveLength(c.layers.length);
  const scale = maxAbs(flatten(ref.grads));
  got.forEach((g, l) => {
    const layer = c.layers[l]!;
    const want = ref.grads[l]!;
    expectClose(g.kernel, want.kernel, TOL.float32(k, scale), `${c.name}: ∂L/∂kernel of layer ${l}`, [
      layer.inputs,
      layer.units,
    ]);
    if (want.bias)
      expectClose(g.bias!, want.bias, TOL.float32(k, scale), `${c.name}: ∂L/∂bias of layer ${l}`, [1, layer.units]);
    else expect(g.bias).toBeNull();
  });
}

describeLeg(`network parity with the float64 reference (${BACKEND})`, () => {
  describe('gradients over activation × loss × bias', () => {
    for (const c of gradientGrid()) {
      it(c.name, () => {
        const net = buildNetwork(c.layers, c.params, c.inputs);
        net.compile({ loss: c.loss, optimizer: 'sgd' });
        checkCase(c, net);
      });
    }
  });

  describe('saturated outputs: the loss clips ŷ, the fused gradient ignores the clip, a chained one is 0 outside it', () => {
    // One Dense(2) layer on x = [1]: z = [30.5, −29.5] (linear) or [30, −30] (sigmoid,
    // softmax), so ŷ sits far outside the clip range for targets [0, 1].
    const pairs = [
      ['sigmoid', 'binaryCrossentropy'],
      ['softmax', 'categoricalCrossentropy'],
      ['softmax', 'sparseCategoricalCrossentropy'],
      ['linear', 'binaryCrossentropy'],
      ['linear', 'categoricalCrossentropy'],
    ] as const;
    for (const [activation, loss] of pairs) {
      it(`${activation} + ${loss}`, () => {
        const bias = activation === 'linear' ? 0.5 : 0;
        const layers: RefDense[] = [{ inputs: 1, units: 2, activation, alpha: 0.01, useBias: true }];
        const params: RefParams[] = [{ kernel: Float64Array.of(30, -30), bias: Float64Array.of(bias, bias) }];
        const sparse = loss === 'sparseCategoricalCrossentropy';
        const y = sparse ? Float64Array.of(1) : Float64Array.of(0, 1);
        const c: GridCase = {
          name: `${activation} + ${loss}`,
          activation,
          loss,
          useBias: true,
          inputs: 1,
          rows: 1,
          layers,
          params,
          x: Float64Array.of(1),
          y,
        };
        const net = buildNetwork(layers, params, 1);
        net.compile({ loss, optimizer: 'sgd' });
        const ref = gradients(layers, params, loss, c.x, y, 1, { fused: true });
        // The clipped loss: −log(1e-7) per clipped term (mean over 2 elements for binary, 1 row for categorical).
        expectClose([ref.loss], [-Math.log(1e-7)], TOL.clipCancellation, 'reference loss');
        checkCase(c, net);
        const g = net.gradients(Float32Array.of(1), sparse ? Int32Array.of(1) : Float32Array.of(0, 1));
        if (activation === 'linear') expect(Array.from(g[0]!.kernel)).toEqual([0, 0]);
        else expect(Math.abs(g[0]!.bias![0]!)).toBeGreaterThan(0.4);
      });
    }
  });

  it('gradients leave the weights and the optimizer untouched', () => {
    const c = gradientGrid()[0]!;
    const net = buildNetwork(c.layers, c.params, c.inputs);
    net.compile({ loss: c.loss, optimizer: 'sgd' });
    const before = net.getWeights();
    net.gradients(Float32Array.from(c.x), Float32Array.from(c.y));
    expect(net.getWeights()).toEqual(before);
  });

  it('gradients ignore Dropout (inference mode): same as the network without it', () => {
    const c = gradientGrid().find((g) => g.activation === 'tanh' && g.loss === 'mse' && g.useBias)!;
    const net = buildNetwork(c.layers, c.params, c.inputs, true);
    net.compile({ loss: c.loss, optimizer: 'sgd' });
    checkCase(c, net);
  });

  it('training steps with Dropout use the documented masks, one step number per batch (trainOnBatch, then fit)', async () => {
    // 5 → Dense(8, tanh) → Dropout(0.5) → Dense(3, softmax), categorical CE, 6 rows.
    const rng = new TestRng(31);
    const layers: RefDense[] = [
      { inputs: 5, units: 8, activation: 'tanh', alpha: 0.01, useBias: true },
      { inputs: 8, units: 3, activation: 'softmax', alpha: 0.01, useBias: true },
    ];
    const params: RefParams[] = layers.map((l) => ({
      kernel: Float64Array.from(rng.float32Array(l.inputs * l.units, -0.7, 0.7)),
      bias: Float64Array.from(rng.float32Array(l.units, -0.1, 0.1)),
    }));
    const rows = 6;
    const yRows = new Float64Array(rows * 3);
    for (let r = 0; r < rows; r++) yRows.set(rng.distribution(3), r * 3);
    const c = {
      layers,
      params,
      inputs: 5,
      rows,
      loss: 'categoricalCrossentropy' as const,
      x: Float64Array.from(rng.float32Array(rows * 5, -1, 1)),
      y: Float64Array.from(Float32Array.from(yRows)),
    };
    const rate = 0.5; // buildNetwork inserts Dropout(0.5)
    const seed = 5; // buildNetwork's seed
    const net = buildNetwork(c.layers, c.params, c.inputs, true); // Dense (0), Dropout (1), Dense (2)
    net.compile({ loss: c.loss, optimizer: new SGD({ learningRate: 0.5 }) });
    const opt = new RefSGD(0.5);
    const theta = flatten(c.params);
    const hidden = c.layers[0]!.units;
    const x = Float32Array.from(c.x);
    const y = Float32Array.from(c.y);
    const refStep = (step: number): number => {
      const masks = [dropoutMask(seed, step, 1, c.rows, hidden, rate), null];
      const r = gradients(c.layers, unflatten(c.layers, theta), c.loss, c.x, c.y, c.rows, { fused: true, masks });
      opt.step(theta, flatten(r.grads));
      return r.loss;
    };
    const flat = (): Float64Array =>
      Float64Array.from(net.getWeights().flatMap((w) => [...w.kernel, ...(w.bias ?? [])]));
    for (let step = 0; step < 3; step++) {
      const want = refStep(step);
      expectClose([net.trainOnBatch(x, y)], [want], TOL.trajectory, `loss of step ${step}`);
      expectClose(flat(), theta, TOL.trajectory, `parameters after step ${step}`);
    }
    // fit continues the global step count: one batch per epoch here, steps 3 and 4.
    const losses: number[] = [];
    await net.fit(x, y, {
      epochs: 2,
      batchSize: c.rows,
      shuffle: false,
      onBatchEnd: (_, logs) => losses.push(logs.loss),
    });
    expectClose(losses, [refStep(3), refStep(4)], TOL.trajectory, 'fit batch losses (steps 3, 4)');
    expectClose(flat(), theta, TOL.trajectory, 'parameters after fit');
    // The masks differ from step to step (else this test could not tell step numbers apart).
    expect(Array.from(dropoutMask(seed, 0, 1, c.rows, hidden, rate))).not.toEqual(
      Array.from(dropoutMask(seed, 1, 1, c.rows, hidden, rate)),
    );
  });

  describe('wider layers (dot products longer than a GEMM tile, odd sizes)', () => {
    const shapes: Array<{
      inputs: number;
      hidden: number;
      outputs: number;
      rows: number;
      act: RefActivation;
      loss: RefLoss;
    }> = [
      { inputs: 37, hidden: 29, outputs: 11, rows: 13, act: 'tanh', loss: 'mse' },
      { inputs: 64, hidden: 70, outputs: 10, rows: 33, act: 'relu', loss: 'categoricalCrossentropy' },
      { inputs: 5, hidden: 130, outputs: 7, rows: 1, act: 'gelu', loss: 'sparseCategoricalCrossentropy' },
      { inputs: 300, hidden: 17, outputs: 3, rows: 9, act: 'sigmoid', loss: 'binaryCrossentropy' },
    ];
    for (const s of shapes) {
      it(`${s.inputs} → ${s.hidden} (${s.act}) → ${s.outputs}, ${s.rows} rows, ${s.loss}`, () => {
        const rng = new TestRng(s.inputs * 1000 + s.hidden);
        const outAct: RefActivation =
          s.loss === 'binaryCrossentropy' ? 'sigmoid' : s.loss === 'mse' ? 'linear' : 'softmax';
        const layers: RefDense[] = [
          { inputs: s.inputs, units: s.hidden, activation: s.act, alpha: 0.01, useBias: true },
          { inputs: s.hidden, units: s.outputs, activation: outAct, alpha: 0.01, useBias: true },
        ];
        const glorot = (fanIn: number, fanOut: number): number => Math.sqrt(6 / (fanIn + fanOut));
        const params: RefParams[] = layers.map((l) => ({
          kernel: Float64Array.from(
            rng.float32Array(l.inputs * l.units, -glorot(l.inputs, l.units), glorot(l.inputs, l.units)),
          ),
          bias: Float64Array.from(rng.float32Array(l.units, -0.1, 0.1)),
        }));
        const x = Float64Array.from(rng.float32Array(s.rows * s.inputs, -1, 1));
        let y: Float64Array;
        if (s.loss === 'sparseCategoricalCrossentropy')
          y = Float64Array.from({ length: s.rows }, () => rng.int(s.outputs));
        else if (s.loss === 'categoricalCrossentropy') {
          y = new Float64Array(s.rows * s.outputs);
          for (let r = 0; r < s.rows; r++) y[r * s.outputs + rng.int(s.outputs)] = 1;
        } else y = Float64Array.from(rng.float32Array(s.rows * s.outputs, s.loss === 'mse' ? -1 : 0, 1));
        const c: GridCase = {
          name: s.loss,
          activation: s.act,
          loss: s.loss,
          useBias: true,
          inputs: s.inputs,
          rows: s.rows,
          layers,
          params,
          x,
          y,
        };
        const net = buildNetwork(layers, params, s.inputs);
        net.compile({ loss: s.loss, optimizer: 'adam' });
        checkCase(c, net);
      });
    }
  });

  describe('js and native agree within API.md’s bound (1e-5 relative + 1e-6 absolute)', () => {
    // The other backend when the addon loads (always, in the native project); without
    // the addon, the js backend is held to the same bound against the float64 reference.
    const other: BackendName | null = BACKEND === 'native' ? 'js' : backendInfo().native ? 'native' : null;
    const bound = TOL.backendAgreement;
    for (const c of gradientGrid().filter((_, i) => i % 3 === 0)) {
      it(`${c.name} vs ${other ?? 'the reference'}`, () => {
        const x = Float32Array.from(c.x);
        const y = targetsFor(c.loss, c.y);
        const net = buildNetwork(c.layers, c.params, c.inputs);
        net.compile({ loss: c.loss, optimizer: 'sgd' });
        let wantPredict: ArrayLike<number>;
        let wantLoss: number;
        let wantGrads: ArrayLike<number>;
        if (other) {
          const twin = new Network({
            inputs: c.inputs,
            layers: c.layers.map(
              (l) => new Dense(l.units, { activation: l.activation, alpha: l.alpha, useBias: l.useBias }),
            ),
            backend: other,
            seed: 5,
          });
          twin.setWeights(net.getWeights());
          twin.compile({ loss: c.loss, optimizer: 'sgd' });
          wantPredict = twin.predict(x);
          wantLoss = twin.evaluate(x, y).loss;
          wantGrads = twin.gradients(x, y).flatMap((g) => [...g.kernel, ...(g.bias ?? [])]);
        } else {
          const ref = gradients(c.layers, c.params, c.loss, c.x, c.y, c.rows, { fused: true });
          wantPredict = forward(c.layers, c.params, c.x, c.rows).a[c.layers.length]!;
          wantLoss = ref.loss;
          wantGrads = flatten(ref.grads);
        }
        expectClose(net.predict(x), wantPredict, bound, `${c.name}: predict`);
        expectClose([net.evaluate(x, y).loss], [wantLoss], bound, `${c.name}: loss`);
        expectClose(
          net.gradients(x, y).flatMap((g) => [...g.kernel, ...(g.bias ?? [])]),
          wantGrads,
          bound,
          `${c.name}: gradients`,
        );
      });
    }
  });

  it('covers every activation of API.md', () => {
    expect([...ACTIVATIONS].sort()).toEqual(['gelu', 'leakyRelu', 'linear', 'relu', 'sigmoid', 'softmax', 'tanh']);
  });
});
