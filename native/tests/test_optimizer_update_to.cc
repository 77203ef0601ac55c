// The out-of-place optimizer update (optimizer_update_to, train_epoch's overflow guard)
// against the in-place one (optimizer_update), for every optimizer and option.
// All of it on every kernel set (isa_legs.h: one CTest leg per set, a set this
// CPU lacks reported as skipped).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "check.h"
#include "isa_legs.h"
#include "ops/optimizers.h"
#include "runtime/cpu.h"

using namespace densely;

namespace {

densely_test::Lcg g_rng(12345);
float next_uniform() { return g_rng.uniform(-1.0f, 1.0f); }  // in [-1, 1)

void check_out_of_place(const OptimizerSpec& spec) {
  const int64_t n = 37;  // SSE2 lanes and a scalar tail
  std::vector<float> th(n), g(n), s1(n), s2(n);
  for (int64_t i = 0; i < n; ++i) {
    th[i] = next_uniform();
    g[i] = next_uniform();
    s1[i] = next_uniform();
    s2[i] = std::fabs(next_uniform());
  }
  const int slots = optimizer_slots(spec);
  for (int64_t t = 1; t <= 2; ++t) {
    const OptimizerStep k = optimizer_step(spec, t);
    std::vector<float> th_a = th, s1_a = s1, s2_a = s2, th_b = th, s1_b = s1, s2_b = s2;
    std::vector<float> oth(n, -7.0f), os1(n, -7.0f), os2(n, -7.0f);
    float* p1a = slots >= 1 ? s1_a.data() : nullptr;
    float* p2a = slots >= 2 ? s2_a.data() : nullptr;
    optimizer_update(spec, k, th_a.data(), g.data(), p1a, p2a, n);
    optimizer_update_to(spec, k, th_b.data(), g.data(), slots >= 1 ? s1_b.data() : nullptr,
                        slots >= 2 ? s2_b.data() : nullptr, n, oth.data(),
                        slots >= 1 ? os1.data() : nullptr, slots >= 2 ? os2.data() : nullptr);
    const size_t bytes = static_cast<size_t>(n) * sizeof(float);
    // The new values equal the in-place update's; the inputs are untouched.
    CHECK(std::memcmp(th_a.data(), oth.data(), bytes) == 0);
    if (slots >= 1) CHECK(std::memcmp(s1_a.data(), os1.data(), bytes) == 0);
    if (slots >= 2) CHECK(std::memcmp(s2_a.data(), os2.data(), bytes) == 0);
    CHECK(std::memcmp(th_b.data(), th.data(), bytes) == 0);
    CHECK(std::memcmp(s1_b.data(), s1.data(), bytes) == 0);
    CHECK(std::memcmp(s2_b.data(), s2.data(), bytes) == 0);
  }
}

void check_all() {
  OptimizerSpec sgd;
  check_out_of_place(sgd);
  sgd.weight_decay = 0.01;
  check_out_of_place(sgd);
  sgd.momentum = 0.9;
  check_out_of_place(sgd);
  sgd.nesterov = true;
  check_out_of_place(sgd);
  OptimizerSpec adam;
  adam.kind = OptimizerKind::kAdam;
  check_out_of_place(adam);
  adam.kind = OptimizerKind::kAdamW;
  adam.weight_decay = 0.01;
  check_out_of_place(adam);
  OptimizerSpec rms;
  rms.kind = OptimizerKind::kRmsProp;
  check_out_of_place(rms);
  rms.momentum = 0.5;
  check_out_of_place(rms);
}

}  // namespace

int main() {
  for (Isa isa : densely_test::isas_under_test("test_optimizer_update_to")) {
    CHECK(force_isa(isa));
    const int before = densely_test::failures();
    check_all();
    if (densely_test::failures() != before) std::printf("  (kernel set %s)\n", isa_name(isa));
  }
  return densely_test::finish("test_optimizer_update_to");
}
