// The smooth and piecewise-linear activations added in issue 13 (elu, selu, softplus,
// silu, mish, hardSigmoid, hardSwish, relu6), forward and derivative, written once as
// branch-free float64 element formulas that GCC vectorises. The same loops are compiled
// in one file per kernel set (activation_ext.cc: scalar, vectorisation off;
// activation_ext_{sse2,avx2,avx512}.cc on x86-64, activation_ext_neon.cc on arm64) with
// floating-point contraction off, and the formulas use only +, −, ×, ÷, comparisons,
// selects and exact bit operations, so every set gives the same bits as the scalar
// loop — for any split of a block and any thread count (test_activations checks it on
// every leg against the scalar formula here, and the values against float64 libm and a
// PyTorch float64 fixture).
//
// Each element is read as float32, computed in float64 and rounded once; the backward
// rounds act′(z)·d once as well (the js backend's order). The functions are PyTorch's
// (torch.nn.functional, default arguments), derivatives at kinks as its autograd gives
// them (checked with PyTorch 1.13, see lib/backend/types.ts ActivationName):
//   elu(z)        = z > 0 ? z : e^z − 1                      elu′(0) = 1
//   selu(z)       = λ·(z > 0 ? z : α(e^z − 1))               selu′(0) = λα
//   softplus(z)   = z > 20 ? z : log(1 + e^z)                 softplus′(z) = z > 20 ? 1 : σ(z)
//   silu(z)       = z·σ(z)
//   mish(z)       = z·tanh(softplus(z))   (no threshold: the formula saturates itself)
//   hardSigmoid(z)= min(max(z + 3, 0), 6)/6                  hardSigmoid′(±3) = 0
//   hardSwish(z)  = z·min(max(z + 3, 0), 6)/6                hardSwish′(−3) = −½, ′(3) = 3/2
//   relu6(z)      = min(max(z, 0), 6)                        relu6′(0) = relu6′(6) = 0
// NaN passes through every forward; the piecewise-linear derivatives are 0 at NaN.
//
// Elementary functions, all from one t = e^(−|z|) ∈ (0, 1] (no overflow anywhere):
// - e^x for x ≤ 0: n = round(x·log2 e) (the 1.5·2^52 shift), r = x − n·ln2 in two
//   parts (ln2_hi has 32 significant bits, so n·ln2_hi is exact), e^r − 1 by its Taylor
//   polynomial to degree 13 (|r| ≤ ln2/2: truncation < 3e-18 relative), times 2^n built
//   in the exponent field. x is clamped to [−708, 0] (e^−708 ≈ 3e-308 is still normal, and
//   every use below rounds it away in float32).
// - e^x − 1 for x ≤ 0: 2^n·(e^r − 1) + (2^n − 1): for |x| < ln2/2, n = 0 and this is
//   the polynomial itself, so no cancellation near 0 (elu(−1e-30) = −1e-30).
// - log(1 + t), t ∈ [0, 1]: 2·atanh(s) with s = t/(2 + t) ≤ 1/3, Σ s^(2k+1)/(2k+1)
//   to k = 16 (truncation < 4e-18 relative).
// - σ(z) = 1/(1 + t) for z ≥ 0, t/(1 + t) below; tanh(softplus(z)) and 1 − tanh² of it
//   as rational functions of t: z > 0: T = (1 + 2t)/(1 + 2t + 2t²), 1 − T =
//   2t²/(1 + 2t + 2t²); z ≤ 0 with w = t(2 + t): T = w/(w + 2), 1 − T = 2/(w + 2).
// Measured against float64 libm / PyTorch float64 on the test grids: within 1 float32
// ulp (the final rounding) for every forward and derivative (test_activations).
#pragma once
#include <cstdint>
#include <cstring>

#include "activations.h"

