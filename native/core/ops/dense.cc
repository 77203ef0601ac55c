// Dense forward/backward on densely::sgemm (gemm/gemm.h).
//
// Forward:  Z[rows × units] = X[rows × inputs] · W[inputs × units] (+ b), one sgemm;
//           the bias and linear/relu/leakyRelu go into its epilogue (applied after
//           the full k reduction), so those layers write A once and never store Z.
// Backward: dW = Xᵀ·dZ (trans_a: X is read as stored, k = rows),
//           dX = dZ·Wᵀ (trans_b: W is read as stored, k = units).
// No transpose is ever materialised; sgemm never splits k across threads, so every
// product is bit-identical for any thread count.
//
// Tiny products (dense_is_tiny: a kernel of at most kTinyKernel elements, in a product
// small enough for sgemm's direct path) skip sgemm altogether: a batch-1 step of a
// 2→8→1 network is five products of a few dozen multiply-adds, where sgemm's dispatch,
// argument checks and epilogue switch cost as much as the arithmetic. Plain loops on the
// calling thread instead, with the accumulators of 8 columns in registers, in the direct
// path's per-element order (forward and dW: Σ over k in k order from 0, then + bias;
// dX: 8 strided partial sums added pairwise). The choice depends on the shape and rows,
// never on the thread count.
#include "dense.h"

#include "../gemm/gemm.h"
#include "activations.h"

namespace densely {
namespace {

// Columns per register block: the accumulators of one block live in registers across
// the whole k loop (no store-to-load chain through memory), the tail goes one by one.
constexpr int64_t kTinyCols = 8;

void tiny_forward(const DenseDesc& d, const float* __restrict w, const float* __restrict bias,
                  const float* __restrict x, int64_t rows, float* __restrict out) {
  const int64_t in = d.inputs, units = d.units;
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * in;
    float* o = out + r * units;
    int64_t j = 0;
    for (; j + kTinyCols <= units; j += kTinyCols) {
      float acc[kTinyCols] = {};
      for (int64_t p = 0; p < in; ++p) {
        const float xv = xr[p];
        const float* wr = w + p * units + j;
        for (int l = 0; l < kTinyCols; ++l) acc[l] += xv * wr[l];
      }
      if (bias != nullptr) {
        for (int l = 0; l < kTinyCols; ++l) acc[l] += bias[j + l];
      }
      for (int l = 0; l < kTinyCols; ++l) o[j + l] = acc[l];
    }
    for (; j < units; ++j) {
      float acc = 0.0f;
      for (int64_t p = 0; p < in; ++p) acc += xr[p] * w[p * units + j];
      o[j] = bias != nullptr ? acc + bias[j] : acc;
    }
  }
}

// gw ← Xᵀ·dZ (each element summed over rows in row order, from 0), dx ← dZ·Wᵀ.
void tiny_backward(const DenseDesc& d, const float* __restrict w, const float* __restrict x,
                   const float* __restrict dz, int64_t rows, float* __restrict gw,
                   float* __restrict dx) {
  const int64_t in = d.inputs, units = d.units;
  if (units == 1) {  // gw is a column: accumulate all of it per row (same order per element)
    if (rows <= 0) {
      for (int64_t p = 0; p < in; ++p) gw[p] = 0.0f;
    } else {
      for (int64_t p = 0; p < in; ++p) gw[p] = 0.0f + x[p] * dz[0];  // row 0 onto the zero
    }
    for (int64_t r = 1; r < rows; ++r) {
      const float dv = dz[r];
      const float* xr = x + r * in;
      for (int64_t p = 0; p < in; ++p) gw[p] += xr[p] * dv;
    }
  }
  for (int64_t p = 0; p < in && units > 1; ++p) {
    float* g = gw + p * units;
    int64_t j = 0;
    for (; j + kTinyCols <= units; j += kTinyCols) {
      float acc[kTinyCols] = {};
      for (int64_t r = 0; r < rows; ++r) {
        const float xv = x[r * in + p];
        const float* dr = dz + r * units + j;
        for (int l = 0; l < kTinyCols; ++l) acc[l] += xv * dr[l];
      }
      for (int l = 0; l < kTinyCols; ++l) g[j + l] = acc[l];
    }
    for (; j < units; ++j) {
      float acc = 0.0f;
      for (int64_t r = 0; r < rows; ++r) acc += x[r * in + p] * dz[r * units + j];
      g[j] = acc;
    }
  }
  if (dx == nullptr) return;
  if (units == 1) {  // one term per sum: dx[r, p] = dz[r]·w[p] (the sum below adds only zeros)
    for (int64_t r = 0; r < rows; ++r) {
      const float dv = dz[r];
      float* o = dx + r * in;
      for (int64_t p = 0; p < in; ++p) o[p] = (dv * w[p] + 0.0f) + 0.0f;
    }
    return;
  }
  for (int64_t r = 0; r < rows; ++r) {
    const float* dr = dz + r * units;
    float* o = dx + r * in;
    for (int64_t p = 0; p < in; ++p) {
      const float* wr = w + p * units;
      float part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      int64_t j = 0;
      for (; j + 8 <= units; j += 8) {
        for (int l = 0; l < 8; ++l) part[l] += dr[j + l] * wr[j + l];
      }
      for (int l = 0; j < units; ++j, ++l) part[l] += dr[j] * wr[j];
      o[p] =
          ((part[0] + part[4]) + (part[1] + part[5])) + ((part[2] + part[6]) + (part[3] + part[7]));
    }
  }
}

}  // namespace

