// sgemm: the GEMM driver (BLIS/GotoBLAS loop structure) and the kernel-set dispatch.
//
// Contract: gemm.h. Structure, for one thread's part of C:
//   jc: NC columns of C   → pack op(B)[pc block, jc block] into NR-wide micro-panels
//   pc: KC of k           → (gemm_kc_block; beta on the first block, 1 after; epilogue on
//                            the last)
//   ic: MC rows of C      → pack op(A)[ic block, pc block] into MR-tall micro-panels
//                           (or, for a small untransposed A, read it in place)
//   jr: NR columns, ir: MR rows → one microkernel call per tile.
// Threads: C is cut into contiguous ranges of whole tiles along m or n — never k — run
// as pool tasks, each through the loops above with its own thread's pack buffers.
// Along m every task re-packs B (k·n), along n every task re-packs A (m·k, or nothing
// when A is read in place), so the cut goes where less packing is duplicated.
// Tile boundaries and k blocks do not move with the thread or task count, edge tiles
// use the full-tile arithmetic, and packed or in-place A feed the same multiply-adds,
// so C is bit-identical for any thread count.
// Small products: below kDirectWork multiply-adds, or with min(m, n, k) ≤ 2 (then each
// packed element would be used at most twice, so packing costs about as much as the
// product), the direct path runs instead, unthreaded. Narrow C (n ≤ kNarrowMaxN) runs
// the set's narrow path where it has one (vectorised along m: the 6×16 kernel would
// fill only n/16 of its lanes), its rows cut across threads; it gives the packed path's
// bits. The choice depends only on (m, n, k), never on the thread count.
#include <cstdlib>
#include <new>

#include "gemm.h"
#include "gemm_epilogue.h"
#include "gemm_kernels.h"
#include "runtime/fp_mode.h"
#include "runtime/thread_pool.h"

