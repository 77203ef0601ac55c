// fma_peak: this machine's single-precision FMA throughput, the ceiling every GEMM row
// of the bench is judged against. A bench tool, never shipped; built by bench/prepare.js
// with `g++ -O2 -mavx2 -mfma -pthread` (the AVX-512 body has its own target attribute).
//
// Usage: fma_peak <threads> [runs] [isa]  → one line "@@RESULT {json}" with best/median
// GFLOP/s and the ISA used. isa: `avx512` or `avx2`; default the widest the CPU and the
// OS support (AVX-512F with the OS saving zmm and opmask state, which GCC's
// __builtin_cpu_supports checks through XGETBV, else AVX2+FMA).
//
// Each thread runs independent dependency chains of FMAs: 2 FMA pipes × 4-cycle latency
// (Zen 3–5, Intel since Skylake) ⇒ ≥ 8 chains in flight keep both pipes busy every
// cycle. ymm: 12 chains (with a and b, 14 of 16 registers; slack for a 5-cycle FMA).
// zmm: 16 chains (18 of 32 registers), 16 lanes × 2 flops each. Zen 4 runs a zmm FMA
// as two 256-bit halves, so its AVX-512 peak equals its AVX2 one; Zen 5 and Intel's
// server cores with two 512-bit FMA units double it.
// c ← c·a + b with a < 1 converges to b / (1 − a), so values stay normal (no denormal
// slow path) however long it runs.
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace {

constexpr int kChains256 = 12;
constexpr double kFlopsPerIteration256 = kChains256 * 8.0 * 2.0;
constexpr int kChains512 = 16;
constexpr double kFlopsPerIteration512 = kChains512 * 16.0 * 2.0;

float fma_chains_avx2(long iterations) {
  const __m256 a = _mm256_set1_ps(0.999999f);
  const __m256 b = _mm256_set1_ps(1e-6f);
  __m256 c0 = _mm256_set1_ps(0.00f), c1 = _mm256_set1_ps(0.01f), c2 = _mm256_set1_ps(0.02f);
  __m256 c3 = _mm256_set1_ps(0.03f), c4 = _mm256_set1_ps(0.04f), c5 = _mm256_set1_ps(0.05f);
  __m256 c6 = _mm256_set1_ps(0.06f), c7 = _mm256_set1_ps(0.07f), c8 = _mm256_set1_ps(0.08f);
  __m256 c9 = _mm256_set1_ps(0.09f), c10 = _mm256_set1_ps(0.10f), c11 = _mm256_set1_ps(0.11f);
  for (long i = 0; i < iterations; i++) {
    c0 = _mm256_fmadd_ps(c0, a, b);
    c1 = _mm256_fmadd_ps(c1, a, b);
    c2 = _mm256_fmadd_ps(c2, a, b);
    c3 = _mm256_fmadd_ps(c3, a, b);
    c4 = _mm256_fmadd_ps(c4, a, b);
    c5 = _mm256_fmadd_ps(c5, a, b);
    c6 = _mm256_fmadd_ps(c6, a, b);
    c7 = _mm256_fmadd_ps(c7, a, b);
    c8 = _mm256_fmadd_ps(c8, a, b);
    c9 = _mm256_fmadd_ps(c9, a, b);
    c10 = _mm256_fmadd_ps(c10, a, b);
    c11 = _mm256_fmadd_ps(c11, a, b);
  }
  // Every chain feeds the result, so none can be dropped as dead code.
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                           _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
  s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
  float lanes[8];
  _mm256_storeu_ps(lanes, s);
  float total = 0;
  for (float v : lanes) total += v;
  return total;
}

__attribute__((target("avx512f"))) float fma_chains_avx512(long iterations) {
  const __m512 a = _mm512_set1_ps(0.999999f);
  const __m512 b = _mm512_set1_ps(1e-6f);
  __m512 c[kChains512];
  for (int j = 0; j < kChains512; j++) c[j] = _mm512_set1_ps(0.01f * static_cast<float>(j));
  for (long i = 0; i < iterations; i++) {
    // Fully unrolled at -O2 (a constant trip count of 16): 16 registers, no memory.
#pragma GCC unroll 16
    for (int j = 0; j < kChains512; j++) c[j] = _mm512_fmadd_ps(c[j], a, b);
  }
  __m512 s = c[0];
  for (int j = 1; j < kChains512; j++) s = _mm512_add_ps(s, c[j]);
  return _mm512_reduce_add_ps(s);
}

bool has_avx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}

// Wall time of `threads` threads each running `iterations`, in seconds.
double timed_run(bool zmm, int threads, long iterations, std::vector<float>& sink) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; t++) {
    pool.emplace_back([&sink, t, iterations, zmm] {
      sink[t] = zmm ? fma_chains_avx512(iterations) : fma_chains_avx2(iterations);
    });
  }
  for (auto& th : pool) th.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::max(1, std::atoi(argv[1])) : 1;
  // Calibrate to ~0.1 s per run, then keep the best of `runs` (default 15): the peak is
  // a ceiling, and other processes on a shared machine only ever pull a run below it,
  // so many short windows find one where the cores were free.
  const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 15;
  const bool avx512 = has_avx512();
  bool zmm = avx512;
  if (argc > 3 && std::strcmp(argv[3], "avx2") == 0) zmm = false;
  if (argc > 3 && std::strcmp(argv[3], "avx512") == 0 && !avx512) {
    std::printf("@@RESULT {\"error\":\"avx512 asked for, but the CPU or OS does not support AVX-512F\"}\n");
    return 1;
  }
  const double flops = zmm ? kFlopsPerIteration512 : kFlopsPerIteration256;
  std::vector<float> sink(threads);
  long iterations = 1 << 20;
  while (timed_run(zmm, threads, iterations, sink) < 0.025) iterations *= 2;
  iterations *= 4;
  std::vector<double> gflops;
  for (int r = 0; r < runs; r++) {
    const double seconds = timed_run(zmm, threads, iterations, sink);
    gflops.push_back(flops * static_cast<double>(iterations) * threads / seconds / 1e9);
  }
  std::sort(gflops.begin(), gflops.end());
  float checksum = 0;
  for (float v : sink) checksum += v;
  std::printf("@@RESULT {\"threads\":%d,\"runs\":%d,\"isa\":\"%s\",\"best\":%.3f,\"median\":%.3f,\"checksum\":%g}\n",
              threads, runs, zmm ? "avx512" : "avx2", gflops.back(), gflops[gflops.size() / 2],
              static_cast<double>(checksum));
  return 0;
}
