// Counter-based dropout masks: a bit-for-bit mirror of lib/random.ts (mix32,
// dropoutStepSeed, dropoutLayerSeed, dropoutKeep, dropoutThreshold).
//
// Every operation is uint32 arithmetic modulo 2^32, exactly what `Math.imul` and
// `>>> 0` do in JavaScript, so js and native draw the same mask for the same
// (network seed, step, layer, element) in any thread order.
#pragma once
#include <cmath>
#include <cstdint>

namespace densely {

constexpr uint32_t kGolden32 = 0x9e3779b9u;

// The "lowbias32" finaliser.
inline uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

// Seed of one training step's masks; the high 32 bits of `step` are folded in
// (lib/random.ts: Math.floor(step / 2^32) >>> 0).
inline uint32_t dropout_step_seed(uint32_t seed, uint64_t step) {
  const uint32_t lo = static_cast<uint32_t>(step);
  const uint32_t hi = static_cast<uint32_t>(step >> 32);
  return mix32(mix32(seed ^ (hi * 0x85ebca6bu)) + lo * kGolden32);
}

// Seed of dropout layer `layer` (its index in ModelSpec.layers) within a step.
inline uint32_t dropout_layer_seed(uint32_t step_seed, uint32_t layer) {
  return mix32(step_seed ^ ((layer + 1u) * 0xc2b2ae35u));
}

// Element `index` (row × units + col) survives iff its hash ≥ threshold.
inline bool dropout_keep(uint32_t layer_seed, uint64_t index, uint32_t threshold) {
  return mix32(layer_seed + static_cast<uint32_t>(index) * kGolden32) >= threshold;
}

// floor(rate · 2^32), capped at 2^32 − 1; rate in [0, 1).
inline uint32_t dropout_threshold(double rate) {
  const double t = std::floor(rate * 4294967296.0);
  return t >= 4294967295.0 ? 4294967295u : static_cast<uint32_t>(t);
}

}  // namespace densely
