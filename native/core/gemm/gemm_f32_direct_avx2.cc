// gemm_f32_direct_avx2: the direct (unpacked) path compiled with -mavx2 -mfma.
// Contract in gemm_f32_direct.h. Only reached when cpu.h reports AVX2 and FMA.
#include "gemm_f32_direct.h"
#include "gemm_kernels.h"

namespace densely {

void gemm_f32_direct_avx2(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                          const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                          float* c, int64_t ldc, const GemmEpilogue& ep) {
  gemm_f32_direct_impl(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep);
}

}  // namespace densely
