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

#include "ops/activation_ext.h"
#include "runtime/cpu.h"
#include "split.h"

#if defined(__x86_64__) || defined(_M_X64)
#include "ops/activation_kernels.h"
#define DENSELY_ACT_AVX512 1
#endif

namespace densely {
namespace {

constexpr int64_t kColumnBlock = 64;  // columns per task when a bias sum is fused

inline float sigmoidf(float z) { return 1.0f / (1.0f + std::exp(-z)); }

// tanh through one float64 exp: (e − 1)/(e + 1) with e = exp(2z). In float64 the
// cancellation near 0 costs ~1e-16 absolute, far below float32's resolution for
// |z| ≥ 2^-12, and it is several times faster than libm's tanhf (which goes through
// expm1f). Below 2^-12 in magnitude tanh(z) = z − z³/3 + … rounds to z itself in float32
// (z²/3 is under half an ulp), while (e − 1)/(e + 1) would lose z to cancellation
// (tanh(1e-30) came out 0, tanh(−0) as +0): z is returned there, sign included. |z| > 20
// gives ±1 exactly in float32 (1 − tanh(20) ≈ 8e-18). test_activations checks the
// result is the correctly rounded tanh on a dense grid.
//
// (A two-lane SSE2 version with its own float64 exp was tried: a 2→8→1 network's
// batch-1 step and one-sample predict measured no faster, its dependency chain being
// about as long as 8 independent library calls, so the simpler code stays. The avx512
// set has 8 float64 lanes in one register and its own body: activations_avx512.cc.)
constexpr float kTanhTiny = 0.000244140625f;  // 2^-12

inline float tanhf_fast(float z) {
  if (z > 20.0f) return 1.0f;
  if (z < -20.0f) return -1.0f;
  if (!(z == z) || (z < kTanhTiny && z > -kTanhTiny)) return z;  // NaN and tiny z pass
  const double e = std::exp(2.0 * static_cast<double>(z));
  return static_cast<float>((e - 1.0) / (e + 1.0));
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
void derivative_flat(Activation act, float alpha, const float* __restrict a,
                     const float* __restrict z, float* __restrict d, int64_t b, int64_t e) {
  switch (act) {
    case Activation::kLinear:
      break;
    case Activation::kRelu:
      for (int64_t i = b; i < e; ++i) d[i] = a[i] > 0.0f ? d[i] : 0.0f;
      break;
    case Activation::kLeakyRelu:
      if (activation_backward_from_output(act, alpha)) {
        for (int64_t i = b; i < e; ++i) d[i] = a[i] > 0.0f ? d[i] : d[i] * alpha;
      } else {
        for (int64_t i = b; i < e; ++i) d[i] = z[i] > 0.0f ? d[i] : d[i] * alpha;
      }
      break;
    case Activation::kSigmoid:
      for (int64_t i = b; i < e; ++i) d[i] *= a[i] * (1.0f - a[i]);
      break;
    case Activation::kTanh:
      for (int64_t i = b; i < e; ++i) d[i] *= 1.0f - a[i] * a[i];
      break;
    case Activation::kGelu:
#ifdef DENSELY_ACT_AVX512
      if (active_isa() == Isa::kAvx512) {
        gelu_backward_avx512(z + b, d + b, e - b);
        break;
      }
#endif
      for (int64_t i = b; i < e; ++i) d[i] *= gelu_grad(z[i]);
      break;
    default:
      if (activation_is_ext(act)) activation_ext_backward(act, z + b, d + b, e - b);
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

bool activation_backward_from_output(Activation act, float alpha) {
  if (act == Activation::kGelu || activation_is_ext(act)) return false;
  if (act == Activation::kLeakyRelu) return alpha >= 0.0f;
  return true;
}

void activation_forward(Activation act, float alpha, const float* z, float* a, int64_t rows,
                        int64_t units) {
  const int64_t n = rows * units;
  switch (act) {
    case Activation::kLinear:
      if (a != z) {
        for (int64_t i = 0; i < n; ++i) a[i] = z[i];
      }
      return;
    case Activation::kSoftmax:
      split_blocks(rows, 16, units * 8, [&](int64_t r0, int64_t r1) {
#ifdef DENSELY_ACT_AVX512
        if (active_isa() == Isa::kAvx512) {
          softmax_rows_avx512(z, a, r0, r1, units);
          return;
        }
#endif
        softmax_rows(z, a, r0, r1, units);
      });
      return;
    default:
      break;
  }
  if (activation_is_ext(act)) {  // elu … relu6: activation_ext.h, vectorised on every set
    split_blocks(n, 8192, 16,
                 [&](int64_t b, int64_t e) { activation_ext_forward(act, z + b, a + b, e - b); });
    return;
  }
#ifdef DENSELY_ACT_AVX512
  if ((act == Activation::kSigmoid || act == Activation::kTanh || act == Activation::kGelu) &&
      active_isa() == Isa::kAvx512) {
    split_blocks(n, 8192, 2, [&](int64_t b, int64_t e) {
      if (act == Activation::kSigmoid) {
        sigmoid_avx512(z + b, a + b, e - b);
      } else if (act == Activation::kTanh) {
        tanh_avx512(z + b, a + b, e - b);
      } else {
        gelu_avx512(z + b, a + b, e - b);
      }
    });
    return;
  }
  // The avx2 set: tanh's 8 float64 exps in two ymm halves (tanh_avx2.cc). Its sigmoid
  // stays on expf: one float32 exp per element was no slower than a vector chain there.
  if (act == Activation::kTanh && active_isa() == Isa::kAvx2) {
    split_blocks(n, 8192, 2, [&](int64_t b, int64_t e) { tanh_avx2(z + b, a + b, e - b); });
    return;
  }
#endif
  split_blocks(n, 8192, act == Activation::kRelu || act == Activation::kLeakyRelu ? 1 : 16,
               [&](int64_t b, int64_t e) {
                 const float* __restrict zz = z;
                 float* __restrict aa = a;
                 switch (act) {
                   case Activation::kRelu:
                     for (int64_t i = b; i < e; ++i)
                       aa[i] = zz[i] <= 0.0f ? 0.0f : zz[i];  // NaN passes
                     break;
                   case Activation::kLeakyRelu:
                     for (int64_t i = b; i < e; ++i) aa[i] = zz[i] > 0.0f ? zz[i] : zz[i] * alpha;
                     break;
                   case Activation::kSigmoid:
                     for (int64_t i = b; i < e; ++i) aa[i] = sigmoidf(zz[i]);
                     break;
                   case Activation::kTanh:
                     for (int64_t i = b; i < e; ++i) aa[i] = tanhf_fast(zz[i]);
                     break;
                   case Activation::kGelu:
                     for (int64_t i = b; i < e; ++i) aa[i] = geluf(zz[i]);
                     break;
                   default:
                     break;
                 }
               });
}

void column_sums(const float* d, int64_t rows, int64_t units, float* bias_grad, double* scratch) {
  if (rows == 1) {  // batch 1: the float64 sum of one term, 0.0 + d (same bits as below)
    for (int64_t j = 0; j < units; ++j)
      bias_grad[j] = static_cast<float>(0.0 + static_cast<double>(d[j]));
    return;
  }
  split_blocks(units, kColumnBlock, rows, [&](int64_t c0, int64_t c1) {
    column_sums_range(d, rows, units, c0, c1, bias_grad, scratch);
  });
}

void activation_backward(Activation act, float alpha, const float* a, const float* z, float* d,
                         int64_t rows, int64_t units, float* bias_grad, double* scratch) {
  if (act == Activation::kSoftmax) {
    split_blocks(rows, 16, units * 4,
                 [&](int64_t r0, int64_t r1) { softmax_backward_rows(a, d, r0, r1, units); });
    if (bias_grad != nullptr) column_sums(d, rows, units, bias_grad, scratch);
    return;
  }
  if (bias_grad == nullptr) {
    if (act == Activation::kLinear) return;
    split_blocks(rows * units, 8192, act == Activation::kGelu || activation_is_ext(act) ? 16 : 1,
                 [&](int64_t b, int64_t e) { derivative_flat(act, alpha, a, z, d, b, e); });
    return;
  }
  if (rows == 1) {  // batch 1: no split, and the column sum is 0.0 + d (as below)
    derivative_flat(act, alpha, a, z, d, 0, units);
    for (int64_t j = 0; j < units; ++j)
      bias_grad[j] = static_cast<float>(0.0 + static_cast<double>(d[j]));
    return;
  }
  // Fused: each task owns a block of columns for every row, so the column sums keep
  // their row order whatever the thread count.
#ifdef DENSELY_ACT_AVX512
  if ((act == Activation::kRelu || act == Activation::kLeakyRelu) && active_isa() == Isa::kAvx512) {
    const bool from_a = activation_backward_from_output(act, alpha);
    split_blocks(units, kColumnBlock, rows, [&](int64_t c0, int64_t c1) {
      relu_backward_columns_avx512(act == Activation::kLeakyRelu, alpha, from_a ? a : z, d, rows,
                                   units, c0, c1, bias_grad);
    });
    return;
  }
#endif
  split_blocks(
      units, kColumnBlock, rows * (act == Activation::kGelu || activation_is_ext(act) ? 16 : 1),
      [&](int64_t c0, int64_t c1) {
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
