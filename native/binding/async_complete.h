// The end of an AsyncWorker (its OnWorkComplete) without node-addon-api's throwing
// wrappers. node-addon-api's version opens a HandleScope and reports failures by
// throwing, which aborts the process when the environment is being torn down
// (worker.terminate() or exit while a worker runs: Node waits for Execute, then completes
// it with JS disallowed). Here, when the environment can still run JS, `fail` gets the
// Error made from `*error` (a failed Execute) or else `ok` runs; otherwise `gone` runs;
// and every failure is swallowed: a promise then simply never settles in an environment
// that is gone.
#pragma once
#include <napi.h>

#include <string>

namespace densely_binding {

template <typename Ok, typename Fail, typename Gone>
inline void CompleteQuietly(napi_env env, napi_status status, const std::string* error, Ok&& ok,
                            Fail&& fail, Gone&& gone) {
  napi_handle_scope scope = nullptr;
  const bool live = status != napi_cancelled && napi_open_handle_scope(env, &scope) == napi_ok;
  try {
    if (!live) {
      gone();
    } else if (error != nullptr) {
      fail(Napi::Error::New(env, *error));
    } else {
      ok();
    }
  } catch (const Napi::Error& e) {
    napi_throw(env, e.Value());
  } catch (...) {
  }
  if (scope != nullptr) napi_close_handle_scope(env, scope);
}

}  // namespace densely_binding
