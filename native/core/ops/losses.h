// Losses: the batch-mean loss, the correct count and the output gradient in one pass.
// Codes are LOSS_CODES in lib/backend/types.ts.
#pragma once
#include <cstdint>

#include "activations.h"

namespace densely {

enum class Loss : int {
  kMse = 0,
  kMae = 1,
  kBinaryCrossentropy = 2,
  kCategoricalCrossentropy = 3,
  kSparseCategoricalCrossentropy = 4,
};

struct LossResult {
  double loss;      // batch mean, accumulated in float64 (per row, then rows in order)
  int64_t correct;  // rows whose prediction matches the target
};

// True when the output gradient is taken w.r.t. the pre-activation z in the fused,
// stable form: softmax + (sparse) categorical CE → (ŷ − y)/rows, sigmoid + binary CE
// → (ŷ − y)/(rows × outputs); the clip is ignored there.
bool loss_fused(Loss loss, Activation out_act);

// yhat: [rows × outputs]; y: [rows × outputs], or [rows] class indices stored as float
// for the sparse loss (an index outside [0, outputs) makes the loss NaN, never an
// out-of-bounds read). When grad is non-null it receives [rows × outputs]: dL/dz when
// loss_fused(loss, out_act), else dL/dŷ (zero where an active clip cuts the gradient,
// PyTorch's clamp rule with inclusive bounds).
LossResult loss_forward(Loss loss, Activation out_act, const float* yhat, const float* y,
                        int64_t rows, int64_t outputs, float* grad);

}  // namespace densely
