// Fuzz target for the core: every input byte string decodes to one sgemm call or one
// network with a sequence of operations, so any string is a meaningful test case.
//
// Oracles (besides the sanitizers, which see every buffer at its exact size):
//   sgemm   - matches a float64 reference within a bound proportional to Σ|a·b|, never
//             reads C when beta = 0 (C starts NaN-filled), applies the epilogue;
//             non-finite inputs only need to come back without a crash.
//   network - model_spec_valid accepts exactly the specs whose ranges fit (a spec it
//             accepts is then run); the same operation sequence on 1 thread and on 2 or
//             3 gives the same bits; train_epoch never leaves a non-finite parameter
//             behind when it started from finite ones (the undo of an overflowing
//             step), and reports a bad row index as kEpochBadIndex.
//
// Two builds of this one file:
//   - CTest (and `npm run test:asan`, under ASan+UBSan): main() below feeds seeded
//     pseudo-random byte strings, `fuzz_core [iterations] [seed]`, or replays files:
//     `fuzz_core path...` (a crash input libFuzzer saved, for instance).
//   - libFuzzer (clang, coverage-guided): scripts/fuzz.sh builds it with
//     -DDENSELY_LIBFUZZER and runs it for a given time.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "gemm/gemm.h"
#include "network/network.h"
#include "ops/activations.h"
#include "ops/losses.h"
#include "ops/optimizers.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

using namespace densely;

