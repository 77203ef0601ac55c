// The general loss pass (ops/losses.h loss_forward_ex): loss options and per-row weights.
// - A plain loss without weights is loss_forward, bit for bit (the original paths are
//   untouched), fused and unfused.
// - Weighted: the batch loss is Σ w·l / Σ w of the rows' own losses (each row evaluated
//   alone), and each gradient row is (w_r / Σ w) times that row's own gradient.
// - Closed forms: huber on both sides of delta, BCE from logits and CE from logits at
//   extreme logits (finite: the stable softplus and log-sum-exp forms), label smoothing.
// - A batch whose weights sum to 0 gives NaN.
// - loss_forward_one is loss_forward_ex at one row, bit for bit.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "check.h"
#include "ops/losses.h"

using namespace densely;

namespace {

densely_test::Lcg g_rng(2026);

LossConfig cfg(Loss kind, bool logits = false, double eps = 0.0, double delta = 1.0) {
  LossConfig c;
  c.kind = kind;
  c.from_logits = logits;
  c.label_smoothing = eps;
  c.delta = delta;
  return c;
}

bool close(double a, double b, double rtol) {
  return std::fabs(a - b) <= rtol * std::fabs(b) + 1e-12;
}

// Targets for `kind`: class indices, distributions, 0/1 or any values.
std::vector<float> targets(Loss kind, int64_t rows, int64_t c) {
  std::vector<float> y;
  if (kind == Loss::kSparseCategoricalCrossentropy) {
    for (int64_t r = 0; r < rows; ++r) y.push_back(static_cast<float>(r % c));
    return y;
  }
  for (int64_t r = 0; r < rows; ++r) {
    if (kind == Loss::kCategoricalCrossentropy) {
      for (int64_t j = 0; j < c; ++j) y.push_back(j == (r * 7) % c ? 1.0f : 0.0f);
    } else if (kind == Loss::kBinaryCrossentropy) {
      for (int64_t j = 0; j < c; ++j) y.push_back((r + j) % 2 == 0 ? 1.0f : 0.0f);
    } else {
      for (int64_t j = 0; j < c; ++j) y.push_back(g_rng.uniform(-2.0f, 2.0f));
    }
  }
  return y;
}

// Outputs: probabilities (rows summing to 1 for softmax) or free values.
std::vector<float> outputs(bool probabilities, bool rows_sum_to_one, int64_t rows, int64_t c) {
  std::vector<float> p(static_cast<size_t>(rows * c));
  for (int64_t r = 0; r < rows; ++r) {
    float sum = 0.0f;
    for (int64_t j = 0; j < c; ++j) {
      float v = probabilities ? g_rng.uniform(0.05f, 0.95f) : g_rng.uniform(-3.0f, 3.0f);
      p[static_cast<size_t>(r * c + j)] = v;
      sum += v;
    }
    if (rows_sum_to_one)
      for (int64_t j = 0; j < c; ++j) p[static_cast<size_t>(r * c + j)] /= sum;
  }
  return p;
}

void plain_is_loss_forward() {
  const Loss kinds[] = {Loss::kMse, Loss::kMae, Loss::kBinaryCrossentropy,
                        Loss::kCategoricalCrossentropy, Loss::kSparseCategoricalCrossentropy};
  const Activation acts[] = {Activation::kLinear, Activation::kSoftmax, Activation::kSigmoid};
  const int64_t rows = 5, c = 3;
  for (Loss kind : kinds) {
    for (Activation act : acts) {
      const std::vector<float> y = targets(kind, rows, c);
      const std::vector<float> p = outputs(true, act == Activation::kSoftmax, rows, c);
      std::vector<float> g1(static_cast<size_t>(rows * c)), g2(g1.size());
      const LossResult a = loss_forward(kind, act, p.data(), y.data(), rows, c, g1.data());
      const LossResult b =
          loss_forward_ex(cfg(kind), act, p.data(), y.data(), nullptr, rows, c, g2.data());
      CHECK(std::memcmp(&a.loss, &b.loss, sizeof(double)) == 0);
      CHECK(a.correct == b.correct);
      CHECK(std::memcmp(g1.data(), g2.data(), g1.size() * sizeof(float)) == 0);
      CHECK(b.weight_sum == static_cast<double>(rows));
    }
  }
}

void weighted_rows(const LossConfig& c, Activation act, bool probabilities) {
  const int64_t rows = 6, n = 4;
  const std::vector<float> y = targets(c.kind, rows, n);
  const std::vector<float> p = outputs(probabilities, act == Activation::kSoftmax, rows, n);
  const std::vector<float> w = {0.5f, 2.0f, 0.0f, 1.25f, 3.0f, 0.75f};
  double wsum = 0.0;
  for (float v : w) wsum += v;
  std::vector<float> g(static_cast<size_t>(rows * n));
  const LossResult all = loss_forward_ex(c, act, p.data(), y.data(), w.data(), rows, n, g.data());
  CHECK(all.weight_sum == wsum);
  const int64_t yc = c.kind == Loss::kSparseCategoricalCrossentropy ? 1 : n;
  double num = 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<float> gr(static_cast<size_t>(n));
    const LossResult one =
        loss_forward_ex(c, act, p.data() + r * n, y.data() + r * yc, nullptr, 1, n, gr.data());
    num += w[static_cast<size_t>(r)] * one.loss;
    for (int64_t j = 0; j < n; ++j) {
      const double want = w[static_cast<size_t>(r)] / wsum * gr[static_cast<size_t>(j)];
      CHECK(close(g[static_cast<size_t>(r * n + j)], want, 1e-6));
    }
  }
  CHECK(close(all.loss, num / wsum, 1e-12));
}

