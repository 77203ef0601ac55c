// sgemm_vs_openblas: densely::sgemm against OpenBLAS's cblas_sgemm in one process, on
// the same operands, in alternating short samples (each sample ≥ 2 ms), so both see the
// same machine state: on a shared 2-core host this is the fair comparison for products
// of a few microseconds, where the Node bench also counts the N-API call (~1 µs) on
// densely's side only. A bench tool, never shipped. `npm run bench` builds it
// (bench/prepare.js compiles the core's sources into it with the flags of
// native/sources.json, into bench/build/) and runs it after the sgemm trials for the
// 1-thread "same process" verdicts. By hand, with the core library of
// `npm run test:native`:
//
//   g++ -O2 -std=c++17 -Inative/core bench/native/sgemm_vs_openblas.cc \
//       build-cmake/libdensely_core.a -lopenblas -pthread -o /tmp/sgemm_vs_openblas
//   /tmp/sgemm_vs_openblas THREADS ROUNDS TA,TB,M,N,K [TA,TB,M,N,K ...]
//
// Prints per shape the median and 90th percentile GFLOP/s (2·m·n·k / t) of ROUNDS
// samples for each, their ratio, and the largest |difference| between the two results.
// Use it with THREADS = 1: with 2, OpenBLAS's worker threads keep spinning after each of
// its calls and take the cores from densely's pool in the next sample (measured: 0.55×
// on shapes where separate processes give densely 1.2×); `npm run bench` runs each
// contender in its own process for the threaded figures.
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "gemm/gemm.h"
#include "runtime/thread_pool.h"

extern "C" void openblas_set_num_threads(int);

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s THREADS ROUNDS TA,TB,M,N,K ...\n", argv[0]);
    return 2;
  }
  // DENSELY_AB_JSON=1 adds one "@@AB {json}" line per shape (bench/index.js reads it).
  const char* json_env = std::getenv("DENSELY_AB_JSON");
  const bool json = json_env != nullptr && json_env[0] == '1';
  const int threads = std::atoi(argv[1]);
  const int rounds = std::max(1, std::atoi(argv[2]));
  densely::set_threads(threads);
  openblas_set_num_threads(threads);
  for (int s = 3; s < argc; ++s) {
    int ta = 0, tb = 0;
    long m = 0, n = 0, k = 0;
    if (std::sscanf(argv[s], "%d,%d,%ld,%ld,%ld", &ta, &tb, &m, &n, &k) != 5 || m < 1 || n < 1 || k < 1) {
      std::fprintf(stderr, "bad shape %s\n", argv[s]);
      return 2;
    }
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> d(-1.0f, 1.0f);
    std::vector<float> a(static_cast<size_t>(m * k)), b(static_cast<size_t>(k * n)),
        c(static_cast<size_t>(m * n)), c2(static_cast<size_t>(m * n));
    for (float& x : a) x = d(rng);
    for (float& x : b) x = d(rng);
    const long lda = ta ? m : k, ldb = tb ? k : n;
    auto ours = [&] {
      densely::sgemm(ta != 0, tb != 0, m, n, k, 1.0f, a.data(), lda, b.data(), ldb, 0.0f,
                     c.data(), n);
    };
    auto theirs = [&] {
      cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                  static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f, a.data(),
                  static_cast<int>(lda), b.data(), static_cast<int>(ldb), 0.0f, c2.data(),
                  static_cast<int>(n));
    };
    for (int i = 0; i < 20; ++i) {
      ours();
      theirs();
    }
    const double t0 = now();
    for (int i = 0; i < 10; ++i) ours();
    const double once = (now() - t0) / 10;
    const int inner = std::max(1, static_cast<int>(0.002 / once));
    const double flop = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
    std::vector<double> r1, r2;
    for (int r = 0; r < rounds; ++r) {
      const double s1 = now();
      for (int i = 0; i < inner; ++i) ours();
      r1.push_back(flop * inner / (now() - s1) * 1e-9);
      const double s2 = now();
      for (int i = 0; i < inner; ++i) theirs();
      r2.push_back(flop * inner / (now() - s2) * 1e-9);
    }
    std::sort(r1.begin(), r1.end());
    std::sort(r2.begin(), r2.end());
    double maxdiff = 0.0;
    for (size_t i = 0; i < c.size(); ++i) maxdiff = std::max(maxdiff, static_cast<double>(std::fabs(c[i] - c2[i])));
    std::printf("%-18s T%d densely med %6.1f p90 %6.1f | openblas med %6.1f p90 %6.1f | ratio(med) %.3f  (maxdiff %.1e)\n",
                argv[s], threads, r1[r1.size() / 2], r1[r1.size() * 9 / 10], r2[r2.size() / 2],
                r2[r2.size() * 9 / 10], r1[r1.size() / 2] / r2[r2.size() / 2], maxdiff);
    if (json)
      std::printf("@@AB {\"ta\":%d,\"tb\":%d,\"m\":%ld,\"n\":%ld,\"k\":%ld,\"threads\":%d,"
                  "\"densely\":%.3f,\"openblas\":%.3f,\"maxdiff\":%.3g}\n",
                  ta, tb, m, n, k, threads, r1[r1.size() / 2], r2[r2.size() / 2], maxdiff);
    std::fflush(stdout);
  }
  return 0;
}
