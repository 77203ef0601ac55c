// The 16-lane form of gemm_epilogue.h's per-element epilogue, for the AVX-512 kernel
// files only (gemm_f32_14x32_avx512.cc, gemm_f32_narrow_avx512.cc): include it from no
// file compiled below the core_avx512 flags. Internal linkage, like gemm_epilogue.h.
//
// TileFinish512(acc, cval, biasv) = act(alpha·acc + beta·cval + bias), lane by lane, as
// the same mul, add, max and compare-select as gemm_epilogue_avx2.h's finish (no fused
// multiply-add, max(0, v) keeps NaN, leaky selects v where v > 0 ordered): every avx512
// path finishes its elements through it, so two paths that reach the same accumulator
// store the same C, whichever orientation (row or column vectors) they hold it in.
// unit_alpha = (alpha == 1): with beta == 0 the multiply by alpha is skipped (1·x == x).
// cval / biasv are ignored when beta == 0 / the kind has no bias (pass zeros).
#pragma once
#include <immintrin.h>

#include "gemm_epilogue.h"

namespace densely {
namespace {

struct TileFinish512 {
  __m512 valpha;
  bool unit_alpha;
  float beta;
  bool has_c;
  bool has_bias;
  const GemmEpilogue* ep;
  TileFinish512(float alpha, float beta_in, const GemmEpilogue* e)
      : valpha(_mm512_set1_ps(alpha)),
        unit_alpha(alpha == 1.0f),
        beta(beta_in),
        has_c(beta_in != 0.0f),
        has_bias(e != nullptr && epilogue_has_bias(e->kind)),
        ep(e) {}

  __m512 operator()(__m512 acc, __m512 cval, __m512 biasv) const {
    __m512 v;
    if (has_c) {
      v = _mm512_add_ps(_mm512_mul_ps(valpha, acc), _mm512_mul_ps(_mm512_set1_ps(beta), cval));
    } else {
      v = unit_alpha ? acc : _mm512_mul_ps(valpha, acc);
    }
    if (ep == nullptr) return v;
    const __m512 zero = _mm512_setzero_ps();
    switch (ep->kind) {
      case Epilogue::kNone:
        return v;
      case Epilogue::kBias:
        return _mm512_add_ps(v, biasv);
      case Epilogue::kBiasRelu:
        return _mm512_max_ps(zero, _mm512_add_ps(v, biasv));  // NaN stays NaN, like the ref
      case Epilogue::kRelu:
        return _mm512_max_ps(zero, v);
      case Epilogue::kBiasLeakyRelu:
        v = _mm512_add_ps(v, biasv);
        return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, zero, _CMP_GT_OQ),
                                    _mm512_mul_ps(_mm512_set1_ps(ep->leaky_alpha), v), v);
      case Epilogue::kLeakyRelu:
        return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, zero, _CMP_GT_OQ),
                                    _mm512_mul_ps(_mm512_set1_ps(ep->leaky_alpha), v), v);
    }
    return v;
  }
};

}  // namespace
}  // namespace densely