bool dense_is_tiny(const DenseDesc& d, int64_t rows) {
  const int64_t kernel = d.inputs * d.units;
  return kernel <= kTinyKernel &&
         (rows * kernel < kDirectWork || rows <= 2 || d.inputs <= 2 || d.units <= 2);
}

void dense_forward(const DenseDesc& d, const float* params, const float* x, int64_t rows, float* z,
                   float* a) {
  const float* w = params + d.kernel_offset;
  if (dense_is_tiny(d, rows)) {
    float* target = z != nullptr ? z : a;
    tiny_forward(d, w, d.use_bias ? params + d.bias_offset : nullptr, x, rows, target);
    activation_forward(d.act, d.alpha, target, a, rows, d.units);
    return;
  }
  GemmEpilogue ep;
  ep.bias = d.use_bias ? params + d.bias_offset : nullptr;
  ep.leaky_alpha = d.alpha;
  const bool fuse_act =
      z == nullptr && (d.act == Activation::kLinear || d.act == Activation::kRelu ||
                       d.act == Activation::kLeakyRelu);
  if (fuse_act) {
    if (d.act == Activation::kLinear) {
      ep.kind = d.use_bias ? Epilogue::kBias : Epilogue::kNone;
    } else if (d.act == Activation::kRelu) {
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
  sgemm(false, false, rows, d.units, d.inputs, 1.0f, x, d.inputs, w, d.units, 0.0f, target, d.units,
        ep);
  activation_forward(d.act, d.alpha, target, a, rows, d.units);
}

void dense_backward(const DenseDesc& d, const float* params, const float* x, const float* dz,
                    int64_t rows, float* gw, float* dx) {
  if (dense_is_tiny(d, rows)) {
    tiny_backward(d, params + d.kernel_offset, x, dz, rows, gw, dx);
    return;
  }
  sgemm(true, false, d.inputs, d.units, rows, 1.0f, x, d.inputs, dz, d.units, 0.0f, gw, d.units);
  if (dx != nullptr) {
    sgemm(false, true, rows, d.inputs, d.units, 1.0f, dz, d.units, params + d.kernel_offset,
          d.units, 0.0f, dx, d.inputs);
  }
}

}  // namespace densely
