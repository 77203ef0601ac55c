// Losses (API.md "Losses"): mse, mae, binary / categorical / sparse categorical
// cross-entropy, each the mean over the batch, with the gradient of that mean.
//
// Per row the loss terms are summed in float64; the row sums are then added in row
// order, so the result never depends on a split. Clip bounds: binary CE clips ŷ to
// [1e-7, 1 − 1e-7], categorical to [1e-7, 1], compared in float64. "correct" is the
// argmax (first maximum wins) against the target's argmax or sparse index; with one
// output it is ŷ > 0.5 against y > 0.5. The work is O(rows × outputs) with one log per
// target entry, negligible next to the GEMMs, so it runs on the calling thread.
#include "losses.h"

#include <cmath>
#include <limits>

#include "activations.h"

namespace densely {
namespace {

constexpr double kBceLo = 1e-7;
constexpr double kBceHi = 1.0 - 1e-7;
constexpr double kCceLo = 1e-7;

inline int64_t argmax(const float* v, int64_t n) {
  int64_t best = 0;
  for (int64_t j = 1; j < n; ++j) {
    if (v[j] > v[best]) best = j;
  }
  return best;
}

inline double clampd(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

}  // namespace

bool loss_fused(Loss loss, Activation out_act) {
  return (out_act == Activation::kSoftmax && (loss == Loss::kCategoricalCrossentropy ||
                                              loss == Loss::kSparseCategoricalCrossentropy)) ||
         (out_act == Activation::kSigmoid && loss == Loss::kBinaryCrossentropy);
}

namespace {

// loss_forward's body. One: rows is 1 and Out1: outputs is 1 (loss_forward_one), made
// compile-time constants so the row and column loops fold away; the operations and their
// order are the same source, so the results are the same bits.
template <bool One, bool Out1>
inline LossResult loss_forward_impl(Loss loss, Activation out_act, const float* yhat,
                                    const float* y, int64_t rows, int64_t outputs, float* grad) {
  if (One) rows = 1;
  if (Out1) outputs = 1;
  const bool fused = loss_fused(loss, out_act);
  const bool per_row =
      loss == Loss::kCategoricalCrossentropy || loss == Loss::kSparseCategoricalCrossentropy;
  const double count = per_row ? static_cast<double>(rows) : static_cast<double>(rows) * outputs;
  const double inv = 1.0 / count;
  const bool sparse = loss == Loss::kSparseCategoricalCrossentropy;
  double total = 0.0;
  int64_t correct = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* p = yhat + r * outputs;
    const float* t = sparse ? nullptr : y + r * outputs;
    float* g = grad == nullptr ? nullptr : grad + r * outputs;
    double row = 0.0;
    switch (loss) {
      case Loss::kMse:
        for (int64_t j = 0; j < outputs; ++j) {
          const double diff = static_cast<double>(p[j]) - t[j];
          row += diff * diff;
          if (g) g[j] = static_cast<float>(2.0 * diff * inv);
        }
        break;
      case Loss::kMae:
        for (int64_t j = 0; j < outputs; ++j) {
          const double diff = static_cast<double>(p[j]) - t[j];
          row += std::fabs(diff);
          if (g) g[j] = static_cast<float>((diff > 0.0 ? inv : (diff < 0.0 ? -inv : 0.0)));
        }
        break;
      case Loss::kBinaryCrossentropy:
        for (int64_t j = 0; j < outputs; ++j) {
          const double yh = p[j];
          const double yt = t[j];
          const double pc = clampd(yh, kBceLo, kBceHi);
          // A 0/1 target zeroes one term exactly (the clip keeps both logs finite), so
          // its log is skipped: same sum, half the logs for the usual binary targets.
          if (yt != 0.0) row -= yt * std::log(pc);
          if (yt != 1.0) row -= (1.0 - yt) * std::log(1.0 - pc);
          if (g) {
            if (fused) {
              g[j] = static_cast<float>((yh - yt) * inv);
            } else {
              const bool pass = yh >= kBceLo && yh <= kBceHi;
              g[j] = pass ? static_cast<float>((-yt / pc + (1.0 - yt) / (1.0 - pc)) * inv) : 0.0f;
            }
          }
        }
        break;
      case Loss::kCategoricalCrossentropy:
        for (int64_t j = 0; j < outputs; ++j) {
          const double yh = p[j];
          const double yt = t[j];
          const double pc = clampd(yh, kCceLo, 1.0);
          if (yt != 0.0) row -= yt * std::log(pc);
          if (g) {
            if (fused) {
              g[j] = static_cast<float>((yh - yt) * inv);
            } else {
              const bool pass = yh >= kCceLo && yh <= 1.0;
              g[j] = pass ? static_cast<float>(-yt / pc * inv) : 0.0f;
            }
          }
        }
        break;
      case Loss::kSparseCategoricalCrossentropy: {
        const double idx = y[r];
        const bool valid = idx >= 0.0 && idx < static_cast<double>(outputs);
        const int64_t k = valid ? static_cast<int64_t>(idx) : -1;
        if (!valid) {
          row = std::numeric_limits<double>::quiet_NaN();
        } else {
          const double yh = p[k];
          row = -std::log(clampd(yh, kCceLo, 1.0));
        }
        if (g) {
          for (int64_t j = 0; j < outputs; ++j) {
            const double yt = j == k ? 1.0 : 0.0;
            const double yh = p[j];
            if (fused) {
              g[j] = static_cast<float>((yh - yt) * inv);
            } else {
              const bool pass = j == k && yh >= kCceLo && yh <= 1.0;
              g[j] = pass ? static_cast<float>(-1.0 / yh * inv) : 0.0f;
            }
          }
        }
        break;
      }
      default:
        row = std::numeric_limits<double>::quiet_NaN();
        break;
    }
    total += row;
    if (outputs == 1) {
      const bool target = sparse ? y[r] > 0.5f : t[0] > 0.5f;
      if ((p[0] > 0.5f) == target) ++correct;
    } else {
      const int64_t pred = argmax(p, outputs);
      const int64_t want =
          !sparse ? argmax(t, outputs)
                  : (y[r] >= 0.0f && y[r] < static_cast<float>(outputs) ? static_cast<int64_t>(y[r])
                                                                        : -1);
      if (pred == want) ++correct;
    }
  }
  return LossResult{total / count, correct};
}

}  // namespace

LossResult loss_forward(Loss loss, Activation out_act, const float* yhat, const float* y,
                        int64_t rows, int64_t outputs, float* grad) {
  return loss_forward_impl<false, false>(loss, out_act, yhat, y, rows, outputs, grad);
}

}  // namespace densely

