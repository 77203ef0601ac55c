// Activations: forward a = act(z) and backward d ← d ⊙ act′ on [rows × units] blocks.
//
// Contract (lib/backend/types.ts, "Numerics"): relu′(0) = 0, leakyRelu′(0) = alpha, relu
// passes NaN through (z ≤ 0 ? 0 : z) so a diverging network reaches the loss as NaN,
// gelu is the exact erf form 0.5·z·(1 + erf(z/√2)) with gelu′(z) = Φ(z) + z·φ(z),
// softmax subtracts the row maximum before exp and its backward is the
// Jacobian-vector product a ⊙ (d − Σ_j d_j·a_j) with the dot product in float64.
// Everything except softmax is elementwise and is split over rows (forward) or
// column blocks (backward with a fused bias sum) in blocks fixed by the shape, so
// results do not depend on the thread count.
#include "activations.h"

#include <cmath>
#include <cstring>

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define DENSELY_ACT_SSE2 1
#endif

#include "split.h"

namespace densely {
namespace {

constexpr int64_t kColumnBlock = 64;  // columns per task when a bias sum is fused

inline float sigmoidf(float z) { return 1.0f / (1.0f + std::exp(-z)); }

// tanh through one float64 exponential: (e − 1)/(e + 1) with e = exp(2z). In float64 the
// cancellation near 0 costs ~4e-16 absolute, far below float32's resolution for
// |z| ≥ 2^-12 (smaller z is returned as is, see tanhf_fast); |z| > 20 gives ±1 exactly
// in float32 (1 − tanh(20) ≈ 8e-18).
//
// The exponential is exp_f64 below rather than libm's exp: the same arithmetic on two
// lanes at once with SSE2 (tanh_block) and one at a time for the tail and on other
// CPUs, so every element gets the same bits whichever path computes it, and a layer of
// 8 tanh units costs 4 short vector sequences instead of 8 library calls (a third of a
// batch-1 XOR step went to those calls).
//
// exp_f64(x), |x| ≤ 40: x = k·ln2 + r with k = round(x/ln2) and |r| ≤ ln2/2, r taken
// with ln2 split in two parts (the high part has 21 trailing zero bits, so k·hi is
// exact); exp(r) by its Taylor series to r^12/12! (truncation < 1.2e-15 relative for
// |r| ≤ 0.347) evaluated in Estrin's scheme (a dependency chain of ~8 operations
// instead of Horner's 24: the step of a tiny network waits on this latency); 2^k put in
// through the exponent bits. About 2 ulp of float64, 2^29 times finer than float32's
// rounding of the result. ExpOps<T> gives the scalar and the SSE2 lanes the very same
// operations in the same order, so both paths produce the same bits.
constexpr double kLog2e = 1.4426950408889634;
constexpr double kLn2Hi = 0.693147180369123816490;   // ln 2 rounded to 32 bits
constexpr double kLn2Lo = 1.90821492927058770002e-10;  // ln 2 − kLn2Hi
constexpr double kRoundMagic = 6755399441055744.0;     // 1.5·2^52: adding it rounds to integer
// 1/k! for k = 0..12.
constexpr double kC[13] = {1.0,           1.0,            1.0 / 2.0,       1.0 / 6.0,
                           1.0 / 24.0,    1.0 / 120.0,    1.0 / 720.0,     1.0 / 5040.0,
                           1.0 / 40320.0, 1.0 / 362880.0, 1.0 / 3628800.0, 1.0 / 39916800.0,
                           1.0 / 479001600.0};

struct ScalarOps {
  using T = double;
  static T set(double c) { return c; }
  static T add(T a, T b) { return a + b; }
  static T sub(T a, T b) { return a - b; }
  static T mul(T a, T b) { return a * b; }
};
#ifdef DENSELY_ACT_SSE2
struct Sse2Ops {
  using T = __m128d;
  static T set(double c) { return _mm_set1_pd(c); }
  static T add(T a, T b) { return _mm_add_pd(a, b); }
  static T sub(T a, T b) { return _mm_sub_pd(a, b); }
  static T mul(T a, T b) { return _mm_mul_pd(a, b); }
};
#endif

// Returns exp(r) for |r| ≤ ln2/2 and leaves `shifted` (x/ln2 + 1.5·2^52) for the scaling.
template <class O>
typename O::T exp_reduced(typename O::T x, typename O::T* shifted) {
  using T = typename O::T;
  const T sh = O::add(O::mul(x, O::set(kLog2e)), O::set(kRoundMagic));
  const T k = O::sub(sh, O::set(kRoundMagic));
  const T r = O::sub(O::sub(x, O::mul(k, O::set(kLn2Hi))), O::mul(k, O::set(kLn2Lo)));
  *shifted = sh;
  const T r2 = O::mul(r, r);
  const T r4 = O::mul(r2, r2);
  const T r8 = O::mul(r4, r4);
  const T p01 = O::add(O::set(kC[0]), O::mul(O::set(kC[1]), r));
  const T p23 = O::add(O::set(kC[2]), O::mul(O::set(kC[3]), r));
  const T p45 = O::add(O::set(kC[4]), O::mul(O::set(kC[5]), r));
  const T p67 = O::add(O::set(kC[6]), O::mul(O::set(kC[7]), r));
  const T p89 = O::add(O::set(kC[8]), O::mul(O::set(kC[9]), r));
  const T pab = O::add(O::set(kC[10]), O::mul(O::set(kC[11]), r));
  const T q0 = O::add(p01, O::mul(p23, r2));
  const T q1 = O::add(p45, O::mul(p67, r2));
  const T q2 = O::add(O::add(p89, O::mul(pab, r2)), O::mul(O::set(kC[12]), r4));
  return O::add(O::add(q0, O::mul(q1, r4)), O::mul(q2, r8));
}

inline double exp_f64(double x) {
  double shifted;
  const double p = exp_reduced<ScalarOps>(x, &shifted);
  // The mantissa of `shifted` is 2^51 + k, so its low 32 bits are k in two's
  // complement (|k| ≤ 58 here).
  uint64_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  const int64_t k32 = static_cast<int32_t>(static_cast<uint32_t>(bits));
  const uint64_t sbits = static_cast<uint64_t>(k32 + 1023) << 52;
  double scale;
  std::memcpy(&scale, &sbits, sizeof scale);
  return p * scale;
}

// Below 2^-12 in magnitude tanh(z) = z − z³/3 + … rounds to z itself in float32 (z²/3 is
// under half an ulp), and (e − 1)/(e + 1) would lose z to cancellation (tanh(1e-30)
// would come out 0): z is returned there, with its sign (tanh(−0) = −0).
constexpr float kTanhTiny = 0.000244140625f;  // 2^-12

inline float tanhf_fast(float z) {
  if (z > 20.0f) return 1.0f;
  if (z < -20.0f) return -1.0f;
  if (!(z == z) || (z < kTanhTiny && z > -kTanhTiny)) return z;  // NaN and tiny z pass
  const double e = exp_f64(2.0 * static_cast<double>(z));
  return static_cast<float>((e - 1.0) / (e + 1.0));
}

// a[b..e) ← tanh(z[b..e)), two lanes at a time on x86-64 (SSE2, part of its baseline).
void tanh_block(const float* __restrict z, float* __restrict a, int64_t b, int64_t e) {
  int64_t i = b;
#ifdef DENSELY_ACT_SSE2
  const __m128d one = _mm_set1_pd(1.0), two = _mm_set1_pd(2.0), lim = _mm_set1_pd(20.0);
  const __m128i bias = _mm_set1_epi64x(1023);
  for (; i + 2 <= e; i += 2) {
    const __m128d zd = _mm_cvtps_pd(_mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(z + i))));
    // Lanes outside [-20, 20] or NaN are fixed up below; compute on 0 there.
    const __m128d inside = _mm_cmple_pd(_mm_andnot_pd(_mm_set1_pd(-0.0), zd), lim);
    const __m128d x = _mm_mul_pd(two, _mm_and_pd(zd, inside));
    __m128d shifted;
    const __m128d p = exp_reduced<Sse2Ops>(x, &shifted);
    // k sign-extended from the low 32 bits of each lane (see exp_f64).
    const __m128i low = _mm_shuffle_epi32(_mm_castpd_si128(shifted), 0x08);
    const __m128i k64 = _mm_unpacklo_epi32(low, _mm_srai_epi32(low, 31));
    const __m128d scale = _mm_castsi128_pd(_mm_slli_epi64(_mm_add_epi64(k64, bias), 52));
    const __m128d ex = _mm_mul_pd(p, scale);
    const __m128d t = _mm_div_pd(_mm_sub_pd(ex, one), _mm_add_pd(ex, one));
    const __m128 tf = _mm_cvtpd_ps(t);
    float out[4];
    _mm_storeu_ps(out, tf);
    for (int l = 0; l < 2; ++l) {
      const float zl = z[i + l];
      const bool pass = !(zl == zl) || (zl < kTanhTiny && zl > -kTanhTiny);
      a[i + l] = zl > 20.0f ? 1.0f : zl < -20.0f ? -1.0f : pass ? zl : out[l];
    }
  }
#endif
  for (; i < e; ++i) a[i] = tanhf_fast(z[i]);
}

