// pack_a_f32 / pack_b_f32: copy a block of op(A) / op(B) into the micro-panel layouts
// the microkernels stream (contract in gemm_kernels.h). Every transpose is absorbed
// here, so the backprop products X·W, Xᵀ·dZ and dZ·Wᵀ read their operands in place
// and never materialise a transposed copy. Baseline ISA; units are elements.
//
// Access patterns (the read side is always contiguous along a stored row):
//   A, no transpose  (a[i·lda + p]): rows interleaved (interleave_rows, 4×4 transposes).
//   A, transpose     (a[p·lda + i]): per p, copy mr contiguous.
//   B, no transpose  (b[p·ldb + j]): per p, copy nr contiguous.
//   B, transpose     (b[j·ldb + p]): rows of B interleaved (interleave_rows).
// Rows of A past i0 + mc and columns of B past j0 + nc are written as zeros.
#include <cstdlib>
#include <cstring>

#include "gemm_kernels.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace densely {
namespace {

// Interleaves `rows` source rows (row r at src + r·ld, kc elements each) into out with
// out[p·W + r] = row_r[p] — the strided-write half of packing (A untransposed, B
// transposed). SSE2 (x86-64 baseline): groups of 4 rows × 4 k go through a 4×4 register
// transpose, so reads and writes are 4-wide; leftover rows/k are copied one by one.
template <int W>
void interleave_rows(const float* src, int64_t ld, int64_t rows, int64_t kc, float* out) {
  int64_t r = 0;
#if defined(__SSE2__)
  for (; r + 4 <= rows; r += 4) {
    const float* s0 = src + r * ld;
    const float* s1 = s0 + ld;
    const float* s2 = s1 + ld;
    const float* s3 = s2 + ld;
    int64_t p = 0;
    for (; p + 4 <= kc; p += 4) {
      __m128 x0 = _mm_loadu_ps(s0 + p), x1 = _mm_loadu_ps(s1 + p);
      __m128 x2 = _mm_loadu_ps(s2 + p), x3 = _mm_loadu_ps(s3 + p);
      _MM_TRANSPOSE4_PS(x0, x1, x2, x3);
      float* d = out + p * W + r;
      _mm_storeu_ps(d, x0);
      _mm_storeu_ps(d + W, x1);
      _mm_storeu_ps(d + 2 * W, x2);
      _mm_storeu_ps(d + 3 * W, x3);
    }
    for (; p < kc; ++p) {
      float* d = out + p * W + r;
      d[0] = s0[p];
      d[1] = s1[p];
      d[2] = s2[p];
      d[3] = s3[p];
    }
  }
#endif
  for (; r < rows; ++r) {
    const float* s0 = src + r * ld;
    for (int64_t p = 0; p < kc; ++p) out[p * W + r] = s0[p];
  }
}

template <int MR>
void pack_a_fixed(bool trans_a, const float* a, int64_t lda, int64_t i0, int64_t mc, int64_t p0,
                  int64_t kc, float* out) {
  for (int64_t q = 0; q < mc; q += MR) {
    const int64_t rows = mc - q < MR ? mc - q : MR;
    if (!trans_a) {
      interleave_rows<MR>(a + (i0 + q) * lda + p0, lda, rows, kc, out);
      for (int64_t i = rows; i < MR; ++i)
        for (int64_t p = 0; p < kc; ++p) out[p * MR + i] = 0.0f;
    } else {
      const float* src = a + p0 * lda + i0 + q;
      if (rows == MR) {
        for (int64_t p = 0; p < kc; ++p)
          for (int i = 0; i < MR; ++i) out[p * MR + i] = src[p * lda + i];
      } else {
        for (int64_t p = 0; p < kc; ++p)
          for (int64_t i = 0; i < MR; ++i) out[p * MR + i] = i < rows ? src[p * lda + i] : 0.0f;
      }
    }
    out += MR * kc;
  }
}

template <int NR>
void pack_b_fixed(bool trans_b, const float* b, int64_t ldb, int64_t p0, int64_t kc, int64_t j0,
                  int64_t nc, float* out) {
  if (!trans_b) {
    // Full panels kGroup at a time, row by row: each row of B gives kGroup·NR contiguous
    // floats (a stream the hardware prefetcher follows), scattered NR to each panel. One
    // panel at a time reads NR floats from each of kc rows ldb apart (slower: strided);
    // all panels at once writes to nc/NR places kc·NR floats apart, the same L1 set when
    // kc·NR·4 B is a multiple of 4 KiB, which thrashes past the 8–12 ways of L1. kGroup =
    // 8 stays within the ways. Rows kPrefetchRows ahead are prefetched: B is read once
    // per call, often from L3 (128×512·784 NN: B is 1.6 MB), and the copy stalled on
    // those misses (bench/README.md, "Measurements behind the kernel choices": pack B).
    constexpr int64_t kGroup = 8;
    [[maybe_unused]] constexpr int64_t kPrefetchRows = 8;  // SSE2 builds only
    const int64_t full = nc / NR;
    for (int64_t q0 = 0; q0 < full; q0 += kGroup) {
      const int64_t q1 = full - q0 < kGroup ? full : q0 + kGroup;
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = b + (p0 + p) * ldb + j0;
#if defined(__SSE2__)
        if (p + kPrefetchRows < kc) {
          const float* ahead = src + kPrefetchRows * ldb;
          for (int64_t q = q0; q < q1; ++q)
            _mm_prefetch(reinterpret_cast<const char*>(ahead + q * NR), _MM_HINT_T0);
        }
#endif
        for (int64_t q = q0; q < q1; ++q)
          std::memcpy(out + q * NR * kc + p * NR, src + q * NR, sizeof(float) * NR);
      }
    }
    out += full * NR * kc;
    j0 += full * NR;
    nc -= full * NR;
  }
  for (int64_t q = 0; q < nc; q += NR) {
    const int64_t cols = nc - q < NR ? nc - q : NR;
    if (!trans_b) {
      const float* src = b + p0 * ldb + j0 + q;
      if (cols == NR) {
        for (int64_t p = 0; p < kc; ++p)
          std::memcpy(out + p * NR, src + p * ldb, sizeof(float) * NR);
      } else {
        for (int64_t p = 0; p < kc; ++p)
          for (int64_t j = 0; j < NR; ++j) out[p * NR + j] = j < cols ? src[p * ldb + j] : 0.0f;
      }
    } else {
      interleave_rows<NR>(b + (j0 + q) * ldb + p0, ldb, cols, kc, out);
      for (int64_t j = cols; j < NR; ++j)
        for (int64_t p = 0; p < kc; ++p) out[p * NR + j] = 0.0f;
    }
    out += NR * kc;
  }
}

}  // namespace

