// Inverted dropout: A = A ⊙ mask / (1 − rate) in training only.
//
// The mask is counter-based (network/random.h mirrors lib/random.ts): element
// i = row × units + col of the batch survives iff mix32(layer_seed + i·φ) ≥ threshold,
// so blocks can be hashed by any thread in any order and js draws the same mask.
// The avx512 set hashes 16 indices a step (dropout_avx512.cc); the baseline loop is
// scalar (SSE2 has no 32-bit vector multiply).
#include "dropout.h"

#include "../network/random.h"
#include "runtime/cpu.h"
#include "split.h"

#if defined(__x86_64__) || defined(_M_X64)
#include "ops/dropout_kernels.h"
#define DENSELY_DROPOUT_AVX512 1
#endif

namespace densely {

void dropout_forward(const float* in, float* out, uint8_t* mask, int64_t rows, int64_t units,
                     uint32_t layer_seed, uint32_t threshold, float scale) {
#ifdef DENSELY_DROPOUT_AVX512
  if (active_isa() == Isa::kAvx512) {
    split_blocks(rows * units, 8192, 1, [&](int64_t b, int64_t e) {
      dropout_forward_avx512(in, out, mask, b, e, layer_seed, threshold, scale);
    });
    return;
  }
#endif
  split_blocks(rows * units, 8192, 4, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const bool keep = dropout_keep(layer_seed, static_cast<uint64_t>(i), threshold);
      mask[i] = keep ? 1 : 0;
      out[i] = keep ? in[i] * scale : 0.0f;
    }
  });
}

void dropout_backward(float* d, const uint8_t* mask, int64_t n, float scale) {
#ifdef DENSELY_DROPOUT_AVX512
  if (active_isa() == Isa::kAvx512) {
    split_blocks(n, 8192, 1,
                 [&](int64_t b, int64_t e) { dropout_backward_avx512(d, mask, b, e, scale); });
    return;
  }
#endif
  split_blocks(n, 8192, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) d[i] = mask[i] != 0 ? d[i] * scale : 0.0f;
  });
}

}  // namespace densely
