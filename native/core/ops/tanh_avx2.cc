// tanh_avx2: the avx2 set's tanh forward (activations.cc, kTanh), compiled with the
// core_avx2 flags. The computation of activations_avx512.cc's tanh (its comment has the
// formula, the edges and the error bound) in two ymm halves of 4 float64 lanes: exp(2z)
// by n = round(x·log2 e), r = x − n·ln2 (hi + lo), a degree-12 Taylor polynomial in
// Estrin's scheme, and 2^n built in the exponent field ((n + 1023) << 52, exact for the
// |n| ≤ 58 that |2z| ≤ 40 gives) since AVX2 has no vscalefpd. Each lane runs the same
// operations in full vectors and in the tail (done on a zero-padded copy), so bits do
// not depend on where a block is split; test_activations' avx2 leg checks the correctly
// rounded float32 tanh on its dense grid.
#include <immintrin.h>

#include <cstdint>

#include "ops/activation_kernels.h"

namespace densely {
namespace {

inline __m256d exp_pd(__m256d x) {
  const __m256d log2e = _mm256_set1_pd(1.4426950408889634074);
  const __m256d ln2_hi = _mm256_set1_pd(0.6931471805599453094);
  const __m256d ln2_lo = _mm256_set1_pd(2.3190468138462996154e-17);
  const __m256d n =
      _mm256_round_pd(_mm256_mul_pd(x, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256d r = _mm256_fnmadd_pd(n, ln2_hi, x);
  r = _mm256_fnmadd_pd(n, ln2_lo, r);
  // Estrin's scheme (pairs, then pairs of pairs with r², r⁴, r⁸): 4 dependent FMAs
  // instead of Horner's 12, so the 8 lanes' exp is not one long latency chain.
  const __m256d r2 = _mm256_mul_pd(r, r);
  const __m256d r4 = _mm256_mul_pd(r2, r2);
  const __m256d r8 = _mm256_mul_pd(r4, r4);
  const __m256d q0 = _mm256_fmadd_pd(r, _mm256_set1_pd(1.0), _mm256_set1_pd(1.0));
  const __m256d q1 =
      _mm256_fmadd_pd(r, _mm256_set1_pd(1.66666666666666666667e-01), _mm256_set1_pd(0.5));
  const __m256d q2 = _mm256_fmadd_pd(r, _mm256_set1_pd(8.33333333333333333333e-03),
                                     _mm256_set1_pd(4.16666666666666666667e-02));
  const __m256d q3 = _mm256_fmadd_pd(r, _mm256_set1_pd(1.98412698412698412698e-04),
                                     _mm256_set1_pd(1.38888888888888888889e-03));
  const __m256d q4 = _mm256_fmadd_pd(r, _mm256_set1_pd(2.75573192239858906526e-06),
                                     _mm256_set1_pd(2.48015873015873015873e-05));
  const __m256d q5 = _mm256_fmadd_pd(r, _mm256_set1_pd(2.50521083854417187751e-08),
                                     _mm256_set1_pd(2.75573192239858906526e-07));
  const __m256d c12 = _mm256_set1_pd(2.08767569878680989792e-09);
  const __m256d s0 = _mm256_fmadd_pd(q1, r2, q0);
  const __m256d s1 = _mm256_fmadd_pd(q3, r2, q2);
  const __m256d s2 = _mm256_fmadd_pd(q5, r2, q4);
  const __m256d t0 = _mm256_fmadd_pd(s1, r4, s0);
  const __m256d t1 = _mm256_fmadd_pd(c12, r4, s2);
  const __m256d p = _mm256_fmadd_pd(t1, r8, t0);
  const __m256i bits = _mm256_slli_epi64(
      _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_cvtpd_epi32(n)), _mm256_set1_epi64x(1023)), 52);
  return _mm256_mul_pd(p, _mm256_castsi256_pd(bits));
}

inline __m128 tanh4(__m128 zf) {
  const __m128 abs = _mm_andnot_ps(_mm_set1_ps(-0.0f), zf);
  const __m128 keep = _mm_cmp_ps(abs, _mm_set1_ps(0.000244140625f), _CMP_NGE_UQ);  // tiny or NaN
  const __m128 big = _mm_cmp_ps(abs, _mm_set1_ps(20.0f), _CMP_GT_OQ);
  __m256d x = _mm256_cvtps_pd(_mm_min_ps(_mm_max_ps(zf, _mm_set1_ps(-20.0f)), _mm_set1_ps(20.0f)));
  x = _mm256_add_pd(x, x);
  const __m256d e = exp_pd(x);
  const __m256d one = _mm256_set1_pd(1.0);
  __m128 t = _mm256_cvtpd_ps(_mm256_div_pd(_mm256_sub_pd(e, one), _mm256_add_pd(e, one)));
  const __m128 sat = _mm_or_ps(_mm_set1_ps(1.0f), _mm_and_ps(zf, _mm_set1_ps(-0.0f)));
  t = _mm_blendv_ps(t, sat, big);
  return _mm_blendv_ps(t, zf, keep);
}

}  // namespace

void tanh_avx2(const float* z, float* a, int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(a + i, tanh4(_mm_loadu_ps(z + i)));
  if (i < n) {
    float in[4] = {0.0f, 0.0f, 0.0f, 0.0f}, out[4];
    for (int64_t l = 0; l < n - i; ++l) in[l] = z[i + l];
    _mm_storeu_ps(out, tanh4(_mm_loadu_ps(in)));
    for (int64_t l = 0; l < n - i; ++l) a[i + l] = out[l];
  }
}

}  // namespace densely
