// predictAsync: Network::predict on a libuv worker thread (Napi::AsyncWorker), so a
// large inference never blocks the event loop.
//
// The worker runs its own inference Network over the model's parameters (read only) with
// its own scratch, so several predictAsync calls, and synchronous predicts, on one model
// may run at once. What it reads is pinned until it is destroyed on the main thread: the
// parameters by a reference to their Float32Array (a SharedArrayBuffer, which cannot be
// detached), x by a reference when it views a SharedArrayBuffer, else by a copy taken
// when the call is made. The outputs go to a buffer of the worker's own and are copied
// into `out` on the main thread when it completes, so a GC, a detached or a resized `out`
// meanwhile touches nothing the worker writes. Writing the parameters while it runs
// (trainStep, trainEpoch, params.set) is the caller's to prevent: the facade refuses
// those with DENSELY_BUSY while a predictAsync is in flight.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "network/network.h"

namespace densely_binding {

class PredictWorker : public Napi::AsyncWorker {
 public:
  // `threads`: the model's thread cap (0: the pool size), held as a JobScope while it runs.
  // `buffers`: the model's BatchNorm running statistics, copied at the call (this worker's
  // network keeps its own copy; the weights are read in place, pinned by `params_`).
  PredictWorker(Napi::Env env, const densely::ModelSpec& spec, Napi::Float32Array params,
                Napi::Float32Array buffers, Napi::Float32Array x, int64_t rows,
                Napi::Float32Array out, int threads);

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override;
  void OnWorkComplete(Napi::Env env, napi_status status) override;

 private:
  Napi::Promise::Deferred deferred_;
  densely::Network net_;
  Napi::Reference<Napi::Float32Array> params_, x_, out_;
  std::vector<float> x_copy_;
  const float* x_data_;
  int64_t rows_;
  std::vector<float> result_;
  int threads_;
  bool failed_ = false;
  std::string error_;
};

}  // namespace densely_binding
