// Network: forward, loss, backward and optimizer steps over the ops in core/ops.
//
// Step order (train_step): forward with dropout → loss + output gradient in one pass
// (fused softmax/sigmoid + CE form where it applies) → if the loss is finite, for each
// layer from the last: dZ = dA ⊙ act′ with the bias gradient summed in the same pass,
// dW = Xᵀ·dZ, dX = dZ·Wᵀ (with the pre-step W), then that layer's optimizer update
// while its gradient is still in cache. A non-finite loss skips the step entirely.
// LayerNorm/BatchNorm layers (ops/norm.h) sit in the same loop: forward keeps x̂ and the
// statistics for training, backward writes dγ/dβ and turns the delta into dX in place;
// an applied step then moves the BatchNorm running statistics (commit_norm_stats).
#include "network.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "../ops/activations.h"
#include "../ops/clip.h"
#include "../ops/dropout.h"
#include "../ops/regularizers.h"
#include "../ops/split.h"
#include "../runtime/cpu.h"
#include "../runtime/fp_mode.h"
#include "random.h"
#include "tiny.h"

namespace densely {

bool model_spec_valid(const ModelSpec& spec) {
  if (spec.inputs < 1 || spec.outputs < 1 || spec.param_count < 0) return false;
  if (spec.buffer_count < 0) return false;
  int64_t width = spec.inputs;
  bool has_dense = false;
  std::vector<std::pair<int64_t, int64_t>> ranges;  // [offset, length] of every kernel and bias
  std::vector<std::pair<int64_t, int64_t>> stats;   // [offset, length] of BatchNorm statistics
  for (const LayerSpec& l : spec.layers) {
    if (l.kind == LayerKind::kDenseLayer) {
      const DenseDesc& d = l.dense;
      if (d.inputs != width || d.units < 1 || l.units != d.units) return false;
      if (d.act < Activation::kLinear || d.act > Activation::kRelu6) return false;
      if (d.kernel_offset < 0 || d.inputs > (spec.param_count - d.kernel_offset) / d.units)
        return false;
      // inputs·units ≤ param_count − kernel_offset by the division above: no overflow.
      ranges.emplace_back(d.kernel_offset, d.inputs * d.units);
      if (d.use_bias) {
        // Compared by subtraction: bias_offset + units could overflow int64.
        if (d.bias_offset < 0 || d.bias_offset > spec.param_count - d.units) return false;
        ranges.emplace_back(d.bias_offset, d.units);
      }
      width = d.units;
      // Regularizer coefficients: finite and ≥ 0 (a NaN fails every comparison).
      if (!(l.kernel_l1 >= 0.0 && l.kernel_l1 <= 1e300 && l.kernel_l2 >= 0.0 &&
            l.kernel_l2 <= 1e300 && l.bias_l1 >= 0.0 && l.bias_l1 <= 1e300 && l.bias_l2 >= 0.0 &&
            l.bias_l2 <= 1e300))
        return false;
      has_dense = true;
    } else if (l.kind == LayerKind::kDropoutLayer) {
      if (l.units != width || !(l.rate >= 0.0 && l.rate < 1.0)) return false;
    } else if (l.kind == LayerKind::kLayerNormLayer || l.kind == LayerKind::kBatchNormLayer) {
      const NormDesc& nd = l.norm;
      const bool bn = l.kind == LayerKind::kBatchNormLayer;
      if (l.units != width || nd.units != width) return false;
      if ((nd.kind == NormKind::kBatchNorm) != bn) return false;
      if (!(nd.epsilon > 0.0 && nd.epsilon < 1e300)) return false;
      if (bn && !(nd.momentum >= 0.0 && nd.momentum <= 1.0)) return false;
      for (const int64_t off : {nd.gamma_offset, nd.beta_offset}) {
        if (off == -1) continue;
        if (off < 0 || off > spec.param_count - width) return false;
        ranges.emplace_back(off, width);
      }
      if (bn) {
        // width ≤ 2^40 (the binding's bound), so 2·width cannot overflow.
        if (nd.stats_offset < 0 || nd.stats_offset > spec.buffer_count - 2 * width) return false;
        stats.emplace_back(nd.stats_offset, 2 * width);
      } else if (nd.stats_offset != -1) {
        return false;
      }
    } else {
      return false;
    }
  }
  // At least one dense layer (each adds a kernel range): without one the core computes
  // nothing, and predict would copy x to out, which may be the same memory.
  if (width != spec.outputs || !has_dense) return false;
  // The ranges tile [0, param_count) exactly, in any order: no parameter is shared by two
  // layers (their gradients would have to be summed) and none is left out (its gradient
  // would never be written).
  std::sort(ranges.begin(), ranges.end());
  int64_t end = 0;
  for (const auto& r : ranges) {
    if (r.first != end) return false;
    end += r.second;
  }
  if (end != spec.param_count) return false;
  // Likewise the BatchNorm statistics tile [0, buffer_count).
  std::sort(stats.begin(), stats.end());
  end = 0;
  for (const auto& r : stats) {
    if (r.first != end) return false;
    end += r.second;
  }
  return end == spec.buffer_count;
}

Network::Network(ModelSpec spec, float* params, float* buffers)
    : spec_(std::move(spec)), params_(params), user_params_(params), buffers_(buffers) {
  const size_t n = spec_.layers.size();
  if (buffers_ == nullptr) {
    own_buffers_.assign(static_cast<size_t>(spec_.buffer_count), 0.0f);
    buffers_ = own_buffers_.data();
  }
  xhat_.resize(n);
  nstat_.resize(n);
  act_.resize(n);
  z_.resize(n);
  mask_.resize(n);
  in_ptr_.assign(n, nullptr);
  dropout_on_.assign(n, 0);
  max_width_ = spec_.inputs;
  for (size_t i = 0; i < n; ++i) {
    const LayerSpec& l = spec_.layers[i];
    if (l.units > max_width_) max_width_ = l.units;
    if (l.kind == LayerKind::kDenseLayer && first_dense_ < 0) first_dense_ = static_cast<int>(i);
    if (l.kind == LayerKind::kDenseLayer &&
        (l.kernel_l1 != 0.0 || l.kernel_l2 != 0.0 ||
         (l.dense.use_bias && (l.bias_l1 != 0.0 || l.bias_l2 != 0.0))))
      has_penalty_ = true;
    const bool norm = l.kind == LayerKind::kLayerNormLayer || l.kind == LayerKind::kBatchNormLayer;
    const bool has_params = l.kind == LayerKind::kDenseLayer ||
                            (norm && (l.norm.gamma_offset >= 0 || l.norm.beta_offset >= 0));
    if (has_params && first_param_ < 0) first_param_ = static_cast<int>(i);
    if (l.kind == LayerKind::kBatchNormLayer) {
      const int64_t u = l.norm.units;
      nstat_[i].assign(static_cast<size_t>(3 * u), 0.0);
      std::fill(buffers_ + l.norm.stats_offset, buffers_ + l.norm.stats_offset + u, 0.0f);
      std::fill(buffers_ + l.norm.stats_offset + u, buffers_ + l.norm.stats_offset + 2 * u, 1.0f);
    }
  }
  norm_fscratch_.assign(static_cast<size_t>(3 * max_width_), 0.0f);
  // The kernels and biases tile [0, param_count) (model_spec_valid), so a small network
  // can be updated in one pass over all of its parameters.
  single_update_ = spec_.param_count <= kSingleUpdateMax;
  tiny_spec_ = tiny_spec_supported(spec_);
}

int64_t Network::target_cols() const {
  return loss_.kind == Loss::kSparseCategoricalCrossentropy ? 1 : spec_.outputs;
}

void Network::set_optimizer(const OptimizerSpec& opt) {
  opt_ = opt;
  t_ = 0;
  const int slots = optimizer_slots(opt);
  const size_t n = static_cast<size_t>(spec_.param_count);
  s1_.assign(slots >= 1 ? n : 0, 0.0f);
  s2_.assign(slots >= 2 ? n : 0, 0.0f);
  if (grads_.size() != n) grads_.assign(n, 0.0f);
  norm_parts_.assign(
      opt.clip_norm > 0.0 ? static_cast<size_t>(clip_norm_blocks(spec_.param_count)) : 0, 0.0);
  opt_step_stale_ = true;
}

void Network::set_learning_rate(double lr) {
  opt_.learning_rate = lr;
  opt_step_stale_ = true;
}

void Network::set_optimizer_steps(int64_t t) {
  t_ = t < 0 ? 0 : t;
  opt_step_stale_ = true;
}

float* Network::optimizer_slot(int i) {
  std::vector<float, AlignedAllocator<float>>& s = i == 0 ? s1_ : s2_;
  return (i == 0 || i == 1) && !s.empty() ? s.data() : nullptr;
}

double Network::penalty() const {
  if (!has_penalty_) return 0.0;
  double p = 0.0;
  for (const LayerSpec& l : spec_.layers) {
    if (l.kind != LayerKind::kDenseLayer) continue;
    const DenseDesc& d = l.dense;
    p += penalty_value(params_ + d.kernel_offset, d.inputs * d.units, l.kernel_l1, l.kernel_l2);
    if (d.use_bias) p += penalty_value(params_ + d.bias_offset, d.units, l.bias_l1, l.bias_l2);
  }
  return p;
}

size_t Network::memory_bytes() const {
  size_t b = (s1_.capacity() + s2_.capacity() + grads_.capacity()) * sizeof(float);
  for (size_t i = 0; i < act_.size(); ++i) {
    b +=
        act_[i].capacity() * sizeof(float) + z_[i].capacity() * sizeof(float) + mask_[i].capacity();
  }
  b += (delta_[0].capacity() + delta_[1].capacity() + xb_.capacity() + yb_.capacity()) *
       sizeof(float);
  b += colsum_.capacity() * sizeof(double);
  for (size_t i = 0; i < xhat_.size(); ++i) {
    b += xhat_[i].capacity() * sizeof(float) + nstat_[i].capacity() * sizeof(double);
  }
  b += (own_buffers_.capacity() + norm_fscratch_.capacity()) * sizeof(float);
  b += (alt_params_.capacity() + alt_s1_.capacity() + alt_s2_.capacity()) * sizeof(float);
  b += norm_parts_.capacity() * sizeof(double);
  b += tiny_act_.capacity() * sizeof(float);
  if (pack_) {
    for (const PackedB& k : pack_->kernels) b += k.panels.capacity() * sizeof(float);
  }
  return b;
}

void Network::reserve(int64_t rows, bool backward) {
  const size_t r = static_cast<size_t>(rows);
  if (rows > cap_rows_) {
    for (size_t i = 0; i < spec_.layers.size(); ++i) {
      const LayerSpec& l = spec_.layers[i];
      const size_t w = static_cast<size_t>(l.units);
      act_[i].resize(r * w);
      if (l.kind == LayerKind::kDenseLayer &&
          !activation_backward_from_output(l.dense.act, l.dense.alpha))
        z_[i].resize(r * w);
    }
    cap_rows_ = rows;
  }
  if (backward && rows > cap_back_rows_) {
    for (size_t i = 0; i < spec_.layers.size(); ++i) {
      const LayerSpec& l = spec_.layers[i];
      if (l.kind == LayerKind::kDropoutLayer) mask_[i].resize(r * static_cast<size_t>(l.units));
      if (l.kind == LayerKind::kLayerNormLayer || l.kind == LayerKind::kBatchNormLayer)
        xhat_[i].resize(r * static_cast<size_t>(l.units));
      if (l.kind == LayerKind::kLayerNormLayer) nstat_[i].resize(r);
    }
    delta_[0].resize(r * static_cast<size_t>(max_width_));
    delta_[1].resize(r * static_cast<size_t>(max_width_));
    colsum_.resize(2 * static_cast<size_t>(max_width_));  // norm backward: 2 sums per column
    cap_back_rows_ = rows;
  }
}

namespace {

// Whether predict reads this dense layer's kernel pre-packed for passes of `rows` rows:
// exactly when dense_forward would run sgemm's packed path (which packs B).
bool dense_reads_packed(const DenseDesc& d, int64_t rows) {
  return !dense_is_tiny(d, rows) && sgemm_packs_b(rows, d.units, d.inputs);
}

// dense_forward for inference (no Z kept) with the kernel read from `pb`: the same sgemm
// calls and epilogues, so the same bits (sgemm_prepacked's contract).
void dense_forward_packed(const DenseDesc& d, const float* params, const PackedB& pb,
                          const float* x, int64_t rows, float* a) {
  GemmEpilogue ep;
  ep.bias = d.use_bias ? params + d.bias_offset : nullptr;
  ep.leaky_alpha = d.alpha;
  const bool fuse_act =
      d.act == Activation::kLinear || d.act == Activation::kRelu || d.act == Activation::kLeakyRelu;
  if (fuse_act && d.act == Activation::kRelu) {
    ep.kind = d.use_bias ? Epilogue::kBiasRelu : Epilogue::kRelu;
  } else if (fuse_act && d.act == Activation::kLeakyRelu) {
    ep.kind = d.use_bias ? Epilogue::kBiasLeakyRelu : Epilogue::kLeakyRelu;
  } else {
    ep.kind = d.use_bias ? Epilogue::kBias : Epilogue::kNone;
  }
  sgemm_prepacked(rows, d.units, d.inputs, 1.0f, x, d.inputs, pb, params + d.kernel_offset, d.units,
                  0.0f, a, d.units, ep);
  if (!fuse_act) activation_forward(d.act, d.alpha, a, a, rows, d.units);
}

}  // namespace

const float* Network::forward(const float* x, int64_t rows, bool for_backward, bool dropout,
                              uint64_t step) {
  const uint32_t step_seed = dropout ? dropout_step_seed(spec_.seed, step) : 0;
  const float* cur = x;
  for (size_t i = 0; i < spec_.layers.size(); ++i) {
    const LayerSpec& l = spec_.layers[i];
    in_ptr_[i] = cur;
    if (l.kind == LayerKind::kDenseLayer) {
      float* z = for_backward && !z_[i].empty() ? z_[i].data() : nullptr;
      if (use_pack_ != nullptr && !for_backward && use_pack_->version[i] == params_version_ &&
          dense_reads_packed(l.dense, rows)) {
        dense_forward_packed(l.dense, params_, use_pack_->kernels[i], cur, rows, act_[i].data());
      } else {
        dense_forward(l.dense, params_, cur, rows, z, act_[i].data());
      }
      cur = act_[i].data();
    } else if (l.kind == LayerKind::kLayerNormLayer) {
      layer_norm_forward(l.norm, params_, cur, rows, act_[i].data(),
                         for_backward ? xhat_[i].data() : nullptr,
                         for_backward ? nstat_[i].data() : nullptr);
      cur = act_[i].data();
    } else if (l.kind == LayerKind::kBatchNormLayer) {
      if (for_backward) {
        batch_norm_train_forward(l.norm, params_, cur, rows, act_[i].data(), xhat_[i].data(),
                                 nstat_[i].data(), norm_fscratch_.data());
      } else {
        batch_norm_infer_forward(l.norm, params_, buffers_, cur, rows, act_[i].data(),
                                 norm_fscratch_.data());
      }
      cur = act_[i].data();
    } else {
      const bool on = dropout && l.rate > 0.0;
      dropout_on_[i] = on ? 1 : 0;
      if (on) {
        dropout_forward(cur, act_[i].data(), mask_[i].data(), rows, l.units,
                        dropout_layer_seed(step_seed, static_cast<uint32_t>(i)),
                        dropout_threshold(l.rate), static_cast<float>(1.0 / (1.0 - l.rate)));
        cur = act_[i].data();
      }
    }
  }
  return cur;
}

namespace {

// Rows ahead that the epoch loop's gather prefetches (the first cache line of each row:
// a long row's later lines follow by the hardware prefetcher once it is touched).
constexpr int64_t kPrefetchAhead = 16;

inline void prefetch_line(const float* p) {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(p, 0, 3);
#else
  (void)p;
#endif
}

}  // namespace

void Network::update(int64_t offset, int64_t n) {
  float* s1 = s1_.empty() ? nullptr : s1_.data() + offset;
  float* s2 = s2_.empty() ? nullptr : s2_.data() + offset;
  float* th = params_ + offset;
  const float* g = grads_.data() + offset;
  if (!guard_) {
    split_blocks(n, 16384, 4, [&](int64_t b0, int64_t e0) {
      optimizer_update(opt_, opt_step_, th + b0, g + b0, s1 == nullptr ? nullptr : s1 + b0,
                       s2 == nullptr ? nullptr : s2 + b0, e0 - b0);
    });
    return;
  }
  // Guarded (train_epoch): out of place, into the other copy of the parameters and
  // state, so the current ones stay as they were and an overflowing step is dropped by
  // not switching copies. The optimizer pass reports whether every new θ is finite (adam
  // and rmsprop check in registers; sgd re-reads each 2048-float piece from L1).
  float* tho = next_params_ + offset;
  float* so1 = alt_s1_.empty() ? nullptr : alt_s1_.data() + offset;
  float* so2 = alt_s2_.empty() ? nullptr : alt_s2_.data() + offset;
  split_blocks(n, 16384, 4, [&](int64_t b0, int64_t e0) {
    bool bad = false;
    for (int64_t b = b0; b < e0; b += 2048) {
      const int64_t e = e0 - b < 2048 ? e0 : b + 2048;
      const bool finite = optimizer_update_to(
          opt_, opt_step_, th + b, g + b, s1 == nullptr ? nullptr : s1 + b,
          s2 == nullptr ? nullptr : s2 + b, e - b, tho + b, so1 == nullptr ? nullptr : so1 + b,
          so2 == nullptr ? nullptr : so2 + b);
      bad = bad || !finite;
    }
    if (bad) overflow_.store(true, std::memory_order_relaxed);
  });
}

void Network::backward(int64_t rows, float* grads, bool apply) {
  const int n = static_cast<int>(spec_.layers.size());
  const LayerSpec* last = n > 0 ? &spec_.layers[static_cast<size_t>(n - 1)] : nullptr;
  const bool fused =
      last != nullptr && last->kind == LayerKind::kDenseLayer && loss_fused(loss_, last->dense.act);
  int cur = 0;
  float* d = delta_[0].data();
  for (int i = n - 1; i >= 0 && i >= first_param_; --i) {
    const LayerSpec& l = spec_.layers[static_cast<size_t>(i)];
    if (l.kind == LayerKind::kDropoutLayer) {
      if (dropout_on_[static_cast<size_t>(i)]) {
        dropout_backward(d, mask_[static_cast<size_t>(i)].data(), rows * l.units,
                         static_cast<float>(1.0 / (1.0 - l.rate)));
      }
      continue;
    }
    if (l.kind == LayerKind::kLayerNormLayer || l.kind == LayerKind::kBatchNormLayer) {
      const NormDesc& nd = l.norm;
      const size_t li = static_cast<size_t>(i);
      // dX in place: the delta of this layer's output becomes that of its input.
      float* ndx = i > first_param_ ? d : nullptr;
      if (l.kind == LayerKind::kLayerNormLayer) {
        layer_norm_backward(nd, params_, d, xhat_[li].data(), nstat_[li].data(), rows, grads, ndx,
                            colsum_.data());
      } else {
        batch_norm_backward(nd, params_, d, xhat_[li].data(), nstat_[li].data(), rows, grads, ndx,
                            colsum_.data(), norm_fscratch_.data());
      }
      if (apply && !single_update_) {
        if (nd.gamma_offset >= 0) update(nd.gamma_offset, nd.units);
        if (nd.beta_offset >= 0) update(nd.beta_offset, nd.units);
      }
      continue;
    }
    const DenseDesc& dd = l.dense;
    float* gb = dd.use_bias ? grads + dd.bias_offset : nullptr;
    if (i == n - 1 && fused) {
      if (gb != nullptr) column_sums(d, rows, dd.units, gb, colsum_.data());
    } else {
      const std::vector<float>& z = z_[static_cast<size_t>(i)];
      activation_backward(dd.act, dd.alpha, act_[static_cast<size_t>(i)].data(),
                          z.empty() ? nullptr : z.data(), d, rows, dd.units, gb, colsum_.data());
    }
    float* dx = i > first_param_ ? delta_[1 - cur].data() : nullptr;
    dense_backward(dd, params_, in_ptr_[static_cast<size_t>(i)], d, rows, grads + dd.kernel_offset,
                   dx);
    if (has_penalty_) {
      // The regularizers' gradient, from the pre-step W, before this layer's update.
      penalty_grad_add(params_ + dd.kernel_offset, grads + dd.kernel_offset, dd.inputs * dd.units,
                       l.kernel_l1, l.kernel_l2);
      if (dd.use_bias)
        penalty_grad_add(params_ + dd.bias_offset, gb, dd.units, l.bias_l1, l.bias_l2);
    }
    if (apply && !single_update_ && !(opt_.clip_norm > 0.0)) {
      update(dd.kernel_offset, dd.inputs * dd.units);
      if (dd.use_bias) update(dd.bias_offset, dd.units);
    }
    if (dx != nullptr) {
      d = dx;
      cur = 1 - cur;
    }
  }
  if (apply && opt_.clip_norm > 0.0) {
    // clip_norm: the global norm of the (clamped) gradient is known only now, so every
    // update waits for it; its factor is fused into the one pass over all parameters.
    if (norm_parts_.size() < static_cast<size_t>(clip_norm_blocks(spec_.param_count)))
      norm_parts_.resize(static_cast<size_t>(clip_norm_blocks(spec_.param_count)));
    const double ss =
        clip_sum_squares(grads, spec_.param_count, opt_step_.clip, norm_parts_.data());
    opt_step_.gscale = clip_norm_scale(ss, opt_.clip_norm);
    update(0, spec_.param_count);
  } else if (apply && single_update_) {
    update(0, spec_.param_count);
  }
}

void Network::set_inference_cache(bool on) {
  infer_cache_ = on;
  if (!on) pack_.reset();
}

const Network::InferPack* Network::infer_pack(int64_t rows) {
  const size_t nl = spec_.layers.size();
  // Current: packed from the parameters as they are, for the kernel set in use.
  const int isa = static_cast<int>(active_isa());
  auto current = [&](size_t i) {
    return pack_->version[i] == params_version_ && pack_->kernels[i].isa == isa;
  };
  bool any = false, stale = false;
  for (size_t i = 0; i < nl; ++i) {
    const LayerSpec& l = spec_.layers[i];
    if (l.kind != LayerKind::kDenseLayer || !dense_reads_packed(l.dense, rows)) continue;
    any = true;
    stale = stale || !pack_ || !current(i);
  }
  if (!any) return nullptr;
  if (stale) {
    // A set someone else still holds is never written: pack into a fresh one.
    if (!pack_ || pack_.use_count() > 1) {
      auto fresh = std::make_shared<InferPack>();
      fresh->kernels.resize(nl);
      fresh->version.assign(nl, 0);
      pack_ = std::move(fresh);
    }
    for (size_t i = 0; i < nl; ++i) {
      const LayerSpec& l = spec_.layers[i];
      if (l.kind != LayerKind::kDenseLayer || !dense_reads_packed(l.dense, rows)) continue;
      if (current(i)) continue;
      const DenseDesc& d = l.dense;
      pack_->version[i] = 0;
      sgemm_pack_b(d.inputs, d.units, params_ + d.kernel_offset, d.units, &pack_->kernels[i]);
      pack_->version[i] = params_version_;
    }
  }
  return pack_.get();
}

void Network::predict(const float* x, int64_t rows, float* out) {
  const FlushDenormals flush;  // runtime/fp_mode.h
  const int64_t chunk = rows < kInferenceChunk ? rows : kInferenceChunk;
  if (chunk <= 0) return;
  reserve(chunk, false);
  struct Unset {
    const InferPack** p;
    ~Unset() { *p = nullptr; }
  } unset{&use_pack_};
  for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
    const int64_t n = rows - r0 < chunk ? rows - r0 : chunk;
    const bool tiny = n == 1 && tiny_path(1);
    use_pack_ = infer_cache_ && !tiny ? infer_pack(n) : nullptr;
    const float* y = tiny ? tiny_forward(x + r0 * spec_.inputs)
                          : forward(x + r0 * spec_.inputs, n, false, false, 0);
    std::memcpy(out + r0 * spec_.outputs, y,
                static_cast<size_t>(n * spec_.outputs) * sizeof(float));
  }
}

