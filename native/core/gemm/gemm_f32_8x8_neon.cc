// gemm_f32_8x8_neon: the AArch64 Advanced SIMD microkernel, one 8×8 tile of C.
//
// Operation: C[mr×nr] ← alpha · A·B + beta · C, then (ep != nullptr, last k block)
//   C ← act(C + bias[j]); see gemm_kernels.h (GemmUkernel) for the full contract.
// Packed layouts (units: floats): A micro-panel kc × 8, element (i, p) at a[8p + i];
//   B micro-panel kc × 8, element (p, j) at b[8p + j].
// Preconditions: kc ≥ 1, 1 ≤ mr ≤ 8, 1 ≤ nr ≤ 8, ldc ≥ nr; checked under
//   DENSELY_DEBUG_CHECKS.
// Edges: full-tile arithmetic, then an 8×8 stack tile for partial stores (as in the
//   AVX2 kernel), so an element's result does not depend on its tile's position.
// beta == 0 means C is never read (it may hold NaN).
//
// Register budget: 32 q registers. 8 rows × 2 vectors of 4 = 16 accumulators, 2 for the
//   B row, 2 for the 8 A elements (used by lane with vfmaq_laneq_f32) = 20. Typical big
//   cores have 2–4 FMA pipes with 4-cycle latency ⇒ ≥ 8–16 independent chains; 16 here.
// Compiled only for arm64 (scripts/check-arm64-compile.sh cross-compiles it).
#include <arm_neon.h>

#include <cstdlib>

#include "gemm_epilogue.h"
#include "gemm_kernels.h"

namespace densely {

void gemm_f32_8x8_neon(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                       int64_t mr, int64_t nr, float alpha, float beta, const GemmEpilogue* ep) {
#if defined(DENSELY_DEBUG_CHECKS)
  if (kc < 1 || mr < 1 || mr > 8 || nr < 1 || nr > 8 || ldc < nr) std::abort();
#endif
  float32x4_t acc[8][2];
  for (int i = 0; i < 8; ++i) acc[i][0] = acc[i][1] = vdupq_n_f32(0.0f);
  for (int64_t p = 0; p < kc; ++p) {
    const float32x4_t b0 = vld1q_f32(b);
    const float32x4_t b1 = vld1q_f32(b + 4);
    const float32x4_t a0 = vld1q_f32(a);
    const float32x4_t a1 = vld1q_f32(a + 4);
    acc[0][0] = vfmaq_laneq_f32(acc[0][0], b0, a0, 0);
    acc[0][1] = vfmaq_laneq_f32(acc[0][1], b1, a0, 0);
    acc[1][0] = vfmaq_laneq_f32(acc[1][0], b0, a0, 1);
    acc[1][1] = vfmaq_laneq_f32(acc[1][1], b1, a0, 1);
    acc[2][0] = vfmaq_laneq_f32(acc[2][0], b0, a0, 2);
    acc[2][1] = vfmaq_laneq_f32(acc[2][1], b1, a0, 2);
    acc[3][0] = vfmaq_laneq_f32(acc[3][0], b0, a0, 3);
    acc[3][1] = vfmaq_laneq_f32(acc[3][1], b1, a0, 3);
    acc[4][0] = vfmaq_laneq_f32(acc[4][0], b0, a1, 0);
    acc[4][1] = vfmaq_laneq_f32(acc[4][1], b1, a1, 0);
    acc[5][0] = vfmaq_laneq_f32(acc[5][0], b0, a1, 1);
    acc[5][1] = vfmaq_laneq_f32(acc[5][1], b1, a1, 1);
    acc[6][0] = vfmaq_laneq_f32(acc[6][0], b0, a1, 2);
    acc[6][1] = vfmaq_laneq_f32(acc[6][1], b1, a1, 2);
    acc[7][0] = vfmaq_laneq_f32(acc[7][0], b0, a1, 3);
    acc[7][1] = vfmaq_laneq_f32(acc[7][1], b1, a1, 3);
    a += 8;
    b += 8;
  }

  const bool full = mr == 8 && nr == 8;
  float tile[8 * 8];
  float* dst = c;
  int64_t ld = ldc;
  if (!full) {
    dst = tile;
    ld = 8;
    if (beta != 0.0f) {
      for (int64_t i = 0; i < 8; ++i)
        for (int64_t j = 0; j < 8; ++j)
          tile[i * 8 + j] = (i < mr && j < nr) ? c[i * ldc + j] : 0.0f;
    }
  }
  const float32x4_t valpha = vdupq_n_f32(alpha);
  const float32x4_t vbeta = vdupq_n_f32(beta);
  for (int i = 0; i < 8; ++i) {
    float* row = dst + i * ld;
    for (int h = 0; h < 2; ++h) {
      float32x4_t v = vmulq_f32(valpha, acc[i][h]);
      if (beta != 0.0f) v = vaddq_f32(v, vmulq_f32(vbeta, vld1q_f32(row + 4 * h)));
      vst1q_f32(row + 4 * h, v);
    }
  }
  // The epilogue element by element with the reference's definition (bias is read only
  // for columns inside C, so no padding is needed).
  if (ep != nullptr) {
    for (int64_t i = 0; i < mr; ++i)
      for (int64_t j = 0; j < nr; ++j) dst[i * ld + j] = apply_epilogue(*ep, dst[i * ld + j], j);
  }
  if (!full) {
    for (int64_t i = 0; i < mr; ++i)
      for (int64_t j = 0; j < nr; ++j) c[i * ldc + j] = tile[i * 8 + j];
  }
}

}  // namespace densely
