// bench_gemm: GFLOP/s of densely::sgemm (median of repeated runs) for 1024³ and the
// training shapes. Not a test (no assertions); speed claims quote its output.
//
//   build-cmake/bench_gemm [--threads N] [--isa scalar|sse2|avx2|avx512|neon] [--reps R]
//                          [--shape TA,TB,M,N,K ...] [--json] [--peak] [--vs ISA]
// Default shapes: NN 1024³, and for a 784-128-10 MLP at batch 64: forward X·W
// (NN 64×128·784), dW = Xᵀ·dZ (TN 784×128·64), dX = dZ·Wᵀ (NT 64×784·128), the
// 128→10 layer's three products, and a 1×2·2×8 toy.
// --peak first measures this machine's FMA peak with the same thread count (x86-64 with
// AVX2+FMA only), in the widest vectors of the active set: 12 independent 16-wide zmm
// FMA chains per thread for avx512, else 10 independent 8-wide ymm chains (2 FMA pipes ×
// 4-cycle latency ⇒ 8 chains saturate a Zen 3/4/5 core), median and best of R runs; each
// shape then also prints its fraction of the measured peak.
// --vs ISA: interleaved A/B in one process: each repetition times the active set and
// then ISA on the same operands (force_isa between them), so both see the same minute of
// a shared machine; prints both medians and the median of the per-repetition ratios
// (active / ISA), by wall clock and per CPU-second.
// GFLOP/s = 2·m·n·k / t. Each run: warm-up calls, then R timed repetitions, each
// repeating the call enough times to last ≥ 20 ms; the median is reported.
// Two rates per repetition: "wall" = 2·m·n·k / wall time (what a user sees) and
// "per-core" = 2·m·n·k / process CPU time summed over threads (the speed of one core
// while it runs this code; on a machine shared with other jobs the wall rate
// understates the code, and per-core × threads bounds what the threads could reach).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <thread>
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
  double wall_gflops, cpu_gflops, best_wall_gflops;
};

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
// 10 chains × 8 lanes × 2 flops per iteration (named registers: an array would spill).
__attribute__((target("avx2,fma"))) void fma_loop(int64_t iters, float* sink) {
  __m256 a0 = _mm256_set1_ps(0.0f), a1 = _mm256_set1_ps(0.1f), a2 = _mm256_set1_ps(0.2f),
         a3 = _mm256_set1_ps(0.3f), a4 = _mm256_set1_ps(0.4f), a5 = _mm256_set1_ps(0.5f),
         a6 = _mm256_set1_ps(0.6f), a7 = _mm256_set1_ps(0.7f), a8 = _mm256_set1_ps(0.8f),
         a9 = _mm256_set1_ps(0.9f);
  const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it) {
    a0 = _mm256_fmadd_ps(a0, x, y);
    a1 = _mm256_fmadd_ps(a1, x, y);
    a2 = _mm256_fmadd_ps(a2, x, y);
    a3 = _mm256_fmadd_ps(a3, x, y);
    a4 = _mm256_fmadd_ps(a4, x, y);
    a5 = _mm256_fmadd_ps(a5, x, y);
    a6 = _mm256_fmadd_ps(a6, x, y);
    a7 = _mm256_fmadd_ps(a7, x, y);
    a8 = _mm256_fmadd_ps(a8, x, y);
    a9 = _mm256_fmadd_ps(a9, x, y);
    __asm__ volatile("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3), "+x"(a4));
    __asm__ volatile("" : "+x"(a5), "+x"(a6), "+x"(a7), "+x"(a8), "+x"(a9));
  }
  __m256 t = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                           _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
  t = _mm256_add_ps(t, _mm256_add_ps(a8, a9));
  float out[8];
  _mm256_storeu_ps(out, t);
  *sink = out[0];
}
constexpr double kFlopsPerIter = 10 * 8 * 2;

