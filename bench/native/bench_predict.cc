// bench_predict: Network::predict of bench/trials.js's predict-mlp-b network
// (784→512 relu→512 relu→10 softmax) without Node, so the core's inference time can be
// told apart from the binding's and the facade's. Not a test (no assertions).
//
//   build-cmake/bench_predict [--threads N] [--batch B] [--samples S] [--ms M] [--layers]
//                             [--cache on|off|ab]
//
// Each sample runs predict calls for at least M ms (default 20) and records calls/s by
// wall clock and per CPU-second of the process; the median of S samples (default 41) is
// printed. --layers also times each layer's dense_forward alone (same shapes, same
// order of calls), to show where a call's time goes. --cache: predict with the inference
// cache (Network::set_inference_cache, the binding's setting; the default), without it, or
// ab: both in alternating samples of one process (the comparison a shared machine allows),
// after checking that both give the same bits.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "network/network.h"
#include "ops/activations.h"
#include "ops/dense.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

using namespace densely;

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

ModelSpec mlp_b() {
  const int64_t widths[] = {784, 512, 512, 10};
  const Activation acts[] = {Activation::kRelu, Activation::kRelu, Activation::kSoftmax};
  ModelSpec spec;
  spec.inputs = 784;
  spec.outputs = 10;
  spec.seed = 42;
  int64_t off = 0;
  for (int i = 0; i < 3; ++i) {
    LayerSpec l;
    l.kind = LayerKind::kDenseLayer;
    l.dense.inputs = widths[i];
    l.dense.units = widths[i + 1];
    l.dense.act = acts[i];
    l.dense.use_bias = true;
    l.dense.kernel_offset = off;
    off += l.dense.inputs * l.dense.units;
    l.dense.bias_offset = off;
    off += l.dense.units;
    l.units = l.dense.units;
    spec.layers.push_back(l);
  }
  spec.param_count = off;
  return spec;
}

// Runs f repeatedly for ≥ ms milliseconds; returns {calls/s wall, calls/s per CPU-second}.
template <class F>
std::pair<double, double> sample(F&& f, double ms) {
  int64_t calls = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_seconds();
  double el = 0.0;
  do {
    f();
    ++calls;
    el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } while (el * 1e3 < ms);
  const double c1 = cpu_seconds();
  return {static_cast<double>(calls) / el, static_cast<double>(calls) / (c1 - c0)};
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1, samples = 41;
  int64_t batch = 256;
  double ms = 20.0;
  bool layers = false;
  std::string cache = "on";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc)
      threads = std::atoi(argv[++i]);
    else if (a == "--batch" && i + 1 < argc)
      batch = std::atoll(argv[++i]);
    else if (a == "--samples" && i + 1 < argc)
      samples = std::max(1, std::atoi(argv[++i]));
    else if (a == "--ms" && i + 1 < argc)
      ms = std::atof(argv[++i]);
    else if (a == "--layers")
      layers = true;
    else if (a == "--cache" && i + 1 < argc)
      cache = argv[++i];
  }
  set_threads(threads);
  const ModelSpec spec = mlp_b();
  std::mt19937 gen(7);
  std::vector<float> params(static_cast<size_t>(spec.param_count));
  std::uniform_real_distribution<float> u(-0.06f, 0.06f);
  for (float& p : params) p = u(gen);
  Network net(spec, params.data());
  std::vector<float> x(static_cast<size_t>(batch * spec.inputs));
  std::uniform_real_distribution<float> u01(0.0f, 1.0f);
  for (float& v : x) v = u01(gen);
  std::vector<float> out(static_cast<size_t>(batch * spec.outputs));
  const double flop = 2.0 * static_cast<double>(batch) * (784.0 * 512 + 512.0 * 512 + 512.0 * 10);
  std::printf("isa %s, threads %d, batch %lld\n", isa_name(active_isa()), get_threads(),
              static_cast<long long>(batch));

  // Per-layer buffers for --layers.
  std::vector<std::vector<float>> acts;
  for (const LayerSpec& l : spec.layers) acts.emplace_back(static_cast<size_t>(batch * l.units));
  const int nl = static_cast<int>(spec.layers.size());

  auto run_predict = [&] { net.predict(x.data(), batch, out.data()); };
  if (cache == "ab") {
    std::vector<float> plain(out.size());
    net.set_inference_cache(false);
    net.predict(x.data(), batch, plain.data());
    net.set_inference_cache(true);
    net.predict(x.data(), batch, out.data());
    net.predict(x.data(), batch, out.data());
    const bool same = std::memcmp(plain.data(), out.data(), out.size() * sizeof(float)) == 0;
    std::printf("cache on/off: %s\n", same ? "same bits" : "DIFFERENT BITS");
    std::vector<double> cw[2], cc[2];
    for (int s = 0; s < samples; ++s) {
      for (int v = 0; v < 2; ++v) {
        net.set_inference_cache(v == 1);
        for (int w = 0; w < 3; ++w) run_predict();
        const auto r = sample(run_predict, ms);
        cw[v].push_back(r.first);
        cc[v].push_back(r.second);
      }
    }
    for (int v = 0; v < 2; ++v) {
      std::printf("cache %-3s wall %10.0f calls/s (%9.0f samples/s)   per CPU-s %10.0f calls/s\n",
                  v == 1 ? "on" : "off", median(cw[v]), median(cw[v]) * static_cast<double>(batch),
                  median(cc[v]));
    }
    std::printf("on/off: wall %.3f, per CPU-s %.3f\n", median(cw[1]) / median(cw[0]),
                median(cc[1]) / median(cc[0]));
    return same ? 0 : 1;
  }
  net.set_inference_cache(cache != "off");
  for (int w = 0; w < 20; ++w) run_predict();
  std::vector<double> wall, cpu;
  std::vector<std::vector<double>> lwall(static_cast<size_t>(nl));
  for (int s = 0; s < samples; ++s) {
    const auto r = sample(run_predict, ms);
    wall.push_back(r.first);
    cpu.push_back(r.second);
    if (!layers) continue;
    for (int li = 0; li < nl; ++li) {
      const LayerSpec& l = spec.layers[static_cast<size_t>(li)];
      const float* in = li == 0 ? x.data() : acts[static_cast<size_t>(li - 1)].data();
      float* a = acts[static_cast<size_t>(li)].data();
      lwall[static_cast<size_t>(li)].push_back(
          sample([&] { dense_forward(l.dense, params.data(), in, batch, nullptr, a); }, ms / 4)
              .first);
    }
  }
  const double mw = median(wall), mc = median(cpu);
  std::printf(
      "predict  wall %10.0f calls/s (%9.0f samples/s, %6.1f GFLOP/s)   per CPU-s %10.0f calls/s "
      "(%6.1f GFLOP/s)\n",
      mw, mw * static_cast<double>(batch), mw * flop / 1e9, mc, mc * flop / 1e9);
  if (layers) {
    for (int li = 0; li < nl; ++li) {
      const DenseDesc& d = spec.layers[static_cast<size_t>(li)].dense;
      const double lr = median(lwall[static_cast<size_t>(li)]);
      const double lf = 2.0 * static_cast<double>(batch * d.inputs * d.units);
      std::printf("layer %d  %lldx%lld  %8.2f us  %6.1f GFLOP/s\n", li,
                  static_cast<long long>(d.inputs), static_cast<long long>(d.units), 1e6 / lr,
                  lr * lf / 1e9);
    }
  }
  return 0;
}