void closed_forms() {
  // huber, delta 1: d = 0.5 → 0.125 (gradient 0.5); d = 3 → 2.5 (gradient 1); mean of 2.
  {
    const float p[] = {0.5f, 3.0f}, y[] = {0.0f, 0.0f};
    float g[2];
    const LossResult r =
        loss_forward_ex(cfg(Loss::kHuber), Activation::kLinear, p, y, nullptr, 1, 2, g);
    CHECK(close(r.loss, (0.125 + 2.5) / 2, 1e-15));
    CHECK(g[0] == 0.25f && g[1] == 0.5f);
    const LossResult r2 = loss_forward_ex(cfg(Loss::kHuber, false, 0.0, 0.25), Activation::kLinear,
                                          p, y, nullptr, 1, 2, g);
    CHECK(close(r2.loss, (0.25 * (0.5 - 0.125) + 0.25 * (3.0 - 0.125)) / 2, 1e-15));
    CHECK(g[0] == 0.125f && g[1] == 0.125f);
  }
  // BCE from logits: z = 0, y = 1 → log 2; z = ±100 against the wrong target → 100, finite.
  {
    const float p[] = {0.0f, 100.0f, -100.0f}, y[] = {1.0f, 0.0f, 1.0f};
    float g[3];
    const LossResult r = loss_forward_ex(cfg(Loss::kBinaryCrossentropy, true), Activation::kLinear,
                                         p, y, nullptr, 1, 3, g);
    CHECK(close(r.loss, (std::log(2.0) + 100.0 + 100.0) / 3, 1e-14));
    CHECK(close(g[0], -0.5 / 3, 1e-7) && close(g[1], 1.0 / 3, 1e-7) && close(g[2], -1.0 / 3, 1e-7));
  }
  // CE from logits at ±1000: finite; with ε = 0.3 over 3 classes, target [0.8, 0.1, 0.1]
  // on class 0: loss = −Σ t·log_softmax ≈ 0.1·1000 + 0.1·2000 = 300.
  {
    const float p[] = {1000.0f, 0.0f, -1000.0f}, y[] = {0.0f};
    float g[3];
    const LossResult r = loss_forward_ex(cfg(Loss::kSparseCategoricalCrossentropy, true, 0.3),
                                         Activation::kLinear, p, y, nullptr, 1, 3, g);
    CHECK(close(r.loss, 300.0, 1e-12));
    CHECK(close(g[0], 1.0 - 0.8, 1e-6) && close(g[1], -0.1, 1e-6) && close(g[2], -0.1, 1e-6));
    CHECK(r.correct == 1);
  }
  // One logit output: correct is z > 0 against y > 0.5.
  {
    const float p[] = {0.3f, 0.4f, -0.1f}, y[] = {1.0f, 0.0f, 0.0f};
    const LossResult r = loss_forward_ex(cfg(Loss::kBinaryCrossentropy, true), Activation::kLinear,
                                         p, y, nullptr, 3, 1, nullptr);
    CHECK(r.correct == 2);
  }
  // All weights 0: NaN.
  {
    const float p[] = {0.3f, 0.4f}, y[] = {1.0f, 0.0f}, w[] = {0.0f, 0.0f};
    const LossResult r =
        loss_forward_ex(cfg(Loss::kMse), Activation::kLinear, p, y, w, 2, 1, nullptr);
    CHECK(std::isnan(r.loss));
  }
}

