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
#include <vector>

#include "../runtime/aligned.h"

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

// A pre-packed B for sgemm_prepacked (inference with constant weights: the packed path
// otherwise packs B into micro-panels on every call, ~6% of a 256-row forward pass of a
// 784→512 layer). op(B) = B (k×n, untransposed), packed for the kernel set active when
// sgemm_pack_b ran, every k block and column panel exactly as the packed path packs it.
struct PackedB {
  int isa = -1;  // the kernel set (runtime/cpu.h Isa) it was packed for; -1: empty
  int64_t k = 0, n = 0;
  std::vector<float, AlignedAllocator<float>> panels;
};

// Whether sgemm(false, false, m, n, k, …) with alpha ≠ 0 runs the packed path, which packs
// B (then sgemm_prepacked can save that); otherwise it runs the direct or the narrow path.
bool sgemm_packs_b(int64_t m, int64_t n, int64_t k);

// pb ← B (k×n, row stride ldb ≥ n) packed for the active kernel set (pb's memory reused).
void sgemm_pack_b(int64_t k, int64_t n, const float* b, int64_t ldb, PackedB* pb);

// sgemm(false, false, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep) with op(B) read from
// pb where the packed path runs and pb was packed from this B for the active set (else
// from b, exactly as sgemm): the same bits either way. pb must hold the current B.
void sgemm_prepacked(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                     const PackedB& pb, const float* b, int64_t ldb, float beta, float* c,
                     int64_t ldc, const GemmEpilogue& epilogue = GemmEpilogue{});

// The naive reference: the contract in code. Always compiled, never dispatched.
void gemm_f32_ref(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                  int64_t ldc, const GemmEpilogue& epilogue = GemmEpilogue{});

}  // namespace densely
