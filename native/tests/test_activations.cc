// Every activation (ops/activations.h), forward and backward (with and without the fused
// bias sum), against a float64 reference, on every kernel set (isa_legs.h: one CTest leg
// per set, a set this CPU lacks reported as skipped):
// - forward: linear, relu, leakyRelu exact; sigmoid, gelu, softmax within a few float32
//   ulps; tanh correctly rounded (against libm's float64 tanh) on a dense grid, at the
//   tiny and saturated ends, for ±0 (sign kept) and NaN; gelu and its derivative on a
//   dense grid over [−14, 14];
// - backward: d ⊙ act′ from the same a (and z where act′ needs it), within a few ulps of
//   the products it rounds (1 − a² and d − Σ d·a cancel, so the allowance scales with
//   the operands, not the result); the fused bias sum equals the float64 column sums of
//   the returned d, in row order, bit for bit;
// - kinks and NaN: relu′(0) = 0, leakyRelu′(0) = alpha, relu passes NaN;
// - shapes around the vector widths (1, 7, 8, 16, 17, 33, 130, 257 columns) and rows;
// - every elementwise activation gives the same bits for an element alone (the tail
//   path) as in a long block, and every result is bit-identical with 1 and 3 threads.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "check.h"
#include "isa_legs.h"
#include "ops/activations.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

using namespace densely;

namespace {

densely_test::Lcg g_rng(2024);

const char* const kNames[] = {"linear", "relu", "leakyRelu", "sigmoid", "tanh", "softmax", "gelu"};
// Every activation, in code order.
constexpr Activation kAllActivations[] = {
    Activation::kLinear, Activation::kRelu,    Activation::kLeakyRelu, Activation::kSigmoid,
    Activation::kTanh,   Activation::kSoftmax, Activation::kGelu};
constexpr double kUlp = 1.0 / 16777216.0;  // 2^-24: half an ulp of float32 at 1, relative

double ref_forward(Activation act, double alpha, double z) {
  switch (act) {
    case Activation::kRelu:
      return z <= 0.0 ? 0.0 : z;
    case Activation::kLeakyRelu:
      return z > 0.0 ? z : z * alpha;
    case Activation::kSigmoid:
      return 1.0 / (1.0 + std::exp(-z));
    case Activation::kTanh:
      return std::tanh(z);
    case Activation::kGelu:
      return 0.5 * z * std::erfc(-z / std::sqrt(2.0));
    default:
      return z;
  }
}

// act′ at z for the activations that read z (gelu; leakyRelu with a negative slope),
// else from the output a.
double ref_derivative(Activation act, double alpha, double a, double z) {
  switch (act) {
    case Activation::kRelu:
      return a > 0.0 ? 1.0 : 0.0;
    case Activation::kLeakyRelu:
      return (alpha >= 0.0 ? a : z) > 0.0 ? 1.0 : alpha;
    case Activation::kSigmoid:
      return a * (1.0 - a);
    case Activation::kTanh:
      return 1.0 - a * a;
    case Activation::kGelu:
      return 0.5 * std::erfc(-z / std::sqrt(2.0)) +
             z * std::exp(-0.5 * z * z) / std::sqrt(2.0 * M_PI);
    default:
      return 1.0;
  }
}

bool same_bits(float a, float b) {
  return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b));
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!same_bits(a[i], b[i])) return false;
  }
  return true;
}

struct Worst {
  double excess = 0.0;
  int64_t at = -1;
  double got = 0.0, want = 0.0;
  void see(int64_t i, double g, double w, double allowed) {
    const double e = std::isnan(g) != std::isnan(w)
                         ? INFINITY
                         : (std::isnan(w) ? 0.0 : std::fabs(g - w) - allowed);
    if (e > 0.0 && (at < 0 || e > excess)) {
      excess = e;
      at = i;
      got = g;
      want = w;
    }
  }
  void report(const char* what, Activation act, float alpha, int64_t rows, int64_t units, Isa isa) {
    CHECK(at < 0);
    if (at >= 0) {
      std::printf("  %s %s (alpha %g) [%lld × %lld] on %s: worst at %lld: got %.9g, want %.9g\n",
                  what, kNames[static_cast<int>(act)], static_cast<double>(alpha),
                  static_cast<long long>(rows), static_cast<long long>(units), isa_name(isa),
                  static_cast<long long>(at), got, want);
    }
  }
};

