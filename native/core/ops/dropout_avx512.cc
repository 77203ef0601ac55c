// The avx512 set's bodies of dropout_forward / dropout_backward (dropout.cc), compiled
// with the core_avx512 flags. The forward pass hashes every element index
// (network/random.h: mix32(layer_seed + i·φ) ≥ threshold keeps it), two 32-bit
// multiplies per element that the SSE2 baseline cannot vectorise (it has no 32-bit
// vector multiply): 16 lanes a step here with vpmulld, the keep decision as an opmask
// that scales the kept lanes (x·scale, the baseline's one rounding), zeroes the others
// (+0, as the baseline) and writes the 0/1 mask bytes. The backward pass tests 16 mask
// bytes into an opmask. Tails are one masked step: lanes past e are neither read nor
// written. Integer hash and one multiply: the same bits as the baseline on every set.
#include <immintrin.h>

#include <cstdint>

#include "network/random.h"
#include "ops/dropout_kernels.h"

namespace densely {
namespace {

inline __mmask16 lanes_left(int64_t left) {
  return left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1u);
}

// mix32 (network/random.h) on 16 lanes.
inline __m512i mix32_epi32(__m512i x) {
  x = _mm512_xor_si512(x, _mm512_srli_epi32(x, 16));
  x = _mm512_mullo_epi32(x, _mm512_set1_epi32(static_cast<int>(0x7feb352du)));
  x = _mm512_xor_si512(x, _mm512_srli_epi32(x, 15));
  x = _mm512_mullo_epi32(x, _mm512_set1_epi32(static_cast<int>(0x846ca68bu)));
  return _mm512_xor_si512(x, _mm512_srli_epi32(x, 16));
}

}  // namespace

void dropout_forward_avx512(const float* in, float* out, uint8_t* mask, int64_t b, int64_t e,
                            uint32_t layer_seed, uint32_t threshold, float scale) {
  const __m512i step = _mm512_set1_epi32(static_cast<int>(16u * kGolden32));
  const __m512i lane =
      _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                         _mm512_set1_epi32(static_cast<int>(kGolden32)));
  // layer_seed + i·φ for the 16 indices of the current step (uint32, wrapping).
  __m512i h = _mm512_add_epi32(
      _mm512_set1_epi32(static_cast<int>(layer_seed + static_cast<uint32_t>(b) * kGolden32)), lane);
  const __m512i thr = _mm512_set1_epi32(static_cast<int>(threshold));
  const __m512 vscale = _mm512_set1_ps(scale);
  const __m128i ones = _mm_set1_epi8(1);
  for (int64_t i = b; i < e; i += 16) {
    const __mmask16 lanes = lanes_left(e - i);
    const __mmask16 keep = _mm512_cmpge_epu32_mask(mix32_epi32(h), thr);
    const __m512 v = _mm512_maskz_mul_ps(keep, _mm512_maskz_loadu_ps(lanes, in + i), vscale);
    _mm512_mask_storeu_ps(out + i, lanes, v);
    _mm_mask_storeu_epi8(mask + i, lanes, _mm_maskz_mov_epi8(keep, ones));
    h = _mm512_add_epi32(h, step);
  }
}

void dropout_backward_avx512(float* d, const uint8_t* mask, int64_t b, int64_t e, float scale) {
  const __m512 vscale = _mm512_set1_ps(scale);
  for (int64_t i = b; i < e; i += 16) {
    const __mmask16 lanes = lanes_left(e - i);
    const __m128i m = _mm_maskz_loadu_epi8(lanes, mask + i);
    const __mmask16 keep = _mm_test_epi8_mask(m, m);
    _mm512_mask_storeu_ps(d + i, lanes,
                          _mm512_maskz_mul_ps(keep, _mm512_maskz_loadu_ps(lanes, d + i), vscale));
  }
}

}  // namespace densely
