// LayerNorm and BatchNorm: see norm.h for the contract and the formulas.
//
// The loops are in norm_kernels.h, compiled here at the baseline and again in
// norm_avx512.cc; active_isa() picks the set once per call. Work is memory-bound (a few
// flops per element and two or three passes over rows × units floats that the Dense pass
// before just wrote, mostly still in L2), so the loops are plain code the vectoriser
// handles: float64 row sums in 8 lanes, float32 elementwise passes, and column
// statistics with a float64 accumulator per column.
//
// Threads: LayerNorm forward splits whole rows, BatchNorm splits whole columns, both in
// blocks fixed by the sizes; the backward passes that sum over rows into the parameter
// gradients (LayerNorm) run on the calling thread. No sum is ever split, so every result
// is the same for any thread count.
#include "norm.h"

#include <cmath>

#include "ops/norm_kernels.h"
#include "ops/split.h"
#include "runtime/cpu.h"

#if defined(__x86_64__) || defined(_M_X64)
#define DENSELY_NORM_AVX512 1
#endif

namespace densely {
namespace {

const NormKernels& kernels() {
  static const NormKernels base = make_norm_kernels();
#ifdef DENSELY_NORM_AVX512
  if (active_isa() == Isa::kAvx512) return norm_kernels_avx512();
#endif
  return base;
}

// Rows per block of LayerNorm forward, and columns per block of BatchNorm (whole cache
// lines of a row: 64 floats = 4 lines).
constexpr int64_t kRowBlock = 16;
constexpr int64_t kColBlock = 64;

const float* param_or_null(const float* params, int64_t offset) {
  return offset < 0 ? nullptr : params + offset;
}

}  // namespace

void layer_norm_forward(const NormDesc& d, const float* params, const float* x, int64_t rows,
                        float* y, float* xhat, double* rstd) {
  const NormKernels& k = kernels();
  const int64_t n = d.units;
  const float* gamma = param_or_null(params, d.gamma_offset);
  const float* beta = param_or_null(params, d.beta_offset);
  split_blocks(rows, kRowBlock, 4 * n, [&](int64_t r0, int64_t r1) {
    k.ln_forward(x, y, xhat, rstd, gamma, beta, r0, r1, n, d.epsilon);
  });
}

void layer_norm_backward(const NormDesc& d, const float* params, const float* dy, const float* xhat,
                         const double* rstd, int64_t rows, float* grads, float* dx,
                         double* scratch) {
  const int64_t n = d.units;
  double* gsum = d.gamma_offset >= 0 ? scratch : nullptr;
  double* bsum = d.beta_offset >= 0 ? scratch + n : nullptr;
  for (int64_t j = 0; j < 2 * n; ++j) scratch[j] = 0.0;
  kernels().ln_backward(dy, xhat, rstd, param_or_null(params, d.gamma_offset), dx, gsum, bsum, rows,
                        n);
  if (gsum != nullptr) {
    for (int64_t j = 0; j < n; ++j) grads[d.gamma_offset + j] = static_cast<float>(gsum[j]);
  }
  if (bsum != nullptr) {
    for (int64_t j = 0; j < n; ++j) grads[d.beta_offset + j] = static_cast<float>(bsum[j]);
  }
}

void batch_norm_train_forward(const NormDesc& d, const float* params, const float* x, int64_t rows,
                              float* y, float* xhat, double* stats, float* fscratch) {
  const NormKernels& k = kernels();
  const int64_t n = d.units;
  float* shift = fscratch;
  float* mul = fscratch + n;
  const float* gamma = param_or_null(params, d.gamma_offset);
  const float* beta = param_or_null(params, d.beta_offset);
  split_blocks(n, kColBlock, 8 * rows, [&](int64_t c0, int64_t c1) {
    k.bn_stats(x, rows, n, c0, c1, d.epsilon, stats);
    for (int64_t j = c0; j < c1; ++j) {
      shift[j] = static_cast<float>(stats[j]);
      mul[j] = static_cast<float>(stats[2 * n + j]);
    }
    k.bn_apply(x, y, xhat, shift, mul, gamma, beta, rows, n, c0, c1);
  });
}

void batch_norm_infer_forward(const NormDesc& d, const float* params, const float* buffers,
                              const float* x, int64_t rows, float* y, float* fscratch) {
  const int64_t n = d.units;
  const float* mean = buffers + d.stats_offset;
  const float* var = mean + n;
  const float* gamma = param_or_null(params, d.gamma_offset);
  const float* beta = param_or_null(params, d.beta_offset);
  float* mul = fscratch;
  for (int64_t j = 0; j < n; ++j) {
    const double g = gamma != nullptr ? static_cast<double>(gamma[j]) : 1.0;
    mul[j] = static_cast<float>(g / std::sqrt(static_cast<double>(var[j]) + d.epsilon));
  }
  const NormKernels& k = kernels();
  split_blocks(n, kColBlock, 3 * rows, [&](int64_t c0, int64_t c1) {
    k.bn_apply(x, y, nullptr, mean, mul, nullptr, beta, rows, n, c0, c1);
  });
}

void batch_norm_backward(const NormDesc& d, const float* params, const float* dy, const float* xhat,
                         const double* stats, int64_t rows, float* grads, float* dx,
                         double* scratch, float* fscratch) {
  const NormKernels& k = kernels();
  const int64_t n = d.units;
  double* s1 = scratch;
  double* s2 = scratch + n;
  float* c = fscratch;
  float* a = fscratch + n;
  float* b = fscratch + 2 * n;
  const float* gamma = param_or_null(params, d.gamma_offset);
  const double inv_m = 1.0 / static_cast<double>(rows);
  split_blocks(n, kColBlock, 6 * rows, [&](int64_t c0, int64_t c1) {
    k.bn_sums(dy, xhat, rows, n, c0, c1, s1, s2);
    for (int64_t j = c0; j < c1; ++j) {
      if (d.gamma_offset >= 0) grads[d.gamma_offset + j] = static_cast<float>(s2[j]);
      if (d.beta_offset >= 0) grads[d.beta_offset + j] = static_cast<float>(s1[j]);
    }
    if (dx == nullptr) return;
    for (int64_t j = c0; j < c1; ++j) {
      const double g = gamma != nullptr ? static_cast<double>(gamma[j]) : 1.0;
      c[j] = static_cast<float>(stats[2 * n + j] * g);
      a[j] = static_cast<float>(s1[j] * inv_m);
      b[j] = static_cast<float>(s2[j] * inv_m);
    }
    k.bn_dx(dy, xhat, c, a, b, dx, rows, n, c0, c1);
  });
}

void batch_norm_update_running(const NormDesc& d, const double* stats, int64_t rows,
                               float* buffers) {
  const int64_t n = d.units;
  float* mean = buffers + d.stats_offset;
  float* var = mean + n;
  const double mom = d.momentum;
  const double unbias = rows > 1 ? static_cast<double>(rows) / static_cast<double>(rows - 1) : 1.0;
  for (int64_t j = 0; j < n; ++j) {
    mean[j] = static_cast<float>((1.0 - mom) * static_cast<double>(mean[j]) + mom * stats[j]);
    var[j] = static_cast<float>((1.0 - mom) * static_cast<double>(var[j]) +
                                mom * (stats[n + j] * unbias));
  }
}

}  // namespace densely