LossResult Network::evaluate(const float* x, const float* y, int64_t rows, const float* w) {
  const FlushDenormals flush;  // runtime/fp_mode.h
  const int64_t chunk = rows < kInferenceChunk ? rows : kInferenceChunk;
  if (chunk <= 0) return LossResult{0.0, 0};
  reserve(chunk, false);
  // A last layer that is not dense passes its input on unchanged: linear, never fused.
  const Activation out_act =
      spec_.layers.empty() || spec_.layers.back().kind != LayerKind::kDenseLayer
          ? Activation::kLinear
          : spec_.layers.back().dense.act;
  const double pen = penalty();
  if (chunk == rows) {
    const float* yh = forward(x, rows, false, false, 0);
    LossResult r = loss_forward_ex(loss_, out_act, yh, y, w, rows, spec_.outputs, nullptr);
    r.loss += pen;
    return r;
  }
  // Chunk means weighted back into one batch mean (float64 throughout): by each chunk's
  // weight sum (its row count without weights).
  const int64_t yc = target_cols();
  double sum = 0.0;
  double wsum = 0.0;
  int64_t correct = 0;
  for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
    const int64_t n = rows - r0 < chunk ? rows - r0 : chunk;
    const float* yh = forward(x + r0 * spec_.inputs, n, false, false, 0);
    const LossResult part =
        loss_forward_ex(loss_, out_act, yh, y + r0 * yc, w == nullptr ? nullptr : w + r0, n,
                        spec_.outputs, nullptr);
    // A chunk whose weights are all 0 adds nothing (its own mean is 0/0).
    if (part.weight_sum > 0.0) sum += part.loss * part.weight_sum;
    wsum += part.weight_sum;
    correct += part.correct;
  }
  LossResult res{sum / wsum + pen, correct};
  res.weight_sum = wsum;
  return res;
}

