// Network: a whole dense network in C++ — the spec, flat parameters, optimizer state
// and scratch — with the batched operations of lib/backend/types.ts BackendModel.
//
// Parameters live in memory the caller owns (the binding's Float32Array); the caller
// must keep it alive and not touch it while a method runs. Training scratch is sized
// for the largest batch seen so far and only grows; predict/evaluate run in chunks of
// kInferenceChunk rows and need no backward buffers, so inference memory is bounded
// whatever the input size. No method allocates once it has seen a batch of its size, so
// the per-step path of a tiny network is a handful of plain loops (ops/dense.h's tiny
// path) that never touch the thread pool. A Network is not thread-safe: one call at a time (the
// binding enforces it).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "../ops/dense.h"
#include "../ops/losses.h"
#include "../ops/norm.h"
#include "../ops/optimizers.h"
#include "../runtime/aligned.h"

namespace densely {

enum class LayerKind : int {
  kDenseLayer = 0,
  kDropoutLayer = 1,
  kLayerNormLayer = 2,
  kBatchNormLayer = 3
};

struct LayerSpec {
  LayerKind kind = LayerKind::kDenseLayer;
  DenseDesc dense;    // kind == kDenseLayer
  int64_t units = 0;  // output width (dense: dense.units; dropout: its input width)
  double rate = 0.0;  // kind == kDropoutLayer: drop probability in [0, 1)
  // Dense regularizers (ops/regularizers.h), 0 = off: l1·Σ|w| + l2·Σw² of the kernel and
  // of the bias, added to the loss that is minimised and reported.
  double kernel_l1 = 0.0, kernel_l2 = 0.0, bias_l1 = 0.0, bias_l2 = 0.0;
  NormDesc norm;  // kind == kLayerNormLayer / kBatchNormLayer (norm.units == units)
};

struct ModelSpec {
  int64_t inputs = 0;
  int64_t outputs = 0;
  int64_t param_count = 0;
  uint32_t seed = 0;
  std::vector<LayerSpec> layers;
  // Floats of non-trained state (BatchNorm running mean then running var, 2·units per
  // BatchNorm layer at its norm.stats_offset).
  int64_t buffer_count = 0;
};

// Checks every size and offset that decides a memory access (O(layers · log layers)):
// widths chain from inputs to outputs, the kernel and bias ranges tile [0, param_count)
// exactly (in any order: disjoint, nothing left over), there is at least one dense
// layer, rates are in [0, 1), activation codes are known; norm layers keep the width,
// their gamma/beta ranges join the parameter tiling, BatchNorm statistics ranges tile
// [0, buffer_count), epsilon > 0 and momentum in [0, 1]. Returns false on any violation, and never
// overflows whatever the values.
bool model_spec_valid(const ModelSpec& spec);

// One epoch of mini-batch training (lib/backend/types.ts EpochJob): batch b is rows
// order[b·batch_size ...] gathered into a contiguous block.
struct EpochJob {
  const float* x = nullptr;  // [samples × inputs]
  const float* y = nullptr;  // [samples × target_cols()]
  int64_t samples = 0;
  const int32_t* order = nullptr;
  int64_t order_len = 0;
  int64_t batch_size = 1;
  uint64_t first_step = 0;
  // Per-row loss weights [samples] indexed like x's rows, or null (every weight 1).
  const float* weights = nullptr;
  // When non-null, [samples × outputs]: each row's forward output in its training batch
  // (before that batch's step) is written at its x row (for epoch metrics).
  float* outputs = nullptr;
  // Learning rate of each batch, in batch order (null: the optimizer's own rate for every
  // batch). Batch b uses learning_rates[b] while b < learning_rates_len; the rate stays
  // installed after the epoch (as set_learning_rate).
  const double* learning_rates = nullptr;
  int64_t learning_rates_len = 0;
};

enum class EpochStatus : int {
  kEpochDone = 0,
  kEpochAborted = 1,
  kEpochNonFinite = 2,
  kEpochBadIndex = 3
};

struct EpochResult {
  int64_t batches = 0;  // batches whose step was applied
  double loss_sum = 0;  // Σ batch loss × batch rows over applied batches
  int64_t correct = 0;
  int64_t samples = 0;
  EpochStatus status = EpochStatus::kEpochDone;
  int64_t failed_batch = -1;  // the non-finite (or bad-index) batch
};

// The tiny path's loops (network/tiny.h, tiny_kernels.h): one layer's forward and backward
// at one row, and the optimizer update over all parameters.
using TinyForwardFn = void (*)(int64_t in, const float* x, const float* w, const float* b,
                               float* a);
using TinyBackwardFn = void (*)(int64_t in, Activation act, float alpha, bool derived,
                                const float* a, float* d, const float* x, const float* w, float* gw,
                                float* gb, float* dx);
using TinyUpdateFn = bool (*)(const OptimizerSpec& spec, const OptimizerStep& k, const float* th,
                              const float* gr, const float* s1, const float* s2, int64_t n,
                              float* tho, float* so1, float* so2);
struct TinyKernels;

// Called after each applied batch, on the thread running train_epoch.
using BatchCallback = void (*)(void* ctx, int64_t batch, double loss, int64_t correct,
                               int64_t rows);

class Network {
 public:
  // spec must satisfy model_spec_valid; params points at spec.param_count floats; buffers
  // at spec.buffer_count floats (null: the network holds its own). The constructor sets
  // the buffers to their initial values (running mean 0, running var 1).
  Network(ModelSpec spec, float* params, float* buffers = nullptr);

