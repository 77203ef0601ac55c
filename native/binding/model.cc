// Model: the ObjectWrap around densely::Network (model.h). The packed specs are parsed
// in spec.cc; trainEpoch's async worker and its batch channel are in epoch_worker.cc.
#include "model.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "args.h"
#include "codes.h"
#include "epoch_worker.h"
#include "ops/scan.h"
#include "predict_worker.h"
#include "runtime/thread_pool.h"
#include "spec.h"
#include "wire.h"

namespace densely_binding {
namespace {

std::atomic<int64_t> g_live_networks{0};
// The largest finite float: with it as the bound, NaN and ±Inf fall outside the range.
constexpr float kFloatMax = std::numeric_limits<float>::max();
std::atomic<int64_t> g_live_bytes{0};

[[noreturn]] void ThrowBusy(Napi::Env env) {
  Napi::Error err = Napi::Error::New(
      env, "densely: the network is busy: a fit() is running on it; await it first");
  err.Set("code", Napi::String::New(env, "DENSELY_BUSY"));
  throw err;
}

// The parameters: a Float32Array over a SharedArrayBuffer, both made by their JS
// constructors. napi_create_arraybuffer aborts the process when its allocation fails
// (V8 treats that as out of memory) where the constructors throw a RangeError; and a
// shared buffer can be neither detached nor shrunk, so the Network's pointer into it
// stays valid for the model's life whatever JS does with `params`.
Napi::Float32Array NewParams(Napi::Env env, int64_t count) {
  Napi::Object global = env.Global();
  const Napi::Value shared = global.Get("SharedArrayBuffer");
  const Napi::Value f32 = global.Get("Float32Array");
  if (!shared.IsFunction() || !f32.IsFunction())
    ThrowInternal(env, "SharedArrayBuffer or Float32Array is missing");
  const Napi::Value buffer = shared.As<Napi::Function>().New(
      {Napi::Number::New(env, static_cast<double>(count) * sizeof(float))});
  const Napi::Value params = f32.As<Napi::Function>().New({buffer});
  napi_typedarray_type type;
  size_t length = 0;
  if (napi_get_typedarray_info(env, params, &type, &length, nullptr, nullptr, nullptr) != napi_ok ||
      type != napi_float32_array || length != static_cast<size_t>(count) ||
      !ViewsSharedBuffer(env, params))
    ThrowInternal(env,
                  "params is not a Float32Array over a SharedArrayBuffer of paramCount floats");
  return params.As<Napi::Float32Array>();
}

// The optional per-row weights at argument i: null when absent, else `rows` floats.
const float* OptionalWeights(const Napi::CallbackInfo& info, size_t i, int64_t rows) {
  if (info.Length() <= i || info[i].IsUndefined()) return nullptr;
  const ArrayArg<float> w = ArgF32Raw(info, i, "weights");
  NeedLength(info.Env(), w.length, rows, "weights");
  return w.data;
}

Napi::Array Pair(Napi::Env env, const densely::LossResult& r) {
  Napi::Array a = Napi::Array::New(env, wire::loss_result::kSize);
  a.Set(uint32_t{wire::loss_result::kLoss}, Napi::Number::New(env, r.loss));
  a.Set(uint32_t{wire::loss_result::kCorrect},
        Napi::Number::New(env, static_cast<double>(r.correct)));
  return a;
}

}  // namespace

Napi::Function Model::Define(Napi::Env env) {
  return DefineClass(env, "Model",
                     {
                         InstanceAccessor<&Model::Params>("params"),
                         InstanceAccessor<&Model::Buffers>("buffers"),
                         InstanceAccessor<&Model::Busy>("busy"),
                         InstanceMethod<&Model::SetLoss>("setLoss"),
                         InstanceMethod<&Model::SetOptimizer>("setOptimizer"),
                         InstanceMethod<&Model::Predict>("predict"),
                         InstanceMethod<&Model::SetStaging>("setStaging"),
                         InstanceMethod<&Model::PredictStaged>("predictStaged"),
                         InstanceMethod<&Model::Evaluate>("evaluate"),
                         InstanceMethod<&Model::Gradients>("gradients"),
                         InstanceMethod<&Model::TrainStep>("trainStep"),
                         InstanceMethod<&Model::TrainEpoch>("trainEpoch"),
                         InstanceMethod<&Model::RequestStop>("requestStop"),
                         InstanceMethod<&Model::SetLearningRate>("setLearningRate"),
                         InstanceMethod<&Model::SetEpochRates>("setEpochRates"),
                         InstanceMethod<&Model::GetOptimizerState>("getOptimizerState"),
                         InstanceMethod<&Model::SetOptimizerState>("setOptimizerState"),
                         InstanceMethod<&Model::Dispose>("dispose"),
                         InstanceMethod<&Model::SetThreads>("setThreads"),
                         InstanceMethod<&Model::PredictAsync>("predictAsync"),
                     });
}

Model::Model(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Model>(info) {
  Napi::Env env = info.Env();
  densely::ModelSpec spec = ParseSpec(env, ArgF64(info, 0, "spec"));
  Napi::Float32Array params = NewParams(env, spec.param_count);
  params_ = Napi::Persistent(params);
  Napi::Float32Array buffers = NewParams(env, spec.buffer_count);
  buffers_ = Napi::Persistent(buffers);
  net_ = std::make_unique<densely::Network>(std::move(spec), params.Data(), buffers.Data());
  // predict keeps the kernels packed between calls (Network::set_inference_cache); every
  // JS read of `params` counts as a write (Params below).
  net_->set_inference_cache(true);
  g_live_networks.fetch_add(1);
  SyncMemory(env);
}

Model::~Model() {
  if (net_) g_live_networks.fetch_sub(1);
  net_.reset();
  SyncMemory(Env());
}

int64_t Model::LiveNetworks() { return g_live_networks.load(); }
int64_t Model::LiveBytes() { return g_live_bytes.load(); }

densely::Network& Model::Use(Napi::Env env) {
  if (busy_.load(std::memory_order_acquire)) ThrowBusy(env);
  if (!net_) ThrowInternal(env, "the model was disposed");
  // Every synchronous core call on this (JS) thread comes through here: size its work
  // split by this model's cap (runtime/thread_pool.h).
  densely::set_thread_cap(threads());
  return *net_;
}

void Model::SyncMemory(Napi::Env env) {
  const int64_t now = net_ ? static_cast<int64_t>(net_->memory_bytes()) : 0;
  if (now != reported_bytes_) {
    // The C call: it runs from finalizers and teardown too, where a throwing wrapper
    // would abort; a failed report only skews V8's GC heuristics.
    int64_t total = 0;
    napi_adjust_external_memory(env, now - reported_bytes_, &total);
    g_live_bytes.fetch_add(now - reported_bytes_);
    reported_bytes_ = now;
  }
}

void Model::EndEpoch(Napi::Env env) {
  busy_.store(false, std::memory_order_release);
  SyncMemory(env);
}

// The live parameters: whoever reads them may write them, so the inference cache is
// marked stale (re-packed at the next predict). A reference kept past a later predict
// must be read again before writing through it.
Napi::Value Model::Params(const Napi::CallbackInfo& /*info*/) {
  if (net_) net_->params_changed();
  return params_.Value();
}

Napi::Value Model::Buffers(const Napi::CallbackInfo& /*info*/) { return buffers_.Value(); }

Napi::Value Model::Busy(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), busy_.load(std::memory_order_acquire));
}

