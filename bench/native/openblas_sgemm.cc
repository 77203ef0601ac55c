// openblas_sgemm: times OpenBLAS's cblas_sgemm on one shape, the reference the bench
// compares densely's sgemm with. A bench tool, never shipped; built by bench/prepare.js
// with `g++ -O2 ... -lopenblas` when Debian's libopenblas-dev is installed.
// Built with -DDENSELY_CORE (and densely's core objects, bench/prepare.js) it is
// densely_sgemm instead: the same harness timing densely::sgemm (the densely-core
// contender), so densely's C++ core and OpenBLAS are timed alike, each in its own
// process, without the N-API call that the densely-native rows include.
//
// Usage: openblas_sgemm m n k transA transB threads warmupMs sampleMs minSamples maxSamples budgetMs
//   C[m×n] = op(A)·op(B), row-major, alpha = 1, beta = 0; transA/transB are 0 or 1
//   (A stored k×m, resp. B stored n×k, when transposed). Timing follows benchmark.js:
//   warm-up, calls per sample calibrated to sampleMs, then samples within budgetMs.
// Prints one line "@@RESULT {json}" with GFLOP/s (2·m·n·k / t) per sample.
#if defined(DENSELY_CORE)
#include "gemm/gemm.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"
#else
#include <cblas.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#if !defined(DENSELY_CORE)
extern "C" {
void openblas_set_num_threads(int num_threads);
char* openblas_get_config(void);
char* openblas_get_corename(void);
}
#endif

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void fill(std::vector<float>& v, uint32_t seed) {
  uint32_t state = seed;
  for (float& x : v) {
    state = state * 1664525u + 1013904223u;
    x = static_cast<float>(state >> 8) / 16777216.0f - 0.5f;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 12) {
    std::fprintf(stderr, "usage: openblas_sgemm m n k transA transB threads warmupMs sampleMs minSamples maxSamples budgetMs\n");
    return 2;
  }
  const int m = std::atoi(argv[1]), n = std::atoi(argv[2]), k = std::atoi(argv[3]);
  const bool trans_a = std::atoi(argv[4]) != 0, trans_b = std::atoi(argv[5]) != 0;
  const int threads = std::atoi(argv[6]);
  const double warmup_s = std::atof(argv[7]) / 1e3, sample_s = std::atof(argv[8]) / 1e3;
  const int min_samples = std::atoi(argv[9]), max_samples = std::atoi(argv[10]);
  const double budget_s = std::atof(argv[11]) / 1e3;

#if defined(DENSELY_CORE)
  densely::set_threads(threads);
#else
  openblas_set_num_threads(threads);
#endif
  std::vector<float> a(static_cast<size_t>(m) * k), b(static_cast<size_t>(k) * n), c(static_cast<size_t>(m) * n);
  fill(a, 1);
  fill(b, 2);
  const int lda = trans_a ? m : k, ldb = trans_b ? k : n, ldc = n;
  auto call = [&] {
#if defined(DENSELY_CORE)
    densely::sgemm(trans_a, trans_b, m, n, k, 1.0f, a.data(), lda, b.data(), ldb, 0.0f, c.data(), ldc);
#else
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k,
                1.0f, a.data(), lda, b.data(), ldb, 0.0f, c.data(), ldc);
#endif
  };

  // Warm-up: at least one call and warmup_s; the mean of the calls after the first
  // calibrates how many calls make one sample.
  int calls = 0;
  double first = 0;
  const auto warm_start = Clock::now();
  do {
    const auto t0 = Clock::now();
    call();
    if (calls == 0) first = seconds_since(t0);
    calls++;
  } while (seconds_since(warm_start) < warmup_s);
  const double per_call = calls > 1 ? (seconds_since(warm_start) - first) / (calls - 1) : first;
  const long reps = std::max(1L, std::lround(sample_s / per_call));
  const int samples = std::clamp(static_cast<int>(budget_s / (per_call * reps)), min_samples, max_samples);

  const double flops = 2.0 * m * n * k;
  std::vector<double> rates;
  for (int s = 0; s < samples; s++) {
    const auto t0 = Clock::now();
    for (long r = 0; r < reps; r++) call();
    rates.push_back(flops * reps / seconds_since(t0) / 1e9);
  }
  std::vector<double> sorted = rates;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted.size() % 2 ? sorted[sorted.size() / 2]
                                          : 0.5 * (sorted[sorted.size() / 2 - 1] + sorted[sorted.size() / 2]);
#if defined(DENSELY_CORE)
  const std::string version = "densely core";
  const std::string config = std::string("isa ") + densely::isa_name(densely::active_isa());
  const char* corename = densely::isa_name(densely::active_isa());
#else
  // "OpenBLAS 0.3.21 <build flags>": the first two words name the version.
  std::string config = openblas_get_config();
  const size_t cut = config.find(' ', config.find(' ') + 1);
  const std::string version = cut == std::string::npos ? config : config.substr(0, cut);
  const char* corename = openblas_get_corename();
#endif
  std::string list;
  for (size_t i = 0; i < rates.size(); i++) list += (i ? "," : "") + std::to_string(rates[i]);
  std::printf("@@RESULT {\"median\":%.6f,\"min\":%.6f,\"max\":%.6f,\"samples\":[%s],\"reps\":%ld,"
              "\"info\":{\"impl\":\"%s %s kernels\",\"config\":\"%s\",\"checksum\":%g}}\n",
              median, sorted.front(), sorted.back(), list.c_str(), reps, version.c_str(), corename,
              config.c_str(), static_cast<double>(c[0]));
  return 0;
}