  // The BatchNorm running statistics (spec.buffer_count floats). Written only by the
  // applied steps of train_step/train_epoch (never by gradients, predict or evaluate).
  float* buffers() { return buffers_; }

  const ModelSpec& spec() const { return spec_; }
  // Floats per target row: 1 for sparse categorical CE, else outputs.
  int64_t target_cols() const;

  void set_loss(Loss loss) {
    loss_ = LossConfig{};
    loss_.kind = loss;
  }
  // A loss with options (fromLogits, label smoothing, huber's delta).
  void set_loss(const LossConfig& loss) { loss_ = loss; }
  // Installs an optimizer and resets its state (slots zeroed, step count 0).
  void set_optimizer(const OptimizerSpec& opt);
  // The learning rate of the next steps (the optimizer's state is kept).
  void set_learning_rate(double lr);
  // The optimizer's state: applied steps so far, and its slots (optimizer_slots of the
  // spec; each param_count floats in params layout, null past the count). Setting the
  // step count keeps the slots; writing through optimizer_slot changes the state.
  int64_t optimizer_steps() const { return t_; }
  void set_optimizer_steps(int64_t t);
  float* optimizer_slot(int i);

  // out [rows × outputs] ← the network's output, dropout off, BatchNorm on its running
  // statistics (inference mode; likewise evaluate).
  void predict(const float* x, int64_t rows, float* out);
  // w: per-row loss weights [rows] or null; with them every mean is Σ w·l / Σ w.
  LossResult evaluate(const float* x, const float* y, int64_t rows, const float* w = nullptr);
  // grads (params layout) ← ∇ of the batch mean loss, dropout off, BatchNorm on the
  // batch statistics (training mode; its running statistics unchanged); returns the loss.
  // With no rows: loss 0, grads all zero.
  double gradients(const float* x, const float* y, int64_t rows, float* grads,
                   const float* w = nullptr);
  // One step, dropout on with masks of `step`; skipped when the loss is not finite. An
  // applied step also moves the BatchNorm running statistics toward the batch's.
  LossResult train_step(const float* x, const float* y, int64_t rows, uint64_t step,
                        const float* w = nullptr);
  // The whole epoch loop; `stop` is checked before every batch. A batch whose loss is not
  // finite, or whose update makes a parameter non-finite, stops the epoch as
  // kEpochNonFinite; in the second case the update is dropped (it was written to a
  // second copy of the parameters and state, adopted only when all finite; the step
  // count goes back too), so the parameters are always the last all-finite ones, and
  // they are in the caller's array when the call returns, however it ends. An order
  // holding a row index outside [0, samples) is refused before any step as
  // kEpochBadIndex (failed_batch: the first batch holding one), with nothing changed.
  EpochResult train_epoch(const EpochJob& job, BatchCallback cb, void* ctx,
                          const std::atomic<bool>* stop);

  // Bytes of native memory held (scratch, gradients, optimizer state, the inference cache).
  size_t memory_bytes() const;

