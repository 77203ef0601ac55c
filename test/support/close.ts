import { expect } from 'vitest';

/** Tolerance for {@link expectClose}: pass iff |got − want| ≤ atol + rtol·|want| for every element. */
export interface Tolerance {
  rtol: number;
  atol: number;
}

type Numeric = ArrayLike<number>;

/**
 * Compare two arrays element-wise. On failure the message names the worst element
 * (largest excess over its allowance), its index (and row/col when `dims` is given),
 * both values, the difference, the allowance and the dims.
 */
export function expectClose(
  got: Numeric,
  want: Numeric,
  tol: Tolerance,
  label: string,
  dims?: readonly [rows: number, cols: number],
): void {
  const shape = dims ? ` [${dims[0]} × ${dims[1]}]` : '';
  if (got.length !== want.length) {
    expect.fail(`${label}${shape}: length ${got.length}, expected ${want.length}`);
  }
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    const allowed = tol.atol + tol.rtol * Math.abs(w);
    const diff = Math.abs(g - w);
    // NaN fails every comparison: treat it as an infinite excess.
    const excess = Number.isNaN(diff) ? Infinity : diff - allowed;
    if (excess > 0 && (worst < 0 || excess > worstExcess)) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    const g = got[worst]!;
    const w = want[worst]!;
    const at = dims ? `index ${worst} (row ${Math.floor(worst / dims[1])}, col ${worst % dims[1]})` : `index ${worst}`;
    expect.fail(
      `${label}${shape}: worst element at ${at}: got ${g}, want ${w}, |diff| ${Math.abs(g - w)} ` +
        `> allowed ${tol.atol + tol.rtol * Math.abs(w)} (rtol ${tol.rtol}, atol ${tol.atol}; ${want.length} elements)`,
    );
  }
}

/** Scalar form of {@link expectClose}. */
export function expectScalarClose(got: number, want: number, tol: Tolerance, label: string): void {
  expectClose([got], [want], tol, label);
}

/** Bit-exact comparison of float32 arrays (NaN payloads aside), reporting the first mismatch. */
export function expectBitExact(got: Float32Array, want: Float32Array, label: string): void {
  if (got.length !== want.length) expect.fail(`${label}: length ${got.length}, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) {
      expect.fail(`${label}: first mismatch at index ${i} of ${want.length}: got ${got[i]}, want ${want[i]}`);
    }
  }
}
