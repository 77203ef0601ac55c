// Optimizers: sgd (momentum, nesterov), adam, adamw, rmsprop (momentum), PyTorch rules,
// each reading the clipped gradient g ← min(max(g, −clip), clip)·gscale (optimizers.h
// OptimizerStep; the identity when clipping is off):
//   sgd:     g ← g + wd·θ; b ← g (t = 1) else μ·b + g; g ← nesterov ? g + μ·b : b; θ ← θ − lr·g
//   adam:    g ← g + wd·θ; m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
//            θ ← θ − [lr/(1−β1^t)] · m / (√(v/(1−β2^t)) + ε)
//   adamw:   θ ← θ·(1 − lr·wd), then adam with no decay in g
//   rmsprop: g ← g + wd·θ; v ← ρ·v + (1−ρ)·g²; momentum: b ← μ·b + g/(√v + ε), θ ← θ − lr·b;
//            else θ ← θ − lr·g/(√v + ε)
// The per-element work runs in float32 with the per-step constants (bias corrections)
// computed in float64 once per step. Every loop is elementwise, so the compiler
// vectorises the sqrt-free ones; the adam and rmsprop loops need a square root, which
// GCC will not vectorise while sqrtf may set errno (-fmath-errno, the default), so on
// x86-64 they take 16 lanes at a time with AVX-512 where the CPU has it
// (optimizers_avx512.cc, sgd too, tail included), else 8 with AVX (optimizers_avx2.cc;
// chosen by runtime/cpu.h), else 4 with SSE2 (part of the x86-64 baseline), and the
// scalar loop does the tail. Both use the same IEEE operations in the same order
// (mul, add, sqrt, div; no FMA at the baseline), so lanes and tail agree bit for bit
// and the result does not depend on where a range is split.
#include "optimizers.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "../runtime/cpu.h"

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define DENSELY_OPT_SSE2 1
#endif
#if defined(__x86_64__) || defined(_M_X64)
#include "optimizers_simd.h"
#define DENSELY_OPT_AVX2 1
#endif

