// Activation functions (forward) and their derivatives (backward), on row-major
// [rows × units] blocks. Codes: native/binding/wire.json (activation).
#pragma once
#include <cstdint>

namespace densely {

enum class Activation : int {
  kLinear = 0,
  kRelu = 1,
  kLeakyRelu = 2,
  kSigmoid = 3,
  kTanh = 4,
  kSoftmax = 5,
  kGelu = 6,
  kElu = 7,
  kSelu = 8,
  kSoftplus = 9,
  kSilu = 10,
  kMish = 11,
  kHardSigmoid = 12,
  kHardSwish = 13,
  kRelu6 = 14,
};

// a ← act(z), elementwise (softmax: per row, max-shifted). `a` may alias `z`.
void activation_forward(Activation act, float alpha, const float* z, float* a, int64_t rows,
                        int64_t units);

// Whether act′ can be computed from the output a = act(z) alone (so z need not be
// kept): true for all but gelu, leakyRelu with a negative slope and the activations
// from elu on (activation_ext.h), whose derivatives are computed from z.
bool activation_backward_from_output(Activation act, float alpha);

// d ← d ⊙ act′, in place: `a` is the forward output, `z` the pre-activation (read only
// where activation_backward_from_output is false). softmax uses its Jacobian-vector
// product per row: d ← a ⊙ (d − Σ d·a). Kinks use 0: relu′(0) = 0, leakyRelu′(0) = alpha.
// When `bias_grad` is non-null it also gets the column sums of the result (summed
// over rows in row order, in float64) — the bias gradient, fused into the same pass.
void activation_backward(Activation act, float alpha, const float* a, const float* z, float* d,
                         int64_t rows, int64_t units, float* bias_grad, double* scratch);

// bias_grad[j] ← Σ_r d[r, j] in row order, accumulated in float64 (scratch: units doubles).
void column_sums(const float* d, int64_t rows, int64_t units, float* bias_grad, double* scratch);

}  // namespace densely
