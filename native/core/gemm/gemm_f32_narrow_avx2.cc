// gemm_f32_narrow_avx2: sgemm's path for narrow C (the driver picks it for n ≤ 12),
// AVX2+FMA. Contract: gemm.h's, for the whole problem it is handed (the driver hands
// each thread a range of rows), unthreaded; any m, n, k ≥ 1.
//
// Why: the 6×16 kernel vectorises along n, so at n = 10 it computes 16 columns to keep
//   10 (62.5% of its FMA lanes) and packs op(B) into 16-wide panels. This path
//   vectorises along m: a tile is 16 rows × NJ ≤ 6 columns of C, held as 2·NJ
//   accumulators, each 8 consecutive rows of one column. Per k step: 2 loads of
//   op(A)[i0 : i0+16, p], NJ broadcasts of op(B)[p, j], 2·NJ FMAs, so every lane is used
//   when m is a multiple of 16. Columns go in panels of ≤ 12 (one op(A) panel serves
//   them), split into ⌈nc/6⌉ tiles of near-equal width (n = 10: 5 + 5).
// Operands (units: elements):
//   op(A) = Aᵀ (A stored k×m, a[p·lda + i]): read in place, 16 consecutive floats per k
//     step; a last row block shorter than 16 is copied into a zero-padded panel, so
//     nothing past the matrix is read.
//   op(A) = A (a[i·lda + p]): each 16-row block is transposed into a kc × 16 panel
//     (panel[16p + r], 8×8 register transposes) per k block, once for all its columns.
//   op(B) = B (b[p·ldb + j]): broadcast in place.
//   op(B) = Bᵀ (B stored n×k, b[j·ldb + p]): a panel's ≤ 12 rows of B are first copied
//     into a kc × nc row-major block per k block.
// Arithmetic: per element of C, the same as the packed 6×16 path: k in the same blocks
//   of kBlockingAvx2.kc, per block an FMA chain in p order from zero, then finish()
//   (gemm_epilogue_avx2.h) with beta on the first block and 1 after and the epilogue on
//   the last. So C is bit-identical to the packed path, for any tiling or thread split.
// Stores: each 8×8 group of accumulators (columns of C) is transposed to rows in
//   registers, finished as row vectors with C and bias loaded as rows (masked to the
//   tile's columns), and stored 8/4/2/1 floats at a time; rows ≥ m are skipped. C
//   outside the problem's rows and columns is never read or written; beta == 0 never
//   reads C.
// Register budget: 12 accumulators + 2 A vectors + 1 broadcast = 15 of 16 ymm. Per k
//   step NJ broadcasts for 2·NJ FMAs (the 6×16 kernel's 1 : 2), where an 8-row tile would
//   need 1 broadcast per FMA and ran well below peak (bench/README.md, "Measurements
//   behind the kernel choices": narrow path). Two FMA pipes × 4 cycles latency ⇒ ≥ 8 independent
//   chains for peak: NJ ≥ 4 has them; narrower C is latency-bound here as on any path.
// Compiled with -mavx2 -mfma (core_avx2); no std:: templates (see gemm_f32_6x16_avx2.cc).
#include <immintrin.h>

#include <cstdint>
#include <cstdlib>

#include "blocking.h"
#include "gemm_epilogue_avx2.h"
#include "gemm_kernels.h"

