// Dropout (ops/dropout.h) on every kernel set (isa_legs.h: one CTest leg per set, a set
// this CPU lacks reported as skipped): the mask, the scaled output and the backward
// pass must equal, bit for bit, the element-by-element rule written out here with
// network/random.h's dropout_keep (the mirror of lib/random.ts, so js draws the same
// mask) — for lengths around the vector widths (the masked tails), rates 0, 0.5, 0.9,
// in place and out of place, with 1 and 3 threads on a block big enough to be split.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "check.h"
#include "isa_legs.h"
#include "network/random.h"
#include "ops/dropout.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

using namespace densely;

namespace {

densely_test::Lcg g_rng(77);

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

void check_case(Isa isa, int64_t rows, int64_t units, double rate, bool in_place, uint32_t seed) {
  const int64_t n = rows * units;
  const uint32_t threshold = dropout_threshold(rate);
  const float scale = static_cast<float>(1.0 / (1.0 - rate));
  std::vector<float> x(static_cast<size_t>(n) + 1), d(static_cast<size_t>(n) + 1);
  for (float& v : x) v = g_rng.uniform(-3.0f, 3.0f);
  for (float& v : d) v = g_rng.uniform(-1.0f, 1.0f);
  // The rule, element by element; one past the end must stay untouched.
  std::vector<float> want_out(x), want_d(d);
  std::vector<uint8_t> want_mask(static_cast<size_t>(n) + 1, 9);
  for (int64_t i = 0; i < n; ++i) {
    const bool keep = dropout_keep(seed, static_cast<uint64_t>(i), threshold);
    want_mask[i] = keep ? 1 : 0;
    want_out[i] = keep ? x[i] * scale : 0.0f;
    want_d[i] = keep ? d[i] * scale : 0.0f;
  }
  std::vector<float> out(x.size(), 5.0f);
  std::vector<uint8_t> mask(static_cast<size_t>(n) + 1, 9);
  if (in_place) {
    out = x;
    dropout_forward(out.data(), out.data(), mask.data(), rows, units, seed, threshold, scale);
  } else {
    dropout_forward(x.data(), out.data(), mask.data(), rows, units, seed, threshold, scale);
    want_out[static_cast<size_t>(n)] = 5.0f;
  }
  std::vector<float> dd = d;
  dropout_backward(dd.data(), mask.data(), n, scale);
  const bool ok = same_bits(out, want_out) && mask == want_mask && same_bits(dd, want_d);
  CHECK(ok);
  if (!ok) {
    std::printf("  dropout %lld×%lld rate %g %s on %s\n", static_cast<long long>(rows),
                static_cast<long long>(units), rate, in_place ? "in place" : "out of place",
                isa_name(isa));
  }
}

void check_threads(uint32_t seed) {
  const int64_t rows = 64, units = 1000, n = rows * units;
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = g_rng.uniform(-3.0f, 3.0f);
  std::vector<float> out[2], d[2];
  std::vector<uint8_t> mask[2];
  for (int t = 0; t < 2; ++t) {
    set_threads(t == 0 ? 1 : 3);
    out[t].assign(x.size(), 0.0f);
    mask[t].assign(x.size(), 0);
    dropout_forward(x.data(), out[t].data(), mask[t].data(), rows, units, seed,
                    dropout_threshold(0.3), 1.0f / 0.7f);
    d[t] = x;
    dropout_backward(d[t].data(), mask[t].data(), n, 1.0f / 0.7f);
  }
  set_threads(1);
  CHECK(same_bits(out[0], out[1]) && mask[0] == mask[1] && same_bits(d[0], d[1]));
}

}  // namespace

int main() {
  const int64_t shapes[][2] = {{1, 1},  {1, 7},  {1, 15},  {1, 16},  {1, 17},
                               {3, 11}, {2, 33}, {64, 10}, {5, 130}, {1, 8193}};
  for (Isa isa : densely_test::isas_under_test("test_dropout")) {
    CHECK(force_isa(isa));
    for (const auto& s : shapes) {
      for (double rate : {0.0, 0.5, 0.9}) {
        check_case(isa, s[0], s[1], rate, false, 0x1234567u);
        check_case(isa, s[0], s[1], rate, true, 0xdeadbeefu);
      }
    }
    check_threads(42u);
  }
  return densely_test::finish("test_dropout");
}