namespace densely {

int optimizer_slots(const OptimizerSpec& spec) {
  switch (spec.kind) {
    case OptimizerKind::kSgd:
      return spec.momentum != 0.0 ? 1 : 0;
    case OptimizerKind::kAdam:
    case OptimizerKind::kAdamW:
      return 2;
    case OptimizerKind::kRmsProp:
      return spec.momentum != 0.0 ? 2 : 1;
    default:
      return 0;
  }
}

OptimizerStep optimizer_step(const OptimizerSpec& spec, int64_t t) {
  OptimizerStep s{};
  s.lr = static_cast<float>(spec.learning_rate);
  s.wd = static_cast<float>(spec.weight_decay);
  s.mu = static_cast<float>(spec.momentum);
  s.b1 = static_cast<float>(spec.beta1);
  s.b2 = static_cast<float>(spec.beta2);
  s.eps = static_cast<float>(spec.epsilon);
  s.rho = static_cast<float>(spec.rho);
  s.ob1 = static_cast<float>(1.0 - spec.beta1);
  s.ob2 = static_cast<float>(1.0 - spec.beta2);
  s.orho = static_cast<float>(1.0 - spec.rho);
  const double td = static_cast<double>(t);
  if (spec.kind == OptimizerKind::kAdam || spec.kind == OptimizerKind::kAdamW) {
    s.lr_c1 = static_cast<float>(spec.learning_rate / (1.0 - std::pow(spec.beta1, td)));
    s.c2 = static_cast<float>(1.0 / (1.0 - std::pow(spec.beta2, td)));
  }
  s.decay = static_cast<float>(1.0 - spec.learning_rate * spec.weight_decay);
  s.nesterov = spec.nesterov;
  s.first = t == 1;
  s.clip = spec.clip_value > 0.0 ? static_cast<float>(spec.clip_value)
                                 : std::numeric_limits<float>::infinity();
  s.gscale = 1.0f;
  return s;
}

namespace {

// The clipped gradient of one element (OptimizerStep clip, gscale): the same operations,
// in the same order and with the same NaN rule, as the vector forms (max(−clip, g), then
// min(clip, ·), then × gscale; a NaN g passes both comparisons unchanged).
inline float clipg(float g, float lo, float hi, float s) {
  float x = lo > g ? lo : g;
  x = hi < x ? hi : x;
  return x * s;
}

// Whether any of v[0..n) is ±inf or NaN (exponent all ones); branch-free, vectorised.
bool any_nonfinite(const float* v, int64_t n) {
  uint32_t bad = 0;
  for (int64_t i = 0; i < n; ++i) {
    uint32_t u;
    std::memcpy(&u, v + i, sizeof u);
    bad |= static_cast<uint32_t>((u & 0x7f800000u) == 0x7f800000u);
  }
  return bad != 0;
}

// Every loop reads θ and the state from the *_in pointers and writes the new values to
// the *_out pointers: the same arrays for an in-place update, other arrays for
// optimizer_update_to. Each element is loaded before its own store and no element is
// read after another one is written, so both uses are exact; the pairs are therefore not
// __restrict (they may be equal).
struct State {
  const float* th;
  const float* s1;
  const float* s2;
};
struct Out {
  float* th;
  float* s1;
  float* s2;
};

// The sgd loops are vectorised by the compiler; their new θ is checked for finiteness
// in a second pass over it (still in L1 for the Network's 2048-float pieces).
void sgd_loops(const OptimizerStep& k, const float* th, const float* __restrict gr, const float* b,
               int64_t n, float* tho, float* bo) {
  const float lr = k.lr, wd = k.wd, mu = k.mu;
  const float hi = k.clip, lo = -k.clip, gs = k.gscale;
  if (b == nullptr) {
    if (wd == 0.0f) {
      for (int64_t i = 0; i < n; ++i) tho[i] = th[i] - lr * clipg(gr[i], lo, hi, gs);
    } else {
      for (int64_t i = 0; i < n; ++i) {
        const float t = th[i];
        tho[i] = t - lr * (clipg(gr[i], lo, hi, gs) + wd * t);
      }
    }
    return;
  }
  if (k.first) {
    for (int64_t i = 0; i < n; ++i) {
      const float t = th[i];
      const float g = clipg(gr[i], lo, hi, gs) + wd * t;
      bo[i] = g;
      tho[i] = t - lr * (k.nesterov ? g + mu * g : g);
    }
    return;
  }
  if (k.nesterov) {
    for (int64_t i = 0; i < n; ++i) {
      const float t = th[i], b0 = b[i];
      const float g = clipg(gr[i], lo, hi, gs) + wd * t;
      const float bi = mu * b0 + g;
      bo[i] = bi;
      tho[i] = t - lr * (g + mu * bi);
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const float t = th[i], b0 = b[i];
      const float g = clipg(gr[i], lo, hi, gs) + wd * t;
      const float bi = mu * b0 + g;
      bo[i] = bi;
      tho[i] = t - lr * bi;
    }
  }
}

bool sgd(const OptimizerStep& k, const float* th, const float* __restrict gr, const float* b,
         int64_t n, float* tho, float* bo) {
#ifdef DENSELY_OPT_AVX2
  if (active_isa() == Isa::kAvx512) return sgd_avx512(k, th, gr, b, n, tho, bo);
#endif
  sgd_loops(k, th, gr, b, n, tho, bo);
  return !any_nonfinite(tho, n);
}

// Non-finite lanes of a vector of new θ: |θ| compared with +inf, unordered (NaN) or not
// less (inf) sets the lane.
#ifdef DENSELY_OPT_SSE2
// clipg on 4 lanes: max(lo, g) then min(hi, ·) (a NaN g is returned by both), × s.
inline __m128 clip_ps(__m128 g, __m128 lo, __m128 hi, __m128 s) {
  return _mm_mul_ps(_mm_min_ps(hi, _mm_max_ps(lo, g)), s);
}
inline __m128 nonfinite_ps(__m128 v) {
  const __m128 abs = _mm_and_ps(v, _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff)));
  return _mm_cmpnlt_ps(abs, _mm_set1_ps(std::numeric_limits<float>::infinity()));
}
#endif

