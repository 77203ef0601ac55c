// The tiny path of Network::step (tiny.cc): a batch-1 training step of a small all-dense
// network as one fused pass — forward, loss gradient, backward and the optimizer update —
// with plain loops over the flat parameters, no per-layer dispatch, no sgemm, no thread
// pool. It performs the general path's floating-point operations in the general path's
// order (ops/dense.cc's tiny loops, ops/activations.cc's per-set activation bodies,
// ops/optimizers.cc's elementwise rules), so its results are the general path's bit for
// bit: fit, trainOnBatch and fitDataset keep agreeing exactly whichever path a step takes,
// and native/tests/test_tiny.cc checks the equality on every kernel set.
#pragma once
#include <cstdint>

#include "../runtime/cpu.h"
#include "network.h"

namespace densely {

// Widest layer (inputs or units) and largest kernel the tiny path takes: every such layer is
// on ops/dense.h's tiny loops (dense_is_tiny) at batch 1, so both paths run the same loops.
constexpr int64_t kTinyMaxWidth = 32;

// Whether the spec alone allows the tiny path: every layer dense, kernel ≤ kTinyKernel
// (ops/dense.h), widths ≤ kTinyMaxWidth, activation linear / relu / leakyRelu with a slope ≥ 0 /
// sigmoid / tanh, no regularizer. Network also requires batch 1 and no clip_norm per step.
bool tiny_spec_supported(const ModelSpec& spec);

// The tiny path's loops for one kernel set (tiny_kernels.h; the function types are in
// network.h): forward and backward of a layer of each width 1 … kTinyMaxWidth (index =
// width), and the optimizer update over all parameters without / with a gradient clip.
struct TinyKernels {
  TinyForwardFn fwd[kTinyMaxWidth + 1];
  TinyBackwardFn bwd[kTinyMaxWidth + 1];
  TinyUpdateFn update;       // no clip_value, gradient scale 1
  TinyUpdateFn update_clip;  // clip_value and/or a gradient scale
};
// The loops of the baseline flags (tiny.cc: sse2, neon, scalar) and of the avx2 flags
// (tiny_avx2.cc, for the avx2 and avx512 sets); tiny_kernels picks the one of `isa`.
const TinyKernels& tiny_kernels_baseline();
#if defined(__x86_64__) || defined(_M_X64)
const TinyKernels& tiny_kernels_avx2();
#endif
const TinyKernels& tiny_kernels(Isa isa);

}  // namespace densely
