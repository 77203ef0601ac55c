// AVX-512 (zmm) bodies of sgd, adam and rmsprop: see optimizers_simd.h. Compiled with
// the avx512 flags (sources.json core_avx512). 16 lanes per instruction, and the tail
// (n mod 16 elements) in one masked vector: lanes past n are neither read nor written,
// so each body does the whole range and the scalar loop of optimizers.cc has nothing
// left. The finiteness of every new θ is checked in registers (vfpclassps: ±inf, quiet
// or signalling NaN into an opmask), sgd included, whose baseline loop is vectorised
// by the compiler and re-reads its output for that check.
// No FMA, as in optimizers_avx2.cc: GCC contracts a mul intrinsic feeding an add
// intrinsic into vfmadd under -ffp-contract=fast (this group's flag), which changes the
// rounding; contraction is switched off for this file, so every lane runs the
// baseline's mul, add, sqrt, div and gets its bits (test_optimizers checks them on
// every ISA). Plain stores: the new θ and state are read again by the next step (the
// Network alternates two copies), so non-temporal stores would only evict them.
// Each iteration loads its 16 elements before storing their new values and touches no
// other element, so an output array may be its input array.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif
#include <immintrin.h>

#include <cstdint>

#include "optimizers_simd.h"

namespace densely {
namespace {

// vfpclassps categories: QNaN (0x01), +inf (0x08), −inf (0x10), SNaN (0x80).
constexpr int kNonFinite = 0x01 | 0x08 | 0x10 | 0x80;

inline __mmask16 tail_mask(int64_t left) {
  return left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1u);
}

// The loop shared by every rule: whole vectors with all lanes on, then one masked
// vector for the tail; body(i, lanes) returns the lanes of its new θ that are not
// finite. Returns whether every new θ is finite.
template <typename Body>
inline bool all_finite(int64_t n, Body&& body) {
  __mmask16 bad = 0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) bad |= body(i, static_cast<__mmask16>(0xffff));
  if (i < n) bad |= body(i, tail_mask(n - i));
  return bad == 0;
}

inline __m512 load(__mmask16 lanes, const float* p) { return _mm512_maskz_loadu_ps(lanes, p); }
inline void store(__mmask16 lanes, float* p, __m512 v) { _mm512_mask_storeu_ps(p, lanes, v); }
inline __mmask16 nonfinite(__mmask16 lanes, __m512 v) {
  return _mm512_mask_fpclass_ps_mask(lanes, v, kNonFinite);
}

// optimizers.cc clipg on 16 lanes: max(lo, g), then min(hi, ·) (a NaN g passes), × s.
struct Clip {
  __m512 lo, hi, s;
  explicit Clip(const OptimizerStep& k)
      : lo(_mm512_set1_ps(-k.clip)), hi(_mm512_set1_ps(k.clip)), s(_mm512_set1_ps(k.gscale)) {}
  __m512 operator()(__m512 g) const {
    return _mm512_mul_ps(_mm512_min_ps(hi, _mm512_max_ps(lo, g)), s);
  }
};

enum class SgdMode { kPlain, kDecay, kFirst, kMomentum, kNesterov };

// One sgd rule of optimizers.cc sgd_loops, the same operations in the same order.
template <SgdMode kMode>
bool sgd_body(const OptimizerStep& k, const float* th, const float* gr, const float* b, int64_t n,
              float* tho, float* bo) {
  const __m512 vlr = _mm512_set1_ps(k.lr), vwd = _mm512_set1_ps(k.wd), vmu = _mm512_set1_ps(k.mu);
  const bool nesterov = k.nesterov;
  const Clip clip(k);
  return all_finite(n, [&](int64_t i, __mmask16 lanes) {
    const __m512 t = load(lanes, th + i), g0 = clip(load(lanes, gr + i));
    __m512 t1;
    if (kMode == SgdMode::kPlain) {
      t1 = _mm512_sub_ps(t, _mm512_mul_ps(vlr, g0));
    } else {
      const __m512 g = _mm512_add_ps(g0, _mm512_mul_ps(vwd, t));
      if (kMode == SgdMode::kDecay) {
        t1 = _mm512_sub_ps(t, _mm512_mul_ps(vlr, g));
      } else if (kMode == SgdMode::kFirst) {
        store(lanes, bo + i, g);
        const __m512 step = nesterov ? _mm512_add_ps(g, _mm512_mul_ps(vmu, g)) : g;
        t1 = _mm512_sub_ps(t, _mm512_mul_ps(vlr, step));
      } else {
        const __m512 bi = _mm512_add_ps(_mm512_mul_ps(vmu, load(lanes, b + i)), g);
        store(lanes, bo + i, bi);
        const __m512 step =
            kMode == SgdMode::kNesterov ? _mm512_add_ps(g, _mm512_mul_ps(vmu, bi)) : bi;
        t1 = _mm512_sub_ps(t, _mm512_mul_ps(vlr, step));
      }
    }
    store(lanes, tho + i, t1);
    return nonfinite(lanes, t1);
  });
}

}  // namespace

