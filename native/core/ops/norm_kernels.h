// The loops of ops/norm.cc, compiled once per kernel set: included by norm.cc (baseline
// flags) and norm_avx512.cc (the avx512 flags), each copy with internal linkage so the two
// never mix at link time. Plain loops written for the vectoriser: float64 row sums in 8
// independent lanes (summed in a fixed tree, so every set gives the same bits), column
// statistics with one float64 accumulator per column (the inner loop runs along the row,
// unit stride). Floating-point contraction is off in both files, so no set fuses a
// multiply-add the other rounds twice. Internal to the ops.
#pragma once
#include <cmath>
#include <cstdint>

namespace densely {

// Entry points of one kernel set; [r0, r1) are rows, [c0, c1) columns; n = units.
struct NormKernels {
  // LayerNorm forward of rows [r0, r1) (see norm.h); xhat and rstd null: not kept.
  void (*ln_forward)(const float* x, float* y, float* xhat, double* rstd, const float* gamma,
                     const float* beta, int64_t r0, int64_t r1, int64_t n, double eps);
  // LayerNorm backward of all rows: gsum/bsum (null when off) += Σ dy·x̂, Σ dy per column;
  // dx (null: skipped) per row.
  void (*ln_backward)(const float* dy, const float* xhat, const double* rstd, const float* gamma,
                      float* dx, double* gsum, double* bsum, int64_t rows, int64_t n);
  // BatchNorm batch statistics of columns [c0, c1): stats = μ [n], σ² [n], rstd [n].
  void (*bn_stats)(const float* x, int64_t rows, int64_t n, int64_t c0, int64_t c1, double eps,
                   double* stats);
  // y[r, j] ← (x[r, j] − shift_j)·mul_j, into xhat too when non-null, then y ← y·gamma + beta
  // (each null: skipped), columns [c0, c1) of every row.
  void (*bn_apply)(const float* x, float* y, float* xhat, const float* shift, const float* mul,
                   const float* gamma, const float* beta, int64_t rows, int64_t n, int64_t c0,
                   int64_t c1);
  // s1_j = Σ_r dy, s2_j = Σ_r dy·x̂ over columns [c0, c1).
  void (*bn_sums)(const float* dy, const float* xhat, int64_t rows, int64_t n, int64_t c0,
                  int64_t c1, double* s1, double* s2);
  // dx[r, j] ← c_j·((dy − a_j) − x̂·b_j), columns [c0, c1). dx may alias dy.
  void (*bn_dx)(const float* dy, const float* xhat, const float* c, const float* a, const float* b,
                float* dx, int64_t rows, int64_t n, int64_t c0, int64_t c1);
};

// The avx512 set (norm_avx512.cc, x86-64 only); call only when that set is active.
const NormKernels& norm_kernels_avx512();

namespace {

// Σ x[0..n) in float64: 8 lanes, then a fixed tree, then the tail in order.
inline double sum_f64(const float* x, int64_t n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    for (int l = 0; l < 8; ++l) acc[l] += static_cast<double>(x[j + l]);
  }
  double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; j < n; ++j) s += static_cast<double>(x[j]);
  return s;
}

// Σ (x − mean)² in float64, lanes as sum_f64.
inline double sum_sq_dev_f64(const float* x, int64_t n, double mean) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    for (int l = 0; l < 8; ++l) {
      const double v = static_cast<double>(x[j + l]) - mean;
      acc[l] += v * v;
    }
  }
  double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; j < n; ++j) {
    const double v = static_cast<double>(x[j]) - mean;
    s += v * v;
  }
  return s;
}

