import { describe, expect, it } from 'vitest';
import { activationBackward, activationForward, erf } from '../../../lib/backend/js/activations';
import type { ActivationName } from '../../../lib/backend/types';
import { Rng } from '../../../lib/random';
import { activate, erf as erfRef } from '../../reference/activations';
import { expectClose } from '../../support/close';
import { TOL } from '../../support/tolerances';
import { randomF32 } from './helpers';

const ALPHA = 0.2;

/** Element-wise activations in float64: test/reference/activations.ts, one value at a time. */
const F64: Record<Exclude<ActivationName, 'softmax'>, (z: number) => number> = {
  linear: (z) => activate('linear', [z], ALPHA)[0]!,
  relu: (z) => activate('relu', [z], ALPHA)[0]!,
  leakyRelu: (z) => activate('leakyRelu', [z], ALPHA)[0]!,
  sigmoid: (z) => activate('sigmoid', [z], ALPHA)[0]!,
  tanh: (z) => activate('tanh', [z], ALPHA)[0]!,
  gelu: (z) => activate('gelu', [z], ALPHA)[0]!,
  elu: (z) => activate('elu', [z], ALPHA)[0]!,
  selu: (z) => activate('selu', [z], ALPHA)[0]!,
  softplus: (z) => activate('softplus', [z], ALPHA)[0]!,
  silu: (z) => activate('silu', [z], ALPHA)[0]!,
  mish: (z) => activate('mish', [z], ALPHA)[0]!,
  hardSigmoid: (z) => activate('hardSigmoid', [z], ALPHA)[0]!,
  hardSwish: (z) => activate('hardSwish', [z], ALPHA)[0]!,
  relu6: (z) => activate('relu6', [z], ALPHA)[0]!,
};

/** Row softmax of `z[o .. o + n)` in float64 (test/reference/activations.ts). */
function softmax64(z: ArrayLike<number>, o: number, n: number): number[] {
  return Array.from(
    activate(
      'softmax',
      Array.from({ length: n }, (_, j) => z[o + j]!),
      0,
    ),
  );
}

const ROWS = 5;
const UNITS = 9;

/** Pre-activations in [−3, 3] kept ≥ 1e-3 away from the kinks of relu/leakyRelu. */
function inputs(rng: Rng): Float32Array {
  const z = randomF32(rng, ROWS * UNITS, -3, 3);
  for (let i = 0; i < z.length; i++) if (Math.abs(z[i]!) < 1e-3) z[i] = 0.5;
  return z;
}

describe('erf', () => {
  it('matches the float64 reference erf on [−3, 3] within 1e-13', () => {
    const xs: number[] = [];
    const want: number[] = [];
    for (let i = 0; i <= 600; i++) {
      const x = -3 + i / 100;
      xs.push(erf(x));
      want.push(erfRef(x));
    }
    expectClose(xs, want, TOL.erfReference, 'erf vs reference');
  });

  it('is odd, monotone and tends to ±1 beyond the series range', () => {
    let prev = erf(2.4);
    for (let x = 2.41; x < 8; x += 0.01) {
      const v = erf(x);
      expect(v).toBeGreaterThanOrEqual(prev);
      expect(erf(-x)).toBe(-v);
      prev = v;
    }
    expect(erf(6)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erf(0)).toBe(0);
    expect(Number.isNaN(erf(NaN))).toBe(true);
  });

  it('is continuous across the switch from series to continued fraction at 2.5', () => {
    const below = erf(2.5 - 1e-12);
    const at = erf(2.5);
    expect(Math.abs(at - below)).toBeLessThan(1e-14);
  });
});