bool sgd_avx512(const OptimizerStep& k, const float* th, const float* gr, const float* b, int64_t n,
                float* tho, float* bo) {
  if (b == nullptr) {
    return k.wd == 0.0f ? sgd_body<SgdMode::kPlain>(k, th, gr, b, n, tho, bo)
                        : sgd_body<SgdMode::kDecay>(k, th, gr, b, n, tho, bo);
  }
  if (k.first) return sgd_body<SgdMode::kFirst>(k, th, gr, b, n, tho, bo);
  return k.nesterov ? sgd_body<SgdMode::kNesterov>(k, th, gr, b, n, tho, bo)
                    : sgd_body<SgdMode::kMomentum>(k, th, gr, b, n, tho, bo);
}

bool adam_avx512(const OptimizerStep& k, bool decoupled, const float* th, const float* gr,
                 const float* m, const float* v, int64_t n, float* tho, float* mo, float* vo) {
  const __m512 vb1 = _mm512_set1_ps(k.b1), vb2 = _mm512_set1_ps(k.b2), vob1 = _mm512_set1_ps(k.ob1),
               vob2 = _mm512_set1_ps(k.ob2), vlr = _mm512_set1_ps(k.lr_c1),
               vc2 = _mm512_set1_ps(k.c2), veps = _mm512_set1_ps(k.eps),
               vwd = _mm512_set1_ps(decoupled ? 0.0f : k.wd),
               vdecay = _mm512_set1_ps(decoupled ? k.decay : 1.0f);
  const Clip clip(k);
  return all_finite(n, [&](int64_t i, __mmask16 lanes) {
    const __m512 th0 = load(lanes, th + i), m0 = load(lanes, m + i), v0 = load(lanes, v + i);
    const __m512 t0 = _mm512_mul_ps(th0, vdecay);
    const __m512 g = _mm512_add_ps(clip(load(lanes, gr + i)), _mm512_mul_ps(vwd, t0));
    const __m512 mi = _mm512_add_ps(_mm512_mul_ps(vb1, m0), _mm512_mul_ps(vob1, g));
    const __m512 vi =
        _mm512_add_ps(_mm512_mul_ps(vb2, v0), _mm512_mul_ps(vob2, _mm512_mul_ps(g, g)));
    store(lanes, mo + i, mi);
    store(lanes, vo + i, vi);
    const __m512 den = _mm512_add_ps(_mm512_sqrt_ps(_mm512_mul_ps(vi, vc2)), veps);
    const __m512 t1 = _mm512_sub_ps(t0, _mm512_div_ps(_mm512_mul_ps(vlr, mi), den));
    store(lanes, tho + i, t1);
    return nonfinite(lanes, t1);
  });
}

bool rmsprop_avx512(const OptimizerStep& k, const float* th, const float* gr, const float* v,
                    const float* b, int64_t n, float* tho, float* vo, float* bo) {
  const __m512 vrho = _mm512_set1_ps(k.rho), vorho = _mm512_set1_ps(k.orho),
               veps = _mm512_set1_ps(k.eps), vlr = _mm512_set1_ps(k.lr), vwd = _mm512_set1_ps(k.wd),
               vmu = _mm512_set1_ps(k.mu);
  const Clip clip(k);
  return all_finite(n, [&](int64_t i, __mmask16 lanes) {
    const __m512 t = load(lanes, th + i), v0 = load(lanes, v + i);
    const __m512 g = _mm512_add_ps(clip(load(lanes, gr + i)), _mm512_mul_ps(vwd, t));
    const __m512 vi =
        _mm512_add_ps(_mm512_mul_ps(vrho, v0), _mm512_mul_ps(vorho, _mm512_mul_ps(g, g)));
    store(lanes, vo + i, vi);
    const __m512 q = _mm512_div_ps(g, _mm512_add_ps(_mm512_sqrt_ps(vi), veps));
    __m512 t1;
    if (b == nullptr) {
      t1 = _mm512_sub_ps(t, _mm512_mul_ps(vlr, q));
    } else {
      const __m512 bi = _mm512_add_ps(_mm512_mul_ps(vmu, load(lanes, b + i)), q);
      store(lanes, bo + i, bi);
      t1 = _mm512_sub_ps(t, _mm512_mul_ps(vlr, bi));
    }
    store(lanes, tho + i, t1);
    return nonfinite(lanes, t1);
  });
}

}  // namespace densely
