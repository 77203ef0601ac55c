// Gradient clipping by global norm (ops/clip.h) and the regularizers
// (ops/regularizers.h): the norm's float64 sum is the documented fixed sequence of
// roundings (checked against a plain re-implementation of it, bit for bit), the same for
// every kernel set, for 1, 2 and 3 threads and across block boundaries; the clip_grad_norm_ factor;
// the penalty and its gradient (sign(0) = 0).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "check.h"
#include "ops/clip.h"
#include "ops/regularizers.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

using namespace densely;

namespace {

densely_test::Lcg g_rng(7);

// clip_sum_squares as its header states it.
double spelled_out(const std::vector<float>& g, float clip) {
  double total = 0.0;
  const int64_t n = static_cast<int64_t>(g.size());
  for (int64_t s = 0; s < n; s += kClipNormBlock) {
    const int64_t e = n - s < kClipNormBlock ? n : s + kClipNormBlock;
    double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t i = s; i < e; ++i) {
      const float v = g[static_cast<size_t>(i)];
      const float x = v < -clip ? -clip : (v > clip ? clip : v);
      a[(i - s) % 8] += static_cast<double>(x) * static_cast<double>(x);
    }
    total += ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
  }
  return total;
}

void check_norm() {
  const float inf = std::numeric_limits<float>::infinity();
  for (int64_t n : {0, 1, 7, 8, 9, 16383, 16384, 16385, 100000}) {
    std::vector<float> g(static_cast<size_t>(n));
    for (float& v : g) v = g_rng.uniform(-3.0f, 3.0f);
    std::vector<double> parts(static_cast<size_t>(clip_norm_blocks(n)) + 1);
    for (float clip : {inf, 0.5f}) {
      const double want = spelled_out(g, clip);
      // Every kernel set the CPU has (lanes are the accumulators) and thread count.
      for (Isa isa : {Isa::kScalar, Isa::kSse2, Isa::kAvx2, Isa::kAvx512}) {
        if (!force_isa(isa)) continue;
        for (int threads : {1, 2, 3}) {
          set_threads(threads);
          const double got = clip_sum_squares(g.data(), n, clip, parts.data());
          CHECK(std::memcmp(&got, &want, sizeof got) == 0);
        }
      }
    }
  }
  set_threads(1);
  // Factor: maxNorm / (‖g‖ + 1e-6) below 1, else 1.
  CHECK(clip_norm_scale(4.0, 1.0) == static_cast<float>(1.0 / (2.0 + 1e-6)));
  CHECK(clip_norm_scale(0.25, 1.0) == 1.0f);
  CHECK(clip_norm_scale(0.0, 1.0) == 1.0f);
}

void check_penalty() {
  const std::vector<float> w = {0.5f, -2.0f, 0.0f, 3.0f};
  CHECK(penalty_value(w.data(), 4, 0.1, 0.0) == 0.1 * 5.5);
  CHECK(penalty_value(w.data(), 4, 0.0, 0.5) == 0.5 * (0.25 + 4.0 + 9.0));
  std::vector<float> g = {1.0f, 1.0f, 1.0f, 1.0f};
  penalty_grad_add(w.data(), g.data(), 4, 0.25, 0.5);
  CHECK(g[0] == 1.0f + (0.25f + 1.0f * 0.5f));
  CHECK(g[1] == 1.0f + (-0.25f + 1.0f * -2.0f));
  CHECK(g[2] == 1.0f);  // sign(0) = 0
  CHECK(g[3] == 1.0f + (0.25f + 3.0f));
  std::vector<float> h = g;
  penalty_grad_add(w.data(), h.data(), 4, 0.0, 0.0);
  CHECK(h == g);
}

}  // namespace

int main() {
  check_norm();
  check_penalty();
  return densely_test::finish("test_clip");
}