// 12 chains × 16 lanes × 2 flops per iteration.
__attribute__((target("avx512f"))) void fma_loop_zmm(int64_t iters, float* sink) {
  __m512 a0 = _mm512_set1_ps(0.0f), a1 = _mm512_set1_ps(0.1f), a2 = _mm512_set1_ps(0.2f),
         a3 = _mm512_set1_ps(0.3f), a4 = _mm512_set1_ps(0.4f), a5 = _mm512_set1_ps(0.5f),
         a6 = _mm512_set1_ps(0.6f), a7 = _mm512_set1_ps(0.7f), a8 = _mm512_set1_ps(0.8f),
         a9 = _mm512_set1_ps(0.9f), a10 = _mm512_set1_ps(1.0f), a11 = _mm512_set1_ps(1.1f);
  const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it) {
    a0 = _mm512_fmadd_ps(a0, x, y);
    a1 = _mm512_fmadd_ps(a1, x, y);
    a2 = _mm512_fmadd_ps(a2, x, y);
    a3 = _mm512_fmadd_ps(a3, x, y);
    a4 = _mm512_fmadd_ps(a4, x, y);
    a5 = _mm512_fmadd_ps(a5, x, y);
    a6 = _mm512_fmadd_ps(a6, x, y);
    a7 = _mm512_fmadd_ps(a7, x, y);
    a8 = _mm512_fmadd_ps(a8, x, y);
    a9 = _mm512_fmadd_ps(a9, x, y);
    a10 = _mm512_fmadd_ps(a10, x, y);
    a11 = _mm512_fmadd_ps(a11, x, y);
    __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5));
    __asm__ volatile("" : "+v"(a6), "+v"(a7), "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11));
  }
  __m512 t = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                           _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
  t = _mm512_add_ps(t, _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)));
  float out[16];
  _mm512_storeu_ps(out, t);
  *sink = out[0];
}
constexpr double kFlopsPerIterZmm = 12 * 16 * 2;

// Median and best GFLOP/s of `threads` concurrent FMA loops over `reps` runs.
void fma_peak(bool zmm, int threads, int reps, double* median, double* best, double* per_core) {
  std::vector<double> rates, core_rates;
  const int64_t iters = 20000000;
  for (int r = 0; r < reps; ++r) {
    std::vector<float> sinks(static_cast<size_t>(threads));
    const double t0 = now_s(), c0 = cpu_s();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        if (zmm) {
          fma_loop_zmm(iters, &sinks[static_cast<size_t>(t)]);
        } else {
          fma_loop(iters, &sinks[static_cast<size_t>(t)]);
        }
      });
    for (auto& th : pool) th.join();
    const double flops =
        static_cast<double>(iters) * (zmm ? kFlopsPerIterZmm : kFlopsPerIter) * threads;
    rates.push_back(flops / (now_s() - t0) * 1e-9);
    core_rates.push_back(flops / (cpu_s() - c0) * 1e-9);
  }
  std::sort(rates.begin(), rates.end());
  std::sort(core_rates.begin(), core_rates.end());
  *per_core = core_rates[core_rates.size() / 2];
  *median = rates[rates.size() / 2];
  *best = rates.back();
}
#endif

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Times `reps` repetitions of sgemm on shape s; with `other` set, each repetition also
// times the set `other` right after the active one (interleaved A/B), into *other_out.
Result bench(const Shape& s, int reps, const Isa* other = nullptr, Result* other_out = nullptr,
             double* ratio_wall = nullptr, double* ratio_cpu = nullptr) {
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
  const Isa mine = active_isa();
  for (int i = 0; i < 3; ++i) call();
  if (other != nullptr) {
    force_isa(*other);
    for (int i = 0; i < 3; ++i) call();
    force_isa(mine);
  }
  const double t0 = now_s();
  call();
  const double once = std::max(now_s() - t0, 1e-7);
  const int64_t inner = std::max<int64_t>(1, static_cast<int64_t>(0.02 / once));
  const double flops = 2.0 * static_cast<double>(s.m * s.n * s.k);
  auto one = [&](std::vector<double>& wall, std::vector<double>& cpu) {
    const double start = now_s(), cstart = cpu_s();
    for (int64_t i = 0; i < inner; ++i) call();
    const double t = (now_s() - start) / static_cast<double>(inner);
    const double ct = (cpu_s() - cstart) / static_cast<double>(inner);
    wall.push_back(flops / t * 1e-9);
    cpu.push_back(flops / ct * 1e-9);
  };
  std::vector<double> wall, cpu, owall, ocpu, rwall, rcpu;
  for (int r = 0; r < reps; ++r) {
    one(wall, cpu);
    if (other != nullptr) {
      force_isa(*other);
      one(owall, ocpu);
      force_isa(mine);
      rwall.push_back(wall.back() / owall.back());
      rcpu.push_back(cpu.back() / ocpu.back());
    }
  }
  if (other != nullptr) {
    *other_out = {median_of(owall), median_of(ocpu), *std::max_element(owall.begin(), owall.end())};
    *ratio_wall = median_of(rwall);
    *ratio_cpu = median_of(rcpu);
  }
  return {median_of(wall), median_of(cpu), *std::max_element(wall.begin(), wall.end())};
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 7;
  bool json = false;
  bool peak = false;
  bool vs = false;
  Isa vs_isa = Isa::kScalar;
  std::vector<Shape> shapes;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--threads" && i + 1 < argc) {
      set_threads(std::atoi(argv[++i]));
    } else if (arg == "--isa" && i + 1 < argc) {
      const std::string want = argv[++i];
      bool ok = false;
      for (Isa isa : {Isa::kScalar, Isa::kSse2, Isa::kAvx2, Isa::kAvx512, Isa::kNeon})
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
    } else if (arg == "--vs" && i + 1 < argc) {
      const std::string want = argv[++i];
      const Isa mine = active_isa();
      for (Isa isa : {Isa::kScalar, Isa::kSse2, Isa::kAvx2, Isa::kAvx512, Isa::kNeon})
        if (want == isa_name(isa) && force_isa(isa)) vs = true, vs_isa = isa;
      force_isa(mine);
      if (!vs) {
        std::fprintf(stderr, "ISA %s not supported here\n", want.c_str());
        return 2;
      }
    } else if (arg == "--json") {
      json = true;
    } else if (arg == "--peak") {
      peak = true;
    } else {
      std::fprintf(stderr,
                   "usage: bench_gemm [--threads N] [--isa NAME] [--reps R] [--shape TA,TB,M,N,K] "
                   "[--json] [--peak] [--vs ISA]\n");
      return 2;
    }
  }
  if (shapes.empty()) {
    shapes = {{false, false, 1024, 1024, 1024}, {false, false, 64, 128, 784},
              {true, false, 784, 128, 64},      {false, true, 64, 784, 128},
              {false, false, 64, 10, 128},      {true, false, 128, 10, 64},
              {false, true, 64, 128, 10},       {false, false, 1, 8, 2}};
  }
  double peak_median = 0, peak_best = 0, peak_core = 0;
