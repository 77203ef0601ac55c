// Per-ISA bodies of activation_forward (activations.h). Internal to activations.cc.
#pragma once
#include <cstdint>

namespace densely {

// a[0..n) ← tanh(z[0..n)), the same values as activations.cc's scalar tanh (float64
// formula, correctly rounded on test_activations' grid). tanh_avx512.cc, linked on
// x86-64 only; call only when the avx512 set is supported. a may alias z.
void tanh_f32_avx512(const float* z, float* a, int64_t n);
// The same for the avx2 set (tanh_avx2.cc, x86-64 only).
void tanh_f32_avx2(const float* z, float* a, int64_t n);

}  // namespace densely