void Model::SetLoss(const Napi::CallbackInfo& info) {
  densely::Network& net = Use(info.Env());
  densely::LossConfig cfg;
  cfg.kind = ToCore(ParseLoss(info.Env(), ArgCount(info, 0, "loss")));
  if (info.Length() > 1 && !info[1].IsUndefined())
    ParseLossOptions(info.Env(), ArgF64(info, 1, "options"), &cfg);
  net.set_loss(cfg);
}

void Model::SetOptimizer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  densely::Network& net = Use(env);
  net.set_optimizer(ParseOptimizer(env, ArgF64(info, 0, "optimizer")));
  SyncMemory(env);
}

// predict(x, rows, out, check?) → -1, or with check the index of the first non-finite
// element of x[0 .. rows·inputs) (then nothing is computed and out is untouched). The
// check in C++ reads x at L2 speed where the facade's JS scan cost ~15% of a 256-row
// predict of the (B) network (bench/README.md, "Measurements behind the kernel
// choices": predict's input check).
Napi::Value Model::Predict(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  densely::Network& net = Use(env);
  const ArrayArg<float> x = ArgF32Raw(info, 0, "x");
  const int64_t rows = ArgCount(info, 1, "rows");
  const ArrayArg<float> out = ArgF32Raw(info, 2, "out");
  const bool check = info.Length() > 3 && info[3].IsBoolean() && info[3].As<Napi::Boolean>();
  const densely::ModelSpec& s = net.spec();
  NeedRows(env, x.length, rows, s.inputs, "x");
  NeedRows(env, out.length, rows, s.outputs, "out");
  if (check) {
    const int64_t bad = densely::first_outside(x.data, rows * s.inputs, -kFloatMax, kFloatMax);
    if (bad >= 0) return Napi::Number::New(env, static_cast<double>(bad));
  }
  net.predict(x.data, rows, out.data);
  SyncMemory(env);
  return Napi::Number::New(env, -1);
}

