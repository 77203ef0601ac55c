// Flush-to-zero (runtime/fp_mode.h): the guard sets FTZ/DAZ and gives the caller its
// exact mode back; pool workers flush for good; sgemm and every Network entry point
// compute with subnormals flushed, on the calling thread (1 thread) and on the pool
// (2 threads), and leave the caller's mode as it was.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "check.h"
#include "gemm/gemm.h"
#include "network/network.h"
#include "ops/activations.h"
#include "ops/losses.h"
#include "ops/optimizers.h"
#include "runtime/fp_mode.h"
#include "runtime/thread_pool.h"

using namespace densely;

namespace {

// Read through volatile so the compiler cannot fold the arithmetic at compile time.
volatile float g_subnormal = 1e-39f;  // < FLT_MIN = 1.18e-38
volatile float g_tiny = 1e-20f;       // its square, 1e-40, is subnormal
volatile double g_subnormal_d = 1e-310;

// What an unflushed thread computes; the checks below would see the opposite.
bool thread_keeps_subnormals() {
  const float a = g_subnormal;
  const float t = g_tiny;
  const double d = g_subnormal_d;
  return a * 1.0f != 0.0f && t * t != 0.0f && d * 1.0 != 0.0;
}

void guard_sets_and_restores() {
  CHECK(fp_flush_supported());
  CHECK(!fp_flush_on());
  CHECK(thread_keeps_subnormals());
  const FpControl before = fp_control_read();  // with the status flags raised just above
  {
    const FlushDenormals flush;
    CHECK(fp_flush_on());
    const float a = g_subnormal;
    const float t = g_tiny;
    CHECK(a * 1.0f == 0.0f);  // DAZ: the subnormal operand reads as 0
    CHECK(t * t == 0.0f);     // FTZ: the subnormal result is written as 0
    {
      const FlushDenormals nested;
      CHECK(fp_flush_on());
    }
    CHECK(fp_flush_on());  // the inner guard found the flags set and left them
  }
  // The whole register comes back, including the sticky status flags the
  // arithmetic above raised (underflow, precision).
  CHECK(fp_control_read() == before);
  CHECK(thread_keeps_subnormals());

  // A caller that already flushes keeps flushing.
  fp_control_write(before | kFpFlushBits);
  { const FlushDenormals flush; }
  CHECK(fp_flush_on());
  fp_control_write(before);
  CHECK(!fp_flush_on());
}

// Runs `n` tasks on 2 threads; each task records whether its thread flushes. The tasks
// wait for each other, so both the caller and the worker must run one.
void pool_workers_flush() {
  set_threads(2);
  const std::thread::id caller = std::this_thread::get_id();
  std::mutex mu;
  std::vector<std::pair<std::thread::id, bool>> seen;
  std::atomic<int> arrived{0};
  parallel_for(2, [&](int64_t) {
    arrived.fetch_add(1);
    for (int spin = 0; spin < 200000000 && arrived.load() < 2; ++spin) {
    }
    std::lock_guard<std::mutex> lk(mu);
    seen.emplace_back(std::this_thread::get_id(), fp_flush_on());
  });
  bool saw_worker = false;
  for (const auto& s : seen) {
    if (s.first == caller) {
      CHECK(!s.second);  // a bare parallel_for leaves the caller's mode alone
    } else {
      saw_worker = true;
      CHECK(s.second);
    }
  }
  CHECK(saw_worker);
  CHECK(!fp_flush_on());
}

// C = A·B with every product 1e-20 · 1e-20 = 1e-40 (subnormal): unflushed, C = k·1e-40
// (subnormal but non-zero, as gemm_f32_ref computes here); flushed, exactly 0.
void sgemm_flushes(int threads, int64_t m, int64_t n, int64_t k) {
  set_threads(threads);
  const float tiny = g_tiny;
  std::vector<float> a(static_cast<size_t>(m * k), tiny), b(static_cast<size_t>(k * n), tiny);
  std::vector<float> c(static_cast<size_t>(m * n), 1.0f), ref(c.size(), 1.0f);
  gemm_f32_ref(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, ref.data(), n);
  CHECK(ref[0] > 0.0f);  // the caller does not flush: the reference keeps the subnormal
  const FpControl before = fp_control_read();
  sgemm(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n);
  int64_t nonzero = 0;
  for (float v : c) nonzero += v != 0.0f;
  CHECK(nonzero == 0);
  if (nonzero != 0)
    std::printf("  sgemm %lldx%lldx%lld, %d threads: %lld subnormal entries\n", (long long)m,
                (long long)n, (long long)k, threads, (long long)nonzero);
  // Subnormal A (DAZ): 1e-39 · 1 reads as 0 · 1.
  const float subnormal = g_subnormal;
  std::fill(a.begin(), a.end(), subnormal);
  std::fill(b.begin(), b.end(), 1.0f);
  sgemm(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n);
  nonzero = 0;
  for (float v : c) nonzero += v != 0.0f;
  CHECK(nonzero == 0);
  CHECK(fp_control_read() == before);
  CHECK(thread_keeps_subnormals());
}

// 1 → 1 linear, MSE, x = 1e-39 (subnormal), y = 1, W = 0, b = 0. The gradient of W is
// 2·(ŷ − y)·x = −2e-39 unflushed; flushed (DAZ) x reads as 0 and it is exactly 0.
// Adam turns an unflushed −2e-39 into a full step (m̂ / (√v̂ + ε) ≈ −2e-39 / 1e-8, so
// W ≈ +2e-34), while the flushed W stays exactly 0; b moves either way.
ModelSpec linear_spec() {
  ModelSpec s;
  s.inputs = 1;
  s.outputs = 1;
  s.param_count = 2;
  LayerSpec l;
  l.kind = LayerKind::kDenseLayer;
  l.units = 1;
  l.dense.inputs = 1;
  l.dense.units = 1;
  l.dense.act = Activation::kLinear;
  l.dense.use_bias = true;
  l.dense.kernel_offset = 0;
  l.dense.bias_offset = 1;
  s.layers.push_back(l);
  return s;
}

void network_flushes(int threads) {
  set_threads(threads);
  const FpControl before = fp_control_read();
  OptimizerSpec adam;
  adam.kind = OptimizerKind::kAdam;
  adam.learning_rate = 1e-3;
  const float x[1] = {g_subnormal};
  const float y[1] = {1.0f};

  std::vector<float> params = {0.0f, 0.0f};
  Network net(linear_spec(), params.data());
  net.set_loss(Loss::kMse);
  net.set_optimizer(adam);

  float grads[2] = {1.0f, 1.0f};
  net.gradients(x, y, 1, grads);
  CHECK(grads[0] == 0.0f);
  CHECK(grads[1] == -2.0f);

  net.train_step(x, y, 1, 0);
  CHECK(params[0] == 0.0f);
  CHECK(params[1] > 0.0f);

  const int32_t order[4] = {0, 0, 0, 0};
  EpochJob job;
  job.x = x;
  job.y = y;
  job.samples = 1;
  job.order = order;
  job.order_len = 4;
  job.batch_size = 1;
  const EpochResult r = net.train_epoch(job, nullptr, nullptr, nullptr);
  CHECK(r.batches == 4);
  CHECK(params[0] == 0.0f);

  // predict: W = 1000, x = 1e-39: ŷ = 1e-36 unflushed, b + 0 flushed.
  params[0] = 1000.0f;
  params[1] = 0.0f;
  float out[1] = {1.0f};
  net.predict(x, 1, out);
  CHECK(out[0] == 0.0f);
  const LossResult e = net.evaluate(x, y, 1);
  CHECK(e.loss == 1.0);

  CHECK(fp_control_read() == before);
  CHECK(thread_keeps_subnormals());
}

}  // namespace

int main() {
  guard_sets_and_restores();
  pool_workers_flush();
  sgemm_flushes(1, 64, 64, 64);
  sgemm_flushes(2, 256, 256, 64);  // 4M multiply-adds: split across both threads
  sgemm_flushes(1, 3, 5, 2);       // the direct (unpacked) path
  network_flushes(1);
  network_flushes(2);
  return densely_test::finish("test_fp_mode");
}
