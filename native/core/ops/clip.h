// Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_): the one reduction
// over the whole gradient that clip_norm needs before any parameter moves. The scale it
// gives is applied inside the optimizer loops (ops/optimizers.h OptimizerStep gscale),
// where they already stream the gradient, together with clip_value's clamp.
#pragma once
#include <cstdint>

namespace densely {

// Elements per block of the norm reduction: each block is summed on its own, and the
// blocks' sums are added in block order, so the result does not depend on the thread
// count. lib/backend/js/clip.ts uses the same blocks and the same order.
constexpr int64_t kClipNormBlock = 16384;

// Blocks (and so float64 partial sums) clip_sum_squares needs for n elements.
inline int64_t clip_norm_blocks(int64_t n) { return (n + kClipNormBlock - 1) / kClipNormBlock; }

// Σ c(g)² in float64 over g[0..n), c the clamp to [−clip, clip] (clip = +inf: none).
// Element k of a block adds into accumulator k mod 8; a block's sum is
// ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)). Each square of a float is exact in
// float64, so the sum is a fixed sequence of roundings: bit-identical for any thread
// count and ISA. `partials` has clip_norm_blocks(n) entries of scratch.
double clip_sum_squares(const float* g, int64_t n, float clip, double* partials);

// The clip_grad_norm_ factor: max_norm / (√sum_sq + 1e-6) when that is below 1, else 1,
// computed in float64 and rounded once to float.
float clip_norm_scale(double sum_sq, double max_norm);

}  // namespace densely