bool adam(const OptimizerStep& k, bool decoupled, const float* th, const float* __restrict gr,
          const float* m, const float* v, int64_t n, float* tho, float* mo, float* vo) {
  const float b1 = k.b1, b2 = k.b2, ob1 = k.ob1, ob2 = k.ob2;
  const float lr_c1 = k.lr_c1, c2 = k.c2, eps = k.eps;
  const float wd = decoupled ? 0.0f : k.wd;
  const float decay = decoupled ? k.decay : 1.0f;
#ifdef DENSELY_OPT_AVX2
  if (active_isa() == Isa::kAvx512) return adam_avx512(k, decoupled, th, gr, m, v, n, tho, mo, vo);
#endif
  int64_t i = 0;
  bool bad = false;
#ifdef DENSELY_OPT_AVX2
  if (active_isa() == Isa::kAvx2) i = adam_avx2(k, decoupled, th, gr, m, v, n, tho, mo, vo, &bad);
#endif
#ifdef DENSELY_OPT_SSE2
  const __m128 vb1 = _mm_set1_ps(b1), vb2 = _mm_set1_ps(b2), vob1 = _mm_set1_ps(ob1),
               vob2 = _mm_set1_ps(ob2), vlr = _mm_set1_ps(lr_c1), vc2 = _mm_set1_ps(c2),
               veps = _mm_set1_ps(eps), vwd = _mm_set1_ps(wd), vdecay = _mm_set1_ps(decay);
  const __m128 vlo = _mm_set1_ps(-k.clip), vhi = _mm_set1_ps(k.clip), vgs = _mm_set1_ps(k.gscale);
  __m128 vbad = _mm_setzero_ps();
  for (; i + 4 <= n; i += 4) {
    const __m128 th0 = _mm_loadu_ps(th + i), m0 = _mm_loadu_ps(m + i), v0 = _mm_loadu_ps(v + i);
    const __m128 t0 = _mm_mul_ps(th0, vdecay);
    const __m128 g = _mm_add_ps(clip_ps(_mm_loadu_ps(gr + i), vlo, vhi, vgs), _mm_mul_ps(vwd, t0));
    const __m128 mi = _mm_add_ps(_mm_mul_ps(vb1, m0), _mm_mul_ps(vob1, g));
    const __m128 vi = _mm_add_ps(_mm_mul_ps(vb2, v0), _mm_mul_ps(vob2, _mm_mul_ps(g, g)));
    _mm_storeu_ps(mo + i, mi);
    _mm_storeu_ps(vo + i, vi);
    const __m128 den = _mm_add_ps(_mm_sqrt_ps(_mm_mul_ps(vi, vc2)), veps);
    const __m128 t1 = _mm_sub_ps(t0, _mm_div_ps(_mm_mul_ps(vlr, mi), den));
    _mm_storeu_ps(tho + i, t1);
    vbad = _mm_or_ps(vbad, nonfinite_ps(t1));
  }
  bad = bad || _mm_movemask_ps(vbad) != 0;
#endif
  const int64_t tail = i;
  for (; i < n; ++i) {
    const float t0 = th[i] * decay;
    const float g = clipg(gr[i], -k.clip, k.clip, k.gscale) + wd * t0;
    const float mi = b1 * m[i] + ob1 * g;
    const float vi = b2 * v[i] + ob2 * (g * g);
    mo[i] = mi;
    vo[i] = vi;
    tho[i] = t0 - (lr_c1 * mi) / (std::sqrt(vi * c2) + eps);
  }
  return !bad && !any_nonfinite(tho + tail, n - tail);
}

