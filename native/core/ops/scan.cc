// copy_first_outside: see scan.h.
//
// One pass: each block of kBlock floats is loaded once, stored to dst and compared with
// [lo, hi] in the same loop (SSE2, part of the x86-64 baseline: 4 lanes; elsewhere a
// branch-free scalar loop the compiler vectorises). The comparisons are ordered, so NaN
// fails both and counts as outside. Only a block that holds an outside element is
// scanned again for the index. Memory-bound: about as fast as a plain copy (a separate
// memcpy and scan read the block twice and ran at a third of that). The avx512 set has
// its own block body (scan_avx512.cc: 16 lanes and masked tails). first_outside is the
// same scan without the copy (SSE2 only: 16 µs for the 200,704 floats of a 256 × 784
// batch, where the JS scan it replaces in predict took ~320 µs).
#include "scan.h"

#include "ops/scan_kernels.h"
#include "runtime/cpu.h"

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define DENSELY_SCAN_SSE2 1
#endif

namespace densely {
namespace {

constexpr int64_t kBlock = 4096;

// Whether any element of src[b..e) is outside [lo, hi]; with kCopy also dst[b..e) ←
// src[b..e) (first_outside scans without copying; dst is unused then).
template <bool kCopy>
bool scan_block(const float* __restrict src, float* __restrict dst, int64_t b, int64_t e, float lo,
                float hi) {
  int64_t i = b;
#ifdef DENSELY_SCAN_SSE2
  const __m128 vlo = _mm_set1_ps(lo), vhi = _mm_set1_ps(hi);
  __m128 ok = _mm_castsi128_ps(_mm_set1_epi32(-1));
  for (; i + 8 <= e; i += 8) {
    const __m128 v0 = _mm_loadu_ps(src + i), v1 = _mm_loadu_ps(src + i + 4);
    if constexpr (kCopy) {
      _mm_storeu_ps(dst + i, v0);
      _mm_storeu_ps(dst + i + 4, v1);
    }
    const __m128 in0 = _mm_and_ps(_mm_cmpge_ps(v0, vlo), _mm_cmple_ps(v0, vhi));
    const __m128 in1 = _mm_and_ps(_mm_cmpge_ps(v1, vlo), _mm_cmple_ps(v1, vhi));
    ok = _mm_and_ps(ok, _mm_and_ps(in0, in1));
  }
  bool bad = _mm_movemask_ps(ok) != 0xf;
#else
  bool bad = false;
#endif
  int32_t out = 0;
  for (; i < e; ++i) {
    const float v = src[i];
    if constexpr (kCopy) dst[i] = v;
    out |= (v >= lo && v <= hi) ? 0 : 1;
  }
  return bad || out != 0;
}

}  // namespace

int64_t first_outside(const float* src, int64_t n, float lo, float hi) {
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t e = n - b < kBlock ? n : b + kBlock;
    if (scan_block<false>(src, nullptr, b, e, lo, hi)) {
      for (int64_t i = b; i < e; ++i) {
        if (!(src[i] >= lo && src[i] <= hi)) return i;
      }
    }
  }
  return -1;
}

int64_t copy_first_outside(const float* src, float* dst, int64_t n, float lo, float hi) {
#ifdef DENSELY_SCAN_SSE2
  const bool wide = active_isa() == Isa::kAvx512;
#else
  constexpr bool wide = false;
#endif
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t e = n - b < kBlock ? n : b + kBlock;
#ifdef DENSELY_SCAN_SSE2
    const bool bad =
        wide ? copy_block_avx512(src, dst, b, e, lo, hi) : scan_block<true>(src, dst, b, e, lo, hi);
#else
    const bool bad = scan_block<true>(src, dst, b, e, lo, hi);
#endif
    if (bad) {
      for (int64_t i = b; i < e; ++i) {
        if (!(dst[i] >= lo && dst[i] <= hi)) return i;
      }
    }
  }
  return -1;
}

}  // namespace densely
