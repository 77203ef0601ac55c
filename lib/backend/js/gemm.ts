/**
 * `sgemm` of the js backend: row-major BLAS single-precision GEMM in plain TypeScript.
 *
 * ## Kernel contract
 * - Operation: `C[m×n] ← alpha · op(A)[m×k] · op(B)[k×n] + beta · C`.
 *   `op(A) = A` (stored m×k, `lda ≥ k`) or `Aᵀ` (stored k×m, `lda ≥ m`);
 *   `op(B) = B` (stored k×n, `ldb ≥ n`) or `Bᵀ` (stored n×k, `ldb ≥ k`); `ldc ≥ n`.
 *   Every size and leading dimension is in elements. Arrays start at element 0.
 * - `beta = 0` means C is never read (it may hold NaN). `m = 0` or `n = 0` is a no-op.
 *   `k = 0` or `alpha = 0` scales C by beta (A and B are not read).
 * - Arithmetic: products and sums in float64 (JavaScript numbers), one rounding to
 *   float32 per stored element of C. When `k > KC` the reduction is split into blocks of
 *   `KC` and C holds the float32 partial sum between blocks.
 * - Arguments are validated by the caller (`lib/validate.ts`); nothing is re-checked here.
 *
 * ## Loops (BLIS naming)
 * `jc` (NC columns of C) → `pc` (KC of the reduction; pack `B[KC×NC]`) → `ic` (MC rows;
 * pack `A[MC×KC]`) → `jr` (NR = 8 columns) → `ir` (MR = 4 rows) → microkernel
 * `gemmF32Kernel4x8`. Packing absorbs the transposes, so all four (transA, transB)
 * combinations run the same kernel over contiguous memory.
 *
 * Packed layouts (float64 scratch, module-level, grown only, zero padded at the edges):
 * - A block: panels of MR rows; panel `r` holds, for each p in [0, kc), the MR values
 *   `op(A)[ic + r·MR + 0..MR−1, pc + p]` contiguously (offset `r·MR·kc + p·MR`).
 * - B block: panels of NR columns; panel `s` holds, for each p, the NR values
 *   `op(B)[pc + p, jc + s·NR + 0..NR−1]` contiguously (offset `s·NR·kc + p·NR`).
 *
 * ## Why 4×8
 * V8 keeps each accumulator of a local `let` in an XMM register (scalar float64):
 * x86-64 has 16, so 4×8 = 32 accumulators spill a few, yet measured on Zen 3 (Node 20)
 * 4×8 beats 4×4 (16 accumulators + 8 operands also spill) by ~20%: per k step it issues
 * 12 loads for 32 multiply-adds (0.375 loads per FMA-pair against 0.5 for 4×4), and the
 * scalar FP ports (2 mul + 2 add per cycle) are the bound, not the loads. KC = 256 keeps
 * one B micro-panel (256 × 8 × 8 B = 16 KiB) in L1 and the A block (64 × 256 × 8 B =
 * 128 KiB) in L2.
 */

/** Microkernel tile rows. */
export const MR = 4;
/** Microkernel tile columns. */
export const NR = 8;
/** Reduction block. */
export const KC = 256;
/** Row block (multiple of MR). */
export const MC = 64;
/** Column block (multiple of NR). */
export const NC = 512;

let packA = new Float64Array(MC * KC);
let packB = new Float64Array(NC * KC);
/** The MR×NR tile the microkernel writes before the edge-aware write-back. */
const tile = new Float64Array(MR * NR);

/**
 * Row-major sgemm: `C ← alpha·op(A)·op(B) + beta·C` (see the contract at the top of the file).
 *
 * @example
 * // C[2×2] = A[2×3] · B[3×2]
 * sgemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2);
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
  gemmF32(transA, transB, m, n, k, alpha, a, 0, lda, b, 0, ldb, beta, c, 0, ldc);
}

/**
 * {@link sgemm} on matrices that start at element offsets `aOff`, `bOff`, `cOff` of their
 * arrays (the model's weights and gradients live inside one flat array).
 */
