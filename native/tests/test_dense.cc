// The tiny dense path (ops/dense.cc: small kernels in products sgemm would run direct, on
// plain loops) against a float64 reference, and which shapes take it (dense_is_tiny).
// All of it on every kernel set (isa_legs.h: one CTest leg per set, a set this
// CPU lacks reported as skipped).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "check.h"
#include "isa_legs.h"
#include "ops/activations.h"
#include "ops/dense.h"
#include "runtime/cpu.h"

using namespace densely;

namespace {

densely_test::Lcg g_rng(12345);
float next_uniform() { return g_rng.uniform(-1.0f, 1.0f); }  // in [-1, 1)

bool close(double got, double want) {
  return std::fabs(got - want) <= 1e-5 * std::fabs(want) + 1e-5;
}

void check_dense(int64_t in, int64_t units, int64_t rows, bool bias) {
  DenseDesc d;
  d.inputs = in;
  d.units = units;
  d.act = Activation::kLinear;
  d.use_bias = bias;
  d.kernel_offset = 0;
  d.bias_offset = bias ? in * units : -1;
  CHECK(dense_is_tiny(d, rows) && dense_is_tiny(d, 1));
  std::vector<float> params(static_cast<size_t>(in * units + units));
  for (float& p : params) p = next_uniform();
  std::vector<float> x(static_cast<size_t>(rows * in)), dz(static_cast<size_t>(rows * units));
  for (float& v : x) v = next_uniform();
  for (float& v : dz) v = next_uniform();
  std::vector<float> a(static_cast<size_t>(rows * units)), z(a.size());
  std::vector<float> gw(static_cast<size_t>(in * units)), dx(static_cast<size_t>(rows * in));
  dense_forward(d, params.data(), x.data(), rows, z.data(), a.data());
  dense_backward(d, params.data(), x.data(), dz.data(), rows, gw.data(), dx.data());
  bool ok = true;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < units; ++j) {
      double s = bias ? params[static_cast<size_t>(in * units + j)] : 0.0;
      for (int64_t p = 0; p < in; ++p)
        s += static_cast<double>(x[r * in + p]) * params[p * units + j];
      ok = ok && close(a[r * units + j], s) && close(z[r * units + j], s);
    }
    for (int64_t p = 0; p < in; ++p) {
      double s = 0.0;
      for (int64_t j = 0; j < units; ++j)
        s += static_cast<double>(dz[r * units + j]) * params[p * units + j];
      ok = ok && close(dx[r * in + p], s);
    }
  }
  for (int64_t p = 0; p < in; ++p) {
    for (int64_t j = 0; j < units; ++j) {
      double s = 0.0;
      for (int64_t r = 0; r < rows; ++r)
        s += static_cast<double>(x[r * in + p]) * dz[r * units + j];
      ok = ok && close(gw[p * units + j], s);
    }
  }
  CHECK(ok);
  if (!ok)
    std::printf("  tiny dense %lld→%lld, %lld rows, bias %d\n", (long long)in, (long long)units,
                (long long)rows, bias ? 1 : 0);
  // The same numbers for a row computed alone (both passes take the tiny path).
  std::vector<float> a1(static_cast<size_t>(units));
  dense_forward(d, params.data(), x.data() + (rows - 1) * in, 1, nullptr, a1.data());
  CHECK(std::memcmp(a1.data(), a.data() + (rows - 1) * units,
                    static_cast<size_t>(units) * sizeof(float)) == 0);
}

void check_all() {
  const int64_t shapes[][2] = {{2, 8},  {8, 1},  {1, 1},  {3, 5},   {16, 16},
                               {4, 17}, {9, 24}, {32, 8}, {256, 1}, {1, 256}};
  for (const auto& s : shapes) {
    for (int64_t rows : {1, 2, 7}) {
      check_dense(s[0], s[1], rows, true);
      check_dense(s[0], s[1], rows, false);
    }
  }
  DenseDesc big;
  big.inputs = 17;
  big.units = 16;
  CHECK(!dense_is_tiny(big, 1));
  DenseDesc mid;
  mid.inputs = 16;
  mid.units = 16;
  CHECK(dense_is_tiny(mid, 15) && !dense_is_tiny(mid, 16));
}

}  // namespace

int main() {
  for (Isa isa : densely_test::isas_under_test("test_dense")) {
    CHECK(force_isa(isa));
    const int before = densely_test::failures();
    check_all();
    if (densely_test::failures() != before) std::printf("  (kernel set %s)\n", isa_name(isa));
  }
  return densely_test::finish("test_dense");
}
