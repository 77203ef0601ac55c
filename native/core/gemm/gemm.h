// densely::sgemm: the one GEMM entry point of the core.
//
// Contract (BLAS sgemm, row-major):
//   C[m×n] ← alpha · op(A)[m×k] · op(B)[k×n] + beta · C
//   op(A) = A (row-major, m×k, leading dimension lda ≥ k) or Aᵀ (A stored k×m, lda ≥ m).
//   op(B) = B (k×n, ldb ≥ n) or Bᵀ (B stored n×k, ldb ≥ k).
//   ldc ≥ n. All dimensions and leading dimensions are in elements, never bytes.
//   beta == 0 means C is never read (it may hold NaN); m == 0 or n == 0 is a no-op;
//   k == 0 scales C by beta.
//   The epilogue (optional) is applied after the full k reduction, per element:
//   c ← act(c + bias[j]) with act ∈ {linear, relu, leakyRelu(alpha)}.
//   The k dimension is never split across threads, so results are bit-identical for
//   any thread count.
#pragma once
#include <cstdint>

namespace densely {

// Multiply-adds (m·n·k) below which a product runs on plain unpacked loops instead of the
// packed, tiled path: packing and the tile loop cost more than they save below 16³.
// One threshold for sgemm's direct path and dense's tiny path (ops/dense.h), so a
// dense pass routed around sgemm is exactly one sgemm would have run unpacked anyway.
constexpr int64_t kDirectWork = 4096;

enum class Epilogue : int {
  kNone = 0,
  kBias = 1,
  kBiasRelu = 2,
  kBiasLeakyRelu = 3,
  kRelu = 4,
  kLeakyRelu = 5
};

struct GemmEpilogue {
  Epilogue kind = Epilogue::kNone;
  const float* bias = nullptr;  // length n, used by the kBias* kinds
  float leaky_alpha = 0.01f;    // slope for the leaky kinds
};

// Dispatched, threaded (uses the global pool in runtime/thread_pool.h).
void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
           const GemmEpilogue& epilogue = GemmEpilogue{});

// The naive reference: the contract in code. Always compiled, never dispatched.
void gemm_f32_ref(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                  int64_t ldc, const GemmEpilogue& epilogue = GemmEpilogue{});

}  // namespace densely
