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
//   cost more than it saves. Only rows < mr are read.
//   Same FMA sequence per element, so C is bit-identical to the packed-A variant.
// Edges: mr < 6 runs only the FMAs of rows < mr (a row's arithmetic does not depend on
//   the others) and stores only those rows; nr < 16 runs the same register arithmetic
//   on the zero-padded panel and stores through AVX2 lane masks (vmaskmovps: columns
//   ≥ nr are neither read nor written). Each stored lane is finished by the same
//   instructions as in a full tile. So every element of C gets the same operation
//   sequence wherever its tile sits, which keeps results independent of how the driver
//   splits C.
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

#if defined(_MSC_VER)
#define DENSELY_NOINLINE __declspec(noinline)
#else
#define DENSELY_NOINLINE __attribute__((noinline))
#endif

#if (defined(__GNUC__) || defined(__clang__)) && !defined(DENSELY_NO_ASM)
#define DENSELY_KLOOP_ASM 1
// The full tile's k loop over packed A, in inline assembly: the same 12 FMAs per k step
// as the C loop below (each accumulator gets fma(a[6p+i], b[16p+j], acc) in p order,
// so C's bits are unchanged), unrolled 4 steps per iteration with the A micro-panel
// (streamed from L2: the packed A block) prefetched 8 lines ahead and two broadcast
// registers alternating so a broadcast never waits for the previous row's FMAs to read
// its register. The 12 accumulators are output operands, zeroed here (the tile starts
// from 0 as the C loop does); ymm12–15 are scratch. Written out because GCC 12 will not
// unroll the intrinsics loop without spilling an accumulator (see the C loop). It was
// measured faster than the C loop on the (B) shapes, and closer to OpenBLAS's kernel
// (bench/README.md, "Measurements behind the kernel choices": AVX2 asm k loop).
// DENSELY_NO_ASM builds the C loop everywhere (compilers without GNU inline asm
// get it anyway).
#define DENSELY_K_STEP(OA, OB)               \
  "vmovaps " #OB                             \
  "(%[b]), %%ymm12\n\t"                      \
  "vmovaps " #OB                             \
  "+32(%[b]), %%ymm13\n\t"                   \
  "vbroadcastss " #OA                        \
  "(%[a]), %%ymm14\n\t"                      \
  "vbroadcastss " #OA                        \
  "+4(%[a]), %%ymm15\n\t"                    \
  "vfmadd231ps %%ymm12, %%ymm14, %[c00]\n\t" \
  "vfmadd231ps %%ymm13, %%ymm14, %[c01]\n\t" \
  "vfmadd231ps %%ymm12, %%ymm15, %[c10]\n\t" \
  "vfmadd231ps %%ymm13, %%ymm15, %[c11]\n\t" \
  "vbroadcastss " #OA                        \
  "+8(%[a]), %%ymm14\n\t"                    \
  "vbroadcastss " #OA                        \
  "+12(%[a]), %%ymm15\n\t"                   \
  "vfmadd231ps %%ymm12, %%ymm14, %[c20]\n\t" \
  "vfmadd231ps %%ymm13, %%ymm14, %[c21]\n\t" \
  "vfmadd231ps %%ymm12, %%ymm15, %[c30]\n\t" \
  "vfmadd231ps %%ymm13, %%ymm15, %[c31]\n\t" \
  "vbroadcastss " #OA                        \
  "+16(%[a]), %%ymm14\n\t"                   \
  "vbroadcastss " #OA                        \
  "+20(%[a]), %%ymm15\n\t"                   \
  "vfmadd231ps %%ymm12, %%ymm14, %[c40]\n\t" \
  "vfmadd231ps %%ymm13, %%ymm14, %[c41]\n\t" \
  "vfmadd231ps %%ymm12, %%ymm15, %[c50]\n\t" \
  "vfmadd231ps %%ymm13, %%ymm15, %[c51]\n\t"

