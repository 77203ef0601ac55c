// AVX-512 body of clip.cc's block sum (compiled with the avx512 flags, sources.json
// core_avx512): lane j of one zmm of doubles is accumulator j, fed the square of element
// k ≡ j (mod 8) of the block, in order — the scalar loop's additions exactly. Contraction
// is off for this file (its group turns it on): a fused multiply-add would round once
// where the scalar loop rounds twice.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#include <immintrin.h>

#include <cstdint>

namespace densely {

// Adds the squares of the clamped g[0 .. 8·⌊n/8⌋) into acc[0..8) (initially zero) and
// returns how many elements it did.
int64_t clip_block_sum_avx512(const float* g, int64_t n, float clip, double* acc) {
  const __m256 lo = _mm256_set1_ps(-clip), hi = _mm256_set1_ps(clip);
  __m512d a = _mm512_setzero_pd();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 x = _mm256_min_ps(hi, _mm256_max_ps(lo, _mm256_loadu_ps(g + i)));
    const __m512d d = _mm512_cvtps_pd(x);
    a = _mm512_add_pd(a, _mm512_mul_pd(d, d));
  }
  _mm512_storeu_pd(acc, a);
  return i;
}

}  // namespace densely
