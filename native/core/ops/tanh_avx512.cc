// tanh_f32_avx512: the avx512 set's tanh forward (activations.cc, kTanh), 8 lanes at a
// time in float64, compiled with the core_avx512 flags.
//
// Same formula and edges as the scalar tanhf_fast: for 2^-12 ≤ |z| ≤ 20,
// tanh(z) = (e − 1)/(e + 1) with e = exp(2z) in float64, rounded once to float32; |z| > 20
// gives ±1; |z| < 2^-12, ±0 and NaN give z itself. Only exp differs: instead of eight
// calls into libm, one vector exp for 8 lanes —
//   n = round(x·log2 e), r = x − n·ln2 (two FMA steps with ln2 split hi + lo, so r is
//   exact to ~2^-100 for |x| ≤ 40), exp(r) by its Taylor series to r^12/12! (Estrin's
//   scheme) (|r| ≤ ln2/2 ⇒ the first omitted term r^13/13! < 1.7e-16 relative, under one
//   float64 ulp), e = exp(r)·2^n by vscalefpd (exact).
// The float64 result is within a few float64 ulps of libm's, and float32 rounding hides
// that: test_activations checks it is the correctly rounded float32 tanh on a dense grid,
// as for the scalar path. Each lane gets the same operations wherever it sits (full
// vectors and the masked tail alike), so results do not depend on how a block is split.
// Eight exp calls were ~60% of a 2→8 tanh→1 network's batch-1 forward step.
#include <immintrin.h>

#include <cstdint>

#include "ops/activation_kernels.h"

namespace densely {
namespace {

inline __m512d exp_pd(__m512d x) {
  const __m512d log2e = _mm512_set1_pd(1.4426950408889634074);
  const __m512d ln2_hi = _mm512_set1_pd(0.6931471805599453094);    // ln 2 rounded to double
  const __m512d ln2_lo = _mm512_set1_pd(2.3190468138462996154e-17);  // ln 2 − ln2_hi
  const __m512d n =
      _mm512_roundscale_pd(_mm512_mul_pd(x, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512d r = _mm512_fnmadd_pd(n, ln2_hi, x);
  r = _mm512_fnmadd_pd(n, ln2_lo, r);
  // Estrin's scheme (pairs, then pairs of pairs with r², r⁴, r⁸): 4 dependent FMAs
  // instead of Horner's 12, so the 8 lanes' exp is not one long latency chain.
  const __m512d r2 = _mm512_mul_pd(r, r);
  const __m512d r4 = _mm512_mul_pd(r2, r2);
  const __m512d r8 = _mm512_mul_pd(r4, r4);
  const __m512d q0 = _mm512_fmadd_pd(r, _mm512_set1_pd(1.0), _mm512_set1_pd(1.0));
  const __m512d q1 = _mm512_fmadd_pd(r, _mm512_set1_pd(1.66666666666666666667e-01), _mm512_set1_pd(0.5));
  const __m512d q2 = _mm512_fmadd_pd(r, _mm512_set1_pd(8.33333333333333333333e-03), _mm512_set1_pd(4.16666666666666666667e-02));
  const __m512d q3 = _mm512_fmadd_pd(r, _mm512_set1_pd(1.98412698412698412698e-04), _mm512_set1_pd(1.38888888888888888889e-03));
  const __m512d q4 = _mm512_fmadd_pd(r, _mm512_set1_pd(2.75573192239858906526e-06), _mm512_set1_pd(2.48015873015873015873e-05));
  const __m512d q5 = _mm512_fmadd_pd(r, _mm512_set1_pd(2.50521083854417187751e-08), _mm512_set1_pd(2.75573192239858906526e-07));
  const __m512d c12 = _mm512_set1_pd(2.08767569878680989792e-09);
  const __m512d s0 = _mm512_fmadd_pd(q1, r2, q0);
  const __m512d s1 = _mm512_fmadd_pd(q3, r2, q2);
  const __m512d s2 = _mm512_fmadd_pd(q5, r2, q4);
  const __m512d t0 = _mm512_fmadd_pd(s1, r4, s0);
  const __m512d t1 = _mm512_fmadd_pd(c12, r4, s2);
  const __m512d p = _mm512_fmadd_pd(t1, r8, t0);
  return _mm512_scalef_pd(p, n);
}

// tanh of 8 float32 lanes (see the file comment for the edges).
inline __m256 tanh8(__m256 zf) {
  const __m256 abs = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), zf);
  // Lanes that keep z: tiny (|z| < 2^-12) or NaN (unordered compare is true).
  const __mmask8 keep = _mm256_cmp_ps_mask(abs, _mm256_set1_ps(0.000244140625f), _CMP_NGE_UQ);
  const __mmask8 big = _mm256_cmp_ps_mask(abs, _mm256_set1_ps(20.0f), _CMP_GT_OQ);
  // The formula on every lane, with x clamped so big and NaN lanes compute something finite.
  __m512d x = _mm512_cvtps_pd(_mm256_min_ps(_mm256_max_ps(zf, _mm256_set1_ps(-20.0f)), _mm256_set1_ps(20.0f)));
  x = _mm512_add_pd(x, x);
  const __m512d e = exp_pd(x);
  const __m512d one = _mm512_set1_pd(1.0);
  __m256 t = _mm512_cvtpd_ps(_mm512_div_pd(_mm512_sub_pd(e, one), _mm512_add_pd(e, one)));
  // ±1 with z's sign for |z| > 20, z itself where kept.
  const __m256 sign = _mm256_and_ps(zf, _mm256_set1_ps(-0.0f));
  t = _mm256_mask_blend_ps(big, t, _mm256_or_ps(_mm256_set1_ps(1.0f), sign));
  return _mm256_mask_blend_ps(keep, t, zf);
}

}  // namespace

void tanh_f32_avx512(const float* z, float* a, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(a + i, tanh8(_mm256_loadu_ps(z + i)));
  if (i < n) {
    const __mmask8 lanes = static_cast<__mmask8>((1u << (n - i)) - 1u);
    _mm256_mask_storeu_ps(a + i, lanes, tanh8(_mm256_maskz_loadu_ps(lanes, z + i)));
  }
}

}  // namespace densely
