// Weight regularizers (Keras's l1/l2): the penalty l1·Σ|w| + l2·Σw² added to the loss
// that is minimised and reported, and its gradient l1·sign(w) + 2·l2·w (sign(0) = 0).
#pragma once
#include <cstdint>

namespace densely {

// l1·Σ|w| + l2·Σw² over w[0..n), each sum accumulated in float64 in index order.
double penalty_value(const float* w, int64_t n, double l1, double l2);

// g[i] ← g[i] + (l1·sign(w[i]) + (2·l2)·w[i]) in float32, l1 and 2·l2 each rounded once
// to float; a zero coefficient adds nothing.
void penalty_grad_add(const float* w, float* g, int64_t n, double l1, double l2);

}  // namespace densely