inline void kloop_6x16_packed(int64_t kc, const float* a, const float* b, __m256& c00, __m256& c01,
                              __m256& c10, __m256& c11, __m256& c20, __m256& c21, __m256& c30,
                              __m256& c31, __m256& c40, __m256& c41, __m256& c50, __m256& c51) {
  int64_t quads = kc >> 2;
  int64_t rest = kc & 3;
  __asm__ volatile(
      "vxorps %[c00], %[c00], %[c00]\n\t"
      "vxorps %[c01], %[c01], %[c01]\n\t"
      "vxorps %[c10], %[c10], %[c10]\n\t"
      "vxorps %[c11], %[c11], %[c11]\n\t"
      "vxorps %[c20], %[c20], %[c20]\n\t"
      "vxorps %[c21], %[c21], %[c21]\n\t"
      "vxorps %[c30], %[c30], %[c30]\n\t"
      "vxorps %[c31], %[c31], %[c31]\n\t"
      "vxorps %[c40], %[c40], %[c40]\n\t"
      "vxorps %[c41], %[c41], %[c41]\n\t"
      "vxorps %[c50], %[c50], %[c50]\n\t"
      "vxorps %[c51], %[c51], %[c51]\n\t"
      "test %[q], %[q]\n\t"
      "jz 2f\n\t"
      "1:\n\t"
      "prefetcht0 512(%[a])\n\t"
      DENSELY_K_STEP(0, 0)
      DENSELY_K_STEP(24, 64)
      "prefetcht0 576(%[a])\n\t"
      DENSELY_K_STEP(48, 128)
      DENSELY_K_STEP(72, 192)
      "add $96, %[a]\n\t"
      "add $256, %[b]\n\t"
      "dec %[q]\n\t"
      "jnz 1b\n\t"
      "2:\n\t"
      "test %[r], %[r]\n\t"
      "jz 4f\n\t"
      "3:\n\t"
      DENSELY_K_STEP(0, 0)
      "add $24, %[a]\n\t"
      "add $64, %[b]\n\t"
      "dec %[r]\n\t"
      "jnz 3b\n\t"
      "4:\n\t"
      : [a] "+r"(a), [b] "+r"(b), [q] "+r"(quads), [r] "+r"(rest), [c00] "=x"(c00),
        [c01] "=x"(c01), [c10] "=x"(c10), [c11] "=x"(c11), [c20] "=x"(c20), [c21] "=x"(c21),
        [c30] "=x"(c30), [c31] "=x"(c31), [c40] "=x"(c40), [c41] "=x"(c41), [c50] "=x"(c50),
        [c51] "=x"(c51)
      :
      : "xmm12", "xmm13", "xmm14", "xmm15", "cc", "memory");
}
#undef DENSELY_K_STEP
#else
#define DENSELY_KLOOP_ASM 0
#endif

// The k loop. kRowsA = false: A is a packed micro-panel (a[6p + i]); true: A is read in
// place from row-major storage (row i at a + i·lda for i < kRows), addressed from two
// pointers (rows 0 and 3) plus lda and 2·lda as index registers, so a k step advances 3
// pointers (A, A + 3·lda, B) instead of 7. kRows = mr: an edge tile runs only its rows'
// FMAs (each row's accumulators are their own chains, so a row's arithmetic is the same
// in a 6-row and a 2-row tile); m = 64 or 128 leaves a 4- or 2-row tile per column
// panel, which would otherwise cost a full tile's 12 FMAs per k step.
template <bool kRowsA, int kRows>
inline void ukernel_6x16(int64_t kc, const float* a, int64_t lda, const float* b, float* c,
                         int64_t ldc, int64_t mr, int64_t nr, float alpha, float beta,
                         const GemmEpilogue* ep) {
#if defined(DENSELY_DEBUG_CHECKS)
  if (kc < 1 || mr != kRows || nr < 1 || nr > 16 || ldc < nr) std::abort();
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
  const float* r3 = kRowsA && kRows > 3 ? a + 3 * lda : a;
  // The tile's rows of C (one or two lines each), needed after the k loop: their L2/L3
  // misses then overlap the loop instead of stalling the update.
  for (int i = 0; i < kRows; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 15), _MM_HINT_T0);
  }

