// The avx512 set's bodies of the sigmoid, tanh and softmax forward loops (activations.cc),
// compiled with the core_avx512 flags. The baseline calls libm once per element (tanh
// through one float64 exp, sigmoid through expf): ~4.7 and ~2.1 ns an element here,
// which made a tanh layer of 64×128 cost ~38 µs a step. These bodies take 8 elements a
// step through a float64 exp in one zmm register, the tail (< 8) in one more step on a
// copy (every lane runs the same operations, so an element gets the same bits alone or
// in a block, for any split and thread count).
//
// exp(x), x in float64: n = round(x·log2 e), r = x − n·ln2 (ln2 in two parts, fused
// multiply-adds: |r| ≤ ln2/2 with an error near 1e-17), e^r by its Taylor polynomial to
// degree 13 (truncation r^14/14! < 5e-18 relative; Estrin's scheme), then ·2^n by vscalefpd, which
// gives +inf, subnormals and 0 where the result leaves the double range. Within a few
// float64 ulps of exp, like libm's: tanh stays the correctly rounded float32 tanh
// (test_activations checks it on a dense grid), and sigmoid, computed in float64 and
// rounded once, is closer to the exact value than the baseline's float32 expf path —
// so the avx512 set's sigmoid bits may differ from the other sets' (the numerics
// contract: parity with js and the float64 reference, bit-identical within a set).
#include <immintrin.h>

#include <cstdint>
#include <limits>

#include "ops/activation_kernels.h"

namespace densely {
namespace {

// e^x for 8 float64 lanes (NaN passes through; x is clamped to ±745, past which the
// result is already +inf or 0).
inline __m512d exp_pd(__m512d x) {
  // max(lo, x) then min(hi, ·): with x second in each, a NaN x is passed on.
  x = _mm512_min_pd(_mm512_set1_pd(745.0), _mm512_max_pd(_mm512_set1_pd(-745.0), x));
  const __m512d n = _mm512_roundscale_pd(_mm512_mul_pd(x, _mm512_set1_pd(1.4426950408889634074)),
                                         _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512d r = _mm512_fnmadd_pd(n, _mm512_set1_pd(6.93147180369123816490e-01), x);  // ln2 high part
  r = _mm512_fnmadd_pd(n, _mm512_set1_pd(1.90821492927058770002e-10), r);          // ln2 low part
  // Σ r^k/k!, k = 0 … 13, by Estrin's scheme: pairs, then quadruples with r², octets
  // with r⁴, and the two octets with r⁸ — 4 dependent fused multiply-adds after r
  // instead of Horner's 13 (a batch-1 step waits on this chain: its latency counts).
  const __m512d r2 = _mm512_mul_pd(r, r), r4 = _mm512_mul_pd(r2, r2), r8 = _mm512_mul_pd(r4, r4);
  auto c = [](double v) { return _mm512_set1_pd(v); };
  const __m512d p01 = _mm512_fmadd_pd(r, c(1.0), c(1.0));
  const __m512d p23 = _mm512_fmadd_pd(r, c(1.0 / 6.0), c(1.0 / 2.0));
  const __m512d p45 = _mm512_fmadd_pd(r, c(1.0 / 120.0), c(1.0 / 24.0));
  const __m512d p67 = _mm512_fmadd_pd(r, c(1.0 / 5040.0), c(1.0 / 720.0));
  const __m512d p89 = _mm512_fmadd_pd(r, c(1.0 / 362880.0), c(1.0 / 40320.0));
  const __m512d p1011 = _mm512_fmadd_pd(r, c(1.0 / 39916800.0), c(1.0 / 3628800.0));
  const __m512d p1213 = _mm512_fmadd_pd(r, c(1.0 / 6227020800.0), c(1.0 / 479001600.0));
  const __m512d q0 = _mm512_fmadd_pd(p23, r2, p01), q1 = _mm512_fmadd_pd(p67, r2, p45);
  const __m512d q2 = _mm512_fmadd_pd(p1011, r2, p89);
  const __m512d o0 = _mm512_fmadd_pd(q1, r4, q0), o1 = _mm512_fmadd_pd(p1213, r4, q2);
  const __m512d p = _mm512_fmadd_pd(o1, r8, o0);
  return _mm512_scalef_pd(p, n);
}

}  // namespace

namespace {

// sigmoid of 8 float32 lanes, in float64.
inline __m256 sigmoid8(__m256 zf) {
  const __m512d one = _mm512_set1_pd(1.0);
  const __m512d x = _mm512_cvtps_pd(zf);
  return _mm512_cvtpd_ps(_mm512_div_pd(one, _mm512_add_pd(one, exp_pd(_mm512_sub_pd(_mm512_setzero_pd(), x)))));
}

// The baseline's tanhf_fast, lane by lane: ±1 past |z| > 20, z itself below 2^-12 in
// magnitude (sign and NaN included), else (e − 1)/(e + 1) with e = exp(2z) in float64.
inline __m256 tanh8(__m256 zf) {
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m512d one = _mm512_set1_pd(1.0);
  const __m512d x = _mm512_cvtps_pd(zf);
  const __m512d e = exp_pd(_mm512_add_pd(x, x));
  __m256 t = _mm512_cvtpd_ps(_mm512_div_pd(_mm512_sub_pd(e, one), _mm512_add_pd(e, one)));
  const __m256 az = _mm256_and_ps(zf, abs_mask);
  const __mmask8 sat = _mm256_cmp_ps_mask(az, _mm256_set1_ps(20.0f), _CMP_GT_OQ);
  const __mmask8 pass = _mm256_cmp_ps_mask(az, _mm256_set1_ps(0.000244140625f), _CMP_NGE_UQ);
  t = _mm256_mask_blend_ps(sat, t, _mm256_or_ps(_mm256_set1_ps(1.0f), _mm256_andnot_ps(abs_mask, zf)));
  return _mm256_mask_blend_ps(pass, t, zf);
}

// Whole vectors, then the tail (< 8) in one masked step: lanes past n are neither
// read nor written. (Copying the tail through a buffer on the stack instead measured
// slower for a batch-1 step: 39 against 33 ns for a one-element tanh.)
template <__m256 (*kFn)(__m256)>
void apply(const float* z, float* a, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(a + i, kFn(_mm256_loadu_ps(z + i)));
  if (i < n) {
    const __mmask8 lanes = static_cast<__mmask8>((1u << (n - i)) - 1u);
    _mm256_mask_storeu_ps(a + i, lanes, kFn(_mm256_maskz_loadu_ps(lanes, z + i)));
  }
}

}  // namespace

void sigmoid_avx512(const float* z, float* a, int64_t n) { apply<sigmoid8>(z, a, n); }

void tanh_avx512(const float* z, float* a, int64_t n) { apply<tanh8>(z, a, n); }

void softmax_rows_avx512(const float* z, float* a, int64_t r0, int64_t r1, int64_t units) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* zr = z + r * units;
    float* ar = a + r * units;
    // The row maximum (a NaN makes its own exp, and so the whole row, NaN either way).
    __m512 vmx = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
    for (int64_t j = 0; j < units; j += 16) {
      const int64_t left = units - j;
      const __mmask16 lanes = left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1u);
      vmx = _mm512_mask_max_ps(vmx, lanes, _mm512_maskz_loadu_ps(lanes, zr + j), vmx);
    }
    const __m512d mx = _mm512_set1_pd(static_cast<double>(_mm512_reduce_max_ps(vmx)));
    // e_j = exp(z_j − max) in float64, summed lane-wise in float64 (a fixed order), and
    // stored rounded to float32; then scaled by 1/Σ.
    __m512d sum = _mm512_setzero_pd();
    for (int64_t j = 0; j < units; j += 8) {
      const int64_t left = units - j;
      const __mmask8 lanes = left >= 8 ? static_cast<__mmask8>(0xff) : static_cast<__mmask8>((1u << left) - 1u);
      const __m512d e = exp_pd(_mm512_sub_pd(_mm512_cvtps_pd(_mm256_maskz_loadu_ps(lanes, zr + j)), mx));
      sum = _mm512_mask_add_pd(sum, lanes, sum, e);
      _mm256_mask_storeu_ps(ar + j, lanes, _mm512_cvtpd_ps(e));
    }
    const __m512d inv = _mm512_set1_pd(1.0 / _mm512_reduce_add_pd(sum));
    for (int64_t j = 0; j < units; j += 8) {
      const int64_t left = units - j;
      const __mmask8 lanes = left >= 8 ? static_cast<__mmask8>(0xff) : static_cast<__mmask8>((1u << left) - 1u);
      const __m512d e = _mm512_cvtps_pd(_mm256_maskz_loadu_ps(lanes, ar + j));
      _mm256_mask_storeu_ps(ar + j, lanes, _mm512_cvtpd_ps(_mm512_mul_pd(e, inv)));
    }
  }
}