  // The inference cache (off by default): predict keeps each dense kernel packed into the
  // GEMM's B panels (gemm.h PackedB) instead of packing it on every call, re-packing a
  // kernel only after the parameters may have changed. The network's own writers
  // (train_step, train_epoch) mark that themselves; whoever else writes the parameters
  // array must call params_changed() after doing so (the binding: whenever JS reads
  // `params`, the live array). Same bits with or without it. evaluate is unaffected.
  void set_inference_cache(bool on);
  void params_changed() { ++params_version_; }

  // The tiny path (tiny.h): batch-1 steps and one-row predict of a small all-dense network in
  // one fused pass, the same numbers bit for bit. On by default; off runs the general path
  // (for tests and benchmarks that compare the two).
  void set_tiny_path(bool on) { tiny_enabled_ = on; }
  // Whether a step of `rows` rows takes the tiny path now.
  bool tiny_path(int64_t rows) const {
    return rows == 1 && tiny_spec_ && tiny_enabled_ && !(opt_.clip_norm > 0.0);
  }

 private:
  // Scratch for `rows` rows: the forward buffers (activations, Z where kept), and with
  // `backward` also the dropout masks, delta buffers and column sums. Grows only.
  void reserve(int64_t rows, bool backward);
  // Rows predict/evaluate process per pass: inference scratch stays bounded whatever the
  // input size (same block as the js backend's PREDICT_CHUNK).
  static constexpr int64_t kInferenceChunk = 1024;
  // The inference cache (set_inference_cache): per layer a packed kernel and the
  // params_version_ it was packed at (0: none). Held through a shared_ptr so that a
  // snapshot handed out stays immutable: a re-pack while another holder exists packs into
  // a new set.
  struct InferPack {
    std::vector<PackedB> kernels;
    std::vector<uint64_t> version;
  };
  bool infer_cache_ = false;
  uint64_t params_version_ = 1;
  std::shared_ptr<InferPack> pack_;
  // Packs (if stale) the kernels predict reads packed for passes of `rows` rows; returns
  // the set to read, or null when no layer takes the packed path at that size.
  const InferPack* infer_pack(int64_t rows);
  // Set by predict for its forward passes: dense layers read their kernels from it.
  const InferPack* use_pack_ = nullptr;
  // for_backward keeps what backward needs (Z where required) and runs BatchNorm on the
  // batch statistics (training mode); dropout applies the masks.
  const float* forward(const float* x, int64_t rows, bool for_backward, bool dropout,
                       uint64_t step);
  void backward(int64_t rows, float* grads, bool update);
  void update(int64_t offset, int64_t n);
  // The regularizers' penalty of the current parameters (0 without regularizers).
  double penalty() const;
  // The tiny path (tiny.cc): forward of one row into act_ (in_ptr_ set), and the backward
  // pass from delta_[0] into grads with the optimizer update (guarded like update()).
  const float* tiny_forward(const float* x);
  void tiny_backward_update(float* grads);
  // One batch-1 step on the tiny path (tiny_path(1) holds): step()'s work for one row,
  // from the plan below. guard / overflowed as step().
  LossResult tiny_step(const float* x, const float* y, const float* w, bool guard,
                       bool* overflowed);
  // The plan of the tiny path for the active kernel set, rebuilt when that set changes
  // (runtime/cpu.h force_isa): per layer its width's loops and its activation.
  struct TinyLayer {
    TinyForwardFn fwd;
    TinyBackwardFn bwd;
    void (*act_fn)(float* a, int64_t n, float alpha);  // in place, as activation_forward
    int64_t in, units, koff, boff;                     // boff < 0: no bias
    int64_t act_n;  // elements act_fn runs on: units, rounded up to 8 for 8-lane bodies
    float* a;       // the layer's output in tiny_act_ (padded to 8 floats)
    Activation act;
    float alpha;
  };
  void tiny_prepare();
  // The tiny path's layer outputs, each padded to a multiple of 8 floats (64-byte aligned):
  // the loops store whole vectors and the 8-lane activation bodies run unmasked, so each
  // value a later load reads comes from a store at least as wide (store-to-load
  // forwarding; a masked or partial store followed by a wider load waits for the cache).
  std::vector<float, AlignedAllocator<float>> tiny_act_;
  // train_epoch's batch loop at batch size 1 on the tiny path (its checks and setup done):
  // the same per-batch work and results, each step tiny_step; `ahead` is its prefetch
  // distance (rows).
  void tiny_epoch(const EpochJob& job, BatchCallback cb, void* ctx, const std::atomic<bool>* stop,
                  int64_t ahead, EpochResult* res);
  std::vector<TinyLayer> tiny_layers_;
  const TinyKernels* tiny_k_ = nullptr;
  int tiny_isa_ = -1;         // the set tiny_layers_ was made for
  bool tiny_spec_ = false;    // tiny_spec_supported(spec_)
  bool tiny_enabled_ = true;  // set_tiny_path
  LossResult step(const float* x, const float* y, const float* w, int64_t rows, uint64_t step,
                  bool guard, bool* overflowed);

