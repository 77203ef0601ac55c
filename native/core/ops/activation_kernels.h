// Per-ISA bodies of activation loops (activations.cc). Internal to the ops.
#pragma once
#include <cstdint>

namespace densely {

// activations_avx512.cc, linked on x86-64 only; call only when the avx512 set is
// active. a[0..n) ← sigmoid / tanh of z[0..n) (a may equal z), 8 lanes a step through
// a float64 exp; tanh keeps the baseline's contract (correctly rounded float32, ±1 past
// |z| > 20, z itself below 2^-12 and for NaN).
void sigmoid_avx512(const float* z, float* a, int64_t n);
void tanh_avx512(const float* z, float* a, int64_t n);

}  // namespace densely
