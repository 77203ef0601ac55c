import { describe, it } from 'vitest';
import { KC, MC, NC, sgemm } from '../../../lib/backend/js/gemm';
import { Rng } from '../../../lib/random';
import { expectClose } from '../../support/close';
import { TOL } from '../../support/tolerances';
import { randomF32 } from './helpers';

/** The contract in float64: C ← alpha·op(A)·op(B) + beta·C, C unread when beta = 0. */
function gemmRef(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  beta: number,
  c: Float32Array,
  ldc: number,
): Float64Array {
  const out = Float64Array.from(c);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[p * lda + i]! : a[i * lda + p]!;
        const bv = transB ? b[j * ldb + p]! : b[p * ldb + j]!;
        s += av * bv;
      }
      const idx = i * ldc + j;
      out[idx] = alpha * s + (beta === 0 ? 0 : beta * c[idx]!);
    }
  }
  return out;
}

interface Case {
  m: number;
  n: number;
  k: number;
  pad: number;
}

function check(rng: Rng, tA: boolean, tB: boolean, { m, n, k, pad }: Case, alpha: number, beta: number): void {
  // Leading dimensions: the row length plus `pad` (primes when pad > 0).
  const lda = (tA ? m : k) + pad;
  const ldb = (tB ? k : n) + pad;
  const ldc = n + pad;
  const a = randomF32(rng, (tA ? k : m) * lda);
  const b = randomF32(rng, (tB ? n : k) * ldb);
  const c = beta === 0 ? new Float32Array(m * ldc).fill(NaN) : randomF32(rng, m * ldc);
  const expected = gemmRef(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  // Padding columns of C are untouched (NaN stays NaN, compare as such).
  const act: number[] = [];
  const exp: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < ldc; j++) {
      const v = c[i * ldc + j]!;
      const e = expected[i * ldc + j]!;
      if (j >= n) {
        if (!Object.is(Math.fround(e), v) && !(Number.isNaN(e) && Number.isNaN(v))) {
          throw new Error(`padding of C changed at [${i}, ${j}]: ${v} (was ${e})`);
        }
        continue;
      }
      act.push(v);
      exp.push(e);
    }
  }
  expectClose(
    act,
    exp,
    TOL.jsSgemm(k, KC, alpha, beta),
    `sgemm(${tA ? 'T' : 'N'}${tB ? 'T' : 'N'}) m=${m} n=${n} k=${k} pad=${pad} alpha=${alpha} beta=${beta}`,
  );
}

const SIZES = [1, 7, 15, 16, 17, 63, 65, 200];

describe('js sgemm vs float64 reference', () => {
  for (const tA of [false, true]) {
    for (const tB of [false, true]) {
      it(`op(A)=${tA ? 'Aᵀ' : 'A'}, op(B)=${tB ? 'Bᵀ' : 'B'}: tile-edge shapes, beta 0 over NaN and beta 1`, () => {
        const rng = new Rng(17 + (tA ? 2 : 0) + (tB ? 1 : 0));
        for (const m of SIZES) {
          for (const n of SIZES) {
            const k = SIZES[(m + 3 * n) % SIZES.length]!;
            check(rng, tA, tB, { m, n, k, pad: 0 }, 1, 0);
            check(rng, tA, tB, { m, n, k, pad: 0 }, 1, 1);
          }
        }
      });

      it(`op(A)=${tA ? 'Aᵀ' : 'A'}, op(B)=${tB ? 'Bᵀ' : 'B'}: every k in SIZES, alpha ≠ 1, general beta, prime padding`, () => {
        const rng = new Rng(91 + (tA ? 2 : 0) + (tB ? 1 : 0));
        for (const k of SIZES) {
          check(rng, tA, tB, { m: 17, n: 15, k, pad: 3 }, -0.75, 0);
          check(rng, tA, tB, { m: 65, n: 63, k, pad: 7 }, 2.5, 0.5);
          check(rng, tA, tB, { m: 7, n: 200, k, pad: 11 }, 0.3, 1);
        }
      });
    }
  }

  it('crosses every block boundary: k > KC, m > MC, n > NC', () => {
    const rng = new Rng(5);
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        check(rng, tA, tB, { m: MC + 5, n: NC + 9, k: KC + 13, pad: 2 }, 1, 0);
        check(rng, tA, tB, { m: MC + 5, n: 9, k: 2 * KC + 1, pad: 0 }, 0.5, -1);
      }
    }
  });

  it('fewer than MR rows (the row-vector path) match float64 and equal the packed path bit for bit', () => {
    const rng = new Rng(8);
    for (const tA of [false, true]) {
      for (const k of [1, 17, 200, KC + 3]) {
        for (const m of [1, 2, 3]) {
          check(rng, tA, false, { m, n: 37, k, pad: 5 }, 1, 0);
          check(rng, tA, false, { m, n: 37, k, pad: 0 }, -2, 0.5);
        }
        // The first m rows of an 8-row product (packed kernel) equal an m-row product.
        const n = 29;
        const lda = tA ? 8 : k;
        const a = randomF32(rng, tA ? k * 8 : 8 * k);
        const b = randomF32(rng, k * n);
        for (const [alpha, beta] of [
          [1, 0],
          [1, 1],
          [0.5, -1],
        ] as const) {
          const c0 = randomF32(rng, 8 * n);
          const c8 = Float32Array.from(c0);
          sgemm(tA, false, 8, n, k, alpha, a, lda, b, n, beta, c8, n);
          for (const m of [1, 2, 3]) {
            const cm = Float32Array.from(c0.subarray(0, m * n));
            // With transA the m-row operand is the first m columns of the stored k×8 A.
            sgemm(tA, false, m, n, k, alpha, a, lda, b, n, beta, cm, n);
            expectClose(
              cm,
              c8.subarray(0, m * n),
              TOL.exact,
              `m=${m} k=${k} transA=${tA} alpha=${alpha} beta=${beta} vs packed`,
            );
          }
        }
      }
    }
  });

  it('k = 0 and alpha = 0 scale C by beta without reading A or B', () => {
    const a = new Float32Array([NaN, NaN, NaN, NaN]);
    const c = new Float32Array([1, 2, 3, 4]);
    sgemm(false, false, 2, 2, 0, 1, a, 1, a, 2, 2, c, 2);
    expectClose(c, [2, 4, 6, 8], TOL.exact, 'k = 0, beta = 2');
    const c0 = new Float32Array(4).fill(NaN);
    sgemm(false, false, 2, 2, 2, 0, a, 2, a, 2, 0, c0, 2);
    expectClose(c0, [0, 0, 0, 0], TOL.exact, 'alpha = 0, beta = 0 over NaN');
  });
});
