// gemm_f32_ref: the naive reference GEMM, the contract of gemm.h in code.
//
// Operation: C[m×n] ← alpha · op(A)[m×k] · op(B)[k×n] + beta · C, then the epilogue
// c ← act(c + bias[j]) per element. Row-major, all leading dimensions in elements.
// Unpacked, unthreaded, one float accumulator per element summed in p order
// (p = 0 … k−1), so it is also the numerical definition the kernels are tested
// against (within a tolerance: kernels may fuse multiply-adds).
// beta == 0 means C is never read (it may hold NaN). m == 0 or n == 0: no-op.
// Always compiled at the baseline ISA and never dispatched by sgemm.
#include "gemm.h"
#include "gemm_epilogue.h"

namespace densely {

void gemm_f32_ref(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                  int64_t ldc, const GemmEpilogue& epilogue) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0.0f;
      for (int64_t p = 0; p < k; ++p) {
        const float av = trans_a ? a[p * lda + i] : a[i * lda + p];
        const float bv = trans_b ? b[j * ldb + p] : b[p * ldb + j];
        acc += av * bv;
      }
      float v = alpha * acc;
      if (beta != 0.0f) v += beta * c[i * ldc + j];
      c[i * ldc + j] = apply_epilogue(epilogue, v, j);
    }
  }
}

}  // namespace densely
