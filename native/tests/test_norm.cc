// LayerNorm and BatchNorm (ops/norm.h) against a float64 reference written from the
// Jacobian (∂y_k/∂x_i summed element by element, not the closed forms the kernels use),
// for widths around the 8-lane sums' tails and row counts 2..37, every center/scale
// combination. Then: every kernel set this CPU has, and 1 or 3 threads, give the same
// bits; the running-statistics update; model_spec_valid on norm layers; and a Network
// whose gradients() leaves the running statistics alone while an applied train_step
// moves them and a skipped one (non-finite loss) does not.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "check.h"
#include "network/network.h"
#include "ops/norm.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

using namespace densely;

namespace {

densely_test::Lcg g_rng(2024);

struct Case {
  bool batch;
  int64_t rows, n;
  bool center, scale;
};

// The outputs of one run of the kernels on fixed inputs.
struct Run {
  std::vector<float> y, xhat, dx, grads, yinf;
};

// Inputs of a case, fixed per case.
struct Inputs {
  std::vector<float> x, dy, params, buffers;
  NormDesc d;
};

Inputs make_inputs(const Case& c) {
  Inputs in;
  const size_t e = static_cast<size_t>(c.rows * c.n);
  in.x.resize(e);
  in.dy.resize(e);
  // A per-column offset so batch and row statistics differ from 0 and 1.
  for (int64_t r = 0; r < c.rows; ++r)
    for (int64_t j = 0; j < c.n; ++j)
      in.x[r * c.n + j] = g_rng.uniform(-2.0f, 2.0f) + 0.25f * static_cast<float>(j % 5);
  for (float& v : in.dy) v = g_rng.uniform(-1.0f, 1.0f);
  in.d.kind = c.batch ? NormKind::kBatchNorm : NormKind::kLayerNorm;
  in.d.units = c.n;
  in.d.epsilon = 1e-5;
  in.d.momentum = 0.1;
  int64_t off = 0;
  in.d.gamma_offset = c.scale ? off : -1;
  off += c.scale ? c.n : 0;
  in.d.beta_offset = c.center ? off : -1;
  off += c.center ? c.n : 0;
  in.params.resize(static_cast<size_t>(off));
  for (float& v : in.params) v = g_rng.uniform(-1.5f, 1.5f);
  in.d.stats_offset = c.batch ? 0 : -1;
  in.buffers.resize(static_cast<size_t>(2 * c.n));
  for (int64_t j = 0; j < c.n; ++j) {
    in.buffers[j] = g_rng.uniform(-0.5f, 0.5f);
    in.buffers[c.n + j] = g_rng.uniform(0.25f, 2.0f);
  }
  return in;
}

Run run_kernels(const Case& c, const Inputs& in) {
  Run out;
  const size_t e = static_cast<size_t>(c.rows * c.n);
  const size_t n = static_cast<size_t>(c.n);
  out.y.assign(e, 0.0f);
  out.xhat.assign(e, 0.0f);
  out.dx.assign(e, 0.0f);
  out.yinf.assign(e, 0.0f);
  out.grads.assign(in.params.size(), 0.0f);
  std::vector<double> stats(c.batch ? 3 * n : static_cast<size_t>(c.rows));
  std::vector<double> scratch(2 * n);
  std::vector<float> fscratch(3 * n);
  if (c.batch) {
    batch_norm_train_forward(in.d, in.params.data(), in.x.data(), c.rows, out.y.data(),
                             out.xhat.data(), stats.data(), fscratch.data());
    batch_norm_backward(in.d, in.params.data(), in.dy.data(), out.xhat.data(), stats.data(), c.rows,
                        out.grads.data(), out.dx.data(), scratch.data(), fscratch.data());
    batch_norm_infer_forward(in.d, in.params.data(), in.buffers.data(), in.x.data(), c.rows,
                             out.yinf.data(), fscratch.data());
  } else {
    layer_norm_forward(in.d, in.params.data(), in.x.data(), c.rows, out.y.data(), out.xhat.data(),
                       stats.data());
    // dx in place over a copy of dy, as the network runs it.
    out.dx = in.dy;
    layer_norm_backward(in.d, in.params.data(), out.dx.data(), out.xhat.data(), stats.data(),
                        c.rows, out.grads.data(), out.dx.data(), scratch.data());
    layer_norm_forward(in.d, in.params.data(), in.x.data(), c.rows, out.yinf.data(), nullptr,
                       nullptr);
  }
  return out;
}

// |got − want| ≤ atol + rtol·|want| everywhere; prints the worst element.
bool close(const std::vector<float>& got, const std::vector<double>& want, double atol, double rtol,
           const char* what, const Case& c) {
  double worst = 0.0;
  size_t at = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double excess =
        std::fabs(static_cast<double>(got[i]) - want[i]) - (atol + rtol * std::fabs(want[i]));
    if (!(excess <= worst)) {
      worst = std::isnan(excess) ? 1e300 : excess;
      at = i;
    }
  }
  if (worst > 0.0) {
    std::printf("%s (%s, %lld x %lld, center %d, scale %d): element %zu got %.9g want %.9g\n", what,
                c.batch ? "batchNorm" : "layerNorm", static_cast<long long>(c.rows),
                static_cast<long long>(c.n), c.center, c.scale, at, got[at], want[at]);
    return false;
  }
  return true;
}

