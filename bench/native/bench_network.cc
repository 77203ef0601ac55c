// bench_network: samples (steps) per second of densely::Network::train_epoch on the
// workloads of bench/trials.js, without Node: what the C++ epoch loop alone reaches,
// so the cost of the binding and of fit's TypeScript prologue can be told apart.
// Not a test (no assertions).
//
//   build-cmake/bench_network [--threads N] [--reps R] [--only xor|mlp-a|mlp-b] [--ordered]
//                             [--general]
//
// xor:   2→8 tanh→1 sigmoid, binaryCrossentropy, SGD lr 0.1, batch 1, 262,144 rows
// mlp-a: 784→128 relu→10 softmax, categoricalCrossentropy, Adam 1e-3, batch 64, 8,192 rows
// mlp-b: 784→512 relu→512 relu→10 softmax, SGD 0.01, batch 128, 8,192 rows
// Each repetition is one epoch over a fresh shuffled order (--ordered: rows in order, as
// fit with shuffle: false, so every batch is read in place); the median of R is printed,
// as wall rate and as rate per CPU-second of the process (all threads). --general turns
// Network's tiny path off (network/tiny.h), to compare it with the general path.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "network/network.h"
#include "ops/activations.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

using namespace densely;

namespace {

struct Workload {
  const char* name;
  std::vector<int64_t> widths;
  std::vector<Activation> acts;
  Loss loss;
  OptimizerSpec opt;
  int64_t batch;
  int64_t rows;
};

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

bool g_ordered = false;
bool g_general = false;

void run(const Workload& w, int reps) {
  ModelSpec spec;
  spec.inputs = w.widths.front();
  spec.outputs = w.widths.back();
  spec.seed = 42;
  int64_t off = 0;
  for (size_t i = 0; i + 1 < w.widths.size(); ++i) {
    LayerSpec l;
    l.kind = LayerKind::kDenseLayer;
    l.dense.inputs = w.widths[i];
    l.dense.units = w.widths[i + 1];
    l.dense.act = w.acts[i];
    l.dense.use_bias = true;
    l.dense.kernel_offset = off;
    off += l.dense.inputs * l.dense.units;
    l.dense.bias_offset = off;
    off += l.dense.units;
    l.units = l.dense.units;
    spec.layers.push_back(l);
  }
  spec.param_count = off;
  std::mt19937 gen(7);
  std::vector<float> params(static_cast<size_t>(off));
  {
    int64_t p = 0;
    for (const LayerSpec& l : spec.layers) {
      const float lim = std::sqrt(6.0f / static_cast<float>(l.dense.inputs + l.dense.units));
      std::uniform_real_distribution<float> u(-lim, lim);
      for (int64_t i = 0; i < l.dense.inputs * l.dense.units; ++i) params[p++] = u(gen);
      for (int64_t i = 0; i < l.dense.units; ++i) params[p++] = 0.0f;
    }
  }
  Network net(spec, params.data());
  net.set_loss(w.loss);
  net.set_optimizer(w.opt);
  if (g_general) net.set_tiny_path(false);
  const int64_t in = spec.inputs, out = spec.outputs;
  std::vector<float> x(static_cast<size_t>(w.rows * in)), y(static_cast<size_t>(w.rows * out));
  std::uniform_int_distribution<int> bit(0, 1);
  std::uniform_real_distribution<float> u01(0.0f, 1.0f);
  std::uniform_int_distribution<int64_t> cls(0, out - 1);
  for (int64_t r = 0; r < w.rows; ++r) {
    if (in == 2) {
      const int a = bit(gen), b = bit(gen);
      x[r * 2] = static_cast<float>(a);
      x[r * 2 + 1] = static_cast<float>(b);
      y[r] = static_cast<float>(a ^ b);
    } else {
      for (int64_t j = 0; j < in; ++j) x[r * in + j] = u01(gen);
      y[r * out + cls(gen)] = 1.0f;
    }
  }
  std::vector<int32_t> order(static_cast<size_t>(w.rows));
  std::iota(order.begin(), order.end(), 0);
  EpochJob job;
  job.x = x.data();
  job.y = y.data();
  job.samples = w.rows;
  job.order = order.data();
  job.order_len = w.rows;
  job.batch_size = w.batch;
  std::vector<double> wall, cpu;
  uint64_t step = 0;
  for (int r = 0; r < reps + 1; ++r) {
    if (!g_ordered) std::shuffle(order.begin(), order.end(), gen);
    job.first_step = step;
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    const EpochResult res = net.train_epoch(job, nullptr, nullptr, nullptr);
    const double c1 = cpu_seconds();
    const auto t1 = std::chrono::steady_clock::now();
    step += static_cast<uint64_t>(res.batches);
    if (res.status != EpochStatus::kEpochDone) {
      std::printf("%s: epoch status %d\n", w.name, res.status);
      return;
    }
    if (r == 0) continue;  // warm-up
    wall.push_back(static_cast<double>(w.rows) / std::chrono::duration<double>(t1 - t0).count());
    cpu.push_back(static_cast<double>(w.rows) / (c1 - c0));
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  std::printf("%-6s %-28s batch %-4lld wall %12.0f samples/s   per CPU-second %12.0f\n", w.name, "",
              static_cast<long long>(w.batch), wall[wall.size() / 2], cpu[cpu.size() / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1, reps = 7;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc)
      threads = std::atoi(argv[++i]);
    else if (a == "--reps" && i + 1 < argc)
      reps = std::max(1, std::atoi(argv[++i]));
    else if (a == "--only" && i + 1 < argc)
      only = argv[++i];
    else if (a == "--ordered")
      g_ordered = true;
    else if (a == "--general")
      g_general = true;
  }
  set_threads(threads);
  std::printf("isa %s, threads %d\n", isa_name(active_isa()), get_threads());
  OptimizerSpec sgd01;
  sgd01.kind = OptimizerKind::kSgd;
  sgd01.learning_rate = 0.1;
  OptimizerSpec adam;
  adam.kind = OptimizerKind::kAdam;
  adam.learning_rate = 1e-3;
  OptimizerSpec sgd001;
  sgd001.kind = OptimizerKind::kSgd;
  sgd001.learning_rate = 0.01;
  const Workload all[] = {
      {"xor",
       {2, 8, 1},
       {Activation::kTanh, Activation::kSigmoid},
       Loss::kBinaryCrossentropy,
       sgd01,
       1,
       262144},
      {"mlp-a",
       {784, 128, 10},
       {Activation::kRelu, Activation::kSoftmax},
       Loss::kCategoricalCrossentropy,
       adam,
       64,
       8192},
      {"mlp-b",
       {784, 512, 512, 10},
       {Activation::kRelu, Activation::kRelu, Activation::kSoftmax},
       Loss::kCategoricalCrossentropy,
       sgd001,
       128,
       8192},
  };
  for (const Workload& w : all) {
    if (!only.empty() && only != w.name) continue;
    run(w, reps);
  }
  return 0;
}