export function gemmF32(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  aOff: number,
  lda: number,
  b: Float32Array,
  bOff: number,
  ldb: number,
  beta: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha === 0) {
    scaleC(m, n, beta, c, cOff, ldc);
    return;
  }
  const kcMax = Math.min(k, KC);
  const ncMax = Math.min(roundUp(n, NR), NC);
  const mcMax = Math.min(roundUp(m, MR), MC);
  if (packB.length < kcMax * ncMax) packB = new Float64Array(kcMax * ncMax);
  if (packA.length < kcMax * mcMax) packA = new Float64Array(kcMax * mcMax);
  const pa = packA;
  const pb = packB;

  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      // First reduction block applies the caller's beta; later blocks accumulate.
      const betaBlock = pc === 0 ? beta : 1;
      if (transB) packBTrans(b, bOff, ldb, pc, jc, kc, nc, pb);
      else packBPlain(b, bOff, ldb, pc, jc, kc, nc, pb);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        if (transA) packATrans(a, aOff, lda, ic, pc, mc, kc, pa);
        else packAPlain(a, aOff, lda, ic, pc, mc, kc, pa);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          const pbOff = jr * kc;
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = Math.min(MR, mc - ir);
            gemmF32Kernel4x8(kc, pa, ir * kc, pb, pbOff, tile);
            writeTile(tile, mr, nr, alpha, betaBlock, c, cOff + (ic + ir) * ldc + jc + jr, ldc);
          }
        }
      }
    }
  }
}

function roundUp(x: number, q: number): number {
  return Math.ceil(x / q) * q;
}

/** C ← beta·C over m×n; beta = 0 writes zeros without reading. */
function scaleC(m: number, n: number, beta: number, c: Float32Array, cOff: number, ldc: number): void {
  for (let i = 0; i < m; i++) {
    const row = cOff + i * ldc;
    if (beta === 0) c.fill(0, row, row + n);
    else if (beta !== 1) for (let j = row; j < row + n; j++) c[j] = beta * c[j]!;
  }
}

/** op(A) = A: rows ic.., columns pc.. of A[m×k] into MR-row panels. */
function packAPlain(
  a: Float32Array,
  aOff: number,
  lda: number,
  ic: number,
  pc: number,
  mc: number,
  kc: number,
  out: Float64Array,
): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const base = ir * kc;
    const rows = Math.min(MR, mc - ir);
    for (let r = 0; r < MR; r++) {
      let o = base + r;
      if (r < rows) {
        let src = aOff + (ic + ir + r) * lda + pc;
        for (let p = 0; p < kc; p++, o += MR) out[o] = a[src++]!;
      } else {
        for (let p = 0; p < kc; p++, o += MR) out[o] = 0;
      }
    }
  }
}

/** op(A) = Aᵀ with A stored k×m: element (i, p) is a[p·lda + i]. */
function packATrans(
  a: Float32Array,
  aOff: number,
  lda: number,
  ic: number,
  pc: number,
  mc: number,
  kc: number,
  out: Float64Array,
): void {
  for (let ir = 0; ir < mc; ir += MR) {
    let o = ir * kc;
    const rows = Math.min(MR, mc - ir);
    const col = ic + ir;
    if (rows === MR) {
      for (let p = 0; p < kc; p++, o += MR) {
        const src = aOff + (pc + p) * lda + col;
        out[o] = a[src]!;
        out[o + 1] = a[src + 1]!;
        out[o + 2] = a[src + 2]!;
        out[o + 3] = a[src + 3]!;
      }
    } else {
      for (let p = 0; p < kc; p++, o += MR) {
        const src = aOff + (pc + p) * lda + col;
        for (let r = 0; r < MR; r++) out[o + r] = r < rows ? a[src + r]! : 0;
      }
    }
  }
}

/** op(B) = B: rows pc.., columns jc.. of B[k×n] into NR-column panels. */
function packBPlain(
  b: Float32Array,
  bOff: number,
  ldb: number,
  pc: number,
  jc: number,
  kc: number,
  nc: number,
  out: Float64Array,
): void {
  for (let jr = 0; jr < nc; jr += NR) {
    let o = jr * kc;
    const cols = Math.min(NR, nc - jr);
    const col = jc + jr;
    if (cols === NR) {
      for (let p = 0; p < kc; p++, o += NR) {
        const src = bOff + (pc + p) * ldb + col;
        out[o] = b[src]!;
        out[o + 1] = b[src + 1]!;
        out[o + 2] = b[src + 2]!;
        out[o + 3] = b[src + 3]!;
        out[o + 4] = b[src + 4]!;
        out[o + 5] = b[src + 5]!;
        out[o + 6] = b[src + 6]!;
        out[o + 7] = b[src + 7]!;
      }
    } else {
      for (let p = 0; p < kc; p++, o += NR) {
        const src = bOff + (pc + p) * ldb + col;
        for (let s = 0; s < NR; s++) out[o + s] = s < cols ? b[src + s]! : 0;
      }
    }
  }
}

