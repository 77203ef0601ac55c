// Optimizer updates (PyTorch's torch.optim rules, stated in lib/backend/types.ts
// OptimizerSpec). Codes: native/binding/wire.json (optimizer).
#pragma once
#include <cstdint>

namespace densely {

enum class OptimizerKind : int { kSgd = 0, kAdam = 1, kAdamW = 2, kRmsProp = 3 };

struct OptimizerSpec {
  OptimizerKind kind = OptimizerKind::kSgd;
  double learning_rate = 0.01;
  double momentum = 0.0;
  bool nesterov = false;
  double weight_decay = 0.0;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-8;
  double rho = 0.99;
  // Gradient clipping (ops/clip.h), 0 = off: clip_value clamps each gradient to
  // [−clip_value, clip_value]; clip_norm then scales the clamped gradient by
  // clip_norm / (‖g‖₂ + 1e-6) when that is < 1 (‖g‖₂ over every parameter). Both act on
  // the loss gradient before the rule above (weight decay included).
  double clip_norm = 0.0;
  double clip_value = 0.0;
};

// State slots per parameter: sgd 1 (momentum buffer, only if momentum ≠ 0), adam/adamw
// 2 (m, v), rmsprop 1 (v) + 1 (momentum buffer, only if momentum ≠ 0).
int optimizer_slots(const OptimizerSpec& spec);

// Per-step constants, computed once per step in float64 from the step count t ≥ 1
// (t counts applied steps since the optimizer was installed).
struct OptimizerStep {
  float lr, wd, mu, b1, b2, eps, rho;
  float ob1, ob2, orho;  // 1 − β1, 1 − β2, 1 − ρ rounded once from float64
  float lr_c1;           // adam: lr / (1 − β1^t)
  float c2;              // adam: 1 / (1 − β2^t)
  float decay;           // adamw: 1 − lr·wd
  bool nesterov;
  bool first;  // t == 1
  // Gradient clipping, fused where each loop reads g: g ← min(max(g, −clip), clip) · gscale.
  // clip is +inf when clip_value is off (the clamp is then the identity, NaN passing
  // through) and gscale 1 unless the step's global norm needs scaling (set per step by
  // Network from ops/clip.h clip_norm_scale); both identities leave every bit unchanged.
  float clip;
  float gscale;
};
OptimizerStep optimizer_step(const OptimizerSpec& spec, int64_t t);

// θ[0..n) ← update(θ, g) with state slots s1, s2 (null when unused). Elementwise, so
// callers may split the range anywhere without changing a bit of the result.
void optimizer_update(const OptimizerSpec& spec, const OptimizerStep& step, float* theta,
                      const float* grad, float* s1, float* s2, int64_t n);

// optimizer_update out of place: reads θ, s1, s2 from the *_in arrays and writes the
// updated values to the *_out arrays (non-null where the slot is), leaving the inputs
// untouched, so an update that overflows can simply be dropped (Network::train_epoch
// alternates two copies of the parameters and state this way). Results are
// bit-identical to optimizer_update. Each out array must equal its in array (in place)
// or not overlap it at all. Returns whether every new θ is finite (checked in the same
// pass where the loop is vectorised by hand: adam and rmsprop, and sgd too on the avx512
// set; the baseline sgd loop re-reads its output).
bool optimizer_update_to(const OptimizerSpec& spec, const OptimizerStep& step,
                         const float* theta_in, const float* grad, const float* s1_in,
                         const float* s2_in, int64_t n, float* theta_out, float* s1_out,
                         float* s2_out);

}  // namespace densely
