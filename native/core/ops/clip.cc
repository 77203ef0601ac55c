// Gradient clipping by global norm: see clip.h.
#include "clip.h"

#include <cmath>

#include "split.h"

namespace densely {

namespace {

double block_sum(const float* g, int64_t n, float clip) {
  const float lo = -clip, hi = clip;
  double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) {
      float x = lo > g[i + j] ? lo : g[i + j];
      x = hi < x ? hi : x;
      const double d = x;
      a[j] += d * d;
    }
  }
  for (int j = 0; i < n; ++i, ++j) {
    float x = lo > g[i] ? lo : g[i];
    x = hi < x ? hi : x;
    const double d = x;
    a[j] += d * d;
  }
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

}  // namespace

double clip_sum_squares(const float* g, int64_t n, float clip, double* partials) {
  if (n <= 0) return 0.0;
  const int64_t blocks = clip_norm_blocks(n);
  split_blocks(blocks, 1, kClipNormBlock, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t s = b * kClipNormBlock;
      const int64_t e = n - s < kClipNormBlock ? n : s + kClipNormBlock;
      partials[b] = block_sum(g + s, e - s, clip);
    }
  });
  double sum = 0.0;
  for (int64_t b = 0; b < blocks; ++b) sum += partials[b];
  return sum;
}

float clip_norm_scale(double sum_sq, double max_norm) {
  const double coef = max_norm / (std::sqrt(sum_sq) + 1e-6);
  return coef < 1.0 ? static_cast<float>(coef) : 1.0f;
}

}  // namespace densely
