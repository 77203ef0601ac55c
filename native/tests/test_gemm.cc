// sgemm and every kernel set against a float64 naive reference.
//
// Sweeps, for every kernel set the CPU supports (scalar, sse2, avx2, avx512, neon; the
// others are printed as skipped): tile edges (m < MR, n < NR around each set's 4/6/14 ×
// 4/8/16/32 tile, k = 1, k > KC, 1/7/15/16/17/63/65/1000-ish), every epilogue on the edges,
// every transpose combination, prime leading dimensions, beta = 0 over a NaN-filled C
// (so reading C would show), beta = 1 and 0.5, alpha ≠ 1, each epilogue, the training
// shapes, and bit-identical C for 1, 2 and 3 threads and the packed, in-place-A and
// narrow paths.
// Tolerance per element: float32 against float64 with a k-long reduction:
//   |c − c64| ≤ (k + 4) · 2⁻²³ · (|alpha| Σ_p |a_ip b_pj| + |beta c_ij| + |bias_j|) + 1e-30,
// the standard γ_k bound on a sum of k products with one rounding each, doubled.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "gemm/gemm.h"
#include "gemm/gemm_kernels.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

using namespace densely;

namespace {

std::mt19937 rng(12345);

std::vector<float> random_matrix(int64_t rows, int64_t ld) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(rows * ld));
  for (auto& x : v) x = dist(rng);
  return v;
}

int64_t next_prime(int64_t x) {
  for (;; ++x) {
    bool prime = x >= 2;
    for (int64_t d = 2; d * d <= x && prime; ++d) prime = x % d != 0;
    if (prime) return x;
  }
}

struct Case {
  bool ta, tb;
  int64_t m, n, k;
  float alpha, beta;
  Epilogue ep;
  bool prime_ld;
};

std::string describe(const Case& c, const char* who) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%s ta=%d tb=%d m=%lld n=%lld k=%lld alpha=%g beta=%g ep=%d primeld=%d", who, c.ta,
                c.tb, static_cast<long long>(c.m), static_cast<long long>(c.n),
                static_cast<long long>(c.k), c.alpha, c.beta, static_cast<int>(c.ep), c.prime_ld);
  return buf;
}

double act64(Epilogue kind, double v, double bias, double leaky) {
  switch (kind) {
    case Epilogue::kNone:
      return v;
    case Epilogue::kBias:
      return v + bias;
    case Epilogue::kBiasRelu:
      return v + bias < 0 ? 0 : v + bias;
    case Epilogue::kRelu:
      return v < 0 ? 0 : v;
    case Epilogue::kBiasLeakyRelu:
      return v + bias > 0 ? v + bias : leaky * (v + bias);
    case Epilogue::kLeakyRelu:
      return v > 0 ? v : leaky * v;
  }
  return v;
}

// Operands of one case, with C's initial contents.
struct Problem {
  Case cs;
  int64_t lda, ldb, ldc;
  std::vector<float> a, b, c0, bias;
  GemmEpilogue ep;

  explicit Problem(const Case& c) : cs(c) {
    const int64_t a_rows = c.ta ? c.k : c.m, a_cols = c.ta ? c.m : c.k;
    const int64_t b_rows = c.tb ? c.n : c.k, b_cols = c.tb ? c.k : c.n;
    lda = c.prime_ld ? next_prime(a_cols + 1) : a_cols;
    ldb = c.prime_ld ? next_prime(b_cols + 1) : b_cols;
    ldc = c.prime_ld ? next_prime(c.n + 1) : c.n;
    a = random_matrix(a_rows, lda);
    b = random_matrix(b_rows, ldb);
    c0 = random_matrix(c.m, ldc);
    if (c.beta == 0.0f) std::fill(c0.begin(), c0.end(), std::nanf(""));
    bias = random_matrix(1, c.n);
    ep.kind = c.ep;
    ep.bias = bias.data();
    ep.leaky_alpha = 0.1f;
  }

