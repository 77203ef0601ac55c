// Wide-vector bodies of the optimizer loops (ops/optimizers.cc), one file per ISA.
//
// Each function runs the same IEEE float32 operations, in the same order, as the
// baseline loop in optimizers.cc (mul, add, sqrt, div, each correctly rounded; no FMA),
// on as many leading elements as fill whole vectors, and returns how many it did; the
// caller finishes the rest (the avx512 bodies do the whole range, the tail in a masked
// vector, and return whether every new θ is finite). Every lane therefore gets the very
// bits the baseline loop gives, so the update does not depend on the ISA, the split, or
// the thread count. Used only after the CPU check in optimizers.cc (runtime/cpu.h
// active_isa()).
#pragma once
#include <cstdint>

#include "optimizers.h"

namespace densely {

// Adam / AdamW (decoupled) body: reads θ, m, v, writes θ′, m′, v′ to tho/mo/vo (each
// the same array as its input, or one not overlapping it). *nonfinite is set (never
// cleared) when a new θ it wrote is ±inf or NaN.
int64_t adam_avx2(const OptimizerStep& k, bool decoupled, const float* th, const float* grad,
                  const float* m, const float* v, int64_t n, float* tho, float* mo, float* vo,
                  bool* nonfinite);

// RMSprop body (b: momentum buffer or null, then bo unused), in and out as for adam.
int64_t rmsprop_avx2(const OptimizerStep& k, const float* th, const float* grad, const float* v,
                     const float* b, int64_t n, float* tho, float* vo, float* bo, bool* nonfinite);

// optimizers_avx512.cc: the whole range [0, n), in and out as above (b / bo: the
// momentum buffer, or null); each returns whether every new θ is finite.
bool sgd_avx512(const OptimizerStep& k, const float* th, const float* grad, const float* b,
                int64_t n, float* tho, float* bo);
bool adam_avx512(const OptimizerStep& k, bool decoupled, const float* th, const float* grad,
                 const float* m, const float* v, int64_t n, float* tho, float* mo, float* vo);
bool rmsprop_avx512(const OptimizerStep& k, const float* th, const float* grad, const float* v,
                    const float* b, int64_t n, float* tho, float* vo, float* bo);

}  // namespace densely