void check_shape(Isa isa, Activation act, float alpha, int64_t rows, int64_t units) {
  const int64_t n = rows * units;
  std::vector<float> z(static_cast<size_t>(n)), d0(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    z[i] = g_rng.uniform(-6.0f, 6.0f);
    d0[i] = g_rng.uniform(-1.0f, 1.0f);
  }
  if (n > 3) z[1] = 0.0f;  // the kinks: relu′(0) = 0, leakyRelu′(0) = alpha
  std::vector<float> a(static_cast<size_t>(n));
  activation_forward(act, alpha, z.data(), a.data(), rows, units);

  Worst fw;
  for (int64_t r = 0; r < rows; ++r) {
    const float* zr = z.data() + r * units;
    double mx = zr[0], sum = 0.0;
    // Maxima by comparison, not std::fmax: aarch64 g++ 12 -O3 hit an internal compiler
    // error (vect_transform_reduction) vectorising the fmax reductions of this loop nest.
    for (int64_t j = 1; j < units; ++j) mx = zr[j] > mx ? zr[j] : mx;
    double spread = 0.0;  // max |z − max| over the row
    for (int64_t j = 0; j < units; ++j) {
      sum += std::exp(static_cast<double>(zr[j]) - mx);
      spread = mx - zr[j] > spread ? mx - zr[j] : spread;
    }
    for (int64_t j = 0; j < units; ++j) {
      const int64_t i = r * units + j;
      const double want = act == Activation::kSoftmax
                              ? std::exp(static_cast<double>(zr[j]) - mx) / sum
                              : ref_forward(act, alpha, z[i]);
      // linear and relu: exact; leakyRelu, tanh and gelu: correctly rounded (half an ulp,
      // 2^-24 relative); sigmoid: a few roundings (expf, add, divide); softmax: z − max is
      // rounded before exp (an error of |z − max|·2^-24 in the exponent, in every term
      // of the sum too) and then exp and the scale.
      const double ulps =
          act == Activation::kLinear || act == Activation::kRelu ? 0.0
          : act == Activation::kLeakyRelu || act == Activation::kTanh || act == Activation::kGelu
              ? 1.0
          : act == Activation::kSigmoid ? 8.0
                                        : 8.0 + 2.0 * spread;
      fw.see(i, a[i], want, ulps * kUlp * std::fabs(want) + 1e-30);
    }
  }
  fw.report("forward", act, alpha, rows, units, isa);

  for (int bias = 0; bias < 2; ++bias) {
    std::vector<float> d = d0, bg(static_cast<size_t>(units), -7.0f);
    std::vector<double> scratch(static_cast<size_t>(units));
    const bool needs_z = !activation_backward_from_output(act, alpha);
    activation_backward(act, alpha, a.data(), needs_z ? z.data() : nullptr, d.data(), rows, units,
                        bias ? bg.data() : nullptr, scratch.data());
    Worst bw;
    for (int64_t r = 0; r < rows; ++r) {
      double dot = 0.0;
      for (int64_t j = 0; j < units; ++j)
        dot += static_cast<double>(d0[r * units + j]) * a[r * units + j];
      for (int64_t j = 0; j < units; ++j) {
        const int64_t i = r * units + j;
        const double ai = a[i], di = d0[i];
        double want, allowed;
        if (act == Activation::kSoftmax) {
          want = ai * (di - dot);
          allowed = 4.0 * kUlp * std::fabs(ai) * (std::fabs(di) + std::fabs(dot));
        } else {
          want = di * ref_derivative(act, alpha, ai, z[i]);
          // sigmoid and tanh round a·(1 − a) and a² before their cancellation: an absolute
          // error of a few ulps of |d|·max(a, a²); gelu rounds its float64 derivative once.
          const double operand = act == Activation::kSigmoid || act == Activation::kTanh
                                     ? std::fabs(di) * std::fmax(std::fabs(ai), ai * ai)
                                     : 0.0;
          allowed = 4.0 * kUlp * (std::fabs(want) + operand);
        }
        bw.see(i, d[i], want, allowed);
      }
    }
    bw.report(bias ? "backward+bias" : "backward", act, alpha, rows, units, isa);
    if (bias) {
      bool sums = true;
      for (int64_t j = 0; j < units; ++j) {
        double s = 0.0;
        for (int64_t r = 0; r < rows; ++r) s += d[r * units + j];
        sums = sums && same_bits(bg[j], static_cast<float>(s));
      }
      CHECK(sums);
      if (!sums)
        std::printf("  bias sum %s [%lld × %lld] on %s\n", kNames[static_cast<int>(act)],
                    (long long)rows, (long long)units, isa_name(isa));
    }
  }
}

