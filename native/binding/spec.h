// The packed specs the TypeScript side sends (lib/backend/native/index.ts packs them):
// parsed into the core's structs, every entry range-checked before it is converted. A
// malformed spec is a bug in the TypeScript side: TypeError with code DENSELY_INTERNAL.
#pragma once
#include <napi.h>

#include "network/network.h"
#include "wire.h"

namespace densely_binding {

// new Model(spec): a modelSpecHeader record, then layerCount layerSpec records (their
// slots: wire.json). Also checks the whole spec with densely::model_spec_valid.
densely::ModelSpec ParseSpec(Napi::Env env, const Napi::Float64Array& a);

// setOptimizer(spec): an optimizerSpec record (wire.json).
densely::OptimizerSpec ParseOptimizer(Napi::Env env, const Napi::Float64Array& a);

// setLoss(code): a loss code (already checked to be a non-negative integer).
wire::WireLoss ParseLoss(Napi::Env env, int64_t code);

// setLoss(code, options): a lossOptions record (wire.json) applied to `cfg` (its kind
// already set): fromLogits 0/1, labelSmoothing in [0, 1), delta finite and > 0.
void ParseLossOptions(Napi::Env env, const Napi::Float64Array& a, densely::LossConfig* cfg);

}  // namespace densely_binding
