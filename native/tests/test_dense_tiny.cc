// The tiny dense path (ops/dense.cc: small kernels in products sgemm would run direct, on
// plain loops) against a float64 reference, the out-of-place optimizer update (train_epoch's overflow guard)
// against the in-place one, the overflow undo of Network::train_epoch on a small
// network (one optimizer pass over all parameters), and its batches read in place or
// gathered against train_step on copies. All of it on every kernel set (isa_legs.h: one
// CTest leg per set, a set this CPU lacks reported as skipped).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "check.h"
#include "isa_legs.h"
#include "network/network.h"
#include "ops/activations.h"
#include "ops/dense.h"
#include "ops/optimizers.h"
#include "runtime/cpu.h"

using namespace densely;

namespace {

densely_test::Lcg g_rng(12345);
float next_uniform() { return g_rng.uniform(-1.0f, 1.0f); }  // in [-1, 1)

bool close(double got, double want) { return std::fabs(got - want) <= 1e-5 * std::fabs(want) + 1e-5; }

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
      for (int64_t p = 0; p < in; ++p) s += static_cast<double>(x[r * in + p]) * params[p * units + j];
      ok = ok && close(a[r * units + j], s) && close(z[r * units + j], s);
    }
    for (int64_t p = 0; p < in; ++p) {
      double s = 0.0;
      for (int64_t j = 0; j < units; ++j) s += static_cast<double>(dz[r * units + j]) * params[p * units + j];
      ok = ok && close(dx[r * in + p], s);
    }
  }
  for (int64_t p = 0; p < in; ++p) {
    for (int64_t j = 0; j < units; ++j) {
      double s = 0.0;
      for (int64_t r = 0; r < rows; ++r) s += static_cast<double>(x[r * in + p]) * dz[r * units + j];
      ok = ok && close(gw[p * units + j], s);
    }
  }
  CHECK(ok);
  if (!ok) std::printf("  tiny dense %lld→%lld, %lld rows, bias %d\n", (long long)in, (long long)units, (long long)rows, bias ? 1 : 0);
  // The same numbers for a row computed alone (both passes take the tiny path).
  std::vector<float> a1(static_cast<size_t>(units));
  dense_forward(d, params.data(), x.data() + (rows - 1) * in, 1, nullptr, a1.data());
  CHECK(std::memcmp(a1.data(), a.data() + (rows - 1) * units, static_cast<size_t>(units) * sizeof(float)) == 0);
}

void check_out_of_place(const OptimizerSpec& spec) {
  const int64_t n = 37;  // SSE2 lanes and a scalar tail
  std::vector<float> th(n), g(n), s1(n), s2(n);
  for (int64_t i = 0; i < n; ++i) {
    th[i] = next_uniform();
    g[i] = next_uniform();
    s1[i] = next_uniform();
    s2[i] = std::fabs(next_uniform());
  }
  const int slots = optimizer_slots(spec);
  for (int64_t t = 1; t <= 2; ++t) {
    const OptimizerStep k = optimizer_step(spec, t);
    std::vector<float> th_a = th, s1_a = s1, s2_a = s2, th_b = th, s1_b = s1, s2_b = s2;
    std::vector<float> oth(n, -7.0f), os1(n, -7.0f), os2(n, -7.0f);
    float* p1a = slots >= 1 ? s1_a.data() : nullptr;
    float* p2a = slots >= 2 ? s2_a.data() : nullptr;
    optimizer_update(spec, k, th_a.data(), g.data(), p1a, p2a, n);
    optimizer_update_to(spec, k, th_b.data(), g.data(), slots >= 1 ? s1_b.data() : nullptr,
                        slots >= 2 ? s2_b.data() : nullptr, n, oth.data(),
                        slots >= 1 ? os1.data() : nullptr, slots >= 2 ? os2.data() : nullptr);
    const size_t bytes = static_cast<size_t>(n) * sizeof(float);
    // The new values equal the in-place update's; the inputs are untouched.
    CHECK(std::memcmp(th_a.data(), oth.data(), bytes) == 0);
    if (slots >= 1) CHECK(std::memcmp(s1_a.data(), os1.data(), bytes) == 0);
    if (slots >= 2) CHECK(std::memcmp(s2_a.data(), os2.data(), bytes) == 0);
    CHECK(std::memcmp(th_b.data(), th.data(), bytes) == 0);
    CHECK(std::memcmp(s1_b.data(), s1.data(), bytes) == 0);
    CHECK(std::memcmp(s2_b.data(), s2.data(), bytes) == 0);
  }
}

