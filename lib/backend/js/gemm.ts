/**
 * `sgemm` of the js backend: row-major BLAS single-precision GEMM in plain TypeScript.
 *
 * ## Kernel contract
 * - Operation: `C[m×n] ← alpha · op(A)[m×k] · op(B)[k×n] + beta · C`.
 *   `op(A) = A` (stored m×k, `lda ≥ k`) or `Aᵀ` (stored k×m, `lda ≥ m`);
 *   `op(B) = B` (stored k×n, `ldb ≥ n`) or `Bᵀ` (stored n×k, `ldb ≥ k`); `ldc ≥ n`.
 *   Every size and leading dimension is in elements. `sgemm`'s matrices start at element 0
 *   of their arrays; `gemmF32` takes element offsets.
 * - `beta = 0` means C is never read (it may hold NaN). `m = 0` or `n = 0` is a no-op.
 *   `k = 0` or `alpha = 0` scales C by beta (A and B are not read).
 * - Arithmetic: products and sums in float64 (JavaScript numbers), one rounding to
 *   float32 per stored element of C. When `k > KC` the reduction is split into blocks of
 *   `KC` and C holds the float32 partial sum between blocks.
 * - Arguments are validated by the caller (`lib/validate.ts`); nothing is re-checked here.
 *
 * ## Loops (BLIS naming)
 * `jc` (NC columns of C) → `pc` (KC of the reduction; pack `B[KC×NC]`) → `ic` (MC rows;
 * pack `A[MC×KC]`) → `jr` (NR = 3 columns) → `ir` (MR = 4 rows) → microkernel
 * `gemmF32Kernel4x3` (m < MR with op(B) = B takes `gemvRowsF32` instead, bit-identical).
 * Packing absorbs the transposes, so all four (transA, transB)
 * combinations run the same kernel over contiguous memory. Full tiles with alpha = 1 and
 * beta ∈ {0, 1} are stored by the kernel itself; edge tiles and general alpha/beta go
 * through a 4×3 float64 tile and {@link writeTile}.
 *
 * Packed layouts (float64 scratch, module-level, grown only, zero padded at the edges):
 * - A block: panels of MR rows; panel `r` holds, for each p in [0, kc), the MR values
 *   `op(A)[ic + r·MR + 0..MR−1, pc + p]` contiguously (offset `r·MR·kc + p·MR`).
 * - B block: panels of NR columns; panel `s` holds, for each p, the NR values
 *   `op(B)[pc + p, jc + s·NR + 0..NR−1]` contiguously (offset `s·NR·kc + p·NR`).
 *
 * ## Why 4×3 and KC = 1024
 * V8 keeps each `let` accumulator in an XMM register as a scalar float64 and has no FMA;
 * x86-64 has 16 XMM registers. 4×3 = 12 accumulators + 4 A values + 3 B values is about
 * the register file (TurboFan still spills ~8 accumulators, as it schedules the 12
 * products before the adds, against ~21 for 4×8). Per k step it issues 7 loads for 12
 * multiply-adds, and every load carries a bounds check and an int32 overflow check on its
 * index; the 2 FP-multiply + 2 FP-add ports alone would allow 6 cycles per step. 4×3
 * measured fastest of 4×3, 4×4 and 4×8 (bench/README.md, "Measurements behind the kernel
 * choices": js tile). KC = 1024 covers the common layer widths (784) in one reduction
 * block, so C is rounded to float32 once, and measured faster than 256; a B micro-panel
 * (1024 × 3 × 8 B = 24 KiB) stays in L1 while the A block (64 × 1024 × 8 B) sits in L2.
 */

/** Microkernel tile rows. */
export const MR = 4;
/** Microkernel tile columns. */
export const NR = 3;
/** Reduction block. */
export const KC = 1024;
/** Row block (multiple of MR). */
export const MC = 64;
/** Column block (multiple of NR). */
export const NC = 384;

/** Microkernel store modes. */
const WRITE = 0;
const ACCUMULATE = 1;
const TILE = 2;

let packA = new Float64Array(0);
let packB = new Float64Array(0);
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
  if (m < MR && !transB) {
    gemvRowsF32(transA, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
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
      const fullMode = alpha !== 1 ? TILE : betaBlock === 0 ? WRITE : betaBlock === 1 ? ACCUMULATE : TILE;
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
            const co = cOff + (ic + ir) * ldc + jc + jr;
            if (mr === MR && nr === NR && fullMode !== TILE) {
              gemmF32Kernel4x3(kc, pa, ir * kc, pb, pbOff, fullMode, c, co, ldc, tile);
            } else {
              gemmF32Kernel4x3(kc, pa, ir * kc, pb, pbOff, TILE, c, co, ldc, tile);
              writeTile(tile, mr, nr, alpha, betaBlock, c, co, ldc);
            }
          }
        }
      }
    }
  }
}

