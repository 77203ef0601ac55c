// Losses: the batch-mean loss, the correct count and the output gradient in one pass.
// Codes: native/binding/wire.json (loss).
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
  kHuber = 5,
};

// A loss with its options (lib/backend/types.ts LossSpec): from_logits for the three
// cross-entropies, label_smoothing ε in [0, 1) for categorical / sparse CE, delta > 0 for
// huber. The defaults are the plain loss.
struct LossConfig {
  Loss kind = Loss::kMse;
  bool from_logits = false;
  double label_smoothing = 0.0;
  double delta = 1.0;
};

struct LossResult {
  double loss;      // batch mean, accumulated in float64 (per row, then rows in order)
  int64_t correct;  // rows whose prediction matches the target
  // Σ of the row weights the mean divides by (rows without weights); set by loss_forward_ex.
  double weight_sum = 0.0;
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

// Whether cfg is a plain loss (no option set, not huber): then loss_forward_ex without
// weights is loss_forward, bit for bit.
bool loss_plain(const LossConfig& cfg);
// loss_fused for a configured loss: never with from_logits (nor huber).
bool loss_fused(const LossConfig& cfg, Activation out_act);

// The general loss pass: options and per-row weights w ([rows], or null: every weight 1).
// Row r's loss l_r (element-wise losses: the mean over its outputs; cross-entropies: the
// row's sum) is formed in float64; the result is Σ w_r·l_r / Σ w_r and grad (when
// non-null) gets (w_r / Σ w)·∂l_r/∂ŷ (∂/∂z when loss_fused(cfg, out_act)). A batch whose
// weights sum to 0 gives NaN (the facade rejects it first). Row terms, as
// lib/backend/js/losses.ts lossForward: huber ½d² / δ(|d| − ½δ); BCE from logits
// max(z,0) − z·t + log1p(e^−|z|) with gradient sigmoid(z) − t; categorical / sparse with
// smoothed target t′ = (1 − ε)·t + ε/C, from logits −Σ t′·(z − lse(z)) with gradient
// (Σ t′)·softmax(z) − t′. With no weights and a plain cfg it is loss_forward.
LossResult loss_forward_ex(const LossConfig& cfg, Activation out_act, const float* yhat,
                           const float* y, const float* w, int64_t rows, int64_t outputs,
                           float* grad);

// loss_forward_ex of one row (rows = 1), the same operations in the same order, so the
// same bits (test_losses checks it); the row and column loops are folded away for the
// batch-1 steps of network/tiny.h.
LossResult loss_forward_one(const LossConfig& cfg, Activation out_act, const float* yhat,
                            const float* y, const float* w, int64_t outputs, float* grad);

}  // namespace densely