void Model::SetStaging(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ArrayArg<float> x = ArgF32Raw(info, 0, "x");
  const ArrayArg<float> out = ArgF32Raw(info, 1, "out");
  if (Overlaps(x.data, x.length, out.data, out.length))
    ThrowInternal(env, "setStaging arrays overlap");
  stage_x_ = Napi::Persistent(info[0].As<Napi::Float32Array>());
  stage_out_ = Napi::Persistent(info[1].As<Napi::Float32Array>());
  stage_x_data_ = x.data;
  stage_x_len_ = x.length;
  stage_out_data_ = out.data;
  stage_out_len_ = out.length;
  stage_pinned_ = ViewsSharedBuffer(env, info[0]) && ViewsSharedBuffer(env, info[1]);
  staged_ = true;
}

void Model::ReadStaging(Napi::Env env) {
  float* data[2] = {nullptr, nullptr};
  size_t length[2] = {0, 0};
  const Napi::Reference<Napi::Float32Array>* refs[2] = {&stage_x_, &stage_out_};
  for (int i = 0; i < 2; ++i) {
    void* d = nullptr;
    if (napi_get_typedarray_info(env, refs[i]->Value(), nullptr, &length[i], &d, nullptr,
                                 nullptr) != napi_ok)
      ThrowInternal(env, "the staged arrays are gone");
    data[i] = static_cast<float*>(d);
  }
  if (Overlaps(data[0], length[0], data[1], length[1]))
    ThrowInternal(env, "setStaging arrays overlap");
  stage_x_data_ = data[0];
  stage_x_len_ = length[0];
  stage_out_data_ = data[1];
  stage_out_len_ = length[1];
}

// predictStaged(rows, xLength, outLength): predict from the first xLength floats of the
// staged x into the first outLength of the staged out. The lengths are the caller's
// arrays' (staged by copying): both are checked against the rows, as predict checks
// its arrays, and against the staged arrays' sizes.
void Model::PredictStaged(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  densely::Network& net = Use(env);
  const int64_t rows = ArgCount(info, 0, "rows");
  const int64_t x_len = ArgCount(info, 1, "xLength");
  const int64_t out_len = ArgCount(info, 2, "outLength");
  if (!staged_) ThrowInternal(env, "predictStaged before setStaging");
  if (!stage_pinned_) ReadStaging(env);
  if (x_len > static_cast<int64_t>(stage_x_len_) || out_len > static_cast<int64_t>(stage_out_len_))
    ThrowInternal(env, "predictStaged lengths exceed the staged arrays");
  const densely::ModelSpec& s = net.spec();
  NeedRows(env, static_cast<size_t>(x_len), rows, s.inputs, "x");
  NeedRows(env, static_cast<size_t>(out_len), rows, s.outputs, "out");
  net.predict(stage_x_data_, rows, stage_out_data_);
  SyncMemory(env);
}

Napi::Value Model::Evaluate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  densely::Network& net = Use(env);
  const ArrayArg<float> x = ArgF32Raw(info, 0, "x");
  const ArrayArg<float> y = ArgF32Raw(info, 1, "y");
  const int64_t rows = ArgCount(info, 2, "rows");
  NeedRows(env, x.length, rows, net.spec().inputs, "x");
  NeedRows(env, y.length, rows, net.target_cols(), "y");
  const float* w = OptionalWeights(info, 3, rows);
  const densely::LossResult r = net.evaluate(x.data, y.data, rows, w);
  SyncMemory(env);
  return Pair(env, r);
}