namespace {

// Aborts with a message: under libFuzzer that saves the input as a crash; under the
// CTest driver it fails the test with the input's iteration in the log.
void report_input();  // the driver's: which input failed (no-op under libFuzzer)

// What the inputs exercised, printed by the driver (so a run shows it tested something).
struct Stats {
  long sgemm = 0, sgemm_checked = 0, sgemm_large = 0, networks = 0, ops = 0, epochs = 0,
       epoch_nonfinite = 0, epoch_bad_index = 0, epoch_aborted = 0, specs = 0, specs_valid = 0;
  long long elements_checked = 0;
} g_stats;

// What the current input decoded to, printed when it fails.
char g_case[4096];
void describe(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void describe(const char* fmt, ...) {
  const size_t used = std::strlen(g_case);
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(g_case + used, sizeof g_case - used, fmt, args);
  va_end(args);
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_core: %s\n  case: %s\n", what, g_case);
  report_input();
  std::fflush(stderr);
  std::abort();
}
#define FUZZ_CHECK(cond)                                               \
  do {                                                                 \
    if (!(cond)) fail(#cond " (" __FILE__ ":" FUZZ_STR(__LINE__) ")"); \
  } while (0)
#define FUZZ_STR2(x) #x
#define FUZZ_STR(x) FUZZ_STR2(x)

// Reads the input front to back; past the end every read is 0, so short inputs still
// decode (to the smallest cases).
class Bytes {
 public:
  Bytes(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  uint8_t u8() {
    if (n_ == 0) return 0;
    --n_;
    return *p_++;
  }
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | u8();
    return v;
  }
  uint64_t u64() { return (static_cast<uint64_t>(u32()) << 32) | u32(); }
  // Uniform-ish in [lo, hi].
  int64_t range(int64_t lo, int64_t hi) {
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    return lo + static_cast<int64_t>((span > 0xffff ? u32() : (u32() & 0xffff)) % span);
  }
  bool flag() { return (u8() & 1) != 0; }
  // Mostly small exact values (so products are exact and the reference is tight), with
  // the odd large, tiny, negative zero and, when allowed, non-finite value.
  float value(bool specials) {
    const uint8_t kind = u8();
    if (kind < 200) return static_cast<float>(static_cast<int>(u8() % 17) - 8) * 0.25f;
    if (kind < 230) {
      float f;
      const uint32_t bits = (u32() & 0x807fffffu) | (static_cast<uint32_t>(100 + u8() % 56) << 23);
      std::memcpy(&f, &bits, sizeof f);  // exponent 2^-27 … 2^28: finite, normal
      return f;
    }
    if (kind < 240) return -0.0f;
    if (!specials) return 1.0f;
    switch (kind % 4) {
      case 0:
        return std::numeric_limits<float>::quiet_NaN();
      case 1:
        return std::numeric_limits<float>::infinity();
      case 2:
        return -std::numeric_limits<float>::infinity();
      default:
        return std::numeric_limits<float>::max();
    }
  }
  size_t left() const { return n_; }

 private:
  const uint8_t* p_;
  size_t n_;
};

// A heap block of exactly n elements (no slack, so ASan sees one past the end).
template <typename T>
struct Buffer {
  explicit Buffer(size_t n) : n(n), p(n ? new T[n] : nullptr) {}
  size_t n;
  std::unique_ptr<T[]> p;
  T* data() { return p.get(); }
  T& operator[](size_t i) { return p[i]; }
};
using Block = Buffer<float>;

bool same(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  uint32_t x, y;
  std::memcpy(&x, &a, 4);
  std::memcpy(&y, &b, 4);
  return x == y;
}

// The kernel sets this CPU supports, best last.
std::vector<Isa> supported_isas() {
  std::vector<Isa> out;
  const Isa best = active_isa();
  for (Isa isa : {Isa::kScalar, Isa::kSse2, Isa::kAvx2, Isa::kAvx512, Isa::kNeon}) {
    if (force_isa(isa)) out.push_back(isa);
  }
  force_isa(best);
  return out;
}

void use_threads(int n) {
  if (get_threads() != n) set_threads(n);
}

// Sizes: mostly small, often on a register-tile or cache-block edge, now and then past
// the first KC / MC block.
int64_t gemm_dim(Bytes& in) {
  static const int64_t kEdges[] = {1,  2,  5,  6,  7,  8,  9,  15, 16, 17,  31,  32,
                                   33, 47, 48, 49, 63, 64, 65, 96, 97, 127, 128, 129};
  const uint8_t kind = in.u8();
  if (kind < 150) return in.range(0, 24);
  if (kind < 240) return kEdges[in.u8() % (sizeof kEdges / sizeof kEdges[0])];
  return in.range(150, 300);
}

void fuzz_sgemm(Bytes& in, const std::vector<Isa>& isas) {
  const bool ta = in.flag(), tb = in.flag();
  int64_t m = gemm_dim(in), n = gemm_dim(in), k = gemm_dim(in);
  // Keep one case under ~4M multiply-adds: three large dimensions shrink the last.
  while (m * n * k > (int64_t{1} << 22)) k /= 2;
  const int64_t lda = (ta ? m : k) + (in.flag() ? 0 : in.range(1, 9));
  const int64_t ldb = (tb ? k : n) + (in.flag() ? 0 : in.range(1, 9));
  const int64_t ldc = n + (in.flag() ? 0 : in.range(1, 9));
  static const float kScalars[] = {0.0f, 1.0f, -1.0f, 0.5f, 2.0f, -0.25f};
  const float alpha = kScalars[in.u8() % 6];
  const float beta = kScalars[in.u8() % 6];
  const bool specials = in.u8() < 16;  // non-finite inputs: no reference, no crash
  GemmEpilogue ep;
  ep.kind = static_cast<Epilogue>(in.u8() % 6);
  ep.leaky_alpha = in.flag() ? 0.01f : -0.5f;
  const Isa isa = isas[in.u8() % isas.size()];
  const int threads = 1 + in.u8() % 3;

  const int64_t a_rows = ta ? k : m, a_cols = ta ? m : k;
  const int64_t b_rows = tb ? n : k, b_cols = tb ? k : n;
  auto span = [](int64_t rows, int64_t cols, int64_t ld) -> size_t {
    return rows > 0 && cols > 0 ? static_cast<size_t>((rows - 1) * ld + cols) : 0;
  };
  Block a(span(a_rows, a_cols, lda)), b(span(b_rows, b_cols, ldb)), c(span(m, n, ldc));
  Block bias(static_cast<size_t>(n));
  for (size_t i = 0; i < a.n; ++i) a[i] = in.value(specials);
  for (size_t i = 0; i < b.n; ++i) b[i] = in.value(specials);
  for (size_t i = 0; i < bias.n; ++i) bias[i] = in.value(specials);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (size_t i = 0; i < c.n; ++i) c[i] = beta == 0.0f ? nan : in.value(specials);
  const std::vector<float> c0(c.data(), c.data() + c.n);
  ep.bias = bias.n ? bias.data() : nullptr;
  const bool has_bias = ep.kind == Epilogue::kBias || ep.kind == Epilogue::kBiasRelu ||
                        ep.kind == Epilogue::kBiasLeakyRelu;
  if (has_bias && n > 0 && ep.bias == nullptr) fail("bias block missing");

  describe(
      "sgemm ta=%d tb=%d m=%lld n=%lld k=%lld lda=%lld ldb=%lld ldc=%lld alpha=%g beta=%g "
      "epilogue=%d isa=%s threads=%d specials=%d",
      ta, tb, static_cast<long long>(m), static_cast<long long>(n), static_cast<long long>(k),
      static_cast<long long>(lda), static_cast<long long>(ldb), static_cast<long long>(ldc),
      static_cast<double>(alpha), static_cast<double>(beta), static_cast<int>(ep.kind),
      isa_name(isa), threads, specials);
  force_isa(isa);
  use_threads(threads);
  sgemm(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc, ep);
  ++g_stats.sgemm;
  if (!specials && m * n > 0) {
    ++g_stats.sgemm_checked;
    g_stats.elements_checked += m * n;
  }
  if (m * n * k >= 100000) ++g_stats.sgemm_large;

  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double s = 0.0, mag = 0.0;
      for (int64_t p = 0; p < k; ++p) {
        const double av =
            ta ? a[static_cast<size_t>(p * lda + i)] : a[static_cast<size_t>(i * lda + p)];
        const double bv =
            tb ? b[static_cast<size_t>(j * ldb + p)] : b[static_cast<size_t>(p * ldb + j)];
        s += av * bv;
        mag += std::fabs(av * bv);
      }
      const size_t at = static_cast<size_t>(i * ldc + j);
      double want = alpha * s + (beta == 0.0f ? 0.0 : beta * static_cast<double>(c0[at]));
      double err = std::fabs(alpha) * mag +
                   (beta == 0.0f ? 0.0 : std::fabs(beta * static_cast<double>(c0[at])));
      if (has_bias) {
        want += bias[static_cast<size_t>(j)];
        err += std::fabs(bias[static_cast<size_t>(j)]);
      }
      const bool relu = ep.kind == Epilogue::kBiasRelu || ep.kind == Epilogue::kRelu;
      const bool leaky = ep.kind == Epilogue::kBiasLeakyRelu || ep.kind == Epilogue::kLeakyRelu;
      if (relu && want < 0) want = 0;
      if (leaky && want < 0) want *= ep.leaky_alpha;
      if (leaky) err *= std::max(1.0, std::fabs(static_cast<double>(ep.leaky_alpha)));
      const float got = c[at];
      if (specials) continue;  // memory safety only
      // beta = 0 must never read the NaN-filled C; with finite inputs the result is finite
      // unless it overflows float's range.
      if (!std::isfinite(got)) {
        FUZZ_CHECK(std::fabs(want) > 3.0e38 || err > 3.0e38);
        continue;
      }
      // Each product and partial sum rounds at most once per step: (k + 2)·u·Σ|terms|,
      // plus float32's smallest normal for the underflowing cases.
      const double tol = (static_cast<double>(k) + 3.0) * 1.2e-7 * err + 1e-30;
      if (!(std::fabs(static_cast<double>(got) - want) <= tol))
        fail("sgemm differs from the float64 reference");
    }
  }
  // Nothing outside the m × n block of C may change (the gaps of ldc > n).
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = n; j < ldc && i * ldc + j < static_cast<int64_t>(c.n); ++j) {
      const size_t at = static_cast<size_t>(i * ldc + j);
      FUZZ_CHECK(same(c[at], c0[at]));
    }
  }
}

