// The avx512 set's bodies of the sigmoid, tanh, softmax and gelu loops (activations.cc),
// compiled with the core_avx512 flags. The baseline calls libm once per element (tanh
// through one float64 exp, sigmoid through expf), which dominated a small tanh layer's
// step (bench/README.md, "Measurements behind the kernel choices": avx512
// activations). These bodies take 8 elements a
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

// e^x for 8 float64 lanes (NaN passes through; x is clamped to ±746, past which the
// result is already +inf or 0).
inline __m512d exp_pd(__m512d x) {
  // max(lo, x) then min(hi, ·): with x second in each, a NaN x is passed on.
  x = _mm512_min_pd(_mm512_set1_pd(746.0), _mm512_max_pd(_mm512_set1_pd(-746.0), x));
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
  return _mm512_cvtpd_ps(
      _mm512_div_pd(one, _mm512_add_pd(one, exp_pd(_mm512_sub_pd(_mm512_setzero_pd(), x)))));
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
  t = _mm256_mask_blend_ps(sat, t,
                           _mm256_or_ps(_mm256_set1_ps(1.0f), _mm256_andnot_ps(abs_mask, zf)));
  return _mm256_mask_blend_ps(pass, t, zf);
}

// Whole vectors, then the tail (< 8) in one masked step: lanes past n are neither
// read nor written. (Copying the tail through a buffer on the stack instead measured
// slower for a batch-1 step; same bench/README.md entry.)
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
      const __mmask16 lanes =
          left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1u);
      vmx = _mm512_mask_max_ps(vmx, lanes, _mm512_maskz_loadu_ps(lanes, zr + j), vmx);
    }
    const __m512d mx = _mm512_set1_pd(static_cast<double>(_mm512_reduce_max_ps(vmx)));
    // e_j = exp(z_j − max) in float64, summed lane-wise in float64 (a fixed order), and
    // stored rounded to float32; then scaled by 1/Σ.
    __m512d sum = _mm512_setzero_pd();
    for (int64_t j = 0; j < units; j += 8) {
      const int64_t left = units - j;
      const __mmask8 lanes =
          left >= 8 ? static_cast<__mmask8>(0xff) : static_cast<__mmask8>((1u << left) - 1u);
      const __m512d e =
          exp_pd(_mm512_sub_pd(_mm512_cvtps_pd(_mm256_maskz_loadu_ps(lanes, zr + j)), mx));
      sum = _mm512_mask_add_pd(sum, lanes, sum, e);
      _mm256_mask_storeu_ps(ar + j, lanes, _mm512_cvtpd_ps(e));
    }
    const __m512d inv = _mm512_set1_pd(1.0 / _mm512_reduce_add_pd(sum));
    for (int64_t j = 0; j < units; j += 8) {
      const int64_t left = units - j;
      const __mmask8 lanes =
          left >= 8 ? static_cast<__mmask8>(0xff) : static_cast<__mmask8>((1u << left) - 1u);
      const __m512d e = _mm512_cvtps_pd(_mm256_maskz_loadu_ps(lanes, ar + j));
      _mm256_mask_storeu_ps(ar + j, lanes, _mm512_cvtpd_ps(_mm512_mul_pd(e, inv)));
    }
  }
}

