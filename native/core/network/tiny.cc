// The tiny path (tiny.h): Network's batch-1 step of a small all-dense network in one pass.
//
// Why: a 2→8→1 step is ~60 multiply-adds, 9 transcendental calls and a 33-parameter update,
// yet the general path spent ~2,600 instructions on it (callgrind, bench_network --only xor):
// per layer a dense_forward → dense_is_tiny → loop → activation_forward → split_blocks chain,
// per layer a dense_backward and activation_backward, then update() → split_blocks →
// optimizer_update_to → the optimizer's dispatch and its masked vector body. Here every layer
// is the same few loops over contiguous arrays, and the optimizer is one elementwise loop
// over all parameters. Those loops are tiny_kernels.h, compiled per kernel set (here the
// baseline's 4 lanes, tiny_avx2.cc's 8 for the avx2 and avx512 sets); tiny_prepare picks
// each layer's loops and activation body once (a plan, remade when the set changes), and
// train_epoch at batch 1 runs tiny_epoch, its batch loop with each step tiny_step inlined:
// 1,684 → ~1,100 instructions per XOR step (bench/README.md, the XOR rows).
//
// Same numbers: each value below is produced by the general path's operations in its order,
// so the two paths agree bit for bit (test_tiny.cc checks it on every kernel set):
// - forward (ops/dense.cc tiny_forward): z[j] = (0 + Σ_p x[p]·w[p, j], p from 0) + b[j];
// - activations (ops/activations.cc): relu/leakyRelu/linear as its loops; sigmoid and tanh
//   through the same per-set bodies (avx512: sigmoid_avx512 / tanh_avx512; avx2: tanh_avx2;
//   otherwise the baseline's libm expf and float64-exp tanh, repeated here);
// - backward (ops/activations.cc derivative_flat, column_sums at one row; ops/dense.cc
//   tiny_backward at one row): d ⊙ act′, bias ← float(0.0 + double(d)),
//   dW[p, j] = 0 + x[p]·d[j], dX by 8 strided partial sums added pairwise (one term plus two
//   zeros for a one-unit layer);
// - update (ops/optimizers.cc, its scalar rules, which its vector bodies match bit for bit),
//   after the whole backward pass (Network::kSingleUpdateMax) and out of place under
//   train_epoch's overflow guard, with the same finiteness verdict.
// The loss and its output gradient are ops/losses.h loss_forward_one: loss_forward_ex's
// source at one row.
#include "tiny.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "../ops/activations.h"
#include "../ops/dense.h"
#include "../ops/losses.h"
#include "../runtime/cpu.h"

#if defined(__x86_64__) || defined(_M_X64)
#include "../ops/activation_kernels.h"
#define DENSELY_TINY_X86 1
#endif

// The baseline set's loops: 4-lane vectors (sse2 xmm, neon q registers).
#define DENSELY_TINY_VL 4
#include "tiny_kernels.h"

