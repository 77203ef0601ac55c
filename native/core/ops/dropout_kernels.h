// Per-ISA bodies of the dropout loops (dropout.cc), one block [b, e) at a time.
// Internal to the ops.
#pragma once
#include <cstdint>

namespace densely {

// dropout_avx512.cc, linked on x86-64 only; call only when the avx512 set is active.
// The same results as dropout.cc's loops over [b, e), bit for bit (integer hash, one
// float32 multiply).
void dropout_forward_avx512(const float* in, float* out, uint8_t* mask, int64_t b, int64_t e,
                            uint32_t layer_seed, uint32_t threshold, float scale);
void dropout_backward_avx512(float* d, const uint8_t* mask, int64_t b, int64_t e, float scale);

}  // namespace densely