namespace densely {
namespace {

inline double sigmoid_d(double z) {
  if (z >= 0.0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

}  // namespace

bool loss_plain(const LossConfig& cfg) {
  return !cfg.from_logits && cfg.label_smoothing == 0.0 && cfg.kind != Loss::kHuber;
}

bool loss_fused(const LossConfig& cfg, Activation out_act) {
  return !cfg.from_logits && cfg.kind != Loss::kHuber && loss_fused(cfg.kind, out_act);
}

namespace {

// loss_forward_ex's body; One / Out1 as loss_forward_impl.
template <bool One, bool Out1>
inline LossResult loss_forward_ex_impl(const LossConfig& cfg, Activation out_act, const float* yhat,
                                       const float* y, const float* w, int64_t rows,
                                       int64_t outputs, float* grad) {
  if (One) rows = 1;
  if (Out1) outputs = 1;
  if (w == nullptr && loss_plain(cfg)) {
    LossResult r = loss_forward_impl<One, Out1>(cfg.kind, out_act, yhat, y, rows, outputs, grad);
    r.weight_sum = static_cast<double>(rows);
    return r;
  }
  const Loss kind = cfg.kind;
  const bool fused = loss_fused(cfg, out_act);
  const bool logits = cfg.from_logits;
  const bool sparse = kind == Loss::kSparseCategoricalCrossentropy;
  const double eps = cfg.label_smoothing;
  const double delta = cfg.delta;
  const int64_t C = outputs;
  double wsum = 0.0;
  if (w == nullptr) {
    wsum = static_cast<double>(rows);
  } else {
    for (int64_t r = 0; r < rows; ++r) wsum += w[r];
  }
  double total = 0.0;
  int64_t correct = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* p = yhat + r * C;
    const float* t = sparse ? nullptr : y + r * C;
    float* g = grad == nullptr ? nullptr : grad + r * C;
    const double wr = w == nullptr ? 1.0 : static_cast<double>(w[r]);
    const double s = wr / wsum;
    double row = 0.0;
    switch (kind) {
      case Loss::kMse:
      case Loss::kMae:
      case Loss::kHuber:
      case Loss::kBinaryCrossentropy: {
        const double sc = s / static_cast<double>(C);
        for (int64_t j = 0; j < C; ++j) {
          const double pj = p[j];
          const double tj = t[j];
          double e = 0.0;
          double d1 = 0.0;
          if (kind == Loss::kBinaryCrossentropy) {
            if (logits) {
              e = (pj > 0.0 ? pj : 0.0) - pj * tj + std::log1p(std::exp(-std::fabs(pj)));
              d1 = sigmoid_d(pj) - tj;
            } else {
              const double pc = clampd(pj, kBceLo, kBceHi);
              if (tj != 0.0) e -= tj * std::log(pc);
              if (tj != 1.0) e -= (1.0 - tj) * std::log(1.0 - pc);
              if (fused) {
                d1 = pj - tj;
              } else {
                const bool pass = pj >= kBceLo && pj <= kBceHi;
                d1 = pass ? -tj / pc + (1.0 - tj) / (1.0 - pc) : 0.0;
              }
            }
          } else {
            const double d = pj - tj;
            if (kind == Loss::kMse) {
              e = d * d;
              d1 = 2.0 * d;
            } else if (kind == Loss::kMae) {
              e = std::fabs(d);
              d1 = d > 0.0 ? 1.0 : (d < 0.0 ? -1.0 : 0.0);
            } else {
              const double a = std::fabs(d);
              if (a <= delta) {
                e = 0.5 * d * d;
                d1 = d;
              } else {
                e = delta * (a - 0.5 * delta);
                d1 = d > 0.0 ? delta : -delta;
              }
            }
          }
          row += e;
          if (g) g[j] = static_cast<float>(d1 * sc);
        }
        row /= static_cast<double>(C);
        break;
      }
      case Loss::kCategoricalCrossentropy:
      case Loss::kSparseCategoricalCrossentropy: {
        bool bad = false;
        int64_t k = -1;
        if (sparse) {
          const double idx = y[r];
          bad = !(idx >= 0.0 && idx < static_cast<double>(C));
          k = bad ? -1 : static_cast<int64_t>(idx);
        }
        const double off = eps / static_cast<double>(C);
        // The smoothed target of column j (computed where used: no scratch).
        auto target = [&](int64_t j) {
          const double base = sparse ? (j == k ? 1.0 : 0.0) : static_cast<double>(t[j]);
          return (1.0 - eps) * base + off;
        };
        if (logits) {
          double m = p[0];
          for (int64_t j = 1; j < C; ++j) {
            if (p[j] > m) m = p[j];
          }
          double se = 0.0;
          for (int64_t j = 0; j < C; ++j) se += std::exp(static_cast<double>(p[j]) - m);
          const double lse = m + std::log(se);
          double tsum = 0.0;
          for (int64_t j = 0; j < C; ++j) {
            const double tj = target(j);
            row -= tj * (static_cast<double>(p[j]) - lse);
            tsum += tj;
          }
          if (g) {
            for (int64_t j = 0; j < C; ++j) {
              const double sm = std::exp(static_cast<double>(p[j]) - lse);
              g[j] = static_cast<float>((tsum * sm - target(j)) * s);
            }
          }
        } else {
          for (int64_t j = 0; j < C; ++j) {
            const double pj = p[j];
            const double tj = target(j);
            const double pc = clampd(pj, kCceLo, 1.0);
            if (tj != 0.0) row -= tj * std::log(pc);
            if (g) {
              double d1;
              if (fused) {
                d1 = pj - tj;
              } else {
                d1 = tj != 0.0 && pj >= kCceLo && pj <= 1.0 ? -tj / pc : 0.0;
              }
              g[j] = static_cast<float>(d1 * s);
            }
          }
        }
        if (bad) row = std::numeric_limits<double>::quiet_NaN();
        break;
      }
      default:
        row = std::numeric_limits<double>::quiet_NaN();
        break;
    }
    total += wr * row;
    if (C == 1 && !sparse) {
      const bool pred = logits ? p[0] > 0.0f : p[0] > 0.5f;
      if (pred == (t[0] > 0.5f)) ++correct;
    } else if (C == 1) {
      if ((p[0] > 0.5f) == (y[r] > 0.5f)) ++correct;
    } else {
      const int64_t pred = argmax(p, C);
      const int64_t want =
          !sparse
              ? argmax(t, C)
              : (y[r] >= 0.0f && y[r] < static_cast<float>(C) ? static_cast<int64_t>(y[r]) : -1);
      if (pred == want) ++correct;
    }
  }
  LossResult res{total / wsum, correct};
  res.weight_sum = wsum;
  return res;
}

}  // namespace

LossResult loss_forward_ex(const LossConfig& cfg, Activation out_act, const float* yhat,
                           const float* y, const float* w, int64_t rows, int64_t outputs,
                           float* grad) {
  return loss_forward_ex_impl<false, false>(cfg, out_act, yhat, y, w, rows, outputs, grad);
}

LossResult loss_forward_one(const LossConfig& cfg, Activation out_act, const float* yhat,
                            const float* y, const float* w, int64_t outputs, float* grad) {
  if (outputs == 1) return loss_forward_ex_impl<true, true>(cfg, out_act, yhat, y, w, 1, 1, grad);
  return loss_forward_ex_impl<true, false>(cfg, out_act, yhat, y, w, 1, outputs, grad);
}

}  // namespace densely