inline float geluf(float z) {
  const double x = z;
  return static_cast<float>(0.5 * x * (1.0 + std::erf(x * 0.70710678118654752440)));
}

inline float gelu_grad(float z) {
  const double x = z;
  const double cdf = 0.5 * (1.0 + std::erf(x * 0.70710678118654752440));
  const double pdf = 0.39894228040143267794 * std::exp(-0.5 * x * x);
  return static_cast<float>(cdf + x * pdf);
}

void softmax_rows(const float* z, float* a, int64_t r0, int64_t r1, int64_t units) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* zr = z + r * units;
    float* ar = a + r * units;
    float mx = zr[0];
    for (int64_t j = 1; j < units; ++j) mx = zr[j] > mx ? zr[j] : mx;
    double sum = 0.0;
    for (int64_t j = 0; j < units; ++j) {
      const float e = std::exp(zr[j] - mx);
      ar[j] = e;
      sum += e;
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (int64_t j = 0; j < units; ++j) ar[j] *= inv;
  }
}

// d ← d ⊙ act′ over elements [b, e) of a flat block (every activation but softmax).
void derivative_flat(int act, float alpha, const float* __restrict a, const float* __restrict z,
                     float* __restrict d, int64_t b, int64_t e) {
  switch (act) {
    case kLinear:
      break;
    case kRelu:
      for (int64_t i = b; i < e; ++i) d[i] = a[i] > 0.0f ? d[i] : 0.0f;
      break;
    case kLeakyRelu:
      if (activation_backward_from_output(act, alpha)) {
        for (int64_t i = b; i < e; ++i) d[i] = a[i] > 0.0f ? d[i] : d[i] * alpha;
      } else {
        for (int64_t i = b; i < e; ++i) d[i] = z[i] > 0.0f ? d[i] : d[i] * alpha;
      }
      break;
    case kSigmoid:
      for (int64_t i = b; i < e; ++i) d[i] *= a[i] * (1.0f - a[i]);
      break;
    case kTanh:
      for (int64_t i = b; i < e; ++i) d[i] *= 1.0f - a[i] * a[i];
      break;
    case kGelu:
      for (int64_t i = b; i < e; ++i) d[i] *= gelu_grad(z[i]);
      break;
    default:
      break;
  }
}