namespace densely {
namespace {

// Multiply-adds one extra thread must get to repay waking it (~5–10 µs when it sleeps
// on the pool's condition variable, ≈ 0.2–0.5 M multiply-adds at 30–60 GFLOP/s).
constexpr int64_t kWorkPerThread = int64_t{1} << 19;
constexpr int64_t kTasksPerThread = 4;
// Untransposed A up to this many floats (256 KiB, half of Zen 3's L2) is read in place by
// the set's rows-A kernel: it is re-read from L2 for every NR columns anyway, and
// packing it would be a strided copy of all of it per k block (per thread when the cut
// is along n). Larger A is packed: contiguous panels avoid L1 set conflicts and TLB
// misses of rows far apart. In place also needs n ≤ kRowsAMaxN (packing pays for
// itself once A is reused by more than 16 column panels) and k ≥ kRowsAMinK (a k < 32
// panel is a few cache lines, nearly free to pack, while in place each tile touches 6
// rows' lines for those few floats). The same rule measured right for both the avx2 and
// the avx512 set (bench/README.md, "Measurements behind the kernel choices": A in place).
constexpr int64_t kRowsAMaxFloats = int64_t{1} << 16;
constexpr int64_t kRowsAMaxN = 256;
constexpr int64_t kRowsAMinK = 32;
// Widest C for the narrow path: up to 12 columns it holds a whole 8-row × n tile in
// 12 accumulators; at n = 16 the 6×16 kernel fills all its lanes and packs nothing of A.
constexpr int64_t kNarrowMaxN = 12;
// Rows per narrow-path task: a multiple of its 8- and 16-row blocks.
constexpr int64_t kNarrowRows = 16;

int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }
int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

// A grow-only, 64-byte-aligned float buffer per thread (pack space is reused across
// calls, so steady-state GEMMs do not allocate).
class PackBuffer {
 public:
  ~PackBuffer() { std::free(data_); }
  float* get(int64_t floats) {
    if (floats > cap_) {
      std::free(data_);
      const size_t bytes = static_cast<size_t>(round_up(floats * 4, 64));
      data_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (data_ == nullptr) throw std::bad_alloc();
      cap_ = floats;
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  int64_t cap_ = 0;
};

thread_local PackBuffer t_pack_a;
thread_local PackBuffer t_pack_b;

void scale_only(int64_t m, int64_t n, float beta, float* c, int64_t ldc, const GemmEpilogue& ep) {
  for (int64_t i = 0; i < m; ++i) {
    float* row = c + i * ldc;
    for (int64_t j = 0; j < n; ++j) {
      const float v = beta == 0.0f ? 0.0f : beta * row[j];
      row[j] = apply_epilogue(ep, v, j);
    }
  }
}

// A prepacked op(B) (sgemm_prepacked): k block pc of all columns at panels + pc·n_pad,
// the micro-panel of absolute column J (a multiple of NR) at + J·kc, exactly what pack_b
// writes for that block and column; `col` is this call's first column of it.
struct PrepackedView {
  const float* panels = nullptr;
  int64_t n_pad = 0;
  int64_t col = 0;
};

void gemm_blocked(const GemmKernelSet& ks, bool rows_a, bool trans_a, bool trans_b, int64_t m,
                  int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b,
                  int64_t ldb, float beta, float* c, int64_t ldc, const GemmEpilogue& ep,
                  const PrepackedView& pre = PrepackedView{}) {
  const Blocking& blk = ks.blk;
  const int64_t MR = blk.mr, NR = blk.nr;
  const int64_t kc_block = gemm_kc_block(blk.kc, k);
  const int64_t kc_max = min64(kc_block, k);
  float* pack_b =
      pre.panels != nullptr ? nullptr : t_pack_b.get(kc_max * round_up(min64(blk.nc, n), NR));
  float* pack_a = rows_a ? nullptr : t_pack_a.get(kc_max * round_up(min64(blk.mc, m), MR));
  const bool has_ep = ep.kind != Epilogue::kNone;
  const bool has_bias = epilogue_has_bias(ep.kind);

  for (int64_t jc = 0; jc < n; jc += blk.nc) {
    const int64_t nc = min64(blk.nc, n - jc);
    for (int64_t pc = 0; pc < k; pc += kc_block) {
      const int64_t kc = min64(kc_block, k - pc);
      const float beta_pc = pc == 0 ? beta : 1.0f;
      const bool last = pc + kc >= k;
      const float* b_block;
      if (pre.panels != nullptr) {
        b_block = pre.panels + pc * pre.n_pad + (pre.col + jc) * kc;
      } else {
        ks.pack_b(trans_b, b, ldb, pc, kc, jc, nc, blk.nr, pack_b);
        b_block = pack_b;
      }
      for (int64_t ic = 0; ic < m; ic += blk.mc) {
        const int64_t mc = min64(blk.mc, m - ic);
        if (!rows_a) ks.pack_a(trans_a, a, lda, ic, mc, pc, kc, blk.mr, pack_a);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int64_t nr = min64(NR, nc - jr);
          GemmEpilogue tile_ep = ep;
          if (has_bias) tile_ep.bias = ep.bias + jc + jr;
          const GemmEpilogue* ep_ptr = (last && has_ep) ? &tile_ep : nullptr;
          const float* bp = b_block + jr * kc;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int64_t mr = min64(MR, mc - ir);
            float* ct = c + (ic + ir) * ldc + jc + jr;
            if (rows_a) {
              ks.ukernel_rows_a(kc, a + (ic + ir) * lda + pc, lda, bp, ct, ldc, mr, nr, alpha,
                                beta_pc, ep_ptr);
            } else {
              ks.ukernel(kc, pack_a + ir * kc, bp, ct, ldc, mr, nr, alpha, beta_pc, ep_ptr);
            }
          }
        }
      }
    }
  }
}

const GemmKernelSet kScalarSet{
    Isa::kScalar, kBlockingScalar, gemm_f32_4x4_scalar, gemm_f32_direct_scalar,
    nullptr,      nullptr,         pack_a_f32,          pack_b_f32};
#if defined(__x86_64__) || defined(_M_X64)
const GemmKernelSet kSse2Set{Isa::kSse2, kBlockingSse2, gemm_f32_6x8_sse2, gemm_f32_direct_scalar,
                             nullptr,    nullptr,       pack_a_f32,        pack_b_f32};
const GemmKernelSet kAvx2Set{Isa::kAvx2,
                             kBlockingAvx2,
                             gemm_f32_6x16_avx2,
                             gemm_f32_direct_avx2,
                             gemm_f32_6x16_avx2_rows,
                             gemm_f32_narrow_avx2,
                             pack_a_f32,
                             pack_b_f32};
const GemmKernelSet kAvx512Set{Isa::kAvx512,
                               kBlockingAvx512,
                               gemm_f32_14x32_avx512,
                               gemm_f32_direct_avx512,
                               gemm_f32_14x32_avx512_rows,
                               gemm_f32_narrow_avx512,
                               pack_a_f32_avx512,
                               pack_b_f32_avx512};
#endif
#if defined(__aarch64__)
const GemmKernelSet kNeonSet{Isa::kNeon, kBlockingNeon, gemm_f32_8x8_neon, gemm_f32_direct_scalar,
                             nullptr,    nullptr,       pack_a_f32,        pack_b_f32};
#endif

}  // namespace

const GemmKernelSet& gemm_kernel_set(Isa isa) {
  switch (isa) {
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::kAvx2:
      return kAvx2Set;
    case Isa::kAvx512:
      return kAvx512Set;
    case Isa::kSse2:
      return kSse2Set;
#endif
#if defined(__aarch64__)
    case Isa::kNeon:
      return kNeonSet;
#endif
    default:
      return kScalarSet;
  }
}

