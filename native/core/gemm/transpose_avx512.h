// A 16 × 16 float transpose in zmm registers, for the AVX-512 files only (the narrow
// path's stores, the avx512 packing routines): include it from no file compiled below the
// core_avx512 flags. Internal linkage, like gemm_epilogue.h.
// 64 shuffles (4 rounds of 16): unpack lo/hi (2 × 2 blocks), shuffle_ps (4 × 4 blocks),
// then two rounds of 128-bit lane shuffles.
#pragma once
#include <immintrin.h>

namespace densely {
namespace {

// v[j] holds rows x = 0…15 of column j; afterwards v[x] holds columns j = 0…15 of row x.
inline void transpose16(__m512 v[16]) {
  __m512 t[16];
#pragma GCC unroll 8
  for (int j = 0; j < 16; j += 2) {
    t[j] = _mm512_unpacklo_ps(v[j], v[j + 1]);
    t[j + 1] = _mm512_unpackhi_ps(v[j], v[j + 1]);
  }
#pragma GCC unroll 4
  for (int j = 0; j < 16; j += 4) {
    v[j] = _mm512_shuffle_ps(t[j], t[j + 2], 0x44);
    v[j + 1] = _mm512_shuffle_ps(t[j], t[j + 2], 0xEE);
    v[j + 2] = _mm512_shuffle_ps(t[j + 1], t[j + 3], 0x44);
    v[j + 3] = _mm512_shuffle_ps(t[j + 1], t[j + 3], 0xEE);
  }
  // v[4g + q] now holds, per 128-bit lane l, rows 4l + (0…3) … of columns 4g … 4g + 3,
  // row 4l + q's four columns. Two rounds of 128-bit lane shuffles finish the transpose.
#pragma GCC unroll 4
  for (int q = 0; q < 4; ++q) {
    t[q] = _mm512_shuffle_f32x4(v[q], v[4 + q], 0x88);      // lanes 0, 2 of g = 0, 1
    t[4 + q] = _mm512_shuffle_f32x4(v[q], v[4 + q], 0xDD);  // lanes 1, 3 of g = 0, 1
    t[8 + q] = _mm512_shuffle_f32x4(v[8 + q], v[12 + q], 0x88);
    t[12 + q] = _mm512_shuffle_f32x4(v[8 + q], v[12 + q], 0xDD);
  }
#pragma GCC unroll 4
  for (int q = 0; q < 4; ++q) {
    v[q] = _mm512_shuffle_f32x4(t[q], t[8 + q], 0x88);            // row q
    v[8 + q] = _mm512_shuffle_f32x4(t[q], t[8 + q], 0xDD);        // row 8 + q
    v[4 + q] = _mm512_shuffle_f32x4(t[4 + q], t[12 + q], 0x88);   // row 4 + q
    v[12 + q] = _mm512_shuffle_f32x4(t[4 + q], t[12 + q], 0xDD);  // row 12 + q
  }
}

}  // namespace
}  // namespace densely
