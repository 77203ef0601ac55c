/**
 * `densely/kernels`: BLAS-style building blocks, on the native core when the addon
 * loads, else on the js backend. `import { sgemm } from 'densely/kernels'` (also
 * exported from the package root).
 *
 * @module densely/kernels
 */
import { resolveBackend } from './backend/select';
import { describe, expectBoolean, expectInteger, expectNumber, invalid } from './validate';

function expectMatrixArg(
  arr: unknown,
  name: string,
  rows: number,
  cols: number,
  ld: number,
  ldName: string,
): Float32Array {
  if (!(arr instanceof Float32Array)) throw invalid('a Float32Array', name, describe(arr));
  if (ld < Math.max(1, cols))
    throw invalid(`${ldName} ≥ ${Math.max(1, cols)} (the row length of ${name})`, ldName, String(ld), 'range');
  const needed = rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
  if (arr.length < needed) {
    throw invalid(
      `a Float32Array of at least ${needed} elements for [${rows} × ${cols}] with ${ldName} = ${ld}`,
      name,
      `length ${arr.length}`,
      'range',
    );
  }
  return arr;
}

/**
 * Row-major single-precision GEMM: `C ← alpha·op(A)·op(B) + beta·C`, where op(A) is
 * `[m × k]` (A stored `[m × lda]`, or `[k × lda]` when transA) and op(B) is `[k × n]`
 * (B stored `[k × ldb]`, or `[n × ldb]` when transB); C is `[m × ldc]`. With beta = 0,
 * C is only written (it may hold NaN). Synchronous.
 * @throws TypeError/RangeError for a bad dimension, leading dimension or too-short array.
 * @example sgemm(false, false, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2)
 */
export function sgemm(
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
): void {
  expectBoolean(transA, 'transA');
  expectBoolean(transB, 'transB');
  expectInteger(m, 'm', 0);
  expectInteger(n, 'n', 0);
  expectInteger(k, 'k', 0);
  expectNumber(alpha, 'alpha');
  expectNumber(beta, 'beta');
  expectInteger(lda, 'lda', 1);
  expectInteger(ldb, 'ldb', 1);
  expectInteger(ldc, 'ldc', 1);
  expectMatrixArg(a, 'a', transA ? k : m, transA ? m : k, lda, 'lda');
  expectMatrixArg(b, 'b', transB ? n : k, transB ? k : n, ldb, 'ldb');
  expectMatrixArg(c, 'c', m, n, ldc, 'ldc');
  if (m === 0 || n === 0) return;
  resolveBackend('auto').sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