// gelu: Φ(z) = ½(1 + erf(z/√2)) and φ(z) = e^(−z²/2)/√(2π) in float64, 8 lanes a step.
// With x = |z|/√2:
// - x ≤ 1: erf by its Taylor series, (2/√π)·Σ_{n≤17} (−1)^n x^(2n+1)/(n!(2n+1))
//   (truncation < 1e-17; float64 evaluation within 2e-16 relative, checked in 50-digit
//   arithmetic);
// - 1 < x < 9: erfc(x) = e^(−x²)·erfcx(x), erfcx on 16 intervals of width ½ by a
//   degree-12 polynomial each (Chebyshev interpolation at 13 nodes in 50-digit
//   arithmetic (mpmath), converted to powers of u = 4(x − centre) ∈ [−1, 1]; float64
//   Horner within 2.1e-16 relative of erfcx on every interval), the interval's
//   coefficients picked per lane by vpermt2pd; Φ = ½·erfc(x) for z < 0, 1 − ½·erfc(x)
//   else — the lower tail without the baseline's 1 + erf cancellation;
// - x ≥ 9: erfcx(x) ≈ (1 − 1/(2x²) + 3/(4x⁴) − 15/(8x⁶))/(x√π) (error < 2e-7 relative;
//   Φ < 2e-37 there).
// e^(−x²) is e^(−t)·(1 − t_lo) with t + t_lo = x² exactly (a fused multiply-add), so the
// rounding of x² (up to 81·1e-16) does not reach the result.
namespace {

constexpr double kErfTaylor[18] = {
    1.1283791670955126,      -0.37612638903183754,    0.11283791670955126,
    -0.026866170645131252,   0.005223977625442188,    -0.0008548327023450853,
    0.00012055332981789664,  -1.492565035840625e-05,  1.6462114365889248e-06,
    -1.6365844691234924e-07, 1.4807192815879218e-08,  -1.2290555301717928e-09,
    9.422759064650411e-11,   -6.7113668551641105e-12, 4.4632242632864775e-13,
    -2.7835162072109215e-14, 1.6342614095367152e-15,  -9.063970842808673e-17};
// [power j][interval k]: erfcx(x) ≈ Σ_j c[j][k]·u^j, u = 4(x − (1.25 + k/2)), x ∈ [1 + k/2, 1.5 +
// k/2).
alignas(64) constexpr double kErfcx[13][16] = {
    {0.3678229164523611, 0.2849722347374364, 0.23108725873039188, 0.1936620962790687,
     0.16633534842682188, 0.14558972127503855, 0.12934527478598792, 0.11630270721024731,
     0.1056127354688918, 0.09669877816971392, 0.08915663178727438, 0.08269505677505307,
     0.0770991803512599, 0.07220717081466976, 0.06789491988272056, 0.06406571555128014},
    {-0.05220546899115238, -0.03274408637862129, -0.022121625702187286, -0.01580940939015871,
     -0.011799850580292594, -0.009114064383180883, -0.007236082853653833, -0.005875862149540788,
     -0.004861361168037162, -0.004085804535950621, -0.003480317438645675, -0.0029989751580740674,
     -0.002610263000561, -0.0022920048670328217, -0.0020282472576558224, -0.0018072862370275104},
    {0.006674723218537419, 0.0034852268804429535, 0.0019995392131691415, 0.001234912061707679,
     0.0008085806801886348, 0.0005549222204578311, 0.00039574164211704684, 0.00029133289806077125,
     0.0002202594337569623, 0.00017032961517810219, 0.00013429348882078198, 0.0001076704691908272,
     8.759708343693146e-05, 7.218874604076837e-05, 6.0172523754901455e-05, 5.0668578457330216e-05},
    {-0.0007846605374382521, -0.0003478124256469985, -0.00017190719931942612,
     -9.272402964060302e-05, -5.367923907668294e-05, -3.292629484639286e-05,
     -2.1186455736001674e-05, -1.4189045266088957e-05, -9.829710797539752e-06,
     -7.009307785594627e-06, -5.124175755255223e-06, -3.828020413405556e-06, -2.91448253708282e-06,
     -2.2564058237084242e-06, -1.7730822393364337e-06, -1.4119162925396995e-06},
    {8.598189160507216e-05, 3.2829371903648855e-05, 1.4136700602964347e-05, 6.717116739411538e-06,
     3.4609553809933582e-06, 1.907118680060835e-06, 1.1116217064069037e-06, 6.794074376588104e-07,
     4.323595940196192e-07, 2.8486050341955844e-07, 1.9340921685629567e-07, 1.3480993840241242e-07,
     9.615905817280235e-08, 7.000517205647578e-08, 5.190030802497334e-08, 3.9109631826272907e-08},
    {-8.868776967725166e-06, -2.950170555585948e-06, -1.1169223469151147e-06,
     -4.708936375997823e-07, -2.1717047807742037e-07, -1.0798786613289054e-07,
     -5.722216817598962e-08, -3.200759876395623e-08, -1.8753983078086295e-08,
     -1.1437905173582296e-08, -7.223633346181973e-09, -4.7038019135051e-09, -3.1467462517865585e-09,
     -2.1561372489408985e-09, -1.5093018628073955e-09, -1.0769794655034864e-09},
    {8.674584711778801e-07, 2.537120414482415e-07, 8.509165574807611e-08, 3.202680676576849e-08,
     1.3286232619299866e-08, 5.985430999920972e-09, 2.8926009873682308e-09, 1.4846471070136548e-09,
     8.026239453614756e-10, 4.5393092554672476e-10, 2.670496500287151e-10, 1.6265180703374785e-10,
     1.0215451814424568e-10, 6.593577790159134e-11, 4.361138650654477e-11, 2.9486469450903154e-11},
    {-8.09194284279868e-08, -2.096762028769442e-08, -6.269598619463966e-09, -2.117835321201201e-09,
     -7.937403081265358e-10, -3.251143200862901e-10, -1.4371342152607251e-10,
     -6.784471061780229e-11, -3.390857582363441e-11, -1.7812390949431116e-11,
     -9.774858894935696e-12, -5.5750557970586256e-12, -3.290450464898856e-12,
     -2.0022881103307746e-12, -1.2522519317160023e-12, -8.027327636028306e-13},
    {7.232217406690809e-09, 1.670918660864194e-09, 4.478950947622092e-10, 1.3641597025404525e-10,
     4.636889929605563e-11, 1.732369459208254e-11, 7.023014024445707e-12, 3.056212968617432e-12,
     1.4147478393182942e-12, 6.913427648222772e-13, 3.5434654598606536e-13, 1.8945782896319126e-13,
     1.0517898281775926e-13, 6.038822798440442e-14, 3.573551269484815e-14, 2.1731605483128282e-14},
    {-6.215429959552571e-10, -1.2875251113676387e-10, -3.108856441414792e-11,
     -8.572609778060283e-12, -2.651912467909991e-12, -9.063500898261399e-13,
     -3.3780170712636556e-13, -1.3578510096466765e-13, -5.831704153025278e-14,
     -2.6548500183324395e-14, -1.2724855018482823e-14, -6.38461365803853e-15,
     -3.336931107845556e-15, -1.8090644745977877e-15, -1.0136087683906994e-15,
     -5.850900864866558e-16},
    {5.154261278261677e-11, 9.61847389834657e-12, 2.10082401649295e-12, 5.263802979021472e-13,
     1.4865485154109668e-13, 4.659999514606456e-14, 1.6003168989041294e-14, 5.953169824807012e-15,
     2.3759395644914543e-15, 1.0090217232526848e-15, 4.527872598487906e-16, 2.1340429155183965e-16,
     1.0509471843506312e-16, 5.383804892108627e-17, 2.857918296578363e-17, 1.5667605388327508e-17},
    {-4.214961825526736e-12, -7.092030933689514e-13, -1.402683891597517e-13,
     -3.1971258939165315e-14, -8.251888719805715e-15, -2.3750846277556673e-15,
     -7.522483388703235e-16, -2.591907760108697e-16, -9.619931371665538e-17, -3.813643120173001e-17,
     -1.6031040010789244e-17, -7.10090899087475e-18, -3.2964456553828506e-18,
     -1.5963263176112163e-18, -8.031041730454992e-19, -4.182666825665797e-19},
    {3.2747182507155396e-13, 5.0048417345007894e-14, 9.019823445765036e-15, 1.8800738604690586e-15,
     4.454562117727668e-16, 1.1815817873651303e-16, 3.462294803041272e-17, 1.1078471622899968e-17,
     3.832315492243951e-18, 1.4208519269427467e-18, 5.603936743148194e-19, 2.33605269078958e-19,
     1.0234787270499171e-19, 4.6898821794145275e-20, 2.23811975165068e-20, 1.1082188115446839e-20},
};

inline __m512d erfcx_poly(__m512d x) {
  // Interval k = ⌊2(x − 1)⌋ in [0, 15] (lanes outside 1 < x < 9 are not used).
  const __m512d kf = _mm512_min_pd(
      _mm512_set1_pd(15.0),
      _mm512_max_pd(_mm512_setzero_pd(),
                    _mm512_roundscale_pd(
                        _mm512_mul_pd(_mm512_sub_pd(x, _mm512_set1_pd(1.0)), _mm512_set1_pd(2.0)),
                        _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)));
  const __m512i k = _mm512_cvtepi32_epi64(_mm512_cvttpd_epi32(kf));
  const __m512d u = _mm512_mul_pd(
      _mm512_sub_pd(x, _mm512_fmadd_pd(kf, _mm512_set1_pd(0.5), _mm512_set1_pd(1.25))),
      _mm512_set1_pd(4.0));
  auto coef = [&](int j) {
    return _mm512_permutex2var_pd(_mm512_load_pd(kErfcx[j]), k, _mm512_load_pd(kErfcx[j] + 8));
  };
  __m512d p = coef(12);
  for (int j = 11; j >= 0; --j) p = _mm512_fmadd_pd(p, u, coef(j));
  return p;
}

// Φ(z) into *cdf and e^(−z²/2) into *gauss, for 8 lanes of z.
inline void normal_pd(__m512d z, __m512d* cdf, __m512d* gauss) {
  const __m512d half = _mm512_set1_pd(0.5), one = _mm512_set1_pd(1.0);
  const __m512d xs = _mm512_mul_pd(z, _mm512_set1_pd(0.70710678118654752440));
  const __m512d x = _mm512_abs_pd(xs);
  const __m512d t = _mm512_mul_pd(xs, xs);
  const __m512d t_lo = _mm512_fmsub_pd(xs, xs, t);
  const __m512d e =
      _mm512_mul_pd(exp_pd(_mm512_sub_pd(_mm512_setzero_pd(), t)), _mm512_sub_pd(one, t_lo));
  *gauss = e;
  // Each piece is computed only where some lane needs it (the blends pick the same
  // lanes either way, so the bits do not depend on the neighbours).
  const __mmask8 near = _mm512_cmp_pd_mask(x, one, _CMP_LE_OQ);
  __m512d cdf_a = half, cdf_b = half;
  if (near != 0) {  // x ≤ 1: ½ + ½·erf(xs)
    __m512d s = _mm512_set1_pd(kErfTaylor[17]);
    for (int n = 16; n >= 0; --n) s = _mm512_fmadd_pd(s, t, _mm512_set1_pd(kErfTaylor[n]));
    cdf_a = _mm512_fmadd_pd(_mm512_mul_pd(xs, s), half, half);
  }
  if (near != 0xff) {  // x > 1 (or NaN): erfc(x) = e^(−x²)·erfcx(x)
    __m512d cx = erfcx_poly(x);
    const __mmask8 far = _mm512_cmp_pd_mask(x, _mm512_set1_pd(9.0), _CMP_GE_OQ);
    if (far != 0) {
      const __m512d r = _mm512_div_pd(one, t);  // 1/x²
      const __m512d tail = _mm512_mul_pd(
          _mm512_fmadd_pd(
              _mm512_fmadd_pd(_mm512_fmadd_pd(r, _mm512_set1_pd(-1.875), _mm512_set1_pd(0.75)), r,
                              _mm512_set1_pd(-0.5)),
              r, one),
          _mm512_div_pd(_mm512_set1_pd(0.56418958354775628695), x));  // 1/√π
      cx = _mm512_mask_blend_pd(far, cx, tail);
    }
    const __m512d half_erfc = _mm512_mul_pd(half, _mm512_mul_pd(e, cx));
    const __mmask8 neg = _mm512_cmp_pd_mask(z, _mm512_setzero_pd(), _CMP_LT_OQ);
    cdf_b = _mm512_mask_blend_pd(neg, _mm512_sub_pd(one, half_erfc), half_erfc);
  }
  *cdf = _mm512_mask_blend_pd(near, cdf_b, cdf_a);
}

inline __mmask8 lanes8(int64_t left) {
  return left >= 8 ? static_cast<__mmask8>(0xff) : static_cast<__mmask8>((1u << left) - 1u);
}

}  // namespace

