// The vector form of gemm_epilogue.h's per-element epilogue, for the AVX2+FMA kernel
// files only (gemm_f32_6x16_avx2.cc, gemm_f32_narrow_avx2.cc): include it from no file
// compiled at the baseline ISA. Internal linkage, like gemm_epilogue.h.
//
// finish(acc, cval, valpha, unit_alpha, beta, biasv, ep) = act(alpha·acc + beta·cval +
// bias), lane by lane, as the mul, add and max/blend instructions below: every AVX2
// kernel finishes its elements through it, so two kernels that reach the same acc store
// the same C. unit_alpha = (alpha == 1): with beta == 0 the multiply by alpha is then
// skipped (12 of a 6×16 tile's ~24 FP instructions after a k = 10 loop of 120 FMAs).
// cval / biasv are ignored when beta == 0 / the kind has no bias (pass zeros).
#pragma once
#include <immintrin.h>

#include "gemm_epilogue.h"

namespace densely {
namespace {

inline __m256 finish(__m256 acc, __m256 cval, __m256 valpha, bool unit_alpha, float beta,
                     __m256 biasv, const GemmEpilogue* ep) {
  __m256 v;
  if (beta != 0.0f) {
    v = _mm256_add_ps(_mm256_mul_ps(valpha, acc), _mm256_mul_ps(_mm256_set1_ps(beta), cval));
  } else {
    v = unit_alpha ? acc : _mm256_mul_ps(valpha, acc);  // 1·x == x exactly, NaN included
  }
  if (ep == nullptr) return v;
  const __m256 zero = _mm256_setzero_ps();
  switch (ep->kind) {
    case Epilogue::kNone:
      return v;
    case Epilogue::kBias:
      return _mm256_add_ps(v, biasv);
    case Epilogue::kBiasRelu:
      v = _mm256_add_ps(v, biasv);
      return _mm256_max_ps(zero, v);  // (0 > v) ? 0 : v, so NaN stays NaN, like the ref
    case Epilogue::kRelu:
      return _mm256_max_ps(zero, v);
    case Epilogue::kBiasLeakyRelu:
      v = _mm256_add_ps(v, biasv);
      return _mm256_blendv_ps(_mm256_mul_ps(_mm256_set1_ps(ep->leaky_alpha), v), v,
                              _mm256_cmp_ps(v, zero, _CMP_GT_OQ));
    case Epilogue::kLeakyRelu:
      return _mm256_blendv_ps(_mm256_mul_ps(_mm256_set1_ps(ep->leaky_alpha), v), v,
                              _mm256_cmp_ps(v, zero, _CMP_GT_OQ));
  }
  return v;
}

// finish()'s per-tile constants, set up once after a kernel's k loop (held across it,
// alpha and beta cost the 6×16 kernel an accumulator spill), then fin(acc, cval, biasv)
// per vector. has_c: beta != 0, so C is read; has_bias: the epilogue adds a bias.
struct TileFinish {
  __m256 valpha;
  bool unit_alpha;
  float beta;
  bool has_c;
  bool has_bias;
  const GemmEpilogue* ep;
  TileFinish(float alpha, float beta_in, const GemmEpilogue* e)
      : valpha(_mm256_set1_ps(alpha)),
        unit_alpha(alpha == 1.0f),
        beta(beta_in),
        has_c(beta_in != 0.0f),
        has_bias(e != nullptr && epilogue_has_bias(e->kind)),
        ep(e) {}
  __m256 operator()(__m256 acc, __m256 cval, __m256 biasv) const {
    return finish(acc, cval, valpha, unit_alpha, beta, biasv, ep);
  }
};

}  // namespace
}  // namespace densely