#define DENSELY_A(P, I, R) (kRowsA ? (R) + (P) : a + 6 * (P) + (I))
#define DENSELY_R0 a
#define DENSELY_R1 a + lda
#define DENSELY_R2 a + 2 * lda
#define DENSELY_R3 r3
#define DENSELY_R4 r3 + lda
#define DENSELY_R5 r3 + 2 * lda
#define DENSELY_ROW_FMA(P, I, X0, X1)                                     \
  if (kRows > (I)) {                                                      \
    const __m256 av = _mm256_broadcast_ss(DENSELY_A(P, I, DENSELY_R##I)); \
    X0 = _mm256_fmadd_ps(av, b0, X0);                                     \
    X1 = _mm256_fmadd_ps(av, b1, X1);                                     \
  }
#define DENSELY_STEP(P)                                 \
  do {                                                  \
    const __m256 b0 = _mm256_load_ps(b + 16 * (P));     \
    const __m256 b1 = _mm256_load_ps(b + 16 * (P) + 8); \
    DENSELY_ROW_FMA(P, 0, c00, c01)                     \
    DENSELY_ROW_FMA(P, 1, c10, c11)                     \
    DENSELY_ROW_FMA(P, 2, c20, c21)                     \
    DENSELY_ROW_FMA(P, 3, c30, c31)                     \
    DENSELY_ROW_FMA(P, 4, c40, c41)                     \
    DENSELY_ROW_FMA(P, 5, c50, c51)                     \
  } while (0)
#define DENSELY_ADVANCE(N) \
  do {                     \
    if (kRowsA) {          \
      a += (N), r3 += (N); \
    } else {               \
      a += 6 * (N);        \
    }                      \
    b += 16 * (N);         \
  } while (0)

  // Edge tiles, in-place A, and builds without the assembly loop: one k step per
  // iteration, not unrolled: with 4 steps per iteration (and a software
  // prefetch of B) GCC 12 kept one accumulator on the stack (an FMA with a memory
  // operand and a spill store every 4 steps); this loop is 25 instructions for 12 FMAs
  // with all 15 values in registers, and the 6 FMA cycles per step hide the loop
  // overhead on a core that issues 6–8 instructions a cycle.
#if DENSELY_KLOOP_ASM
  if (!kRowsA && kRows == 6) {
    kloop_6x16_packed(kc, a, b, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51);
  } else
#endif
  {
#pragma GCC unroll 1
    for (int64_t p = 0; p < kc; ++p) {
      DENSELY_STEP(0);
      DENSELY_ADVANCE(1);
    }
  }
#undef DENSELY_ADVANCE
#undef DENSELY_STEP
#undef DENSELY_A
#undef DENSELY_ROW_FMA
#undef DENSELY_R0
#undef DENSELY_R1
#undef DENSELY_R2
#undef DENSELY_R3
#undef DENSELY_R4
#undef DENSELY_R5

  const TileFinish fin(alpha_mem, beta_mem, ep);
  const __m256 zero = _mm256_setzero_ps();
  if (nr == 16) {
    // All 16 columns: plain loads and stores (vmaskmovps stores are slow on AMD cores),
    // rows ≥ mr skipped.
    const __m256 bias0 = fin.has_bias ? _mm256_loadu_ps(ep->bias) : zero;
    const __m256 bias1 = fin.has_bias ? _mm256_loadu_ps(ep->bias + 8) : zero;
#define DENSELY_ROW(I, X0, X1)                                        \
  do {                                                                \
    if ((I) < mr) {                                                   \
      float* row = c + (I)*ldc;                                       \
      const __m256 cv0 = fin.has_c ? _mm256_loadu_ps(row) : zero;     \
      const __m256 cv1 = fin.has_c ? _mm256_loadu_ps(row + 8) : zero; \
      _mm256_storeu_ps(row, fin(X0, cv0, bias0));                     \
      _mm256_storeu_ps(row + 8, fin(X1, cv1, bias1));                 \
    }                                                                 \
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
  const __m256 bias0 = fin.has_bias ? _mm256_maskload_ps(ep->bias, mask0) : zero;
  const __m256 bias1 = fin.has_bias ? _mm256_maskload_ps(ep->bias + 8, mask1) : zero;
#define DENSELY_ROW(I, X0, X1)                                                  \
  do {                                                                          \
    if ((I) < mr) {                                                             \
      float* row = c + (I)*ldc;                                                 \
      const __m256 cv0 = fin.has_c ? _mm256_maskload_ps(row, mask0) : zero;     \
      const __m256 cv1 = fin.has_c ? _mm256_maskload_ps(row + 8, mask1) : zero; \
      _mm256_maskstore_ps(row, mask0, fin(X0, cv0, bias0));                     \
      _mm256_maskstore_ps(row + 8, mask1, fin(X1, cv1, bias1));                 \
    }                                                                           \
  } while (0)
  DENSELY_ROW(0, c00, c01);
  DENSELY_ROW(1, c10, c11);
  DENSELY_ROW(2, c20, c21);
  DENSELY_ROW(3, c30, c31);
  DENSELY_ROW(4, c40, c41);
  DENSELY_ROW(5, c50, c51);
#undef DENSELY_ROW
}

// Edge tiles (mr < 6) through a separate, never-inlined dispatcher: inlined, their spill
// slots made every call of the entry points below set up a 32-byte-aligned stack frame,
// which costs most where each tile has only a few k steps (NT 64×128·10).
template <bool kRowsA>
DENSELY_NOINLINE void edge_tile(int64_t kc, const float* a, int64_t lda, const float* b, float* c,
                                int64_t ldc, int64_t mr, int64_t nr, float alpha, float beta,
                                const GemmEpilogue* ep) {
  switch (mr) {
    case 5:
      return ukernel_6x16<kRowsA, 5>(kc, a, lda, b, c, ldc, mr, nr, alpha, beta, ep);
    case 4:
      return ukernel_6x16<kRowsA, 4>(kc, a, lda, b, c, ldc, mr, nr, alpha, beta, ep);
    case 3:
      return ukernel_6x16<kRowsA, 3>(kc, a, lda, b, c, ldc, mr, nr, alpha, beta, ep);
    case 2:
      return ukernel_6x16<kRowsA, 2>(kc, a, lda, b, c, ldc, mr, nr, alpha, beta, ep);
    default:
      return ukernel_6x16<kRowsA, 1>(kc, a, lda, b, c, ldc, mr, nr, alpha, beta, ep);
  }
}

}  // namespace

void gemm_f32_6x16_avx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                        int64_t mr, int64_t nr, float alpha, float beta, const GemmEpilogue* ep) {
  if (mr == 6) return ukernel_6x16<false, 6>(kc, a, 0, b, c, ldc, mr, nr, alpha, beta, ep);
  edge_tile<false>(kc, a, 0, b, c, ldc, mr, nr, alpha, beta, ep);
}

void gemm_f32_6x16_avx2_rows(int64_t kc, const float* a, int64_t lda, const float* b, float* c,
                             int64_t ldc, int64_t mr, int64_t nr, float alpha, float beta,
                             const GemmEpilogue* ep) {
  if (mr == 6) return ukernel_6x16<true, 6>(kc, a, lda, b, c, ldc, mr, nr, alpha, beta, ep);
  edge_tile<true>(kc, a, lda, b, c, ldc, mr, nr, alpha, beta, ep);
}

}  // namespace densely