void gelu_avx512(const float* z, float* a, int64_t n) {
  for (int64_t i = 0; i < n; i += 8) {
    const __mmask8 lanes = lanes8(n - i);
    const __m512d x = _mm512_cvtps_pd(_mm256_maskz_loadu_ps(lanes, z + i));
    __m512d cdf, gauss;
    normal_pd(x, &cdf, &gauss);
    _mm256_mask_storeu_ps(a + i, lanes, _mm512_cvtpd_ps(_mm512_mul_pd(x, cdf)));
  }
}

void gelu_backward_avx512(const float* z, float* d, int64_t n) {
  for (int64_t i = 0; i < n; i += 8) {
    const __mmask8 lanes = lanes8(n - i);
    const __m512d x = _mm512_cvtps_pd(_mm256_maskz_loadu_ps(lanes, z + i));
    __m512d cdf, gauss;
    normal_pd(x, &cdf, &gauss);
    // gelu′(z) = Φ(z) + z·φ(z), rounded to float32 once, then d·gelu′ in float32.
    const __m512d grad =
        _mm512_fmadd_pd(_mm512_mul_pd(x, gauss), _mm512_set1_pd(0.39894228040143267794), cdf);
    const __m256 g = _mm512_cvtpd_ps(grad);
    _mm256_mask_storeu_ps(d + i, lanes, _mm256_mul_ps(_mm256_maskz_loadu_ps(lanes, d + i), g));
  }
}

