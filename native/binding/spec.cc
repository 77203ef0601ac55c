// Parsing the packed ModelSpec, optimizer spec and loss code (see spec.h).
#include "spec.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "args.h"
#include "codes.h"
#include "wire.h"

namespace densely_binding {
namespace {

namespace header = wire::model_spec_header;
namespace layer = wire::layer_spec;
namespace optimizer = wire::optimizer_spec;
namespace loss_options = wire::loss_options;

constexpr const char* kBadSpec = "spec sizes or offsets are inconsistent";

// A spec entry as an integer in [lo, hi]: checked before the cast, since converting a
// NaN or out-of-range double to an integer is undefined behaviour.
int64_t SpecInt(Napi::Env env, double d, double lo, double hi) {
  if (!(d >= lo && d <= hi) || std::floor(d) != d) ThrowInternal(env, kBadSpec);
  return static_cast<int64_t>(d);
}

// `d` as a code of the wire enum E, which has `count` codes: an integer in [0, count),
// else ThrowInternal(what).
template <typename E>
E WireCode(Napi::Env env, double d, int count, const char* what) {
  if (!(d >= 0 && d < count) || std::floor(d) != d) ThrowInternal(env, what);
  return static_cast<E>(static_cast<int>(d));
}

}  // namespace

densely::ModelSpec ParseSpec(Napi::Env env, const Napi::Float64Array& a) {
  const size_t len = a.ElementLength();
  if (len < header::kSize) ThrowInternal(env, "spec is too short");
  const double* v = a.Data();
  const double n_layers = v[header::kLayerCount];
  if (!(n_layers >= 0 && n_layers <= static_cast<double>(wire::kMaxLayers)) ||
      len != header::kSize + layer::kSize * static_cast<size_t>(n_layers))
    ThrowInternal(env, "spec length does not match its layer count");
  // Sizes up to wire::kMaxSize (2^40): far beyond any real network. The parameters are
  // one Float32Array of at most wire::kMaxParams (2^32 − 1) floats (16 GiB), within every
  // supported Node's typed-array limit (and the sanitizers' largest allocation), so every
  // offset is below that too.
  constexpr double kMaxSize = static_cast<double>(wire::kMaxSize);
  constexpr double kMaxParams = static_cast<double>(wire::kMaxParams);
  densely::ModelSpec s;
  s.inputs = SpecInt(env, v[header::kInputs], 1, kMaxSize);
  s.outputs = SpecInt(env, v[header::kOutputs], 1, kMaxSize);
  s.param_count = SpecInt(env, v[header::kParamCount], 0, kMaxParams);
  s.seed =
      static_cast<uint32_t>(SpecInt(env, v[header::kSeed], 0, static_cast<double>(wire::kMaxSeed)));
  for (size_t i = 0; i < static_cast<size_t>(n_layers); ++i) {
    const double* l = v + header::kSize + layer::kSize * i;
    densely::LayerSpec ls;
    const auto kind =
        WireCode<wire::WireLayerKind>(env, l[layer::kKind], wire::kWireLayerKindCount, kBadSpec);
    ls.kind = ToCore(kind);
    ls.units = SpecInt(env, l[layer::kUnits], 1, kMaxSize);
    if (kind == wire::WireLayerKind::kDense) {
      ls.dense.inputs = SpecInt(env, l[layer::kInputs], 1, kMaxSize);
      ls.dense.units = ls.units;
      const auto act = WireCode<wire::WireActivation>(env, l[layer::kActivation],
                                                      wire::kWireActivationCount, kBadSpec);
      ls.dense.act = ToCore(act);
      // A slope outside float's range would be undefined to convert.
      if (!(std::fabs(l[layer::kAlphaOrRate]) <= 3.4028234663852886e38))
        ThrowInternal(env, kBadSpec);
      ls.dense.alpha = static_cast<float>(l[layer::kAlphaOrRate]);
      ls.dense.use_bias = l[layer::kUseBias] != 0.0;
      ls.dense.kernel_offset = SpecInt(env, l[layer::kKernelOffset], 0, kMaxParams);
      ls.dense.bias_offset = SpecInt(env, l[layer::kBiasOffset], -1, kMaxParams);
      ls.kernel_l1 = l[layer::kKernelL1];
      ls.kernel_l2 = l[layer::kKernelL2];
      ls.bias_l1 = l[layer::kBiasL1];
      ls.bias_l2 = l[layer::kBiasL2];
    } else if (kind == wire::WireLayerKind::kLayerNorm || kind == wire::WireLayerKind::kBatchNorm) {
      const bool bn = kind == wire::WireLayerKind::kBatchNorm;
      densely::NormDesc& nd = ls.norm;
      nd.kind = bn ? densely::NormKind::kBatchNorm : densely::NormKind::kLayerNorm;
      nd.units = ls.units;
      // Ranges (epsilon > 0, momentum in [0, 1]) are model_spec_valid's; NaN fails there.
      nd.epsilon = l[layer::kEpsilon];
      nd.momentum = l[layer::kMomentum];
      nd.gamma_offset = SpecInt(env, l[layer::kGammaOffset], -1, kMaxParams);
      nd.beta_offset = SpecInt(env, l[layer::kBetaOffset], -1, kMaxParams);
      nd.stats_offset = SpecInt(env, l[layer::kStatsOffset], -1, kMaxParams);
      // At most 10^6 layers of at most 2^40 units: the sum stays below 2^61.
      if (bn) s.buffer_count += 2 * ls.units;
    } else {
      ls.rate = l[layer::kAlphaOrRate];
    }
    s.layers.push_back(ls);
  }
  // model_spec_valid also requires a dense layer, as the facade always builds.
  if (!densely::model_spec_valid(s)) ThrowInternal(env, kBadSpec);
  return s;
}

densely::OptimizerSpec ParseOptimizer(Napi::Env env, const Napi::Float64Array& a) {
  if (a.ElementLength() != optimizer::kSize)
    ThrowInternal(env, "optimizer spec must have " + std::to_string(optimizer::kSize) + " entries");
  const double* v = a.Data();
  // A fractional kind in range is truncated, as it always has been (the TS side sends
  // integers); anything else is refused.
  const double kind = v[optimizer::kKind];
  if (!(kind >= 0 && kind <= wire::kWireOptimizerCount - 1))
    ThrowInternal(env, "unknown optimizer");
  densely::OptimizerSpec o;
  o.kind = ToCore(static_cast<wire::WireOptimizer>(static_cast<int>(kind)));
  o.learning_rate = v[optimizer::kLearningRate];
  o.momentum = v[optimizer::kMomentum];
  o.nesterov = v[optimizer::kNesterov] != 0.0;
  o.weight_decay = v[optimizer::kWeightDecay];
  o.beta1 = v[optimizer::kBeta1];
  o.beta2 = v[optimizer::kBeta2];
  o.epsilon = v[optimizer::kEpsilon];
  o.rho = v[optimizer::kRho];
  // Clipping thresholds: finite and ≥ 0 (0 = off); a NaN fails the comparison.
  const double cn = v[optimizer::kClipNorm], cv = v[optimizer::kClipValue];
  if (!(cn >= 0.0 && cn <= 3.4028234663852886e38) || !(cv >= 0.0 && cv <= 3.4028234663852886e38))
    ThrowInternal(env, "optimizer clipNorm/clipValue must be finite and >= 0");
  o.clip_norm = cn;
  o.clip_value = cv;
  return o;
}

wire::WireLoss ParseLoss(Napi::Env env, int64_t code) {
  return WireCode<wire::WireLoss>(env, static_cast<double>(code), wire::kWireLossCount,
                                  "unknown loss");
}

void ParseLossOptions(Napi::Env env, const Napi::Float64Array& a, densely::LossConfig* cfg) {
  if (a.ElementLength() != loss_options::kSize)
    ThrowInternal(env,
                  "loss options must have " + std::to_string(loss_options::kSize) + " entries");
  const double* v = a.Data();
  const double logits = v[loss_options::kFromLogits];
  const double eps = v[loss_options::kLabelSmoothing];
  const double delta = v[loss_options::kDelta];
  if (logits != 0.0 && logits != 1.0) ThrowInternal(env, "fromLogits must be 0 or 1");
  if (!(eps >= 0.0 && eps < 1.0)) ThrowInternal(env, "labelSmoothing must be in [0, 1)");
  if (!(delta > 0.0 && std::isfinite(delta))) ThrowInternal(env, "delta must be finite and > 0");
  cfg->from_logits = logits != 0.0;
  cfg->label_smoothing = eps;
  cfg->delta = delta;
}

}  // namespace densely_binding