namespace {

// Whether (m, n, k) with k > 0 and alpha ≠ 0 takes the direct path, and the narrow path,
// under kAuto: the one rule of sgemm_run and sgemm_packs_b.
bool auto_direct(int64_t m, int64_t n, int64_t k) {
  return m * n * k < kDirectWork || m <= 2 || n <= 2 || k <= 2;
}
bool auto_narrow(const GemmKernelSet& ks, int64_t n) {
  return ks.narrow != nullptr && n <= kNarrowMaxN;
}

// sgemm_with; `pre` (nullptr: none) is a PackedB of op(B) for ks that the packed path reads
// instead of packing B (the caller checked it is B, untransposed, packed for ks).
void sgemm_run(const GemmKernelSet& ks, int max_threads, bool trans_a, bool trans_b, int64_t m,
               int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b,
               int64_t ldb, float beta, float* c, int64_t ldc, const GemmEpilogue& ep,
               GemmPath path, const PackedB* pre) {
#if defined(DENSELY_DEBUG_CHECKS)
  // gemm.h's preconditions (the TypeScript layer validates them for users).
  if (m < 0 || n < 0 || k < 0 || ldc < n || (m > 0 && n > 0 && c == nullptr)) std::abort();
  if (m > 0 && n > 0 && k > 0 && alpha != 0.0f) {
    if (lda < (trans_a ? m : k) || ldb < (trans_b ? k : n) || a == nullptr || b == nullptr)
      std::abort();
  }
  if (epilogue_has_bias(ep.kind) && ep.bias == nullptr && m > 0 && n > 0) std::abort();
#endif
  const FlushDenormals flush;  // runtime/fp_mode.h: FTZ/DAZ here, the caller's mode back after
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.0f) {
    scale_only(m, n, beta, c, ldc, ep);
    return;
  }
  const int64_t work = m * n * k;
  const bool small = auto_direct(m, n, k);
  if (path == GemmPath::kDirect || (path == GemmPath::kAuto && small)) {
    ks.direct(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep);
    return;
  }
  if (ks.narrow != nullptr &&
      (path == GemmPath::kNarrow || (path == GemmPath::kAuto && auto_narrow(ks, n)))) {
    // Rows in whole blocks per task; each task packs at most its own rows of A and the
    // ≤ 12-column block of Bᵀ (NT), so tasks duplicate almost nothing.
    const int64_t units = (m + kNarrowRows - 1) / kNarrowRows;
    int64_t threads = min64(max_threads < 1 ? 1 : max_threads, work / kWorkPerThread);
    threads = min64(threads < 1 ? 1 : threads, units);
    if (threads <= 1) {
      ks.narrow(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep);
      return;
    }
    const int64_t tasks = min64(units, threads * kTasksPerThread);
    parallel_for(tasks, [&](int64_t t) {
      const int64_t lo = min64(t * units / tasks * kNarrowRows, m);
      const int64_t hi = min64((t + 1) * units / tasks * kNarrowRows, m);
      if (hi <= lo) return;
      const float* a_part = trans_a ? a + lo : a + lo * lda;
      ks.narrow(trans_a, trans_b, hi - lo, n, k, alpha, a_part, lda, b, ldb, beta, c + lo * ldc,
                ldc, ep);
    });
    return;
  }