void check_reference(const Case& c, const Inputs& in, const Run& got) {
  const int64_t m = c.rows, n = c.n;
  // Groups: rows (LayerNorm) or columns (BatchNorm); index(g, k) is element k of group g.
  const int64_t groups = c.batch ? n : m, len = c.batch ? m : n;
  auto index = [&](int64_t g, int64_t k) { return c.batch ? k * n + g : g * n + k; };
  auto col = [&](int64_t g, int64_t k) { return c.batch ? g : k; };
  auto gamma = [&](int64_t j) {
    return c.scale ? static_cast<double>(in.params[in.d.gamma_offset + j]) : 1.0;
  };
  auto beta = [&](int64_t j) {
    return c.center ? static_cast<double>(in.params[in.d.beta_offset + j]) : 0.0;
  };
  std::vector<double> y(static_cast<size_t>(m * n)), dx(y.size()), yinf(y.size());
  std::vector<double> dgamma(static_cast<size_t>(n), 0.0), dbeta(static_cast<size_t>(n), 0.0);
  double max_rs = 0.0;
  for (int64_t g = 0; g < groups; ++g) {
    double mean = 0.0, var = 0.0;
    for (int64_t k = 0; k < len; ++k) mean += in.x[index(g, k)];
    mean /= static_cast<double>(len);
    for (int64_t k = 0; k < len; ++k) var += std::pow(in.x[index(g, k)] - mean, 2);
    var /= static_cast<double>(len);
    const double s = std::sqrt(var + 1e-5);
    max_rs = std::max(max_rs, 1.0 / s);
    std::vector<double> h(static_cast<size_t>(len));
    for (int64_t k = 0; k < len; ++k) {
      h[k] = (in.x[index(g, k)] - mean) / s;
      y[index(g, k)] = gamma(col(g, k)) * h[k] + beta(col(g, k));
      dgamma[col(g, k)] += in.dy[index(g, k)] * h[k];
      dbeta[col(g, k)] += in.dy[index(g, k)];
    }
    // dx_i = Σ_k dy_k · ∂y_k/∂x_i, ∂y_k/∂x_i = γ_k·(δ_ki − 1/len − h_k·h_i/len)/s.
    for (int64_t i = 0; i < len; ++i) {
      double acc = 0.0;
      for (int64_t k = 0; k < len; ++k) {
        const double jac =
            gamma(col(g, k)) * ((i == k ? 1.0 : 0.0) - 1.0 / len - h[k] * h[i] / len) / s;
        acc += in.dy[index(g, k)] * jac;
      }
      dx[index(g, i)] = acc;
    }
  }
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t j = 0; j < n; ++j) {
      yinf[r * n + j] = c.batch ? gamma(j) * (in.x[r * n + j] - in.buffers[j]) /
                                          std::sqrt(in.buffers[n + j] + 1e-5) +
                                      beta(j)
                                : y[r * n + j];
    }
  }
  // float32 rounds x − μ (≤ |x| ≈ 3) and then multiplies by rstd·γ, which grows without
  // bound as a group's variance nears 0 (2 rows of close values): the absolute error scales
  // with rstd·max|γ|·max|x| (forward) and rstd·max|γ|·max|dy| (dx).
  double gmax = 1.0;
  for (float v : in.params) gmax = std::max(gmax, static_cast<double>(std::fabs(v)));
  const double amp = std::max(1.0, max_rs * gmax);
  CHECK(close(got.y, y, 4e-6 * amp, 2e-5, "forward", c));
  CHECK(close(got.yinf, yinf, 2e-6, 2e-5, "inference forward", c));
  CHECK(close(got.dx, dx, 2e-5 * amp, 1e-4, "dx", c));
  std::vector<float> gg(static_cast<size_t>(n)), gb(static_cast<size_t>(n));
  std::vector<double> wg, wb;
  if (c.scale) {
    std::memcpy(gg.data(), got.grads.data() + in.d.gamma_offset, gg.size() * sizeof(float));
    CHECK(close(gg, dgamma, 1e-5, 1e-5, "dgamma", c));
  }
  if (c.center) {
    std::memcpy(gb.data(), got.grads.data() + in.d.beta_offset, gb.size() * sizeof(float));
    CHECK(close(gb, dbeta, 1e-5, 1e-5, "dbeta", c));
  }
}

