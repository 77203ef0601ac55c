// bench_gemm: GFLOP/s of densely::sgemm (median of repeated runs) for 1024³ and the
// training shapes. Not a test (no assertions); speed claims quote its output.
//
//   build-cmake/bench_gemm [--threads N] [--isa scalar|sse2|avx2|neon] [--reps R]
//                          [--shape TA,TB,M,N,K ...] [--json]
// Default shapes: NN 1024³, and for a 784-128-10 MLP at batch 64: forward X·W
// (NN 64×128·784), dW = Xᵀ·dZ (TN 784×128·64), dX = dZ·Wᵀ (NT 64×784·128), the
// 128→10 layer's three products, and a 1×2·2×8 toy.
// GFLOP/s = 2·m·n·k / t. Each run: warm-up calls, then R timed repetitions, each
// repeating the call enough times to last ≥ 20 ms; the median is reported.
// Two rates per repetition: "wall" = 2·m·n·k / wall time (what a user sees) and
// "per-core" = 2·m·n·k / process CPU time summed over threads (the speed of one core
// while it runs this code; on a machine shared with other jobs the wall rate
// understates the code, and per-core × threads bounds what the threads could reach).
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gemm/gemm.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

using namespace densely;

namespace {

struct Shape {
  bool ta, tb;
  int64_t m, n, k;
};

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double cpu_s() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct Result {
  double wall_gflops, cpu_gflops;
};

Result bench(const Shape& s, int reps) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> a(static_cast<size_t>(s.m * s.k)), b(static_cast<size_t>(s.k * s.n)),
      c(static_cast<size_t>(s.m * s.n));
  for (auto& x : a) x = dist(rng);
  for (auto& x : b) x = dist(rng);
  const int64_t lda = s.ta ? s.m : s.k, ldb = s.tb ? s.k : s.n;
  auto call = [&] {
    sgemm(s.ta, s.tb, s.m, s.n, s.k, 1.0f, a.data(), lda, b.data(), ldb, 0.0f, c.data(), s.n);
  };
  for (int i = 0; i < 3; ++i) call();
  const double t0 = now_s();
  call();
  const double once = std::max(now_s() - t0, 1e-7);
  const int64_t inner = std::max<int64_t>(1, static_cast<int64_t>(0.02 / once));
  std::vector<double> wall, cpu;
  const double flops = 2.0 * static_cast<double>(s.m * s.n * s.k);
  for (int r = 0; r < reps; ++r) {
    const double start = now_s(), cstart = cpu_s();
    for (int64_t i = 0; i < inner; ++i) call();
    const double t = (now_s() - start) / static_cast<double>(inner);
    const double ct = (cpu_s() - cstart) / static_cast<double>(inner);
    wall.push_back(flops / t * 1e-9);
    cpu.push_back(flops / ct * 1e-9);
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  return {wall[wall.size() / 2], cpu[cpu.size() / 2]};
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 7;
  bool json = false;
  std::vector<Shape> shapes;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--threads" && i + 1 < argc) {
      set_threads(std::atoi(argv[++i]));
    } else if (arg == "--isa" && i + 1 < argc) {
      const std::string want = argv[++i];
      bool ok = false;
      for (Isa isa : {Isa::kScalar, Isa::kSse2, Isa::kAvx2, Isa::kNeon})
        if (want == isa_name(isa)) ok = force_isa(isa);
      if (!ok) {
        std::fprintf(stderr, "ISA %s not supported here\n", want.c_str());
        return 2;
      }
    } else if (arg == "--reps" && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--shape" && i + 1 < argc) {
      int ta, tb;
      long long m, n, k;
      if (std::sscanf(argv[++i], "%d,%d,%lld,%lld,%lld", &ta, &tb, &m, &n, &k) != 5) {
        std::fprintf(stderr, "--shape TA,TB,M,N,K\n");
        return 2;
      }
      shapes.push_back({ta != 0, tb != 0, m, n, k});
    } else if (arg == "--json") {
      json = true;
    } else {
      std::fprintf(stderr, "usage: bench_gemm [--threads N] [--isa NAME] [--reps R] [--shape TA,TB,M,N,K] [--json]\n");
      return 2;
    }
  }
  if (shapes.empty()) {
    shapes = {{false, false, 1024, 1024, 1024}, {false, false, 64, 128, 784}, {true, false, 784, 128, 64},
              {false, true, 64, 784, 128},      {false, false, 64, 10, 128},  {true, false, 128, 10, 64},
              {false, true, 64, 128, 10},       {false, false, 1, 8, 2}};
  }
  if (!json) std::printf("isa=%s threads=%d reps=%d (median GFLOP/s)\n", isa_name(active_isa()), get_threads(), reps);
  for (const Shape& s : shapes) {
    const Result g = bench(s, reps);
    if (json) {
      std::printf("{\"isa\":\"%s\",\"threads\":%d,\"ta\":%d,\"tb\":%d,\"m\":%lld,\"n\":%lld,\"k\":%lld,\"gflops\":%.3f,\"per_core_gflops\":%.3f}\n",
                  isa_name(active_isa()), get_threads(), s.ta, s.tb, static_cast<long long>(s.m),
                  static_cast<long long>(s.n), static_cast<long long>(s.k), g.wall_gflops, g.cpu_gflops);
    } else {
      std::printf("%s%s %5lld x %5lld x %5lld  wall %8.2f GFLOP/s   per-core %8.2f GFLOP/s\n", s.ta ? "T" : "N",
                  s.tb ? "T" : "N", static_cast<long long>(s.m), static_cast<long long>(s.n),
                  static_cast<long long>(s.k), g.wall_gflops, g.cpu_gflops);
    }
  }
  return 0;
}
