// gemm_f32_14x32_avx512: the AVX-512 microkernel, one 14×32 tile of C.
//
// Operation: C[mr×nr] ← alpha · A·B + beta · C, then (ep != nullptr, last k block)
//   C ← act(C + bias[j]); see gemm_kernels.h (GemmUkernel) for the full contract.
// Packed layouts (units: floats): A micro-panel kc × 14, element (i, p) at a[14p + i];
//   B micro-panel kc × 32, element (p, j) at b[32p + j]; b is 64-byte aligned (the
//   driver's pack buffers are 64-byte aligned and panels are multiples of 32 floats).
// Preconditions: kc ≥ 1, 1 ≤ mr ≤ 14, 1 ≤ nr ≤ 32, ldc ≥ nr; checked under
//   DENSELY_DEBUG_CHECKS.
// gemm_f32_14x32_avx512_rows: the same kernel reading A in place from row-major storage
//   (element (i, p) at a[i·lda + p], lda in elements) instead of a packed panel (the
//   driver's choice for untransposed A small enough to stay in L2). Only rows < mr are
//   read. Same FMA sequence per element, so C is bit-identical to the packed variant.
// Edges: mr < 14 runs only the FMAs of rows < mr and stores only those rows; nr ≤ 16
//   runs only the first 16-column vector's FMAs (each column's chain is its own, so the
//   kept columns get the same arithmetic); columns ≥ nr are stored through opmask
//   registers (masked lanes are neither read nor written and cannot fault). Every stored
//   lane is finished by the same instructions as in a full tile (gemm_epilogue_avx512.h),
//   so an element's bits do not depend on where its tile sits or how the driver splits C.
// beta == 0 means C is never read (it may hold NaN).
//
// Tile choice. Zen 5 (and Sapphire Rapids) issue 2 zmm FMAs per cycle with 4 cycles
//   latency ⇒ ≥ 2 × 4 = 8 independent accumulator chains; 32 zmm registers hold
//   MR × NR/16 accumulators + NR/16 B vectors + 1 broadcast. NR = 32 (2 vectors) keeps
//   the L1-resident B micro-panel at 128 B per k step (64·NR/16 B for wider NR: 6×64
//   needs 256·KC bytes of L1, all 48 KiB at KC = 192); MR = 14 is the most rows that fit
//   (14 × 2 + 2 + 1 = 31 ≤ 32), giving per k step 2 B loads + 14 broadcasts for 28 FMAs
//   (0.57 loads per FMA; 12×32: 0.58, 6×64: 0.42, 8×48: 0.46; Zen 5 sustains 2 zmm
//   loads per cycle, so every candidate is FMA-bound in L1). A k-loop micro-benchmark
//   could not tell the candidates apart (bench/README.md, "Measurements behind the
//   kernel choices": AVX-512 tile), so the tile is chosen for the shapes: NR = 32 wastes at most 16
//   columns per row of tiles (784 = 24 × 32 + 16 runs its last 16 columns as a one-vector tile),
//   and MR = 14 divides 784 (the (A)/(B) dW products' m) and leaves 8 rows of 64 and 512.
// The k loop is the compiler's (no spills: 28 accumulators, 2 B vectors, 1 broadcast; 4
//   loop instructions per k step) and not inline asm like the avx2 set's: one tile whose
//   panels sit in L1/L2 runs it at 97.7% of the FMA peak, within sgemm 1024³ at ~94.5%
//   (the B panels' trips from L2/L3; software prefetch of A, B or the next B panel did
//   not help), and a GNU asm statement cannot take 28 read-write zmm operands (30 at
//   most, each "+v" counting twice) for embedded-broadcast FMAs ({1to16}) anyway
//   (bench/README.md, "Measurements behind the kernel choices": AVX-512 C tile and
//   AVX-512 after the C tile).
// Only the core_avx512 files (native/sources.json) are compiled with the AVX-512 flags;
//   nothing here uses a std:: template (an AVX-512 instantiation could leak to baseline
//   callers).
#include <immintrin.h>

#include <cstdlib>

#include "gemm_epilogue_avx512.h"
#include "gemm_kernels.h"

