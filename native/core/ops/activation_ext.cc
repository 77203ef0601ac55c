// Dispatch of the activations in activation_ext.h to the active kernel set, and the
// scalar set's loops (vectorisation off, so the scalar leg really is one element at a
// time; every set gives the same bits). The pragma comes before the include so that it
// covers the header's loops, which are instantiated here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-tree-vectorize")
#endif
#include "ops/activation_ext.h"

#include "runtime/cpu.h"

namespace densely {

void activation_ext_forward_scalar(Activation act, const float* z, float* a, int64_t n) {
  act_ext::forward_loop(act, z, a, n);
}

void activation_ext_backward_scalar(Activation act, const float* z, float* d, int64_t n) {
  act_ext::backward_loop(act, z, d, n);
}

void activation_ext_forward(Activation act, const float* z, float* a, int64_t n) {
  switch (active_isa()) {
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::kAvx512:
      return activation_ext_forward_avx512(act, z, a, n);
    case Isa::kAvx2:
      return activation_ext_forward_avx2(act, z, a, n);
    case Isa::kSse2:
      return activation_ext_forward_sse2(act, z, a, n);
#endif
#if defined(__aarch64__)
    case Isa::kNeon:
      return activation_ext_forward_neon(act, z, a, n);
#endif
    default:
      return activation_ext_forward_scalar(act, z, a, n);
  }
}

void activation_ext_backward(Activation act, const float* z, float* d, int64_t n) {
  switch (active_isa()) {
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::kAvx512:
      return activation_ext_backward_avx512(act, z, d, n);
    case Isa::kAvx2:
      return activation_ext_backward_avx2(act, z, d, n);
    case Isa::kSse2:
      return activation_ext_backward_sse2(act, z, d, n);
#endif
#if defined(__aarch64__)
    case Isa::kNeon:
      return activation_ext_backward_neon(act, z, d, n);
#endif
    default:
      return activation_ext_backward_scalar(act, z, d, n);
  }
}

}  // namespace densely
