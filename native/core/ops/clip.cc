// Gradient clipping by global norm: see clip.h.
#include "clip.h"

#include <cmath>

#include "../runtime/cpu.h"
#include "split.h"

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define DENSELY_CLIP_SSE2 1
#endif

namespace densely {

#if defined(__x86_64__) || defined(_M_X64)
// clip_avx512.cc: the whole-vector part of block_sum, 8 accumulators in one zmm.
int64_t clip_block_sum_avx512(const float* g, int64_t n, float clip, double* acc);
#endif

namespace {

// Accumulator j of a block gets the squares of its elements k ≡ j (mod 8), in order, so
// vector lanes can hold the accumulators: lane j of the SSE2 pair (j / 2) or of the
// AVX-512 register is accumulator j, and every lane adds the same values in the same
// order as the scalar loop (one mul, one add in float64; no FMA), bit for bit.
double block_sum(const float* g, int64_t n, float clip) {
  const float lo = -clip, hi = clip;
  double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
#if defined(__x86_64__) || defined(_M_X64)
  if (active_isa() == Isa::kAvx512) i = clip_block_sum_avx512(g, n, clip, a);
#endif
#ifdef DENSELY_CLIP_SSE2
  if (i == 0 && n >= 8) {
    const __m128 vlo = _mm_set1_ps(lo), vhi = _mm_set1_ps(hi);
    __m128d a01 = _mm_setzero_pd(), a23 = _mm_setzero_pd(), a45 = _mm_setzero_pd(),
            a67 = _mm_setzero_pd();
    for (; i + 8 <= n; i += 8) {
      const __m128 x0 = _mm_min_ps(vhi, _mm_max_ps(vlo, _mm_loadu_ps(g + i)));
      const __m128 x1 = _mm_min_ps(vhi, _mm_max_ps(vlo, _mm_loadu_ps(g + i + 4)));
      const __m128d d01 = _mm_cvtps_pd(x0), d23 = _mm_cvtps_pd(_mm_movehl_ps(x0, x0));
      const __m128d d45 = _mm_cvtps_pd(x1), d67 = _mm_cvtps_pd(_mm_movehl_ps(x1, x1));
      a01 = _mm_add_pd(a01, _mm_mul_pd(d01, d01));
      a23 = _mm_add_pd(a23, _mm_mul_pd(d23, d23));
      a45 = _mm_add_pd(a45, _mm_mul_pd(d45, d45));
      a67 = _mm_add_pd(a67, _mm_mul_pd(d67, d67));
    }
    _mm_storeu_pd(a, a01);
    _mm_storeu_pd(a + 2, a23);
    _mm_storeu_pd(a + 4, a45);
    _mm_storeu_pd(a + 6, a67);
  }
#endif
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) {
      float x = lo > g[i + j] ? lo : g[i + j];
      x = hi < x ? hi : x;
      const double d = x;
      a[j] += d * d;
    }
  }
  for (int j = 0; i < n; ++i, ++j) {
    float x = lo > g[i] ? lo : g[i];
    x = hi < x ? hi : x;
    const double d = x;
    a[j] += d * d;
  }
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

}  // namespace

double clip_sum_squares(const float* g, int64_t n, float clip, double* partials) {
  if (n <= 0) return 0.0;
  const int64_t blocks = clip_norm_blocks(n);
  split_blocks(blocks, 1, kClipNormBlock, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t s = b * kClipNormBlock;
      const int64_t e = n - s < kClipNormBlock ? n : s + kClipNormBlock;
      partials[b] = block_sum(g + s, e - s, clip);
    }
  });
  double sum = 0.0;
  for (int64_t b = 0; b < blocks; ++b) sum += partials[b];
  return sum;
}

float clip_norm_scale(double sum_sq, double max_norm) {
  const double coef = max_norm / (std::sqrt(sum_sq) + 1e-6);
  return coef < 1.0 ? static_cast<float>(coef) : 1.0f;
}

}  // namespace densely
