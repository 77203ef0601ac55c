// CPU feature detection and the once-per-process ISA choice (contract in cpu.h).
//
// x86-64: SSE2 is part of the baseline. AVX2 needs the CPU bits (CPUID.1:ECX.FMA[12],
// .AVX[28], .OSXSAVE[27]; CPUID.7.0:EBX.AVX2[5]) AND the OS saving ymm state on
// context switch (XGETBV(0) bits 1 (SSE) and 2 (AVX) set); a CPU flag alone is not
// enough (e.g. a VM or kernel with XSAVE disabled).
// AVX-512 (the avx512 set: F, DQ, BW, VL — every instruction its files use) needs
// CPUID.7.0:EBX.AVX512F[16], .AVX512DQ[17], .AVX512BW[30], .AVX512VL[31] on top of the
// AVX2 conditions, AND the OS saving the opmask and zmm state: XCR0 bits 1 (SSE),
// 2 (AVX), 5 (opmask k0–k7), 6 (upper halves of zmm0–15) and 7 (zmm16–31) all set.
// aarch64: NEON (Advanced SIMD) is part of the baseline.
// DENSELY_ISA=scalar|sse2|avx2|avx512|neon picks a supported set; an unsupported or unknown
// value is ignored and the best supported set is used.
#include "cpu.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

#if defined(__x86_64__) || defined(_M_X64)
#define DENSELY_X64 1
#include <cpuid.h>
#endif

namespace densely {
namespace {

#if DENSELY_X64
uint64_t read_xcr0() {
  unsigned lo = 0, hi = 0;
  // xgetbv with ecx = 0 reads XCR0; encoded as bytes so no -mxsave flag is needed.
  __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

bool os_and_cpu_have_avx2_fma() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  const bool fma = (ecx >> 12) & 1u;
  const bool osxsave = (ecx >> 27) & 1u;
  const bool avx = (ecx >> 28) & 1u;
  if (!(fma && osxsave && avx)) return false;
  if ((read_xcr0() & 0x6u) != 0x6u) return false;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  return (ebx >> 5) & 1u;
}

bool os_and_cpu_have_avx512() {
  if (!os_and_cpu_have_avx2_fma()) return false;
  constexpr uint64_t kZmmState = (1u << 1) | (1u << 2) | (1u << 5) | (1u << 6) | (1u << 7);
  if ((read_xcr0() & kZmmState) != kZmmState) return false;
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  constexpr unsigned kBits = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);  // F DQ BW VL
  return (ebx & kBits) == kBits;
}
#endif

bool supported(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return true;
#if DENSELY_X64
    case Isa::kSse2:
      return true;
    case Isa::kAvx2: {
      static const bool has = os_and_cpu_have_avx2_fma();
      return has;
    }
    case Isa::kAvx512: {
      static const bool has = os_and_cpu_have_avx512();
      return has;
    }
#elif defined(__aarch64__)
    case Isa::kNeon:
      return true;
#endif
    default:
      return false;
  }
}

Isa best_isa() {
  if (supported(Isa::kAvx512)) return Isa::kAvx512;
  if (supported(Isa::kAvx2)) return Isa::kAvx2;
  if (supported(Isa::kNeon)) return Isa::kNeon;
  if (supported(Isa::kSse2)) return Isa::kSse2;
  return Isa::kScalar;
}

Isa initial_isa() {
  if (const char* env = std::getenv("DENSELY_ISA")) {
    for (Isa isa : {Isa::kScalar, Isa::kSse2, Isa::kAvx2, Isa::kAvx512, Isa::kNeon}) {
      if (std::strcmp(env, isa_name(isa)) == 0 && supported(isa)) return isa;
    }
  }
  return best_isa();
}

std::atomic<int>& chosen() {
  static std::atomic<int> isa{static_cast<int>(initial_isa())};
  return isa;
}

}  // namespace

Isa active_isa() { return static_cast<Isa>(chosen().load(std::memory_order_relaxed)); }

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return "scalar";
    case Isa::kSse2:
      return "sse2";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
    case Isa::kNeon:
      return "neon";
  }
  return "unknown";
}

bool isa_supported(Isa isa) { return supported(isa); }

bool force_isa(Isa isa) {
  if (!supported(isa)) return false;
  chosen().store(static_cast<int>(isa), std::memory_order_relaxed);
  return true;
}

}  // namespace densely
