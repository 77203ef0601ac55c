// tanh (ops/activations.cc: one float64 exp, z returned as is below 2^-12) must give the
// correctly rounded float32 tanh (checked against libm's float64 tanh) on a dense grid,
// at the tiny and saturated ends, for ±0 (sign kept) and NaN, and the same bits whether
// an element comes in a long block or alone.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "check.h"
#include "ops/activations.h"

using namespace densely;

int main() {
  std::vector<float> z;
  for (double v = -25.0; v <= 25.0; v += 0.000731) z.push_back(static_cast<float>(v));
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-8f, 2.4e-4f, 2.45e-4f, -2.45e-4f, 1e-3f, 0.5f,
                  20.0f, -20.0f, 19.999f, 1e-45f, 3.4e38f, -3.4e38f}) {
    z.push_back(v);
  }
  z.push_back(NAN);
  z.push_back(INFINITY);
  z.push_back(-INFINITY);
  std::vector<float> a(z.size());
  activation_forward(kTanh, 0.0f, z.data(), a.data(), 1, static_cast<int64_t>(z.size()));
  int64_t wrong = 0, path = 0;
  for (size_t i = 0; i < z.size(); ++i) {
    const float want = static_cast<float>(std::tanh(static_cast<double>(z[i])));
    if (std::isnan(want)) {
      if (!std::isnan(a[i])) ++wrong;
    } else if (std::memcmp(&want, &a[i], sizeof want) != 0) {  // bits: -0 stays -0
      ++wrong;
    }
    float one;
    activation_forward(kTanh, 0.0f, &z[i], &one, 1, 1);  // the one-element (tail) path
    if (!(std::memcmp(&one, &a[i], sizeof one) == 0 || (std::isnan(one) && std::isnan(a[i])))) ++path;
  }
  CHECK(wrong == 0);
  CHECK(path == 0);
  if (wrong != 0 || path != 0) {
    std::printf("tanh: %lld of %zu not correctly rounded, %lld differ between paths\n",
                static_cast<long long>(wrong), z.size(), static_cast<long long>(path));
  }
  return densely_test::finish("test_activations");
}