// A valid spec (decode_network) with up to three fields overwritten by anything at
// all, INT64_MIN/MAX included: model_spec_valid must hold its promise (accept exactly
// the specs whose ranges chain and tile param_count), checked against an independent
// restatement in 128-bit arithmetic.
ModelSpec decode_network(Bytes& in);

void fuzz_spec_validation(Bytes& in) {
  ModelSpec s = decode_network(in);
  auto any = [&in]() -> int64_t {
    switch (in.u8() % 6) {
      case 0:
        return static_cast<int64_t>(in.u64());
      case 1:
        return in.flag() ? INT64_MAX - in.range(0, 3) : INT64_MIN + in.range(0, 3);
      case 2:
        return -static_cast<int64_t>(in.u8());
      default:
        return in.range(0, 40);
    }
  };
  const int mutations = in.u8() % 4;
  for (int i = 0; i < mutations; ++i) {
    const uint8_t field = in.u8() % 12;
    if (field == 0) s.inputs = any();
    if (field == 1) s.outputs = any();
    if (field == 2) s.param_count = any();
    if (field == 3 && in.flag()) s.layers.push_back(s.layers.back());
    if (field == 3 && s.layers.size() > 1) s.layers.pop_back();
    if (field < 4 || s.layers.empty()) continue;
    LayerSpec& l = s.layers[in.u8() % s.layers.size()];
    switch (field) {
      case 4:
        l.kind = static_cast<LayerKind>(in.u8() % 3);
        break;  // 2 is unknown
      case 5:
        l.units = any();
        break;
      case 6:
        l.dense.units = any();
        break;
      case 7:
        l.dense.inputs = any();
        break;
      case 8:
        l.dense.act = static_cast<Activation>(static_cast<int>(in.u8() % 17) - 1);  // −1 … 15
        break;
      case 9:
        l.dense.use_bias = !l.dense.use_bias;
        break;
      case 10:
        (in.flag() ? l.dense.kernel_offset : l.dense.bias_offset) = any();
        break;
      default:
        l.rate = static_cast<double>(static_cast<int>(in.u8()) - 20) / 200.0;
        break;
    }
  }
  // The restatement, in __int128 so no sum or product can overflow.
  using wide = __int128;
  bool ok = s.inputs >= 1 && s.outputs >= 1 && s.param_count >= 0;
  wide width = s.inputs;
  for (const LayerSpec& l : s.layers) {
    if (!ok) break;
    if (l.kind == LayerKind::kDenseLayer) {
      const DenseDesc& d = l.dense;
      ok = d.inputs == width && d.units >= 1 && l.units == d.units &&
           d.act >= Activation::kLinear && d.act <= Activation::kRelu6 && d.kernel_offset >= 0 &&
           static_cast<wide>(d.kernel_offset) + static_cast<wide>(d.inputs) * d.units <=
               s.param_count &&
           (!d.use_bias ||
            (d.bias_offset >= 0 && static_cast<wide>(d.bias_offset) + d.units <= s.param_count));
      width = d.units;
    } else if (l.kind == LayerKind::kDropoutLayer) {
      ok = l.units == width && l.rate >= 0.0 && l.rate < 1.0;
    } else {
      ok = false;
    }
  }
  ok = ok && width == s.outputs;
  // At least one dense layer.
  ok = ok && std::any_of(s.layers.begin(), s.layers.end(),
                         [](const LayerSpec& l) { return l.kind == LayerKind::kDenseLayer; });
  // The ranges tile [0, param_count): sorted by offset, each starts where the one
  // before ended and the last ends at param_count.
  if (ok) {
    std::vector<std::pair<wide, wide>> ranges;
    for (const LayerSpec& l : s.layers) {
      if (l.kind != LayerKind::kDenseLayer) continue;
      ranges.emplace_back(l.dense.kernel_offset, static_cast<wide>(l.dense.inputs) * l.dense.units);
      if (l.dense.use_bias) ranges.emplace_back(l.dense.bias_offset, l.dense.units);
    }
    std::sort(ranges.begin(), ranges.end());
    wide end = 0;
    for (const auto& r : ranges) {
      ok = ok && r.first == end;
      end = r.first + r.second;
    }
    ok = ok && end == s.param_count;
  }
  FUZZ_CHECK(model_spec_valid(s) == ok);
  ++g_stats.specs;
  if (ok) ++g_stats.specs_valid;
}