  // Checks got against the float64 reference; also that C's padding columns are untouched.
  void verify(const std::vector<float>& got, const char* who) const {
    const Case& c = cs;
    double worst = 0;
    int64_t wi = -1, wj = -1;
    double wref = 0, wgot = 0;
    bool bad = false;
    for (int64_t i = 0; i < c.m; ++i) {
      for (int64_t j = 0; j < c.n; ++j) {
        double acc = 0, mag = 0;
        for (int64_t p = 0; p < c.k; ++p) {
          const double av = c.ta ? a[p * lda + i] : a[i * lda + p];
          const double bv = c.tb ? b[j * ldb + p] : b[p * ldb + j];
          acc += av * bv;
          mag += std::fabs(av * bv);
        }
        double v = static_cast<double>(c.alpha) * acc;
        double scale = std::fabs(static_cast<double>(c.alpha)) * mag;
        if (c.beta != 0.0f) {
          v += static_cast<double>(c.beta) * c0[i * ldc + j];
          scale += std::fabs(static_cast<double>(c.beta) * c0[i * ldc + j]);
        }
        const bool has_bias = c.ep == Epilogue::kBias || c.ep == Epilogue::kBiasRelu ||
                              c.ep == Epilogue::kBiasLeakyRelu;
        if (has_bias) scale += std::fabs(bias[j]);
        const double ref = act64(c.ep, v, bias[j], 0.1f);
        const double tol = (static_cast<double>(c.k) + 4) * std::ldexp(1.0, -23) * scale + 1e-30;
        const double g = got[i * ldc + j];
        const double err = std::fabs(g - ref);
        if (!(err <= tol)) {
          bad = true;
          if (!(err <= worst) || wi < 0) {
            worst = err;
            wi = i, wj = j, wref = ref, wgot = g;
          }
        }
      }
      for (int64_t j = c.n; j < ldc; ++j) {
        const float before = c0[i * ldc + j], after = got[i * ldc + j];
        if (std::memcmp(&before, &after, sizeof(float)) != 0) {
          bad = true;
          wi = i, wj = j, wref = before, wgot = after;
        }
      }
    }
    CHECK(!bad);
    if (bad) {
      std::printf("  %s: worst at (%lld, %lld): got %.9g want %.9g (err %.3g)\n",
                  describe(c, who).c_str(), static_cast<long long>(wi), static_cast<long long>(wj),
                  wgot, wref, worst);
    }
  }
};

// Every kernel set this CPU runs; the others are printed as skipped (never as passed).
std::vector<const GemmKernelSet*> kernel_sets() {
  std::vector<const GemmKernelSet*> sets;
  std::string skipped;
  for (Isa isa : {Isa::kScalar, Isa::kSse2, Isa::kAvx2, Isa::kAvx512, Isa::kNeon}) {
    const Isa before = active_isa();
    if (force_isa(isa)) {
      sets.push_back(&gemm_kernel_set(isa));
      force_isa(before);
    } else {
      skipped += std::string(" ") + isa_name(isa);
    }
  }
  std::printf("kernel sets skipped (not supported here):%s\n",
              skipped.empty() ? " none" : skipped.c_str());
  return sets;
}

void run_case(const Case& cs, const std::vector<const GemmKernelSet*>& sets, int threads) {
  Problem pr(cs);
  {
    std::vector<float> c = pr.c0;
    gemm_f32_ref(cs.ta, cs.tb, cs.m, cs.n, cs.k, cs.alpha, pr.a.data(), pr.lda, pr.b.data(), pr.ldb,
                 cs.beta, c.data(), pr.ldc, pr.ep);
    pr.verify(c, "ref");
  }
  for (const GemmKernelSet* ks : sets) {
    for (GemmPath path : {GemmPath::kAuto, GemmPath::kPacked, GemmPath::kDirect, GemmPath::kRowsA,
                          GemmPath::kNarrow}) {
      std::vector<float> c = pr.c0;
      sgemm_with(*ks, threads, cs.ta, cs.tb, cs.m, cs.n, cs.k, cs.alpha, pr.a.data(), pr.lda,
                 pr.b.data(), pr.ldb, cs.beta, c.data(), pr.ldc, pr.ep, path);
      const char* names[] = {"/auto", "/packed", "/direct", "/rows-a", "/narrow"};
      const std::string who = std::string(isa_name(ks->isa)) + names[static_cast<int>(path)];
      pr.verify(c, who.c_str());
    }
  }
}

