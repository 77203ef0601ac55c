// gemm_f32_4x4_scalar: the portable microkernel, one 4×4 tile of C in plain C++.
//
// Operation: C[mr×nr] ← alpha · A·B + beta · C, then (ep != nullptr, last k block)
//   C ← act(C + bias[j]); see gemm_kernels.h (GemmUkernel) for the full contract.
// Packed layouts (units: floats): A micro-panel kc × 4, element (i, p) at a[4p + i];
//   B micro-panel kc × 4, element (p, j) at b[4p + j].
// Preconditions: kc ≥ 1, 1 ≤ mr ≤ 4, 1 ≤ nr ≤ 4, ldc ≥ nr; checked under
//   DENSELY_DEBUG_CHECKS.
// Edges: the full 4×4 tile is accumulated from the zero-padded panels; only mr×nr is
//   finished and stored, element by element with the reference epilogue.
// beta == 0 means C is never read (it may hold NaN).
//
// 16 independent accumulators (one per element): enough chains to hide a 4-cycle add
//   latency on 2 pipes (≥ 8) on any scalar or auto-vectorising target.
#include <cstdlib>

#include "gemm_epilogue.h"
#include "gemm_kernels.h"

namespace densely {

void gemm_f32_4x4_scalar(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                         int64_t mr, int64_t nr, float alpha, float beta, const GemmEpilogue* ep) {
#if defined(DENSELY_DEBUG_CHECKS)
  if (kc < 1 || mr < 1 || mr > 4 || nr < 1 || nr > 4 || ldc < nr) std::abort();
#endif
  float acc[4][4] = {};
  for (int64_t p = 0; p < kc; ++p) {
    for (int i = 0; i < 4; ++i) {
      const float av = a[i];
      for (int j = 0; j < 4; ++j) acc[i][j] += av * b[j];
    }
    a += 4;
    b += 4;
  }
  for (int64_t i = 0; i < mr; ++i) {
    for (int64_t j = 0; j < nr; ++j) {
      float v = alpha * acc[i][j];
      if (beta != 0.0f) v += beta * c[i * ldc + j];
      c[i * ldc + j] = ep != nullptr ? apply_epilogue(*ep, v, j) : v;
    }
  }
}

}  // namespace densely