describe('activation forward vs float64', () => {
  for (const act of Object.keys(F64) as Array<keyof typeof F64>) {
    it(act, () => {
      const z = inputs(new Rng(1));
      const out = new Float32Array(z.length);
      activationForward(act, ALPHA, z, out, ROWS, UNITS);
      const want = Array.from(z, (v) => F64[act](v));
      expectClose(out, want, TOL.fewRoundings, `${act} forward`);
    });
  }

  it('softmax (row-wise, stable for large logits)', () => {
    const z = inputs(new Rng(2));
    z[3] = 80;
    z[UNITS + 1] = -90;
    const out = new Float32Array(z.length);
    activationForward('softmax', 0, z, out, ROWS, UNITS);
    const want: number[] = [];
    for (let r = 0; r < ROWS; r++) want.push(...softmax64(z, r * UNITS, UNITS));
    expectClose(out, want, TOL.softmaxForward, 'softmax forward');
  });
});

describe('activation backward vs central differences in float64', () => {
  const H = 1e-6;
  for (const act of Object.keys(F64) as Array<keyof typeof F64>) {
    it(act, () => {
      const rng = new Rng(3);
      const z = inputs(rng);
      const da = randomF32(rng, z.length);
      const a = new Float32Array(z.length);
      activationForward(act, ALPHA, z, a, ROWS, UNITS);
      const dz = new Float32Array(z.length);
      activationBackward(act, ALPHA, z, a, da, dz, ROWS, UNITS);
      const f = F64[act];
      const want = Array.from(z, (v, i) => (da[i]! * (f(v + H) - f(v - H))) / (2 * H));
      expectClose(dz, want, TOL.activationBackward, `${act} backward`);
    });
  }

  it('softmax: the Jacobian-vector product', () => {
    const rng = new Rng(4);
    const z = inputs(rng);
    const da = randomF32(rng, z.length);
    const a = new Float32Array(z.length);
    activationForward('softmax', 0, z, a, ROWS, UNITS);
    const dz = new Float32Array(z.length);
    activationBackward('softmax', 0, z, a, da, dz, ROWS, UNITS);
    const want: number[] = [];
    for (let r = 0; r < ROWS; r++) {
      const o = r * UNITS;
      const zr = Array.from(z.subarray(o, o + UNITS), Number);
      const dot = (v: number[]): number => softmax64(v, 0, UNITS).reduce((s, p, j) => s + p * da[o + j]!, 0);
      for (let j = 0; j < UNITS; j++) {
        const up = zr.slice();
        const dn = zr.slice();
        up[j]! += H;
        dn[j]! -= H;
        want.push((dot(up) - dot(dn)) / (2 * H));
      }
    }
    expectClose(dz, want, TOL.activationBackward, 'softmax backward');
  });

  it('backward may run in place (dz aliases da)', () => {
    const rng = new Rng(5);
    for (const act of ['relu', 'gelu', 'softmax'] as const) {
      const z = inputs(rng);
      const da = randomF32(rng, z.length);
      const a = new Float32Array(z.length);
      activationForward(act, ALPHA, z, a, ROWS, UNITS);
      const separate = new Float32Array(z.length);
      activationBackward(act, ALPHA, z, a, da, separate, ROWS, UNITS);
      activationBackward(act, ALPHA, z, a, da, da, ROWS, UNITS);
      expectClose(da, separate, TOL.exact, `${act} in place`);
    }
  });

  it('relu and leakyRelu propagate NaN', () => {
    const z = new Float32Array([NaN, -0]);
    const out = new Float32Array(2);
    activationForward('relu', ALPHA, z, out, 1, 2);
    expect(Number.isNaN(out[0])).toBe(true);
    expect(Object.is(out[1], 0)).toBe(true);
    activationForward('leakyRelu', ALPHA, z, out, 1, 2);
    expect(Number.isNaN(out[0])).toBe(true);
  });

  it('derivatives at the kink: relu′(0) = 0, leakyRelu′(0) = alpha', () => {
    const z = new Float32Array([0, 0]);
    const da = new Float32Array([1, 1]);
    const dz = new Float32Array(2);
    activationBackward('relu', ALPHA, z, z, da, dz, 1, 2);
    expectClose(dz, [0, 0], TOL.exact, 'relu′(0)');
    activationBackward('leakyRelu', ALPHA, z, z, da, dz, 1, 2);
    expectClose(dz, [Math.fround(ALPHA), Math.fround(ALPHA)], TOL.exact, 'leakyRelu′(0)');
  });
});