void softmax_backward_rows(const float* a, float* d, int64_t r0, int64_t r1, int64_t units) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* ar = a + r * units;
    float* dr = d + r * units;
    double dot = 0.0;
    for (int64_t j = 0; j < units; ++j) dot += static_cast<double>(dr[j]) * ar[j];
    const float s = static_cast<float>(dot);
    for (int64_t j = 0; j < units; ++j) dr[j] = ar[j] * (dr[j] - s);
  }
}

// Column sums of columns [c0, c1) over all rows, in row order, in float64.
void column_sums_range(const float* d, int64_t rows, int64_t units, int64_t c0, int64_t c1,
                       float* bias_grad, double* acc) {
  for (int64_t j = c0; j < c1; ++j) acc[j] = 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* dr = d + r * units;
    for (int64_t j = c0; j < c1; ++j) acc[j] += dr[j];
  }
  for (int64_t j = c0; j < c1; ++j) bias_grad[j] = static_cast<float>(acc[j]);
}

}  // namespace

bool activation_backward_from_output(int act, float alpha) {
  if (act == kGelu) return false;
  if (act == kLeakyRelu) return alpha >= 0.0f;
  return true;
}

void activation_forward(int act, float alpha, const float* z, float* a, int64_t rows,
                        int64_t units) {
  const int64_t n = rows * units;
  switch (act) {
    case kLinear:
      if (a != z) {
        for (int64_t i = 0; i < n; ++i) a[i] = z[i];
      }
      return;
    case kSoftmax:
      split_blocks(rows, 16, units * 8, [&](int64_t r0, int64_t r1) {
        softmax_rows(z, a, r0, r1, units);
      });
      return;
    default:
      break;
  }
  split_blocks(n, 8192, act == kRelu || act == kLeakyRelu ? 1 : 16,
               [&](int64_t b, int64_t e) {
                 const float* __restrict zz = z;
                 float* __restrict aa = a;
                 switch (act) {
                   case kRelu:
                     for (int64_t i = b; i < e; ++i) aa[i] = zz[i] <= 0.0f ? 0.0f : zz[i];  // NaN passes
                     break;
                   case kLeakyRelu:
                     for (int64_t i = b; i < e; ++i) aa[i] = zz[i] > 0.0f ? zz[i] : zz[i] * alpha;
                     break;
                   case kSigmoid:
                     for (int64_t i = b; i < e; ++i) aa[i] = sigmoidf(zz[i]);
                     break;
                   case kTanh:
                     tanh_block(zz, aa, b, e);
                     break;
                   case kGelu:
                     for (int64_t i = b; i < e; ++i) aa[i] = geluf(zz[i]);
                     break;
                   default:
                     break;
                 }
               });
}