void sweep_edges(const std::vector<const GemmKernelSet*>& sets) {
  // Around every set's MR (4, 6, 14) and NR (4, 8, 16, 32), and two tiles deep.
  const int64_t ms[] = {1, 2, 3, 5, 6, 7, 8, 9, 13, 14, 15, 29};
  const int64_t ns[] = {1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 48, 65};
  const int64_t ks[] = {1, 2, 7, 16, 17};
  const Epilogue eps[] = {Epilogue::kNone,          Epilogue::kBias, Epilogue::kBiasRelu,
                          Epilogue::kBiasLeakyRelu, Epilogue::kRelu, Epilogue::kLeakyRelu};
  int count = 0;
  for (int t = 0; t < 4; ++t)
    for (int64_t m : ms)
      for (int64_t n : ns)
        for (int64_t k : ks) {
          const bool prime = (count % 2) == 1;
          const float beta = (count % 3 == 0) ? 0.0f : (count % 3 == 1 ? 1.0f : 0.5f);
          run_case({(t & 1) != 0, (t & 2) != 0, m, n, k, 1.0f, beta, eps[count % 7 % 6], prime},
                   sets, 1);
          ++count;
        }
  std::printf("edge sweep: %d cases\n", count);
}

void sweep_k(const std::vector<const GemmKernelSet*>& sets) {
  // Around the k blocks: 256 and 288 (the sets' KC), 289 (two blocks of 145 on AVX2), 577
  // and 784 (three blocks, the last one shorter / all equal).
  const int64_t ks[] = {15, 63, 65, 255, 256, 257, 288, 289, 577, 600, 784, 1000};
  const int64_t mn[][2] = {{63, 65}, {65, 63}, {7, 33}, {25, 17}, {29, 47}};
  int count = 0;
  for (int t = 0; t < 4; ++t)
    for (auto& d : mn)
      for (int64_t k : ks) {
        if (densely_test::quick() && k > 300) continue;
        run_case({(t & 1) != 0, (t & 2) != 0, d[0], d[1], k, -0.75f, count % 2 ? 1.0f : 0.0f,
                  Epilogue::kNone, count % 2 == 0},
                 sets, 2);
        ++count;
      }
  std::printf("k sweep: %d cases\n", count);
}

void sweep_epilogues(const std::vector<const GemmKernelSet*>& sets) {
  const Epilogue eps[] = {Epilogue::kNone,          Epilogue::kBias, Epilogue::kBiasRelu,
                          Epilogue::kBiasLeakyRelu, Epilogue::kRelu, Epilogue::kLeakyRelu};
  const int64_t dims[][3] = {{1, 8, 2},    {5, 17, 7},    {13, 33, 300}, {64, 10, 128},
                             {70, 50, 20}, {29, 47, 300}, {14, 32, 1},   {15, 16, 289}};
  int count = 0;
  for (Epilogue e : eps)
    for (auto& d : dims)
      for (int t = 0; t < 4; ++t)
        for (float beta : {0.0f, 1.0f}) {
          run_case({(t & 1) != 0, (t & 2) != 0, d[0], d[1], d[2], 1.0f, beta, e, t == 3}, sets, 2);
          ++count;
        }
  std::printf("epilogue sweep: %d cases\n", count);
}

// The narrow paths' edges: rows around their 16- and 32-row tiles (m = 15, 16, 17, 31,
// 32, 33, …), every column count of their ≤ 6- / ≤ 12-column tiles and 12-column panels
// (n = 1…13), k across a KC block (257 for 256, 400 for 288 and 352), every transpose, NaN-filled C
// under beta = 0, prime leading dimensions, each epilogue. Forced through GemmPath::kNarrow by
// run_case (and picked by kAuto for n ≤ 12), 2 threads.
void sweep_narrow(const std::vector<const GemmKernelSet*>& sets) {
  const int64_t ms[] = {1, 8, 15, 16, 17, 31, 32, 33, 64};
  const int64_t ns[] = {1, 3, 5, 6, 7, 10, 11, 12, 13};
  const int64_t ks[] = {3, 10, 64, 257, 400};
  const Epilogue eps[] = {Epilogue::kNone,          Epilogue::kBias, Epilogue::kBiasRelu,
                          Epilogue::kBiasLeakyRelu, Epilogue::kRelu, Epilogue::kLeakyRelu};
  int count = 0;
  for (int t = 0; t < 4; ++t)
    for (int64_t m : ms)
      for (int64_t n : ns)
        for (int64_t k : ks) {
          if (densely_test::quick() && k > 64) continue;
          const float beta = (count % 3 == 0) ? 0.0f : (count % 3 == 1 ? 1.0f : 0.5f);
          run_case({(t & 1) != 0, (t & 2) != 0, m, n, k, count % 4 == 3 ? -0.75f : 1.0f, beta,
                    eps[count % 6], count % 2 == 1},
                   sets, 2);
          ++count;
        }
  std::printf("narrow sweep: %d cases\n", count);
}

