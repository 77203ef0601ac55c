// The optimizer loops on every kernel set this CPU supports (scalar tail only, SSE2,
// AVX, AVX-512 with its masked tail): the same IEEE operations in the same order, so
// every ISA and every split of the range must give the very same bits, in place and out
// of place, for every rule (sgd plain, with weight decay, momentum and nesterov; adam;
// adamw; rmsprop with and without momentum). The reference is the per-element rule
// written out here in plain float32 (PyTorch's update, lib/backend/types.ts
// OptimizerSpec), on the clipped gradient (clip_value's clamp, clip_norm's factor).
// CTest runs it once per set (isa_legs.h); a set this CPU lacks is
// reported as skipped.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "check.h"
#include "isa_legs.h"
#include "ops/optimizers.h"
#include "runtime/cpu.h"

using namespace densely;

namespace {

densely_test::Lcg g_rng(99);
std::vector<Isa> g_isas;
float uniform(float lo, float hi) { return g_rng.uniform(lo, hi); }

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return false;
  // memcmp must not see the null data() of an empty vector (UBSan: nonnull argument).
  return a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// One element of each rule, float32 throughout (volatile stops any contraction or
// reassociation the optimiser might otherwise try).
void reference(const OptimizerSpec& spec, const OptimizerStep& k, float& th, float g0, float& s1,
               float& s2) {
  volatile float t = th;
  if (spec.kind == OptimizerKind::kSgd) {
    if (spec.momentum == 0.0) {
      if (k.wd == 0.0f) {
        volatile float step = k.lr * g0;
        th = t - step;
        return;
      }
      volatile float d = k.wd * t;
      volatile float g = g0 + d;
      volatile float step = k.lr * g;
      th = t - step;
      return;
    }
    volatile float d = k.wd * t;
    volatile float g = g0 + d;
    volatile float bi = g;
    if (!k.first) {
      volatile float mb = k.mu * s1;
      bi = mb + g;
    }
    volatile float dir = bi;
    if (k.nesterov) {
      volatile float mb = k.mu * (k.first ? g : bi);
      dir = g + mb;
    }
    volatile float step = k.lr * dir;
    th = t - step;
    s1 = bi;
    return;
  }
  if (spec.kind == OptimizerKind::kAdam || spec.kind == OptimizerKind::kAdamW) {
    const bool dec = spec.kind == OptimizerKind::kAdamW;
    volatile float t0 = t * (dec ? k.decay : 1.0f);
    volatile float g = g0 + (dec ? 0.0f : k.wd) * t0;
    volatile float a = k.b1 * s1, b = k.ob1 * g;
    volatile float mi = a + b;
    volatile float gg = g * g;
    volatile float c = k.b2 * s2, d = k.ob2 * gg;
    volatile float vi = c + d;
    volatile float sc = vi * k.c2;
    volatile float den = std::sqrt(static_cast<float>(sc)) + k.eps;
    volatile float num = k.lr_c1 * mi;
    volatile float q = num / den;
    th = t0 - q;
    s1 = mi;
    s2 = vi;
  } else {  // rmsprop
    volatile float d = k.wd * t;
    volatile float g = g0 + d;
    volatile float gg = g * g;
    volatile float a = k.rho * s1, b = k.orho * gg;
    volatile float vi = a + b;
    volatile float den = std::sqrt(static_cast<float>(vi)) + k.eps;
    volatile float q = g / den;
    s1 = vi;
    if (spec.momentum == 0.0) {
      volatile float step = k.lr * q;
      th = t - step;
    } else {
      volatile float mb = k.mu * s2;
      volatile float bi = mb + q;
      volatile float step = k.lr * bi;
      th = t - step;
      s2 = bi;
    }
  }
}

// The clipped gradient (OptimizerStep clip, gscale), written out: max(−clip, g), then
// min(clip, ·) (a NaN passes both), then × gscale.
float clipped(const OptimizerStep& k, float g0) {
  volatile float lo = -k.clip, hi = k.clip;
  volatile float x = lo > g0 ? lo : g0;
  x = hi < x ? hi : x;
  volatile float c = x * k.gscale;
  return c;
}

void check_rule(const OptimizerSpec& spec, int64_t n, float gscale = 1.0f) {
  std::vector<float> th(n), g(n), s1(n), s2(n);
  for (int64_t i = 0; i < n; ++i) {
    th[i] = uniform(-2.0f, 2.0f);
    g[i] = uniform(-1.0f, 1.0f) * (i % 7 == 0 ? 1e-6f : 1.0f);
    s1[i] = uniform(-0.1f, 0.1f);
    s2[i] = uniform(0.0f, 0.01f);
  }
  const int slots = optimizer_slots(spec);
  for (int64_t t = 1; t <= 3; ++t) {
    OptimizerStep k = optimizer_step(spec, t);
    k.gscale = gscale;  // as Network sets it for clip_norm
    std::vector<float> rth = th, rs1 = s1, rs2 = s2;
    for (int64_t i = 0; i < n; ++i) reference(spec, k, rth[i], clipped(k, g[i]), rs1[i], rs2[i]);
    for (Isa isa : g_isas) {
      CHECK(force_isa(isa));
      for (int out_of_place = 0; out_of_place < 2; ++out_of_place) {
        std::vector<float> a = th, b1 = s1, b2 = s2;
        // Out of place (the guarded steps of train_epoch): the new values go to other
        // arrays and the inputs must be left exactly as they were.
        std::vector<float> oth(n, -1.0f), os1(n, -1.0f), os2(n, -1.0f);
        // Split the range at an odd point: the result must not depend on it.
        const int64_t cut = n / 3;
        for (int part = 0; part < 2; ++part) {
          const int64_t o = part == 0 ? 0 : cut, len = part == 0 ? cut : n - cut;
          float* p1 = slots >= 1 ? b1.data() + o : nullptr;
          float* p2 = slots >= 2 ? b2.data() + o : nullptr;
          if (out_of_place) {
            optimizer_update_to(spec, k, a.data() + o, g.data() + o, p1, p2, len, oth.data() + o,
                                slots >= 1 ? os1.data() + o : nullptr,
                                slots >= 2 ? os2.data() + o : nullptr);
          } else {
            optimizer_update(spec, k, a.data() + o, g.data() + o, p1, p2, len);
          }
        }
        if (out_of_place) {
          CHECK(same_bits(a, th));
          CHECK(same_bits(b1, s1));
          CHECK(same_bits(b2, s2));
          a = oth;
          if (slots >= 1) b1 = os1;
          if (slots >= 2) b2 = os2;
        }
        CHECK(same_bits(a, rth));
        CHECK(same_bits(b1, rs1));
        if (slots >= 2) CHECK(same_bits(b2, rs2));
      }
    }
    th = rth;
    s1 = rs1;
    s2 = rs2;
  }
}

// optimizer_update_to reports a non-finite new θ wherever it lands: in an AVX-512, AVX
// or SSE2 lane, in the masked tail or in the scalar tail (n = 37: two 16-lane vectors
// and a 5-lane masked one; four 8-lane vectors, one 4-lane one, one scalar), on every
// ISA and for every rule, on the first step (sgd's momentum buffer starts from g) and a
// later one; all-finite updates report true.
void check_finite_flag(const OptimizerSpec& spec) {
  const int64_t n = 37;
  const int slots = optimizer_slots(spec);
  for (int64_t t : {1, 2}) {
    const OptimizerStep k = optimizer_step(spec, t);
    for (Isa isa : g_isas) {
      CHECK(force_isa(isa));
      for (int64_t bad = -1; bad < n; ++bad) {
        std::vector<float> th(n), g(n), s1(n), s2(n), oth(n), os1(n), os2(n);
        for (int64_t i = 0; i < n; ++i) {
          th[i] = uniform(-1.0f, 1.0f);
          g[i] = uniform(-1.0f, 1.0f);
          s1[i] = uniform(0.0f, 0.1f);  // rmsprop's v: never negative
          s2[i] = uniform(0.0f, 0.01f);
        }
        // An infinite or NaN θ stays non-finite through every rule.
        if (bad >= 0)
          th[bad] = bad % 2 == 0 ? std::numeric_limits<float>::infinity() : std::nanf("");
        const bool finite = optimizer_update_to(
            spec, k, th.data(), g.data(), slots >= 1 ? s1.data() : nullptr,
            slots >= 2 ? s2.data() : nullptr, n, oth.data(), slots >= 1 ? os1.data() : nullptr,
            slots >= 2 ? os2.data() : nullptr);
        CHECK(finite == (bad < 0));
      }
    }
  }
}

}  // namespace

