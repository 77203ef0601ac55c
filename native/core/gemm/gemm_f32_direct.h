// The direct (unpacked) GEMM path, written once and compiled per ISA by including it
// from gemm_f32_direct_<isa>.cc (each built with its ISA's flags, so the compiler
// vectorises the inner loops for that ISA). Internal linkage only: see gemm_epilogue.h.
//
// Contract: gemm.h's, for the whole problem, unthreaded. For each row i, op(A)'s row is
// made contiguous (copied when trans_a), then
//   op(B) = B  (k×n, rows contiguous): axpy form, c_row += a_ip · B[p, :] for p = 0…k−1,
//              per element summed in p order (the reference's order);
//   op(B) = Bᵀ (B stored n×k):           dot form, c_ij = ⟨a_row, B[j, :]⟩ in 8 strided
//              partial sums added pairwise at the end.
// Meant for products where packing cannot pay for itself (tiny m·n·k, or m ≤ 2 where
// every element of B is used once per row anyway). beta == 0 never reads C.
#pragma once
#include <cstdint>
#include <cstdlib>

#include "gemm_epilogue.h"

namespace densely {
namespace {

constexpr int64_t kDirectChunk = 256;  // columns of C accumulated at once (1 KiB, in L1)

// c ← act(alpha·acc + beta·c (+ bias)) for one chunk of a row. The epilogue's kind is
// switched on once per chunk, outside the loops, so each loop vectorises (with the kind
// switched per element, GCC kept it scalar: TN 784×128·1 ran at 1.1 GFLOP/s).
inline void direct_store(float* crow, const float* acc, int64_t j0, int64_t len, float alpha,
                         float beta, const GemmEpilogue& ep) {
  float* out = crow + j0;
  if (beta != 0.0f) {
    for (int64_t j = 0; j < len; ++j) out[j] = alpha * acc[j] + beta * out[j];
  } else {
    for (int64_t j = 0; j < len; ++j) out[j] = alpha * acc[j];
  }
  const float* bias = ep.bias != nullptr ? ep.bias + j0 : nullptr;
  const float leaky = ep.leaky_alpha;
  switch (ep.kind) {
    case Epilogue::kNone:
      return;
    case Epilogue::kBias:
      for (int64_t j = 0; j < len; ++j) out[j] = out[j] + bias[j];
      return;
    case Epilogue::kBiasRelu:
      for (int64_t j = 0; j < len; ++j) {
        const float v = out[j] + bias[j];
        out[j] = v < 0.0f ? 0.0f : v;
      }
      return;
    case Epilogue::kRelu:
      for (int64_t j = 0; j < len; ++j) out[j] = out[j] < 0.0f ? 0.0f : out[j];
      return;
    case Epilogue::kBiasLeakyRelu:
      for (int64_t j = 0; j < len; ++j) {
        const float v = out[j] + bias[j];
        out[j] = v > 0.0f ? v : leaky * v;
      }
      return;
    case Epilogue::kLeakyRelu:
      for (int64_t j = 0; j < len; ++j) out[j] = out[j] > 0.0f ? out[j] : leaky * out[j];
      return;
  }
}

inline void gemm_f32_direct_impl(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                                 float alpha, const float* a, int64_t lda, const float* b,
                                 int64_t ldb, float beta, float* c, int64_t ldc,
                                 const GemmEpilogue& ep) {
  constexpr int64_t kStackRow = 2048;
  float stack_row[kStackRow];
  float* heap_row = nullptr;
  float* arow = stack_row;
  if (trans_a && k > kStackRow) {
    heap_row = static_cast<float*>(std::malloc(static_cast<size_t>(k) * sizeof(float)));
    if (heap_row == nullptr) std::abort();
    arow = heap_row;
  }
  float acc[kDirectChunk];
  for (int64_t i = 0; i < m; ++i) {
    const float* ar;
    if (trans_a) {
      for (int64_t p = 0; p < k; ++p) arow[p] = a[p * lda + i];
      ar = arow;
    } else {
      ar = a + i * lda;
    }
    float* crow = c + i * ldc;
    if (!trans_b) {
      for (int64_t j0 = 0; j0 < n; j0 += kDirectChunk) {
        const int64_t len = n - j0 < kDirectChunk ? n - j0 : kDirectChunk;
        for (int64_t j = 0; j < len; ++j) acc[j] = 0.0f;
        for (int64_t p = 0; p < k; ++p) {
          const float av = ar[p];
          const float* brow = b + p * ldb + j0;
          for (int64_t j = 0; j < len; ++j) acc[j] += av * brow[j];
        }
        direct_store(crow, acc, j0, len, alpha, beta, ep);
      }
    } else {
      for (int64_t j0 = 0; j0 < n; j0 += kDirectChunk) {
        const int64_t len = n - j0 < kDirectChunk ? n - j0 : kDirectChunk;
        for (int64_t j = 0; j < len; ++j) {
          const float* brow = b + (j0 + j) * ldb;
          float part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
          int64_t p = 0;
          for (; p + 8 <= k; p += 8) {
            for (int l = 0; l < 8; ++l) part[l] += ar[p + l] * brow[p + l];
          }
          for (int l = 0; p < k; ++p, ++l) part[l] += ar[p] * brow[p];
          acc[j] = ((part[0] + part[4]) + (part[1] + part[5])) +
                   ((part[2] + part[6]) + (part[3] + part[7]));
        }
        direct_store(crow, acc, j0, len, alpha, beta, ep);
      }
    }
  }
  std::free(heap_row);
}

}  // namespace
}  // namespace densely
