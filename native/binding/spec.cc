// Parsing the packed ModelSpec, optimizer spec and loss code (see spec.h).
#include "spec.h"

#include <cmath>
#include <cstdint>

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

}  // namespace

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

densely::OptimizerSpec ParseOptimizer(Napi::Env env, const Napi::Float64Array& a) {
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
  return o;
}

int ParseLoss(Napi::Env env, int64_t code) {
  if (code > densely::kSparseCategoricalCrossentropy) ThrowInternal(env, "unknown loss");
  return static_cast<int>(code);
}

}  // namespace densely_binding
