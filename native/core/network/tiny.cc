// The tiny path (tiny.h): Network's batch-1 step of a small all-dense network in one pass.
//
// Why: a 2→8→1 step is ~60 multiply-adds, 9 transcendental calls and a 33-parameter update,
// yet the general path spent ~2,600 instructions on it (callgrind, bench_network --only xor):
// per layer a dense_forward → dense_is_tiny → loop → activation_forward → split_blocks chain,
// per layer a dense_backward and activation_backward, then update() → split_blocks →
// optimizer_update_to → the optimizer's dispatch and its masked vector body. Here every layer
// is the same few loops over contiguous arrays, the activation is one switch per layer, and
// the optimizer is one elementwise loop over all parameters.
//
// Same numbers: each value below is produced by the general path's operations in its order,
// so the two paths agree bit for bit (test_tiny.cc checks it on every kernel set):
// - forward (ops/dense.cc tiny_forward): z[j] = (0 + Σ_p x[p]·w[p, j], p from 0) + b[j];
// - activations (ops/activations.cc): relu/leakyRelu/linear as its loops; sigmoid and tanh
//   through the same per-set bodies (avx512: sigmoid_avx512 / tanh_avx512; avx2: tanh_avx2;
//   otherwise the baseline's libm expf and float64-exp tanh, repeated here);
// - backward (ops/activations.cc derivative_flat, column_sums at one row; ops/dense.cc
//   tiny_backward at one row): d ⊙ act′, bias ← float(0.0 + double(d)),
//   dW[p, j] = 0 + x[p]·d[j], dX by 8 strided partial sums added pairwise (one term plus two
//   zeros for a one-unit layer);
// - update (ops/optimizers.cc, its scalar rules, which its vector bodies match bit for bit),
//   after the whole backward pass (Network::kSingleUpdateMax) and out of place under
//   train_epoch's overflow guard, with the same finiteness verdict.
// The loss and its output gradient stay ops/losses.h loss_forward_ex, called by step().
#include "tiny.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "../ops/activations.h"
#include "../ops/dense.h"
#include "../ops/losses.h"
#include "../runtime/cpu.h"

#if defined(__x86_64__) || defined(_M_X64)
#include "../ops/activation_kernels.h"
#define DENSELY_TINY_X86 1
#endif