namespace densely {
namespace act_ext {
// Internal linkage: each kernel set's file compiles its own copy of these with its own
// flags. (As ordinary inline functions they would be one COMDAT symbol across the
// files, and the linker would keep a single set's machine code for all of them.)
namespace {

inline double bits_to_double(int64_t b) {
  double d;
  std::memcpy(&d, &b, sizeof d);
  return d;
}
inline int64_t double_to_bits(double d) {
  int64_t b;
  std::memcpy(&b, &d, sizeof b);
  return b;
}

constexpr double kShift = 6755399441055744.0;  // 1.5·2^52: adding it rounds to an integer
constexpr double kLog2e = 1.4426950408889634074;
constexpr double kLn2Hi = 6.93147180369123816490e-01;  // 32 significant bits
constexpr double kLn2Lo = 1.90821492927058770002e-10;
constexpr double kSeluScale = 1.0507009873554804934193349852946;
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;

// e^r − 1 for |r| ≤ ln2/2, Σ_{k=1..13} r^k/k! by Horner.
inline double expm1_reduced(double r) {
  double p = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  return (p * r) * r + r;
}

// 2^n and e^r − 1 with x = n·ln2 + r, for x ≤ 0 (NaN passes into r).
inline void exp_parts(double x, double* scale, double* em1) {
  x = x < -708.0 ? -708.0 : (x > 0.0 ? 0.0 : x);  // a NaN x stays NaN
  const double shifted = x * kLog2e + kShift;
  const double n = shifted - kShift;
  const int64_t ni = double_to_bits(shifted) - double_to_bits(kShift);
  const double r = (x - n * kLn2Hi) - n * kLn2Lo;
  // Shifted as unsigned: for a NaN x, ni is meaningless (r carries the NaN) and a signed
  // shift of it would overflow, which is undefined; the bits are the same either way.
  *scale = bits_to_double(static_cast<int64_t>(static_cast<uint64_t>(ni + 1023) << 52));
  *em1 = expm1_reduced(r);
}

// e^x for x ≤ 0.
inline double exp_neg(double x) {
  double s, m;
  exp_parts(x, &s, &m);
  return s * m + s;
}

// e^x − 1 for x ≤ 0.
inline double expm1_neg(double x) {
  double s, m;
  exp_parts(x, &s, &m);
  return s * m + (s - 1.0);
}

// log(1 + t) for t ∈ [0, 1].
inline double log1p_unit(double t) {
  const double s = t / (2.0 + t), s2 = s * s;
  double p = 1.0 / 33.0;
  p = p * s2 + 1.0 / 31.0;
  p = p * s2 + 1.0 / 29.0;
  p = p * s2 + 1.0 / 27.0;
  p = p * s2 + 1.0 / 25.0;
  p = p * s2 + 1.0 / 23.0;
  p = p * s2 + 1.0 / 21.0;
  p = p * s2 + 1.0 / 19.0;
  p = p * s2 + 1.0 / 17.0;
  p = p * s2 + 1.0 / 15.0;
  p = p * s2 + 1.0 / 13.0;
  p = p * s2 + 1.0 / 11.0;
  p = p * s2 + 1.0 / 9.0;
  p = p * s2 + 1.0 / 7.0;
  p = p * s2 + 1.0 / 5.0;
  p = p * s2 + 1.0 / 3.0;
  return 2.0 * ((p * s2) * s + s);
}

inline double abs_d(double x) { return x < 0.0 ? -x : x; }
inline double relu6_d(double x) { return x < 0.0 ? 0.0 : (x > 6.0 ? 6.0 : x); }
// NaN-keeping min(max(x, 0), 6): a NaN x is returned as is.
inline double clamp06(double x) { return x != x ? x : relu6_d(x); }

// σ(z) from t = e^(−|z|).
inline double sigmoid_t(double z, double t) { return z >= 0.0 ? 1.0 / (1.0 + t) : t / (1.0 + t); }

// tanh(softplus(z)) into *th and 1 − that into *om, from t = e^(−|z|).
inline void tanh_softplus_t(double z, double t, double* th, double* om) {
  const double w = t * (2.0 + t);
  const double den = z > 0.0 ? 1.0 + 2.0 * t + 2.0 * t * t : w + 2.0;
  *th = (z > 0.0 ? 1.0 + 2.0 * t : w) / den;
  *om = (z > 0.0 ? 2.0 * t * t : 2.0) / den;
}

inline double forward(Activation act, double z) {
  switch (act) {
    case Activation::kElu:
      return z > 0.0 ? z : expm1_neg(z);
    case Activation::kSelu:
      return kSeluScale * (z > 0.0 ? z : kSeluAlpha * expm1_neg(z));
    case Activation::kSoftplus: {
      const double t = exp_neg(-abs_d(z));
      const double pos = z > 0.0 ? z : 0.0;
      return z > 20.0 ? z : pos + log1p_unit(t);
    }
    case Activation::kSilu:
      return z * sigmoid_t(z, exp_neg(-abs_d(z)));
    case Activation::kMish: {
      double th, om;
      tanh_softplus_t(z, exp_neg(-abs_d(z)), &th, &om);
      return z * th;
    }
    case Activation::kHardSigmoid:
      return clamp06(z + 3.0) / 6.0;
    case Activation::kHardSwish:
      return z * clamp06(z + 3.0) / 6.0;
    case Activation::kRelu6:
      return clamp06(z);
    default:
      return z;
  }
}

inline double derivative(Activation act, double z) {
  switch (act) {
    case Activation::kElu:
      return z > 0.0 ? 1.0 : exp_neg(z);
    case Activation::kSelu:
      return z > 0.0 ? kSeluScale : kSeluScale * kSeluAlpha * exp_neg(z);
    case Activation::kSoftplus:
      return z > 20.0 ? 1.0 : sigmoid_t(z, exp_neg(-abs_d(z)));
    case Activation::kSilu: {
      const double s = sigmoid_t(z, exp_neg(-abs_d(z)));
      return s * (1.0 + z * (1.0 - s));
    }
    case Activation::kMish: {
      const double t = exp_neg(-abs_d(z));
      double th, om;
      tanh_softplus_t(z, t, &th, &om);
      return th + z * sigmoid_t(z, t) * (om * (1.0 + th));
    }
    case Activation::kHardSigmoid:
      return z > -3.0 && z < 3.0 ? 1.0 / 6.0 : 0.0;
    case Activation::kHardSwish:
      return z < -3.0 ? 0.0 : (z <= 3.0 ? z / 3.0 + 0.5 : (z > 3.0 ? 1.0 : z));  // NaN: NaN
    case Activation::kRelu6:
      return z > 0.0 && z < 6.0 ? 1.0 : 0.0;
    default:
      return 1.0;
  }
}

// The loops every kernel set compiles: the switch is outside, so each loop body is one
// formula the vectoriser sees whole.
#define DENSELY_ACT_EXT_CASES(X) \
  X(kElu)                        \
  X(kSelu)                       \
  X(kSoftplus)                   \
  X(kSilu)                       \
  X(kMish)                       \
  X(kHardSigmoid)                \
  X(kHardSwish)                  \
  X(kRelu6)

inline void forward_loop(Activation act, const float* __restrict z, float* __restrict a,
                         int64_t n) {
  switch (act) {
#define DENSELY_X(name)                                                                \
  case Activation::name:                                                               \
    for (int64_t i = 0; i < n; ++i)                                                    \
      a[i] = static_cast<float>(forward(Activation::name, static_cast<double>(z[i]))); \
    break;
    DENSELY_ACT_EXT_CASES(DENSELY_X)
#undef DENSELY_X
    default:
      break;
  }
}

inline void backward_loop(Activation act, const float* __restrict z, float* __restrict d,
                          int64_t n) {
  switch (act) {
#define DENSELY_X(name)                                                                   \
  case Activation::name:                                                                  \
    for (int64_t i = 0; i < n; ++i)                                                       \
      d[i] = static_cast<float>(static_cast<double>(d[i]) *                               \
                                derivative(Activation::name, static_cast<double>(z[i]))); \
    break;
    DENSELY_ACT_EXT_CASES(DENSELY_X)
#undef DENSELY_X
    default:
      break;
  }
}

}  // namespace
}  // namespace act_ext

// Whether act is one of the activations above.
inline bool activation_is_ext(Activation act) {
  return act >= Activation::kElu && act <= Activation::kRelu6;
}

// a[0..n) ← act(z[0..n)) and d[0..n) ← d·act′(z[0..n)) for the activations above, on the
// active kernel set (activation_ext.cc dispatches; a may equal z).
void activation_ext_forward(Activation act, const float* z, float* a, int64_t n);
void activation_ext_backward(Activation act, const float* z, float* d, int64_t n);

// The per-set bodies (same bits on every set). Declared for every architecture, defined
// only where the set is built.
void activation_ext_forward_scalar(Activation act, const float* z, float* a, int64_t n);
void activation_ext_backward_scalar(Activation act, const float* z, float* d, int64_t n);
void activation_ext_forward_sse2(Activation act, const float* z, float* a, int64_t n);
void activation_ext_backward_sse2(Activation act, const float* z, float* d, int64_t n);
void activation_ext_forward_avx2(Activation act, const float* z, float* a, int64_t n);
void activation_ext_backward_avx2(Activation act, const float* z, float* d, int64_t n);
void activation_ext_forward_avx512(Activation act, const float* z, float* a, int64_t n);
void activation_ext_backward_avx512(Activation act, const float* z, float* d, int64_t n);
void activation_ext_forward_neon(Activation act, const float* z, float* a, int64_t n);
void activation_ext_backward_neon(Activation act, const float* z, float* d, int64_t n);

}  // namespace densely