void sweep_large(const std::vector<const GemmKernelSet*>& sets) {
  // MC, NC and KC crossings, the training shapes (forward, dW = Xᵀ·dZ, dX = dZ·Wᵀ).
  struct L {
    bool ta, tb;
    int64_t m, n, k;
  };
  std::vector<L> shapes = {
      {false, false, 64, 128, 784}, {true, false, 784, 128, 64},   {false, true, 64, 784, 128},
      {false, false, 64, 10, 128},  {true, false, 128, 10, 64},    {false, true, 64, 128, 10},
      {false, false, 1, 8, 2},      {false, false, 200, 300, 600}, {true, true, 181, 170, 513},
      {false, false, 5, 4100, 9},   {true, false, 350, 40, 1},     {false, false, 1000, 10, 784},
      {true, true, 37, 11, 600}};
  if (densely_test::quick()) shapes.resize(7);
  for (const L& s : shapes)
    run_case({s.ta, s.tb, s.m, s.n, s.k, 1.0f, 0.0f, Epilogue::kBiasRelu, false}, sets, 2);
  std::printf("large shapes: %zu cases\n", shapes.size());
}

// C must be bit-identical for any thread count (k is never split).
void thread_invariance(const std::vector<const GemmKernelSet*>& sets) {
  struct L {
    bool ta, tb;
    int64_t m, n, k;
  };
  std::vector<L> shapes = {{false, false, 64, 128, 784},
                           {true, false, 784, 128, 64},
                           {false, true, 64, 784, 128},
                           {false, false, 97, 61, 1000},
                           {true, true, 300, 199, 70},
                           {false, false, 64, 10, 128},
                           {true, false, 128, 10, 64},
                           {false, true, 64, 128, 10},
                           {false, false, 2000, 10, 600},
                           {true, true, 1001, 7, 300},
                           {false, true, 777, 12, 257},
                           // the (B) training shapes: forward, dW, dA of 784-512-512
                           {false, false, 128, 512, 784},
                           {false, false, 128, 512, 512},
                           {true, false, 784, 512, 128},
                           {true, false, 512, 512, 128},
                           {false, true, 128, 512, 512}};
  if (densely_test::quick()) shapes.resize(11);
  set_threads(3);
  int count = 0;
  for (const GemmKernelSet* ks : sets) {
    for (const L& s : shapes) {
      Problem pr({s.ta, s.tb, s.m, s.n, s.k, 1.0f, 0.5f, Epilogue::kBiasLeakyRelu, true});
      std::vector<float> ref_c;
      for (GemmPath path :
           {GemmPath::kPacked, GemmPath::kRowsA, GemmPath::kNarrow, GemmPath::kAuto}) {
        for (int threads : {1, 2, 3}) {
          std::vector<float> c = pr.c0;
          sgemm_with(*ks, threads, s.ta, s.tb, s.m, s.n, s.k, 1.0f, pr.a.data(), pr.lda,
                     pr.b.data(), pr.ldb, 0.5f, c.data(), pr.ldc, pr.ep, path);
          if (ref_c.empty()) {
            ref_c = c;
          } else {
            const bool same = std::memcmp(c.data(), ref_c.data(), c.size() * sizeof(float)) == 0;
            CHECK(same);
            if (!same)
              std::printf("  %s path %d: %d threads differ from packed/1 thread\n",
                          isa_name(ks->isa), static_cast<int>(path), threads);
          }
        }
      }
      ++count;
    }
  }
  std::printf("thread/path invariance: %d cases x 4 paths x 3 thread counts\n", count);
}

