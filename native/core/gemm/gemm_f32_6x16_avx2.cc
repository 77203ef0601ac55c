// gemm_f32_6x16_avx2: the AVX2+FMA microkernel, one 6×16 tile of C.
//
// Operation: C[mr×nr] ← alpha · A·B + beta · C, then (ep != nullptr, last k block)
//   C ← act(C + bias[j]); see gemm_kernels.h (GemmUkernel) for the full contract.
// Packed layouts (units: floats): A micro-panel kc × 6, element (i, p) at a[6p + i];
//   B micro-panel kc × 16, element (p, j) at b[16p + j]; b is 32-byte aligned (the
//   driver's pack buffers are 64-byte aligned and panels are multiples of 16 floats).
// Preconditions: kc ≥ 1, 1 ≤ mr ≤ 6, 1 ≤ nr ≤ 16, ldc ≥ nr; checked under
//   DENSELY_DEBUG_CHECKS.
// gemm_f32_6x16_avx2_rows: the same kernel reading A in place from row-major storage
//   (element (i, p) at a[i·lda + p], lda in elements) instead of a packed panel; the
//   driver uses it for untransposed A small enough to stay in L2, where packing A would
//   cost more than it saves. Rows past mr alias row 0 (their results are discarded).
//   Same FMA sequence per element, so C is bit-identical to the packed-A variant.
// Edges: mr < 6 or nr < 16 run the same register arithmetic on the zero-padded panels,
//   then skip rows ≥ mr and, when nr < 16, store through AVX2 lane masks (vmaskmovps:
//   columns ≥ nr are neither read nor written); each stored lane is finished by the same instructions
//   as in a full tile. So every element of C gets the same operation sequence wherever
//   its tile sits, which keeps results independent of how the driver splits C.
// beta == 0 means C is never read (it may hold NaN).
//
// Register budget: 16 ymm. 6 rows × 2 vectors of 8 = 12 accumulators, 2 for the B row,
//   1 for the broadcast A element = 15. Throughput: Zen 3 has 2 FMA pipes with 4-cycle
//   latency, so ≥ 2 × 4 = 8 independent accumulator chains keep both pipes busy; 12
//   chains leave slack for load latency. Per k step: 2 loads of B + 6 broadcasts of A
//   for 12 FMAs (a 1.5 FMA : 1 load ratio; Zen 3 sustains 3 loads/cycle).
// Only the core_avx2 files (native/sources.json) are compiled with -mavx2 -mfma; nothing
// here uses a std:: template (an AVX2 instantiation could leak to baseline callers).
#include <immintrin.h>

#include <cstdlib>

#include "gemm_epilogue_avx2.h"
#include "gemm_kernels.h"