namespace densely {
namespace {

#if defined(_MSC_VER)
#define DENSELY_NOINLINE __declspec(noinline)
#else
#define DENSELY_NOINLINE __attribute__((noinline))
#endif

constexpr int kMr = 14;

// Row i of an in-place A, addressed from three base pointers (rows 0, 5 and 10) and two
// index registers holding lda and 3·lda in bytes, whose ×1/×2/×4/×8 scaled forms reach
// rows 0–4, 6, 8, 12 from the first base, 5, 7, 9, 11, 13 from the second and 10 from
// the third: a k step advances 4 pointers (3 bases and B) instead of 15.
inline const float* row_at(int i, const char* r0, const char* r5, const char* r10, int64_t l1,
                           int64_t l3) {
  const char* p;
  switch (i) {
    case 0:
      p = r0;
      break;
    case 1:
      p = r0 + l1;
      break;
    case 2:
      p = r0 + 2 * l1;
      break;
    case 3:
      p = r0 + l3;
      break;
    case 4:
      p = r0 + 4 * l1;
      break;
    case 5:
      p = r5;
      break;
    case 6:
      p = r0 + 2 * l3;
      break;
    case 7:
      p = r5 + 2 * l1;
      break;
    case 8:
      p = r0 + 8 * l1;
      break;
    case 9:
      p = r5 + 4 * l1;
      break;
    case 10:
      p = r10;
      break;
    case 11:
      p = r5 + 2 * l3;
      break;
    case 12:
      p = r0 + 4 * l3;
      break;
    default:
      p = r5 + 8 * l1;
      break;
  }
  return reinterpret_cast<const float*>(p);
}

// One tile. kRowsA: A in place (row i at a + i·lda) or packed (a[14p + i]); kRows = mr:
// the rows whose FMAs run; kNv = 1 or 2 vectors of 16 columns (1 when nr ≤ 16).
template <bool kRowsA, int kRows, int kNv>
inline void ukernel_14x32(int64_t kc, const float* a, int64_t lda, const float* b, float* c,
                          int64_t ldc, int64_t mr, int64_t nr, float alpha, float beta,
                          const GemmEpilogue* ep) {
#if defined(DENSELY_DEBUG_CHECKS)
  if (kc < 1 || mr != kRows || nr < 1 || nr > 16 * kNv || ldc < nr) std::abort();
#endif
  __m512 acc[kRows][kNv];
#pragma GCC unroll 14
  for (int i = 0; i < kRows; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < kNv; ++v) acc[i][v] = _mm512_setzero_ps();

  const int64_t l1 = lda * static_cast<int64_t>(sizeof(float)), l3 = 3 * l1;
  const char* r0 = reinterpret_cast<const char*>(a);
  const char* r5 = kRowsA && kRows > 5 ? r0 + 5 * l1 : r0;
  const char* r10 = kRowsA && kRows > 10 ? r0 + 10 * l1 : r0;
  // One k step: 2 B vectors, kRows broadcasts of A, 2·kRows FMAs.
  auto step = [&]() __attribute__((always_inline)) {
    __m512 bv[kNv];
#pragma GCC unroll 2
    for (int v = 0; v < kNv; ++v) bv[v] = _mm512_load_ps(b + 16 * v);
#pragma GCC unroll 14
    for (int i = 0; i < kRows; ++i) {
      const float* ai = kRowsA ? row_at(i, r0, r5, r10, l1, l3) : a + i;
      const __m512 av = _mm512_set1_ps(*ai);
#pragma GCC unroll 2
      for (int v = 0; v < kNv; ++v) acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
    }
    if (kRowsA) {
      r0 += sizeof(float), r5 += sizeof(float), r10 += sizeof(float);
    } else {
      a += kMr;
    }
    b += 32;
  };
  // The tile's C rows (up to 3 cache lines each: the first, middle and last element's)
  // are prefetched during the last 2·kRows k steps, half a row per step: early enough
  // to hide an L3 miss, late enough that the A and B streams of the loop (a 14 × 32
  // tile at KC = 352 moves ~60 KiB through the 48 KiB L1) have not evicted them again,
  // as they did when the whole tile was prefetched before the loop (bench/README.md,
  // "Measurements behind the kernel choices": AVX-512 C tile). A tile of fewer k steps
  // prefetches nothing: there the C lines' prefetches cost more than they hid (NT
  // 64×128·10, k = 10, C small enough to stay in cache).
  if (kc < 2 * kRows) {
    for (int64_t p = 0; p < kc; ++p) step();
  } else {
    for (int64_t p = 2 * kRows; p < kc; ++p) step();
    for (int64_t i = 0; i < kRows; ++i) {
      const char* row = reinterpret_cast<const char*>(c + i * ldc);
      step();
      _mm_prefetch(row, _MM_HINT_T0);
      step();
      _mm_prefetch(row + 32 * kNv, _MM_HINT_T0);
      _mm_prefetch(row + 64 * kNv - 4, _MM_HINT_T0);
    }
  }

  const __m512 zero = _mm512_setzero_ps();
  const int64_t n1 = nr - 16;  // columns in the second vector (≤ 0: none)
  const __mmask16 m0 =
      nr >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << nr) - 1u);
  const __mmask16 m1 = n1 >= 16  ? static_cast<__mmask16>(0xffff)
                       : n1 <= 0 ? static_cast<__mmask16>(0)
                                 : static_cast<__mmask16>((1u << n1) - 1u);
  const __mmask16 masks[2] = {m0, m1};
  // Whole vectors (nr = 16·kNv): plain loads and stores; else through the masks.
  const bool whole = nr == 16 * kNv;
  // beta ≠ 0: acc ← alpha·acc + beta·C for the whole tile first, then the epilogue and
  // the stores: with C's loads interleaved with its stores, each row's load waited for
  // the previous row's store (rows ldc·4 bytes apart alias in the low 12 address bits
  // whenever ldc is a multiple of 1024), so the update ran one row at a time. The two
  // steps are TileFinish512's own (alpha, beta, no epilogue), then (1, 0, ep), which
  // does exactly what one TileFinish512(alpha, beta, ep) does: the same bits.
  const bool has_c = beta != 0.0f;
  if (has_c) {
    const TileFinish512 scale(alpha, beta, nullptr);
#pragma GCC unroll 14
    for (int i = 0; i < kRows; ++i) {
      const float* row = c + i * ldc;
#pragma GCC unroll 2
      for (int v = 0; v < kNv; ++v) {
        const __m512 cv =
            whole ? _mm512_loadu_ps(row + 16 * v) : _mm512_maskz_loadu_ps(masks[v], row + 16 * v);
        acc[i][v] = scale(acc[i][v], cv, zero);
      }
    }
  }
  const TileFinish512 fin(has_c ? 1.0f : alpha, 0.0f, ep);
  __m512 biasv[kNv];
#pragma GCC unroll 2
  for (int v = 0; v < kNv; ++v)
    biasv[v] = !fin.has_bias ? zero
               : whole       ? _mm512_loadu_ps(ep->bias + 16 * v)
                             : _mm512_maskz_loadu_ps(masks[v], ep->bias + 16 * v);
#pragma GCC unroll 14
  for (int i = 0; i < kRows; ++i) {
    float* row = c + i * ldc;
#pragma GCC unroll 2
    for (int v = 0; v < kNv; ++v) {
      const __m512 out = fin(acc[i][v], zero, biasv[v]);
      if (whole) {
        _mm512_storeu_ps(row + 16 * v, out);
      } else {
        _mm512_mask_storeu_ps(row + 16 * v, masks[v], out);
      }
    }
  }
}

