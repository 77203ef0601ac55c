// LayerNorm and BatchNorm (torch.nn.LayerNorm(units), torch.nn.BatchNorm1d(units)) on
// row-major [rows × units] blocks: forward, backward in the closed forms, and the running
// statistics of BatchNorm.
//
// Notation: x the input, m the rows, n = units. Statistics are float64, two passes (the
// mean, then the mean of squared deviations: the biased variance σ²), rstd = 1/√(σ² + ε).
// x̂ = (x − μ)·rstd is formed in float32 from μ and rstd rounded to float32, then
// y = γ·x̂ + β (γ = 1 when scale is off, β = 0 when center is off).
// - LayerNorm: μ, σ² over each row's n values.
// - BatchNorm, training: μ_j, σ²_j over each column's m values (the batch statistics).
//   BatchNorm, inference: y = (x − runningMean_j)·k_j + β_j, k_j = γ_j/√(runningVar_j + ε)
//   (k_j computed in float64, rounded once).
// Backward, given dy = ∂L/∂y: with g = γ·dy (dy when scale is off),
//   LayerNorm  dx = rstd·(g − mean_row(g) − x̂·mean_row(g·x̂))
//   BatchNorm  dx = rstd_j·γ_j·(dy − Σ_r dy/m − x̂·Σ_r dy·x̂/m)
//   dγ_j = Σ_r dy·x̂, dβ_j = Σ_r dy (both layers), every sum in float64 in row order.
// Units are elements. Buffers never alias except where a comment says so. Every pass is
// split across threads only by whole rows (LayerNorm forward) or whole columns
// (BatchNorm), in blocks that depend on the sizes alone, and no sum is split, so the
// results are bit-identical for any thread count. The avx512 set runs the same loops
// compiled with its flags (norm_avx512.cc, contraction off): the same bits.
#pragma once
#include <cstdint>

namespace densely {

enum class NormKind : int { kLayerNorm = 0, kBatchNorm = 1 };

struct NormDesc {
  NormKind kind = NormKind::kLayerNorm;
  int64_t units = 0;
  double epsilon = 1e-5;
  double momentum = 0.1;      // BatchNorm: running = (1 − momentum)·running + momentum·batch
  int64_t gamma_offset = -1;  // [units] in the flat params, or -1 (scale off)
  int64_t beta_offset = -1;   // [units] in the flat params, or -1 (center off)
  int64_t stats_offset = -1;  // BatchNorm: running mean [units] then running var [units] in
                              // the buffers; -1 for LayerNorm
};

// LayerNorm forward over `rows` rows. y [rows × n] ← γ·x̂ + β. When xhat is non-null it
// gets x̂ [rows × n] and rstd [rows] each row's rstd (for the backward pass).
void layer_norm_forward(const NormDesc& d, const float* params, const float* x, int64_t rows,
                        float* y, float* xhat, double* rstd);

// LayerNorm backward. grads at gamma_offset/beta_offset (where on) ← dγ, dβ; dx [rows × n]
// ← ∂L/∂x unless null. dx may alias dy. scratch: 2·n doubles.
void layer_norm_backward(const NormDesc& d, const float* params, const float* dy, const float* xhat,
                         const double* rstd, int64_t rows, float* grads, float* dx,
                         double* scratch);

// BatchNorm forward with the batch statistics (training). xhat [rows × n] gets x̂; stats
// [3·n] gets μ_j, σ²_j (biased) and rstd_j. Needs rows ≥ 1 (the facade asks for 2).
// fscratch: 2·n floats.
void batch_norm_train_forward(const NormDesc& d, const float* params, const float* x, int64_t rows,
                              float* y, float* xhat, double* stats, float* fscratch);

// BatchNorm forward with the running statistics at buffers + stats_offset (inference).
// fscratch: n floats.
void batch_norm_infer_forward(const NormDesc& d, const float* params, const float* buffers,
                              const float* x, int64_t rows, float* y, float* fscratch);

// BatchNorm backward from the training forward's xhat and stats: grads at
// gamma_offset/beta_offset (where on) ← dγ, dβ; dx ← ∂L/∂x unless null. dx may alias dy.
// scratch: 2·n doubles; fscratch: 3·n floats.
void batch_norm_backward(const NormDesc& d, const float* params, const float* dy, const float* xhat,
                         const double* stats, int64_t rows, float* grads, float* dx,
                         double* scratch, float* fscratch);

// running ← (1 − momentum)·running + momentum·batch for the mean and the variance (the
// batch variance made unbiased: σ²·m/(m − 1); with m = 1, σ² itself), in float64, rounded
// once. stats as batch_norm_train_forward left it.
void batch_norm_update_running(const NormDesc& d, const double* stats, int64_t rows,
                               float* buffers);

}  // namespace densely