/** Float64 row accumulator of {@link gemvRowsF32} (grown only). */
let rowAcc = new Float64Array(0);

/**
 * Fewer than MR rows with op(B) = B (batch-1 inference): each row of C is accumulated as
 * `acc += a_ip · B[p, :]` over p ascending, in float64, per KC block — the same sums in the
 * same order as the packed kernel, so the result is bit-identical to the packed path, without
 * padding the A panel to MR rows (which would do 4× the work for one row).
 */
function gemvRowsF32(
  transA: boolean,
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
  if (rowAcc.length < n) rowAcc = new Float64Array(n);
  const acc = rowAcc;
  for (let i = 0; i < m; i++) {
    const co = cOff + i * ldc;
    for (let pc = 0; pc < k; pc += KC) {
      const kEnd = Math.min(k, pc + KC);
      acc.fill(0, 0, n);
      for (let p = pc; p < kEnd; p++) {
        const av = transA ? a[aOff + p * lda + i]! : a[aOff + i * lda + p]!;
        const bo = bOff + p * ldb;
        for (let j = 0; j < n; j++) acc[j] += av * b[bo + j]!;
      }
      const betaBlock = pc === 0 ? beta : 1;
      if (betaBlock === 0) {
        if (alpha === 1) for (let j = 0; j < n; j++) c[co + j] = acc[j]!;
        else for (let j = 0; j < n; j++) c[co + j] = alpha * acc[j]!;
      } else if (betaBlock === 1) {
        if (alpha === 1) for (let j = 0; j < n; j++) c[co + j] = c[co + j]! + acc[j]!;
        else for (let j = 0; j < n; j++) c[co + j] = c[co + j]! + alpha * acc[j]!;
      } else {
        for (let j = 0; j < n; j++) c[co + j] = alpha * acc[j]! + betaBlock * c[co + j]!;
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
 * The 4×3 microkernel: `Σ_p ap[ao + p·4 + r] · bp[bo + p·3 + s]` for a packed A panel (4 rows)
 * and a packed B panel (3 columns) over k steps, in 12 float64 accumulators.
 * `mode` WRITE stores the full 4×3 tile into C (`C ← acc`), ACCUMULATE adds it (`C ← C + acc`);
 * TILE stores it into `t` (row-major 4×3) for {@link writeTile}.
 */
function gemmF32Kernel4x3(
  k: number,
  ap: Float64Array,
  ao: number,
  bp: Float64Array,
  bo: number,
  mode: number,
  c: Float32Array,
  co: number,
  ldc: number,
  t: Float64Array,
): void {
  let c00 = 0,
    c01 = 0,
    c02 = 0;
  let c10 = 0,
    c11 = 0,
    c12 = 0;
  let c20 = 0,
    c21 = 0,
    c22 = 0;
  let c30 = 0,
    c31 = 0,
    c32 = 0;
  for (let p = 0; p < k; p++) {
    const a0 = ap[ao]!,
      a1 = ap[ao + 1]!,
      a2 = ap[ao + 2]!,
      a3 = ap[ao + 3]!;
    const b0 = bp[bo]!,
      b1 = bp[bo + 1]!,
      b2 = bp[bo + 2]!;
    c00 += a0 * b0;
    c01 += a0 * b1;
    c02 += a0 * b2;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c12 += a1 * b2;
    c20 += a2 * b0;
    c21 += a2 * b1;
    c22 += a2 * b2;
    c30 += a3 * b0;
    c31 += a3 * b1;
    c32 += a3 * b2;
    ao += 4;
    bo += 3;
  }
  if (mode === WRITE) {
    c[co] = c00;
    c[co + 1] = c01;
    c[co + 2] = c02;
    co += ldc;
    c[co] = c10;
    c[co + 1] = c11;
    c[co + 2] = c12;
    co += ldc;
    c[co] = c20;
    c[co + 1] = c21;
    c[co + 2] = c22;
    co += ldc;
    c[co] = c30;
    c[co + 1] = c31;
    c[co + 2] = c32;
  } else if (mode === ACCUMULATE) {
    c[co] += c00;
    c[co + 1] += c01;
    c[co + 2] += c02;
    co += ldc;
    c[co] += c10;
    c[co + 1] += c11;
    c[co + 2] += c12;
    co += ldc;
    c[co] += c20;
    c[co + 1] += c21;
    c[co + 2] += c22;
    co += ldc;
    c[co] += c30;
    c[co + 1] += c31;
    c[co + 2] += c32;
  } else {
    t[0] = c00;
    t[1] = c01;
    t[2] = c02;
    t[3] = c10;
    t[4] = c11;
    t[5] = c12;
    t[6] = c20;
    t[7] = c21;
    t[8] = c22;
    t[9] = c30;
    t[10] = c31;
    t[11] = c32;
  }
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
