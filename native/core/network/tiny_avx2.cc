// The tiny path's loops (tiny_kernels.h) with the core_avx2 flags: 8-lane ymm vectors, for
// the avx2 and avx512 sets (tiny.cc tiny_kernels; a tiny layer is at most 32 wide, so
// zmm would leave most of a register idle, and every avx512 host has AVX2). Contraction
// is off: a product is rounded before its sum, as in the baseline loops and ops/dense.cc,
// so every set gives the same bits (native/tests/test_tiny.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#define DENSELY_TINY_VL 8
#include "tiny_kernels.h"

namespace densely {

const TinyKernels& tiny_kernels_avx2() { return kTinyKernelsHere; }

}  // namespace densely
