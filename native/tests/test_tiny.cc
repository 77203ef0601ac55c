// The tiny path (network/tiny.h) against the general path: random small all-dense networks
// (1–3 layers, widths up to the tiny limits, every activation the tiny path takes), every
// optimizer (sgd plain / weight decay / momentum / nesterov, adam, adamw, rmsprop with and
// without momentum, with and without clip_value), several losses, with and without row
// weights. Two Networks on copies of the same parameters, one with the tiny path off, must
// agree bit for bit: train_step's loss, the parameters and the optimizer state after each
// step; train_epoch at batch 1 (guarded, out-of-place updates) and its loss sum; one-row
// predict. Specs the tiny path must refuse (softmax, a norm layer, a regularizer, a wide
// layer, batch > 1, clip_norm) are checked to take the general path. On every kernel set
// (isa_legs.h).
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "check.h"
#include "isa_legs.h"
#include "network/network.h"
#include "network/tiny.h"
#include "ops/activations.h"
#include "ops/losses.h"
#include "ops/optimizers.h"
#include "runtime/cpu.h"

using namespace densely;

namespace {

densely_test::Lcg g_rng(2024);
float uni(float lo, float hi) { return g_rng.uniform(lo, hi); }
int pick(int n) {
  const int k = static_cast<int>(uni(0.0f, static_cast<float>(n)));
  return k < n ? k : n - 1;
}

ModelSpec make_spec(const std::vector<int64_t>& widths, const std::vector<Activation>& acts,
                    const std::vector<bool>& bias) {
  ModelSpec spec;
  spec.inputs = widths.front();
  spec.outputs = widths.back();
  spec.seed = 9;
  int64_t off = 0;
  for (size_t i = 0; i + 1 < widths.size(); ++i) {
    LayerSpec l;
    l.kind = LayerKind::kDenseLayer;
    l.units = widths[i + 1];
    l.dense.inputs = widths[i];
    l.dense.units = widths[i + 1];
    l.dense.act = acts[i];
    l.dense.alpha = 0.1f;
    l.dense.use_bias = bias[i];
    l.dense.kernel_offset = off;
    off += widths[i] * widths[i + 1];
    if (bias[i]) {
      l.dense.bias_offset = off;
      off += widths[i + 1];
    }
    spec.layers.push_back(l);
  }
  spec.param_count = off;
  return spec;
}

bool same_bits(const float* a, const float* b, int64_t n) {
  return std::memcmp(a, b, static_cast<size_t>(n) * sizeof(float)) == 0;
}

std::vector<OptimizerSpec> optimizers() {
  std::vector<OptimizerSpec> out;
  OptimizerSpec o;
  o.kind = OptimizerKind::kSgd;
  o.learning_rate = 0.1;
  out.push_back(o);  // plain
  o.weight_decay = 0.01;
  out.push_back(o);  // weight decay
  o.momentum = 0.9;
  out.push_back(o);  // momentum
  o.nesterov = true;
  o.clip_value = 0.05;
  out.push_back(o);  // nesterov, clipped
  OptimizerSpec a;
  a.kind = OptimizerKind::kAdam;
  a.learning_rate = 0.01;
  out.push_back(a);
  a.weight_decay = 0.02;
  a.clip_value = 0.1;
  out.push_back(a);
  a.kind = OptimizerKind::kAdamW;
  out.push_back(a);
  OptimizerSpec r;
  r.kind = OptimizerKind::kRmsProp;
  r.learning_rate = 0.01;
  out.push_back(r);
  r.momentum = 0.5;
  r.weight_decay = 0.01;
  out.push_back(r);
  return out;
}

// A random spec within the tiny limits: 1–3 dense layers, widths 1–12 (sometimes a 16×16
// kernel, at kTinyKernel), activations among the five the tiny path takes.
ModelSpec random_spec(Loss loss) {
  const Activation acts[] = {Activation::kLinear, Activation::kRelu, Activation::kLeakyRelu,
                             Activation::kSigmoid, Activation::kTanh};
  const int layers = 1 + pick(3);
  std::vector<int64_t> widths{1 + pick(12)};
  std::vector<Activation> as;
  std::vector<bool> bias;
  for (int i = 0; i < layers; ++i) {
    const bool last = i == layers - 1;
    int64_t w = 1 + pick(12);
    if (!last && widths.back() <= 16 && pick(4) == 0) w = 16;
    if (last && loss == Loss::kBinaryCrossentropy) w = 1 + pick(3);
    widths.push_back(w);
    Activation a = acts[pick(5)];
    if (last && loss == Loss::kBinaryCrossentropy) a = Activation::kSigmoid;
    as.push_back(a);
    bias.push_back(pick(5) != 0);
  }
  return make_spec(widths, as, bias);
}

void fill_params(std::vector<float>& p) {
  for (float& v : p) v = uni(-0.8f, 0.8f);
}

// n rows of x and targets for the loss (0/1 for binary CE).
void fill_data(Loss loss, int64_t n, int64_t in, int64_t out, std::vector<float>& x,
               std::vector<float>& y, std::vector<float>& w) {
  x.resize(static_cast<size_t>(n * in));
  y.resize(static_cast<size_t>(n * out));
  w.resize(static_cast<size_t>(n));
  for (float& v : x) v = uni(-2.0f, 2.0f);
  for (float& v : y)
    v = loss == Loss::kBinaryCrossentropy ? (uni(0.0f, 1.0f) < 0.5f ? 0.0f : 1.0f)
                                          : uni(-1.0f, 1.0f);
  for (float& v : w) v = uni(0.25f, 2.0f);
}

void compare_nets(Network& a, Network& b, const OptimizerSpec& opt, const char* what, int trial) {
  const int64_t pc = a.spec().param_count;
  const int slots = optimizer_slots(opt);
  bool ok = a.optimizer_steps() == b.optimizer_steps();
  for (int s = 0; s < slots; ++s)
    ok = ok && same_bits(a.optimizer_slot(s), b.optimizer_slot(s), pc);
  if (!ok) std::printf("  %s: optimizer state differs (trial %d)\n", what, trial);
  CHECK(ok);
}

void check_random(int trials) {
  const Loss losses[] = {Loss::kMse, Loss::kBinaryCrossentropy, Loss::kMae, Loss::kHuber};
  const std::vector<OptimizerSpec> opts = optimizers();
  for (int trial = 0; trial < trials; ++trial) {
    const Loss loss = losses[trial % 4];
    const OptimizerSpec& opt = opts[static_cast<size_t>(trial / 4) % opts.size()];
    const ModelSpec spec = random_spec(loss);
    CHECK(model_spec_valid(spec));
    CHECK(tiny_spec_supported(spec));
    std::vector<float> pa(static_cast<size_t>(spec.param_count));
    fill_params(pa);
    std::vector<float> pb = pa;
    Network na(spec, pa.data()), nb(spec, pb.data());
    LossConfig lc;
    lc.kind = loss;
    lc.delta = 0.5;
    for (Network* n : {&na, &nb}) {
      n->set_loss(lc);
      n->set_optimizer(opt);
    }
    nb.set_tiny_path(false);
    CHECK(na.tiny_path(1));
    CHECK(!nb.tiny_path(1));
    CHECK(!na.tiny_path(2));
    const int64_t in = spec.inputs, out = spec.outputs;
    std::vector<float> x, y, w;
    const int64_t rows = 24;
    fill_data(loss, rows, in, out, x, y, w);
    // train_step, row by row (weights on odd trials).
    for (int64_t r = 0; r < rows; ++r) {
      const float* wr = trial % 2 == 1 ? w.data() + r : nullptr;
      const LossResult la =
          na.train_step(x.data() + r * in, y.data() + r * out, 1, static_cast<uint64_t>(r), wr);
      const LossResult lb =
          nb.train_step(x.data() + r * in, y.data() + r * out, 1, static_cast<uint64_t>(r), wr);
      const bool ok = std::memcmp(&la.loss, &lb.loss, sizeof la.loss) == 0 &&
                      la.correct == lb.correct && same_bits(pa.data(), pb.data(), spec.param_count);
      if (!ok)
        std::printf("  train_step trial %d row %lld: loss %.9g vs %.9g\n", trial,
                    static_cast<long long>(r), la.loss, lb.loss);
      CHECK(ok);
    }
    compare_nets(na, nb, opt, "train_step", trial);
    // train_epoch at batch 1: the guarded out-of-place updates, a shuffled order.
    std::vector<int32_t> order(static_cast<size_t>(rows));
    for (int64_t i = 0; i < rows; ++i) order[static_cast<size_t>(i)] = static_cast<int32_t>(i);
    for (int64_t i = rows - 1; i > 0; --i) {
      const int64_t j = pick(static_cast<int>(i + 1));
      std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
    }
    std::vector<float> oa(static_cast<size_t>(rows * out)), ob(oa.size());
    EpochJob job;
    job.x = x.data();
    job.y = y.data();
    job.samples = rows;
    job.order = order.data();
    job.order_len = rows;
    job.batch_size = 1;
    job.first_step = 100;
    job.weights = trial % 3 == 0 ? w.data() : nullptr;
    for (int epoch = 0; epoch < 3; ++epoch) {  // odd and even step counts (copy-back)
      job.outputs = oa.data();
      const EpochResult ea = na.train_epoch(job, nullptr, nullptr, nullptr);
      job.outputs = ob.data();
      const EpochResult eb = nb.train_epoch(job, nullptr, nullptr, nullptr);
      const bool ok = ea.status == eb.status && ea.batches == eb.batches &&
                      std::memcmp(&ea.loss_sum, &eb.loss_sum, sizeof ea.loss_sum) == 0 &&
                      ea.correct == eb.correct &&
                      same_bits(pa.data(), pb.data(), spec.param_count) &&
                      same_bits(oa.data(), ob.data(), rows * out);
      if (!ok)
        std::printf("  train_epoch trial %d epoch %d: loss sum %.12g vs %.12g\n", trial, epoch,
                    ea.loss_sum, eb.loss_sum);
      CHECK(ok);
    }
    compare_nets(na, nb, opt, "train_epoch", trial);
    // One-row predict.
    std::vector<float> ya(static_cast<size_t>(out)), yb(ya.size());
    for (int64_t r = 0; r < 4; ++r) {
      na.predict(x.data() + r * in, 1, ya.data());
      nb.predict(x.data() + r * in, 1, yb.data());
      CHECK(same_bits(ya.data(), yb.data(), out));
    }
  }
}

// An update that overflows under train_epoch's guard: both paths drop it alike.
void check_overflow() {
  const ModelSpec spec =
      make_spec({2, 8, 1}, {Activation::kTanh, Activation::kLinear}, {true, true});
  std::vector<float> pa(static_cast<size_t>(spec.param_count));
  fill_params(pa);
  std::vector<float> pb = pa;
  Network na(spec, pa.data()), nb(spec, pb.data());
  OptimizerSpec opt;
  opt.kind = OptimizerKind::kSgd;
  opt.learning_rate = 3e37;
  for (Network* n : {&na, &nb}) {
    n->set_loss(Loss::kMse);
    n->set_optimizer(opt);
  }
  nb.set_tiny_path(false);
  const float x[6] = {0.5f, -0.25f, 1.5f, 2.0f, -1.0f, 0.75f};
  const float y[3] = {1e3f, -1e3f, 1e3f};
  const int32_t order[3] = {0, 1, 2};
  EpochJob job;
  job.x = x;
  job.y = y;
  job.samples = 3;
  job.order = order;
  job.order_len = 3;
  const EpochResult ea = na.train_epoch(job, nullptr, nullptr, nullptr);
  const EpochResult eb = nb.train_epoch(job, nullptr, nullptr, nullptr);
  CHECK(ea.status == EpochStatus::kEpochNonFinite);
  CHECK(ea.status == eb.status && ea.failed_batch == eb.failed_batch && ea.batches == eb.batches);
  CHECK(same_bits(pa.data(), pb.data(), spec.param_count));
  CHECK(na.optimizer_steps() == nb.optimizer_steps());
}

// What the tiny path must leave to the general path.
void check_refusals() {
  const std::vector<bool> b2{true, true};
  CHECK(tiny_spec_supported(make_spec({2, 8, 1}, {Activation::kTanh, Activation::kSigmoid}, b2)));
  CHECK(!tiny_spec_supported(make_spec({2, 8, 3}, {Activation::kTanh, Activation::kSoftmax}, b2)));
  CHECK(!tiny_spec_supported(make_spec({2, 8, 1}, {Activation::kGelu, Activation::kLinear}, b2)));
  CHECK(!tiny_spec_supported(make_spec({2, 40, 1}, {Activation::kRelu, Activation::kLinear}, b2)));
  CHECK(!tiny_spec_supported(make_spec({16, 17, 1}, {Activation::kRelu, Activation::kLinear}, b2)));
  ModelSpec leaky = make_spec({2, 8, 1}, {Activation::kLeakyRelu, Activation::kLinear}, b2);
  leaky.layers[0].dense.alpha = -0.5f;
  CHECK(!tiny_spec_supported(leaky));
  ModelSpec reg = make_spec({2, 8, 1}, {Activation::kRelu, Activation::kLinear}, b2);
  reg.layers[0].kernel_l2 = 1e-3;
  CHECK(!tiny_spec_supported(reg));
  ModelSpec drop = make_spec({2, 8, 1}, {Activation::kRelu, Activation::kLinear}, b2);
  LayerSpec d;
  d.kind = LayerKind::kDropoutLayer;
  d.units = 8;
  d.rate = 0.5;
  drop.layers.insert(drop.layers.begin() + 1, d);
  CHECK(model_spec_valid(drop));
  CHECK(!tiny_spec_supported(drop));
  const ModelSpec ok = make_spec({2, 8, 1}, {Activation::kRelu, Activation::kLinear}, b2);
  std::vector<float> p(static_cast<size_t>(ok.param_count), 0.1f);
  Network net(ok, p.data());
  OptimizerSpec opt;
  net.set_optimizer(opt);
  CHECK(net.tiny_path(1));
  opt.clip_norm = 1.0;
  net.set_optimizer(opt);
  CHECK(!net.tiny_path(1));
}

// train_epoch's controls on the tiny path's batch-1 loop (tiny.cc tiny_epoch) against the
// general loop: per-batch learning rates (fewer than the batches, so the last one stays),
// the batch callback's reports, a stop requested from the callback, a non-finite loss
// (NaN input row) and an order with an invalid index. Results, reports, outputs,
// parameters and state must be the same bits.
struct Reports {
  std::vector<double> items;
  std::atomic<bool>* stop = nullptr;
  int64_t stop_after = -1;
};

void record(void* ctx, int64_t batch, double loss, int64_t correct, int64_t rows) {
  auto* r = static_cast<Reports*>(ctx);
  r->items.insert(r->items.end(), {static_cast<double>(batch), loss, static_cast<double>(correct),
                                   static_cast<double>(rows)});
  if (r->stop != nullptr && batch == r->stop_after) r->stop->store(true);
}

void check_epoch_controls() {
  const std::vector<OptimizerSpec> opts = optimizers();
  for (int variant = 0; variant < 5; ++variant) {
    const OptimizerSpec& opt = opts[static_cast<size_t>(variant * 3) % opts.size()];
    const ModelSpec spec =
        make_spec({3, 6, 2}, {Activation::kTanh, Activation::kSigmoid}, {true, true});
    std::vector<float> pa(static_cast<size_t>(spec.param_count));
    fill_params(pa);
    std::vector<float> pb = pa;
    Network na(spec, pa.data()), nb(spec, pb.data());
    for (Network* n : {&na, &nb}) {
      n->set_loss(Loss::kBinaryCrossentropy);
      n->set_optimizer(opt);
    }
    nb.set_tiny_path(false);
    const int64_t rows = 20, in = 3, out = 2;
    std::vector<float> x, y, w;
    fill_data(Loss::kBinaryCrossentropy, rows, in, out, x, y, w);
    if (variant == 3) x[static_cast<size_t>(13 * in + 1)] = std::nanf("");
    std::vector<int32_t> order(static_cast<size_t>(rows));
    for (int64_t i = 0; i < rows; ++i)
      order[static_cast<size_t>(i)] = static_cast<int32_t>((i * 7) % rows);
    if (variant == 4) order[9] = static_cast<int32_t>(rows);  // out of range
    std::vector<double> rates;
    for (int i = 0; i < 12; ++i) rates.push_back(0.01 * (1 + i % 4));
    std::vector<float> oa(static_cast<size_t>(rows * out), -1.0f), ob(oa.size(), -1.0f);
    for (int epoch = 0; epoch < 2; ++epoch) {
      std::atomic<bool> sa{false}, sb{false};
      Reports ra, rb;
      if (variant == 2) {
        ra.stop = &sa;
        rb.stop = &sb;
        ra.stop_after = rb.stop_after = 6 + epoch;
      }
      EpochJob job;
      job.x = x.data();
      job.y = y.data();
      job.samples = rows;
      job.order = order.data();
      job.order_len = rows;
      job.batch_size = 1;
      job.weights = variant == 1 ? w.data() : nullptr;
      job.learning_rates = variant >= 1 ? rates.data() : nullptr;
      job.learning_rates_len = variant >= 1 ? static_cast<int64_t>(rates.size()) : 0;
      job.outputs = oa.data();
      const EpochResult ea = na.train_epoch(job, record, &ra, &sa);
      job.outputs = ob.data();
      const EpochResult eb = nb.train_epoch(job, record, &rb, &sb);
      CHECK(ea.status == eb.status && ea.failed_batch == eb.failed_batch);
      CHECK(ea.batches == eb.batches && ea.samples == eb.samples && ea.correct == eb.correct);
      CHECK(std::memcmp(&ea.loss_sum, &eb.loss_sum, sizeof ea.loss_sum) == 0);
      // (memcmp of two empty vectors would pass it null pointers: undefined behaviour.)
      CHECK(ra.items.size() == rb.items.size() &&
            (ra.items.empty() ||
             std::memcmp(ra.items.data(), rb.items.data(), ra.items.size() * sizeof(double)) == 0));
      CHECK(same_bits(oa.data(), ob.data(), rows * out));
      CHECK(same_bits(pa.data(), pb.data(), spec.param_count));
      CHECK(na.optimizer_steps() == nb.optimizer_steps());
      if (variant == 2) CHECK(ea.status == EpochStatus::kEpochAborted && ea.batches == 7 + epoch);
      if (variant == 3) CHECK(ea.status == EpochStatus::kEpochNonFinite);
      if (variant == 4) CHECK(ea.status == EpochStatus::kEpochBadIndex && ea.batches == 0);
      if (variant <= 1) CHECK(ea.status == EpochStatus::kEpochDone && ea.batches == rows);
    }
    compare_nets(na, nb, opt, "train_epoch controls", variant);
  }
}

}  // namespace

int main() {
  check_refusals();
  const int trials = densely_test::quick() ? 40 : 160;
  for (Isa isa : densely_test::isas_under_test("test_tiny")) {
    CHECK(force_isa(isa));
    const int before = densely_test::failures();
    check_random(trials);
    check_overflow();
    check_epoch_controls();
    if (densely_test::failures() != before) std::printf("  (kernel set %s)\n", isa_name(isa));
  }
  return densely_test::finish("test_tiny");
}
