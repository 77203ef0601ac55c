/**
 * The float64 LayerNorm/BatchNorm reference (test/reference/norm.ts): its closed-form
 * backward against central differences of its forward pass, for every center/scale
 * combination, and the reference against PyTorch's float64 vectors
 * (test/fixtures/norm.json) — so the oracle the backends are held to is itself checked
 * twice.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { normBackward, normForward, type RefNorm } from '../reference/norm';
import { expectClose } from '../support/close';
import { TestRng } from '../support/rng';
import { FD_STEP, TOL } from '../support/tolerances';

function central(f: (v: Float64Array) => number, at: ArrayLike<number>): Float64Array {
  const p = Float64Array.from(at);
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const keep = p[i]!;
    p[i] = keep + FD_STEP;
    const up = f(p);
    p[i] = keep - FD_STEP;
    const down = f(p);
    p[i] = keep;
    out[i] = (up - down) / (2 * FD_STEP);
  }
  return out;
}

describe('norm reference: closed-form backward vs central differences', () => {
  for (const kind of ['layerNorm', 'batchNorm'] as const) {
    for (const [center, scale] of [
      [true, true],
      [true, false],
      [false, true],
      [false, false],
    ] as const) {
      it(`${kind}, center ${center}, scale ${scale}`, () => {
        const rng = new TestRng(kind === 'layerNorm' ? 11 : 12);
        const rows = 5;
        const units = 4;
        const x = Float64Array.from({ length: rows * units }, () => rng.uniform(-2, 2));
        const dy = Float64Array.from({ length: rows * units }, () => rng.uniform(-1, 1));
        const gamma = scale ? Float64Array.from({ length: units }, () => rng.uniform(0.5, 1.5)) : null;
        const beta = center ? Float64Array.from({ length: units }, () => rng.uniform(-0.5, 0.5)) : null;
        const layer = (g: ArrayLike<number> | null, b: ArrayLike<number> | null): RefNorm => ({
          kind,
          rows,
          units,
          epsilon: 1e-3,
          gamma: g,
          beta: b,
        });
        // L = Σ dy·y: its gradient is the backward pass of dy.
        const loss = (y: Float64Array): number => y.reduce((s, v, i) => s + v * dy[i]!, 0);
        const got = normBackward(layer(gamma, beta), x, dy);
        expectClose(
          got.dx,
          central((v) => loss(normForward(layer(gamma, beta), v).y), x),
          TOL.finiteDifference,
          'dx',
        );
        if (gamma)
          expectClose(
            got.dgamma,
            central((v) => loss(normForward(layer(v, beta), x).y), gamma),
            TOL.finiteDifference,
            'dgamma',
          );
        if (beta)
          expectClose(
            got.dbeta,
            central((v) => loss(normForward(layer(gamma, v), x).y), beta),
            TOL.finiteDifference,
            'dbeta',
          );
      });
    }
  }
});

interface LayerCase {
  kind: string;
  rows: number;
  units: number;
  epsilon: number;
  x: number[];
  dy: number[];
  gamma: number[] | null;
  beta: number[] | null;
  y: number[];
  dx: number[];
  dgamma: number[] | null;
  dbeta: number[] | null;
}

describe('norm reference against PyTorch float64 (test/fixtures/norm.json)', () => {
  const cases = (
    JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'norm.json'), 'utf8')) as { layers: LayerCase[] }
  ).layers.filter((c) => c.kind !== 'batchNormEval');
  it(`${cases.length} training-mode cases: y, dx, dgamma, dbeta`, () => {
    for (const c of cases) {
      const l: RefNorm = {
        kind: c.kind === 'layerNorm' ? 'layerNorm' : 'batchNorm',
        rows: c.rows,
        units: c.units,
        epsilon: c.epsilon,
        gamma: c.gamma,
        beta: c.beta,
      };
      const name = `${c.kind} ${c.rows}×${c.units}`;
      // Different formulas in float64 (PyTorch's kernels and this one): a few roundings,
      // amplified by 1/s where a group's variance is small (2 rows).
      const tol = { rtol: 1e-9, atol: 1e-10 };
      expectClose(normForward(l, c.x).y, c.y, tol, `${name} y`);
      const b = normBackward(l, c.x, c.dy);
      expectClose(b.dx, c.dx, tol, `${name} dx`);
      if (c.dgamma) expectClose(b.dgamma, c.dgamma, tol, `${name} dgamma`);
      if (c.dbeta) expectClose(b.dbeta, c.dbeta, tol, `${name} dbeta`);
    }
  });
});
