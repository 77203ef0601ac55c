// gemm_f32_direct_scalar: the direct (unpacked) path at the baseline ISA (SSE2 on
// x86-64, NEON on aarch64, whatever the compiler vectorises to). Contract in
// gemm_f32_direct.h. Used by the scalar, sse2 and neon kernel sets.
#include "gemm_f32_direct.h"
#include "gemm_kernels.h"

namespace densely {

void gemm_f32_direct_scalar(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                            float alpha, const float* a, int64_t lda, const float* b, int64_t ldb,
                            float beta, float* c, int64_t ldc, const GemmEpilogue& ep) {
  gemm_f32_direct_impl(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep);
}

}  // namespace densely
