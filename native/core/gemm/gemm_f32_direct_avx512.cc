// gemm_f32_direct_avx512: the avx512 set's direct (unpacked) path. Contract in
// gemm_f32_direct.h. Only reached when cpu.h reports the avx512 set.
// op(B) = B (the axpy form) is gemm_f32_direct_impl compiled with the core_avx512 flags,
// so GCC vectorises its row loops in zmm; op(B) = Bᵀ (the dot form) runs the AVX2 build:
// GCC spreads the dot form's 8 partial sums badly over 16 lanes (measured: the zmm
// build wins on the axpy form and loses 4× on the dot form; bench/README.md,
// "Measurements behind the kernel choices": avx512 direct path). From k = 16 on, the
// axpy form keeps its accumulators in registers (gemm_f32_gemv_avx512.cc, the same
// bits); below, the k loop is too short for that to matter.
#include "gemm_f32_direct.h"
#include "gemm_kernels.h"

namespace densely {
namespace {
constexpr int64_t kRowsDirectMinK = 16;
}  // namespace

void gemm_f32_direct_avx512(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                            float alpha, const float* a, int64_t lda, const float* b, int64_t ldb,
                            float beta, float* c, int64_t ldc, const GemmEpilogue& ep) {
  if (trans_b) {
    gemm_f32_direct_avx2(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep);
    return;
  }
  if (k >= kRowsDirectMinK) {
    gemm_f32_rows_direct_avx512(trans_a, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep);
    return;
  }
  gemm_f32_direct_impl(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep);
}

}  // namespace densely
