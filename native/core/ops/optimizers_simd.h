// Wide-vector bodies of the optimizer loops (ops/optimizers.cc), one file per ISA.
//
// Each function runs the same IEEE float32 operations, in the same order, as the
// baseline loop in optimizers.cc (mul, add, sqrt, div, each correctly rounded; no FMA),
// on as many leading elements as fill whole vectors, and returns how many it did; the
// caller finishes the rest. Every lane therefore gets the very bits the baseline loop
// gives, so the update does not depend on the ISA, the split, or the thread count.
// Used only after the CPU check in optimizers.cc (runtime/cpu.h active_isa()).
#pragma once
#include <cstdint>

#include "optimizers.h"

namespace densely {

// Adam / AdamW (decoupled) body; bth/bm/bv non-null saves the pre-update values.
int64_t adam_avx2(const OptimizerStep& k, bool decoupled, float* theta, const float* grad,
                  float* m, float* v, int64_t n, float* bth, float* bm, float* bv);

// RMSprop body (b: momentum buffer or null); bth/bv/bb non-null saves the old values.
int64_t rmsprop_avx2(const OptimizerStep& k, float* theta, const float* grad, float* v,
                     float* b, int64_t n, float* bth, float* bv, float* bb);

}  // namespace densely
