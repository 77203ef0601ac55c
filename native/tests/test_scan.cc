// copy_first_outside (ops/scan.h) on every kernel set this CPU supports: the copy, the
// index of the first element outside [lo, hi] (NaN, ±inf, just past either bound), on
// lengths around the vector widths (4, 8, 16, 32) and the 4096-float block, with the
// bad element at the start, inside, and in the last (masked) lanes.
#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include "check.h"
#include "ops/scan.h"
#include "runtime/cpu.h"

using namespace densely;

namespace {

void check_case(Isa isa, int64_t n, int64_t bad_at, float bad, densely_test::Lcg& rng) {
  const float lo = -2.0f, hi = 3.0f;
  std::vector<float> src(static_cast<size_t>(n) + 1), dst(static_cast<size_t>(n) + 1, -7.0f);
  for (int64_t i = 0; i < n; ++i) src[static_cast<size_t>(i)] = rng.uniform(lo, hi);
  src[static_cast<size_t>(n)] =
      std::numeric_limits<float>::quiet_NaN();  // past the end: never read
  if (bad_at >= 0) src[static_cast<size_t>(bad_at)] = bad;
  const int64_t got = copy_first_outside(src.data(), dst.data(), n, lo, hi);
  CHECK(got == bad_at);
  // On success the whole range is copied; on a hit at least everything before it is.
  const int64_t copied = bad_at < 0 ? n : bad_at;
  bool same = true;
  for (int64_t i = 0; i < copied; ++i)
    same = same && dst[static_cast<size_t>(i)] == src[static_cast<size_t>(i)];
  CHECK(same);
  CHECK(dst[static_cast<size_t>(n)] == -7.0f);  // one past the end: never written
  if (got != bad_at || !same) {
    std::printf("  isa %s n %lld bad_at %lld value %g: got %lld\n", isa_name(isa),
                static_cast<long long>(n), static_cast<long long>(bad_at), static_cast<double>(bad),
                static_cast<long long>(got));
  }
}

}  // namespace

int main() {
  const float inf = std::numeric_limits<float>::infinity();
  const float bads[] = {std::numeric_limits<float>::quiet_NaN(), inf, -inf, 3.0000002f,
                        -2.0000002f};
  const int64_t lengths[] = {0,  1,  3,  4,  5,  7,  8,   15,   16,   17,   31,
                             32, 33, 47, 63, 64, 65, 100, 4095, 4096, 4097, 8192 + 33};
  int sets = 0;
  for (Isa isa : {Isa::kScalar, Isa::kSse2, Isa::kAvx2, Isa::kAvx512, Isa::kNeon}) {
    if (!force_isa(isa)) {
      std::printf("test_scan: %s skipped (not supported here)\n", isa_name(isa));
      continue;
    }
    ++sets;
    densely_test::Lcg rng(12345u);
    for (int64_t n : lengths) {
      check_case(isa, n, -1, 0.0f, rng);
      for (float bad : bads) {
        if (n == 0) continue;
        for (int64_t at : {int64_t{0}, n / 2, n - 1}) check_case(isa, n, at, bad, rng);
      }
    }
    // Exactly on the bounds is inside.
    std::vector<float> edge = {-2.0f, 3.0f,  -2.0f, 3.0f,  -2.0f, 3.0f,  -2.0f, 3.0f,  -2.0f,
                               3.0f,  -2.0f, 3.0f,  -2.0f, 3.0f,  -2.0f, 3.0f,  -2.0f, 3.0f};
    std::vector<float> out(edge.size());
    CHECK(copy_first_outside(edge.data(), out.data(), static_cast<int64_t>(edge.size()), -2.0f,
                             3.0f) == -1);
  }
  std::printf("test_scan: %d kernel set(s) tested\n", sets);
  return densely_test::finish("test_scan");
}