double Network::gradients(const float* x, const float* y, int64_t rows, float* grads,
                          const float* w) {
  const FlushDenormals flush;  // runtime/fp_mode.h
  if (rows <= 0) {
    // No rows: loss 0 and a zero gradient (every slot written, as for any batch).
    std::fill(grads, grads + spec_.param_count, 0.0f);
    return 0.0;
  }
  reserve(rows, true);
  const float* yh = forward(x, rows, true, false, 0);
  // A last layer that is not dense passes its input on unchanged: linear, never fused.
  const Activation out_act =
      spec_.layers.empty() || spec_.layers.back().kind != LayerKind::kDenseLayer
          ? Activation::kLinear
          : spec_.layers.back().dense.act;
  const LossResult r =
      loss_forward_ex(loss_, out_act, yh, y, w, rows, spec_.outputs, delta_[0].data());
  backward(rows, grads, false);
  return r.loss + penalty();
}

LossResult Network::train_step(const float* x, const float* y, int64_t rows, uint64_t step,
                               const float* w) {
  const FlushDenormals flush;  // runtime/fp_mode.h
  params_changed();            // the inference cache re-packs at the next predict
  return this->step(x, y, w, rows, step, false, nullptr);
}

LossResult Network::step(const float* x, const float* y, const float* w, int64_t rows,
                         uint64_t step_index, bool guard, bool* overflowed) {
  if (overflowed != nullptr) *overflowed = false;
  if (rows <= 0) return LossResult{0.0, 0};
  // tiny.h: the same numbers in one fused pass.
  if (tiny_path(rows)) return tiny_step(x, y, w, guard, overflowed);
  reserve(rows, true);
  if (grads_.size() != static_cast<size_t>(spec_.param_count))
    grads_.assign(static_cast<size_t>(spec_.param_count), 0.0f);
  const float* yh = forward(x, rows, true, true, step_index);
  // A last layer that is not dense passes its input on unchanged: linear, never fused.
  const Activation out_act =
      spec_.layers.empty() || spec_.layers.back().kind != LayerKind::kDenseLayer
          ? Activation::kLinear
          : spec_.layers.back().dense.act;
  last_yhat_ = yh;
  LossResult r = loss_forward_ex(loss_, out_act, yh, y, w, rows, spec_.outputs, delta_[0].data());
  r.loss += penalty();  // the pre-step parameters' penalty: part of the loss minimised
  if (!std::isfinite(r.loss)) return r;
  ++t_;
  // Only adam's constants change after step 2 (its bias corrections); the others depend
  // on t only through `first` (t == 1), so from t = 3 on the t = 2 constants are reused.
  // A new rate or step count (set_learning_rate, set_optimizer_steps) recomputes them too.
  if (opt_step_stale_ || t_ <= 2 || opt_.kind == OptimizerKind::kAdam ||
      opt_.kind == OptimizerKind::kAdamW) {
    opt_step_ = optimizer_step(opt_, t_);
    opt_step_stale_ = false;
  }
  guard_ = guard;
  if (guard) next_params_ = params_ == user_params_ ? alt_params_.data() : user_params_;
  overflow_.store(false, std::memory_order_relaxed);
  backward(rows, grads_.data(), true);
  guard_ = false;
  if (guard) {
    if (overflow_.load(std::memory_order_relaxed)) {
      // Dropped: the parameters, state and running statistics were never touched.
      --t_;
      if (overflowed != nullptr) *overflowed = true;
      return r;
    }
    params_ = next_params_;
    s1_.swap(alt_s1_);
    s2_.swap(alt_s2_);
  }
  commit_norm_stats(rows);
  return r;
}

