// Internal interface between the GEMM driver (sgemm.cc), the packing routines
// (pack_f32.cc) and the per-ISA microkernels. Not part of the public core API.
#pragma once
#include <cstdint>

#include "blocking.h"
#include "gemm.h"
#include "runtime/cpu.h"

namespace densely {

// A microkernel: one MR×NR tile of C from packed micro-panels.
//   a: packed A micro-panel, kc × MR floats, element (i, p) at a[p·MR + i].
//   b: packed B micro-panel, kc × NR floats, element (p, j) at b[p·NR + j].
//   c: the tile's top-left element in C, row stride ldc (elements).
//   mr ≤ MR, nr ≤ NR: the part of the tile inside C (edge tiles); the packed panels are
//     zero-padded, the kernel computes (at least) rows < mr of the MR×NR tile in
//     registers and stores only mr×nr, each element through the same arithmetic as in a
//     full tile.
//   c ← alpha · (a·b) + beta · c; beta == 0 never reads c.
//   ep != nullptr (last k block only): then c ← act(c + bias[j]) with ep->bias already
//     offset to the tile's first column.
//   kc ≥ 1.
using GemmUkernel = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                             int64_t mr, int64_t nr, float alpha, float beta,
                             const GemmEpilogue* ep);

// A microkernel reading A in place (row-major, element (i, p) at a[i·lda + p]) instead
// of from a packed micro-panel; otherwise the GemmUkernel contract. Optional per set.
using GemmUkernelRowsA = void (*)(int64_t kc, const float* a, int64_t lda, const float* b, float* c,
                                  int64_t ldc, int64_t mr, int64_t nr, float alpha, float beta,
                                  const GemmEpilogue* ep);

// Direct (unpacked) path for products too small to amortise packing; same contract as
// gemm_f32_ref for the whole problem. One per ISA, compiled with that ISA's flags.
using GemmDirect = void (*)(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                            float alpha, const float* a, int64_t lda, const float* b, int64_t ldb,
                            float beta, float* c, int64_t ldc, const GemmEpilogue& ep);

// The k block of the driver and the narrow path (one helper, so both cut k alike and
// give the same bits): ⌈k / kc_max⌉ blocks of equal size (the last one up to
// blocks − 1 shorter), so no block is a short tail that reloads and stores all of C for
// a few k steps (blocking.h has the measurements). With the AVX2 set's kc_max = 288,
// 784 is 3 × 262. (An earlier trial of equal blocks at kc_max = 256, 784 as 4 × 196,
// cost a fourth pass over C and measured no better.)
inline int64_t gemm_kc_block(int64_t kc_max, int64_t k) {
  if (k <= kc_max) return k;
  const int64_t blocks = (k + kc_max - 1) / kc_max;
  return (k + blocks - 1) / blocks;
}

using GemmPackA = void (*)(bool trans_a, const float* a, int64_t lda, int64_t i0, int64_t mc,
                           int64_t p0, int64_t kc, int mr, float* out);
using GemmPackB = void (*)(bool trans_b, const float* b, int64_t ldb, int64_t p0, int64_t kc,
                           int64_t j0, int64_t nc, int nr, float* out);

struct GemmKernelSet {
  Isa isa;
  Blocking blk;
  GemmUkernel ukernel;
  GemmDirect direct;
  GemmUkernelRowsA ukernel_rows_a;  // nullptr: A is always packed
  // Narrow-C path (vectorised along m; gemm_f32_narrow_avx2.cc), GemmDirect's contract,
  // any n, C bit-identical to the packed path; nullptr: the set has none.
  GemmDirect narrow;
  // Packing for this set's tile: pack_a_f32 / pack_b_f32 (baseline, any mr / nr) or an
  // ISA's own routines with their contract for its mr / nr.
  GemmPackA pack_a;
  GemmPackB pack_b;
};

// Packing (pack_f32.cc, baseline ISA). Rows/columns past the edge are zero-filled so
// every micro-panel is full.
// pack_a_f32: op(A)[i0 : i0+mc, p0 : p0+kc] into ⌈mc/mr⌉ micro-panels of kc × mr
//   (panel q at out + q·mr·kc, element (i, p) at [p·mr + i]).
void pack_a_f32(bool trans_a, const float* a, int64_t lda, int64_t i0, int64_t mc, int64_t p0,
                int64_t kc, int mr, float* out);
