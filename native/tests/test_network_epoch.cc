// Network::train_epoch: the overflow undo on a small network (one optimizer pass over
// all parameters), and its batches read in place or gathered, against train_step on
// copies; bad indices refuse the epoch; per-batch learning rates and the optimizer state
// copied out and in.
// All of it on every kernel set (isa_legs.h: one CTest leg per set, a set this
// CPU lacks reported as skipped).
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
  for (int b = 0; b < 3; ++b)
    ref.train_step(x + 2 * order2[b], y2 + order2[b], 1, static_cast<uint64_t>(1 + b));
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

// Per-batch learning rates (EpochJob::learning_rates) give the steps of train_step after
// set_learning_rate with the same rates; the optimizer state copied out and into a fresh
// network (slots, step count) continues bit for bit. SGD with momentum (whose per-step
// constants are cached from step 3 on) and Adam.
void check_epoch_rates_and_state() {
  const ModelSpec spec = two_layer_spec(4, 8, Activation::kTanh, 2, Activation::kLinear);
  CHECK(model_spec_valid(spec));
  const int64_t samples = 20, bs = 4, nb = 5;
  std::vector<float> x(static_cast<size_t>(samples * 4)), y(static_cast<size_t>(samples * 2));
  for (float& v : x) v = next_uniform();
  for (float& v : y) v = next_uniform();
  std::vector<float> init(static_cast<size_t>(spec.param_count));
  for (float& p : init) p = 0.5f * next_uniform();
  std::vector<int32_t> order(static_cast<size_t>(samples));
  for (int64_t i = 0; i < samples; ++i) order[static_cast<size_t>(i)] = static_cast<int32_t>(i);
  const double rates[nb] = {0.05, 0.04, 0.01, 0.01, 0.002};
  for (OptimizerKind kind : {OptimizerKind::kSgd, OptimizerKind::kAdam}) {
    OptimizerSpec opt;
    opt.kind = kind;
    opt.learning_rate = 0.1;
    opt.momentum = kind == OptimizerKind::kSgd ? 0.9 : 0.0;
    std::vector<float> pa = init, pb = init;
    Network a(spec, pa.data()), b(spec, pb.data());
    for (Network* net : {&a, &b}) {
      net->set_loss(Loss::kMse);
      net->set_optimizer(opt);
    }
    EpochJob job;
    job.x = x.data();
    job.y = y.data();
    job.samples = samples;
    job.order = order.data();
    job.order_len = samples;
    job.batch_size = bs;
    job.learning_rates = rates;
    job.learning_rates_len = nb;
    const EpochResult r = a.train_epoch(job, nullptr, nullptr, nullptr);
    CHECK(r.status == EpochStatus::kEpochDone && r.batches == nb);
    for (int64_t bi = 0; bi < nb; ++bi) {
      b.set_learning_rate(rates[bi]);
      b.train_step(x.data() + bi * bs * 4, y.data() + bi * bs * 2, bs, static_cast<uint64_t>(bi));
    }
    CHECK(std::memcmp(pa.data(), pb.data(), pa.size() * sizeof(float)) == 0);
    CHECK(a.optimizer_steps() == nb && b.optimizer_steps() == nb);
    const int slots = optimizer_slots(opt);
    for (int i = 0; i < 2; ++i) CHECK((a.optimizer_slot(i) != nullptr) == (i < slots));

    // Copy a's state into a fresh network c; one more step on each matches.
    std::vector<float> pc = pa;
    Network c(spec, pc.data());
    c.set_loss(Loss::kMse);
    c.set_optimizer(opt);
    for (int i = 0; i < slots; ++i)
      std::memcpy(c.optimizer_slot(i), a.optimizer_slot(i), pa.size() * sizeof(float));
    c.set_optimizer_steps(a.optimizer_steps());
    for (Network* net : {&a, &c}) {
      net->set_learning_rate(0.003);
      net->train_step(x.data(), y.data(), bs, 9);
    }
    CHECK(std::memcmp(pa.data(), pc.data(), pa.size() * sizeof(float)) == 0);
    for (int i = 0; i < slots; ++i)
      CHECK(std::memcmp(a.optimizer_slot(i), c.optimizer_slot(i), pa.size() * sizeof(float)) == 0);
  }
}

void check_all() {
  check_overflow_undo();
  check_epoch_in_place_and_gathered();
  check_epoch_rates_and_state();
}

}  // namespace

int main() {
  for (Isa isa : densely_test::isas_under_test("test_network_epoch")) {
    CHECK(force_isa(isa));
    const int before = densely_test::failures();
    check_all();
    if (densely_test::failures() != before) std::printf("  (kernel set %s)\n", isa_name(isa));
  }
  return densely_test::finish("test_network_epoch");
}