// Σ a and Σ a·h in float64, lanes as sum_f64.
inline void sum2_f64(const float* a, const float* h, int64_t n, double* sa, double* sah) {
  double p[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  double q[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    for (int l = 0; l < 8; ++l) {
      const double v = static_cast<double>(a[j + l]);
      p[l] += v;
      q[l] += v * static_cast<double>(h[j + l]);
    }
  }
  double s = ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
  double t = ((q[0] + q[1]) + (q[2] + q[3])) + ((q[4] + q[5]) + (q[6] + q[7]));
  for (; j < n; ++j) {
    const double v = static_cast<double>(a[j]);
    s += v;
    t += v * static_cast<double>(h[j]);
  }
  *sa = s;
  *sah = t;
}

// One pass over [c0, c1): h = (x − shift)·mul (per column when kCol, else one scalar each),
// x̂ ← h when kKeep, y ← h·γ + β (each when on). The flags are template parameters, so each
// of the 16 bodies is one branch-free loop; the same roundings in every variant.
template <bool kCol, bool kKeep, bool kGamma, bool kBeta>
inline void apply_span(const float* __restrict x, float* __restrict y, float* __restrict xhat,
                       const float* shift, const float* mul, float s0, float m0, const float* gamma,
                       const float* beta, int64_t c0, int64_t c1) {
  for (int64_t j = c0; j < c1; ++j) {
    const float h = (x[j] - (kCol ? shift[j] : s0)) * (kCol ? mul[j] : m0);
    if (kKeep) xhat[j] = h;
    float v = h;
    if (kGamma) v = v * gamma[j];
    if (kBeta) v = v + beta[j];
    y[j] = v;
  }
}

template <bool kCol>
inline void apply_span_any(const float* x, float* y, float* xhat, const float* shift,
                           const float* mul, float s0, float m0, const float* gamma,
                           const float* beta, int64_t c0, int64_t c1) {
  const int key =
      (xhat != nullptr ? 4 : 0) | (gamma != nullptr ? 2 : 0) | (beta != nullptr ? 1 : 0);
  switch (key) {
    case 0:
      apply_span<kCol, false, false, false>(x, y, xhat, shift, mul, s0, m0, gamma, beta, c0, c1);
      break;
    case 1:
      apply_span<kCol, false, false, true>(x, y, xhat, shift, mul, s0, m0, gamma, beta, c0, c1);
      break;
    case 2:
      apply_span<kCol, false, true, false>(x, y, xhat, shift, mul, s0, m0, gamma, beta, c0, c1);
      break;
    case 3:
      apply_span<kCol, false, true, true>(x, y, xhat, shift, mul, s0, m0, gamma, beta, c0, c1);
      break;
    case 4:
      apply_span<kCol, true, false, false>(x, y, xhat, shift, mul, s0, m0, gamma, beta, c0, c1);
      break;
    case 5:
      apply_span<kCol, true, false, true>(x, y, xhat, shift, mul, s0, m0, gamma, beta, c0, c1);
      break;
    case 6:
      apply_span<kCol, true, true, false>(x, y, xhat, shift, mul, s0, m0, gamma, beta, c0, c1);
      break;
    default:
      apply_span<kCol, true, true, true>(x, y, xhat, shift, mul, s0, m0, gamma, beta, c0, c1);
      break;
  }
}

void ln_forward_rows(const float* x, float* y, float* xhat, double* rstd, const float* gamma,
                     const float* beta, int64_t r0, int64_t r1, int64_t n, double eps) {
  const double inv_n = 1.0 / static_cast<double>(n);
  for (int64_t r = r0; r < r1; ++r) {
    const float* xr = x + r * n;
    const double mean = sum_f64(xr, n) * inv_n;
    const double var = sum_sq_dev_f64(xr, n, mean) * inv_n;
    const double rs = 1.0 / std::sqrt(var + eps);
    if (rstd != nullptr) rstd[r] = rs;
    apply_span_any<false>(xr, y + r * n, xhat == nullptr ? nullptr : xhat + r * n, nullptr, nullptr,
                          static_cast<float>(mean), static_cast<float>(rs), gamma, beta, 0, n);
  }
}

void ln_backward_all(const float* dy, const float* xhat, const double* rstd, const float* gamma,
                     float* dx, double* gsum, double* bsum, int64_t rows, int64_t n) {
  const double inv_n = 1.0 / static_cast<double>(n);
  for (int64_t r = 0; r < rows; ++r) {
    const float* dr = dy + r * n;
    const float* hr = xhat + r * n;
    if (gsum != nullptr && bsum != nullptr) {
      for (int64_t j = 0; j < n; ++j) {
        const double v = static_cast<double>(dr[j]);
        gsum[j] += v * static_cast<double>(hr[j]);
        bsum[j] += v;
      }
    } else if (gsum != nullptr) {
      for (int64_t j = 0; j < n; ++j)
        gsum[j] += static_cast<double>(dr[j]) * static_cast<double>(hr[j]);
    } else if (bsum != nullptr) {
      for (int64_t j = 0; j < n; ++j) bsum[j] += static_cast<double>(dr[j]);
    }
    if (dx == nullptr) continue;
    float* xr = dx + r * n;
    double s1 = 0.0, s2 = 0.0;
    if (gamma != nullptr) {
      // g = γ·dy, written to dx first (dx may alias dy: dy's row is not read again).
      for (int64_t j = 0; j < n; ++j) xr[j] = dr[j] * gamma[j];
      sum2_f64(xr, hr, n, &s1, &s2);
    } else {
      sum2_f64(dr, hr, n, &s1, &s2);
      if (xr != dr) {
        for (int64_t j = 0; j < n; ++j) xr[j] = dr[j];
      }
    }
    const float a = static_cast<float>(s1 * inv_n);
    const float b = static_cast<float>(s2 * inv_n);
    const float c = static_cast<float>(rstd[r]);
    for (int64_t j = 0; j < n; ++j) xr[j] = c * ((xr[j] - a) - hr[j] * b);
  }
}

void bn_stats_cols(const float* x, int64_t rows, int64_t n, int64_t c0, int64_t c1, double eps,
                   double* stats) {
  double* mean = stats;
  double* var = stats + n;
  double* rstd = stats + 2 * n;
  const double inv_m = 1.0 / static_cast<double>(rows);
  for (int64_t j = c0; j < c1; ++j) mean[j] = 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    for (int64_t j = c0; j < c1; ++j) mean[j] += static_cast<double>(xr[j]);
  }
  for (int64_t j = c0; j < c1; ++j) {
    mean[j] *= inv_m;
    var[j] = 0.0;
  }
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    for (int64_t j = c0; j < c1; ++j) {
      const double v = static_cast<double>(xr[j]) - mean[j];
      var[j] += v * v;
    }
  }
  for (int64_t j = c0; j < c1; ++j) {
    var[j] *= inv_m;
    rstd[j] = 1.0 / std::sqrt(var[j] + eps);
  }
}