  // Networks of at most this many parameters run the optimizer once per step over all parameters
  // after the whole backward pass (the same elementwise update, so the same numbers; every layer's
  // dX still uses the pre-step W) instead of once per kernel and bias: all of it is in L1.
  static constexpr int64_t kSingleUpdateMax = 8192;
  bool single_update_ = false;
  // Whether some dense layer has a regularizer (penalty() and its gradient needed).
  bool has_penalty_ = false;
  // clip_sum_squares scratch (ops/clip.h), one float64 per block of the gradient.
  std::vector<double> norm_parts_;
  // The output rows of the last forward pass of step() (train_epoch's EpochJob::outputs).
  const float* last_yhat_ = nullptr;

  ModelSpec spec_;
  // The current parameters: the caller's array, except inside train_epoch, where the
  // guarded steps alternate between it and alt_params_ (see update()).
  float* params_;
  float* const user_params_;
  LossConfig loss_;
  OptimizerSpec opt_;
  OptimizerStep opt_step_{};
  int64_t t_ = 0;
  // opt_step_ must be recomputed at the next step (the rate or the step count was set).
  bool opt_step_stale_ = true;
  // Optimizer state (64-byte aligned, so it can swap with its alternate copy below).
  std::vector<float, AlignedAllocator<float>> s1_, s2_;
  std::vector<float> grads_;
  // The overflow guard of train_epoch: a guarded step writes the updated parameters and
  // state to the other copy (next_params_: alt_params_ or the caller's array; alt_s1_,
  // alt_s2_) and switches to it only when every value is finite, so an overflowing step
  // is dropped without any restore. Double buffering costs no extra memory traffic,
  // where saving the old values cost three more streams per element.
  bool guard_ = false;
  std::atomic<bool> overflow_{false};
  float* next_params_ = nullptr;
  std::vector<float, AlignedAllocator<float>> alt_params_, alt_s1_, alt_s2_;

  int64_t cap_rows_ = 0;       // forward scratch capacity (rows)
  int64_t cap_back_rows_ = 0;  // backward scratch capacity (rows)
  int64_t max_width_ = 0;
  int first_dense_ = -1;
  // The first layer with parameters (dense, or a norm layer with gamma or beta): backward
  // stops there and no layer below it needs its input gradient.
  int first_param_ = -1;
  float* buffers_ = nullptr;
  std::vector<float> own_buffers_;
  std::vector<std::vector<float>> xhat_;    // per norm layer: x̂ [rows × units] (training)
  std::vector<std::vector<double>> nstat_;  // LayerNorm: rstd [rows]; BatchNorm: μ, σ², rstd
  std::vector<float> norm_fscratch_;        // [3 · max_width]
  // Applies the BatchNorm running-statistics updates of the last training forward.
  void commit_norm_stats(int64_t rows);
  std::vector<std::vector<float>> act_;     // per layer output [rows × units]
  std::vector<std::vector<float>> z_;       // per dense layer whose backward needs Z
  std::vector<std::vector<uint8_t>> mask_;  // per dropout layer
  std::vector<const float*> in_ptr_;        // forward input of each layer
  std::vector<char> dropout_on_;            // dropout applied in the last forward
  std::vector<float> delta_[2];             // [rows × max_width] ping-pong
  std::vector<double> colsum_;              // [max_width]
  std::vector<float> xb_, yb_, wb_;         // gathered batch (train_epoch)
};

}  // namespace densely