// The avx512 14×32 kernel's C update: its C lines are prefetched during the last 2·mr k
// steps of a tile (all before the loop when kc < 2·mr), and with beta ≠ 0 the whole tile
// is scaled (alpha·acc + beta·C) before the epilogue and the stores. k around 2·mr for
// every row count (m = 1…14, 15, 28: one tile deep and two), around a k block (353, 704
// = 2 × 352), every column edge of the two vectors (n = 1, 16, 17, 31, 32, 33), beta 0
// (NaN-filled C), 1 and a value whose products round (0.3, with alpha = -0.7), each
// epilogue; checked against the float64 reference, and the packed, in-place-A and narrow
// paths must give the same bits (the narrow path finishes its elements through
// TileFinish512 in one step).
void sweep_c_update(const std::vector<const GemmKernelSet*>& sets) {
  const Epilogue eps[] = {Epilogue::kNone,          Epilogue::kBias, Epilogue::kBiasRelu,
                          Epilogue::kBiasLeakyRelu, Epilogue::kRelu, Epilogue::kLeakyRelu};
  const int64_t ns[] = {1, 16, 17, 31, 32, 33};
  std::vector<int64_t> ms;
  for (int64_t m = 1; m <= 15; ++m) ms.push_back(m);
  ms.push_back(28);
  int count = 0, compared = 0;
  for (const GemmKernelSet* ks : sets) {
    if (ks->isa != Isa::kAvx512) continue;
    for (int64_t m : ms) {
      const int64_t mr = m > 14 ? 14 : m;
      std::vector<int64_t> kvals = {2 * mr - 1, 2 * mr, 2 * mr + 1};
      if (m == 14 || m == 28) kvals.insert(kvals.end(), {353, 704});
      for (int64_t k : kvals) {
        if (k < 1) continue;
        for (int64_t n : ns) {
          const float beta = count % 3 == 0 ? 0.0f : count % 3 == 1 ? 1.0f : 0.3f;
          const float alpha = count % 3 == 2 ? -0.7f : 1.0f;
          const Case cs{count % 4 == 1, count % 4 == 2, m, n, k, alpha, beta,
                        eps[count % 6], count % 2 == 1};
          Problem pr(cs);
          std::vector<float> first;
          for (GemmPath path : {GemmPath::kPacked, GemmPath::kRowsA, GemmPath::kNarrow}) {
            std::vector<float> c = pr.c0;
            sgemm_with(*ks, 1, cs.ta, cs.tb, m, n, k, alpha, pr.a.data(), pr.lda, pr.b.data(),
                       pr.ldb, beta, c.data(), pr.ldc, pr.ep, path);
            pr.verify(c, "avx512 c-update");
            if (first.empty()) {
              first = c;
            } else {
              const bool same = std::memcmp(c.data(), first.data(), c.size() * sizeof(float)) == 0;
              CHECK(same);
              if (!same)
                std::printf("  %s: path %d differs from packed\n",
                            describe(cs, "avx512 c-update").c_str(), static_cast<int>(path));
              ++compared;
            }
          }
          ++count;
        }
      }
    }
  }
  std::printf("avx512 C-update sweep: %d cases, %d path comparisons\n", count, compared);
}

void public_entry_point() {
  // sgemm() uses the active kernel set and the global pool; k == 0 scales by beta.
  std::vector<float> a = {1, 2, 3, 4, 5, 6}, b = {1, 0, 0, 1, 1, 1}, c(4, 7.0f);
  sgemm(false, false, 2, 2, 3, 1.0f, a.data(), 3, b.data(), 2, 0.0f, c.data(), 2);
  CHECK(c[0] == 4 && c[1] == 5 && c[2] == 10 && c[3] == 11);
  std::vector<float> d = {1, -2, 3, std::nanf("")};
  sgemm(false, false, 2, 2, 0, 1.0f, nullptr, 1, nullptr, 1, 2.0f, d.data(), 2);
  CHECK(d[0] == 2 && d[1] == -4 && d[2] == 6 && std::isnan(d[3]));
  std::vector<float> e(4, std::nanf(""));
  GemmEpilogue ep;
  ep.kind = Epilogue::kBias;
  float bias[2] = {1.5f, -1.0f};
  ep.bias = bias;
  sgemm(false, false, 2, 2, 0, 1.0f, nullptr, 1, nullptr, 1, 0.0f, e.data(), 2, ep);
  CHECK(e[0] == 1.5f && e[1] == -1.0f && e[2] == 1.5f && e[3] == -1.0f);
  // m == 0 / n == 0: C untouched.
  sgemm(false, false, 0, 2, 3, 1.0f, a.data(), 3, b.data(), 2, 0.0f, c.data(), 2);
  CHECK(c[0] == 4);
}

}  // namespace

int main() {
  const auto sets = kernel_sets();
  std::printf("kernel sets:");
  for (auto* ks : sets) std::printf(" %s", isa_name(ks->isa));
  std::printf(" (active: %s)\n", isa_name(active_isa()));
  CHECK(sets.size() >= 1);
  set_threads(2);
  public_entry_point();
  sweep_edges(sets);
  sweep_k(sets);
  sweep_epilogues(sets);
  sweep_narrow(sets);
  sweep_large(sets);
  sweep_c_update(sets);
  thread_invariance(sets);
  return densely_test::finish("test_gemm");
}
