// Cache blocking (MC, KC, NC) and register tiles (MR, NR) per kernel set.
//
// The driver (sgemm.cc) walks jc (NC columns of C) → pc (KC of k) → ic (MC rows) →
// jr (NR) → ir (MR). Packed B block: KC×NC, packed A block: MC×KC, all floats.
//
// AVX2 (6×16), sized for Zen 3: 32 KiB L1d, 512 KiB L2 per core, 32 MiB L3 shared.
//   L1: one A micro-panel (MR×KC) + one B micro-panel (KC×NR) stay resident while the
//       kernel streams them: (6 + 16) × KC × 4 B ≤ 32 KiB less room for the C tile and
//       the next panels' prefetch. KC is a maximum: k is cut into ⌈k / KC⌉ equal blocks
//       (gemm_kc_block), so a block is usually below it. KC = 288: at most 25.3 KiB,
//       leaving ~7 KiB; 784 (the (A)/(B) input width) becomes 3 × 262 instead of
//       3 × 256 + 16, whose 16-step block re-read and re-wrote all of C for 2% of the
//       work; KC = 392 (784 as 2 × 392) would be 33.7 KiB, past Zen 3's L1. Chosen by
//       measurement over 256 and 392 (bench/README.md, "Measurements behind the kernel
//       choices": AVX2 KC).
//   L2: the packed A block is reused for every jr of the NC block: MC × KC × 4 B ≤
//       168 × 288 × 4 = 189 KiB, about a third of L2, so B micro-panels streaming
//       through L2 do not evict it ⇒ MC = 168 (a multiple of MR = 6).
//   L3: the packed B block KC × NC × 4 ≤ 288 × 4080 × 4 ≈ 4.5 MiB per thread, two
//       threads ≈ 9 MiB of the 32 MiB L3 ⇒ NC = 4080 (a multiple of NR = 16).
// AVX-512 (14×32), sized for Zen 5 (48 KiB 12-way L1d, 1 MiB L2 per core) and Sapphire
// Rapids (48 KiB L1d, 2 MiB L2):
//   L1: the B micro-panel KC × NR × 4 B = 128·KC bytes is re-read by every A micro-panel
//       of the MC block, the A micro-panel (14 × KC × 4 B) streams once per tile. At
//       KC = 352 the pair is 44 + 19 KiB, over the 48 KiB L1, which is fine: per k step
//       the kernel needs 2 B lines per 14 cycles (28 FMAs on 2 pipes), 9 B/cycle, far
//       under the 64 B/cycle an L2 hit refills, so B need not stay in L1; fewer k blocks
//       save passes over C and pack calls.
//       k is cut into ⌈k / KC⌉ equal blocks (gemm_kc_block): KC = 352 gives 1024 = 3 × 342
//       (288: 4 × 256), and keeps 784 = 3 × 262 and 512 = 2 × 256, the (A)/(B) widths,
//       where 384 would give 784 = 2 × 392. Chosen over 288, 384 and 512 by measurement
//       (bench/README.md, "Measurements behind the kernel choices": AVX-512 KC and MC).
//   L2: the packed A block MC × KC × 4 B = 168 × 352 × 4 = 231 KiB, under a quarter of
//       Zen 5's L2 ⇒ MC = 168 (12 × MR); 224 and 336 gained on 1024³ but lost more on
//       the (B) shapes, so 168 stays (same bench/README.md entry).
//       Once the kernel stopped stalling on C (late C prefetch, gemm_f32_14x32_avx512.cc),
//       KC 128–512 and MC 112–336 all measured within ±1% of these on 1024³ and the
//       (B) shapes ("AVX-512 after the C tile"): they stay.
//   L3: NC = 4064 (127 × NR): B block 352 × 4064 × 4 ≈ 5.5 MiB per thread.
//   512-bit vs 256-bit on Zen 5 (full 512-bit datapaths: FMA peak 202 GFLOP/s per core
//   in zmm, 100–104 in ymm), so the avx512 set is dispatched wherever it is supported
//   (measured ~1.5–2× the avx2 set on every shape: bench/README.md, "Measurements behind
//   the kernel choices": avx512 vs avx2 sets).
// SSE2 (6×8): same KC (A + B micro-panels (6 + 8) × 256 × 4 = 14 KiB), MC = 168,
//   NC = 4088 (multiple of 8).
// Scalar (4×4): KC = 256 ((4 + 4) × 256 × 4 = 8 KiB), MC = 128, NC = 4096.
// NEON (8×8): KC = 256 ((8 + 8) × 256 × 4 = 16 KiB, within 64 KiB L1d of common
//   big cores), MC = 128, NC = 4096.
#pragma once
#include <cstdint>

namespace densely {

struct Blocking {
  int mr, nr;
  int64_t mc, kc, nc;
};

constexpr Blocking kBlockingAvx512{14, 32, 168, 352, 4064};
constexpr Blocking kBlockingAvx2{6, 16, 168, 288, 4080};
constexpr Blocking kBlockingSse2{6, 8, 168, 256, 4088};
constexpr Blocking kBlockingScalar{4, 4, 128, 256, 4096};
constexpr Blocking kBlockingNeon{8, 8, 128, 256, 4096};

static_assert(kBlockingAvx512.mc % kBlockingAvx512.mr == 0 &&
                  kBlockingAvx512.nc % kBlockingAvx512.nr == 0,
              "avx512");
static_assert(kBlockingAvx2.mc % kBlockingAvx2.mr == 0 && kBlockingAvx2.nc % kBlockingAvx2.nr == 0,
              "avx2");
static_assert(kBlockingSse2.mc % kBlockingSse2.mr == 0 && kBlockingSse2.nc % kBlockingSse2.nr == 0,
              "sse2");
static_assert(kBlockingScalar.mc % kBlockingScalar.mr == 0 &&
                  kBlockingScalar.nc % kBlockingScalar.nr == 0,
              "scalar");
static_assert(kBlockingNeon.mc % kBlockingNeon.mr == 0 && kBlockingNeon.nc % kBlockingNeon.nr == 0,
              "neon");

}  // namespace densely