#if defined(__x86_64__) && defined(__GNUC__)
  if (peak && isa_has_avx2(active_isa())) {
    fma_peak(active_isa() == Isa::kAvx512, get_threads(), reps, &peak_median, &peak_best,
             &peak_core);
  }
#endif
  if (!json) {
    std::printf("isa=%s threads=%d reps=%d (median GFLOP/s; best in brackets)\n",
                isa_name(active_isa()), get_threads(), reps);
    if (peak_median > 0)
      std::printf("FMA peak: wall median %.2f GFLOP/s, best %.2f GFLOP/s; per-core %.2f GFLOP/s\n",
                  peak_median, peak_best, peak_core);
  }
  for (const Shape& s : shapes) {
    Result o{};
    double rw = 0, rc = 0;
    const Result g = vs ? bench(s, reps, &vs_isa, &o, &rw, &rc) : bench(s, reps);
    if (json) {
      std::printf(
          "{\"isa\":\"%s\",\"threads\":%d,\"ta\":%d,\"tb\":%d,\"m\":%lld,\"n\":%lld,\"k\":%lld,"
          "\"gflops\":%.3f,\"best_gflops\":%.3f,\"per_core_gflops\":%.3f,\"peak_gflops\":%.3f,"
          "\"peak_best_gflops\":%.3f,\"peak_per_core_gflops\":%.3f}\n",
          isa_name(active_isa()), get_threads(), s.ta, s.tb, static_cast<long long>(s.m),
          static_cast<long long>(s.n), static_cast<long long>(s.k), g.wall_gflops,
          g.best_wall_gflops, g.cpu_gflops, peak_median, peak_best, peak_core);
    } else {
      std::printf("%s%s %5lld x %5lld x %5lld  wall %7.2f [%7.2f] GFLOP/s  per-core %7.2f GFLOP/s",
                  s.ta ? "T" : "N", s.tb ? "T" : "N", static_cast<long long>(s.m),
                  static_cast<long long>(s.n), static_cast<long long>(s.k), g.wall_gflops,
                  g.best_wall_gflops, g.cpu_gflops);
      if (peak_median > 0)
        std::printf("  wall %5.1f%% [%5.1f%%], per-core %5.1f%% of peak",
                    100 * g.wall_gflops / peak_median, 100 * g.best_wall_gflops / peak_best,
                    100 * g.cpu_gflops / peak_core);
      std::printf("\n");
      if (vs)
        std::printf(
            "   vs %-6s        wall %7.2f [%7.2f] GFLOP/s  per-core %7.2f GFLOP/s  ratio %s/%s: "
            "wall %.3f, per-core %.3f\n",
            isa_name(vs_isa), o.wall_gflops, o.best_wall_gflops, o.cpu_gflops,
            isa_name(active_isa()), isa_name(vs_isa), rw, rc);
    }
  }
  return 0;
}