// pack_b_f32: op(B)[p0 : p0+kc, j0 : j0+nc] into ⌈nc/nr⌉ micro-panels of kc × nr
//   (panel q at out + q·nr·kc, element (p, j) at [p·nr + j]).
void pack_b_f32(bool trans_b, const float* b, int64_t ldb, int64_t p0, int64_t kc, int64_t j0,
                int64_t nc, int nr, float* out);

// Kernel sets (each defined in its ISA's files; absent ones are not linked).
void gemm_f32_4x4_scalar(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                         int64_t mr, int64_t nr, float alpha, float beta, const GemmEpilogue* ep);
void gemm_f32_direct_scalar(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                            float alpha, const float* a, int64_t lda, const float* b, int64_t ldb,
                            float beta, float* c, int64_t ldc, const GemmEpilogue& ep);
#if defined(__x86_64__) || defined(_M_X64)
void gemm_f32_6x8_sse2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                       int64_t mr, int64_t nr, float alpha, float beta, const GemmEpilogue* ep);
void gemm_f32_6x16_avx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                        int64_t mr, int64_t nr, float alpha, float beta, const GemmEpilogue* ep);
void gemm_f32_6x16_avx2_rows(int64_t kc, const float* a, int64_t lda, const float* b, float* c,
                             int64_t ldc, int64_t mr, int64_t nr, float alpha, float beta,
                             const GemmEpilogue* ep);
void gemm_f32_direct_avx2(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                          const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                          float* c, int64_t ldc, const GemmEpilogue& ep);
void gemm_f32_narrow_avx2(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                          const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                          float* c, int64_t ldc, const GemmEpilogue& ep);
void gemm_f32_14x32_avx512(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                           int64_t mr, int64_t nr, float alpha, float beta, const GemmEpilogue* ep);
void gemm_f32_14x32_avx512_rows(int64_t kc, const float* a, int64_t lda, const float* b, float* c,
                                int64_t ldc, int64_t mr, int64_t nr, float alpha, float beta,
                                const GemmEpilogue* ep);
void pack_a_f32_avx512(bool trans_a, const float* a, int64_t lda, int64_t i0, int64_t mc,
                       int64_t p0, int64_t kc, int mr, float* out);
void pack_b_f32_avx512(bool trans_b, const float* b, int64_t ldb, int64_t p0, int64_t kc,
                       int64_t j0, int64_t nc, int nr, float* out);
void gemm_f32_direct_avx512(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                            float alpha, const float* a, int64_t lda, const float* b, int64_t ldb,
                            float beta, float* c, int64_t ldc, const GemmEpilogue& ep);
// The direct path's axpy form (op(B) = B) with register accumulators, C bit-identical
// to gemm_f32_direct_impl's (gemm_f32_gemv_avx512.cc).
void gemm_f32_rows_direct_avx512(bool trans_a, int64_t m, int64_t n, int64_t k, float alpha,
                                 const float* a, int64_t lda, const float* b, int64_t ldb,
                                 float beta, float* c, int64_t ldc, const GemmEpilogue& ep);
void gemm_f32_narrow_avx512(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                            float alpha, const float* a, int64_t lda, const float* b, int64_t ldb,
                            float beta, float* c, int64_t ldc, const GemmEpilogue& ep);
#endif
#if defined(__aarch64__)
void gemm_f32_8x8_neon(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                       int64_t mr, int64_t nr, float alpha, float beta, const GemmEpilogue* ep);
#endif

// The kernel set for an ISA (must be supported by this build); active_isa()'s by default.
const GemmKernelSet& gemm_kernel_set(Isa isa);

// Which path sgemm_with takes: by shape (kAuto, what sgemm uses), or forced (tests).
// kPacked packs both operands; kRowsA reads untransposed A in place where the set has
// such a kernel (else packs it); kNarrow runs the set's narrow path (else kAuto's).
enum class GemmPath : int { kAuto = 0, kPacked = 1, kDirect = 2, kRowsA = 3, kNarrow = 4 };

// The driver with an explicit kernel set and thread cap (tests use it to run every
// set, path and thread count; sgemm calls it with the active set and get_threads()).
void sgemm_with(const GemmKernelSet& ks, int max_threads, bool trans_a, bool trans_b, int64_t m,
                int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b,
                int64_t ldb, float beta, float* c, int64_t ldc, const GemmEpilogue& ep,
                GemmPath path = GemmPath::kAuto);

}  // namespace densely