bool same(const Run& a, const Run& b) {
  auto eq = [](const std::vector<float>& p, const std::vector<float>& q) {
    // Empty vectors may have null data, which memcmp must not get even for 0 bytes.
    return p.size() == q.size() &&
           (p.empty() || std::memcmp(p.data(), q.data(), p.size() * sizeof(float)) == 0);
  };
  return eq(a.y, b.y) && eq(a.xhat, b.xhat) && eq(a.dx, b.dx) && eq(a.grads, b.grads) &&
         eq(a.yinf, b.yinf);
}

void check_kernels() {
  const Isa isas[] = {Isa::kScalar, Isa::kSse2, Isa::kAvx2, Isa::kAvx512, Isa::kNeon};
  const int64_t widths[] = {1, 3, 8, 9, 17, 64, 65, 130};
  const int64_t rows[] = {2, 5, 37};
  int cases = 0;
  for (int batch = 0; batch < 2; ++batch) {
    for (int64_t n : widths) {
      for (int64_t m : rows) {
        for (int cs = 0; cs < 4; ++cs) {
          if (!batch && n == 1) continue;  // a row of one value normalises to 0: no information
          const Case c{batch == 1, m, n, (cs & 1) != 0, (cs & 2) != 0};
          const Inputs in = make_inputs(c);
          bool first = true;
          Run base;
          for (Isa isa : isas) {
            if (!isa_supported(isa)) continue;
            force_isa(isa);
            for (int threads : {1, 3}) {
              set_threads(threads);
              const Run r = run_kernels(c, in);
              if (first) {
                base = r;
                check_reference(c, in, r);
                first = false;
              } else if (!same(base, r)) {
                CHECK(false);
                std::printf("  %s, %d threads differs from the first set (%s %lld x %lld)\n",
                            isa_name(isa), threads, batch ? "batchNorm" : "layerNorm",
                            static_cast<long long>(m), static_cast<long long>(n));
              }
            }
          }
          ++cases;
        }
      }
    }
  }
  set_threads(1);
  std::printf("test_norm: %d kernel cases\n", cases);
}

void check_running() {
  NormDesc d;
  d.kind = NormKind::kBatchNorm;
  d.units = 2;
  d.momentum = 0.25;
  d.stats_offset = 0;
  const double stats[6] = {1.0, -2.0, 0.5, 3.0, 0.0, 0.0};
  float buf[4] = {0.0f, 0.0f, 1.0f, 1.0f};
  batch_norm_update_running(d, stats, 4, buf);
  CHECK(buf[0] == 0.25f && buf[1] == -0.5f);
  CHECK(buf[2] == static_cast<float>(0.75 + 0.25 * 0.5 * 4.0 / 3.0));
  CHECK(buf[3] == static_cast<float>(0.75 + 0.25 * 3.0 * 4.0 / 3.0));
  float one[4] = {0.0f, 0.0f, 1.0f, 1.0f};
  batch_norm_update_running(d, stats, 1, one);  // one row: σ² itself, never a division by 0
  CHECK(one[2] == static_cast<float>(0.75 + 0.25 * 0.5));
}