namespace densely {
namespace {

// ops/activations.cc's baseline sigmoid and tanh (same expressions, same libm calls).
inline float sigmoid1(float z) { return 1.0f / (1.0f + std::exp(-z)); }

constexpr float kTanhTiny = 0.000244140625f;  // 2^-12

inline float tanh1(float z) {
  if (z > 20.0f) return 1.0f;
  if (z < -20.0f) return -1.0f;
  if (!(z == z) || (z < kTanhTiny && z > -kTanhTiny)) return z;
  const double e = std::exp(2.0 * static_cast<double>(z));
  return static_cast<float>((e - 1.0) / (e + 1.0));
}

// a[0..n) ← act(a) in place, as activation_forward on one row; each function below is one
// activation with one kernel set's body (tiny_act picks it once per plan).
void act_linear(float*, int64_t, float) {}
void act_relu(float* a, int64_t n, float) {
  for (int64_t j = 0; j < n; ++j) a[j] = a[j] <= 0.0f ? 0.0f : a[j];
}
void act_leaky(float* a, int64_t n, float alpha) {
  for (int64_t j = 0; j < n; ++j) a[j] = a[j] > 0.0f ? a[j] : a[j] * alpha;
}
void act_sigmoid(float* a, int64_t n, float) {
  for (int64_t j = 0; j < n; ++j) a[j] = sigmoid1(a[j]);
}
void act_tanh(float* a, int64_t n, float) {
  for (int64_t j = 0; j < n; ++j) a[j] = tanh1(a[j]);
}
#ifdef DENSELY_TINY_X86
void act_sigmoid_avx512(float* a, int64_t n, float) { sigmoid_avx512(a, a, n); }
void act_tanh_avx512(float* a, int64_t n, float) { tanh_avx512(a, a, n); }
void act_tanh_avx2(float* a, int64_t n, float) { tanh_avx2(a, a, n); }
#endif

using ActFn = void (*)(float*, int64_t, float);

// The body activation_forward runs for `act` with the kernel set `isa` (ops/activations.cc:
// avx512 has its sigmoid and tanh, avx2 its tanh, every other set the baseline loops).
// Whether tiny_act's body for `act` on `isa` is a vector body that computes each lane
// alone (the avx512 sigmoid and tanh, the avx2 tanh): then it runs on the whole padded
// vectors (the extra lanes' results are never read), without its masked or copied tail.
bool tiny_act_wide(Activation act, Isa isa) {
  (void)act;
  (void)isa;
#ifdef DENSELY_TINY_X86
  if (act == Activation::kSigmoid) return isa == Isa::kAvx512;
  if (act == Activation::kTanh) return isa == Isa::kAvx512 || isa == Isa::kAvx2;
#endif
  return false;
}

ActFn tiny_act(Activation act, Isa isa) {
  (void)isa;
  switch (act) {
    case Activation::kRelu:
      return act_relu;
    case Activation::kLeakyRelu:
      return act_leaky;
    case Activation::kSigmoid:
#ifdef DENSELY_TINY_X86
      if (isa == Isa::kAvx512) return act_sigmoid_avx512;
#endif
      return act_sigmoid;
    case Activation::kTanh:
#ifdef DENSELY_TINY_X86
      if (isa == Isa::kAvx512) return act_tanh_avx512;
      if (isa == Isa::kAvx2) return act_tanh_avx2;
#endif
      return act_tanh;
    default:
      return act_linear;
  }
}

}  // namespace

bool tiny_spec_supported(const ModelSpec& spec) {
  if (spec.layers.empty()) return false;
  for (const LayerSpec& l : spec.layers) {
    if (l.kind != LayerKind::kDenseLayer) return false;
    const DenseDesc& d = l.dense;
    if (d.inputs > kTinyMaxWidth || d.units > kTinyMaxWidth || d.inputs * d.units > kTinyKernel)
      return false;
    if (!dense_is_tiny(d, 1)) return false;
    switch (d.act) {
      case Activation::kLinear:
      case Activation::kRelu:
      case Activation::kSigmoid:
      case Activation::kTanh:
        break;
      case Activation::kLeakyRelu:
        if (!(d.alpha >= 0.0f)) return false;  // a negative slope needs Z kept
        break;
      default:
        return false;
    }
    if (l.kernel_l1 != 0.0 || l.kernel_l2 != 0.0 || l.bias_l1 != 0.0 || l.bias_l2 != 0.0)
      return false;
  }
  return true;
}

const TinyKernels& tiny_kernels_baseline() { return kTinyKernelsHere; }

const TinyKernels& tiny_kernels(Isa isa) {
#ifdef DENSELY_TINY_X86
  if (isa_has_avx2(isa)) return tiny_kernels_avx2();
#endif
  (void)isa;
  return kTinyKernelsHere;
}

void Network::tiny_prepare() {
  const Isa isa = active_isa();
  const TinyKernels& k = tiny_kernels(isa);
  tiny_layers_.clear();
  int64_t total = 0;
  for (const LayerSpec& l : spec_.layers) total += (l.dense.units + 7) / 8 * 8;
  tiny_act_.assign(static_cast<size_t>(total), 0.0f);
  int64_t off = 0;
  for (const LayerSpec& l : spec_.layers) {
    const DenseDesc& d = l.dense;
    TinyLayer t;
    const int64_t padded = (d.units + 7) / 8 * 8;
    t.a = tiny_act_.data() + off;
    off += padded;
    t.act_n = tiny_act_wide(d.act, isa) ? padded : d.units;
    t.fwd = k.fwd[d.units];
    t.bwd = k.bwd[d.units];
    t.act_fn = tiny_act(d.act, isa);
    t.in = d.inputs;
    t.units = d.units;
    t.koff = d.kernel_offset;
    t.boff = d.use_bias ? d.bias_offset : -1;
    t.act = d.act;
    t.alpha = d.alpha;
    tiny_layers_.push_back(t);
  }
  tiny_k_ = &k;
  tiny_isa_ = static_cast<int>(isa);
}

const float* Network::tiny_forward(const float* x) {
  if (tiny_isa_ != static_cast<int>(active_isa())) tiny_prepare();
  const float* cur = x;
  const float* const p = params_;
  const size_t n = tiny_layers_.size();
  for (size_t i = 0; i < n; ++i) {
    const TinyLayer& t = tiny_layers_[i];
    float* a = t.a;
    in_ptr_[i] = cur;
    t.fwd(t.in, cur, p + t.koff, t.boff >= 0 ? p + t.boff : nullptr, a);
    t.act_fn(a, t.act_n, t.alpha);
    cur = a;
  }
  return cur;
}

void Network::tiny_backward_update(float* grads) {
  // tiny_forward ran first, so the plan is that of the active set.
  const TinyKernels& k = *tiny_k_;
  const int n = static_cast<int>(tiny_layers_.size());
  const bool fused = loss_fused(loss_, tiny_layers_.back().act);
  const float* const p = params_;
  float* d = delta_[0].data();
  float* other = delta_[1].data();
  for (int i = n - 1; i >= 0; --i) {
    const TinyLayer& t = tiny_layers_[static_cast<size_t>(i)];
    float* dx = i > 0 ? other : nullptr;
    t.bwd(t.in, t.act, t.alpha, i == n - 1 && fused, t.a, d, in_ptr_[static_cast<size_t>(i)],
          p + t.koff, grads + t.koff, t.boff >= 0 ? grads + t.boff : nullptr, dx);
    other = d;
    d = dx;
  }
  // The update, over every parameter at once (the kernels and biases tile [0, param_count)).
  const int64_t pc = spec_.param_count;
  float* s1 = s1_.empty() ? nullptr : s1_.data();
  float* s2 = s2_.empty() ? nullptr : s2_.data();
  const TinyUpdateFn update =
      opt_step_.clip < std::numeric_limits<float>::infinity() || opt_step_.gscale != 1.0f
          ? k.update_clip
          : k.update;
  if (!guard_) {
    (void)update(opt_, opt_step_, params_, grads, s1, s2, pc, params_, s1, s2);
    return;
  }
  float* so1 = alt_s1_.empty() ? nullptr : alt_s1_.data();
  float* so2 = alt_s2_.empty() ? nullptr : alt_s2_.data();
  if (!update(opt_, opt_step_, params_, grads, s1, s2, pc, next_params_, so1, so2))
    overflow_.store(true, std::memory_order_relaxed);
}

LossResult Network::tiny_step(const float* x, const float* y, const float* w, bool guard,
                              bool* overflowed) {
  if (overflowed != nullptr) *overflowed = false;
  if (cap_rows_ < 1 || cap_back_rows_ < 1) reserve(1, true);
  if (grads_.size() != static_cast<size_t>(spec_.param_count))
    grads_.assign(static_cast<size_t>(spec_.param_count), 0.0f);
  const float* yh = tiny_forward(x);
  last_yhat_ = yh;
  LossResult r =
      loss_forward_one(loss_, tiny_layers_.back().act, yh, y, w, spec_.outputs, delta_[0].data());
  // step() adds penalty() here, which is 0.0 on the tiny path (no regularizer): the same
  // addition, so a −0 loss becomes +0 as there.
  r.loss += 0.0;
  if (!std::isfinite(r.loss)) return r;
  ++t_;
  // As step(): only adam's constants change after step 2.
  if (opt_step_stale_ || t_ <= 2 || opt_.kind == OptimizerKind::kAdam ||
      opt_.kind == OptimizerKind::kAdamW) {
    opt_step_ = optimizer_step(opt_, t_);
    opt_step_stale_ = false;
  }
  guard_ = guard;
  if (guard) next_params_ = params_ == user_params_ ? alt_params_.data() : user_params_;
  overflow_.store(false, std::memory_order_relaxed);
  tiny_backward_update(grads_.data());
  guard_ = false;
  if (guard) {
    if (overflow_.load(std::memory_order_relaxed)) {
      --t_;
      if (overflowed != nullptr) *overflowed = true;
      return r;
    }
    params_ = next_params_;
    s1_.swap(alt_s1_);
    s2_.swap(alt_s2_);
  }
  // No norm layer on the tiny path: commit_norm_stats has nothing to do.
  return r;
}

void Network::tiny_epoch(const EpochJob& job, BatchCallback cb, void* ctx,
                         const std::atomic<bool>* stop, int64_t ahead, EpochResult* res) {
  // train_epoch's batch loop with one row per batch: a row in range is its own
  // "consecutive" batch, read where it lies; an index that another thread made invalid
  // since train_epoch's check is reported as there (kEpochBadIndex, nothing stepped).
  const int64_t n = job.order_len;
  const int64_t in = spec_.inputs;
  const int64_t yc = target_cols();
  const int64_t out = spec_.outputs;
  const int32_t* const order = job.order;
  const float* const jw = job.weights;
  for (int64_t b = 0; b < n; ++b) {
    if (stop != nullptr && stop->load(std::memory_order_relaxed)) {
      res->status = EpochStatus::kEpochAborted;
      return;
    }
    const int64_t idx = order[b];
    if (idx < 0 || idx >= job.samples) {
      res->status = EpochStatus::kEpochBadIndex;
      res->failed_batch = b;
      return;
    }
    if (b + ahead < n) {
      const int64_t next = order[b + ahead];
#if defined(__GNUC__) || defined(__clang__)
      if (next >= 0 && next < job.samples) {
        __builtin_prefetch(job.x + next * in, 0, 3);
        __builtin_prefetch(job.y + next * yc, 0, 3);
      }
#endif
    }
    if (b < job.learning_rates_len && job.learning_rates[b] != opt_.learning_rate)
      set_learning_rate(job.learning_rates[b]);
    bool overflowed = false;
    const LossResult r = tiny_step(job.x + idx * in, job.y + idx * yc,
                                   jw == nullptr ? nullptr : jw + idx, true, &overflowed);
    if (job.outputs != nullptr) {
      // The row's pre-step output, at its x row.
      std::memcpy(job.outputs + idx * out, last_yhat_, static_cast<size_t>(out) * sizeof(float));
    }
    if (!std::isfinite(r.loss) || overflowed) {
      res->status = EpochStatus::kEpochNonFinite;
      res->failed_batch = b;
      return;
    }
    res->batches += 1;
    res->loss_sum += r.loss * 1.0;  // × rows, as train_epoch
    res->correct += r.correct;
    res->samples += 1;
    if (cb != nullptr) cb(ctx, b, r.loss, r.correct, 1);
  }
}

}  // namespace densely