// tanh must be the correctly rounded float32 tanh, element by element.
void check_tanh_rounding(Isa isa) {
  std::vector<float> z;
  for (double v = -25.0; v <= 25.0; v += 0.000731) z.push_back(static_cast<float>(v));
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-8f, 2.4e-4f, 2.45e-4f, -2.45e-4f, 1e-3f, 0.5f,
                  20.0f, -20.0f, 19.999f, 1e-45f, 3.4e38f, -3.4e38f}) {
    z.push_back(v);
  }
  z.push_back(NAN);
  z.push_back(INFINITY);
  z.push_back(-INFINITY);
  std::vector<float> a(z.size());
  activation_forward(Activation::kTanh, 0.0f, z.data(), a.data(), 1,
                     static_cast<int64_t>(z.size()));
  int64_t wrong = 0;
  for (size_t i = 0; i < z.size(); ++i) {
    const float want = static_cast<float>(std::tanh(static_cast<double>(z[i])));
    if (std::isnan(want) ? !std::isnan(a[i]) : std::memcmp(&want, &a[i], sizeof want) != 0)
      ++wrong;  // -0 stays -0
  }
  CHECK(wrong == 0);
  if (wrong != 0)
    std::printf("  tanh on %s: %lld of %zu not correctly rounded\n", isa_name(isa),
                (long long)wrong, z.size());
}

// gelu on a dense grid over [−14, 14] (every piece of the avx512 set's erf/erfc: |z|/√2
// below 1, on each of the 16 intervals up to 9, and past 9), forward and backward,
// against the float64 reference written with erfc (no cancellation in the lower tail).
// Allowance: correct rounding (2^-24 relative) plus 1.2e-16·|z| absolute — the
// baseline forms 1 + erf(z/√2) in float64, which loses the lower tail to cancellation
// (gelu(−8.3) ≈ −4e-16 comes out 0 there).
void check_gelu_grid(Isa isa) {
  std::vector<float> z;
  for (double v = -14.0; v <= 14.0; v += 0.000917) z.push_back(static_cast<float>(v));
  const int64_t n = static_cast<int64_t>(z.size());
  std::vector<float> a(z.size()), d(z.size(), 0.75f);
  activation_forward(Activation::kGelu, 0.0f, z.data(), a.data(), 1, n);
  activation_backward(Activation::kGelu, 0.0f, a.data(), z.data(), d.data(), 1, n, nullptr,
                      nullptr);
  Worst fw, bw;
  for (int64_t i = 0; i < n; ++i) {
    const double zi = z[i];
    const double cdf = 0.5 * std::erfc(-zi / std::sqrt(2.0));
    const double grad = cdf + zi * std::exp(-0.5 * zi * zi) / std::sqrt(2.0 * M_PI);
    const double want_a = zi * cdf, want_d = 0.75 * grad;
    fw.see(i, a[i], want_a, kUlp * std::fabs(want_a) + 1.2e-16 * std::fabs(zi));
    bw.see(i, d[i], want_d, 3.0 * kUlp * std::fabs(want_d) + 1.2e-16 * std::fabs(zi));
  }
  fw.report("forward grid", Activation::kGelu, 0.0f, 1, n, isa);
  bw.report("backward grid", Activation::kGelu, 0.0f, 1, n, isa);
}