void relu_backward_columns_avx512(bool leaky, float alpha, const float* gate, float* d,
                                  int64_t rows, int64_t units, int64_t c0, int64_t c1,
                                  float* bias_grad) {
  const __m512 valpha = _mm512_set1_ps(alpha), zero = _mm512_setzero_ps();
  for (int64_t j = c0; j < c1; j += 16) {
    const int64_t left = c1 - j;
    const __mmask16 lanes =
        left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1u);
    __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t off = r * units + j;
      const __mmask16 pos = _mm512_mask_cmp_ps_mask(lanes, _mm512_maskz_loadu_ps(lanes, gate + off),
                                                    zero, _CMP_GT_OQ);
      const __m512 dv = _mm512_maskz_loadu_ps(lanes, d + off);
      // relu: d where the gate is > 0, else 0; leakyRelu: d there, else d·alpha.
      const __m512 nd = leaky ? _mm512_mask_mov_ps(_mm512_mul_ps(dv, valpha), pos, dv)
                              : _mm512_maskz_mov_ps(pos, dv);
      _mm512_mask_storeu_ps(d + off, lanes, nd);
      lo = _mm512_add_pd(lo, _mm512_cvtps_pd(_mm512_castps512_ps256(nd)));
      hi = _mm512_add_pd(
          hi, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(nd), 1))));
    }
    const __m512 sums =
        _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)), _mm512_cvtpd_ps(hi), 1);
    _mm512_mask_storeu_ps(bias_grad + j, lanes, sums);
  }
}

}  // namespace densely
