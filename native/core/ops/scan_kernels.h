// Per-ISA bodies of copy_first_outside (scan.h), one block at a time. Internal to scan.cc.
#pragma once
#include <cstdint>

namespace densely {

// dst[b..e) ← src[b..e); whether any element is outside [lo, hi] (NaN counts as
// outside). scan_avx512.cc, linked on x86-64 only; call only when the avx512 set is
// supported.
bool copy_block_avx512(const float* __restrict src, float* __restrict dst, int64_t b, int64_t e,
                       float lo, float hi);

}  // namespace densely
