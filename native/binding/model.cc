// Model: the ObjectWrap around densely::Network, and the async epoch worker.
//
// trainEpoch runs Network::train_epoch on a libuv worker thread (Napi::AsyncWorker): the
// event loop is never blocked. x, y, order and the model object are pinned with
// references until the worker is destroyed on the main thread. Per-batch results go
// into a mutex-guarded queue; at most one non-blocking ThreadSafeFunction call is in
// flight, issued at most every millisecond (see EpochChannel), and its main-thread
// callback hands every queued result to JS in one Float64Array [batch, loss, correct,
// rows, …] — so a batch-1 epoch costs the training thread one lock per batch, not one JS
// call. OnOK drains what is left before
// resolving, so every batch is reported before the promise settles.
#include "model.h"

#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "args.h"

namespace densely_binding {
namespace {

// Packed ModelSpec: [inputs, outputs, paramCount, seed, nLayers, then 8 per layer:
//   kind (0 dense, 1 dropout), inputs, units, activation, alpha | rate, useBias,
//   kernelOffset, biasOffset].
constexpr size_t kSpecHeader = 5;
constexpr size_t kSpecPerLayer = 8;

// A spec entry as an integer in [lo, hi]: checked before the cast, since converting a
// NaN or out-of-range double to an integer is undefined behaviour.
int64_t SpecInt(Napi::Env env, double d, double lo, double hi) {
  if (!(d >= lo && d <= hi) || std::floor(d) != d)
    ThrowInternal(env, "spec sizes or offsets are inconsistent");
  return static_cast<int64_t>(d);
}

densely::ModelSpec ParseSpec(Napi::Env env, const Napi::Float64Array& a) {
  const size_t len = a.ElementLength();
  if (len < kSpecHeader) ThrowInternal(env, "spec is too short");
  const double* v = a.Data();
  const double n_layers = v[4];
  if (!(n_layers >= 0 && n_layers <= 1e6) ||
      len != kSpecHeader + kSpecPerLayer * static_cast<size_t>(n_layers))
    ThrowInternal(env, "spec length does not match its layer count");
  // Sizes below 2^40: far beyond any real network. The parameters are one Float32Array
  // of at most 2^32 − 1 floats (16 GiB), within every supported Node's typed-array limit
  // (and the sanitizers' largest allocation), so every offset is below that too.
  constexpr double kMaxSize = 1099511627776.0;  // 2^40
  constexpr double kMaxParams = 4294967295.0;   // 2^32 − 1
  densely::ModelSpec s;
  s.inputs = SpecInt(env, v[0], 1, kMaxSize);
  s.outputs = SpecInt(env, v[1], 1, kMaxSize);
  s.param_count = SpecInt(env, v[2], 0, kMaxParams);
  s.seed = static_cast<uint32_t>(SpecInt(env, v[3], 0, 4294967295.0));
  for (size_t i = 0; i < static_cast<size_t>(n_layers); ++i) {
    const double* l = v + kSpecHeader + kSpecPerLayer * i;
    densely::LayerSpec ls;
    ls.kind = static_cast<int>(SpecInt(env, l[0], densely::kDenseLayer, densely::kDropoutLayer));
    ls.units = SpecInt(env, l[2], 1, kMaxSize);
    if (ls.kind == densely::kDenseLayer) {
      ls.dense.inputs = SpecInt(env, l[1], 1, kMaxSize);
      ls.dense.units = ls.units;
      // Any small code passes here; model_spec_valid rejects the unknown ones.
      ls.dense.act = static_cast<int>(SpecInt(env, l[3], 0, 255));
      // A slope outside float's range would be undefined to convert.
      if (!(std::fabs(l[4]) <= 3.4028234663852886e38)) ThrowInternal(env, "spec sizes or offsets are inconsistent");
      ls.dense.alpha = static_cast<float>(l[4]);
      ls.dense.use_bias = l[5] != 0.0;
      ls.dense.kernel_offset = SpecInt(env, l[6], 0, kMaxParams);
      ls.dense.bias_offset = SpecInt(env, l[7], -1, kMaxParams);
    } else {
      ls.rate = l[4];
    }
    s.layers.push_back(ls);
  }
  // model_spec_valid also requires a dense layer, as the facade always builds.
  if (!densely::model_spec_valid(s)) ThrowInternal(env, "spec sizes or offsets are inconsistent");
  return s;
}

struct EpochChannel {
  std::mutex mu;
  std::vector<double> queue;  // [batch, loss, correct, rows] per batch
  std::vector<double> spare;  // the drained buffer, kept for its capacity (main thread)
  bool pending = false;       // a TSFN call is queued and has not drained yet
  // Training thread only: when it last woke the main thread. A wake-up costs a syscall
  // (uv_async_send) and a turn of the event loop, so with fast batches they are spaced
  // ≥ kNotifyInterval apart (or every kNotifyBatches batches); a slow batch is reported
  // at once. OnOK drains the rest, so nothing waits beyond the end of the epoch.
  std::chrono::steady_clock::time_point last_notify{};
  int64_t since_notify = 0;
};

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
  if (napi_create_arraybuffer(env, items.size() * sizeof(double), &data, &buffer) != napi_ok) return;
  std::memcpy(data, items.data(), items.size() * sizeof(double));
  if (napi_create_typedarray(env, napi_float64_array, items.size(), buffer, 0, &arr) != napi_ok) return;
  if (napi_get_undefined(env, &recv) != napi_ok) return;
  // A JS exception (none is expected: the TS adapter catches onBatchEnd's own errors)
  // stays pending and reaches Node as uncaught, as it would from any callback.
  napi_call_function(env, recv, fn, 1, &arr, &result);
}

void CallJs(Napi::Env env, Napi::Function fn, EpochChannel* ch, void* /*data*/) {
  if (env == nullptr || fn.IsEmpty()) return;
  DeliverQueued(env, fn, ch);
}

using BatchTsfn = Napi::TypedThreadSafeFunction<EpochChannel, void, CallJs>;

class EpochWorker : public Napi::AsyncWorker {
 public:
  EpochWorker(Napi::Env env, Model* model, Napi::Object self, Napi::Float32Array x,
              Napi::Float32Array y, Napi::Int32Array order, densely::EpochJob job,
              Napi::Value on_batches)
      : Napi::AsyncWorker(env, "densely:trainEpoch"),
        deferred_(Napi::Promise::Deferred::New(env)),
        model_(model),
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
    if (on_batches.IsFunction()) {
      Napi::Function fn = on_batches.As<Napi::Function>();
      callback_ = Napi::Persistent(fn);
      channel_ = new EpochChannel();
      tsfn_ = BatchTsfn::New(env, fn, "densely:onBatchEnd", 0, 1, channel_,
                             [](Napi::Env, void*, EpochChannel* ch) { delete ch; });
    }
  }

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      result_ = model_net_->train_epoch(job_, channel_ != nullptr ? &OnBatch : nullptr, this,
                                        &model_->stop_flag());
    } catch (const std::exception& e) {
      failed_ = true;
      error_ = std::string("densely: native training failed: ") + e.what();
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Finish(env);
    if (result_.status == densely::kEpochBadIndex) {
      Napi::TypeError err = Napi::TypeError::New(
          env, "densely internal error: order holds a row index outside x");
      err.Set("code", Napi::String::New(env, "DENSELY_INTERNAL"));
      deferred_.Reject(err.Value());
      return;
    }
    Napi::Float64Array out = Napi::Float64Array::New(env, 6);
    double* o = out.Data();
    o[0] = static_cast<double>(result_.batches);
    o[1] = result_.loss_sum;
    o[2] = static_cast<double>(result_.correct);
    o[3] = static_cast<double>(result_.samples);
    o[4] = static_cast<double>(result_.status);
    o[5] = static_cast<double>(result_.failed_batch);
    deferred_.Resolve(out);
  }

  // node-addon-api's version opens a HandleScope and reports failures by throwing, which
  // aborts the process when the environment is being torn down (worker.terminate() or
  // exit during an epoch: Node waits for the running epoch, then completes it with JS
  // disallowed). Here every failure is swallowed: the busy flag and the TSFN are released
  // either way, and the promise simply never settles in an environment that is gone.
  void OnWorkComplete(Napi::Env env, napi_status status) override {
    napi_handle_scope scope = nullptr;
    const bool live = status != napi_cancelled && napi_open_handle_scope(env, &scope) == napi_ok;
    try {
      if (live) {
        if (failed_) {
          OnError(Napi::Error::New(env, error_));
        } else {
          OnOK();
        }
      } else {
        Finish(env);
      }
    } catch (const Napi::Error& e) {
      napi_throw(env, e.Value());
    } catch (...) {
    }
    if (scope != nullptr) napi_close_handle_scope(env, scope);
    Destroy();
  }

  void OnError(const Napi::Error& e) override {
    Napi::Env env = Env();
    Finish(env);
    deferred_.Reject(e.Value());
  }

 public:
  densely::Network* model_net_ = nullptr;

 private:
  static void OnBatch(void* ctx, int64_t batch, double loss, int64_t correct, int64_t rows) {
    auto* self = static_cast<EpochWorker*>(ctx);
    EpochChannel* ch = self->channel_;
    const auto now = std::chrono::steady_clock::now();
    const bool due = ++ch->since_notify >= kNotifyBatches || now - ch->last_notify >= kNotifyInterval;
    bool notify = false;
    {
      std::lock_guard<std::mutex> lock(ch->mu);
      ch->queue.push_back(static_cast<double>(batch));
      ch->queue.push_back(loss);
      ch->queue.push_back(static_cast<double>(correct));
      ch->queue.push_back(static_cast<double>(rows));
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
  void Finish(Napi::Env env) {
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

  Napi::Promise::Deferred deferred_;
  bool failed_ = false;
  std::string error_;
  Model* model_;
  densely::EpochJob job_;
  std::vector<float> x_copy_, y_copy_;
  std::vector<int32_t> order_copy_;
  densely::EpochResult result_;
  Napi::ObjectReference self_, x_, y_, order_;
  Napi::FunctionReference callback_;
  EpochChannel* channel_ = nullptr;
  BatchTsfn tsfn_;
  bool finished_ = false;
};

std::atomic<int64_t> g_live_networks{0};
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
  if (!shared.IsFunction() || !f32.IsFunction()) ThrowInternal(env, "SharedArrayBuffer or Float32Array is missing");
  const Napi::Value buffer = shared.As<Napi::Function>().New(
      {Napi::Number::New(env, static_cast<double>(count) * sizeof(float))});
  const Napi::Value params = f32.As<Napi::Function>().New({buffer});
  napi_typedarray_type type;
  size_t length = 0;
  if (napi_get_typedarray_info(env, params, &type, &length, nullptr, nullptr, nullptr) != napi_ok ||
      type != napi_float32_array || length != static_cast<size_t>(count) || !ViewsSharedBuffer(env, params))
    ThrowInternal(env, "params is not a Float32Array over a SharedArrayBuffer of paramCount floats");
  return params.As<Napi::Float32Array>();
}

Napi::Array Pair(Napi::Env env, const densely::LossResult& r) {
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(uint32_t{0}, Napi::Number::New(env, r.loss));
  a.Set(uint32_t{1}, Napi::Number::New(env, static_cast<double>(r.correct)));
  return a;
}

}  // namespace

