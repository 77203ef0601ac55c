// CPU feature detection and the once-per-process kernel-set choice.
#pragma once

namespace densely {

enum class Isa : int { kScalar = 0, kSse2 = 1, kAvx2 = 2, kNeon = 3 };

// The ISA chosen once per process: the best the CPU supports, unless DENSELY_ISA
// (scalar | sse2 | avx2 | neon) asks for one it supports.
Isa active_isa();
const char* isa_name(Isa isa);
// For tests: force a kernel set (must be supported); returns false if not.
bool force_isa(Isa isa);

}  // namespace densely