void Network::commit_norm_stats(int64_t rows) {
  for (size_t i = 0; i < spec_.layers.size(); ++i) {
    const LayerSpec& l = spec_.layers[i];
    if (l.kind == LayerKind::kBatchNormLayer)
      batch_norm_update_running(l.norm, nstat_[i].data(), rows, buffers_);
  }
}

EpochResult Network::train_epoch(const EpochJob& job, BatchCallback cb, void* ctx,
                                 const std::atomic<bool>* stop) {
  const FlushDenormals flush;  // runtime/fp_mode.h
  params_changed();            // the inference cache re-packs at the next predict
  EpochResult res;
  const int64_t bs = job.batch_size < 1 ? 1 : job.batch_size;
  const int64_t n = job.order_len;
  if (n <= 0) return res;
  // Every index is checked before the first step, so an epoch refused for a bad index
  // has changed nothing. Each one is checked again where it is read: the caller's order
  // may be memory that other threads can write (a SharedArrayBuffer, in the binding).
  for (int64_t i = 0; i < n; ++i) {
    if (job.order[i] < 0 || job.order[i] >= job.samples) {
      res.status = EpochStatus::kEpochBadIndex;
      res.failed_batch = i / bs;
      return res;
    }
  }
  const int64_t cap = bs < n ? bs : n;
  const int64_t in = spec_.inputs;
  const int64_t yc = target_cols();
  reserve(cap, true);
  const size_t pc = static_cast<size_t>(spec_.param_count);
  if (alt_params_.size() != pc) alt_params_.resize(pc);
  if (alt_s1_.size() != s1_.size()) alt_s1_.resize(s1_.size());
  if (alt_s2_.size() != s2_.size()) alt_s2_.resize(s2_.size());
  // However the loop ends, the parameters finish in the caller's array: after an odd
  // number of applied steps they are in alt_params_ and are copied back (once per epoch).
  struct Settle {
    Network* net;
    ~Settle() {
      if (net->params_ != net->user_params_) {
        std::memcpy(net->user_params_, net->params_,
                    static_cast<size_t>(net->spec_.param_count) * sizeof(float));
        net->params_ = net->user_params_;
      }
    }
  } settle{this};
  if (xb_.size() < static_cast<size_t>(cap * in)) xb_.resize(static_cast<size_t>(cap * in));
  if (yb_.size() < static_cast<size_t>(cap * yc)) yb_.resize(static_cast<size_t>(cap * yc));
  const float* const jw = job.weights;
  if (jw != nullptr && wb_.size() < static_cast<size_t>(cap)) wb_.resize(static_cast<size_t>(cap));
  if (bs == 1 && tiny_path(1)) {
    tiny_epoch(job, cb, ctx, stop, kPrefetchAhead, &res);  // tiny.cc: the loop below at batch 1
    return res;
  }
  const int64_t nb = (n + bs - 1) / bs;
  for (int64_t b = 0; b < nb; ++b) {
    if (stop != nullptr && stop->load(std::memory_order_relaxed)) {
      res.status = EpochStatus::kEpochAborted;
      break;
    }
    const int64_t r0 = b * bs;
    const int64_t rows = n - r0 < bs ? n - r0 : bs;
    // A batch whose rows are consecutive in x (fit with shuffle: false, or a shuffle that
    // happens to keep a run) is read where it lies: the step sees the same values as from
    // a gathered copy, without copying rows·in floats. Every index of such a run is in
    // range by construction.
    const int64_t first = job.order[r0];
    bool consecutive = first >= 0 && first <= job.samples - rows;
    for (int64_t r = 1; consecutive && r < rows; ++r) consecutive = job.order[r0 + r] == first + r;
    const float* xb = consecutive ? job.x + first * in : xb_.data();
    const float* yb = consecutive ? job.y + first * yc : yb_.data();
    const float* wb = jw == nullptr ? nullptr : (consecutive ? jw + first : wb_.data());
    // Shuffled rows are random reads from all of x and y; the rows kPrefetchAhead places
    // later in the order are requested now, so they have arrived by their turn (batch-1
    // steps of a small network take ~100–200 ns, a miss to L3 or memory as long or
    // longer). Done for in-place batches too: a batch of one row is always "consecutive",
    // and with a shuffled order its row is just as random. An invalid index is not
    // fetched here, and is reported when its turn comes.
    for (int64_t r = 0; r < rows && r0 + r + kPrefetchAhead < n; ++r) {
      const int64_t ahead = job.order[r0 + r + kPrefetchAhead];
      if (ahead >= 0 && ahead < job.samples) {
        prefetch_line(job.x + ahead * in);
        prefetch_line(job.y + ahead * yc);
      }
    }
    for (int64_t r = 0; r < rows && !consecutive; ++r) {
      const int64_t idx = job.order[r0 + r];
      if (idx < 0 || idx >= job.samples) {
        res.status = EpochStatus::kEpochBadIndex;
        res.failed_batch = b;
        return res;
      }
      const float* xs = job.x + idx * in;
      const float* ys = job.y + idx * yc;
      float* xd = xb_.data() + r * in;
      float* yd = yb_.data() + r * yc;
      if (in >= 16) {
        std::memcpy(xd, xs, static_cast<size_t>(in) * sizeof(float));
      } else {
        for (int64_t j = 0; j < in; ++j) xd[j] = xs[j];
      }
      for (int64_t j = 0; j < yc; ++j) yd[j] = ys[j];
      if (jw != nullptr) wb_[static_cast<size_t>(r)] = jw[idx];
    }
    if (b < job.learning_rates_len && job.learning_rates[b] != opt_.learning_rate)
      set_learning_rate(job.learning_rates[b]);
    bool overflowed = false;
    const LossResult r =
        step(xb, yb, wb, rows, job.first_step + static_cast<uint64_t>(b), true, &overflowed);
    if (job.outputs != nullptr && last_yhat_ != nullptr) {
      // Each row's pre-step output, at its x row (checked in range above).
      const int64_t out = spec_.outputs;
      for (int64_t r2 = 0; r2 < rows; ++r2) {
        const int64_t idx = consecutive ? first + r2 : job.order[r0 + r2];
        if (idx < 0 || idx >= job.samples) continue;
        std::memcpy(job.outputs + idx * out, last_yhat_ + r2 * out,
                    static_cast<size_t>(out) * sizeof(float));
      }
    }
    if (!std::isfinite(r.loss) || overflowed) {
      res.status = EpochStatus::kEpochNonFinite;
      res.failed_batch = b;
      break;
    }
    res.batches += 1;
    res.loss_sum += r.loss * static_cast<double>(rows);
    res.correct += r.correct;
    res.samples += rows;
    if (cb != nullptr) cb(ctx, b, r.loss, r.correct, rows);
  }
  return res;
}

}  // namespace densely