// inputs → hidden (act1) → outputs (act2), dense with biases, laid out as the facade
// does: each layer's kernel then its bias.
ModelSpec two_layer_spec(int64_t inputs, int64_t hidden, Activation act1, int64_t outputs,
                         Activation act2) {
  ModelSpec spec;
  spec.inputs = inputs;
  int64_t off = 0, width = inputs;
  const int64_t units[2] = {hidden, outputs};
  const Activation acts[2] = {act1, act2};
  for (int l = 0; l < 2; ++l) {
    LayerSpec ls;
    ls.kind = LayerKind::kDenseLayer;
    ls.units = units[l];
    ls.dense.inputs = width;
    ls.dense.units = units[l];
    ls.dense.act = acts[l];
    ls.dense.kernel_offset = off;
    off += width * units[l];
    ls.dense.bias_offset = off;
    off += units[l];
    spec.layers.push_back(ls);
    width = units[l];
  }
  spec.outputs = outputs;
  spec.param_count = off;
  return spec;
}

// 2→8 tanh→1 linear, mse, SGD with momentum and a huge learning rate. Batch 0's target
// is the network's own output (a zero gradient: the step changes nothing); batch 1's
// huge target gives a finite loss and gradient but an update that overflows. The epoch
// stops there as non-finite, with the parameters as they were before that step.
// Batch 0 applies a real step, batch 1's update overflows: the epoch stops there with
// the parameters and optimizer state of batch 0 alone. One applied step is an odd
// number, so they sit in the Network's other copy when the overflow is dropped and
// must be copied back to the caller's array. A second, sane epoch then runs on the same
// state as train_step does on a reference network (same momentum buffer, same t).
void check_overflow_undo() {
  const ModelSpec spec = two_layer_spec(2, 8, Activation::kTanh, 1, Activation::kLinear);
  CHECK(model_spec_valid(spec));
  std::vector<float> params(static_cast<size_t>(spec.param_count));
  for (float& p : params) p = next_uniform();
  std::vector<float> ref_params = params;
  Network net(spec, params.data()), ref(spec, ref_params.data());
  OptimizerSpec opt;
  opt.kind = OptimizerKind::kSgd;
  opt.learning_rate = 0.1;
  opt.momentum = 0.9;
  for (Network* n : {&net, &ref}) {
    n->set_loss(Loss::kMse);
    n->set_optimizer(opt);
  }
  const float x[4] = {0.5f, -0.25f, 0.75f, 0.5f};
  float y[2] = {0.0f, 3e38f};  // row 1's gradient −2·3e38 overflows float
  net.predict(x, 1, y);
  y[0] += 0.5f;
  const std::vector<float> before = params;
  const int32_t order[2] = {0, 1};
  EpochJob job;
  job.x = x;
  job.y = y;
  job.samples = 2;
  job.order = order;
  job.order_len = 2;
  const EpochResult r = net.train_epoch(job, nullptr, nullptr, nullptr);
  CHECK(r.status == EpochStatus::kEpochNonFinite && r.failed_batch == 1 && r.batches == 1);
  ref.train_step(x, y, 1, 0);
  const size_t bytes = params.size() * sizeof(float);
  CHECK(std::memcmp(before.data(), params.data(), bytes) != 0);  // batch 0 did move them
  CHECK(std::memcmp(ref_params.data(), params.data(), bytes) == 0);
  for (float p : params) CHECK(std::isfinite(p));
  // Then three sane batches (again an odd count) from that state, on both.
  float y2[2] = {0.25f, -0.5f};
  const int32_t order2[3] = {1, 0, 1};
  job.y = y2;
  job.order = order2;
  job.order_len = 3;
  job.first_step = 1;
  const EpochResult r2 = net.train_epoch(job, nullptr, nullptr, nullptr);
  CHECK(r2.status == EpochStatus::kEpochDone && r2.batches == 3);
  for (int b = 0; b < 3; ++b) ref.train_step(x + 2 * order2[b], y2 + order2[b], 1, static_cast<uint64_t>(1 + b));
  CHECK(std::memcmp(ref_params.data(), params.data(), bytes) == 0);
}