bool rmsprop(const OptimizerStep& k, const float* th, const float* __restrict gr, const float* v,
             const float* b, int64_t n, float* tho, float* vo, float* bo) {
  const float rho = k.rho, orho = k.orho, eps = k.eps, lr = k.lr, wd = k.wd, mu = k.mu;
#ifdef DENSELY_OPT_AVX2
  if (active_isa() == Isa::kAvx512) return rmsprop_avx512(k, th, gr, v, b, n, tho, vo, bo);
#endif
  int64_t i = 0;
  bool bad = false;
#ifdef DENSELY_OPT_AVX2
  if (active_isa() == Isa::kAvx2) i = rmsprop_avx2(k, th, gr, v, b, n, tho, vo, bo, &bad);
#endif
#ifdef DENSELY_OPT_SSE2
  const __m128 vrho = _mm_set1_ps(rho), vorho = _mm_set1_ps(orho), veps = _mm_set1_ps(eps),
               vlr = _mm_set1_ps(lr), vwd = _mm_set1_ps(wd), vmu = _mm_set1_ps(mu);
  const __m128 vlo = _mm_set1_ps(-k.clip), vhi = _mm_set1_ps(k.clip), vgs = _mm_set1_ps(k.gscale);
  __m128 vbad = _mm_setzero_ps();
  for (; i + 4 <= n; i += 4) {
    const __m128 t = _mm_loadu_ps(th + i), v0 = _mm_loadu_ps(v + i);
    const __m128 g = _mm_add_ps(clip_ps(_mm_loadu_ps(gr + i), vlo, vhi, vgs), _mm_mul_ps(vwd, t));
    const __m128 vi = _mm_add_ps(_mm_mul_ps(vrho, v0), _mm_mul_ps(vorho, _mm_mul_ps(g, g)));
    _mm_storeu_ps(vo + i, vi);
    const __m128 q = _mm_div_ps(g, _mm_add_ps(_mm_sqrt_ps(vi), veps));
    __m128 t1;
    if (b == nullptr) {
      t1 = _mm_sub_ps(t, _mm_mul_ps(vlr, q));
    } else {
      const __m128 bi = _mm_add_ps(_mm_mul_ps(vmu, _mm_loadu_ps(b + i)), q);
      _mm_storeu_ps(bo + i, bi);
      t1 = _mm_sub_ps(t, _mm_mul_ps(vlr, bi));
    }
    _mm_storeu_ps(tho + i, t1);
    vbad = _mm_or_ps(vbad, nonfinite_ps(t1));
  }
  bad = bad || _mm_movemask_ps(vbad) != 0;
#endif
  const int64_t tail = i;
  for (; i < n; ++i) {
    const float t = th[i];
    const float g = clipg(gr[i], -k.clip, k.clip, k.gscale) + wd * t;
    const float vi = rho * v[i] + orho * (g * g);
    vo[i] = vi;
    const float q = g / (std::sqrt(vi) + eps);
    if (b == nullptr) {
      tho[i] = t - lr * q;
    } else {
      const float bi = mu * b[i] + q;
      bo[i] = bi;
      tho[i] = t - lr * bi;
    }
  }
  return !bad && !any_nonfinite(tho + tail, n - tail);
}

// Returns whether every new θ is finite.
bool dispatch(const OptimizerSpec& spec, const OptimizerStep& step, const State& in,
              const float* grad, int64_t n, const Out& out) {
  switch (spec.kind) {
    case OptimizerKind::kSgd:
      return sgd(step, in.th, grad, in.s1, n, out.th, out.s1);
    case OptimizerKind::kAdam:
      return adam(step, false, in.th, grad, in.s1, in.s2, n, out.th, out.s1, out.s2);
    case OptimizerKind::kAdamW:
      return adam(step, true, in.th, grad, in.s1, in.s2, n, out.th, out.s1, out.s2);
    case OptimizerKind::kRmsProp:
      return rmsprop(step, in.th, grad, in.s1, in.s2, n, out.th, out.s1, out.s2);
    default:
      return true;
  }
}

}  // namespace

void optimizer_update(const OptimizerSpec& spec, const OptimizerStep& step, float* theta,
                      const float* grad, float* s1, float* s2, int64_t n) {
  (void)dispatch(spec, step, State{theta, s1, s2}, grad, n, Out{theta, s1, s2});
}

bool optimizer_update_to(const OptimizerSpec& spec, const OptimizerStep& step,
                         const float* theta_in, const float* grad, const float* s1_in,
                         const float* s2_in, int64_t n, float* theta_out, float* s1_out,
                         float* s2_out) {
  return dispatch(spec, step, State{theta_in, s1_in, s2_in}, grad, n,
                  Out{theta_out, s1_out, s2_out});
}

}  // namespace densely