namespace densely {
namespace {

// ops/activations.cc's baseline sigmoid and tanh (same expressions, same libm calls).
inline float sigmoid1(float z) { return 1.0f / (1.0f + std::exp(-z)); }

constexpr float kTanhTiny = 0.000244140625f;  // 2^-12

inline float tanh1(float z) {
  if (z > 20.0f) return 1.0f;
  if (z < -20.0f) return -1.0f;
  if (!(z == z) || (z < kTanhTiny && z > -kTanhTiny)) return z;
  const double e = std::exp(2.0 * static_cast<double>(z));
  return static_cast<float>((e - 1.0) / (e + 1.0));
}

// a[0..n) ← act(a) in place, as activation_forward on one row with the kernel set `isa`.
void activate(Activation act, float alpha, float* a, int64_t n, Isa isa) {
  switch (act) {
    case Activation::kRelu:
      for (int64_t j = 0; j < n; ++j) a[j] = a[j] <= 0.0f ? 0.0f : a[j];
      return;
    case Activation::kLeakyRelu:
      for (int64_t j = 0; j < n; ++j) a[j] = a[j] > 0.0f ? a[j] : a[j] * alpha;
      return;
    case Activation::kSigmoid:
#ifdef DENSELY_TINY_X86
      if (isa == Isa::kAvx512) {
        sigmoid_avx512(a, a, n);
        return;
      }
#endif
      for (int64_t j = 0; j < n; ++j) a[j] = sigmoid1(a[j]);
      return;
    case Activation::kTanh:
#ifdef DENSELY_TINY_X86
      if (isa == Isa::kAvx512) {
        tanh_avx512(a, a, n);
        return;
      }
      if (isa == Isa::kAvx2) {
        tanh_avx2(a, a, n);
        return;
      }
#endif
      for (int64_t j = 0; j < n; ++j) a[j] = tanh1(a[j]);
      return;
    default:  // linear
      (void)isa;
      return;
  }
}

// d ← d ⊙ act′ from the output a (derivative_flat; every tiny activation has it from a).
void derive(Activation act, float alpha, const float* __restrict a, float* __restrict d,
            int64_t n) {
  switch (act) {
    case Activation::kRelu:
      for (int64_t j = 0; j < n; ++j) d[j] = a[j] > 0.0f ? d[j] : 0.0f;
      return;
    case Activation::kLeakyRelu:
      for (int64_t j = 0; j < n; ++j) d[j] = a[j] > 0.0f ? d[j] : d[j] * alpha;
      return;
    case Activation::kSigmoid:
      for (int64_t j = 0; j < n; ++j) d[j] *= a[j] * (1.0f - a[j]);
      return;
    case Activation::kTanh:
      for (int64_t j = 0; j < n; ++j) d[j] *= 1.0f - a[j] * a[j];
      return;
    default:
      return;
  }
}

template <bool Clip>
inline float clipg(float g, float lo, float hi, float s) {
  if (!Clip) return g;
  float x = lo > g ? lo : g;
  x = hi < x ? hi : x;
  return x * s;
}

// 1 when v is ±inf or NaN (exponent all ones), else 0; branch-free, so the loops that OR it
// up stay vectorised.
inline uint32_t nonfinite(float v) {
  uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  return static_cast<uint32_t>((u & 0x7f800000u) == 0x7f800000u);
}

// ops/optimizers.cc's scalar rules over [0, n), reading th/s1/s2 and writing tho/so1/so2
// (the same arrays in place, or the other copies; never partly overlapping). Returns
// whether every new θ is finite (checked in the same loop).
// Clip false: no clip_value and gscale 1, where clipg is the identity bit for bit (clamping
// to ±inf changes nothing, NaN included; × 1 changes nothing, and a subnormal that FTZ/DAZ
// would flush there is flushed as well by the multiply or add that always follows).
template <bool Clip>
bool tiny_update(const OptimizerSpec& spec, const OptimizerStep& k, const float* th,
                 const float* __restrict gr, const float* s1, const float* s2, int64_t n,
                 float* tho, float* so1, float* so2) {
  const float lo = -k.clip, hi = k.clip, gs = k.gscale;
  uint32_t bad = 0;
  switch (spec.kind) {
    case OptimizerKind::kSgd: {
      const float lr = k.lr, wd = k.wd, mu = k.mu;
      const float* b = s1;
      if (b == nullptr) {
        if (wd == 0.0f) {
          for (int64_t i = 0; i < n; ++i) {
            const float t1 = th[i] - lr * clipg<Clip>(gr[i], lo, hi, gs);
            tho[i] = t1;
            bad |= nonfinite(t1);
          }
        } else {
          for (int64_t i = 0; i < n; ++i) {
            const float t = th[i];
            const float t1 = t - lr * (clipg<Clip>(gr[i], lo, hi, gs) + wd * t);
            tho[i] = t1;
            bad |= nonfinite(t1);
          }
        }
      } else if (k.first) {
        for (int64_t i = 0; i < n; ++i) {
          const float t = th[i];
          const float g = clipg<Clip>(gr[i], lo, hi, gs) + wd * t;
          so1[i] = g;
          const float t1 = t - lr * (k.nesterov ? g + mu * g : g);
          tho[i] = t1;
          bad |= nonfinite(t1);
        }
      } else if (k.nesterov) {
        for (int64_t i = 0; i < n; ++i) {
          const float t = th[i], b0 = b[i];
          const float g = clipg<Clip>(gr[i], lo, hi, gs) + wd * t;
          const float bi = mu * b0 + g;
          so1[i] = bi;
          const float t1 = t - lr * (g + mu * bi);
          tho[i] = t1;
          bad |= nonfinite(t1);
        }
      } else {
        for (int64_t i = 0; i < n; ++i) {
          const float t = th[i], b0 = b[i];
          const float g = clipg<Clip>(gr[i], lo, hi, gs) + wd * t;
          const float bi = mu * b0 + g;
          so1[i] = bi;
          const float t1 = t - lr * bi;
          tho[i] = t1;
          bad |= nonfinite(t1);
        }
      }
      return bad == 0;
    }
    case OptimizerKind::kAdam:
    case OptimizerKind::kAdamW: {
      const bool decoupled = spec.kind == OptimizerKind::kAdamW;
      const float b1 = k.b1, b2 = k.b2, ob1 = k.ob1, ob2 = k.ob2;
      const float lr_c1 = k.lr_c1, c2 = k.c2, eps = k.eps;
      const float wd = decoupled ? 0.0f : k.wd;
      const float decay = decoupled ? k.decay : 1.0f;
      for (int64_t i = 0; i < n; ++i) {
        const float t0 = th[i] * decay;
        const float g = clipg<Clip>(gr[i], lo, hi, gs) + wd * t0;
        const float mi = b1 * s1[i] + ob1 * g;
        const float vi = b2 * s2[i] + ob2 * (g * g);
        so1[i] = mi;
        so2[i] = vi;
        const float t1 = t0 - (lr_c1 * mi) / (std::sqrt(vi * c2) + eps);
        tho[i] = t1;
        bad |= nonfinite(t1);
      }
      return bad == 0;
    }
    case OptimizerKind::kRmsProp: {
      const float rho = k.rho, orho = k.orho, eps = k.eps, lr = k.lr, wd = k.wd, mu = k.mu;
      const float* b = s2;
      for (int64_t i = 0; i < n; ++i) {
        const float t = th[i];
        const float g = clipg<Clip>(gr[i], lo, hi, gs) + wd * t;
        const float vi = rho * s1[i] + orho * (g * g);
        so1[i] = vi;
        const float q = g / (std::sqrt(vi) + eps);
        if (b == nullptr) {
          const float t1 = t - lr * q;
          tho[i] = t1;
          bad |= nonfinite(t1);
        } else {
          const float bi = mu * b[i] + q;
          so2[i] = bi;
          const float t1 = t - lr * bi;
          tho[i] = t1;
          bad |= nonfinite(t1);
        }
      }
      return bad == 0;
    }
    default:
      return true;
  }
}

}  // namespace

bool tiny_spec_supported(const ModelSpec& spec) {
  if (spec.layers.empty()) return false;
  for (const LayerSpec& l : spec.layers) {
    if (l.kind != LayerKind::kDenseLayer) return false;
    const DenseDesc& d = l.dense;
    if (d.inputs > kTinyMaxWidth || d.units > kTinyMaxWidth || d.inputs * d.units > kTinyKernel)
      return false;
    if (!dense_is_tiny(d, 1)) return false;
    switch (d.act) {
      case Activation::kLinear:
      case Activation::kRelu:
      case Activation::kSigmoid:
      case Activation::kTanh:
        break;
      case Activation::kLeakyRelu:
        if (!(d.alpha >= 0.0f)) return false;  // a negative slope needs Z kept
        break;
      default:
        return false;
    }
    if (l.kernel_l1 != 0.0 || l.kernel_l2 != 0.0 || l.bias_l1 != 0.0 || l.bias_l2 != 0.0)
      return false;
  }
  return true;
}

namespace {

// The loops over a layer's units have a compile-time count and are unrolled and vectorised as
// straight-line code (SLP); GCC's loop vectoriser would otherwise vectorise the loop over the
// inputs instead (gathering 4 inputs' products with shuffles, then a scalar tail), which for
// the 2–8 inputs of a tiny layer ran 3× the instructions.
#if defined(__GNUC__) && !defined(__clang__)
#define DENSELY_TINY_SLP __attribute__((optimize("no-tree-loop-vectorize")))
#define DENSELY_TINY_NOINLINE __attribute__((noinline))  // keeps its loops vectorised
#else
#define DENSELY_TINY_SLP
#define DENSELY_TINY_NOINLINE
#endif

// One layer's forward at one row, its width U a compile-time constant (so every loop over
// the units is unrolled into registers): a ← (0 + Σ_p x[p]·w[p, ·]) + b.
template <int U>
DENSELY_TINY_SLP void forward_layer(int64_t in, const float* __restrict x,
                                    const float* __restrict w, const float* __restrict b,
                                    float* __restrict a) {
  float acc[U];
  for (int j = 0; j < U; ++j) acc[j] = 0.0f;
  for (int64_t p = 0; p < in; ++p) {
    const float xv = x[p];
    const float* __restrict wr = w + p * U;
    for (int j = 0; j < U; ++j) acc[j] += xv * wr[j];
  }
  if (b != nullptr) {
    for (int j = 0; j < U; ++j) acc[j] += b[j];
  }
  for (int j = 0; j < U; ++j) a[j] = acc[j];
}

// A one-unit layer's products (gw and dx are columns, loops over the inputs that the loop
// vectoriser takes): gw[p] ← 0 + x[p]·d, dx[p] ← (d·w[p] + 0) + 0 (ops/dense.cc's sum of one
// term), dx null: not wanted.
DENSELY_TINY_NOINLINE void one_unit_products(int64_t in, float d, const float* __restrict x,
                                             const float* __restrict w, float* __restrict gw,
                                             float* __restrict dx) {
  for (int64_t p = 0; p < in; ++p) gw[p] = 0.0f + x[p] * d;
  if (dx == nullptr) return;
  for (int64_t p = 0; p < in; ++p) dx[p] = (d * w[p] + 0.0f) + 0.0f;
}

// One layer's backward at one row from d = dL/dA (dL/dZ when `derived`): d ← d ⊙ act′,
// gb ← float(0.0 + double(d)) (when non-null), gw[p, ·] ← 0 + x[p]·d, and (when dx is
// non-null) dx[p] ← Σ_j d[j]·w[p, j] as ops/dense.cc sums it.
template <int U>
DENSELY_TINY_SLP void backward_layer(int64_t in, Activation act, float alpha, bool derived,
                                     const float* __restrict a, float* __restrict d,
                                     const float* __restrict x, const float* __restrict w,
                                     float* __restrict gw, float* __restrict gb,
                                     float* __restrict dx) {
  float dv[U];
  for (int j = 0; j < U; ++j) dv[j] = d[j];
  if (!derived) {
    switch (act) {
      case Activation::kRelu:
        for (int j = 0; j < U; ++j) dv[j] = a[j] > 0.0f ? dv[j] : 0.0f;
        break;
      case Activation::kLeakyRelu:
        for (int j = 0; j < U; ++j) dv[j] = a[j] > 0.0f ? dv[j] : dv[j] * alpha;
        break;
      case Activation::kSigmoid:
        for (int j = 0; j < U; ++j) dv[j] *= a[j] * (1.0f - a[j]);
        break;
      case Activation::kTanh:
        for (int j = 0; j < U; ++j) dv[j] *= 1.0f - a[j] * a[j];
        break;
      default:
        break;
    }
  }
  if (gb != nullptr) {
    // float(0.0 + double(d)) as column_sums has it at one row: d, with −0 made +0 — the
    // same bits as d + 0.0f (the float64 round trip is exact).
    for (int j = 0; j < U; ++j) gb[j] = dv[j] + 0.0f;
  }
  if (U == 1) {
    one_unit_products(in, dv[0], x, w, gw, dx);
    return;
  }
  for (int64_t p = 0; p < in; ++p) {
    const float xv = x[p];
    float* __restrict g = gw + p * U;
    for (int j = 0; j < U; ++j) g[j] = 0.0f + xv * dv[j];
  }
  if (dx == nullptr) return;
  for (int64_t p = 0; p < in; ++p) {
    const float* __restrict wr = w + p * U;
    float part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int j = 0;
    for (; j + 8 <= U; j += 8) {
      for (int l = 0; l < 8; ++l) part[l] += dv[j + l] * wr[j + l];
    }
    for (int l = 0; j < U; ++j, ++l) part[l] += dv[j] * wr[j];
    dx[p] =
        ((part[0] + part[4]) + (part[1] + part[5])) + ((part[2] + part[6]) + (part[3] + part[7]));
  }
}

using ForwardFn = void (*)(int64_t, const float*, const float*, const float*, float*);
using BackwardFn = void (*)(int64_t, Activation, float, bool, const float*, float*, const float*,
                            const float*, float*, float*, float*);

template <int... U>
struct Tables {
  static constexpr ForwardFn fwd[] = {nullptr, forward_layer<U>...};
  static constexpr BackwardFn bwd[] = {nullptr, backward_layer<U>...};
};
// Widths 1 … kTinyMaxWidth.
using TinyTables = Tables<1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                          22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32>;
static_assert(sizeof(TinyTables::fwd) / sizeof(ForwardFn) == kTinyMaxWidth + 1, "one per width");

}  // namespace

const float* Network::tiny_forward(const float* x) {
  const Isa isa = active_isa();
  const float* cur = x;
  const size_t n = spec_.layers.size();
  for (size_t i = 0; i < n; ++i) {
    const DenseDesc& d = spec_.layers[i].dense;
    float* a = act_[i].data();
    in_ptr_[i] = cur;
    TinyTables::fwd[d.units](d.inputs, cur, params_ + d.kernel_offset,
                             d.use_bias ? params_ + d.bias_offset : nullptr, a);
    activate(d.act, d.alpha, a, d.units, isa);
    cur = a;
  }
  return cur;
}

void Network::tiny_backward_update(float* grads) {
  const int n = static_cast<int>(spec_.layers.size());
  const bool fused = loss_fused(loss_, spec_.layers.back().dense.act);
  float* d = delta_[0].data();
  int cur = 0;
  for (int i = n - 1; i >= 0; --i) {
    const DenseDesc& dd = spec_.layers[static_cast<size_t>(i)].dense;
    float* dx = i > 0 ? delta_[1 - cur].data() : nullptr;
    TinyTables::bwd[dd.units](
        dd.inputs, dd.act, dd.alpha, i == n - 1 && fused, act_[static_cast<size_t>(i)].data(), d,
        in_ptr_[static_cast<size_t>(i)], params_ + dd.kernel_offset, grads + dd.kernel_offset,
        dd.use_bias ? grads + dd.bias_offset : nullptr, dx);
    d = dx;
    cur = 1 - cur;
  }
  // The update, over every parameter at once (the kernels and biases tile [0, param_count)).
  const int64_t pc = spec_.param_count;
  float* s1 = s1_.empty() ? nullptr : s1_.data();
  float* s2 = s2_.empty() ? nullptr : s2_.data();
  const auto update =
      opt_step_.clip < std::numeric_limits<float>::infinity() || opt_step_.gscale != 1.0f
          ? tiny_update<true>
          : tiny_update<false>;
  if (!guard_) {
    (void)update(opt_, opt_step_, params_, grads, s1, s2, pc, params_, s1, s2);
    return;
  }
  float* so1 = alt_s1_.empty() ? nullptr : alt_s1_.data();
  float* so2 = alt_s2_.empty() ? nullptr : alt_s2_.data();
  if (!update(opt_, opt_step_, params_, grads, s1, s2, pc, next_params_, so1, so2))
    overflow_.store(true, std::memory_order_relaxed);
}

}  // namespace densely