int main() {
  OptimizerSpec adam;
  adam.kind = OptimizerKind::kAdam;
  adam.learning_rate = 1e-3;
  adam.weight_decay = 0.01;
  OptimizerSpec adamw = adam;
  adamw.kind = OptimizerKind::kAdamW;
  OptimizerSpec rms;
  rms.kind = OptimizerKind::kRmsProp;
  rms.learning_rate = 0.01;
  rms.weight_decay = 0.001;
  OptimizerSpec rms_mom = rms;
  rms_mom.momentum = 0.9;
  OptimizerSpec sgd;
  sgd.kind = OptimizerKind::kSgd;
  sgd.learning_rate = 0.05;
  OptimizerSpec sgd_wd = sgd;
  sgd_wd.weight_decay = 0.01;
  OptimizerSpec sgd_mom = sgd_wd;
  sgd_mom.momentum = 0.9;
  OptimizerSpec sgd_nesterov = sgd_mom;
  sgd_nesterov.nesterov = true;
  const OptimizerSpec all[] = {adam, adamw, rms, rms_mom, sgd, sgd_wd, sgd_mom, sgd_nesterov};
  g_isas = densely_test::isas_under_test("test_optimizers");
  for (int64_t n : {0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 31, 33, 47, 100, 1027}) {
    for (const OptimizerSpec& spec : all) check_rule(spec, n);
    // Clipping fused in every loop: clip_value alone, with a clip_norm factor, and the
    // factor alone.
    for (OptimizerSpec spec : all) {
      spec.clip_value = 0.5;
      check_rule(spec, n);
      check_rule(spec, n, 0.37f);
      spec.clip_value = 0.0;
      check_rule(spec, n, 0.61f);
    }
  }
  for (const OptimizerSpec& spec : all) check_finite_flag(spec);
  std::printf("test_optimizers: %zu kernel set(s) tested\n", g_isas.size());
  return densely_test::finish("test_optimizers");
}