Napi::Value Model::Gradients(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  densely::Network& net = Use(env);
  const ArrayArg<float> x = ArgF32Raw(info, 0, "x");
  const ArrayArg<float> y = ArgF32Raw(info, 1, "y");
  const int64_t rows = ArgCount(info, 2, "rows");
  const ArrayArg<float> g = ArgF32Raw(info, 3, "grads");
  NeedRows(env, x.length, rows, net.spec().inputs, "x");
  NeedRows(env, y.length, rows, net.target_cols(), "y");
  NeedLength(env, g.length, net.spec().param_count, "grads");
  const float* w = OptionalWeights(info, 4, rows);
  const double loss = net.gradients(x.data, y.data, rows, g.data, w);
  SyncMemory(env);
  return Napi::Number::New(env, loss);
}

Napi::Value Model::TrainStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  densely::Network& net = Use(env);
  const ArrayArg<float> x = ArgF32Raw(info, 0, "x");
  const ArrayArg<float> y = ArgF32Raw(info, 1, "y");
  const int64_t rows = ArgCount(info, 2, "rows");
  const int64_t step = ArgCount(info, 3, "step");
  NeedRows(env, x.length, rows, net.spec().inputs, "x");
  NeedRows(env, y.length, rows, net.target_cols(), "y");
  const float* w = OptionalWeights(info, 4, rows);
  const densely::LossResult r =
      net.train_step(x.data, y.data, rows, static_cast<uint64_t>(step), w);
  SyncMemory(env);
  return Pair(env, r);
}

Napi::Value Model::TrainEpoch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  densely::Network& net = Use(env);
  Napi::Float32Array x = ArgF32(info, 0, "x");
  Napi::Float32Array y = ArgF32(info, 1, "y");
  Napi::Int32Array order = ArgI32(info, 2, "order");
  const int64_t batch = ArgCount(info, 3, "batchSize");
  const int64_t first = ArgCount(info, 4, "firstStep");
  const int64_t in = net.spec().inputs;
  const int64_t samples = static_cast<int64_t>(x.ElementLength()) / in;
  NeedRows(env, y.ElementLength(), samples, net.target_cols(), "y");
  if (batch < 1) ThrowInternal(env, "batchSize must be at least 1");
  densely::EpochJob job;
  job.x = x.Data();
  job.y = y.Data();
  job.samples = samples;
  job.order = order.Data();
  job.order_len = static_cast<int64_t>(order.ElementLength());
  job.batch_size = batch;
  job.first_step = static_cast<uint64_t>(first);
  const bool weighted = info.Length() > 6 && !info[6].IsUndefined();
  if (weighted) {
    Napi::Float32Array w = ArgF32(info, 6, "weights");
    NeedLength(env, w.ElementLength(), samples, "weights");
    job.weights = w.Data();
  }
  // Optional outputs [samples × outputs] (EpochJob::outputs): each row's pre-step output.
  const bool has_outputs = info.Length() > 7 && !info[7].IsUndefined() && !info[7].IsNull();
  Napi::Float32Array outs;
  if (has_outputs) {
    outs = ArgF32(info, 7, "outputs");
    if (static_cast<int64_t>(outs.ElementLength()) != samples * net.spec().outputs)
      ThrowInternal(env, "outputs must hold samples x outputs floats");
  }
  job.learning_rates = epoch_rates_.empty() ? nullptr : epoch_rates_.data();
  job.learning_rates_len = static_cast<int64_t>(epoch_rates_.size());
  auto* worker = new EpochWorker(env, this, net, info.This().As<Napi::Object>(), x, y, order, job,
                                 info[5], weighted ? info[6] : env.Undefined());
  if (has_outputs) worker->SetOutputs(env, outs);
  stop_.store(false, std::memory_order_relaxed);
  busy_.store(true, std::memory_order_release);
  Napi::Promise p = worker->Promise();
  worker->Queue();
  return p;
}

