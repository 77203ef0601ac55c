// CPU feature detection and the once-per-process ISA choice (contract in cpu.h).
//
// x86-64: SSE2 is part of the baseline. AVX2 needs the CPU bits (CPUID.1:ECX.FMA[12],
// .AVX[28], .OSXSAVE[27]; CPUID.7.0:EBX.AVX2[5]) AND the OS saving ymm state on
// context switch (XGETBV(0) bits 1 (SSE) and 2 (AVX) set); a CPU flag alone is not
// enough (e.g. a VM or kernel with XSAVE disabled).
// aarch64: NEON (Advanced SIMD) is part of the baseline.
// DENSELY_ISA=scalar|sse2|avx2|neon picks a supported set; an unsupported or unknown
// value is ignored and the best supported set is used.
#include "cpu.h"

#include <atomic>
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
bool os_and_cpu_have_avx2_fma() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  const bool fma = (ecx >> 12) & 1u;
  const bool osxsave = (ecx >> 27) & 1u;
  const bool avx = (ecx >> 28) & 1u;
  if (!(fma && osxsave && avx)) return false;
  unsigned xcr0_lo = 0, xcr0_hi = 0;
  // xgetbv with ecx = 0 reads XCR0; encoded as bytes so no -mxsave flag is needed.
  __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  if ((xcr0_lo & 0x6u) != 0x6u) return false;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  return (ebx >> 5) & 1u;
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
#elif defined(__aarch64__)
    case Isa::kNeon:
      return true;
#endif
    default:
      return false;
  }
}

Isa best_isa() {
  if (supported(Isa::kAvx2)) return Isa::kAvx2;
  if (supported(Isa::kNeon)) return Isa::kNeon;
  if (supported(Isa::kSse2)) return Isa::kSse2;
  return Isa::kScalar;
}

Isa initial_isa() {
  if (const char* env = std::getenv("DENSELY_ISA")) {
    for (Isa isa : {Isa::kScalar, Isa::kSse2, Isa::kAvx2, Isa::kNeon}) {
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
    case Isa::kNeon:
      return "neon";
  }
  return "unknown";
}

bool force_isa(Isa isa) {
  if (!supported(isa)) return false;
  chosen().store(static_cast<int>(isa), std::memory_order_relaxed);
  return true;
}

}  // namespace densely