Napi::Function Model::Define(Napi::Env env) {
  return DefineClass(
      env, "Model",
      {
          InstanceAccessor<&Model::Params>("params"),
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
          InstanceMethod<&Model::Dispose>("dispose"),
      });
}

Model::Model(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Model>(info) {
  Napi::Env env = info.Env();
  densely::ModelSpec spec = ParseSpec(env, ArgF64(info, 0, "spec"));
  Napi::Float32Array params = NewParams(env, spec.param_count);
  params_ = Napi::Persistent(params);
  net_ = std::make_unique<densely::Network>(std::move(spec), params.Data());
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

Napi::Value Model::Params(const Napi::CallbackInfo& /*info*/) { return params_.Value(); }

Napi::Value Model::Busy(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), busy_.load(std::memory_order_acquire));
}

void Model::SetLoss(const Napi::CallbackInfo& info) {
  densely::Network& net = Use(info.Env());
  const int64_t code = ArgCount(info, 0, "loss");
  if (code > densely::kSparseCategoricalCrossentropy) ThrowInternal(info.Env(), "unknown loss");
  net.set_loss(static_cast<int>(code));
}

void Model::SetOptimizer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  densely::Network& net = Use(env);
  Napi::Float64Array a = ArgF64(info, 0, "optimizer");
  if (a.ElementLength() != 9) ThrowInternal(env, "optimizer spec must have 9 entries");
  const double* v = a.Data();
  if (!(v[0] >= 0 && v[0] <= densely::kRmsProp)) ThrowInternal(env, "unknown optimizer");
  densely::OptimizerSpec o;
  o.kind = static_cast<int>(v[0]);
  o.learning_rate = v[1];
  o.momentum = v[2];
  o.nesterov = v[3] != 0.0;
  o.weight_decay = v[4];
  o.beta1 = v[5];
  o.beta2 = v[6];
  o.epsilon = v[7];
  o.rho = v[8];
  net.set_optimizer(o);
  SyncMemory(env);
}

