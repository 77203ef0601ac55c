// The predictAsync worker (see predict_worker.h).
#include "predict_worker.h"

#include <cstring>
#include <exception>

#include "args.h"
#include "async_complete.h"
#include "runtime/thread_pool.h"

namespace densely_binding {

PredictWorker::PredictWorker(Napi::Env env, const densely::ModelSpec& spec,
                             Napi::Float32Array params, Napi::Float32Array buffers,
                             Napi::Float32Array x, int64_t rows, Napi::Float32Array out,
                             int threads)
    : Napi::AsyncWorker(env, "densely:predictAsync"),
      deferred_(Napi::Promise::Deferred::New(env)),
      net_(spec, params.Data()),
      x_data_(x.Data()),
      rows_(rows),
      threads_(threads) {
  params_ = Napi::Persistent(params);
  out_ = Napi::Persistent(out);
  // The running statistics as they are now (net_ starts from mean 0, var 1).
  const size_t nb = static_cast<size_t>(spec.buffer_count);
  if (nb > 0 && buffers.ElementLength() == nb)
    std::memcpy(net_.buffers(), buffers.Data(), nb * sizeof(float));
  if (ViewsSharedBuffer(env, x)) {
    x_ = Napi::Persistent(x);
  } else {
    x_copy_.assign(x.Data(), x.Data() + x.ElementLength());
    x_data_ = x_copy_.data();
  }
}

void PredictWorker::Execute() {
  try {
    const densely::JobScope job(threads_);
    result_.resize(static_cast<size_t>(rows_ * net_.spec().outputs));
    net_.predict(x_data_, rows_, result_.data());
  } catch (const std::exception& e) {
    failed_ = true;
    error_ = std::string("densely: native predictAsync failed: ") + e.what();
  }
}

void PredictWorker::OnOK() {
  Napi::Env env = Env();
  void* data = nullptr;
  size_t length = 0;
  napi_typedarray_type type;
  if (napi_get_typedarray_info(env, out_.Value(), &type, &length, &data, nullptr, nullptr) !=
          napi_ok ||
      length != result_.size()) {
    Napi::TypeError err =
        Napi::TypeError::New(env, "densely internal error: out changed size during predictAsync");
    err.Set("code", Napi::String::New(env, "DENSELY_INTERNAL"));
    deferred_.Reject(err.Value());
    return;
  }
  if (length > 0) std::memcpy(data, result_.data(), length * sizeof(float));
  deferred_.Resolve(env.Undefined());
}

void PredictWorker::OnError(const Napi::Error& e) { deferred_.Reject(e.Value()); }

// Whether or not the environment is still alive (async_complete.h).
void PredictWorker::OnWorkComplete(Napi::Env env, napi_status status) {
  CompleteQuietly(
      env, status, failed_ ? &error_ : nullptr, [&] { OnOK(); },
      [&](const Napi::Error& e) { OnError(e); }, [] {});
  Destroy();
}

}  // namespace densely_binding