void relu_backward_columns_avx512(bool leaky, float alpha, const float* gate, float* d,
                                  int64_t rows, int64_t units, int64_t c0, int64_t c1,
                                  float* bias_grad) {
  const __m512 valpha = _mm512_set1_ps(alpha), zero = _mm512_setzero_ps();
  for (int64_t j = c0; j < c1; j += 16) {
    const int64_t left = c1 - j;
    const __mmask16 lanes = left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1u);
    __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t off = r * units + j;
      const __mmask16 pos = _mm512_mask_cmp_ps_mask(lanes, _mm512_maskz_loadu_ps(lanes, gate + off), zero, _CMP_GT_OQ);
      const __m512 dv = _mm512_maskz_loadu_ps(lanes, d + off);
      // relu: d where the gate is > 0, else 0; leakyRelu: d there, else d·alpha.
      const __m512 nd = leaky ? _mm512_mask_mov_ps(_mm512_mul_ps(dv, valpha), pos, dv) : _mm512_maskz_mov_ps(pos, dv);
      _mm512_mask_storeu_ps(d + off, lanes, nd);
      lo = _mm512_add_pd(lo, _mm512_cvtps_pd(_mm512_castps512_ps256(nd)));
      hi = _mm512_add_pd(hi, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(nd), 1))));
    }
    const __m512 sums = _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)), _mm512_cvtpd_ps(hi), 1);
    _mm512_mask_storeu_ps(bias_grad + j, lanes, sums);
  }
}

}  // namespace densely
