// Dense layer: Z = X · W + b, A = act(Z), and its backward products.
#pragma once
#include <cstdint>

#include "../gemm/gemm.h"
#include "activations.h"

namespace densely {

struct DenseDesc {
  int64_t inputs = 0;
  int64_t units = 0;
  Activation act = Activation::kLinear;
  float alpha = 0.01f;  // leakyRelu slope
  bool use_bias = true;
  int64_t kernel_offset = 0;  // [inputs × units] in the flat params
  int64_t bias_offset = -1;   // [units], or -1
};

// Whether a pass over `rows` rows takes the tiny path (plain loops on the calling thread,
// no sgemm; see dense.cc): kernels of at most kTinyKernel elements, for the products
// sgemm would run on its unpacked direct path anyway (fewer than kDirectWork from
// gemm/gemm.h multiply-adds, or a dimension ≤ 2). Larger products of a small kernel keep
// sgemm's packed SIMD kernels.
constexpr int64_t kTinyKernel = 256;
bool dense_is_tiny(const DenseDesc& d, int64_t rows);

// Forward over `rows` rows of x [rows × inputs]. a [rows × units] gets act(x·W + b).
// When z is non-null it also gets the pre-activation (needed by backward when
// activation_backward_from_output is false); otherwise z is never written.
// linear/relu/leakyRelu and the bias are fused into the GEMM epilogue.
void dense_forward(const DenseDesc& d, const float* params, const float* x, int64_t rows, float* z,
                   float* a);

// Backward of the affine part, given dz = dL/dZ [rows × units]:
//   gw [inputs × units] ← Xᵀ · dZ            (sgemm with transA, no transpose built)
//   dx [rows × inputs]  ← dZ · Wᵀ            (sgemm with transB), skipped when dx is null
// The bias gradient is the column sum of dZ, fused into the activation backward pass.
void dense_backward(const DenseDesc& d, const float* params, const float* x, const float* dz,
                    int64_t rows, float* gw, float* dx);

}  // namespace densely
