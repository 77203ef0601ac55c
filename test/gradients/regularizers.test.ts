/**
 * Regularizer gradients by central finite differences, in float64: the reference loss
 * (test/reference/network.ts) plus the penalty l1·Σ|w| + l2·Σw² of each kernel and bias,
 * against the reference gradient plus l1·sign(w) + 2·l2·w (sign(0) = 0: exact zeros in
 * the weights, where the central difference of |w| is 0 too). Then the library's
 * `gradients()` (js backend) against that checked float64 gradient.
 */
import { describe, it } from 'vitest';
import { Dense, type LossName, Network } from '../../lib/index';
import { flatten, gradients, networkLoss, type RefDense, unflatten } from '../reference/network';
import { expectClose } from '../support/close';
import { TestRng } from '../support/rng';
import { FD_STEP, TOL } from '../support/tolerances';

interface Reg {
  kernel: [number, number];
  bias: [number, number];
}

const cases: Array<{ name: string; layers: RefDense[]; loss: LossName; regs: Reg[] }> = [
  {
    name: 'tanh → sigmoid, binaryCrossentropy',
    layers: [
      { inputs: 3, units: 4, activation: 'tanh', alpha: 0, useBias: true },
      { inputs: 4, units: 2, activation: 'sigmoid', alpha: 0, useBias: true },
    ],
    loss: 'binaryCrossentropy',
    regs: [
      { kernel: [0.01, 0.02], bias: [0.05, 0] },
      { kernel: [0, 0.1], bias: [0.02, 0.03] },
    ],
  },
  {
    name: 'relu → linear, mse',
    layers: [
      { inputs: 3, units: 5, activation: 'relu', alpha: 0, useBias: true },
      { inputs: 5, units: 2, activation: 'linear', alpha: 0, useBias: false },
    ],
    loss: 'mse',
    regs: [
      { kernel: [0.2, 0], bias: [0, 0.5] },
      { kernel: [0.03, 0.04], bias: [0, 0] },
    ],
  },
];

/** The penalty of the flat parameters and its gradient, in float64. */
function penalty(layers: RefDense[], regs: Reg[], flat: ArrayLike<number>): { value: number; grad: Float64Array } {
  const grad = new Float64Array(flat.length);
  let value = 0;
  let o = 0;
  layers.forEach((l, i) => {
    const parts: Array<[number, [number, number]]> = [[l.inputs * l.units, regs[i]!.kernel]];
    if (l.useBias) parts.push([l.units, regs[i]!.bias]);
    for (const [n, [l1, l2]] of parts) {
      for (let k = o; k < o + n; k++) {
        const w = flat[k]!;
        value += l1 * Math.abs(w) + l2 * w * w;
        grad[k] = l1 * Math.sign(w) + 2 * l2 * w;
      }
      o += n;
    }
  });
  return { value, grad };
}

describe('regularizers: finite differences', () => {
  for (const c of cases) {
    it(c.name, () => {
      const rng = new TestRng(17);
      const rows = 6;
      const x = rng.float32Array(rows * 3, -1, 1);
      const out = c.layers[c.layers.length - 1]!.units;
      const y =
        c.loss === 'binaryCrossentropy' ? rng.float32Array(rows * out, 0, 1) : rng.float32Array(rows * out, -1, 1);
      const count = c.layers.reduce((s, l) => s + l.inputs * l.units + (l.useBias ? l.units : 0), 0);
      const theta = Float32Array.from({ length: count }, (_, i) => {
        if (i % 7 === 0) return 0; // exact zeros (never a whole column: no relu kink)
        const v = rng.uniform(-0.8, 0.8);
        return Math.abs(v) < 0.01 ? 0.05 : v;
      });
      const total = (p: ArrayLike<number>): number =>
        networkLoss(c.layers, unflatten(c.layers, p), c.loss, x, y, rows) + penalty(c.layers, c.regs, p).value;
      const analytic = flatten(gradients(c.layers, unflatten(c.layers, theta), c.loss, x, y, rows).grads).map(
        (g, i) => g + penalty(c.layers, c.regs, theta).grad[i]!,
      );
      const p = Float64Array.from(theta);
      const fd = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const v = p[i]!;
        p[i] = v + FD_STEP;
        const up = total(p);
        p[i] = v - FD_STEP;
        const down = total(p);
        p[i] = v;
        fd[i] = (up - down) / (2 * FD_STEP);
      }
      expectClose(analytic, fd, TOL.finiteDifference, `${c.name}: analytic vs finite differences`);

      // The library (js backend) against the checked float64 gradient.
      const net = new Network({
        inputs: 3,
        layers: c.layers.map(
          (l, i) =>
            new Dense(l.units, {
              activation: l.activation as 'tanh',
              useBias: l.useBias,
              kernelRegularizer: { l1: c.regs[i]!.kernel[0], l2: c.regs[i]!.kernel[1] },
              biasRegularizer: { l1: c.regs[i]!.bias[0], l2: c.regs[i]!.bias[1] },
            }),
        ),
        backend: 'js',
      });
      let o = 0;
      net.setWeights(
        c.layers.map((l) => {
          const kernel = theta.slice(o, o + l.inputs * l.units);
          o += l.inputs * l.units;
          const bias = l.useBias ? theta.slice(o, o + l.units) : null;
          if (l.useBias) o += l.units;
          return { kernel, bias };
        }),
      );
      net.compile({ loss: c.loss, optimizer: 'sgd' });
      const g = net.gradients(x, y).flatMap((w) => [...w.kernel, ...(w.bias ?? [])]);
      expectClose(g, analytic, { rtol: 1e-5, atol: 1e-6 }, `${c.name}: gradients() vs float64`);
      expectClose([net.evaluate(x, y).loss], [total(theta)], { rtol: 1e-6, atol: 1e-7 }, `${c.name}: evaluate`);
    });
  }
});