void Model::RequestStop(const Napi::CallbackInfo& /*info*/) {
  stop_.store(true, std::memory_order_relaxed);
}

void Model::SetLearningRate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  densely::Network& net = Use(env);
  const double lr = ArgNumber(info, 0, "learningRate");
  if (!(lr >= 0.0) || !std::isfinite(lr))
    ThrowInternal(env, "learningRate must be finite and >= 0");
  net.set_learning_rate(lr);
}

// setEpochRates(rates | undefined): copied; every rate finite and >= 0.
void Model::SetEpochRates(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Use(env);
  if (info.Length() < 1 || info[0].IsUndefined() || info[0].IsNull()) {
    epoch_rates_.clear();
    return;
  }
  Napi::Float64Array rates = ArgF64(info, 0, "rates");
  const double* r = rates.Data();
  const size_t n = rates.ElementLength();
  for (size_t i = 0; i < n; ++i)
    if (!(r[i] >= 0.0) || !std::isfinite(r[i]))
      ThrowInternal(env, "every epoch rate must be finite and >= 0");
  epoch_rates_.assign(r, r + n);
}

namespace {
// Slot i's array: length 0 when the optimizer has no such slot, else paramCount.
float* SlotArg(const Napi::CallbackInfo& info, size_t arg, densely::Network& net, int slot,
               const char* name) {
  const ArrayArg<float> a = ArgF32Raw(info, arg, name);
  float* have = net.optimizer_slot(slot);
  NeedLength(info.Env(), a.length, have == nullptr ? 0 : net.spec().param_count, name);
  return a.data;
}
}  // namespace

Napi::Value Model::GetOptimizerState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  densely::Network& net = Use(env);
  const size_t n = static_cast<size_t>(net.spec().param_count);
  for (int i = 0; i < 2; ++i) {
    float* dst = SlotArg(info, static_cast<size_t>(i), net, i, i == 0 ? "s1" : "s2");
    const float* src = net.optimizer_slot(i);
    if (src != nullptr && n > 0) std::memcpy(dst, src, n * sizeof(float));
  }
  return Napi::Number::New(env, static_cast<double>(net.optimizer_steps()));
}

void Model::SetOptimizerState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  densely::Network& net = Use(env);
  const int64_t step = ArgCount(info, 0, "step");
  const size_t n = static_cast<size_t>(net.spec().param_count);
  float* src[2];
  for (int i = 0; i < 2; ++i)
    src[i] = SlotArg(info, static_cast<size_t>(i + 1), net, i, i == 0 ? "s1" : "s2");
  for (int i = 0; i < 2; ++i) {
    float* dst = net.optimizer_slot(i);
    if (dst != nullptr && n > 0) std::memcpy(dst, src[i], n * sizeof(float));
  }
  net.set_optimizer_steps(step);
}

void Model::Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (busy_.load(std::memory_order_acquire)) ThrowBusy(env);
  if (net_) g_live_networks.fetch_sub(1);
  net_.reset();
  SyncMemory(env);
}

// setThreads(n): this model's thread cap; 0 lifts it (the process-wide pool size).
void Model::SetThreads(const Napi::CallbackInfo& info) {
  const int64_t n = ArgCount(info, 0, "threads");
  if (n > wire::kMaxThreads)
    ThrowInternal(info.Env(), "threads must be in [0, " + std::to_string(wire::kMaxThreads) + "]");
  threads_.store(static_cast<int>(n), std::memory_order_relaxed);
}

// predictAsync(x, rows, out) → Promise<void>: predict on a worker thread (predict_worker.h).
Napi::Value Model::PredictAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  densely::Network& net = Use(env);
  Napi::Float32Array x = ArgF32(info, 0, "x");
  const int64_t rows = ArgCount(info, 1, "rows");
  Napi::Float32Array out = ArgF32(info, 2, "out");
  const densely::ModelSpec& s = net.spec();
  NeedRows(env, x.ElementLength(), rows, s.inputs, "x");
  NeedRows(env, out.ElementLength(), rows, s.outputs, "out");
  auto* worker =
      new PredictWorker(env, s, params_.Value(), buffers_.Value(), x, rows, out, threads());
  Napi::Promise p = worker->Promise();
  worker->Queue();
  return p;
}

}  // namespace densely_binding
