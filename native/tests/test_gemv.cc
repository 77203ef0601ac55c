// The avx512 direct path's register-accumulator axpy form (gemm_f32_gemv_avx512.cc) gives
// the bits of gemm_f32_direct_impl, the form it replaced for k ≥ 16:
//   - against an FMA chain written here (acc = 0, acc ← fma(a_p, b_pj, acc) in p order, then
//     the epilogue), for alpha 1 and beta 0 (every forward pass);
//   - against the avx2 set's direct path (gemm_f32_direct_impl compiled with FMA, the code
//     the avx512 set ran before) for every alpha, beta and epilogue.
// Shapes cover one and several rows, transposed A, column counts that are not a multiple
// of 16 and span several 256-column chunks, and the k threshold (15 runs the old form).
// Exits 77 (skipped) on a CPU without the avx512 set, and on other architectures.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "check.h"
#include "gemm/gemm_epilogue.h"
#include "gemm/gemm_kernels.h"
#include "runtime/cpu.h"

using namespace densely;

namespace {

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

#if !defined(__x86_64__) && !defined(_M_X64)
int main() {
  std::printf("test_gemv: skipped (an x86-64 kernel; this is not an x86-64 build)\n");
  return 77;
}
#else
int main() {
  if (!isa_supported(Isa::kAvx512)) {
    std::printf("test_gemv: skipped (no avx512 set on this CPU)\n");
    return 77;
  }
  densely_test::Lcg rng(11);
  const int64_t ms[] = {1, 2, 3};
  const int64_t ns[] = {1, 10, 16, 17, 255, 256, 257, 512, 600};
  const int64_t ks[] = {15, 16, 33, 784};
  const Epilogue kinds[] = {Epilogue::kNone,          Epilogue::kBias, Epilogue::kBiasRelu,
                            Epilogue::kBiasLeakyRelu, Epilogue::kRelu, Epilogue::kLeakyRelu};
  int cases = 0;
  for (const int64_t m : ms) {
    for (const int64_t n : ns) {
      for (const int64_t k : ks) {
        for (const bool ta : {false, true}) {
          const int64_t lda = ta ? m + 1 : k + 3, ldb = n + 5, ldc = n + 2;
          std::vector<float> a(static_cast<size_t>(ta ? k * lda : m * lda));
          std::vector<float> b(static_cast<size_t>(k * ldb));
          std::vector<float> bias(static_cast<size_t>(n));
          std::vector<float> c0(static_cast<size_t>(m * ldc));
          for (float& v : a) v = rng.uniform(-1.0f, 1.0f);
          for (float& v : b) v = rng.uniform(-1.0f, 1.0f);
          for (float& v : bias) v = rng.uniform(-0.5f, 0.5f);
          for (float& v : c0) v = rng.uniform(-1.0f, 1.0f);
          for (const Epilogue kind : kinds) {
            GemmEpilogue ep;
            ep.kind = kind;
            ep.bias = bias.data();
            ep.leaky_alpha = 0.2f;
            // alpha 1, beta 0 against the FMA chain.
            std::vector<float> got = c0, want = c0;
            gemm_f32_direct_avx512(ta, false, m, n, k, 1.0f, a.data(), lda, b.data(), ldb, 0.0f,
                                   got.data(), ldc, ep);
            for (int64_t i = 0; i < m; ++i) {
              for (int64_t j = 0; j < n; ++j) {
                float acc = 0.0f;
                for (int64_t p = 0; p < k; ++p) {
                  const float av = ta ? a[static_cast<size_t>(p * lda + i)]
                                      : a[static_cast<size_t>(i * lda + p)];
                  acc = std::fmaf(av, b[static_cast<size_t>(p * ldb + j)], acc);
                }
                want[static_cast<size_t>(i * ldc + j)] = apply_epilogue(ep, 1.0f * acc, j);
              }
            }
            CHECK(same_bits(got, want));
            // Every alpha and beta against the avx2 build of the form it replaced.
            for (const float alpha : {1.0f, -0.75f}) {
              for (const float beta : {0.0f, 1.0f, 0.5f}) {
                std::vector<float> g2 = c0, w2 = c0;
                gemm_f32_direct_avx512(ta, false, m, n, k, alpha, a.data(), lda, b.data(), ldb,
                                       beta, g2.data(), ldc, ep);
                gemm_f32_direct_avx2(ta, false, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta,
                                     w2.data(), ldc, ep);
                CHECK(same_bits(g2, w2));
                ++cases;
              }
            }
          }
        }
      }
    }
  }
  std::printf("test_gemv: %d cases\n", cases);
  return densely_test::finish("test_gemv");
}
#endif
