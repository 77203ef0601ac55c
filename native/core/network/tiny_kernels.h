// The tiny path's per-layer loops and its optimizer update (tiny.cc), written once and
// compiled per kernel set: tiny.cc (baseline flags: sse2 / neon / scalar) and
// tiny_avx2.cc (the avx2 and avx512 sets, ymm). Each file that includes this header
// defines DENSELY_TINY_VL (float lanes of its vectors) first, disables FP contraction
// (every product is rounded before its sum, as in ops/dense.cc), and fills a TinyKernels
// table with the instantiations below.
//
// Why vectors written out: GCC's SLP vectoriser leaves the per-unit accumulators of a
// loop over the inputs as scalars (a 2→8 layer's forward was 16 mulss + 16 addss and a
// shuffle tail), so the loops over a layer's units are written with GCC vector types of
// DENSELY_TINY_VL lanes: each lane performs the scalar loop's operations in its order,
// so the results are the scalar loops' (and the general path's) bit for bit, whatever the
// lane count. A layer's width U is a template argument: its U/VL full vectors and a tail
// vector of U % VL lanes (loaded and stored partially, its other lanes 0) stay in
// registers across the loop over the inputs.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "tiny.h"

#ifndef DENSELY_TINY_VL
#error "define DENSELY_TINY_VL (float lanes per vector) before including tiny_kernels.h"
#endif