  // Untransposed A small enough to stay in L2 is read in place (no packing).
  const bool rows_a = !trans_a && ks.ukernel_rows_a != nullptr && path != GemmPath::kPacked &&
                      (path == GemmPath::kRowsA ||
                       (m * k <= kRowsAMaxFloats && n <= kRowsAMaxN && k >= kRowsAMinK));
  const int64_t m_tiles = (m + ks.blk.mr - 1) / ks.blk.mr;
  const int64_t n_tiles = (n + ks.blk.nr - 1) / ks.blk.nr;
  int64_t threads = min64(max_threads < 1 ? 1 : max_threads, work / kWorkPerThread);
  if (threads < 1) threads = 1;
  // Cut along the dimension that duplicates less packing: along m every task packs all
  // of op(B) (k·n), along n every task packs all of A (m·k) unless A is read in place.
  const int64_t dup_m = k * n;
  const int64_t dup_n = rows_a ? 0 : m * k;
  bool split_m = dup_m <= dup_n;
  if (split_m && m_tiles < threads && n_tiles > m_tiles) split_m = false;
  if (!split_m && n_tiles < threads && m_tiles > n_tiles) split_m = true;
  const int64_t units = split_m ? m_tiles : n_tiles;
  threads = min64(threads, units);
  PrepackedView view;
  if (pre != nullptr) {
    view.panels = pre->panels.data();
    view.n_pad = round_up(n, ks.blk.nr);
  }
  if (threads <= 1) {
    gemm_blocked(ks, rows_a, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep,
                 view);
    return;
  }
  // Up to kTasksPerThread tasks per thread, claimed dynamically, so a thread that the OS
  // preempts (a busy machine) does not hold the others up. Extra tasks only while the
  // packing they duplicate stays under work/512 elements: a packed element costs about
  // 1 ns, a multiply-add at peak about 1/32 ns, so that is ≲ 6% of the compute.
  const int64_t dup = split_m ? dup_m : dup_n;
  int64_t tasks = min64(threads * kTasksPerThread, dup == 0 ? units : work / (512 * dup));
  tasks = min64(units, tasks < threads ? threads : tasks);
  const int64_t unit = split_m ? ks.blk.mr : ks.blk.nr;
  // Task t computes chunk (t mod threads)·per + ⌊t / threads⌋ (per = tasks / threads):
  // tasks are claimed in index order, so at equal speed thread r runs the r-th
  // contiguous run of chunks and two cores work on neighbouring chunks only at the
  // runs' ends. With chunk t for task t, the tasks running at once were neighbours: when
  // C is not 64-byte aligned a 16-column chunk ends inside a cache line that both cores
  // then wrote on every k block, and each core's chunks were scattered over C
  // (bench/README.md, "Measurements behind the kernel choices": task order).
  const int64_t per = tasks % threads == 0 ? tasks / threads : 0;
  parallel_for(tasks, [&](int64_t t) {
    const int64_t chunk = per > 0 ? (t % threads) * per + t / threads : t;
    const int64_t lo = min64(chunk * units / tasks * unit, split_m ? m : n);
    const int64_t hi = min64((chunk + 1) * units / tasks * unit, split_m ? m : n);
    if (hi <= lo) return;
    if (split_m) {
      const float* a_part = trans_a ? a + lo : a + lo * lda;
      gemm_blocked(ks, rows_a, trans_a, trans_b, hi - lo, n, k, alpha, a_part, lda, b, ldb, beta,
                   c + lo * ldc, ldc, ep, view);
    } else {
      const float* b_part = trans_b ? b + lo * ldb : b + lo;
      GemmEpilogue part_ep = ep;
      if (epilogue_has_bias(ep.kind)) part_ep.bias = ep.bias + lo;
      PrepackedView part_view = view;
      part_view.col = lo;
      gemm_blocked(ks, rows_a, trans_a, trans_b, m, hi - lo, k, alpha, a, lda, b_part, ldb, beta,
                   c + lo, ldc, part_ep, part_view);
    }
  });
}

}  // namespace

void sgemm_with(const GemmKernelSet& ks, int max_threads, bool trans_a, bool trans_b, int64_t m,
                int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b,
                int64_t ldb, float beta, float* c, int64_t ldc, const GemmEpilogue& ep,
                GemmPath path) {
  sgemm_run(ks, max_threads, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep,
            path, nullptr);
}

bool sgemm_packs_b(int64_t m, int64_t n, int64_t k) {
  if (m <= 0 || n <= 0 || k <= 0) return false;
  return !auto_direct(m, n, k) && !auto_narrow(gemm_kernel_set(active_isa()), n);
}

void sgemm_pack_b(int64_t k, int64_t n, const float* b, int64_t ldb, PackedB* pb) {
  const GemmKernelSet& ks = gemm_kernel_set(active_isa());
  const int64_t n_pad = round_up(n, ks.blk.nr);
  const int64_t kc_block = gemm_kc_block(ks.blk.kc, k);
  pb->isa = -1;
  pb->panels.resize(static_cast<size_t>(k * n_pad));
  for (int64_t pc = 0; pc < k; pc += kc_block) {
    const int64_t kc = min64(kc_block, k - pc);
    ks.pack_b(false, b, ldb, pc, kc, 0, n, ks.blk.nr, pb->panels.data() + pc * n_pad);
  }
  pb->k = k;
  pb->n = n;
  pb->isa = static_cast<int>(ks.isa);
}

void sgemm_prepacked(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                     const PackedB& pb, const float* b, int64_t ldb, float beta, float* c,
                     int64_t ldc, const GemmEpilogue& epilogue) {
  const GemmKernelSet& ks = gemm_kernel_set(active_isa());
  const bool usable = pb.isa == static_cast<int>(ks.isa) && pb.k == k && pb.n == n;
  sgemm_run(ks, get_threads(), false, false, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, epilogue,
            GemmPath::kAuto, usable ? &pb : nullptr);
}

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
           const GemmEpilogue& epilogue) {
  sgemm_with(gemm_kernel_set(active_isa()), get_threads(), trans_a, trans_b, m, n, k, alpha, a, lda,
             b, ldb, beta, c, ldc, epilogue);
}

}  // namespace densely
