// bench_norm: the LayerNorm/BatchNorm kernels (ops/norm.h) beside the Dense forward that
// feeds them, per kernel set, on one thread: how much a norm layer adds to a Dense layer,
// and so how much fusing its statistics into the Dense pass could save at most.
// Not a test (no assertions).
//
//   build-cmake/bench_norm [--reps R]
//
// For rows × inputs → units it times dense_forward (linear, with bias), LayerNorm
// forward (training: x̂ kept) and backward, BatchNorm training forward and backward, and
// prints the median of R runs in µs and GB/s of the rows × units block each pass reads.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "ops/dense.h"
#include "ops/norm.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

using namespace densely;

namespace {

template <typename Fn>
double median_us(int reps, Fn&& fn) {
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    const auto t1 = std::chrono::steady_clock::now();
    t.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 201;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--reps") == 0) reps = std::atoi(argv[i + 1]);
  set_threads(1);
  struct Shape {
    int64_t rows, inputs, units;
  };
  const Shape shapes[] = {{64, 784, 128}, {128, 512, 512}, {256, 256, 256}, {1024, 64, 64}};
  const Isa isas[] = {Isa::kSse2, Isa::kAvx2, Isa::kAvx512};
  std::printf("%-7s %-15s %9s %9s %9s %9s %9s %9s\n", "set", "rows×in→units", "dense µs", "ln fw",
              "ln bw", "bn fw", "bn bw", "ln fw GB/s");
  for (Isa isa : isas) {
    if (!isa_supported(isa)) continue;
    force_isa(isa);
    for (const Shape& s : shapes) {
      const int64_t n = s.units, m = s.rows;
      std::vector<float> x(static_cast<size_t>(m * s.inputs)),
          params(static_cast<size_t>(s.inputs * n + 3 * n));
      for (size_t i = 0; i < x.size(); ++i)
        x[i] = static_cast<float>((i * 7919) % 1000) / 500.0f - 1.0f;
      for (size_t i = 0; i < params.size(); ++i)
        params[i] = static_cast<float>((i * 104729) % 1000) / 5000.0f - 0.1f;
      DenseDesc d;
      d.inputs = s.inputs;
      d.units = n;
      d.kernel_offset = 0;
      d.bias_offset = s.inputs * n;
      NormDesc nd;
      nd.units = n;
      nd.gamma_offset = s.inputs * n + n;
      nd.beta_offset = s.inputs * n + 2 * n;
      std::vector<float> z(static_cast<size_t>(m * n)), y(z.size()), xhat(z.size()), dy(z.size()),
          grads(params.size()), fs(static_cast<size_t>(3 * n));
      std::vector<double> stats(static_cast<size_t>(std::max(m, 3 * n))),
          scratch(static_cast<size_t>(2 * n));
      for (size_t i = 0; i < dy.size(); ++i)
        dy[i] = static_cast<float>((i * 31) % 100) / 100.0f - 0.5f;
      const double t_dense =
          median_us(reps, [&] { dense_forward(d, params.data(), x.data(), m, nullptr, z.data()); });
      nd.kind = NormKind::kLayerNorm;
      const double t_lnf = median_us(reps, [&] {
        layer_norm_forward(nd, params.data(), z.data(), m, y.data(), xhat.data(), stats.data());
      });
      std::vector<float> dx(dy);
      const double t_lnb = median_us(reps, [&] {
        layer_norm_backward(nd, params.data(), dy.data(), xhat.data(), stats.data(), m,
                            grads.data(), dx.data(), scratch.data());
      });
      nd.kind = NormKind::kBatchNorm;
      const double t_bnf = median_us(reps, [&] {
        batch_norm_train_forward(nd, params.data(), z.data(), m, y.data(), xhat.data(),
                                 stats.data(), fs.data());
      });
      const double t_bnb = median_us(reps, [&] {
        batch_norm_backward(nd, params.data(), dy.data(), xhat.data(), stats.data(), m,
                            grads.data(), dx.data(), scratch.data(), fs.data());
      });
      char shape[32];
      std::snprintf(shape, sizeof shape, "%lldx%lld→%lld", static_cast<long long>(m),
                    static_cast<long long>(s.inputs), static_cast<long long>(n));
      std::printf("%-7s %-15s %9.2f %9.2f %9.2f %9.2f %9.2f %9.1f\n", isa_name(isa), shape, t_dense,
                  t_lnf, t_lnb, t_bnf, t_bnb, static_cast<double>(m * n * 4) / (t_lnf * 1e3));
    }
  }
  return 0;
}
