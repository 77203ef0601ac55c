// gemm_f32_narrow_avx512: the avx512 set's path for narrow C (the driver picks it for
// n ≤ 12), in zmm. Contract: gemm.h's, for the whole problem it is handed (the driver
// hands each thread a range of rows), unthreaded; any m, n, k ≥ 1.
//
// Why: the 14×32 kernel vectorises along n, so at n = 10 it fills 10 of a vector's 16
//   lanes, and for op(A) = Aᵀ it must pack all of A. This path vectorises along m: a
//   tile is 16·MV rows (MV = 2, or 1 for a last block of ≤ 16 rows) × all nc ≤ 12
//   columns of a panel, held as MV·nc accumulators, each 16 consecutive rows of one
//   column. Per k step: MV loads of op(A)[i0 : i0+16·MV, p], nc broadcasts of op(B)[p, j],
//   MV·nc FMAs (20 for n = 10: 2 FMA pipes × 4 cycles latency ⇒ ≥ 8 chains; 20 + 2 + 1
//   = 23 of 32 zmm registers).
// Operands (units: elements):
//   op(A) = Aᵀ (A stored k×m, a[p·lda + i]): read in place, 16 consecutive floats per
//     vector; rows past the block's end are masked off (opmask loads neither read nor
//     fault on them), so nothing is packed.
//   op(A) = A (a[i·lda + p]): each 32-row block is transposed into a kc × 32 panel
//     (panel[32p + r], 16×16 register transposes, rows past m zero) per k block, once
//     for all its columns.
//   op(B) = B (b[p·ldb + j]): broadcast in place.
//   op(B) = Bᵀ (B stored n×k, b[j·ldb + p]): a panel's ≤ 12 rows of B are first copied
//     into a kc × nc row-major block per k block.
// Arithmetic: per element of C, the same as the packed 14×32 path: k in the same blocks
//   (gemm_kc_block of kBlockingAvx512.kc), per block an FMA chain in p order from zero,
//   then TileFinish512 (gemm_epilogue_avx512.h) with beta on the first block and 1 after
//   and the epilogue on the last. So C is bit-identical to the packed path, for any
//   tiling or thread split.
// Stores: the accumulators (columns of C) are transposed to rows in registers, 16 × 16
//   per 16 rows (columns ≥ nc are zero vectors), finished as row vectors with C and bias
//   loaded as rows through the column mask, and stored through it; rows ≥ m are skipped.
//   C outside the problem's rows and columns is never read or written; beta == 0 never
//   reads C.
// Compiled with the core_avx512 flags; no std:: templates (see gemm_f32_14x32_avx512.cc).
#include <immintrin.h>

#include <cstdint>
#include <cstdlib>

#include "blocking.h"
#include "gemm_epilogue_avx512.h"
#include "gemm_kernels.h"
#include "transpose_avx512.h"