template <bool kRowsA, int kNv>
DENSELY_NOINLINE void edge_rows(int64_t kc, const float* a, int64_t lda, const float* b, float* c,
                                int64_t ldc, int64_t mr, int64_t nr, float alpha, float beta,
                                const GemmEpilogue* ep) {
#define DENSELY_CASE(R) \
  case R:               \
    return ukernel_14x32<kRowsA, R, kNv>(kc, a, lda, b, c, ldc, mr, nr, alpha, beta, ep);
  switch (mr) {
    DENSELY_CASE(14)
    DENSELY_CASE(13)
    DENSELY_CASE(12)
    DENSELY_CASE(11)
    DENSELY_CASE(10)
    DENSELY_CASE(9)
    DENSELY_CASE(8)
    DENSELY_CASE(7)
    DENSELY_CASE(6)
    DENSELY_CASE(5)
    DENSELY_CASE(4)
    DENSELY_CASE(3)
    DENSELY_CASE(2)
    default:
      return ukernel_14x32<kRowsA, 1, kNv>(kc, a, lda, b, c, ldc, mr, nr, alpha, beta, ep);
  }
#undef DENSELY_CASE
}

// Full-row tiles inline in the entry points; edge tiles through a never-inlined
// dispatcher (inlined, their code and stack frames slowed the full tiles' calls).
template <bool kRowsA>
inline void tile(int64_t kc, const float* a, int64_t lda, const float* b, float* c, int64_t ldc,
                 int64_t mr, int64_t nr, float alpha, float beta, const GemmEpilogue* ep) {
  if (mr == kMr && nr > 16)
    return ukernel_14x32<kRowsA, kMr, 2>(kc, a, lda, b, c, ldc, mr, nr, alpha, beta, ep);
  if (nr > 16) return edge_rows<kRowsA, 2>(kc, a, lda, b, c, ldc, mr, nr, alpha, beta, ep);
  edge_rows<kRowsA, 1>(kc, a, lda, b, c, ldc, mr, nr, alpha, beta, ep);
}

}  // namespace

void gemm_f32_14x32_avx512(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                           int64_t mr, int64_t nr, float alpha, float beta,
                           const GemmEpilogue* ep) {
  tile<false>(kc, a, 0, b, c, ldc, mr, nr, alpha, beta, ep);
}

void gemm_f32_14x32_avx512_rows(int64_t kc, const float* a, int64_t lda, const float* b, float* c,
                                int64_t ldc, int64_t mr, int64_t nr, float alpha, float beta,
                                const GemmEpilogue* ep) {
  tile<true>(kc, a, lda, b, c, ldc, mr, nr, alpha, beta, ep);
}

}  // namespace densely
