// The async epoch: trainEpoch runs Network::train_epoch on a libuv worker thread
// (Napi::AsyncWorker), so the event loop is never blocked. x, y, order and the model
// object are pinned with references until the worker is destroyed on the main thread.
// Per-batch results go into a mutex-guarded queue (EpochChannel); at most one
// non-blocking ThreadSafeFunction call is in flight, issued at most every millisecond,
// and its main-thread callback hands every queued result to JS in one Float64Array of
// batchReport records (wire.json) — so a batch-1 epoch costs the training thread one
// lock per batch, not one JS call. OnOK drains what is left before resolving, so every
// batch is reported before the promise settles.
#pragma once
#include <napi.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "network/network.h"

namespace densely_binding {

class Model;

// The channel between the training thread and the main thread: batch reports queued by
// the one, handed to JS by the other.
struct EpochChannel {
  std::mutex mu;
  std::vector<double> queue;  // one batchReport record (wire.json) per batch
  std::vector<double> spare;  // the drained buffer, kept for its capacity (main thread)
  bool pending = false;       // a TSFN call is queued and has not drained yet
  // Training thread only: when it last woke the main thread. A wake-up costs a syscall
  // (uv_async_send) and a turn of the event loop, so with fast batches they are spaced
  // ≥ kNotifyInterval apart (or every kNotifyBatches batches); a slow batch is reported
  // at once. OnOK drains the rest, so nothing waits beyond the end of the epoch.
  std::chrono::steady_clock::time_point last_notify{};
  int64_t since_notify = 0;
};

// The TSFN's main-thread callback: hands the queued reports to `fn`.
void CallBatchesJs(Napi::Env env, Napi::Function fn, EpochChannel* ch, void* data);

using BatchTsfn = Napi::TypedThreadSafeFunction<EpochChannel, void, CallBatchesJs>;

// One trainEpoch call. Made on the main thread while `model` is idle; the caller marks
// the model busy and queues it. It ends the epoch (Model::EndEpoch) once Execute is done,
// whether it resolves, rejects or its environment is being torn down.
class EpochWorker : public Napi::AsyncWorker {
 public:
  EpochWorker(Napi::Env env, Model* model, densely::Network& net, Napi::Object self,
              Napi::Float32Array x, Napi::Float32Array y, Napi::Int32Array order,
              densely::EpochJob job, Napi::Value on_batches, Napi::Value weights);

  Napi::Promise Promise() { return deferred_.Promise(); }

  // Where the epoch writes each row's pre-step output (EpochJob::outputs). A view of a
  // SharedArrayBuffer is written where it lies; any other array through a copy, written
  // back when the epoch resolves (if the array is still attached).
  void SetOutputs(Napi::Env env, Napi::Float32Array outputs);

 protected:
  void Execute() override;
  void OnOK() override;
  void OnWorkComplete(Napi::Env env, napi_status status) override;
  void OnError(const Napi::Error& e) override;

 private:
  static void OnBatch(void* ctx, int64_t batch, double loss, int64_t correct, int64_t rows);
  void Finish(Napi::Env env);

  Napi::Promise::Deferred deferred_;
  bool failed_ = false;
  std::string error_;
  Model* model_;
  densely::Network* const net_;
  densely::EpochJob job_;
  std::vector<float> x_copy_, y_copy_, w_copy_;
  std::vector<int32_t> order_copy_;
  std::vector<float> out_copy_;
  Napi::ObjectReference out_;
  densely::EpochResult result_;
  Napi::ObjectReference self_, x_, y_, order_, w_;
  Napi::FunctionReference callback_;
  EpochChannel* channel_ = nullptr;
  BatchTsfn tsfn_;
  bool finished_ = false;
};

}  // namespace densely_binding
