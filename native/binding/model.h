// The Model class of the addon: one densely::Network behind a JS object.
//
// JS shape (the NativeModel interface of lib/backend/native/binding.ts; the packed
// records and codes are in wire.json):
//   new Model(spec: Float64Array)        packed ModelSpec (parsed by ParseSpec, spec.cc)
//   .params: Float32Array                the live flat parameters (JS-allocated over a
//                                        SharedArrayBuffer, which cannot be detached;
//                                        held by a reference; the Network writes into it).
//                                        Each read marks them changed: predict's packed
//                                        kernels are redone at its next call, so write
//                                        through a fresh read, never through a reference
//                                        kept across a predict
//   .setLoss(code) .setOptimizer(Float64Array) .predict(x, rows, out, check?) → -1 or the
//                                        index of x's first non-finite element (check)
//   .setStaging(x, out) .predictStaged(rows, xLength, outLength)   predict through two
//                                        arrays registered once
//                                        (one-sample calls skip two typed-array lookups)
//   .evaluate(x, y, rows) → lossResult  .gradients(x, y, rows, grads) → loss
//   .trainStep(x, y, rows, step) → lossResult
//   .trainEpoch(x, y, order, batchSize, firstStep, onBatches?) → Promise<epochResult>
//                                        (the worker: epoch_worker.h)
//   .setLearningRate(lr) .setEpochRates(rates: Float64Array | undefined)   the rate of the
//                                        next steps; per-batch rates of the next trainEpochs
//   .getOptimizerState(s1, s2) → step .setOptimizerState(step, s1, s2)   the optimizer's
//                                        slots (paramCount floats each, length 0 when absent)
//   .requestStop() .dispose() .busy
//   .setThreads(n)                        this model's thread cap (0: the pool size)
//   .predictAsync(x, rows, out) → Promise<void>   predict off the event loop
//                                        (the worker: predict_worker.h)
// While trainEpoch runs, every call but requestStop throws an Error with code
// DENSELY_BUSY. Native memory is reported to V8 (AdjustExternalMemory) and freed by
// dispose() or the GC finalizer. A worker_thread terminated during an epoch waits for
// the epoch to end (Node drains thread-pool work before its cleanup hooks run); abort
// the epoch first (requestStop / the fit's AbortSignal) for a prompt exit.
#pragma once
#include <napi.h>

#include <atomic>
#include <memory>
#include <vector>

#include "network/network.h"

namespace densely_binding {

class Model : public Napi::ObjectWrap<Model> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Model(const Napi::CallbackInfo& info);
  ~Model() override;

  // Throws DENSELY_BUSY while an epoch runs, DENSELY_INTERNAL after dispose().
  densely::Network& Use(Napi::Env env);
  void SyncMemory(Napi::Env env);
  void EndEpoch(Napi::Env env);
  std::atomic<bool>& stop_flag() { return stop_; }
  // The thread cap of this model's jobs (0: the pool size; runtime/thread_pool.h).
  int threads() const { return threads_.load(std::memory_order_relaxed); }

  // Process-wide: models whose Network is alive, and the native bytes they hold (what
  // has been reported to V8). For tests of dispose() and the GC finalizers.
  static int64_t LiveNetworks();
  static int64_t LiveBytes();

 private:
  Napi::Value Params(const Napi::CallbackInfo& info);
  Napi::Value Busy(const Napi::CallbackInfo& info);
  void SetLoss(const Napi::CallbackInfo& info);
  void SetOptimizer(const Napi::CallbackInfo& info);
  Napi::Value Predict(const Napi::CallbackInfo& info);
  Napi::Value Buffers(const Napi::CallbackInfo& info);
  void SetStaging(const Napi::CallbackInfo& info);
  void PredictStaged(const Napi::CallbackInfo& info);
  Napi::Value Evaluate(const Napi::CallbackInfo& info);
  Napi::Value Gradients(const Napi::CallbackInfo& info);
  Napi::Value TrainStep(const Napi::CallbackInfo& info);
  Napi::Value TrainEpoch(const Napi::CallbackInfo& info);
  void RequestStop(const Napi::CallbackInfo& info);
  void SetLearningRate(const Napi::CallbackInfo& info);
  void SetEpochRates(const Napi::CallbackInfo& info);
  Napi::Value GetOptimizerState(const Napi::CallbackInfo& info);
  void SetOptimizerState(const Napi::CallbackInfo& info);
  void Dispose(const Napi::CallbackInfo& info);
  void SetThreads(const Napi::CallbackInfo& info);
  Napi::Value PredictAsync(const Napi::CallbackInfo& info);
  // Reads the staged arrays' data pointers and lengths from their references.
  void ReadStaging(Napi::Env env);

  std::unique_ptr<densely::Network> net_;
  // setEpochRates: the per-batch learning rates every later trainEpoch uses (copied here,
  // so the training thread never reads JS memory for them).
  std::vector<double> epoch_rates_;
  Napi::Reference<Napi::Float32Array> params_;
  // The BatchNorm running statistics (spec.buffer_count floats), made like params_.
  Napi::Reference<Napi::Float32Array> buffers_;
  // setStaging's arrays, held by references, and their data pointers and lengths. These
  // are read once when both arrays view SharedArrayBuffers (stage_pinned_: their memory
  // stays put, as with the TypeScript side's scratch arrays); views of plain
  // ArrayBuffers, which may be detached or resized later, are looked up on every call.
  Napi::Reference<Napi::Float32Array> stage_x_, stage_out_;
  float* stage_x_data_ = nullptr;
  float* stage_out_data_ = nullptr;
  size_t stage_x_len_ = 0;
  size_t stage_out_len_ = 0;
  bool staged_ = false;
  bool stage_pinned_ = false;
  std::atomic<bool> busy_{false};
  std::atomic<bool> stop_{false};
  int64_t reported_bytes_ = 0;
  std::atomic<int> threads_{0};  // read by the epoch worker's thread
};

}  // namespace densely_binding