namespace densely {
namespace {

// The k loop. kRowsA = false: A is a packed micro-panel (a[6p + i]); true: A is read in
// place from row-major storage (row i at a_rows[i], element p at a_rows[i][p]).
template <bool kRowsA>
inline void ukernel_6x16(int64_t kc, const float* a, const float* const* a_rows, const float* b,
                         float* c, int64_t ldc, int64_t mr, int64_t nr, float alpha, float beta,
                         const GemmEpilogue* ep) {
#if defined(DENSELY_DEBUG_CHECKS)
  if (kc < 1 || mr < 1 || mr > 6 || nr < 1 || nr > 16 || ldc < nr) std::abort();
#endif
  // alpha and beta wait in memory: held in two xmm registers across the k loop they made
  // GCC 12 keep an accumulator on the stack instead (15 ymm in use + 2 = 17 > 16).
  volatile float alpha_mem = alpha, beta_mem = beta;
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  const float *r0 = nullptr, *r1 = nullptr, *r2 = nullptr, *r3 = nullptr, *r4 = nullptr, *r5 = nullptr;
  if (kRowsA) {
    r0 = a_rows[0], r1 = a_rows[1], r2 = a_rows[2], r3 = a_rows[3], r4 = a_rows[4], r5 = a_rows[5];
  }

#define DENSELY_A(P, I, R) (kRowsA ? (R) + (P) : a + 6 * (P) + (I))
#define DENSELY_STEP(P)                                               \
  do {                                                                \
    const __m256 b0 = _mm256_load_ps(b + 16 * (P));                   \
    const __m256 b1 = _mm256_load_ps(b + 16 * (P) + 8);               \
    __m256 av = _mm256_broadcast_ss(DENSELY_A(P, 0, r0));             \
    c00 = _mm256_fmadd_ps(av, b0, c00);                               \
    c01 = _mm256_fmadd_ps(av, b1, c01);                               \
    av = _mm256_broadcast_ss(DENSELY_A(P, 1, r1));                    \
    c10 = _mm256_fmadd_ps(av, b0, c10);                               \
    c11 = _mm256_fmadd_ps(av, b1, c11);                               \
    av = _mm256_broadcast_ss(DENSELY_A(P, 2, r2));                    \
    c20 = _mm256_fmadd_ps(av, b0, c20);                               \
    c21 = _mm256_fmadd_ps(av, b1, c21);                               \
    av = _mm256_broadcast_ss(DENSELY_A(P, 3, r3));                    \
    c30 = _mm256_fmadd_ps(av, b0, c30);                               \
    c31 = _mm256_fmadd_ps(av, b1, c31);                               \
    av = _mm256_broadcast_ss(DENSELY_A(P, 4, r4));                    \
    c40 = _mm256_fmadd_ps(av, b0, c40);                               \
    c41 = _mm256_fmadd_ps(av, b1, c41);                               \
    av = _mm256_broadcast_ss(DENSELY_A(P, 5, r5));                    \
    c50 = _mm256_fmadd_ps(av, b0, c50);                               \
    c51 = _mm256_fmadd_ps(av, b1, c51);                               \
  } while (0)
#define DENSELY_ADVANCE(N)                                                          \
  do {                                                                              \
    if (kRowsA) {                                                                   \
      r0 += (N), r1 += (N), r2 += (N), r3 += (N), r4 += (N), r5 += (N);             \
    } else {                                                                        \
      a += 6 * (N);                                                                 \
    }                                                                               \
    b += 16 * (N);                                                                  \
  } while (0)

  // One k step per iteration, not unrolled: with 4 steps per iteration (and a software
  // prefetch of B) GCC 12 kept one accumulator on the stack (an FMA with a memory
  // operand and a spill store every 4 steps); this loop is 25 instructions for 12 FMAs
  // with all 15 values in registers, and the 6 FMA cycles per step hide the loop
  // overhead on a core that issues 6–8 instructions a cycle.
#pragma GCC unroll 1
  for (int64_t p = 0; p < kc; ++p) {
    DENSELY_STEP(0);
    DENSELY_ADVANCE(1);
  }
#undef DENSELY_ADVANCE
#undef DENSELY_STEP
#undef DENSELY_A

  alpha = alpha_mem;
  beta = beta_mem;
  const __m256 valpha = _mm256_set1_ps(alpha);
  const __m256 zero = _mm256_setzero_ps();
  const bool has_bias = ep != nullptr && epilogue_has_bias(ep->kind);
  const bool has_c = beta != 0.0f;
  if (nr == 16) {
    // All 16 columns: plain loads and stores (vmaskmovps stores are slow on AMD cores),
    // rows ≥ mr skipped.
    const __m256 bias0 = has_bias ? _mm256_loadu_ps(ep->bias) : zero;
    const __m256 bias1 = has_bias ? _mm256_loadu_ps(ep->bias + 8) : zero;
#define DENSELY_ROW(I, X0, X1)                                                                 \
  do {                                                                                         \
    if ((I) < mr) {                                                                            \
      float* row = c + (I) * ldc;                                                              \
      const __m256 cv0 = has_c ? _mm256_loadu_ps(row) : zero;                                  \
      const __m256 cv1 = has_c ? _mm256_loadu_ps(row + 8) : zero;                              \
      _mm256_storeu_ps(row, finish(X0, cv0, valpha, beta, bias0, ep));                         \
      _mm256_storeu_ps(row + 8, finish(X1, cv1, valpha, beta, bias1, ep));                     \
    }                                                                                          \
  } while (0)
    DENSELY_ROW(0, c00, c01);
    DENSELY_ROW(1, c10, c11);
    DENSELY_ROW(2, c20, c21);
    DENSELY_ROW(3, c30, c31);
    DENSELY_ROW(4, c40, c41);
    DENSELY_ROW(5, c50, c51);
#undef DENSELY_ROW
    return;
  }
  // Edge tile: lane masks for columns < nr; masked lanes are neither read nor written
  // (vmaskmov does not fault on them), rows ≥ mr are skipped.
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i nrv = _mm256_set1_epi32(static_cast<int>(nr));
  const __m256i mask0 = _mm256_cmpgt_epi32(nrv, lane);
  const __m256i mask1 = _mm256_cmpgt_epi32(nrv, _mm256_add_epi32(lane, _mm256_set1_epi32(8)));
  const __m256 bias0 = has_bias ? _mm256_maskload_ps(ep->bias, mask0) : zero;
  const __m256 bias1 = has_bias ? _mm256_maskload_ps(ep->bias + 8, mask1) : zero;
#define DENSELY_ROW(I, X0, X1)                                                                 \
  do {                                                                                         \
    if ((I) < mr) {                                                                            \
      float* row = c + (I) * ldc;                                                              \
      const __m256 cv0 = has_c ? _mm256_maskload_ps(row, mask0) : zero;                        \
      const __m256 cv1 = has_c ? _mm256_maskload_ps(row + 8, mask1) : zero;                    \
      _mm256_maskstore_ps(row, mask0, finish(X0, cv0, valpha, beta, bias0, ep));              \
      _mm256_maskstore_ps(row + 8, mask1, finish(X1, cv1, valpha, beta, bias1, ep));           \
    }                                                                                          \
  } while (0)
  DENSELY_ROW(0, c00, c01);
  DENSELY_ROW(1, c10, c11);
  DENSELY_ROW(2, c20, c21);
  DENSELY_ROW(3, c30, c31);
  DENSELY_ROW(4, c40, c41);
  DENSELY_ROW(5, c50, c51);
#undef DENSELY_ROW
}

}  // namespace

void gemm_f32_6x16_avx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                        int64_t mr, int64_t nr, float alpha, float beta, const GemmEpilogue* ep) {
  ukernel_6x16<false>(kc, a, nullptr, b, c, ldc, mr, nr, alpha, beta, ep);
}

void gemm_f32_6x16_avx2_rows(int64_t kc, const float* a, int64_t lda, const float* b, float* c,
                             int64_t ldc, int64_t mr, int64_t nr, float alpha, float beta,
                             const GemmEpilogue* ep) {
  // Rows past mr alias row 0: computed like the others, never stored.
  const float* rows[6];
  for (int64_t i = 0; i < 6; ++i) rows[i] = a + (i < mr ? i : 0) * lda;
  ukernel_6x16<true>(kc, nullptr, rows, b, c, ldc, mr, nr, alpha, beta, ep);
}

}  // namespace densely