// A small valid network, built the facade's way (each layer's kernel, then its bias,
// layer after layer) or with the same ranges tiling the parameters in a shuffled order.
ModelSpec decode_network(Bytes& in) {
  ModelSpec s;
  s.inputs = in.range(1, 12);
  s.seed = in.u32();
  const int layers = 1 + in.u8() % 4;
  const bool facade_order = in.u8() < 192;
  int64_t width = s.inputs, offset = 0;
  for (int i = 0; i < layers; ++i) {
    LayerSpec l;
    if (i > 0 && in.u8() < 40) {
      l.kind = LayerKind::kDropoutLayer;
      l.units = width;
      l.rate = (in.u8() % 10) / 10.0;
    } else {
      l.kind = LayerKind::kDenseLayer;
      DenseDesc& d = l.dense;
      d.inputs = width;
      d.units = in.u8() < 40 ? in.range(13, 40) : in.range(1, 12);
      d.act = static_cast<Activation>(in.u8() % 15);  // every activation
      d.alpha = in.flag() ? 0.01f : -0.3f;
      d.use_bias = in.u8() < 200;
      d.kernel_offset = offset;
      offset += d.inputs * d.units;
      d.bias_offset = d.use_bias ? offset : -1;
      if (d.use_bias) offset += d.units;
      l.units = d.units;
      width = d.units;
    }
    s.layers.push_back(l);
  }
  s.outputs = width;
  s.param_count = offset;
  if (!facade_order) {
    // The same ranges laid out in a shuffled order.
    std::vector<int64_t*> slots;
    std::vector<int64_t> lengths;
    for (LayerSpec& l : s.layers) {
      if (l.kind != LayerKind::kDenseLayer) continue;
      slots.push_back(&l.dense.kernel_offset);
      lengths.push_back(l.dense.inputs * l.dense.units);
      if (l.dense.use_bias) {
        slots.push_back(&l.dense.bias_offset);
        lengths.push_back(l.dense.units);
      }
    }
    std::vector<size_t> perm(slots.size());
    for (size_t i = 0; i < perm.size(); ++i) perm[i] = i;
    for (size_t i = perm.size(); i > 1; --i) std::swap(perm[i - 1], perm[in.u8() % i]);
    int64_t at = 0;
    for (size_t i : perm) {
      *slots[i] = at;
      at += lengths[i];
    }
  }
  return s;
}

