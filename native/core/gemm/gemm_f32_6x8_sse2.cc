// gemm_f32_6x8_sse2: the SSE2 microkernel, one 6×8 tile of C (x86-64 baseline ISA).
//
// Operation: C[mr×nr] ← alpha · A·B + beta · C, then (ep != nullptr, last k block)
//   C ← act(C + bias[j]); see gemm_kernels.h (GemmUkernel) for the full contract.
// Packed layouts (units: floats): A micro-panel kc × 6, element (i, p) at a[6p + i];
//   B micro-panel kc × 8, element (p, j) at b[8p + j]; b is 16-byte aligned.
// Preconditions: kc ≥ 1, 1 ≤ mr ≤ 6, 1 ≤ nr ≤ 8, ldc ≥ nr; checked under
//   DENSELY_DEBUG_CHECKS.
// Edges: as in gemm_f32_6x16_avx2 — full-tile arithmetic, then a 6×8 stack tile for
//   partial stores, so an element's result does not depend on its tile's position.
// beta == 0 means C is never read (it may hold NaN).
//
// Register budget: 16 xmm. 6 rows × 2 vectors of 4 = 12 accumulators + 2 for B + 1 for
//   the broadcast A element = 15. No FMA in SSE2: each step is a multiply (latency 3)
//   then an add (latency 3) on 2 + 2 pipes, so ≥ 2 × 3 = 6 independent add chains keep
//   the adders busy; 12 give slack.
#include <emmintrin.h>

#include <cstdlib>

#include "gemm_epilogue.h"
#include "gemm_kernels.h"

namespace densely {
namespace {

inline __m128 finish(__m128 acc, const float* cptr, __m128 valpha, float beta, const float* bias,
                     const GemmEpilogue* ep) {
  __m128 v = _mm_mul_ps(valpha, acc);
  if (beta != 0.0f) v = _mm_add_ps(v, _mm_mul_ps(_mm_set1_ps(beta), _mm_loadu_ps(cptr)));
  if (ep == nullptr) return v;
  const __m128 zero = _mm_setzero_ps();
  switch (ep->kind) {
    case Epilogue::kNone:
      return v;
    case Epilogue::kBias:
      return _mm_add_ps(v, _mm_loadu_ps(bias));
    case Epilogue::kBiasRelu:
      v = _mm_add_ps(v, _mm_loadu_ps(bias));
      return _mm_max_ps(zero, v);  // (0 > v) ? 0 : v, so NaN stays NaN, like the ref
    case Epilogue::kRelu:
      return _mm_max_ps(zero, v);
    case Epilogue::kBiasLeakyRelu:
      v = _mm_add_ps(v, _mm_loadu_ps(bias));
      [[fallthrough]];
    case Epilogue::kLeakyRelu: {
      const __m128 pos = _mm_cmpgt_ps(v, zero);
      const __m128 neg = _mm_mul_ps(_mm_set1_ps(ep->leaky_alpha), v);
      return _mm_or_ps(_mm_and_ps(pos, v), _mm_andnot_ps(pos, neg));
    }
  }
  return v;
}

}  // namespace

void gemm_f32_6x8_sse2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                       int64_t mr, int64_t nr, float alpha, float beta, const GemmEpilogue* ep) {
#if defined(DENSELY_DEBUG_CHECKS)
  if (kc < 1 || mr < 1 || mr > 6 || nr < 1 || nr > 8 || ldc < nr) std::abort();
#endif
  __m128 c00 = _mm_setzero_ps(), c01 = _mm_setzero_ps();
  __m128 c10 = _mm_setzero_ps(), c11 = _mm_setzero_ps();
  __m128 c20 = _mm_setzero_ps(), c21 = _mm_setzero_ps();
  __m128 c30 = _mm_setzero_ps(), c31 = _mm_setzero_ps();
  __m128 c40 = _mm_setzero_ps(), c41 = _mm_setzero_ps();
  __m128 c50 = _mm_setzero_ps(), c51 = _mm_setzero_ps();
  for (int64_t p = 0; p < kc; ++p) {
    const __m128 b0 = _mm_load_ps(b);
    const __m128 b1 = _mm_load_ps(b + 4);
    __m128 av = _mm_set1_ps(a[0]);
    c00 = _mm_add_ps(c00, _mm_mul_ps(av, b0));
    c01 = _mm_add_ps(c01, _mm_mul_ps(av, b1));
    av = _mm_set1_ps(a[1]);
    c10 = _mm_add_ps(c10, _mm_mul_ps(av, b0));
    c11 = _mm_add_ps(c11, _mm_mul_ps(av, b1));
    av = _mm_set1_ps(a[2]);
    c20 = _mm_add_ps(c20, _mm_mul_ps(av, b0));
    c21 = _mm_add_ps(c21, _mm_mul_ps(av, b1));
    av = _mm_set1_ps(a[3]);
    c30 = _mm_add_ps(c30, _mm_mul_ps(av, b0));
    c31 = _mm_add_ps(c31, _mm_mul_ps(av, b1));
    av = _mm_set1_ps(a[4]);
    c40 = _mm_add_ps(c40, _mm_mul_ps(av, b0));
    c41 = _mm_add_ps(c41, _mm_mul_ps(av, b1));
    av = _mm_set1_ps(a[5]);
    c50 = _mm_add_ps(c50, _mm_mul_ps(av, b0));
    c51 = _mm_add_ps(c51, _mm_mul_ps(av, b1));
    a += 6;
    b += 8;
  }

  const __m128 valpha = _mm_set1_ps(alpha);
  const bool full = mr == 6 && nr == 8;
  alignas(16) float tile[6 * 8];
  alignas(16) float bias_pad[8];
  float* dst = c;
  int64_t ld = ldc;
  const float* bias = nullptr;
  if (ep != nullptr && epilogue_has_bias(ep->kind)) bias = ep->bias;
  if (!full) {
    dst = tile;
    ld = 8;
    if (beta != 0.0f) {
      for (int64_t i = 0; i < 6; ++i)
        for (int64_t j = 0; j < 8; ++j)
          tile[i * 8 + j] = (i < mr && j < nr) ? c[i * ldc + j] : 0.0f;
    }
    if (bias != nullptr) {
      for (int64_t j = 0; j < 8; ++j) bias_pad[j] = j < nr ? bias[j] : 0.0f;
      bias = bias_pad;
    }
  }
  const float* bias1 = bias != nullptr ? bias + 4 : nullptr;
#define DENSELY_ROW(I, X0, X1)                                            \
  do {                                                                    \
    float* row = dst + (I)*ld;                                            \
    _mm_storeu_ps(row, finish(X0, row, valpha, beta, bias, ep));          \
    _mm_storeu_ps(row + 4, finish(X1, row + 4, valpha, beta, bias1, ep)); \
  } while (0)
  DENSELY_ROW(0, c00, c01);
  DENSELY_ROW(1, c10, c11);
  DENSELY_ROW(2, c20, c21);
  DENSELY_ROW(3, c30, c31);
  DENSELY_ROW(4, c40, c41);
  DENSELY_ROW(5, c50, c51);
#undef DENSELY_ROW
  if (!full) {
    for (int64_t i = 0; i < mr; ++i)
      for (int64_t j = 0; j < nr; ++j) c[i * ldc + j] = tile[i * 8 + j];
  }
}

}  // namespace densely