void pack_a_f32(bool trans_a, const float* a, int64_t lda, int64_t i0, int64_t mc, int64_t p0,
                int64_t kc, int mr, float* out) {
  switch (mr) {
    case 4:
      return pack_a_fixed<4>(trans_a, a, lda, i0, mc, p0, kc, out);
    case 6:
      return pack_a_fixed<6>(trans_a, a, lda, i0, mc, p0, kc, out);
    case 8:
      return pack_a_fixed<8>(trans_a, a, lda, i0, mc, p0, kc, out);
    case 14:
      return pack_a_fixed<14>(trans_a, a, lda, i0, mc, p0, kc, out);
    default:
      std::abort();
  }
}

void pack_b_f32(bool trans_b, const float* b, int64_t ldb, int64_t p0, int64_t kc, int64_t j0,
                int64_t nc, int nr, float* out) {
  switch (nr) {
    case 4:
      return pack_b_fixed<4>(trans_b, b, ldb, p0, kc, j0, nc, out);
    case 8:
      return pack_b_fixed<8>(trans_b, b, ldb, p0, kc, j0, nc, out);
    case 16:
      return pack_b_fixed<16>(trans_b, b, ldb, p0, kc, j0, nc, out);
    case 32:
      return pack_b_fixed<32>(trans_b, b, ldb, p0, kc, j0, nc, out);
    default:
      std::abort();
  }
}

}  // namespace densely