void Model::Predict(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  densely::Network& net = Use(env);
  const ArrayArg<float> x = ArgF32Raw(info, 0, "x");
  const int64_t rows = ArgCount(info, 1, "rows");
  const ArrayArg<float> out = ArgF32Raw(info, 2, "out");
  const densely::ModelSpec& s = net.spec();
  NeedRows(env, x.length, rows, s.inputs, "x");
  NeedRows(env, out.length, rows, s.outputs, "out");
  net.predict(x.data, rows, out.data);
  SyncMemory(env);
}

void Model::SetStaging(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ArrayArg<float> x = ArgF32Raw(info, 0, "x");
  const ArrayArg<float> out = ArgF32Raw(info, 1, "out");
  if (Overlaps(x.data, x.length, out.data, out.length)) ThrowInternal(env, "setStaging arrays overlap");
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
    if (napi_get_typedarray_info(env, refs[i]->Value(), nullptr, &length[i], &d, nullptr, nullptr) != napi_ok)
      ThrowInternal(env, "the staged arrays are gone");
    data[i] = static_cast<float*>(d);
  }
  if (Overlaps(data[0], length[0], data[1], length[1])) ThrowInternal(env, "setStaging arrays overlap");
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
  const densely::LossResult r = net.evaluate(x.data, y.data, rows);
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
  const double loss = net.gradients(x.data, y.data, rows, g.data);
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
  const densely::LossResult r = net.train_step(x.data, y.data, rows, static_cast<uint64_t>(step));
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
  auto* worker = new EpochWorker(env, this, info.This().As<Napi::Object>(), x, y, order, job,
                                 info[5]);
  worker->model_net_ = &net;
  stop_.store(false, std::memory_order_relaxed);
  busy_.store(true, std::memory_order_release);
  Napi::Promise p = worker->Promise();
  worker->Queue();
  return p;
}

void Model::RequestStop(const Napi::CallbackInfo& /*info*/) {
  stop_.store(true, std::memory_order_relaxed);
}

void Model::Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (busy_.load(std::memory_order_acquire)) ThrowBusy(env);
  if (net_) g_live_networks.fetch_sub(1);
  net_.reset();
  SyncMemory(env);
}

}  // namespace densely_binding
