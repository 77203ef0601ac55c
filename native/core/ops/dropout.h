// Inverted dropout on a row-major [rows × units] block.
#pragma once
#include <cstdint>

namespace densely {

// Training forward: out[i] = keep(i) ? in[i] · scale : 0 with keep from
// dropout_keep(layer_seed, i, threshold) (network/random.h) and scale = 1 / (1 − rate);
// mask[i] (0 or 1) is stored for the backward pass. `out` may alias `in`.
void dropout_forward(const float* in, float* out, uint8_t* mask, int64_t rows, int64_t units,
                     uint32_t layer_seed, uint32_t threshold, float scale);

// Backward: d[i] ← mask[i] ? d[i] · scale : 0, in place.
void dropout_backward(float* d, const uint8_t* mask, int64_t n, float scale);

}  // namespace densely