namespace densely {
namespace {

constexpr int64_t kKc = kBlockingAvx2.kc;  // k blocks of the packed path (same arithmetic)
constexpr int64_t kRows = 16;              // rows of a tile: 2 vectors of 8
constexpr int64_t kMaxNj = 6;              // columns of a tile: 2 × 6 = 12 accumulators
constexpr int64_t kMaxNc = 12;             // columns per op(A) panel (2 tiles)

inline int64_t min_i64(int64_t a, int64_t b) { return a < b ? a : b; }

// in[j] holds x = 0…7 of row j; out[x] holds j = 0…7: an 8×8 transpose.
inline void transpose8(const __m256 in[8], __m256 out[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(in[0], in[1]), t1 = _mm256_unpackhi_ps(in[0], in[1]);
  const __m256 t2 = _mm256_unpacklo_ps(in[2], in[3]), t3 = _mm256_unpackhi_ps(in[2], in[3]);
  const __m256 t4 = _mm256_unpacklo_ps(in[4], in[5]), t5 = _mm256_unpackhi_ps(in[4], in[5]);
  const __m256 t6 = _mm256_unpacklo_ps(in[6], in[7]), t7 = _mm256_unpackhi_ps(in[6], in[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  out[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  out[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  out[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  out[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  out[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  out[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  out[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  out[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

// Stores lanes 0…w−1 of v (1 ≤ w ≤ 8) and nothing else.
inline void store_first(float* dst, __m256 v, int w) {
  if (w == 8) {
    _mm256_storeu_ps(dst, v);
    return;
  }
  __m128 x = _mm256_castps256_ps128(v);
  if (w >= 4) {
    _mm_storeu_ps(dst, x);
    x = _mm256_extractf128_ps(v, 1);
    dst += 4;
    w -= 4;
  }
  if (w >= 2) {
    _mm_storel_pi(reinterpret_cast<__m64*>(dst), x);
    x = _mm_movehl_ps(x, x);
    dst += 2;
    w -= 2;
  }
  if (w == 1) _mm_store_ss(dst, x);
}

// One tile: rows × NJ of C (rows ≤ 16) at c; a: op(A)[i0 + r, p] at a[p·sa + r], readable
// for all r < 16; b: op(B)[p, j] at b[p·sb + j].
template <int NJ>
void narrow_tile(int64_t kc, const float* a, int64_t sa, const float* b, int64_t sb, float* c,
                 int64_t ldc, int64_t rows, float alpha, float beta, const GemmEpilogue* ep) {
  constexpr int MV = 2;  // vectors of 8 rows
  static_assert(MV * NJ <= 12, "register budget");
  volatile float alpha_mem = alpha, beta_mem = beta;  // as in gemm_f32_6x16_avx2.cc
  __m256 acc[MV * NJ];
#pragma GCC unroll 12
  for (int x = 0; x < MV * NJ; ++x) acc[x] = _mm256_setzero_ps();
  for (int64_t p = 0; p < kc; ++p) {
    const __m256 a0 = _mm256_loadu_ps(a);
    const __m256 a1 = _mm256_loadu_ps(a + 8);
#pragma GCC unroll 12
    for (int j = 0; j < NJ; ++j) {
      const __m256 bj = _mm256_broadcast_ss(b + j);
      acc[j] = _mm256_fmadd_ps(a0, bj, acc[j]);
      acc[NJ + j] = _mm256_fmadd_ps(a1, bj, acc[NJ + j]);
    }
    a += sa;
    b += sb;
  }

  const TileFinish fin(alpha_mem, beta_mem, ep);
  const __m256 zero = _mm256_setzero_ps();
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
#pragma GCC unroll 2
  for (int g = 0; g < NJ; g += 8) {
    const int w = NJ - g < 8 ? NJ - g : 8;
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(w), lane);
    const __m256 biasv = fin.has_bias ? _mm256_maskload_ps(ep->bias + g, mask) : zero;
#pragma GCC unroll 2
    for (int v = 0; v < MV; ++v) {
      __m256 col[8], row[8];
#pragma GCC unroll 8
      for (int jj = 0; jj < 8; ++jj) col[jj] = jj < w ? acc[v * NJ + g + jj] : zero;
      transpose8(col, row);
      const int64_t r_end = min_i64(rows - 8 * v, 8);
#pragma GCC unroll 8
      for (int r = 0; r < 8; ++r) {
        if (r < r_end) {
          float* crow = c + (8 * v + r) * ldc + g;
          __m256 cv = zero;
          if (fin.has_c) cv = w == 8 ? _mm256_loadu_ps(crow) : _mm256_maskload_ps(crow, mask);
          store_first(crow, fin(row[r], cv, biasv), w);
        }
      }
    }
  }
}

using NarrowTile = void (*)(int64_t kc, const float* a, int64_t sa, const float* b, int64_t sb,
                            float* c, int64_t ldc, int64_t rows, float alpha, float beta,
                            const GemmEpilogue* ep);

const NarrowTile kTiles[kMaxNj + 1] = {nullptr,        narrow_tile<1>, narrow_tile<2>,
                                       narrow_tile<3>, narrow_tile<4>, narrow_tile<5>,
                                       narrow_tile<6>};

// op(A)[i0 : i0+rows, p0 : p0+kc] into panel[p·mb + r] (mb ≥ rows, a multiple of 8);
// r ≥ rows zero-filled.
void pack_a_panel(bool trans_a, const float* a, int64_t lda, int64_t i0, int64_t rows, int64_t p0,
                  int64_t kc, int64_t mb, float* panel) {
  if (trans_a) {
    for (int64_t p = 0; p < kc; ++p) {
      const float* src = a + (p0 + p) * lda + i0;
      float* dst = panel + p * mb;
      for (int64_t r = 0; r < mb; ++r) dst[r] = r < rows ? src[r] : 0.0f;
    }
    return;
  }
  for (int64_t r0 = 0; r0 < mb; r0 += 8) {
    const int64_t n_rows = min_i64(8, rows - r0);  // may be ≤ 0: an all-zero half
    const float* src = a + (i0 + r0) * lda + p0;
    int64_t p = 0;
    if (n_rows == 8) {
      for (; p + 8 <= kc; p += 8) {
        __m256 in[8], out[8];
        for (int r = 0; r < 8; ++r) in[r] = _mm256_loadu_ps(src + r * lda + p);
        transpose8(in, out);
        for (int q = 0; q < 8; ++q) _mm256_storeu_ps(panel + (p + q) * mb + r0, out[q]);
      }
    }
    for (; p < kc; ++p) {
      float* dst = panel + p * mb + r0;
      for (int64_t r = 0; r < 8; ++r) dst[r] = r < n_rows ? src[r * lda + p] : 0.0f;
    }
  }
}

}  // namespace

void gemm_f32_narrow_avx2(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                          const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                          float* c, int64_t ldc, const GemmEpilogue& ep) {
#if defined(DENSELY_DEBUG_CHECKS)
  if (m < 1 || n < 1 || k < 1 || ldc < n) std::abort();
#endif
  alignas(32) float apack[kKc * kRows];
  alignas(32) float bpack[kKc * kMaxNc];
  const bool has_ep = ep.kind != Epilogue::kNone;
  const bool has_bias = epilogue_has_bias(ep.kind);
  const int64_t kc_block = gemm_kc_block(kKc, k);
  for (int64_t jc = 0; jc < n; jc += kMaxNc) {
    const int64_t nc = min_i64(kMaxNc, n - jc);
    const int64_t groups = (nc + kMaxNj - 1) / kMaxNj;
    for (int64_t pc = 0; pc < k; pc += kc_block) {
      const int64_t kc = min_i64(kc_block, k - pc);
      const float beta_pc = pc == 0 ? beta : 1.0f;
      const bool last = pc + kc >= k;
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
        const float* ap = apack;
        int64_t sa = kRows;
        if (trans_a && rows == kRows) {
          ap = a + pc * lda + i0;
          sa = lda;
        } else {
          pack_a_panel(trans_a, a, lda, i0, rows, pc, kc, kRows, apack);
        }
        for (int64_t g = 0; g < groups; ++g) {
          const int64_t j0 = nc * g / groups, nj = nc * (g + 1) / groups - j0;
          GemmEpilogue tile_ep = ep;
          if (has_bias) tile_ep.bias = ep.bias + jc + j0;
          kTiles[nj](kc, ap, sa, bp + j0, sb, c + i0 * ldc + jc + j0, ldc, rows, alpha, beta_pc,
                     (last && has_ep) ? &tile_ep : nullptr);
        }
      }
    }
  }
}

}  // namespace densely