namespace densely {
namespace {

constexpr int64_t kKc = kBlockingAvx512.kc;  // k blocks of the packed path (same arithmetic)
constexpr int64_t kRows = 32;                // rows of a full tile: 2 vectors of 16
constexpr int kMaxNc = 12;                   // columns per panel (one tile)

inline int64_t min_i64(int64_t a, int64_t b) { return a < b ? a : b; }

inline __mmask16 first_lanes(int64_t n) {
  return n >= 16  ? static_cast<__mmask16>(0xffff)
         : n <= 0 ? static_cast<__mmask16>(0)
                  : static_cast<__mmask16>((1u << n) - 1u);
}

// One tile: rows (≤ 16·MV) × NJ of C at c; a: op(A)[i0 + r, p] at a[p·sa + r], rows
// r < rows readable (masked loads for the rest); b: op(B)[p, j] at b[p·sb + j].
template <int MV, int NJ>
void narrow_tile(int64_t kc, const float* a, int64_t sa, const float* b, int64_t sb, float* c,
                 int64_t ldc, int64_t rows, float alpha, float beta, const GemmEpilogue* ep) {
  static_assert(MV * NJ <= 24, "register budget");
  __m512 acc[MV][NJ];
#pragma GCC unroll 2
  for (int v = 0; v < MV; ++v)
#pragma GCC unroll 12
    for (int j = 0; j < NJ; ++j) acc[v][j] = _mm512_setzero_ps();
  __mmask16 rmask[MV];
#pragma GCC unroll 2
  for (int v = 0; v < MV; ++v) rmask[v] = first_lanes(rows - 16 * v);
  const bool full = rows == 16 * MV;
  if (full) {
    for (int64_t p = 0; p < kc; ++p) {
      __m512 av[MV];
#pragma GCC unroll 2
      for (int v = 0; v < MV; ++v) av[v] = _mm512_loadu_ps(a + 16 * v);
#pragma GCC unroll 12
      for (int j = 0; j < NJ; ++j) {
        const __m512 bj = _mm512_set1_ps(b[j]);
#pragma GCC unroll 2
        for (int v = 0; v < MV; ++v) acc[v][j] = _mm512_fmadd_ps(av[v], bj, acc[v][j]);
      }
      a += sa;
      b += sb;
    }
  } else {
    for (int64_t p = 0; p < kc; ++p) {
      __m512 av[MV];
#pragma GCC unroll 2
      for (int v = 0; v < MV; ++v) av[v] = _mm512_maskz_loadu_ps(rmask[v], a + 16 * v);
#pragma GCC unroll 12
      for (int j = 0; j < NJ; ++j) {
        const __m512 bj = _mm512_set1_ps(b[j]);
#pragma GCC unroll 2
        for (int v = 0; v < MV; ++v) acc[v][j] = _mm512_fmadd_ps(av[v], bj, acc[v][j]);
      }
      a += sa;
      b += sb;
    }
  }

  const TileFinish512 fin(alpha, beta, ep);
  const __m512 zero = _mm512_setzero_ps();
  const __mmask16 cmask = first_lanes(NJ);
  const __m512 biasv = fin.has_bias ? _mm512_maskz_loadu_ps(cmask, ep->bias) : zero;
#pragma GCC unroll 2
  for (int v = 0; v < MV; ++v) {
    __m512 t[16];
#pragma GCC unroll 16
    for (int j = 0; j < 16; ++j) t[j] = j < NJ ? acc[v][j] : zero;
    transpose16(t);
    const int64_t r_end = min_i64(rows - 16 * v, 16);
#pragma GCC unroll 16
    for (int r = 0; r < 16; ++r) {
      if (r < r_end) {
        float* crow = c + (16 * v + r) * ldc;
        const __m512 cv = fin.has_c ? _mm512_maskz_loadu_ps(cmask, crow) : zero;
        _mm512_mask_storeu_ps(crow, cmask, fin(t[r], cv, biasv));
      }
    }
  }
}

using NarrowTile = void (*)(int64_t kc, const float* a, int64_t sa, const float* b, int64_t sb,
                            float* c, int64_t ldc, int64_t rows, float alpha, float beta,
                            const GemmEpilogue* ep);

#define DENSELY_TILES(MV)                                                                    \
  {                                                                                          \
    nullptr, narrow_tile<MV, 1>, narrow_tile<MV, 2>, narrow_tile<MV, 3>, narrow_tile<MV, 4>, \
        narrow_tile<MV, 5>, narrow_tile<MV, 6>, narrow_tile<MV, 7>, narrow_tile<MV, 8>,      \
        narrow_tile<MV, 9>, narrow_tile<MV, 10>, narrow_tile<MV, 11>, narrow_tile<MV, 12>    \
  }
const NarrowTile kTiles[3][kMaxNc + 1] = {{}, DENSELY_TILES(1), DENSELY_TILES(2)};
#undef DENSELY_TILES

// op(A)[i0 : i0+rows, p0 : p0+kc] (A untransposed, a[i·lda + p]) into panel[p·32 + r];
// r ≥ rows zero-filled. Per 16 rows and 16 k steps: 16 row loads (masked to the k left),
// one 16 × 16 register transpose, 16 stores of 16 rows of one k step.
void pack_a_panel(const float* a, int64_t lda, int64_t i0, int64_t rows, int64_t p0, int64_t kc,
                  float* panel) {
  for (int64_t r0 = 0; r0 < kRows; r0 += 16) {
    const int64_t n_rows = rows - r0;  // may be ≤ 0: an all-zero half
    const float* src = a + (i0 + r0) * lda + p0;
    for (int64_t p = 0; p < kc; p += 16) {
      const int64_t steps = min_i64(16, kc - p);
      const __mmask16 pmask = first_lanes(steps);
      __m512 v[16];
#pragma GCC unroll 16
      for (int r = 0; r < 16; ++r)
        v[r] = r < n_rows ? _mm512_maskz_loadu_ps(pmask, src + r * lda + p) : _mm512_setzero_ps();
      transpose16(v);
      for (int q = 0; q < steps; ++q) _mm512_store_ps(panel + (p + q) * kRows + r0, v[q]);
    }
  }
}

}  // namespace

void gemm_f32_narrow_avx512(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                            float alpha, const float* a, int64_t lda, const float* b, int64_t ldb,
                            float beta, float* c, int64_t ldc, const GemmEpilogue& ep) {
#if defined(DENSELY_DEBUG_CHECKS)
  if (m < 1 || n < 1 || k < 1 || ldc < n) std::abort();
#endif
  alignas(64) float apack[kKc * kRows];
  alignas(64) float bpack[kKc * kMaxNc];
  const bool has_ep = ep.kind != Epilogue::kNone;
  const bool has_bias = epilogue_has_bias(ep.kind);
  const int64_t kc_block = gemm_kc_block(kKc, k);
  for (int64_t jc = 0; jc < n; jc += kMaxNc) {
    const int64_t nc = min_i64(kMaxNc, n - jc);
    GemmEpilogue tile_ep = ep;
    if (has_bias) tile_ep.bias = ep.bias + jc;
    for (int64_t pc = 0; pc < k; pc += kc_block) {
      const int64_t kc = min_i64(kc_block, k - pc);
      const float beta_pc = pc == 0 ? beta : 1.0f;
      const GemmEpilogue* ep_ptr = (pc + kc >= k && has_ep) ? &tile_ep : nullptr;
      const float* bp = b + pc * ldb + jc;
      int64_t sb = ldb;
      if (trans_b) {
        for (int64_t j = 0; j < nc; ++j) {
          const float* src = b + (jc + j) * ldb + pc;
          for (int64_t p = 0; p < kc; ++p) bpack[p * nc + j] = src[p];
        }
        bp = bpack;
        sb = nc;
      }
      for (int64_t i0 = 0; i0 < m; i0 += kRows) {
        const int64_t rows = min_i64(kRows, m - i0);
        const float* ap = a + pc * lda + i0;
        int64_t sa = lda;
        if (!trans_a) {
          pack_a_panel(a, lda, i0, rows, pc, kc, apack);
          ap = apack;
          sa = kRows;
        }
        kTiles[rows > 16 ? 2 : 1][nc](kc, ap, sa, bp, sb, c + i0 * ldc + jc, ldc, rows, alpha,
                                      beta_pc, ep_ptr);
      }
    }
  }
}

}  // namespace densely
