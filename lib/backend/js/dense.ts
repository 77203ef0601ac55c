/**
 * The js backend's Dense layer, mirroring `native/core/ops/dense.cc`: one layer's
 * forward `A ← act(X·W + b)` and the backward products of its affine part, on the flat
 * parameters and gradients of `lib/backend/types.ts` (kernel `[inputs × units]` at
 * `kernelOffset`, bias `[units]` at `biasOffset`). Row-major, `rows` rows; no allocation.
 */
import type { DenseSpec } from '../types';
import { activationForward } from './activations';
import { gemmF32 } from './gemm';

/**
 * Forward over `rows` rows of `x` `[rows × inputs]`: `z ← 1·bᵀ` (the bias broadcast, or
 * nothing), `z ← x·W + z` (one sgemm with beta = 1, so z is rounded to float32 once per
 * reduction block), `a ← act(z)`. `a` may alias `z` for a linear layer.
 */
export function denseForward(
  d: DenseSpec,
  params: Float32Array,
  x: Float32Array,
  rows: number,
  z: Float32Array,
  a: Float32Array,
): void {
  const { inputs, units } = d;
  if (d.useBias) {
    const bias = params.subarray(d.biasOffset, d.biasOffset + units);
    for (let r = 0; r < rows; r++) z.set(bias, r * units);
  }
  gemmF32(
    false,
    false,
    rows,
    units,
    inputs,
    1,
    x,
    0,
    inputs,
    params,
    d.kernelOffset,
    units,
    d.useBias ? 1 : 0,
    z,
    0,
    units,
  );
  activationForward(d.activation, d.alpha, z, a, rows, units);
}

/**
 * Backward of the affine part, given `dz` = ∂L/∂Z `[rows × units]` and the layer's input
 * `x` `[rows × inputs]`:
 * - dW `[inputs × units]` ← xᵀ·dz into `grads` at `kernelOffset` (sgemm with transA);
 * - db_j ← Σ_rows dz_rj into `grads` at `biasOffset` (float64 sum in `acc`, rows in
 *   order; `acc` holds at least `units` elements);
 * - dX `[rows × inputs]` ← dz·Wᵀ into `dx` (sgemm with transB), skipped when `dx` is null.
 */
export function denseBackward(
  d: DenseSpec,
  params: Float32Array,
  x: Float32Array,
  dz: Float32Array,
  rows: number,
  grads: Float32Array,
  dx: Float32Array | null,
  acc: Float64Array,
): void {
  const { inputs, units } = d;
  gemmF32(true, false, inputs, units, rows, 1, x, 0, inputs, dz, 0, units, 0, grads, d.kernelOffset, units);
  if (d.useBias) {
    acc.fill(0, 0, units);
    for (let r = 0; r < rows; r++) {
      const o = r * units;
      for (let j = 0; j < units; j++) acc[j] += dz[o + j]!;
    }
    const bo = d.biasOffset;
    for (let j = 0; j < units; j++) grads[bo + j] = acc[j]!;
  }
  if (dx !== null)
    gemmF32(false, true, rows, inputs, units, 1, dz, 0, units, params, d.kernelOffset, units, 0, dx, 0, inputs);
}
