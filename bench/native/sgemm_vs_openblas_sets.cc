// sgemm_vs_openblas_sets: densely's kernel sets (and blocking variants of them) against
// OpenBLAS's cblas_sgemm in one process, in alternating samples of ≥ 4 ms, rated per
// CPU-second of the process: on a 2-core host shared with other jobs, wall-clock rates
// of one product swing by ±30% from minute to minute while a process's CPU time still
// counts only its own work, so the per-round ratios of CPU-time rates are the stable
// measure (use THREADS = 1: OpenBLAS's idle workers spin and bill CPU time). A tuning
// tool, never shipped or run by `npm run bench`; by hand, with the core library of
// `npm run test:native`:
//
//   g++ -O2 -std=c++17 -Inative/core bench/native/sgemm_vs_openblas_sets.cc
//       build-cmake/libdensely_core.a -lopenblas -pthread -o /tmp/sgemm_sets   (one line)
//   /tmp/sgemm_sets ROUNDS THREADS VARIANT... TA,TB,M,N,K...
//
// VARIANT: openblas, or a set (avx2 | avx512) with optional overrides joined by ':':
//   k=KC, m=MC, n=NC (blocking), p=PATH (GemmPath number), q=0 (baseline packing for A
//   and B; q=1 A only, q=2 B only), d=2 / d=5 (the avx2 / avx512 direct path; d=0 scalar),
//   u=N (the avx512 tile kernels, both entry points, of namespace dvN, N = 1…4) and
//   v=N (the avx512 packing routines of namespace dvN).
// Kernel A/B in one process: compile another version of the avx512 kernel or packing
//   file into its own namespace and link it in, e.g. the committed kernel against the
//   working tree's (the library holds the working tree's):
//     git show HEAD:native/core/gemm/gemm_f32_14x32_avx512.cc > /tmp/k_old.cc
//     g++ -std=c++17 -O3 -ffp-contract=fast -mavx512f -mavx512dq -mavx512bw -mavx512vl
//         -mavx2 -mfma -Ddensely=dv1 -Inative/core -Inative/core/gemm -c /tmp/k_old.cc
//         -o /tmp/k_old.o   (one line; the core_avx512 flags of native/sources.json)
//   then add /tmp/k_old.o to the link line and run `avx512 avx512:u=1`. Namespaces not
//   linked are weak symbols (null): naming them is an error.
// OPENBLAS_NUM_THREADS=1 in the environment: openblas_set_num_threads(1) leaves the
//   worker threads its library constructor started, whose spinning bills CPU time to
//   every variant's samples.
// Prints per shape each variant's median [90th percentile] GFLOP/s per CPU-second, its
// median wall-clock GFLOP/s, and the median over rounds of its ratio to the first
// variant. OpenBLAS's kernels: OPENBLAS_CORETYPE=SkylakeX / Haswell forces them, and
// OPENBLAS_VERBOSE=2 prints which it picked.
#include <cblas.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>
#include "gemm/gemm.h"
#include "gemm/gemm_kernels.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"
extern "C" void openblas_set_num_threads(int);
// Variant kernels and packing (u=N / v=N), weak: null unless an object defines them.
#define DENSELY_VARIANT(ns)                                                                   \
  namespace ns {                                                                              \
  struct GemmEpilogue;                                                                        \
  __attribute__((weak)) void gemm_f32_14x32_avx512(int64_t, const float*, const float*, float*, \
                                                   int64_t, int64_t, int64_t, float, float,   \
                                                   const GemmEpilogue*);                      \
  __attribute__((weak)) void gemm_f32_14x32_avx512_rows(int64_t, const float*, int64_t,       \
                                                        const float*, float*, int64_t, int64_t, \
                                                        int64_t, float, float,                \
                                                        const GemmEpilogue*);                 \
  __attribute__((weak)) void pack_a_f32_avx512(bool, const float*, int64_t, int64_t, int64_t, \
                                               int64_t, int64_t, int, float*);                \
  __attribute__((weak)) void pack_b_f32_avx512(bool, const float*, int64_t, int64_t, int64_t, \
                                               int64_t, int64_t, int, float*);                \
  }
DENSELY_VARIANT(dv1)
DENSELY_VARIANT(dv2)
DENSELY_VARIANT(dv3)
DENSELY_VARIANT(dv4)
using namespace densely;
struct Variant { void* uk; void* ukr; densely::GemmPackA pa; densely::GemmPackB pb; };
#define DENSELY_VARIANT_ENTRY(ns)                                                        \
  Variant{reinterpret_cast<void*>(ns::gemm_f32_14x32_avx512),                            \
          reinterpret_cast<void*>(ns::gemm_f32_14x32_avx512_rows), ns::pack_a_f32_avx512, \
          ns::pack_b_f32_avx512}
static const Variant kVariants[5] = {Variant{}, DENSELY_VARIANT_ENTRY(dv1), DENSELY_VARIANT_ENTRY(dv2),
                                     DENSELY_VARIANT_ENTRY(dv3), DENSELY_VARIANT_ENTRY(dv4)};