// The epoch loop reads a batch of consecutive rows in place and gathers any other batch:
// both must give exactly the parameters of train_step on each batch copied out by hand.
// 5→16 relu→3 softmax, categorical CE, Adam, batch 4 over 22 samples (a last batch of 2);
// the orders: all in order (every batch in place), reversed (every batch gathered), and a
// mix. A bad index anywhere refuses the epoch before its first step; so does a run of
// consecutive indices that reaches past the end of x.
void check_epoch_in_place_and_gathered() {
  const ModelSpec spec = two_layer_spec(5, 16, Activation::kRelu, 3, Activation::kSoftmax);
  CHECK(model_spec_valid(spec));
  const int64_t samples = 22, bs = 4;
  std::vector<float> x(static_cast<size_t>(samples * 5)), y(static_cast<size_t>(samples * 3), 0.0f);
  for (float& v : x) v = next_uniform();
  for (int64_t i = 0; i < samples; ++i) y[static_cast<size_t>(i * 3 + i % 3)] = 1.0f;
  std::vector<float> init(static_cast<size_t>(spec.param_count));
  for (float& p : init) p = 0.5f * next_uniform();
  OptimizerSpec opt;
  opt.kind = OptimizerKind::kAdam;
  opt.learning_rate = 0.01;

  std::vector<std::vector<int32_t>> orders(3, std::vector<int32_t>(static_cast<size_t>(samples)));
  for (int64_t i = 0; i < samples; ++i) {
    orders[0][static_cast<size_t>(i)] = static_cast<int32_t>(i);
    orders[1][static_cast<size_t>(i)] = static_cast<int32_t>(samples - 1 - i);
  }
  // In place, gathered (2 1 0 3), in place, gathered, in place, and the last, short
  // batch (20 21) in place.
  orders[2] = {4, 5, 6, 7, 2, 1, 0, 3, 8, 9, 10, 11, 12, 14, 13, 15, 16, 17, 18, 19, 20, 21};
  for (const std::vector<int32_t>& order : orders) {
    std::vector<float> pa = init, pb = init;
    Network a(spec, pa.data()), b(spec, pb.data());
    for (Network* net : {&a, &b}) {
      net->set_loss(Loss::kCategoricalCrossentropy);
      net->set_optimizer(opt);
    }
    EpochJob job;
    job.x = x.data();
    job.y = y.data();
    job.samples = samples;
    job.order = order.data();
    job.order_len = samples;
    job.batch_size = bs;
    job.first_step = 3;
    const EpochResult r = a.train_epoch(job, nullptr, nullptr, nullptr);
    CHECK(r.status == EpochStatus::kEpochDone && r.batches == 6 && r.samples == samples);
    std::vector<float> xb, yb;
    for (int64_t bi = 0; bi * bs < samples; ++bi) {
      const int64_t rows = std::min<int64_t>(bs, samples - bi * bs);
      xb.clear();
      yb.clear();
      for (int64_t r0 = 0; r0 < rows; ++r0) {
        const int64_t idx = order[static_cast<size_t>(bi * bs + r0)];
        xb.insert(xb.end(), x.begin() + idx * 5, x.begin() + idx * 5 + 5);
        yb.insert(yb.end(), y.begin() + idx * 3, y.begin() + idx * 3 + 3);
      }
      b.train_step(xb.data(), yb.data(), rows, 3 + static_cast<uint64_t>(bi));
    }
    CHECK(std::memcmp(pa.data(), pb.data(), pa.size() * sizeof(float)) == 0);
  }

  // Bad indices: one inside a gathered batch, and a consecutive run past the end of x.
  const std::vector<std::vector<int32_t>> bad = {
      {0, 1, 2, 3, 4, 5, 6, 99},
      {0, 1, 2, 3, 20, 21, 22, 23},
  };
  for (const std::vector<int32_t>& order : bad) {
    std::vector<float> pa = init;
    Network a(spec, pa.data());
    a.set_loss(Loss::kCategoricalCrossentropy);
    a.set_optimizer(opt);
    EpochJob job;
    job.x = x.data();
    job.y = y.data();
    job.samples = samples;
    job.order = order.data();
    job.order_len = 8;
    job.batch_size = bs;
    const EpochResult r = a.train_epoch(job, nullptr, nullptr, nullptr);
    // Refused before any step: batch 0, though valid, did not train.
    CHECK(r.status == EpochStatus::kEpochBadIndex && r.failed_batch == 1 && r.batches == 0);
    CHECK(std::memcmp(pa.data(), init.data(), pa.size() * sizeof(float)) == 0);
  }
}

void check_all() {
  const int64_t shapes[][2] = {{2, 8}, {8, 1}, {1, 1}, {3, 5}, {16, 16}, {4, 17}, {9, 24}, {32, 8}, {256, 1}, {1, 256}};
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

  OptimizerSpec sgd;
  check_out_of_place(sgd);
  sgd.weight_decay = 0.01;
  check_out_of_place(sgd);
  sgd.momentum = 0.9;
  check_out_of_place(sgd);
  sgd.nesterov = true;
  check_out_of_place(sgd);
  OptimizerSpec adam;
  adam.kind = OptimizerKind::kAdam;
  check_out_of_place(adam);
  adam.kind = OptimizerKind::kAdamW;
  adam.weight_decay = 0.01;
  check_out_of_place(adam);
  OptimizerSpec rms;
  rms.kind = OptimizerKind::kRmsProp;
  check_out_of_place(rms);
  rms.momentum = 0.5;
  check_out_of_place(rms);

  check_overflow_undo();
  check_epoch_in_place_and_gathered();
}

}  // namespace

int main() {
  for (Isa isa : densely_test::isas_under_test("test_dense_tiny")) {
    CHECK(force_isa(isa));
    const int before = densely_test::failures();
    check_all();
    if (densely_test::failures() != before) std::printf("  (kernel set %s)\n", isa_name(isa));
  }
  return densely_test::finish("test_dense_tiny");
}