void column_sums(const float* d, int64_t rows, int64_t units, float* bias_grad,
                 double* scratch) {
  if (rows == 1) {  // batch 1: the float64 sum of one term, 0.0 + d (same bits as below)
    for (int64_t j = 0; j < units; ++j) bias_grad[j] = static_cast<float>(0.0 + static_cast<double>(d[j]));
    return;
  }
  split_blocks(units, kColumnBlock, rows, [&](int64_t c0, int64_t c1) {
    column_sums_range(d, rows, units, c0, c1, bias_grad, scratch);
  });
}

void activation_backward(int act, float alpha, const float* a, const float* z, float* d,
                         int64_t rows, int64_t units, float* bias_grad, double* scratch) {
  if (act == kSoftmax) {
    split_blocks(rows, 16, units * 4, [&](int64_t r0, int64_t r1) {
      softmax_backward_rows(a, d, r0, r1, units);
    });
    if (bias_grad != nullptr) column_sums(d, rows, units, bias_grad, scratch);
    return;
  }
  if (bias_grad == nullptr) {
    if (act == kLinear) return;
    split_blocks(rows * units, 8192, act == kGelu ? 16 : 1, [&](int64_t b, int64_t e) {
      derivative_flat(act, alpha, a, z, d, b, e);
    });
    return;
  }
  if (rows == 1) {  // batch 1: no split, and the column sum is 0.0 + d (as below)
    derivative_flat(act, alpha, a, z, d, 0, units);
    for (int64_t j = 0; j < units; ++j) bias_grad[j] = static_cast<float>(0.0 + static_cast<double>(d[j]));
    return;
  }
  // Fused: each task owns a block of columns for every row, so the column sums keep
  // their row order whatever the thread count.
  split_blocks(units, kColumnBlock, rows * (act == kGelu ? 16 : 1), [&](int64_t c0, int64_t c1) {
    for (int64_t j = c0; j < c1; ++j) scratch[j] = 0.0;
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t off = r * units;
      derivative_flat(act, alpha, a + off, z == nullptr ? nullptr : z + off, d + off, c0, c1);
      const float* dr = d + off;
      for (int64_t j = c0; j < c1; ++j) scratch[j] += dr[j];
    }
    for (int64_t j = c0; j < c1; ++j) bias_grad[j] = static_cast<float>(scratch[j]);
  });
}

}  // namespace densely