// inputs 3 → dense 4 → batchNorm → layerNorm → dense 2.
ModelSpec norm_spec() {
  ModelSpec s;
  s.inputs = 3;
  s.outputs = 2;
  s.param_count = 12 + 4 + 8 + 8 + 10;
  s.buffer_count = 8;
  LayerSpec d0;
  d0.kind = LayerKind::kDenseLayer;
  d0.units = 4;
  d0.dense.inputs = 3;
  d0.dense.units = 4;
  d0.dense.kernel_offset = 0;
  d0.dense.bias_offset = 12;
  LayerSpec bn;
  bn.kind = LayerKind::kBatchNormLayer;
  bn.units = 4;
  bn.norm.kind = NormKind::kBatchNorm;
  bn.norm.units = 4;
  bn.norm.gamma_offset = 16;
  bn.norm.beta_offset = 20;
  bn.norm.stats_offset = 0;
  LayerSpec ln = bn;
  ln.kind = LayerKind::kLayerNormLayer;
  ln.norm.kind = NormKind::kLayerNorm;
  ln.norm.gamma_offset = 24;
  ln.norm.beta_offset = 28;
  ln.norm.stats_offset = -1;
  LayerSpec d1 = d0;
  d1.units = 2;
  d1.dense.inputs = 4;
  d1.dense.units = 2;
  d1.dense.kernel_offset = 32;
  d1.dense.bias_offset = 40;
  s.layers = {d0, bn, ln, d1};
  return s;
}

void check_spec_and_network() {
  CHECK(model_spec_valid(norm_spec()));
  ModelSpec bad = norm_spec();
  bad.buffer_count = 10;  // statistics do not tile the buffers
  CHECK(!model_spec_valid(bad));
  bad = norm_spec();
  bad.layers[1].norm.epsilon = 0.0;
  CHECK(!model_spec_valid(bad));
  bad = norm_spec();
  bad.layers[1].norm.momentum = 1.5;
  CHECK(!model_spec_valid(bad));
  bad = norm_spec();
  bad.layers[2].norm.gamma_offset = 20;  // overlaps the batchNorm's beta
  CHECK(!model_spec_valid(bad));
  bad = norm_spec();
  bad.layers[2].norm.stats_offset = 0;  // a LayerNorm has no statistics
  CHECK(!model_spec_valid(bad));
  bad = norm_spec();
  bad.layers[1].units = bad.layers[1].norm.units = 5;  // width must carry through
  CHECK(!model_spec_valid(bad));

  std::vector<float> params(static_cast<size_t>(norm_spec().param_count));
  for (float& v : params) v = g_rng.uniform(-1.0f, 1.0f);
  Network net(norm_spec(), params.data());
  const float* buf = net.buffers();
  CHECK(buf[0] == 0.0f && buf[3] == 0.0f && buf[4] == 1.0f && buf[7] == 1.0f);
  const float x[12] = {1, 2, 3, -1, 0, 2, 0.5f, 0.5f, -2, 3, 1, 0};
  const float y[8] = {1, 0, 0, 1, 1, 1, 0, 0};
  std::vector<float> grads(params.size());
  std::vector<float> before(buf, buf + 8);
  net.gradients(x, y, 4, grads.data());
  CHECK(std::memcmp(before.data(), buf, 8 * sizeof(float)) == 0);
  OptimizerSpec opt;
  net.set_optimizer(opt);
  net.train_step(x, y, 4, 0);
  CHECK(std::memcmp(before.data(), buf, 8 * sizeof(float)) != 0);
  std::vector<float> after(buf, buf + 8);
  const float nan_y[8] = {std::numeric_limits<float>::quiet_NaN(), 0, 0, 1, 1, 1, 0, 0};
  net.train_step(x, nan_y, 4, 1);
  CHECK(std::memcmp(after.data(), buf, 8 * sizeof(float)) == 0);
}

}  // namespace

int main() {
  check_kernels();
  check_running();
  check_spec_and_network();
  return densely_test::finish("test_norm");
}
