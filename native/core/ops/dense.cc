// Dense forward/backward on densely::sgemm (gemm/gemm.h).
//
// Forward:  Z[rows × units] = X[rows × inputs] · W[inputs × units] (+ b), one sgemm;
//           the bias and linear/relu/leakyRelu go into its epilogue (applied after
//           the full k reduction), so those layers write A once and never store Z.
// Backward: dW = Xᵀ·dZ (trans_a: X is read as stored, k = rows),
//           dX = dZ·Wᵀ (trans_b: W is read as stored, k = units).
// No transpose is ever materialised; sgemm never splits k across threads, so every
// product is bit-identical for any thread count.
#include "dense.h"

#include "../gemm/gemm.h"
#include "activations.h"

namespace densely {

void dense_forward(const DenseDesc& d, const float* params, const float* x, int64_t rows,
                   float* z, float* a) {
  const float* w = params + d.kernel_offset;
  GemmEpilogue ep;
  ep.bias = d.use_bias ? params + d.bias_offset : nullptr;
  ep.leaky_alpha = d.alpha;
  const bool fuse_act = z == nullptr && (d.act == kLinear || d.act == kRelu || d.act == kLeakyRelu);
  if (fuse_act) {
    if (d.act == kLinear) {
      ep.kind = d.use_bias ? Epilogue::kBias : Epilogue::kNone;
    } else if (d.act == kRelu) {
      ep.kind = d.use_bias ? Epilogue::kBiasRelu : Epilogue::kRelu;
    } else {
      ep.kind = d.use_bias ? Epilogue::kBiasLeakyRelu : Epilogue::kLeakyRelu;
    }
    sgemm(false, false, rows, d.units, d.inputs, 1.0f, x, d.inputs, w, d.units, 0.0f, a, d.units,
          ep);
    return;
  }
  ep.kind = d.use_bias ? Epilogue::kBias : Epilogue::kNone;
  float* target = z != nullptr ? z : a;
  sgemm(false, false, rows, d.units, d.inputs, 1.0f, x, d.inputs, w, d.units, 0.0f, target,
        d.units, ep);
  activation_forward(d.act, d.alpha, target, a, rows, d.units);
}

void dense_backward(const DenseDesc& d, const float* params, const float* x, const float* dz,
                    int64_t rows, float* gw, float* dx) {
  sgemm(true, false, d.inputs, d.units, rows, 1.0f, x, d.inputs, dz, d.units, 0.0f, gw, d.units);
  if (dx != nullptr) {
    sgemm(false, true, rows, d.inputs, d.units, 1.0f, dz, d.units, params + d.kernel_offset,
          d.units, 0.0f, dx, d.inputs);
  }
}

}  // namespace densely
