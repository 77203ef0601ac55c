// The epoch worker and its thread-safe-function channel (see epoch_worker.h).
#include "epoch_worker.h"

#include <cstring>
#include <exception>
#include <utility>

#include "args.h"
#include "async_complete.h"
#include "codes.h"
#include "model.h"
#include "runtime/thread_pool.h"
#include "wire.h"

namespace densely_binding {
namespace {

namespace result = wire::epoch_result;
namespace report = wire::batch_report;

constexpr std::chrono::microseconds kNotifyInterval{1000};
constexpr int64_t kNotifyBatches = 4096;

// Written with the C API: when a worker is terminated mid-epoch, Node may still run this
// with JavaScript disallowed. Every napi call then fails, and node-addon-api would turn
// the failure into a Napi::Error whose construction itself fails and aborts the process
// ("Error::Error napi_define_properties"). Here a failed call just drops the report.
void DeliverQueued(napi_env env, napi_value fn, EpochChannel* ch) {
  std::vector<double>& items = ch->spare;
  items.clear();
  {
    std::lock_guard<std::mutex> lock(ch->mu);
    items.swap(ch->queue);
    ch->pending = false;
  }
  if (items.empty()) return;
  void* data = nullptr;
  napi_value buffer = nullptr;
  napi_value arr = nullptr;
  napi_value recv = nullptr;
  napi_value result = nullptr;
  if (napi_create_arraybuffer(env, items.size() * sizeof(double), &data, &buffer) != napi_ok)
    return;
  std::memcpy(data, items.data(), items.size() * sizeof(double));
  if (napi_create_typedarray(env, napi_float64_array, items.size(), buffer, 0, &arr) != napi_ok)
    return;
  if (napi_get_undefined(env, &recv) != napi_ok) return;
  // A JS exception (none is expected: the TS adapter catches onBatchEnd's own errors)
  // stays pending and reaches Node as uncaught, as it would from any callback.
  napi_call_function(env, recv, fn, 1, &arr, &result);
}

}  // namespace

void CallBatchesJs(Napi::Env env, Napi::Function fn, EpochChannel* ch, void* /*data*/) {
  if (env == nullptr || fn.IsEmpty()) return;
  DeliverQueued(env, fn, ch);
}

EpochWorker::EpochWorker(Napi::Env env, Model* model, densely::Network& net, Napi::Object self,
                         Napi::Float32Array x, Napi::Float32Array y, Napi::Int32Array order,
                         densely::EpochJob job, Napi::Value on_batches, Napi::Value weights)
    : Napi::AsyncWorker(env, "densely:trainEpoch"),
      deferred_(Napi::Promise::Deferred::New(env)),
      model_(model),
      net_(&net),
      job_(job) {
  self_ = Napi::Persistent(self);
  x_ = Napi::Persistent(static_cast<Napi::Object>(x));
  y_ = Napi::Persistent(static_cast<Napi::Object>(y));
  order_ = Napi::Persistent(static_cast<Napi::Object>(order));
  // JS runs while the epoch does (between batches, in onBatches), and a plain
  // ArrayBuffer can be detached or shrunk then, freeing the memory the training thread
  // reads: such arrays are trained from copies. Views of SharedArrayBuffers (the
  // facade's fit buffers) are read where they lie.
  if (!ViewsSharedBuffer(env, x)) {
    x_copy_.assign(job_.x, job_.x + x.ElementLength());
    job_.x = x_copy_.data();
  }
  if (!ViewsSharedBuffer(env, y)) {
    y_copy_.assign(job_.y, job_.y + y.ElementLength());
    job_.y = y_copy_.data();
  }
  if (!ViewsSharedBuffer(env, order)) {
    order_copy_.assign(job_.order, job_.order + job_.order_len);
    job_.order = order_copy_.data();
  }
  // The row weights (job.weights already points at them, checked by the caller): pinned,
  // or copied like x when their buffer is a plain ArrayBuffer.
  if (job_.weights != nullptr && weights.IsTypedArray()) {
    w_ = Napi::Persistent(weights.As<Napi::Object>());
    if (!ViewsSharedBuffer(env, weights)) {
      w_copy_.assign(job_.weights, job_.weights + job_.samples);
      job_.weights = w_copy_.data();
    }
  }
  if (on_batches.IsFunction()) {
    Napi::Function fn = on_batches.As<Napi::Function>();
    callback_ = Napi::Persistent(fn);
    channel_ = new EpochChannel();
    tsfn_ = BatchTsfn::New(env, fn, "densely:onBatchEnd", 0, 1, channel_,
                           [](Napi::Env, void*, EpochChannel* ch) { delete ch; });
  }
}

void EpochWorker::SetOutputs(Napi::Env env, Napi::Float32Array outputs) {
  out_ = Napi::Persistent(static_cast<Napi::Object>(outputs));
  job_.outputs = outputs.Data();
  if (!ViewsSharedBuffer(env, outputs)) {
    out_copy_.assign(outputs.Data(), outputs.Data() + outputs.ElementLength());
    job_.outputs = out_copy_.data();
  }
}

void EpochWorker::Execute() {
  try {
    const densely::JobScope threads(model_->threads());  // runtime/thread_pool.h
    result_ = net_->train_epoch(job_, channel_ != nullptr ? &OnBatch : nullptr, this,
                                &model_->stop_flag());
  } catch (const std::exception& e) {
    failed_ = true;
    error_ = std::string("densely: native training failed: ") + e.what();
  }
}

void EpochWorker::OnOK() {
  Napi::Env env = Env();
  Finish(env);
  if (result_.status == densely::EpochStatus::kEpochBadIndex) {
    Napi::TypeError err =
        Napi::TypeError::New(env, "densely internal error: order holds a row index outside x");
    err.Set("code", Napi::String::New(env, "DENSELY_INTERNAL"));
    deferred_.Reject(err.Value());
    return;
  }
  if (!out_copy_.empty() && !out_.IsEmpty()) {
    Napi::Float32Array dst = out_.Value().As<Napi::Float32Array>();
    if (dst.ElementLength() == out_copy_.size())
      std::memcpy(dst.Data(), out_copy_.data(), out_copy_.size() * sizeof(float));
  }
  Napi::Float64Array out = Napi::Float64Array::New(env, result::kSize);
  double* o = out.Data();
  o[result::kBatches] = static_cast<double>(result_.batches);
  o[result::kLossSum] = result_.loss_sum;
  o[result::kCorrect] = static_cast<double>(result_.correct);
  o[result::kSamples] = static_cast<double>(result_.samples);
  // The core's EpochStatus as is: codes.h checks it numbers the statuses as the wire does.
  o[result::kStatus] = static_cast<double>(result_.status);
  o[result::kFailedBatch] = static_cast<double>(result_.failed_batch);
  deferred_.Resolve(out);
}

// Releases the busy flag and the TSFN whether or not the environment is still alive
// (async_complete.h).
void EpochWorker::OnWorkComplete(Napi::Env env, napi_status status) {
  CompleteQuietly(
      env, status, failed_ ? &error_ : nullptr, [&] { OnOK(); },
      [&](const Napi::Error& e) { OnError(e); }, [&] { Finish(env); });
  Destroy();
}

void EpochWorker::OnError(const Napi::Error& e) {
  Napi::Env env = Env();
  Finish(env);
  deferred_.Reject(e.Value());
}

void EpochWorker::OnBatch(void* ctx, int64_t batch, double loss, int64_t correct, int64_t rows) {
  auto* self = static_cast<EpochWorker*>(ctx);
  EpochChannel* ch = self->channel_;
  const auto now = std::chrono::steady_clock::now();
  const bool due = ++ch->since_notify >= kNotifyBatches || now - ch->last_notify >= kNotifyInterval;
  double item[report::kSize];
  item[report::kBatch] = static_cast<double>(batch);
  item[report::kLoss] = loss;
  item[report::kCorrect] = static_cast<double>(correct);
  item[report::kRows] = static_cast<double>(rows);
  bool notify = false;
  {
    std::lock_guard<std::mutex> lock(ch->mu);
    ch->queue.insert(ch->queue.end(), item, item + report::kSize);
    if (due && !ch->pending) {
      notify = true;
      ch->pending = true;
    }
  }
  if (notify) {
    ch->last_notify = now;
    ch->since_notify = 0;
    self->tsfn_.NonBlockingCall();
  }
}

// Main thread, after Execute: report what is still queued, release the TSFN and the
// busy flag, with C-API calls only (see DeliverQueued): nothing here may throw.
void EpochWorker::Finish(Napi::Env env) {
  if (finished_) return;
  finished_ = true;
  if (channel_ != nullptr) {
    napi_value cb = nullptr;
    if (napi_get_reference_value(env, callback_, &cb) == napi_ok && cb != nullptr) {
      DeliverQueued(env, cb, channel_);
    }
    tsfn_.Release();
    channel_ = nullptr;  // owned by the TSFN finalizer from here on
  }
  model_->EndEpoch(env);
}

}  // namespace densely_binding
