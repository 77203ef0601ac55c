// The inference cache: sgemm_prepacked gives sgemm's bits (every path, thread count and
// epilogue; a PackedB of another shape is ignored), and Network::predict with the cache
// gives the bits of predict without it, after train_step, train_epoch and an outside
// write announced by params_changed; an unannounced write is not seen (so the cache is
// really read); packed kernels follow a change of kernel set. Run once per kernel set
// (DENSELY_ISA legs).
#include <cstdio>
#include <cstring>
#include <numeric>
#include <vector>

#include "check.h"
#include "gemm/gemm.h"
#include "isa_legs.h"
#include "network/network.h"
#include "runtime/thread_pool.h"

using namespace densely;

namespace {

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void check_sgemm(densely_test::Lcg& rng) {
  const int64_t ms[] = {3, 14, 15, 100, 300};
  const int64_t ns[] = {13, 32, 33, 100, 512};
  const int64_t ks[] = {3, 50, 400, 784};
  const Epilogue kinds[] = {Epilogue::kNone, Epilogue::kBiasRelu, Epilogue::kBiasLeakyRelu};
  int packed = 0;
  for (const int64_t n : ns) {
    for (const int64_t k : ks) {
      std::vector<float> b(static_cast<size_t>(k * (n + 3))), bias(static_cast<size_t>(n));
      for (float& v : b) v = rng.uniform(-1.0f, 1.0f);
      for (float& v : bias) v = rng.uniform(-1.0f, 1.0f);
      PackedB pb;
      sgemm_pack_b(k, n, b.data(), n + 3, &pb);
      PackedB other;  // another shape: must be ignored
      sgemm_pack_b(k, n - 1, b.data(), n + 3, &other);
      for (const int64_t m : ms) {
        std::vector<float> a(static_cast<size_t>(m * (k + 1)));
        for (float& v : a) v = rng.uniform(-1.0f, 1.0f);
        packed += sgemm_packs_b(m, n, k) ? 1 : 0;
        for (const Epilogue kind : kinds) {
          GemmEpilogue ep;
          ep.kind = kind;
          ep.bias = bias.data();
          ep.leaky_alpha = 0.3f;
          for (int threads = 1; threads <= 3; ++threads) {
            set_threads(threads);
            std::vector<float> want(static_cast<size_t>(m * (n + 2)), 7.0f), got = want,
                                                                             got2 = want;
            sgemm(false, false, m, n, k, 1.0f, a.data(), k + 1, b.data(), n + 3, 0.0f, want.data(),
                  n + 2, ep);
            sgemm_prepacked(m, n, k, 1.0f, a.data(), k + 1, pb, b.data(), n + 3, 0.0f, got.data(),
                            n + 2, ep);
            sgemm_prepacked(m, n, k, 1.0f, a.data(), k + 1, other, b.data(), n + 3, 0.0f,
                            got2.data(), n + 2, ep);
            CHECK(same_bits(got, want));
            CHECK(same_bits(got2, want));
          }
        }
      }
    }
  }
  set_threads(1);
  CHECK(packed > 20);  // the packed path was exercised
}

ModelSpec mlp() {
  const int64_t widths[] = {60, 48, 33, 20, 10};
  const Activation acts[] = {Activation::kRelu, Activation::kTanh, Activation::kLeakyRelu,
                             Activation::kSoftmax};
  ModelSpec spec;
  spec.inputs = 60;
  spec.outputs = 10;
  spec.seed = 5;
  int64_t off = 0;
  for (int i = 0; i < 4; ++i) {
    LayerSpec l;
    l.kind = LayerKind::kDenseLayer;
    l.dense.inputs = widths[i];
    l.dense.units = widths[i + 1];
    l.dense.act = acts[i];
    l.dense.alpha = 0.1f;
    l.dense.use_bias = i != 2;
    l.dense.kernel_offset = off;
    off += widths[i] * widths[i + 1];
    if (l.dense.use_bias) {
      l.dense.bias_offset = off;
      off += widths[i + 1];
    }
    l.units = widths[i + 1];
    spec.layers.push_back(l);
  }
  spec.param_count = off;
  return spec;
}

// predict of a network without the cache over a copy of `params`.
std::vector<float> plain_predict(const ModelSpec& spec, const std::vector<float>& params,
                                 const std::vector<float>& x, int64_t rows) {
  std::vector<float> copy = params;
  Network net(spec, copy.data());
  std::vector<float> out(static_cast<size_t>(rows * spec.outputs));
  net.predict(x.data(), rows, out.data());
  return out;
}

void check_network(densely_test::Lcg& rng) {
  const ModelSpec spec = mlp();
  std::vector<float> params(static_cast<size_t>(spec.param_count));
  for (float& v : params) v = rng.uniform(-0.3f, 0.3f);
  Network net(spec, params.data());
  net.set_inference_cache(true);
  net.set_loss(Loss::kCategoricalCrossentropy);
  OptimizerSpec opt;
  opt.kind = OptimizerKind::kAdam;
  opt.learning_rate = 1e-2;
  net.set_optimizer(opt);
  const int64_t rows_list[] = {1, 2, 64, 300, 2100};
  std::vector<std::vector<float>> xs;
  for (const int64_t r : rows_list) {
    std::vector<float> x(static_cast<size_t>(r * spec.inputs));
    for (float& v : x) v = rng.uniform(-1.0f, 1.0f);
    xs.push_back(x);
  }
  const int64_t tr = 96;
  std::vector<float> tx(static_cast<size_t>(tr * spec.inputs)), ty(static_cast<size_t>(tr * 10));
  for (float& v : tx) v = rng.uniform(-1.0f, 1.0f);
  for (int64_t r = 0; r < tr; ++r) ty[static_cast<size_t>(r * 10 + r % 10)] = 1.0f;
  auto check_all = [&](const char* when) {
    for (size_t i = 0; i < xs.size(); ++i) {
      const int64_t rows = rows_list[i];
      std::vector<float> got(static_cast<size_t>(rows * spec.outputs));
      net.predict(xs[i].data(), rows, got.data());
      const bool ok = same_bits(got, plain_predict(spec, params, xs[i], rows));
      if (!ok) std::printf("  %s, %lld rows: differs\n", when, static_cast<long long>(rows));
      CHECK(ok);
    }
  };
  check_all("first predict");
  check_all("second predict (cached)");
  CHECK(net.memory_bytes() > static_cast<size_t>(60 * 48 * 4));
  net.train_step(tx.data(), ty.data(), tr, 0);
  check_all("after train_step");
  std::vector<int32_t> order(static_cast<size_t>(tr));
  std::iota(order.begin(), order.end(), 0);
  EpochJob job;
  job.x = tx.data();
  job.y = ty.data();
  job.samples = tr;
  job.order = order.data();
  job.order_len = tr;
  job.batch_size = 16;
  for (int e = 0; e < 2; ++e) {
    job.first_step = static_cast<uint64_t>(1 + 6 * e);
    CHECK(net.train_epoch(job, nullptr, nullptr, nullptr).status == EpochStatus::kEpochDone);
    check_all("after train_epoch");
  }
  // An outside write of the caller's array, announced: seen.
  for (size_t i = 0; i < params.size(); i += 7) params[i] *= -0.5f;
  net.params_changed();
  check_all("after params_changed");
  // An unannounced one is not (the packed kernels are what predict reads) ...
  std::vector<float> before(static_cast<size_t>(300 * spec.outputs));
  net.predict(xs[3].data(), 300, before.data());
  for (int64_t i = 0; i < 60 * 48; ++i) params[static_cast<size_t>(i)] += 0.25f;
  std::vector<float> stale(before.size());
  net.predict(xs[3].data(), 300, stale.data());
  CHECK(same_bits(stale, before));
  // ... until announced, or the cache is switched off.
  net.params_changed();
  check_all("after the second params_changed");
  for (int64_t i = 0; i < 60 * 48; ++i) params[static_cast<size_t>(i)] -= 0.125f;
  net.set_inference_cache(false);
  check_all("cache off");
}

// A network whose kernels were packed under one kernel set and then predicts under another
// (force_isa) re-packs for the new set: the new set's bits.
void check_isa_switch(const std::vector<Isa>& isas) {
  if (isas.size() < 2) return;
  const ModelSpec spec = mlp();
  densely_test::Lcg rng(33);
  std::vector<float> params(static_cast<size_t>(spec.param_count));
  for (float& v : params) v = rng.uniform(-0.3f, 0.3f);
  std::vector<float> x(static_cast<size_t>(300 * spec.inputs));
  for (float& v : x) v = rng.uniform(-1.0f, 1.0f);
  Network net(spec, params.data());
  net.set_inference_cache(true);
  std::vector<float> got(static_cast<size_t>(300 * spec.outputs));
  for (const Isa isa : isas) {
    CHECK(force_isa(isa));
    net.predict(x.data(), 300, got.data());
    CHECK(same_bits(got, plain_predict(spec, params, x, 300)));
  }
}

}  // namespace

int main() {
  const std::vector<Isa> isas = densely_test::isas_under_test("test_infer_cache");
  for (Isa isa : isas) {
    CHECK(force_isa(isa));
    densely_test::Lcg rng(21);
    check_sgemm(rng);
    check_network(rng);
  }
  // Every supported set in turn (the legs run one set each, so only a run by hand, without
  // DENSELY_ISA, switches): the packed kernels follow the set.
  std::vector<Isa> all;
  for (Isa isa : {Isa::kScalar, Isa::kSse2, Isa::kAvx2, Isa::kAvx512, Isa::kNeon})
    if (isa_supported(isa)) all.push_back(isa);
  check_isa_switch(all);
  return densely_test::finish("test_infer_cache");
}