// Elementwise activations: an element alone (the tail path) gives the bits it gets in a
// long block, and special values behave as the contract says.
void check_alone_and_specials(Isa isa) {
  std::vector<float> z;
  for (int i = 0; i < 1000; ++i) z.push_back(g_rng.uniform(-30.0f, 30.0f));
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 88.0f, -88.0f, 100.0f, -100.0f, 3.4e38f, -3.4e38f,
                  INFINITY, -INFINITY}) {
    z.push_back(v);
  }
  const int64_t n = static_cast<int64_t>(z.size());
  for (Activation act : {Activation::kLinear, Activation::kRelu, Activation::kLeakyRelu,
                         Activation::kSigmoid, Activation::kTanh, Activation::kGelu}) {
    std::vector<float> a(z.size()), d(z.size(), 0.5f);
    activation_forward(act, 0.1f, z.data(), a.data(), 1, n);
    activation_backward(act, 0.1f, a.data(), z.data(), d.data(), 1, n, nullptr, nullptr);
    int64_t differ = 0;
    for (int64_t i = 0; i < n; ++i) {
      float one, dd = 0.5f;
      activation_forward(act, 0.1f, &z[i], &one, 1, 1);
      activation_backward(act, 0.1f, &one, &z[i], &dd, 1, 1, nullptr, nullptr);
      if (!same_bits(one, a[i]) || !same_bits(dd, d[i])) ++differ;
    }
    CHECK(differ == 0);
    if (differ != 0)
      std::printf("  %s on %s: %lld elements differ alone\n", kNames[static_cast<int>(act)],
                  isa_name(isa), (long long)differ);
  }
  const float nan = std::numeric_limits<float>::quiet_NaN();
  float zr[3] = {nan, 0.0f, -1.0f}, ar[3], dr[3] = {1.0f, 1.0f, 1.0f};
  activation_forward(Activation::kRelu, 0.0f, zr, ar, 1, 3);
  CHECK(std::isnan(ar[0]) && ar[1] == 0.0f && ar[2] == 0.0f);
  activation_backward(Activation::kRelu, 0.0f, ar, nullptr, dr + 0, 1, 3, nullptr, nullptr);
  CHECK(dr[1] == 0.0f && dr[2] == 0.0f);
  float zl[2] = {0.0f, 2.0f}, al[2], dl[2] = {1.0f, 1.0f};
  activation_forward(Activation::kLeakyRelu, 0.25f, zl, al, 1, 2);
  activation_backward(Activation::kLeakyRelu, 0.25f, al, zl, dl, 1, 2, nullptr, nullptr);
  CHECK(dl[0] == 0.25f && dl[1] == 1.0f);
}

// Forward and backward (with the bias sum) on a block big enough to be split across the
// pool give the same bits with 1 and 3 threads.
void check_threads(Isa isa) {
  const int64_t rows = 128, units = 300, n = rows * units;
  std::vector<float> z(static_cast<size_t>(n)), d0(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    z[i] = g_rng.uniform(-5.0f, 5.0f);
    d0[i] = g_rng.uniform(-1.0f, 1.0f);
  }
  for (Activation act : kAllActivations) {
    std::vector<float> out[2][3];
    for (int t = 0; t < 2; ++t) {
      set_threads(t == 0 ? 1 : 3);
      std::vector<float> a(z.size()), d = d0, bg(static_cast<size_t>(units));
      std::vector<double> scratch(static_cast<size_t>(units));
      activation_forward(act, 0.1f, z.data(), a.data(), rows, units);
      activation_backward(act, 0.1f, a.data(), z.data(), d.data(), rows, units, bg.data(),
                          scratch.data());
      out[t][0] = a;
      out[t][1] = d;
      out[t][2] = bg;
    }
    const bool same = same_bits(out[0][0], out[1][0]) && same_bits(out[0][1], out[1][1]) &&
                      same_bits(out[0][2], out[1][2]);
    CHECK(same);
    if (!same)
      std::printf("  %s on %s: 1 and 3 threads differ\n", kNames[static_cast<int>(act)],
                  isa_name(isa));
  }
  set_threads(1);
}

}  // namespace

int main() {
  const int64_t shapes[][2] = {{1, 1},  {1, 7},  {1, 8},   {1, 16},  {1, 17},  {3, 10},
                               {2, 33}, {5, 64}, {64, 10}, {7, 130}, {2, 257}, {40, 17}};
  for (Isa isa : densely_test::isas_under_test("test_activations")) {
    CHECK(force_isa(isa));
    for (Activation act : kAllActivations) {
      for (const auto& s : shapes) {
        check_shape(isa, act, 0.1f, s[0], s[1]);
        if (act == Activation::kLeakyRelu)
          check_shape(isa, act, -0.5f, s[0], s[1]);  // backward from z
      }
    }
    check_tanh_rounding(isa);
    check_gelu_grid(isa);
    check_alone_and_specials(isa);
    check_threads(isa);
  }
  return densely_test::finish("test_activations");
}