void bn_apply_cols(const float* x, float* y, float* xhat, const float* shift, const float* mul,
                   const float* gamma, const float* beta, int64_t rows, int64_t n, int64_t c0,
                   int64_t c1) {
  // Offsets so that column j of row r is [j] of the row pointers, as apply_span indexes.
  for (int64_t r = 0; r < rows; ++r) {
    apply_span_any<true>(x + r * n, y + r * n, xhat == nullptr ? nullptr : xhat + r * n, shift, mul,
                         0.0f, 0.0f, gamma, beta, c0, c1);
  }
}

void bn_sums_cols(const float* dy, const float* xhat, int64_t rows, int64_t n, int64_t c0,
                  int64_t c1, double* s1, double* s2) {
  for (int64_t j = c0; j < c1; ++j) s1[j] = s2[j] = 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* dr = dy + r * n;
    const float* hr = xhat + r * n;
    for (int64_t j = c0; j < c1; ++j) {
      const double v = static_cast<double>(dr[j]);
      s1[j] += v;
      s2[j] += v * static_cast<double>(hr[j]);
    }
  }
}

void bn_dx_cols(const float* dy, const float* xhat, const float* c, const float* a, const float* b,
                float* dx, int64_t rows, int64_t n, int64_t c0, int64_t c1) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* dr = dy + r * n;
    const float* hr = xhat + r * n;
    float* xr = dx + r * n;
    for (int64_t j = c0; j < c1; ++j) xr[j] = c[j] * ((dr[j] - a[j]) - hr[j] * b[j]);
  }
}

inline NormKernels make_norm_kernels() {
  return NormKernels{&ln_forward_rows, &ln_backward_all, &bn_stats_cols,
                     &bn_apply_cols,   &bn_sums_cols,    &bn_dx_cols};
}

}  // namespace
}  // namespace densely
