// copy_block_avx512: the avx512 set's body of copy_first_outside (scan.h), compiled with
// the core_avx512 flags. 32 floats a step in two zmm loads: the comparisons write
// opmask registers (ordered, non-signalling: NaN fails both and counts as outside), and
// one 16-bit mask AND per vector keeps the loop free of branches. Same result as the
// SSE2 body: whether any element of [b, e) is outside [lo, hi]; dst[b..e) ← src[b..e).
#include <immintrin.h>

#include <cstdint>

#include "ops/scan_kernels.h"

namespace densely {

bool copy_block_avx512(const float* __restrict src, float* __restrict dst, int64_t b, int64_t e,
                       float lo, float hi) {
  int64_t i = b;
  const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
  __mmask16 ok = 0xffff;
  for (; i + 32 <= e; i += 32) {
    const __m512 v0 = _mm512_loadu_ps(src + i), v1 = _mm512_loadu_ps(src + i + 16);
    _mm512_storeu_ps(dst + i, v0);
    _mm512_storeu_ps(dst + i + 16, v1);
    ok &= _mm512_cmp_ps_mask(v0, vlo, _CMP_GE_OQ) & _mm512_cmp_ps_mask(v0, vhi, _CMP_LE_OQ);
    ok &= _mm512_cmp_ps_mask(v1, vlo, _CMP_GE_OQ) & _mm512_cmp_ps_mask(v1, vhi, _CMP_LE_OQ);
  }
  // The tail (< 32 elements) in masked 16-lane pieces: lanes past e are neither read
  // nor written, and count as inside.
  for (; i < e; i += 16) {
    const int64_t left = e - i;
    const __mmask16 lanes = left >= 16 ? 0xffff : static_cast<__mmask16>((1u << left) - 1u);
    const __m512 v = _mm512_maskz_loadu_ps(lanes, src + i);
    _mm512_mask_storeu_ps(dst + i, lanes, v);
    const __mmask16 in = _mm512_mask_cmp_ps_mask(lanes, v, vlo, _CMP_GE_OQ) &
                         _mm512_mask_cmp_ps_mask(lanes, v, vhi, _CMP_LE_OQ);
    ok &= static_cast<__mmask16>(in | static_cast<__mmask16>(~lanes));
  }
  return ok != 0xffff;
}

}  // namespace densely