struct Op {
  int kind;  // 0 predict, 1 evaluate, 2 gradients, 3 train_step, 4 train_epoch
  int64_t rows;
  int64_t batch;
  uint64_t step;
  int64_t stop_after;  // train_epoch: request a stop after this many batches (−1: never)
  bool bad_index;
};

struct Outcome {
  std::vector<float> params, out;
  std::vector<double> scalars;
  std::vector<int64_t> counts;
};

struct StopCtx {
  std::atomic<bool>* stop;
  int64_t after;
};

void on_batch(void* ctx, int64_t batch, double, int64_t, int64_t) {
  auto* s = static_cast<StopCtx*>(ctx);
  if (s->after >= 0 && batch + 1 >= s->after) s->stop->store(true);
}

bool all_finite(const float* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(p[i])) return false;
  }
  return true;
}

// Runs the operations on a fresh Network over a copy of `params0`; everything observable
// goes into the Outcome so two runs can be compared bit for bit.
Outcome run_network(const ModelSpec& spec, const std::vector<float>& params0, Loss loss,
                    const OptimizerSpec& opt, const std::vector<Op>& ops,
                    const std::vector<float>& data, const std::vector<float>& targets) {
  Outcome o;
  Block params(static_cast<size_t>(spec.param_count));
  std::copy(params0.begin(), params0.end(), params.data());
  Network net(spec, params.data());
  net.set_loss(loss);
  net.set_optimizer(opt);
  const int64_t in = spec.inputs, outs = spec.outputs, tc = net.target_cols();
  for (const Op& op : ops) {
    const int64_t rows = op.rows;
    // Exact-size copies of the shared pools: ASan sees each operand's real end.
    Block x(static_cast<size_t>(rows * in)), y(static_cast<size_t>(rows * tc));
    for (size_t i = 0; i < x.n; ++i) x[i] = data[i % data.size()];
    for (size_t i = 0; i < y.n; ++i) y[i] = targets[i % targets.size()];
    switch (op.kind) {
      case 0: {
        Block out(static_cast<size_t>(rows * outs));
        net.predict(x.data(), rows, out.data());
        o.out.insert(o.out.end(), out.data(), out.data() + out.n);
        break;
      }
      case 1: {
        const LossResult r = net.evaluate(x.data(), y.data(), rows);
        o.scalars.push_back(r.loss);
        o.counts.push_back(r.correct);
        break;
      }
      case 2: {
        Block g(static_cast<size_t>(spec.param_count));
        o.scalars.push_back(net.gradients(x.data(), y.data(), rows, g.data()));
        o.out.insert(o.out.end(), g.data(), g.data() + g.n);
        break;
      }
      case 3: {
        const LossResult r = net.train_step(x.data(), y.data(), rows, op.step);
        o.scalars.push_back(r.loss);
        o.counts.push_back(r.correct);
        break;
      }
      default: {
        std::vector<int32_t> order_v(static_cast<size_t>(rows));
        for (int64_t i = 0; i < rows; ++i)
          order_v[static_cast<size_t>(i)] = static_cast<int32_t>((i * 7 + op.step) % rows);
        if (op.bad_index && rows > 0)
          order_v[static_cast<size_t>(op.step % rows)] =
              (op.step & 1) ? -1 : static_cast<int32_t>(rows);
        Buffer<int32_t> order_b(order_v.size());
        int32_t* order = order_b.data();
        std::copy(order_v.begin(), order_v.end(), order);
        EpochJob job;
        job.x = x.data();
        job.y = y.data();
        job.samples = rows;
        job.order = order;
        job.order_len = rows;
        job.batch_size = op.batch;
        job.first_step = op.step;
        std::atomic<bool> stop{false};
        StopCtx ctx{&stop, op.stop_after};
        const bool finite_before = all_finite(params.data(), params.n);
        const std::vector<float> before(params.data(), params.data() + params.n);
        const EpochResult r = net.train_epoch(job, on_batch, &ctx, &stop);
        ++g_stats.epochs;
        g_stats.epoch_nonfinite += r.status == EpochStatus::kEpochNonFinite;
        g_stats.epoch_bad_index += r.status == EpochStatus::kEpochBadIndex;
        g_stats.epoch_aborted += r.status == EpochStatus::kEpochAborted;
        if (finite_before) FUZZ_CHECK(all_finite(params.data(), params.n));
        // A bad index refuses the whole epoch before its first step.
        if (op.bad_index && rows > 0) {
          FUZZ_CHECK(r.status == EpochStatus::kEpochBadIndex && r.batches == 0 && r.samples == 0);
          FUZZ_CHECK(std::memcmp(before.data(), params.data(), params.n * sizeof(float)) == 0);
        }
        if (!op.bad_index) FUZZ_CHECK(r.status != EpochStatus::kEpochBadIndex);
        FUZZ_CHECK(r.batches <= (rows + op.batch - 1) / op.batch);
        o.scalars.push_back(r.loss_sum);
        o.counts.insert(o.counts.end(), {r.batches, r.correct, r.samples,
                                         static_cast<int64_t>(r.status), r.failed_batch});
        break;
      }
    }
  }
  o.params.assign(params.data(), params.data() + params.n);
  return o;
}

