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
// tanh_avx2.cc (the avx2 set): the same tanh, 4 float64 lanes per ymm half, same contract.
void tanh_avx2(const float* z, float* a, int64_t n);
// Rows [r0, r1) of softmax (a may equal z): max-shifted exp in float64 (8 lanes, masked
// tail), the row sum in float64 lanes, then each e scaled by 1/Σ.
void softmax_rows_avx512(const float* z, float* a, int64_t r0, int64_t r1, int64_t units);
// gelu forward a[0..n) ← z·Φ(z), and backward d[0..n) ← d·gelu′(z) (Φ + z·φ rounded to
// float32 once, as the baseline), in float64 with its own erf/erfc (activations_avx512.cc).
void gelu_avx512(const float* z, float* a, int64_t n);
void gelu_backward_avx512(const float* z, float* d, int64_t n);
// relu / leakyRelu backward fused with the bias sum, columns [c0, c1) of every row:
// d ← gate > 0 ? d : (leaky ? d·alpha : 0), gate being a (or z for a negative slope),
// and bias_grad[j] ← Σ_r d[r, j] in row order in float64 — the baseline's operations
// in its order, so the same bits on every set.
void relu_backward_columns_avx512(bool leaky, float alpha, const float* gate, float* d,
                                  int64_t rows, int64_t units, int64_t c0, int64_t c1,
                                  float* bias_grad);

}  // namespace densely
