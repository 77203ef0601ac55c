// Every activation (ops/activations.h), forward and backward (with and without the fused
// bias sum), against a float64 reference, on every kernel set (isa_legs.h: one CTest leg
// per set, a set this CPU lacks reported as skipped):
// - forward: linear, relu, leakyRelu exact; sigmoid, gelu, softmax within a few float32
//   ulps; tanh correctly rounded (against libm's float64 tanh) on a dense grid, at the
//   tiny and saturated ends, for ±0 (sign kept) and NaN; gelu and its derivative on a
//   dense grid over [−14, 14]; elu, selu, softplus, silu, mish, hardSigmoid, hardSwish and
//   relu6 (activation_ext.h) within 1 ulp of libm's float64 on a dense grid over
//   [−40, 40] and at the edges, bit-identical to the scalar formula on every set, with
//   PyTorch's derivatives at the kinks;
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
#include "ops/activation_ext.h"
#include "ops/activations.h"
#include "runtime/cpu.h"
#include "runtime/fp_mode.h"
#include "runtime/thread_pool.h"

using namespace densely;

namespace {

densely_test::Lcg g_rng(2024);

const char* const kNames[] = {"linear",  "relu", "leakyRelu",   "sigmoid",   "tanh",
                              "softmax", "gelu", "elu",         "selu",      "softplus",
                              "silu",    "mish", "hardSigmoid", "hardSwish", "relu6"};
// Every activation, in code order.
constexpr Activation kAllActivations[] = {
    Activation::kLinear,      Activation::kRelu,      Activation::kLeakyRelu, Activation::kSigmoid,
    Activation::kTanh,        Activation::kSoftmax,   Activation::kGelu,      Activation::kElu,
    Activation::kSelu,        Activation::kSoftplus,  Activation::kSilu,      Activation::kMish,
    Activation::kHardSigmoid, Activation::kHardSwish, Activation::kRelu6};
// The activations of activation_ext.h.
constexpr Activation kExtActivations[] = {
    Activation::kElu,  Activation::kSelu,        Activation::kSoftplus,  Activation::kSilu,
    Activation::kMish, Activation::kHardSigmoid, Activation::kHardSwish, Activation::kRelu6};
constexpr double kSeluL = 1.0507009873554804934193349852946;
constexpr double kSeluA = 1.6732632423543772848170429916717;

double sigmoid_ref(double z) { return 1.0 / (1.0 + std::exp(-z)); }
double relu6_ref(double z) { return z < 0.0 ? 0.0 : (z > 6.0 ? 6.0 : z); }
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
    // The activations of activation_ext.h, from libm's float64 functions.
    case Activation::kElu:
      return z > 0.0 ? z : std::expm1(z);
    case Activation::kSelu:
      return kSeluL * (z > 0.0 ? z : kSeluA * std::expm1(z));
    case Activation::kSoftplus:
      return z > 20.0 ? z : std::log1p(std::exp(z));
    case Activation::kSilu:
      return z * sigmoid_ref(z);
    case Activation::kMish:
      return z * std::tanh(std::log1p(std::exp(z)));
    case Activation::kHardSigmoid:
      return relu6_ref(z + 3.0) / 6.0;
    case Activation::kHardSwish:
      return z * relu6_ref(z + 3.0) / 6.0;
    case Activation::kRelu6:
      return relu6_ref(z);
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
    case Activation::kElu:
      return z > 0.0 ? 1.0 : std::exp(z);
    case Activation::kSelu:
      return z > 0.0 ? kSeluL : kSeluL * kSeluA * std::exp(z);
    case Activation::kSoftplus:
      return z > 20.0 ? 1.0 : sigmoid_ref(z);
    case Activation::kSilu: {
      const double s = sigmoid_ref(z);
      return s + z * s * (1.0 - s);
    }
    case Activation::kMish: {
      const double t = std::tanh(std::log1p(std::exp(z)));
      return t + z * sigmoid_ref(z) * (1.0 - t * t);
    }
    case Activation::kHardSigmoid:
      return z > -3.0 && z < 3.0 ? 1.0 / 6.0 : 0.0;
    case Activation::kHardSwish:
      return z < -3.0 ? 0.0 : (z <= 3.0 ? z / 3.0 + 0.5 : 1.0);
    case Activation::kRelu6:
      return z > 0.0 && z < 6.0 ? 1.0 : 0.0;
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
      const double ulps = act == Activation::kLinear || act == Activation::kRelu ? 0.0
                          : act == Activation::kLeakyRelu || act == Activation::kTanh ||
                                  act == Activation::kGelu || activation_is_ext(act)
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

// Same bits, or both zero or subnormal (under DAZ a subnormal z may reach a result as
// itself through a compare-and-select or as 0 through arithmetic, depending on how the
// compiler lowered the select: either is the core's contract).
bool same_flushed(float a, float b) {
  const float m = std::numeric_limits<float>::min();
  return same_bits(a, b) || (std::fabs(a) < m && std::fabs(b) < m);
}

// |got − want| in float32 ulps at want (the gap above the float nearest to |want|); under
// flush-to-zero a want below FLT_MIN may come out as 0 (or the nearest normal): an error
// up to FLT_MIN counts as 0 there.
double ulp_error(double got, double want) {
  if (std::fabs(want) < std::numeric_limits<float>::min())
    return std::fabs(got - want) <= std::numeric_limits<float>::min() ? 0.0 : INFINITY;
  const float f = std::fabs(static_cast<float>(want));
  return std::fabs(got - want) /
         (static_cast<double>(std::nextafter(f, INFINITY)) - static_cast<double>(f));
}

// The activations of activation_ext.h on a dense grid over [−40, 40] plus the edges
// (±0, tiny, the kinks 0, ±3, 6, the softplus threshold 20 and its neighbours, ±1e30,
// ±FLT_MAX, ±inf, NaN), forward and backward (d = 1, so d·act′ is act′ rounded once):
// - every set gives the bits of the scalar formula (act_ext::forward / derivative,
//   compiled here), element by element;
// - against libm's float64 (ref_forward, ref_derivative): within 1 float32 ulp of the
//   float64 value, the measured maximum printed per activation;
// - the kink derivatives are PyTorch's (see activation_ext.h) exactly, and NaN passes.
// All under flush-to-zero, the mode the core runs in (runtime/fp_mode.h; the pool's
// workers always have it), so this thread's scalar formula sees what the core sees.
void check_ext_grid(Isa isa) {
  const FlushDenormals flush;
  std::vector<float> z;
  const double step = densely_test::quick() ? 0.0173 : 0.000917;
  for (double v = -40.0; v <= 40.0; v += step) z.push_back(static_cast<float>(v));
  for (float v : {0.0f,
                  -0.0f,
                  1e-30f,
                  -1e-30f,
                  1e-10f,
                  -1e-10f,
                  1e-45f,
                  -1e-45f,
                  3.0f,
                  -3.0f,
                  6.0f,
                  20.0f,
                  std::nextafter(20.0f, 0.0f),
                  std::nextafter(20.0f, 30.0f),
                  19.5f,
                  20.5f,
                  88.0f,
                  -88.0f,
                  700.0f,
                  -700.0f,
                  800.0f,
                  -800.0f,
                  1e30f,
                  -1e30f,
                  3.4e38f,
                  -3.4e38f,
                  INFINITY,
                  -INFINITY,
                  NAN}) {
    z.push_back(v);
  }
  const int64_t n = static_cast<int64_t>(z.size());
  for (Activation act : kExtActivations) {
    std::vector<float> a(z.size()), d(z.size(), 1.0f);
    activation_forward(act, 0.1f, z.data(), a.data(), 1, n);
    activation_backward(act, 0.1f, a.data(), z.data(), d.data(), 1, n, nullptr, nullptr);
    int64_t not_scalar = 0, nan_lost = 0;
    double worst_fw = 0.0, worst_bw = 0.0, worst_fw_z = 0.0, worst_bw_z = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      const double zi = z[i];
      const float sf = static_cast<float>(act_ext::forward(act, zi));
      const float sd = static_cast<float>(1.0 * act_ext::derivative(act, zi));
      if (!same_flushed(sf, a[i]) || !same_flushed(sd, d[i])) ++not_scalar;
      if (std::isnan(zi)) {
        if (!std::isnan(a[i])) ++nan_lost;
        continue;
      }
      if (std::isinf(zi)) continue;
      const double wf = ref_forward(act, 0.0, zi), wd = ref_derivative(act, 0.0, 0.0, zi);
      if (std::isfinite(wf)) {
        const double e = ulp_error(a[i], wf);
        if (!(e <= worst_fw)) worst_fw = e, worst_fw_z = zi;
      }
      if (std::isfinite(wd)) {
        const double e = ulp_error(d[i], wd);
        if (!(e <= worst_bw)) worst_bw = e, worst_bw_z = zi;
      }
    }
    CHECK(not_scalar == 0);
    CHECK(nan_lost == 0);
    CHECK(worst_fw <= 1.0);
    CHECK(worst_bw <= 1.0);
    std::printf(
        "  %s on %s: max error vs float64 libm: forward %.3f ulp (z = %.9g), derivative "
        "%.3f ulp (z = %.9g); %lld elements differ from the scalar formula\n",
        kNames[static_cast<int>(act)], isa_name(isa), worst_fw, worst_fw_z, worst_bw, worst_bw_z,
        static_cast<long long>(not_scalar));
  }
  // Kinks: derivative values as PyTorch 1.13's autograd gives them (its vectorised loops).
  struct Kink {
    Activation act;
    float z;
    float want;
  };
  const Kink kinks[] = {
      {Activation::kElu, 0.0f, 1.0f},
      {Activation::kSelu, 0.0f, static_cast<float>(kSeluL * kSeluA)},
      {Activation::kSelu, 1.0f, static_cast<float>(kSeluL)},
      {Activation::kSoftplus, 0.0f, 0.5f},
      {Activation::kSoftplus, 20.0f, static_cast<float>(sigmoid_ref(20.0))},
      {Activation::kSoftplus, std::nextafter(20.0f, 30.0f), 1.0f},
      {Activation::kSilu, 0.0f, 0.5f},
      {Activation::kMish, 0.0f, 0.6f},
      {Activation::kHardSigmoid, -3.0f, 0.0f},
      {Activation::kHardSigmoid, 3.0f, 0.0f},
      {Activation::kHardSigmoid, 0.0f, static_cast<float>(1.0 / 6.0)},
      {Activation::kHardSwish, -3.0f, -0.5f},
      {Activation::kHardSwish, 3.0f, 1.5f},
      {Activation::kHardSwish, 0.0f, 0.5f},
      {Activation::kRelu6, 0.0f, 0.0f},
      {Activation::kRelu6, 6.0f, 0.0f},
      {Activation::kRelu6, 3.0f, 1.0f},
  };
  for (const Kink& k : kinks) {
    float a, d = 1.0f;
    activation_forward(k.act, 0.0f, &k.z, &a, 1, 1);
    activation_backward(k.act, 0.0f, &a, &k.z, &d, 1, 1, nullptr, nullptr);
    CHECK(same_bits(d, k.want));
    if (!same_bits(d, k.want))
      std::printf("  %s′(%g) on %s: got %.9g, want %.9g\n", kNames[static_cast<int>(k.act)],
                  static_cast<double>(k.z), isa_name(isa), static_cast<double>(d),
                  static_cast<double>(k.want));
  }
  // Forward values at the edges: softplus's threshold, the saturations, exact pieces.
  struct Value {
    Activation act;
    float z;
    float want;
  };
  const Value values[] = {
      {Activation::kElu, -INFINITY, -1.0f},
      {Activation::kElu, -1e-30f, -1e-30f},  // e^z − 1 without cancellation
      {Activation::kSelu, -INFINITY, static_cast<float>(-kSeluL * kSeluA)},
      {Activation::kSoftplus, 20.5f, 20.5f},
      {Activation::kSoftplus, 20.0f, static_cast<float>(std::log1p(std::exp(20.0)))},
      {Activation::kSoftplus, -INFINITY, 0.0f},
      {Activation::kSoftplus, INFINITY, INFINITY},
      {Activation::kMish, 1e30f, 1e30f},
      {Activation::kHardSigmoid, -3.0f, 0.0f},
      {Activation::kHardSigmoid, 3.0f, 1.0f},
      {Activation::kHardSwish, 3.0f, 3.0f},
      {Activation::kRelu6, 7.0f, 6.0f},
      {Activation::kRelu6, -1.0f, 0.0f},
  };
  for (const Value& v : values) {
    float a;
    activation_forward(v.act, 0.0f, &v.z, &a, 1, 1);
    CHECK(same_bits(a, v.want));
    if (!same_bits(a, v.want))
      std::printf("  %s(%g) on %s: got %.9g, want %.9g\n", kNames[static_cast<int>(v.act)],
                  static_cast<double>(v.z), isa_name(isa), static_cast<double>(a),
                  static_cast<double>(v.want));
  }
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
  for (Activation act :
       {Activation::kLinear, Activation::kRelu, Activation::kLeakyRelu, Activation::kSigmoid,
        Activation::kTanh, Activation::kGelu, Activation::kElu, Activation::kSelu,
        Activation::kSoftplus, Activation::kSilu, Activation::kMish, Activation::kHardSigmoid,
        Activation::kHardSwish, Activation::kRelu6}) {
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
    check_ext_grid(isa);
    check_alone_and_specials(isa);
    check_threads(isa);
  }
  return densely_test::finish("test_activations");
}
