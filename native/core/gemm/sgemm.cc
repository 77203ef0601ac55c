// sgemm: dispatch on the active ISA (runtime/cpu.h). Skeleton: every ISA uses the
// reference until the packed kernels land.
#include "gemm.h"

namespace densely {

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
           const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
           int64_t ldc, const GemmEpilogue& epilogue) {
  gemm_f32_ref(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, epilogue);
}

}  // namespace densely
