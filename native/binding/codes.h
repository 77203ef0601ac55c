// The wire codes (wire.h's enum classes, one type per kind of code) and their core
// counterparts. The core's own enums (ops/activations.h, ops/losses.h,
// ops/optimizers.h, network/network.h) are enum classes too; the binding parses every
// code into its typed wire enum, so a loss code cannot reach a place that takes an
// activation, and converts it with ToCore (wire type → core type, same value) where it
// hands it to the core. The static_asserts keep the two numberings equal.
#pragma once
#include "network/network.h"
#include "ops/activations.h"
#include "ops/losses.h"
#include "ops/optimizers.h"
#include "wire.h"

namespace densely_binding {

#define DENSELY_SAME_CODE(wire_value, core_value)                             \
  static_assert(static_cast<int>(wire_value) == static_cast<int>(core_value), \
                #wire_value " != " #core_value)

DENSELY_SAME_CODE(wire::WireLayerKind::kDense, densely::LayerKind::kDenseLayer);
DENSELY_SAME_CODE(wire::WireLayerKind::kDropout, densely::LayerKind::kDropoutLayer);
DENSELY_SAME_CODE(wire::WireLayerKind::kLayerNorm, densely::LayerKind::kLayerNormLayer);
DENSELY_SAME_CODE(wire::WireLayerKind::kBatchNorm, densely::LayerKind::kBatchNormLayer);
static_assert(wire::kWireLayerKindCount == 4, "layer kinds: update the checks above");

DENSELY_SAME_CODE(wire::WireActivation::kLinear, densely::Activation::kLinear);
DENSELY_SAME_CODE(wire::WireActivation::kRelu, densely::Activation::kRelu);
DENSELY_SAME_CODE(wire::WireActivation::kLeakyRelu, densely::Activation::kLeakyRelu);
DENSELY_SAME_CODE(wire::WireActivation::kSigmoid, densely::Activation::kSigmoid);
DENSELY_SAME_CODE(wire::WireActivation::kTanh, densely::Activation::kTanh);
DENSELY_SAME_CODE(wire::WireActivation::kSoftmax, densely::Activation::kSoftmax);
DENSELY_SAME_CODE(wire::WireActivation::kGelu, densely::Activation::kGelu);
DENSELY_SAME_CODE(wire::WireActivation::kElu, densely::Activation::kElu);
DENSELY_SAME_CODE(wire::WireActivation::kSelu, densely::Activation::kSelu);
DENSELY_SAME_CODE(wire::WireActivation::kSoftplus, densely::Activation::kSoftplus);
DENSELY_SAME_CODE(wire::WireActivation::kSilu, densely::Activation::kSilu);
DENSELY_SAME_CODE(wire::WireActivation::kMish, densely::Activation::kMish);
DENSELY_SAME_CODE(wire::WireActivation::kHardSigmoid, densely::Activation::kHardSigmoid);
DENSELY_SAME_CODE(wire::WireActivation::kHardSwish, densely::Activation::kHardSwish);
DENSELY_SAME_CODE(wire::WireActivation::kRelu6, densely::Activation::kRelu6);
static_assert(wire::kWireActivationCount == 15, "activations: update the checks above");

DENSELY_SAME_CODE(wire::WireLoss::kMse, densely::Loss::kMse);
DENSELY_SAME_CODE(wire::WireLoss::kMae, densely::Loss::kMae);
DENSELY_SAME_CODE(wire::WireLoss::kBinaryCrossentropy, densely::Loss::kBinaryCrossentropy);
DENSELY_SAME_CODE(wire::WireLoss::kCategoricalCrossentropy,
                  densely::Loss::kCategoricalCrossentropy);
DENSELY_SAME_CODE(wire::WireLoss::kSparseCategoricalCrossentropy,
                  densely::Loss::kSparseCategoricalCrossentropy);
DENSELY_SAME_CODE(wire::WireLoss::kHuber, densely::Loss::kHuber);
static_assert(wire::kWireLossCount == 6, "losses: update the checks above");

DENSELY_SAME_CODE(wire::WireOptimizer::kSgd, densely::OptimizerKind::kSgd);
DENSELY_SAME_CODE(wire::WireOptimizer::kAdam, densely::OptimizerKind::kAdam);
DENSELY_SAME_CODE(wire::WireOptimizer::kAdamw, densely::OptimizerKind::kAdamW);
DENSELY_SAME_CODE(wire::WireOptimizer::kRmsprop, densely::OptimizerKind::kRmsProp);
static_assert(wire::kWireOptimizerCount == 4, "optimizers: update the checks above");

DENSELY_SAME_CODE(wire::WireEpochStatus::kDone, densely::EpochStatus::kEpochDone);
DENSELY_SAME_CODE(wire::WireEpochStatus::kAborted, densely::EpochStatus::kEpochAborted);
DENSELY_SAME_CODE(wire::WireEpochStatus::kNonfinite, densely::EpochStatus::kEpochNonFinite);
DENSELY_SAME_CODE(wire::WireEpochStatus::kBadIndex, densely::EpochStatus::kEpochBadIndex);
static_assert(wire::kWireEpochStatusCount == 4, "epoch statuses: update the checks above");

#undef DENSELY_SAME_CODE

inline densely::LayerKind ToCore(wire::WireLayerKind k) {
  return static_cast<densely::LayerKind>(k);
}
inline densely::Activation ToCore(wire::WireActivation a) {
  return static_cast<densely::Activation>(a);
}
inline densely::Loss ToCore(wire::WireLoss l) { return static_cast<densely::Loss>(l); }
inline densely::OptimizerKind ToCore(wire::WireOptimizer o) {
  return static_cast<densely::OptimizerKind>(o);
}

}  // namespace densely_binding
