// gemm_f32_rows_direct_avx512: the avx512 direct path's axpy form (op(B) = B) with the
// accumulators of a 256-column chunk in 16 zmm registers for the whole k loop.
//
// gemm_f32_direct_impl (gemm_f32_direct.h) accumulates a chunk in a stack array: GCC
// vectorises its j loop, but every k step loads and stores all 16 vectors of the
// array again, so a one-row product (predict of one sample: a GEMV that streams the
// whole weight matrix from L3) spent its time on store-to-load forwarding, not on the
// memory it reads. Here each k step is 16 loads of B and 16 FMAs into registers.
// Same arithmetic per element as gemm_f32_direct_impl: acc = 0, then acc ← fma(a_p,
// B[p, j], acc) for p = 0 … k−1 in order (that file is compiled with
// -ffp-contract=fast, so its `acc[j] += av * brow[j]` is that FMA), then the same
// direct_store; so C is bit-identical to it (native/tests/test_gemv.cc).
// Measured: bench/README.md, "Measurements behind the kernel choices": one-row GEMV.
#include <immintrin.h>

#include "gemm_f32_direct.h"
#include "gemm_kernels.h"

namespace densely {
namespace {

// acc[0 .. 16·NQ) ← Σ_p a[p] · b[p·ldb + j] for the chunk's columns (the last vector
// masked by `tail`), in p order from 0.
template <int NQ>
inline void chunk_fma(int64_t k, const float* __restrict a, const float* __restrict b, int64_t ldb,
                      __mmask16 tail, float* __restrict acc) {
  __m512 r[NQ];
  for (int q = 0; q < NQ; ++q) r[q] = _mm512_setzero_ps();
  for (int64_t p = 0; p < k; ++p) {
    const __m512 av = _mm512_set1_ps(a[p]);
    const float* brow = b + p * ldb;
    for (int q = 0; q + 1 < NQ; ++q)
      r[q] = _mm512_fmadd_ps(av, _mm512_loadu_ps(brow + 16 * q), r[q]);
    r[NQ - 1] = _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(tail, brow + 16 * (NQ - 1)), r[NQ - 1]);
  }
  for (int q = 0; q < NQ; ++q) _mm512_storeu_ps(acc + 16 * q, r[q]);
}

using ChunkFn = void (*)(int64_t, const float*, const float*, int64_t, __mmask16, float*);
constexpr ChunkFn kChunk[16] = {chunk_fma<1>,  chunk_fma<2>,  chunk_fma<3>,  chunk_fma<4>,
                                chunk_fma<5>,  chunk_fma<6>,  chunk_fma<7>,  chunk_fma<8>,
                                chunk_fma<9>,  chunk_fma<10>, chunk_fma<11>, chunk_fma<12>,
                                chunk_fma<13>, chunk_fma<14>, chunk_fma<15>, chunk_fma<16>};
// Columns per chunk: 16 accumulators (256 columns, kDirectChunk) and 8 (128) measured
// alike, 4 (64) slower: each k step then reads too little of a B row.
constexpr int64_t kGemvCols = 256;
static_assert(kGemvCols <= kDirectChunk && kGemvCols % 16 == 0, "at most 16 zmm accumulators");

}  // namespace

void gemm_f32_rows_direct_avx512(bool trans_a, int64_t m, int64_t n, int64_t k, float alpha,
                                 const float* a, int64_t lda, const float* b, int64_t ldb,
                                 float beta, float* c, int64_t ldc, const GemmEpilogue& ep) {
  constexpr int64_t kStackRow = 2048;
  float stack_row[kStackRow];
  float* heap_row = nullptr;
  float* arow = stack_row;
  if (trans_a && k > kStackRow) {
    heap_row = static_cast<float*>(std::malloc(static_cast<size_t>(k) * sizeof(float)));
    if (heap_row == nullptr) std::abort();
    arow = heap_row;
  }
  alignas(64) float acc[kDirectChunk];
  for (int64_t i = 0; i < m; ++i) {
    const float* ar;
    if (trans_a) {
      for (int64_t p = 0; p < k; ++p) arow[p] = a[p * lda + i];
      ar = arow;
    } else {
      ar = a + i * lda;
    }
    float* crow = c + i * ldc;
    for (int64_t j0 = 0; j0 < n; j0 += kGemvCols) {
      const int64_t len = n - j0 < kGemvCols ? n - j0 : kGemvCols;
      const int64_t nq = (len + 15) / 16;
      const int64_t rem = len - 16 * (nq - 1);
      const __mmask16 tail = static_cast<__mmask16>(rem >= 16 ? 0xffffu : (1u << rem) - 1u);
      kChunk[nq - 1](k, ar, b + j0, ldb, tail, acc);
      direct_store(crow, acc, j0, len, alpha, beta, ep);
    }
  }
  std::free(heap_row);
}

}  // namespace densely