// Bits of a float / double, for comparisons that tell −0 from +0 and NaN payloads apart.
bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// loss_forward_one (the batch-1 steps of network/tiny.h) is loss_forward_ex at rows = 1 bit
// for bit: loss, correct, weight_sum and gradient, for every loss and option, outputs 1–5,
// with and without a row weight (0, negative zero, tiny, large), on probabilities, free
// values, targets that are not 0/1, and edge outputs (0, 1, at the clip bounds, NaN, ±inf).
void one_row_is_loss_forward_ex() {
  const LossConfig cfgs[] = {
      cfg(Loss::kMse),
      cfg(Loss::kMae),
      cfg(Loss::kHuber, false, 0.0, 0.7),
      cfg(Loss::kBinaryCrossentropy),
      cfg(Loss::kBinaryCrossentropy, true),
      cfg(Loss::kCategoricalCrossentropy),
      cfg(Loss::kCategoricalCrossentropy, false, 0.1),
      cfg(Loss::kCategoricalCrossentropy, true, 0.2),
      cfg(Loss::kSparseCategoricalCrossentropy),
      cfg(Loss::kSparseCategoricalCrossentropy, true, 0.1),
  };
  const Activation acts[] = {Activation::kLinear, Activation::kSigmoid, Activation::kSoftmax,
                             Activation::kTanh};
  const float edges[] = {0.0f, 1.0f, 1e-7f,         1.0f - 1e-7f, -0.0f,
                         0.5f, 2.0f, std::nanf(""), INFINITY,     -INFINITY};
  const float weights[] = {1.0f, 0.5f, 3.0f, 1e-30f, 0.0f, -0.0f, 7e30f};
  int64_t cases = 0;
  for (int round = 0; round < 40; ++round) {
    for (const LossConfig& c : cfgs) {
      for (Activation act : acts) {
        for (int64_t n = 1; n <= 5; ++n) {
          std::vector<float> y = targets(c.kind, 1, n);
          if (c.kind == Loss::kSparseCategoricalCrossentropy)
            y[0] = static_cast<float>(
                static_cast<int>(g_rng.uniform(-1.0f, static_cast<float>(n) + 1.0f)));
          else if (round % 3 == 1)
            for (float& v : y) v = g_rng.uniform(-0.5f, 1.5f);
          std::vector<float> p = outputs(round % 2 == 0, act == Activation::kSoftmax, 1, n);
          if (round % 5 == 4) p[static_cast<size_t>(round / 5) % p.size()] = edges[round % 10];
          if (round % 7 == 6) p[0] = edges[(round / 7) % 10];
          for (int wi = -1; wi < static_cast<int>(sizeof weights / sizeof weights[0]); ++wi) {
            const float wv = wi < 0 ? 0.0f : weights[wi];
            const float* w = wi < 0 ? nullptr : &wv;
            std::vector<float> g1(static_cast<size_t>(n), 11.0f), g2(g1.size(), 11.0f);
            const LossResult a = loss_forward_ex(c, act, p.data(), y.data(), w, 1, n, g1.data());
            const LossResult b = loss_forward_one(c, act, p.data(), y.data(), w, n, g2.data());
            CHECK(same_bits(a.loss, b.loss));
            CHECK(a.correct == b.correct);
            CHECK(same_bits(a.weight_sum, b.weight_sum));
            CHECK(std::memcmp(g1.data(), g2.data(), g1.size() * sizeof(float)) == 0);
            // Without a gradient buffer too (evaluate's form).
            const LossResult e = loss_forward_one(c, act, p.data(), y.data(), w, n, nullptr);
            CHECK(same_bits(a.loss, e.loss) && a.correct == e.correct);
            ++cases;
          }
        }
      }
    }
  }
  CHECK(cases == 40 * 10 * 4 * 5 * 8);
}

}  // namespace

int main() {
  one_row_is_loss_forward_ex();
  plain_is_loss_forward();
  weighted_rows(cfg(Loss::kMse), Activation::kLinear, false);
  weighted_rows(cfg(Loss::kMae), Activation::kLinear, false);
  weighted_rows(cfg(Loss::kHuber, false, 0.0, 0.7), Activation::kLinear, false);
  weighted_rows(cfg(Loss::kBinaryCrossentropy), Activation::kSigmoid, true);
  weighted_rows(cfg(Loss::kBinaryCrossentropy), Activation::kLinear, true);
  weighted_rows(cfg(Loss::kBinaryCrossentropy, true), Activation::kLinear, false);
  weighted_rows(cfg(Loss::kCategoricalCrossentropy), Activation::kSoftmax, true);
  weighted_rows(cfg(Loss::kCategoricalCrossentropy, false, 0.1), Activation::kSoftmax, true);
  weighted_rows(cfg(Loss::kCategoricalCrossentropy, true, 0.2), Activation::kLinear, false);
  weighted_rows(cfg(Loss::kSparseCategoricalCrossentropy), Activation::kSoftmax, true);
  weighted_rows(cfg(Loss::kSparseCategoricalCrossentropy, true, 0.1), Activation::kLinear, false);
  closed_forms();
  return densely_test::finish("test_losses");
}
