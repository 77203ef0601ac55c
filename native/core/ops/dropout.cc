// Inverted dropout: A = A ⊙ mask / (1 − rate) in training only.
//
// The mask is counter-based (network/random.h mirrors lib/random.ts): element
// i = row × units + col of the batch survives iff mix32(layer_seed + i·φ) ≥ threshold,
// so blocks can be hashed by any thread in any order and js draws the same mask.
#include "dropout.h"

#include "../network/random.h"
#include "split.h"

namespace densely {

void dropout_forward(const float* in, float* out, uint8_t* mask, int64_t rows, int64_t units,
                     uint32_t layer_seed, uint32_t threshold, float scale) {
  split_blocks(rows * units, 8192, 4, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const bool keep = dropout_keep(layer_seed, static_cast<uint64_t>(i), threshold);
      mask[i] = keep ? 1 : 0;
      out[i] = keep ? in[i] * scale : 0.0f;
    }
  });
}

void dropout_backward(float* d, const uint8_t* mask, int64_t n, float scale) {
  split_blocks(n, 8192, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) d[i] = mask[i] != 0 ? d[i] * scale : 0.0f;
  });
}

}  // namespace densely
