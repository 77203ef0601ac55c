// Weight regularizers: see regularizers.h.
#include "regularizers.h"

#include <cmath>

namespace densely {

double penalty_value(const float* w, int64_t n, double l1, double l2) {
  double s1 = 0.0, s2 = 0.0;
  if (l1 != 0.0) {
    for (int64_t i = 0; i < n; ++i) s1 += std::fabs(static_cast<double>(w[i]));
  }
  if (l2 != 0.0) {
    for (int64_t i = 0; i < n; ++i) {
      const double d = w[i];
      s2 += d * d;
    }
  }
  return l1 * s1 + l2 * s2;
}

void penalty_grad_add(const float* w, float* g, int64_t n, double l1, double l2) {
  const float a = static_cast<float>(l1), b = static_cast<float>(2.0 * l2);
  if (a == 0.0f && b == 0.0f) return;
  for (int64_t i = 0; i < n; ++i) {
    const float x = w[i];
    const float s = x > 0.0f ? a : (x < 0.0f ? -a : 0.0f);
    g[i] = g[i] + (s + b * x);
  }
}

}  // namespace densely
