// Argument access for the binding. The facade (lib/validate.ts) has already checked
// every user-facing argument; these helpers only re-check what decides a memory
// access, in O(1), and throw TypeError with code DENSELY_INTERNAL otherwise (a bug in
// the TypeScript side, never a user error). No user-facing prose is formatted here.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

namespace densely_binding {

[[noreturn]] inline void ThrowInternal(Napi::Env env, const std::string& what) {
  Napi::TypeError err = Napi::TypeError::New(env, "densely internal error: " + what);
  err.Set("code", Napi::String::New(env, "DENSELY_INTERNAL"));
  throw err;
}

// A typed array's data and length from one napi_get_typedarray_info call (the
// node-addon-api wrappers query it up to three times; this path runs once per argument
// of every predict, so it stays lean).
template <typename T>
struct ArrayArg {
  T* data;
  size_t length;
};

template <typename T>
inline ArrayArg<T> ArgTyped(const Napi::CallbackInfo& info, size_t i, napi_typedarray_type want,
                            const char* name, const char* what) {
  const napi_value v = info[i];
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  // napi_get_typedarray_info fails (napi_invalid_arg) on anything but a typed array.
  if (napi_get_typedarray_info(info.Env(), v, &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != want)
    ThrowInternal(info.Env(), std::string(name) + " must be " + what);
  return ArrayArg<T>{static_cast<T*>(data), length};
}

// Whether typed array `v` views a SharedArrayBuffer. Such a buffer can be neither
// detached nor shrunk, so a data pointer and length read once stay valid for as long as
// the array is referenced. A plain ArrayBuffer can be detached (structuredClone or
// postMessage with a transfer list) or resized at any later turn of the event loop,
// which frees or shrinks the memory under a pointer kept past the call.
inline bool ViewsSharedBuffer(napi_env env, napi_value v) {
  napi_value buffer = nullptr;
  bool plain = true;
  return napi_get_typedarray_info(env, v, nullptr, nullptr, nullptr, &buffer, nullptr) == napi_ok &&
         napi_is_arraybuffer(env, buffer, &plain) == napi_ok && !plain;
}

inline ArrayArg<float> ArgF32Raw(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return ArgTyped<float>(info, i, napi_float32_array, name, "a Float32Array");
}

inline Napi::Float32Array ArgF32(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    ThrowInternal(info.Env(), std::string(name) + " must be a Float32Array");
  return v.As<Napi::Float32Array>();
}

inline Napi::Int32Array ArgI32(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    ThrowInternal(info.Env(), std::string(name) + " must be an Int32Array");
  return v.As<Napi::Int32Array>();
}

inline Napi::Float64Array ArgF64(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    ThrowInternal(info.Env(), std::string(name) + " must be a Float64Array");
  return v.As<Napi::Float64Array>();
}

inline double ArgNumber(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const Napi::Value v = info[i];
  if (!v.IsNumber()) ThrowInternal(info.Env(), std::string(name) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

// A non-negative integer below 2^53.
inline int64_t ArgCount(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const double d = ArgNumber(info, i, name);
  if (!(d >= 0.0 && d <= 9007199254740991.0) || std::floor(d) != d)
    ThrowInternal(info.Env(), std::string(name) + " must be a non-negative integer");
  return static_cast<int64_t>(d);
}

inline bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const Napi::Value v = info[i];
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value();
  if (v.IsNumber()) return v.As<Napi::Number>().DoubleValue() != 0.0;
  ThrowInternal(info.Env(), std::string(name) + " must be a boolean");
}

// Throws unless `have` elements cover `need` (need computed without overflow by callers).
inline void NeedLength(Napi::Env env, size_t have, int64_t need, const char* name) {
  if (need < 0 || static_cast<uint64_t>(need) > have)
    ThrowInternal(env, std::string(name) + " is too short: " + std::to_string(have) +
                           " elements for " + std::to_string(need));
}

// Throws unless `have` elements hold `rows` rows of `width`. Checked by division, so a
// product that would overflow int64 (rows up to 2^53 times a width up to 2^40) can
// never wrap round to a small length and pass.
inline void NeedRows(Napi::Env env, size_t have, int64_t rows, int64_t width, const char* name) {
  if (rows < 0 || width < 0 ||
      (rows > 0 && width > 0 && static_cast<uint64_t>(rows) > have / static_cast<uint64_t>(width)))
    ThrowInternal(env, std::string(name) + " is too short: " + std::to_string(have) +
                           " elements for " + std::to_string(rows) + " rows of " +
                           std::to_string(width));
}

// Throws unless `have` elements hold a row-major rows × cols block with leading
// dimension ld ≥ max(cols, 1), i.e. (rows − 1)·ld + cols elements; an empty block needs
// none. Checked by division, like NeedRows.
inline void NeedSpan(Napi::Env env, size_t have, int64_t rows, int64_t cols, int64_t ld,
                     const char* name) {
  if (ld < cols || ld < 1) ThrowInternal(env, std::string(name) + " leading dimension too small");
  if (rows <= 0 || cols <= 0) return;
  if (static_cast<uint64_t>(cols) > have ||
      static_cast<uint64_t>(rows - 1) >
          (have - static_cast<uint64_t>(cols)) / static_cast<uint64_t>(ld))
    ThrowInternal(env, std::string(name) + " is too short: " + std::to_string(have) +
                           " elements for " + std::to_string(rows) + " rows of " +
                           std::to_string(cols) + " with leading dimension " + std::to_string(ld));
}

// Whether [a, a + na) and [b, b + nb) share an element (empty ranges share none).
inline bool Overlaps(const float* a, size_t na, const float* b, size_t nb) {
  return na > 0 && nb > 0 && a < b + nb && b < a + na;
}

}  // namespace densely_binding
