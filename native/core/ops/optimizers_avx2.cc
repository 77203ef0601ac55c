// AVX (256-bit) bodies of adam and rmsprop: see optimizers_simd.h. Compiled with the
// avx2 flags (sources.json core_avx2). Division and square root are the bottleneck of
// these loops (the SSE2 body waits on divps); 8 lanes per instruction halve the
// instruction count. No FMA: this file is compiled with -mfma (the avx2 group's flags),
// and GCC contracts a mul intrinsic feeding an add intrinsic into vfmadd even under
// -std=c++17 (its ISO-mode default of no contraction applies to C only), which changes
// the rounding. Contraction is switched off for this file; test_optimizers checks the
// bits against the baseline loop on every ISA.
// The same bodies serve the in-place update and the out-of-place one of the guarded
// training steps (optimizers.h optimizer_update_to): each iteration loads its 8
// elements before storing their new values and touches no other elements, so an
// output array may be its input array.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif
#include <immintrin.h>

#include <cstdint>
#include <limits>

#include "optimizers_simd.h"

namespace densely {
namespace {

// Lanes of v that are ±inf or NaN: |v| not less than +inf (unordered counts as true).
inline __m256 nonfinite_lanes(__m256 v) {
  const __m256 abs = _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)));
  return _mm256_cmp_ps(abs, _mm256_set1_ps(std::numeric_limits<float>::infinity()), _CMP_NLT_UQ);
}

// optimizers.cc clipg on 8 lanes: max(lo, g), then min(hi, ·) (a NaN g passes), × s.
inline __m256 clip_lanes(__m256 g, __m256 lo, __m256 hi, __m256 s) {
  return _mm256_mul_ps(_mm256_min_ps(hi, _mm256_max_ps(lo, g)), s);
}

}  // namespace

int64_t adam_avx2(const OptimizerStep& k, bool decoupled, const float* th, const float* gr,
                  const float* m, const float* v, int64_t n, float* tho, float* mo, float* vo,
                  bool* nonfinite) {
  const __m256 vb1 = _mm256_set1_ps(k.b1), vb2 = _mm256_set1_ps(k.b2), vob1 = _mm256_set1_ps(k.ob1),
               vob2 = _mm256_set1_ps(k.ob2), vlr = _mm256_set1_ps(k.lr_c1),
               vc2 = _mm256_set1_ps(k.c2), veps = _mm256_set1_ps(k.eps),
               vwd = _mm256_set1_ps(decoupled ? 0.0f : k.wd),
               vdecay = _mm256_set1_ps(decoupled ? k.decay : 1.0f);
  const __m256 vlo = _mm256_set1_ps(-k.clip), vhi = _mm256_set1_ps(k.clip),
               vgs = _mm256_set1_ps(k.gscale);
  int64_t i = 0;
  __m256 bad = _mm256_setzero_ps();
  for (; i + 8 <= n; i += 8) {
    const __m256 th0 = _mm256_loadu_ps(th + i), m0 = _mm256_loadu_ps(m + i),
                 v0 = _mm256_loadu_ps(v + i);
    const __m256 t0 = _mm256_mul_ps(th0, vdecay);
    const __m256 g =
        _mm256_add_ps(clip_lanes(_mm256_loadu_ps(gr + i), vlo, vhi, vgs), _mm256_mul_ps(vwd, t0));
    const __m256 mi = _mm256_add_ps(_mm256_mul_ps(vb1, m0), _mm256_mul_ps(vob1, g));
    const __m256 vi =
        _mm256_add_ps(_mm256_mul_ps(vb2, v0), _mm256_mul_ps(vob2, _mm256_mul_ps(g, g)));
    _mm256_storeu_ps(mo + i, mi);
    _mm256_storeu_ps(vo + i, vi);
    const __m256 den = _mm256_add_ps(_mm256_sqrt_ps(_mm256_mul_ps(vi, vc2)), veps);
    const __m256 t1 = _mm256_sub_ps(t0, _mm256_div_ps(_mm256_mul_ps(vlr, mi), den));
    _mm256_storeu_ps(tho + i, t1);
    bad = _mm256_or_ps(bad, nonfinite_lanes(t1));
  }
  if (_mm256_movemask_ps(bad) != 0) *nonfinite = true;
  return i;
}

int64_t rmsprop_avx2(const OptimizerStep& k, const float* th, const float* gr, const float* v,
                     const float* b, int64_t n, float* tho, float* vo, float* bo, bool* nonfinite) {
  const __m256 vrho = _mm256_set1_ps(k.rho), vorho = _mm256_set1_ps(k.orho),
               veps = _mm256_set1_ps(k.eps), vlr = _mm256_set1_ps(k.lr), vwd = _mm256_set1_ps(k.wd),
               vmu = _mm256_set1_ps(k.mu);
  const __m256 vlo = _mm256_set1_ps(-k.clip), vhi = _mm256_set1_ps(k.clip),
               vgs = _mm256_set1_ps(k.gscale);
  int64_t i = 0;
  __m256 bad = _mm256_setzero_ps();
  for (; i + 8 <= n; i += 8) {
    const __m256 t = _mm256_loadu_ps(th + i), v0 = _mm256_loadu_ps(v + i);
    const __m256 g =
        _mm256_add_ps(clip_lanes(_mm256_loadu_ps(gr + i), vlo, vhi, vgs), _mm256_mul_ps(vwd, t));
    const __m256 vi =
        _mm256_add_ps(_mm256_mul_ps(vrho, v0), _mm256_mul_ps(vorho, _mm256_mul_ps(g, g)));
    _mm256_storeu_ps(vo + i, vi);
    const __m256 q = _mm256_div_ps(g, _mm256_add_ps(_mm256_sqrt_ps(vi), veps));
    __m256 t1;
    if (b == nullptr) {
      t1 = _mm256_sub_ps(t, _mm256_mul_ps(vlr, q));
    } else {
      const __m256 bi = _mm256_add_ps(_mm256_mul_ps(vmu, _mm256_loadu_ps(b + i)), q);
      _mm256_storeu_ps(bo + i, bi);
      t1 = _mm256_sub_ps(t, _mm256_mul_ps(vlr, bi));
    }
    _mm256_storeu_ps(tho + i, t1);
    bad = _mm256_or_ps(bad, nonfinite_lanes(t1));
  }
  if (_mm256_movemask_ps(bad) != 0) *nonfinite = true;
  return i;
}

}  // namespace densely
