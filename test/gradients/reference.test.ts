/**
 * Central finite differences, in float64, on the reference implementation
 * (test/reference/): every activation, every loss, and the full network grid of
 * activation × loss × bias. If the reference is right here, the parity tests can
 * trust it as the oracle for the backends.
 */
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, activate, activationBackward, erf } from '../reference/activations';
import { fusedOutputGradient, LOSSES, lossGradient, lossValue, oneHot } from '../reference/losses';
import { flatten, forward, gradients, networkLoss, unflatten } from '../reference/network';
import { expectClose } from '../support/close';
import { gradientGrid } from '../support/grid';
import { TestRng } from '../support/rng';
import { DIGITS, FD_STEP, TOL } from '../support/tolerances';

/** Central difference of f at x along every coordinate. */
function numericGradient(f: (x: Float64Array) => number, x: ArrayLike<number>, h = FD_STEP): Float64Array {
  const p = Float64Array.from(x);
  const g = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!;
    p[i] = v + h;
    const up = f(p);
    p[i] = v - h;
    const down = f(p);
    p[i] = v;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

describe('reference erf', () => {
  // erf at these points, from standard tables (Abramowitz & Stegun Table 7.1, to 16 digits).
  const table: Array<[number, number]> = [
    [0, 0],
    [0.1, 0.1124629160182849],
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [1.5, 0.9661051464753108],
    [2, 0.9953222650189527],
    [2.5, 0.999593047982555],
    [3, 0.9999779095030014],
    [4, 0.9999999845827421],
  ];
  it('matches tabulated values (odd function)', () => {
    expectClose(
      table.map(([x]) => erf(x)),
      table.map(([, v]) => v),
      TOL.float64,
      'erf(x)',
    );
    expectClose(
      table.map(([x]) => erf(-x)),
      table.map(([, v]) => -v),
      TOL.float64,
      'erf(-x)',
    );
  });
});

describe('reference activations: analytic VJP vs central differences', () => {
  const rng = new TestRng(7);
  for (const act of ACTIVATIONS) {
    it(act, () => {
      const n = 5;
      for (let trial = 0; trial < 4; trial++) {
        // Stay ≥ 0.05 away from the relu/leakyRelu kink; span the saturating ranges too.
        const z = Float64Array.from({ length: n }, () => rng.sign() * rng.uniform(0.05, 3));
        const da = Float64Array.from({ length: n }, () => rng.uniform(-1, 1));
        // L(z) = Σ da · act(z) has gradient Jᵀ·da.
        const f = (zz: Float64Array): number => activate(act, zz, 0.1).reduce((s, a, i) => s + a * da[i]!, 0);
        const analytic = activationBackward(act, z, activate(act, z, 0.1), da, 0.1);
        expectClose(analytic, numericGradient(f, z), TOL.finiteDifference, `${act} VJP at z=${Array.from(z)}`);
      }
    });
  }

  it('kinks use relu′(0) = 0 and leakyRelu′(0) = alpha', () => {
    const z = [0, 0];
    const da = [1, -2];
    expect(Array.from(activationBackward('relu', z, activate('relu', z, 0.1), da, 0.1))).toEqual([0, 0]);
    expect(Array.from(activationBackward('leakyRelu', z, activate('leakyRelu', z, 0.1), da, 0.1))).toEqual([0.1, -0.2]);
  });
});

describe('reference losses: analytic ∂L/∂ŷ vs central differences', () => {
  const rng = new TestRng(11);
  const rows = 3;
  const outputs = 4;
  for (const loss of LOSSES) {
    it(loss, () => {
      const n = rows * outputs;
      let yhat: Float64Array;
      let y: Float64Array;
      if (loss === 'mse') {
        yhat = rng.uniformArray(n, -2, 2);
        y = rng.uniformArray(n, -2, 2);
      } else if (loss === 'mae') {
        yhat = rng.uniformArray(n, -2, 2);
        y = Float64Array.from(yhat, (v) => v + rng.sign() * rng.uniform(0.1, 1));
      } else {
        yhat = rng.uniformArray(n, 0.05, 0.95);
        if (loss === 'binaryCrossentropy') y = rng.uniformArray(n, 0, 1);
        else if (loss === 'categoricalCrossentropy') {
          y = new Float64Array(n);
          for (let r = 0; r < rows; r++) y.set(rng.distribution(outputs), r * outputs);
        } else y = Float64Array.from({ length: rows }, () => rng.int(outputs));
      }
      const f = (p: Float64Array): number => lossValue(loss, p, y, rows, outputs);
      expectClose(lossGradient(loss, yhat, y, rows, outputs), numericGradient(f, yhat), TOL.finiteDifference, loss, [
        rows,
        outputs,
      ]);
    });
  }

  it('clip: the gradient is 0 outside [lo, hi] and the loss is finite at 0 and 1', () => {
    const yhat = [0, 1, 0.5];
    const y = [1, 0, 1];
    expect(Number.isFinite(lossValue('binaryCrossentropy', yhat, y, 1, 3))).toBe(true);
    const g = lossGradient('binaryCrossentropy', [-0.1, 1.1, 0.5], y, 1, 3);
    expect(g[0]).toBe(0);
    expect(g[1]).toBe(0);
    expect(g[2]).not.toBe(0);
    expect(lossValue('categoricalCrossentropy', [0, 1], [1, 0], 1, 2)).toBeCloseTo(-Math.log(1e-7), DIGITS.clippedLog);
  });

  it('sparse CE equals categorical CE on one-hot targets', () => {
    const yhat = [0.2, 0.5, 0.3, 0.1, 0.1, 0.8];
    const idx = [1, 2];
    expect(lossValue('sparseCategoricalCrossentropy', yhat, idx, 2, 3)).toBe(
      lossValue('categoricalCrossentropy', yhat, oneHot(idx, 2, 3), 2, 3),
    );
    expect(lossValue('sparseCategoricalCrossentropy', yhat, idx, 2, 3)).toBeCloseTo(
      -(Math.log(0.5) + Math.log(0.8)) / 2,
      DIGITS.closedForm,
    );
  });
});

describe('reference network gradients vs central differences (activation × loss × bias)', () => {
  for (const c of gradientGrid()) {
    it(c.name, () => {
      const theta = flatten(c.params);
      const f = (p: Float64Array): number => networkLoss(c.layers, unflatten(c.layers, p), c.loss, c.x, c.y, c.rows);
      const numeric = numericGradient(f, theta);
      const chained = gradients(c.layers, c.params, c.loss, c.x, c.y, c.rows);
      expect(chained.loss).toBe(f(theta));
      expectClose(flatten(chained.grads), numeric, TOL.finiteDifference, `${c.name}: chained gradient`);
      // API.md's fused output gradient equals the true one away from the clip.
      const fused = gradients(c.layers, c.params, c.loss, c.x, c.y, c.rows, { fused: true });
      expectClose(flatten(fused.grads), numeric, TOL.finiteDifference, `${c.name}: fused gradient`);
    });
  }

  it('with fixed dropout masks after the hidden layer', () => {
    const rng = new TestRng(21);
    for (const c of gradientGrid()
      .filter((g) => g.useBias && g.loss !== 'mae')
      .slice(0, 12)) {
      const hidden = c.layers[0]!.units;
      const masks = [Float64Array.from({ length: c.rows * hidden }, () => (rng.uniform() < 0.3 ? 0 : 1 / 0.7)), null];
      const theta = flatten(c.params);
      const f = (p: Float64Array): number =>
        lossValue(
          c.loss,
          forward(c.layers, unflatten(c.layers, p), c.x, c.rows, masks).a[2]!,
          c.y,
          c.rows,
          c.layers[1]!.units,
        );
      const analytic = gradients(c.layers, c.params, c.loss, c.x, c.y, c.rows, { masks });
      expect(analytic.loss).toBe(f(theta));
      expectClose(
        flatten(analytic.grads),
        numericGradient(f, theta),
        TOL.finiteDifference,
        `${c.name} with dropout masks`,
      );
      // A dropped unit passes no gradient to its incoming weights.
      const dropped = masks[0]!.indexOf(0);
      const unit = dropped % hidden;
      if (masks[0]!.every((m, i) => i % hidden !== unit || m === 0)) {
        for (let i = 0; i < c.inputs; i++) expect(analytic.grads[0]!.kernel[i * hidden + unit]).toBe(0);
      }
    }
  });

  it('the fused forms are exactly (ŷ − y)/rows and (ŷ − y)/(rows × outputs)', () => {
    const z = [0.3, -0.2, 0.9];
    const p = activate('softmax', z, 0);
    const y = [0.2, 0.3, 0.5];
    const viaChain = activationBackward('softmax', z, p, lossGradient('categoricalCrossentropy', p, y, 1, 3), 0);
    expectClose(
      fusedOutputGradient('softmax', 'categoricalCrossentropy', p, y, 1, 3)!,
      viaChain,
      TOL.float64,
      'softmax+CE',
    );
    const s = activate('sigmoid', z, 0);
    const viaChainB = activationBackward('sigmoid', z, s, lossGradient('binaryCrossentropy', s, y, 1, 3), 0);
    expectClose(
      fusedOutputGradient('sigmoid', 'binaryCrossentropy', s, y, 1, 3)!,
      viaChainB,
      TOL.float64,
      'sigmoid+BCE',
    );
    expect(fusedOutputGradient('tanh', 'mse', s, y, 1, 3)).toBeNull();
  });

  it('the checker is sharp: a gradient off by 1% in one element fails', () => {
    const c = gradientGrid()[0]!;
    const theta = flatten(c.params);
    const f = (p: Float64Array): number => networkLoss(c.layers, unflatten(c.layers, p), c.loss, c.x, c.y, c.rows);
    const wrong = flatten(gradients(c.layers, c.params, c.loss, c.x, c.y, c.rows).grads);
    let k = 0;
    for (let i = 1; i < wrong.length; i++) if (Math.abs(wrong[i]!) > Math.abs(wrong[k]!)) k = i;
    wrong[k]! *= 1.01;
    expect(() => expectClose(wrong, numericGradient(f, theta), TOL.finiteDifference, 'perturbed')).toThrow(
      /worst element at index \d+/,
    );
  });
});