void fuzz_network(Bytes& in, const std::vector<Isa>& isas) {
  const ModelSpec spec = decode_network(in);
  FUZZ_CHECK(model_spec_valid(spec));
  const Loss loss = static_cast<Loss>(in.u8() % 5);
  OptimizerSpec opt;
  opt.kind = static_cast<OptimizerKind>(in.u8() % 4);
  static const double kRates[] = {0.01, 0.1, 1e-3, 1.0, 1e30};  // 1e30: overflowing steps
  opt.learning_rate = kRates[in.u8() % 5];
  opt.momentum = in.flag() ? 0.0 : 0.9;
  opt.nesterov = opt.momentum > 0 && in.flag();
  opt.weight_decay = in.flag() ? 0.0 : 0.01;
  opt.epsilon = in.flag() ? 1e-8 : 1e-3;
  const bool specials = in.u8() < 24;
  std::vector<float> params0(static_cast<size_t>(spec.param_count));
  for (float& p : params0) p = in.value(false) * 0.5f;
  // Pools the operations draw x and y from; sparse CE targets are class indices, some out
  // of range (the loss is then NaN, never an out-of-bounds read).
  std::vector<float> data(static_cast<size_t>(1 + in.u8() % 64)),
      targets(static_cast<size_t>(1 + in.u8() % 32));
  for (float& v : data) v = in.value(specials);
  for (float& v : targets) {
    v = loss == Loss::kSparseCategoricalCrossentropy
            ? static_cast<float>(in.range(-1, spec.outputs))
            : in.value(specials);
  }
  std::vector<Op> ops(static_cast<size_t>(1 + in.u8() % 6));
  for (Op& op : ops) {
    op.kind = in.u8() % 5;
    op.rows = in.u8() < 220 ? in.range(0, 9) : in.range(10, 70);
    op.batch = in.range(1, op.rows + 2);
    op.step = in.range(0, 5);
    op.stop_after = in.u8() < 40 ? in.range(0, 3) : -1;
    op.bad_index = in.u8() < 20;
  }
  const Isa isa = isas[in.u8() % isas.size()];
  const int threads = 2 + in.u8() % 2;
  describe(
      "network inputs=%lld params=%lld loss=%d optimizer=%d lr=%g momentum=%g nesterov=%d wd=%g "
      "eps=%g isa=%s threads=1 vs %d specials=%d; layers:",
      static_cast<long long>(spec.inputs), static_cast<long long>(spec.param_count), loss, opt.kind,
      opt.learning_rate, opt.momentum, opt.nesterov, opt.weight_decay, opt.epsilon, isa_name(isa),
      threads, specials);
  for (const LayerSpec& l : spec.layers) {
    if (l.kind == LayerKind::kDropoutLayer)
      describe(" dropout(%g)", l.rate);
    else
      describe(" dense(%lld→%lld act=%d alpha=%g kernel@%lld bias@%lld)",
               static_cast<long long>(l.dense.inputs), static_cast<long long>(l.dense.units),
               l.dense.act, static_cast<double>(l.dense.alpha),
               static_cast<long long>(l.dense.kernel_offset),
               static_cast<long long>(l.dense.bias_offset));
  }
  describe("; ops:");
  for (const Op& op : ops) {
    static const char* kNames[] = {"predict", "evaluate", "gradients", "train_step", "train_epoch"};
    describe(" %s(rows=%lld batch=%lld step=%llu stop_after=%lld bad_index=%d)", kNames[op.kind],
             static_cast<long long>(op.rows), static_cast<long long>(op.batch),
             static_cast<unsigned long long>(op.step), static_cast<long long>(op.stop_after),
             op.bad_index);
  }
  force_isa(isa);
  use_threads(1);
  const Outcome one = run_network(spec, params0, loss, opt, ops, data, targets);
  ++g_stats.networks;
  g_stats.ops += static_cast<long>(ops.size());
  use_threads(threads);
  const Outcome many = run_network(spec, params0, loss, opt, ops, data, targets);
  // Bit-identical across thread counts (k is never split); NaN equals NaN here.
  FUZZ_CHECK(one.params.size() == many.params.size() && one.out.size() == many.out.size() &&
             one.scalars.size() == many.scalars.size() && one.counts == many.counts);
  for (size_t i = 0; i < one.params.size(); ++i) {
    if (!same(one.params[i], many.params[i])) {
      describe("; parameter %zu: %a on 1 thread, %a on %d", i, static_cast<double>(one.params[i]),
               static_cast<double>(many.params[i]), threads);
      fail("parameters differ across thread counts");
    }
  }
  for (size_t i = 0; i < one.out.size(); ++i) {
    if (!same(one.out[i], many.out[i])) {
      describe("; output %zu: %a on 1 thread, %a on %d", i, static_cast<double>(one.out[i]),
               static_cast<double>(many.out[i]), threads);
      fail("outputs differ across thread counts");
    }
  }
  for (size_t i = 0; i < one.scalars.size(); ++i) {
    FUZZ_CHECK((std::isnan(one.scalars[i]) && std::isnan(many.scalars[i])) ||
               one.scalars[i] == many.scalars[i]);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<Isa> isas = supported_isas();
  static const Isa best = active_isa();
  Bytes in(data, size);
  g_case[0] = '\0';
  switch (in.u8() % 4) {
    case 0:
    case 1:
      fuzz_sgemm(in, isas);
      break;
    case 2:
      fuzz_network(in, isas);
      break;
    default:
      fuzz_spec_validation(in);
      break;
  }
  force_isa(best);
  return 0;
}

#ifdef DENSELY_LIBFUZZER
namespace {
void report_input() {}  // libFuzzer saves the failing input itself
}  // namespace
#else
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

namespace {

uint64_t g_seed = 0;
long g_iteration = -1;

void report_input() {
  if (g_iteration >= 0)
    std::fprintf(
        stderr,
        "fuzz_core: failed on input %ld of seed %llu; rerun it alone with: fuzz_core 1 %llu %ld\n",
        g_iteration, static_cast<unsigned long long>(g_seed),
        static_cast<unsigned long long>(g_seed), g_iteration);
}

bool is_number(const char* s) {
  if (*s == '\0') return false;
  for (; *s; ++s) {
    if (*s < '0' || *s > '9') return false;
  }
  return true;
}

// splitmix64: input i of a seed depends on (seed, i) alone, so one failing input can be
// rerun by itself.
uint64_t mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

// The CTest driver. `fuzz_core [count [seed [first]]]` runs inputs first … first+count−1
// of a seed (pseudo-random bytes of random length up to 2 KiB); `fuzz_core file...`
// replays saved inputs (a crash libFuzzer wrote, say).
int main(int argc, char** argv) {
  if (argc > 1 && !is_number(argv[1])) {
    for (int i = 1; i < argc; ++i) {
      std::ifstream f(argv[i], std::ios::binary);
      if (!f) {
        std::fprintf(stderr, "fuzz_core: cannot read %s\n", argv[i]);
        return 2;
      }
      const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)),
                                       std::istreambuf_iterator<char>());
      std::printf("fuzz_core: replaying %s (%zu bytes)\n", argv[i], bytes.size());
      LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
    }
    std::printf("fuzz_core: %d file(s) passed\n", argc - 1);
    return 0;
  }
  const char* q = std::getenv("DENSELY_TEST_QUICK");
  const long count =
      argc > 1 ? std::strtol(argv[1], nullptr, 10) : (q && q[0] == '1' ? 5000 : 20000);
  g_seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 20261206;
  const long first = argc > 3 ? std::strtol(argv[3], nullptr, 10) : 0;
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_set_death_callback(report_input);
#endif
  std::vector<uint8_t> buf;
  for (long it = first; it < first + count; ++it) {
    uint64_t state = mix(g_seed ^ mix(static_cast<uint64_t>(it)));
    buf.resize(static_cast<size_t>(state % 2048));
    for (size_t i = 0; i < buf.size(); i += 8) {
      state = mix(state);
      for (size_t j = i; j < i + 8 && j < buf.size(); ++j)
        buf[j] = static_cast<uint8_t>(state >> (8 * (j - i)));
    }
    g_iteration = it;
    LLVMFuzzerTestOneInput(buf.data(), buf.size());
  }
  g_iteration = -1;
  const Stats& t = g_stats;
  std::printf(
      "fuzz_core: %ld sgemm calls (%ld checked against float64, %lld elements; %ld of ≥ 1e5 "
      "multiply-adds), "
      "%ld networks × 2 thread counts running %ld operations (%ld epochs: %ld non-finite, %ld bad "
      "index, %ld stopped), "
      "%ld specs judged (%ld valid)\n",
      t.sgemm, t.sgemm_checked, t.elements_checked, t.sgemm_large, t.networks, t.ops, t.epochs,
      t.epoch_nonfinite, t.epoch_bad_index, t.epoch_aborted, t.specs, t.specs_valid);
  std::string drawn, skipped;
  for (Isa isa : {Isa::kScalar, Isa::kSse2, Isa::kAvx2, Isa::kAvx512, Isa::kNeon})
    (isa_supported(isa) ? drawn : skipped) += std::string(" ") + isa_name(isa);
  std::printf("fuzz_core: kernel sets drawn:%s; skipped (not supported here):%s\n", drawn.c_str(),
              skipped.empty() ? " none" : skipped.c_str());
  std::printf("fuzz_core: inputs %ld…%ld of seed %llu passed\n", first, first + count - 1,
              static_cast<unsigned long long>(g_seed));
  return 0;
}
#endif
