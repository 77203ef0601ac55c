// pack_a_f32_avx512 / pack_b_f32_avx512: the avx512 set's packing, for its 14×32 tile
// only (mr = 14, nr = 32). Same contract and layouts as pack_a_f32 / pack_b_f32
// (gemm_kernels.h): a block of op(A) into ⌈mc/14⌉ micro-panels of kc × 14, element (i, p)
// at [14p + i]; a block of op(B) into ⌈nc/32⌉ micro-panels of kc × 32, element (p, j) at
// [32p + j]; rows of A past mc and columns of B past nc are zeros. Units are elements.
//
// Why: the baseline routines move 4 floats at a time (SSE2 4 × 4 transposes, and 14 rows
//   are 3 groups of 4 plus 2 rows copied one float at a time). Here:
//   A untransposed (a[i·lda + p]) and B transposed (b[j·ldb + p]): 16 k steps of up to 16
//     source rows are loaded as 16 zmm and turned by one 16 × 16 register transpose
//     (transpose_avx512.h; missing rows are zero vectors) into 16 output rows, each
//     stored with the panel's width through an opmask.
//   A transposed (a[p·lda + i]): one 14-lane masked load and store per k step.
//   B untransposed (b[p·ldb + j]): two zmm per k step and panel, panels in groups of 8
//     per source row, rows prefetched ahead (pack_f32.cc has the reasons and numbers).
// They take 3–4% off sgemm's time on the packing-bound shapes and change the others
// within noise (bench/README.md, "Measurements behind the kernel choices": avx512 packing).
// Compiled with the core_avx512 flags; no std:: templates.
#include <immintrin.h>

#include <cstdint>
#include <cstdlib>

#include "gemm_kernels.h"
#include "transpose_avx512.h"

namespace densely {
namespace {

constexpr int kMr = 14;
constexpr int kNr = 32;

inline __mmask16 first_lanes(int64_t n) {
  return n >= 16  ? static_cast<__mmask16>(0xffff)
         : n <= 0 ? static_cast<__mmask16>(0)
                  : static_cast<__mmask16>((1u << n) - 1u);
}

// Interleaves `rows` ≤ 16 source rows (row r at src + r·ld, kc elements each) into
// out[p·W + r0 + r] for r < rows, and zeros for rows ≤ r < width (width ≤ 16, the lanes of
// the panel this call fills; r0 + width ≤ W).
template <int W>
void interleave16(const float* src, int64_t ld, int64_t rows, int64_t kc, int64_t width,
                  float* out) {
  const __mmask16 wmask = first_lanes(width);
  int64_t p = 0;
  for (; p + 16 <= kc; p += 16) {
    __m512 v[16];
#pragma GCC unroll 16
    for (int r = 0; r < 16; ++r)
      v[r] = r < rows ? _mm512_loadu_ps(src + r * ld + p) : _mm512_setzero_ps();
    transpose16(v);
#pragma GCC unroll 16
    for (int q = 0; q < 16; ++q) _mm512_mask_storeu_ps(out + (p + q) * W, wmask, v[q]);
  }
  if (p < kc) {
    const __mmask16 pmask = first_lanes(kc - p);
    __m512 v[16];
#pragma GCC unroll 16
    for (int r = 0; r < 16; ++r)
      v[r] = r < rows ? _mm512_maskz_loadu_ps(pmask, src + r * ld + p) : _mm512_setzero_ps();
    transpose16(v);
    for (int q = 0; q < kc - p; ++q) _mm512_mask_storeu_ps(out + (p + q) * W, wmask, v[q]);
  }
}

}  // namespace

void pack_a_f32_avx512(bool trans_a, const float* a, int64_t lda, int64_t i0, int64_t mc,
                       int64_t p0, int64_t kc, int mr, float* out) {
#if defined(DENSELY_DEBUG_CHECKS)
  if (mr != kMr) std::abort();
#endif
  (void)mr;
  for (int64_t q = 0; q < mc; q += kMr) {
    const int64_t rows = mc - q < kMr ? mc - q : kMr;
    if (!trans_a) {
      interleave16<kMr>(a + (i0 + q) * lda + p0, lda, rows, kc, kMr, out);
    } else {
      const float* src = a + p0 * lda + i0 + q;
      const __mmask16 m = first_lanes(rows), w = first_lanes(kMr);
      for (int64_t p = 0; p < kc; ++p)
        _mm512_mask_storeu_ps(out + p * kMr, w, _mm512_maskz_loadu_ps(m, src + p * lda));
    }
    out += kMr * kc;
  }
}

void pack_b_f32_avx512(bool trans_b, const float* b, int64_t ldb, int64_t p0, int64_t kc,
                       int64_t j0, int64_t nc, int nr, float* out) {
#if defined(DENSELY_DEBUG_CHECKS)
  if (nr != kNr) std::abort();
#endif
  (void)nr;
  if (trans_b) {
    for (int64_t q = 0; q < nc; q += kNr) {
      const int64_t cols = nc - q < kNr ? nc - q : kNr;
      const float* src = b + (j0 + q) * ldb + p0;
      interleave16<kNr>(src, ldb, cols < 16 ? cols : 16, kc, 16, out);
      interleave16<kNr>(src + 16 * ldb, ldb, cols - 16, kc, 16, out + 16);
      out += kNr * kc;
    }
    return;
  }
  constexpr int64_t kGroup = 8;
  constexpr int64_t kPrefetchRows = 8;
  const int64_t panels = (nc + kNr - 1) / kNr;
  for (int64_t q0 = 0; q0 < panels; q0 += kGroup) {
    const int64_t q1 = panels - q0 < kGroup ? panels : q0 + kGroup;
    for (int64_t p = 0; p < kc; ++p) {
      const float* src = b + (p0 + p) * ldb + j0;
      if (p + kPrefetchRows < kc) {
        const float* ahead = src + kPrefetchRows * ldb;
        for (int64_t q = q0; q < q1; ++q)
          _mm_prefetch(reinterpret_cast<const char*>(ahead + q * kNr), _MM_HINT_T0);
      }
      for (int64_t q = q0; q < q1; ++q) {
        const int64_t left = nc - q * kNr;
        float* dst = out + q * kNr * kc + p * kNr;
        if (left >= kNr) {
          _mm512_store_ps(dst, _mm512_loadu_ps(src + q * kNr));
          _mm512_store_ps(dst + 16, _mm512_loadu_ps(src + q * kNr + 16));
        } else {
          _mm512_store_ps(dst, _mm512_maskz_loadu_ps(first_lanes(left), src + q * kNr));
          _mm512_store_ps(dst + 16,
                          _mm512_maskz_loadu_ps(first_lanes(left - 16), src + q * kNr + 16));
        }
      }
    }
  }
}

}  // namespace densely
