// The densely addon: module init (context-aware, one DenselyAddon instance per
// environment, so it loads in the main thread and any number of worker_threads at
// once), the Model class, sgemm, thread control and the active kernel set.
#include <napi.h>

#include <string>

#include "args.h"
#include "gemm/gemm.h"
#include "model.h"
#include "ops/scan.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"
#include "wire.h"

namespace densely_binding {
namespace {

class DenselyAddon : public Napi::Addon<DenselyAddon> {
 public:
  DenselyAddon(Napi::Env env, Napi::Object exports) {
    DefineAddon(exports,
                {
                    InstanceMethod<&DenselyAddon::Sgemm>("sgemm", napi_enumerable),
                    InstanceMethod<&DenselyAddon::CopyInRange>("copyInRange", napi_enumerable),
                    InstanceMethod<&DenselyAddon::SetThreads>("setThreads", napi_enumerable),
                    InstanceMethod<&DenselyAddon::GetThreads>("getThreads", napi_enumerable),
                    InstanceMethod<&DenselyAddon::ThreadBudget>("threadBudget", napi_enumerable),
                    InstanceMethod<&DenselyAddon::IsaName>("isa", napi_enumerable),
                    InstanceMethod<&DenselyAddon::Stats>("stats", napi_enumerable),
                    InstanceValue("Model", Model::Define(env), napi_enumerable),
                    InstanceValue("abi", Napi::Number::New(env, 1), napi_enumerable),
                });
  }

 private:
  // sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
  void Sgemm(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const bool ta = ArgBool(info, 0, "transA");
    const bool tb = ArgBool(info, 1, "transB");
    const int64_t m = ArgCount(info, 2, "m");
    const int64_t n = ArgCount(info, 3, "n");
    const int64_t k = ArgCount(info, 4, "k");
    const float alpha = static_cast<float>(ArgNumber(info, 5, "alpha"));
    Napi::Float32Array a = ArgF32(info, 6, "a");
    const int64_t lda = ArgCount(info, 7, "lda");
    Napi::Float32Array b = ArgF32(info, 8, "b");
    const int64_t ldb = ArgCount(info, 9, "ldb");
    const float beta = static_cast<float>(ArgNumber(info, 10, "beta"));
    Napi::Float32Array c = ArgF32(info, 11, "c");
    const int64_t ldc = ArgCount(info, 12, "ldc");
    if (m > wire::kMaxSize || n > wire::kMaxSize || k > wire::kMaxSize)
      ThrowInternal(env, "sgemm dimensions out of range");
    // A and B are never read when C is empty; the leading dimensions are checked anyway.
    const bool reads = m > 0 && n > 0;
    if (ta)
      NeedSpan(env, a.ElementLength(), reads ? k : 0, m, lda, "a");
    else
      NeedSpan(env, a.ElementLength(), reads ? m : 0, k, lda, "a");
    if (tb)
      NeedSpan(env, b.ElementLength(), reads ? n : 0, k, ldb, "b");
    else
      NeedSpan(env, b.ElementLength(), reads ? k : 0, n, ldb, "b");
    NeedSpan(env, c.ElementLength(), m, n, ldc, "c");
    densely::set_thread_cap(0);  // the bare kernel: no model's cap (model.cc sets one)
    densely::sgemm(ta, tb, m, n, k, alpha, a.Data(), lda, b.Data(), ldb, beta, c.Data(), ldc);
  }

  // copyInRange(src, dst, lo, hi): dst ← src (equal lengths), the index of the first
  // element outside [lo, hi] or -1 (ops/scan.h).
  Napi::Value CopyInRange(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Float32Array src = ArgF32(info, 0, "src");
    Napi::Float32Array dst = ArgF32(info, 1, "dst");
    const float lo = static_cast<float>(ArgNumber(info, 2, "lo"));
    const float hi = static_cast<float>(ArgNumber(info, 3, "hi"));
    if (src.ElementLength() != dst.ElementLength())
      ThrowInternal(env, "copyInRange lengths differ");
    const int64_t n = static_cast<int64_t>(src.ElementLength());
    const float* s = src.Data();
    const float* d = dst.Data();
    if (Overlaps(s, static_cast<size_t>(n), d, static_cast<size_t>(n)))
      ThrowInternal(env, "copyInRange src and dst overlap");
    const int64_t at = densely::copy_first_outside(s, dst.Data(), n, lo, hi);
    return Napi::Number::New(env, static_cast<double>(at));
  }

  void SetThreads(const Napi::CallbackInfo& info) {
    const int64_t n = ArgCount(info, 0, "threads");
    if (n < 1 || n > wire::kMaxThreads)
      ThrowInternal(info.Env(),
                    "threads must be in [1, " + std::to_string(wire::kMaxThreads) + "]");
    densely::set_threads(static_cast<int>(n));
  }

  Napi::Value GetThreads(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), densely::pool_threads());
  }

  // threadBudget(resetPeak?) → { size, inUse, peak, jobs } (runtime/thread_pool.h): the
  // process-wide budget's accounting; with resetPeak, the peak restarts from inUse after
  // it is read.
  Napi::Value ThreadBudget(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const densely::BudgetStats b = densely::budget_stats();
    if (info.Length() > 0 && info[0].IsBoolean() && info[0].As<Napi::Boolean>().Value())
      densely::reset_budget_peak();
    Napi::Object o = Napi::Object::New(env);
    o.Set("size", Napi::Number::New(env, b.size));
    o.Set("inUse", Napi::Number::New(env, b.in_use));
    o.Set("peak", Napi::Number::New(env, b.peak));
    o.Set("jobs", Napi::Number::New(env, b.jobs));
    return o;
  }

  // { models, bytes }: live Networks in this process and the native bytes they hold.
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("models", Napi::Number::New(info.Env(), static_cast<double>(Model::LiveNetworks())));
    o.Set("bytes", Napi::Number::New(info.Env(), static_cast<double>(Model::LiveBytes())));
    return o;
  }

  Napi::Value IsaName(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), densely::isa_name(densely::active_isa()));
  }
};

}  // namespace
}  // namespace densely_binding

using densely_binding::DenselyAddon;
NODE_API_ADDON(DenselyAddon)