static double cpu() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}
static double wall() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
struct V { std::string name; bool blas; GemmKernelSet ks; GemmPath path; };
int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s ROUNDS THREADS VARIANT... TA,TB,M,N,K...\n", argv[0]);
    return 2;
  }
  int rounds = atoi(argv[1]); int threads = atoi(argv[2]);
  set_threads(threads); openblas_set_num_threads(threads);
  std::vector<V> vs; std::vector<std::string> shapes;
  for (int i = 3; i < argc; ++i) {
    std::string a = argv[i];
    if (a.find(',') != std::string::npos && isdigit(a[0])) { shapes.push_back(a); continue; }
    V v; v.name = a; v.blas = a == "openblas"; v.path = GemmPath::kAuto;
    if (!v.blas) {
      std::string isa = a.substr(0, a.find(':'));
      const Isa want = isa == "avx2" ? Isa::kAvx2 : Isa::kAvx512;
      if ((isa != "avx2" && isa != "avx512") || !isa_supported(want)) {
        std::fprintf(stderr, "kernel set %s unknown or not supported here\n", isa.c_str());
        return 2;
      }
      v.ks = gemm_kernel_set(want);
      size_t c = a.find(':');
      while (c != std::string::npos) {
        size_t e = a.find(':', c + 1); std::string kv = a.substr(c + 1, e == std::string::npos ? std::string::npos : e - c - 1);
        long val = atol(kv.c_str() + kv.find('=') + 1);
        if (kv[0]=='k') v.ks.blk.kc = val; else if (kv[0]=='m') v.ks.blk.mc = val; else if (kv[0]=='n') v.ks.blk.nc = val;
        else if (kv[0]=='p') v.path = (GemmPath)val; else if (kv[0]=='q') { if (val != 2) v.ks.pack_a = densely::pack_a_f32; if (val != 1) v.ks.pack_b = densely::pack_b_f32; }
        else if (kv[0]=='u' || kv[0]=='v') {
          const Variant* w = val >= 1 && val <= 4 ? &kVariants[val] : nullptr;
          if (w == nullptr || (kv[0]=='u' ? w->uk == nullptr || w->ukr == nullptr : w->pa == nullptr || w->pb == nullptr)) {
            std::fprintf(stderr, "%s: namespace dv%ld not linked\n", a.c_str(), val);
            return 2;
          }
          if (kv[0]=='u') { v.ks.ukernel = reinterpret_cast<GemmUkernel>(w->uk); v.ks.ukernel_rows_a = reinterpret_cast<GemmUkernelRowsA>(w->ukr); }
          else { v.ks.pack_a = w->pa; v.ks.pack_b = w->pb; }
        }
        else if (kv[0]=='d') v.ks.direct = val == 2 ? gemm_kernel_set(Isa::kAvx2).direct : val == 5 ? densely::gemm_f32_direct_avx512 : gemm_kernel_set(Isa::kScalar).direct;
        c = e;
      }
    }
    vs.push_back(v);
  }
  for (auto& sh : shapes) {
    int ta, tb; long m, n, k; sscanf(sh.c_str(), "%d,%d,%ld,%ld,%ld", &ta, &tb, &m, &n, &k);
    std::mt19937 rng(1); std::uniform_real_distribution<float> d(-1, 1);
    std::vector<float> A(m * k), B(k * n), C(m * n);
    for (auto& x : A) x = d(rng);
    for (auto& x : B) x = d(rng);
    long lda = ta ? m : k, ldb = tb ? k : n;
    auto call = [&](const V& v) {
      if (v.blas) cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, A.data(), lda, B.data(), ldb, 0.0f, C.data(), n);
      else sgemm_with(v.ks, threads, ta, tb, m, n, k, 1.0f, A.data(), lda, B.data(), ldb, 0.0f, C.data(), n, GemmEpilogue{}, v.path);
    };
    // Bits: every densely variant with the first one's KC must give its C exactly (MC, NC,
    // kernels and packing may change speed, never the result).
    std::vector<float> first; long first_kc = 0;
    for (auto& v : vs) {
      for (int i = 0; i < 5; ++i) call(v);
      if (v.blas) continue;
      if (first.empty()) first = C, first_kc = v.ks.blk.kc;
      else if (v.ks.blk.kc == first_kc && v.ks.isa == vs[0].ks.isa && C != first)
        printf("  !! %s: C differs from the first densely variant's\n", v.name.c_str());
    }
    double t0 = wall(); for (int i = 0; i < 5; ++i) call(vs[0]); double once = (wall() - t0) / 5;
    long inner = std::max(1L, (long)(0.004 / once));
    double fl = 2.0 * m * n * k;
    std::vector<std::vector<double>> rate(vs.size()), ratio(vs.size()), wrate(vs.size());
    for (int r = 0; r < rounds; ++r) {
      for (size_t i = 0; i < vs.size(); ++i) {
        double c0 = cpu(), w0 = wall();
        for (long j = 0; j < inner; ++j) call(vs[i]);
        rate[i].push_back(fl * inner / (cpu() - c0) * 1e-9);
        wrate[i].push_back(fl * inner / (wall() - w0) * 1e-9);
      }
      for (size_t i = 0; i < vs.size(); ++i) ratio[i].push_back(rate[i].back() / rate[0].back());
    }
    printf("%s (%ld calls/sample, %d rounds, per-CPU-second GFLOP/s: median [p90]; ratio = median of per-round ratios to %s)\n", sh.c_str(), inner, rounds, vs[0].name.c_str());
    for (size_t i = 0; i < vs.size(); ++i) {
      auto s = rate[i]; std::sort(s.begin(), s.end()); auto q = ratio[i]; std::sort(q.begin(), q.end()); auto w = wrate[i]; std::sort(w.begin(), w.end());
      printf("  %-28s %7.1f [%7.1f]  wall %7.1f  ratio %.3f\n", vs[i].name.c_str(), s[s.size()/2], s[s.size()*9/10], w[w.size()/2], q[q.size()/2]);
    }
    fflush(stdout);
  }
}
