// The avx2 set's loops of activation_ext.h, compiled with the core_avx2 flags: -mavx2 -mfma (4
// float64 lanes), vectorised by the compiler from the shared formulas. Contraction is off (the
// group turns it on for the GEMM) so the bits equal the scalar loop's; test_activations checks
// them. no-trapping-math lets GCC compute both sides of a select (the formulas' only branches) and
// blend, which is what vectorises them; it changes no value (FP traps are never enabled here, and
// no flag that folds or reorders arithmetic is set).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off", "no-trapping-math")
#endif
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif
#include "ops/activation_ext.h"

namespace densely {

void activation_ext_forward_avx2(Activation act, const float* z, float* a, int64_t n) {
  act_ext::forward_loop(act, z, a, n);
}

void activation_ext_backward_avx2(Activation act, const float* z, float* d, int64_t n) {
  act_ext::backward_loop(act, z, d, n);
}

}  // namespace densely
