// CPU feature detection and the once-per-process kernel-set choice.
#pragma once

namespace densely {

enum class Isa : int { kScalar = 0, kSse2 = 1, kAvx2 = 2, kNeon = 3, kAvx512 = 4 };

// The ISA chosen once per process: the best the CPU supports, unless DENSELY_ISA
// (scalar | sse2 | avx2 | avx512 | neon) asks for one it supports.
Isa active_isa();
const char* isa_name(Isa isa);
// For tests: force a kernel set (must be supported); returns false if not.
bool force_isa(Isa isa);
// Whether a set's code may use AVX2 + FMA instructions (the avx2 and avx512 sets).
inline bool isa_has_avx2(Isa isa) { return isa == Isa::kAvx2 || isa == Isa::kAvx512; }
// Whether ISA is supported by this CPU and OS (tests loop over the supported sets).
bool isa_supported(Isa isa);

}  // namespace densely