/** op(B) = Bᵀ with B stored n×k: element (p, j) is b[j·ldb + p]. */
function packBTrans(
  b: Float32Array,
  bOff: number,
  ldb: number,
  pc: number,
  jc: number,
  kc: number,
  nc: number,
  out: Float64Array,
): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const base = jr * kc;
    const cols = Math.min(NR, nc - jr);
    for (let s = 0; s < NR; s++) {
      let o = base + s;
      if (s < cols) {
        let src = bOff + (jc + jr + s) * ldb + pc;
        for (let p = 0; p < kc; p++, o += NR) out[o] = b[src++]!;
      } else {
        for (let p = 0; p < kc; p++, o += NR) out[o] = 0;
      }
    }
  }
}

/**
 * The 4×8 microkernel: `t[r·8 + s] = Σ_p ap[ao + p·4 + r] · bp[bo + p·8 + s]` for a packed
 * A panel (4 rows) and a packed B panel (8 columns), k steps. 32 float64 accumulators.
 */
function gemmF32Kernel4x8(k: number, ap: Float64Array, ao: number, bp: Float64Array, bo: number, t: Float64Array): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c24 = 0, c25 = 0, c26 = 0, c27 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0, c34 = 0, c35 = 0, c36 = 0, c37 = 0;
  for (let p = 0; p < k; p++) {
    const a0 = ap[ao]!, a1 = ap[ao + 1]!, a2 = ap[ao + 2]!, a3 = ap[ao + 3]!;
    let b = bp[bo]!;
    c00 += a0 * b; c10 += a1 * b; c20 += a2 * b; c30 += a3 * b;
    b = bp[bo + 1]!;
    c01 += a0 * b; c11 += a1 * b; c21 += a2 * b; c31 += a3 * b;
    b = bp[bo + 2]!;
    c02 += a0 * b; c12 += a1 * b; c22 += a2 * b; c32 += a3 * b;
    b = bp[bo + 3]!;
    c03 += a0 * b; c13 += a1 * b; c23 += a2 * b; c33 += a3 * b;
    b = bp[bo + 4]!;
    c04 += a0 * b; c14 += a1 * b; c24 += a2 * b; c34 += a3 * b;
    b = bp[bo + 5]!;
    c05 += a0 * b; c15 += a1 * b; c25 += a2 * b; c35 += a3 * b;
    b = bp[bo + 6]!;
    c06 += a0 * b; c16 += a1 * b; c26 += a2 * b; c36 += a3 * b;
    b = bp[bo + 7]!;
    c07 += a0 * b; c17 += a1 * b; c27 += a2 * b; c37 += a3 * b;
    ao += 4;
    bo += 8;
  }
  t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03; t[4] = c04; t[5] = c05; t[6] = c06; t[7] = c07;
  t[8] = c10; t[9] = c11; t[10] = c12; t[11] = c13; t[12] = c14; t[13] = c15; t[14] = c16; t[15] = c17;
  t[16] = c20; t[17] = c21; t[18] = c22; t[19] = c23; t[20] = c24; t[21] = c25; t[22] = c26; t[23] = c27;
  t[24] = c30; t[25] = c31; t[26] = c32; t[27] = c33; t[28] = c34; t[29] = c35; t[30] = c36; t[31] = c37;
}

/** C[mr×nr] at `co` ← alpha·t + beta·C; beta = 0 never reads C. */
function writeTile(
  t: Float64Array,
  mr: number,
  nr: number,
  alpha: number,
  beta: number,
  c: Float32Array,
  co: number,
  ldc: number,
): void {
  for (let r = 0; r < mr; r++) {
    const to = r * NR;
    if (beta === 0) {
      if (alpha === 1) for (let s = 0; s < nr; s++) c[co + s] = t[to + s]!;
      else for (let s = 0; s < nr; s++) c[co + s] = alpha * t[to + s]!;
    } else if (beta === 1) {
      if (alpha === 1) for (let s = 0; s < nr; s++) c[co + s] = c[co + s]! + t[to + s]!;
      else for (let s = 0; s < nr; s++) c[co + s] = c[co + s]! + alpha * t[to + s]!;
    } else {
      for (let s = 0; s < nr; s++) c[co + s] = alpha * t[to + s]! + beta * c[co + s]!;
    }
    co += ldc;
  }
}