// TinyV8 (32 bytes) in the baseline file: GCC notes that returning it by value without AVX
// has another ABI than with it. Every function here has internal linkage and is inlined
// into its file's loops, so no such value crosses between files.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace densely {
namespace {

typedef float TinyV __attribute__((vector_size(DENSELY_TINY_VL * 4)));
typedef float TinyV8 __attribute__((vector_size(32)));
constexpr int kTinyVL = DENSELY_TINY_VL;

template <typename V>
inline V tiny_load(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
// The first N lanes from p, the others 0.
template <typename V, int N>
inline V tiny_load_part(const float* p) {
  V v = {};
  std::memcpy(&v, p, static_cast<size_t>(N) * sizeof(float));
  return v;
}
template <typename V>
inline void tiny_store(float* p, V v) {
  std::memcpy(p, &v, sizeof v);
}
template <int N, typename V>
inline void tiny_store_part(float* p, V v) {
  std::memcpy(p, &v, static_cast<size_t>(N) * sizeof(float));
}

// Vectors of a U-wide layer: NF full ones and, when T > 0, a tail of T lanes.
template <int U>
struct TinyShape {
  static constexpr int NF = U / kTinyVL;
  static constexpr int T = U % kTinyVL;
  static constexpr int NV = NF + (T > 0 ? 1 : 0);
};

template <int U>
inline void tiny_load_row(const float* p, TinyV* v) {
  using S = TinyShape<U>;
  for (int k = 0; k < S::NF; ++k) v[k] = tiny_load<TinyV>(p + k * kTinyVL);
  if constexpr (S::T > 0) v[S::NF] = tiny_load_part<TinyV, S::T>(p + S::NF * kTinyVL);
}
template <int U>
inline void tiny_store_row(float* p, const TinyV* v) {
  using S = TinyShape<U>;
  for (int k = 0; k < S::NF; ++k) tiny_store(p + k * kTinyVL, v[k]);
  if constexpr (S::T > 0) tiny_store_part<S::T>(p + S::NF * kTinyVL, v[S::NF]);
}

// One layer's forward at one row, width U: a ← (0 + Σ_p x[p]·w[p, ·]) + b (b null: no add).
// a has room for whole vectors (Network::tiny_act_): they are stored whole, the lanes past
// U holding 0-based junk that nothing reads as a result.
template <int U>
void forward_layer(int64_t in, const float* __restrict x, const float* __restrict w,
                   const float* __restrict b, float* __restrict a) {
  if constexpr (U == 1) {
    float acc = 0.0f;
    for (int64_t p = 0; p < in; ++p) acc += x[p] * w[p];
    TinyV v = {};
    v[0] = b != nullptr ? acc + b[0] : acc;
    tiny_store(a, v);
  } else {
    using S = TinyShape<U>;
    TinyV acc[S::NV];
    for (int k = 0; k < S::NV; ++k) acc[k] = TinyV{};
    for (int64_t p = 0; p < in; ++p) {
      const float xv = x[p];
      TinyV wr[S::NV];
      tiny_load_row<U>(w + p * U, wr);
      for (int k = 0; k < S::NV; ++k) acc[k] += xv * wr[k];
    }
    if (b != nullptr) {
      TinyV bv[S::NV];
      tiny_load_row<U>(b, bv);
      for (int k = 0; k < S::NV; ++k) acc[k] += bv[k];
    }
    for (int k = 0; k < S::NV; ++k) tiny_store(a + k * kTinyVL, acc[k]);
  }
}

// A one-unit layer's products (gw and dx are columns, loops over the inputs that the loop
// vectoriser takes): gw[p] ← 0 + x[p]·d, dx[p] ← (d·w[p] + 0) + 0 (ops/dense.cc's sum of one
// term), dx null: not wanted.
inline void one_unit_products(int64_t in, float d, const float* __restrict x,
                              const float* __restrict w, float* __restrict gw,
                              float* __restrict dx) {
  for (int64_t p = 0; p < in; ++p) gw[p] = 0.0f + x[p] * d;
  if (dx == nullptr) return;
  for (int64_t p = 0; p < in; ++p) dx[p] = (d * w[p] + 0.0f) + 0.0f;
}

// One layer's backward at one row from d = dL/dA (dL/dZ when `derived`): d ← d ⊙ act′,
// gb ← float(0.0 + double(d)) (when non-null), gw[p, ·] ← 0 + x[p]·d, and (when dx is
// non-null) dx[p] ← Σ_j d[j]·w[p, j] as ops/dense.cc sums it: 8 strided partial sums
// (lane l takes units l, l + 8, …), added pairwise.
template <int U>
void backward_layer(int64_t in, Activation act, float alpha, bool derived,
                    const float* __restrict a, float* __restrict d, const float* __restrict x,
                    const float* __restrict w, float* __restrict gw, float* __restrict gb,
                    float* __restrict dx) {
  using S = TinyShape<U>;
  TinyV dv[S::NV];
  tiny_load_row<U>(d, dv);
  if (!derived) {
    TinyV av[S::NV];
    tiny_load_row<U>(a, av);
    switch (act) {
      case Activation::kRelu:
        for (int k = 0; k < S::NV; ++k) dv[k] = av[k] > 0.0f ? dv[k] : TinyV{};
        break;
      case Activation::kLeakyRelu:
        for (int k = 0; k < S::NV; ++k) dv[k] = av[k] > 0.0f ? dv[k] : dv[k] * alpha;
        break;
      case Activation::kSigmoid:
        for (int k = 0; k < S::NV; ++k) dv[k] *= av[k] * (1.0f - av[k]);
        break;
      case Activation::kTanh:
        for (int k = 0; k < S::NV; ++k) dv[k] *= 1.0f - av[k] * av[k];
        break;
      default:
        break;
    }
  }
  if (gb != nullptr) {
    // float(0.0 + double(d)) as column_sums has it at one row: d, with −0 made +0 — the
    // same bits as d + 0.0f (the float64 round trip is exact).
    TinyV g[S::NV];
    for (int k = 0; k < S::NV; ++k) g[k] = dv[k] + 0.0f;
    tiny_store_row<U>(gb, g);
  }
  if constexpr (U == 1) {
    one_unit_products(in, dv[0][0], x, w, gw, dx);
  } else {
    for (int64_t p = 0; p < in; ++p) {
      const float xv = x[p];
      TinyV g[S::NV];
      for (int k = 0; k < S::NV; ++k) g[k] = 0.0f + xv * dv[k];
      tiny_store_row<U>(gw + p * U, g);
    }
    if (dx == nullptr) return;
    // d in 8-unit chunks, the last one zero-padded (0·0 adds +0, which leaves a partial
    // sum unchanged: it starts at +0 and so is never −0).
    constexpr int NC = (U + 7) / 8;
    constexpr int TC = U % 8;
    alignas(32) float dpad[NC * 8] = {};
    tiny_store_row<U>(dpad, dv);
    TinyV8 dc[NC];
    for (int c = 0; c < NC; ++c) dc[c] = tiny_load<TinyV8>(dpad + c * 8);
    for (int64_t p = 0; p < in; ++p) {
      const float* __restrict wr = w + p * U;
      TinyV8 part = {};
      constexpr int NFC = U / 8;
      for (int c = 0; c < NFC; ++c) part += dc[c] * tiny_load<TinyV8>(wr + c * 8);
      if constexpr (TC != 0) part += dc[NFC] * tiny_load_part<TinyV8, TC>(wr + NFC * 8);
      dx[p] =
          ((part[0] + part[4]) + (part[1] + part[5])) + ((part[2] + part[6]) + (part[3] + part[7]));
    }
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

// Each element of an update loop reads and writes only its own index (th and tho, s and
// so are the same array or disjoint): no dependence between iterations, so the loops are
// vectorised without GCC's runtime overlap checks and their scalar fallback.
#if defined(__GNUC__) && !defined(__clang__)
#define DENSELY_TINY_IVDEP _Pragma("GCC ivdep")
#else
#define DENSELY_TINY_IVDEP
#endif

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
          DENSELY_TINY_IVDEP
          for (int64_t i = 0; i < n; ++i) {
            const float t1 = th[i] - lr * clipg<Clip>(gr[i], lo, hi, gs);
            tho[i] = t1;
            bad |= nonfinite(t1);
          }
        } else {
          DENSELY_TINY_IVDEP
          for (int64_t i = 0; i < n; ++i) {
            const float t = th[i];
            const float t1 = t - lr * (clipg<Clip>(gr[i], lo, hi, gs) + wd * t);
            tho[i] = t1;
            bad |= nonfinite(t1);
          }
        }
      } else if (k.first) {
        DENSELY_TINY_IVDEP
        for (int64_t i = 0; i < n; ++i) {
          const float t = th[i];
          const float g = clipg<Clip>(gr[i], lo, hi, gs) + wd * t;
          so1[i] = g;
          const float t1 = t - lr * (k.nesterov ? g + mu * g : g);
          tho[i] = t1;
          bad |= nonfinite(t1);
        }
      } else if (k.nesterov) {
        DENSELY_TINY_IVDEP
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
        DENSELY_TINY_IVDEP
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
      DENSELY_TINY_IVDEP
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
      DENSELY_TINY_IVDEP
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

template <int... U>
constexpr TinyKernels make_tiny_kernels() {
  return TinyKernels{{nullptr, forward_layer<U>...},
                     {nullptr, backward_layer<U>...},
                     tiny_update<false>,
                     tiny_update<true>};
}

// Widths 1 … kTinyMaxWidth.
constexpr TinyKernels kTinyKernelsHere =
    make_tiny_kernels<1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                      23, 24, 25, 26, 27, 28, 29, 30, 31, 32>();

}  // namespace
}  // namespace densely
