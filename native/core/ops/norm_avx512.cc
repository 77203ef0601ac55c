// The avx512 set's copy of the LayerNorm/BatchNorm loops (norm_kernels.h), compiled with
// the core_avx512 flags: the vectoriser runs the float64 lanes and the per-column
// accumulators 8 doubles (16 floats) wide. Contraction is switched off again, so every
// product and sum rounds as in the baseline copy: the same bits on every set.
#pragma GCC optimize("fp-contract=off")
#include "ops/norm_kernels.h"

namespace densely {

const NormKernels& norm_kernels_avx512() {
  static const NormKernels k = make_norm_kernels();
  return k;
}

}  // namespace densely
