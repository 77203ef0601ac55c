/**
 * Losses of the js backend: the batch-mean value (float64), the gradient w.r.t. ŷ, the fused
 * output gradients, and the "correct" count. `yhat` is `[rows × outputs]`; `y` is
 * `[rows × outputs]`, or `[rows]` class indices stored as float for sparse CE.
 *
 * Numerics (mirrored by the native core):
 * - Per-element terms in float64 from the float32 inputs; sums in float64, in row-major
 *   order; the mean divides the sum once at the end.
 * - Clip bounds are the float64 constants 1e-7 and 1 − 1e-7, compared in float64.
 *   The gradient through an active clip is 0; the bounds themselves pass (PyTorch's clamp).
 * - Gradients w.r.t. ŷ (N = rows × outputs):
 *   mse `2(ŷ − y)/N`; mae `sign(ŷ − y)·(1/N)` with sign(0) = 0;
 *   binaryCrossentropy `(−y/p + (1 − y)/(1 − p))/N`, p = ŷ inside the clip, else 0;
 *   categoricalCrossentropy `−y/p / rows`, p = ŷ inside [1e-7, 1], else 0;
 *   sparse: the same with y one-hot.
 * - Fused (softmax + categorical/sparse CE): `dZ = (ŷ − y)/rows`;
 *   (sigmoid + binaryCrossentropy): `dZ = (ŷ − y)/(rows × outputs)`. The clip is ignored.
 */
import type { ActivationName, LossName } from '../types';

export const CLIP_LO = 1e-7;
export const CLIP_HI = 1 - 1e-7;

/** Mean loss of the batch, float64. */
export function lossValue(loss: LossName, yhat: Float32Array, y: Float32Array, rows: number, outputs: number): number {
  const len = rows * outputs;
  let sum = 0;
  switch (loss) {
    case 'mse':
      for (let i = 0; i < len; i++) {
        const d = yhat[i]! - y[i]!;
        sum += d * d;
      }
      return sum / len;
    case 'mae':
      for (let i = 0; i < len; i++) sum += Math.abs(yhat[i]! - y[i]!);
      return sum / len;
    case 'binaryCrossentropy':
      for (let i = 0; i < len; i++) {
        const p = clip(yhat[i]!, CLIP_LO, CLIP_HI);
        const t = y[i]!;
        sum -= t * Math.log(p) + (1 - t) * Math.log(1 - p);
      }
      return sum / len;
    case 'categoricalCrossentropy':
      for (let i = 0; i < len; i++) {
        const t = y[i]!;
        if (t !== 0) sum -= t * Math.log(clip(yhat[i]!, CLIP_LO, 1));
      }
      return sum / rows;
    case 'sparseCategoricalCrossentropy':
      for (let r = 0; r < rows; r++) {
        const cls = y[r]! | 0;
        sum -= Math.log(clip(yhat[r * outputs + cls]!, CLIP_LO, 1));
      }
      return sum / rows;
  }
}

function clip(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** `dyhat ← ∂loss/∂ŷ` (the unfused path). */
export function lossGradient(
  loss: LossName,
  yhat: Float32Array,
  y: Float32Array,
  rows: number,
  outputs: number,
  dyhat: Float32Array,
): void {
  const len = rows * outputs;
  switch (loss) {
    case 'mse':
      for (let i = 0; i < len; i++) dyhat[i] = (2 * (yhat[i]! - y[i]!)) / len;
      return;
    case 'mae': {
      const s = 1 / len;
      for (let i = 0; i < len; i++) {
        const d = yhat[i]! - y[i]!;
        dyhat[i] = d > 0 ? s : d < 0 ? -s : 0;
      }
      return;
    }
    case 'binaryCrossentropy':
      for (let i = 0; i < len; i++) {
        const p = yhat[i]!;
        const t = y[i]!;
        dyhat[i] = p >= CLIP_LO && p <= CLIP_HI ? (-t / p + (1 - t) / (1 - p)) / len : 0;
      }
      return;
    case 'categoricalCrossentropy':
      for (let i = 0; i < len; i++) {
        const p = yhat[i]!;
        const t = y[i]!;
        dyhat[i] = t !== 0 && p >= CLIP_LO && p <= 1 ? -t / p / rows : 0;
      }
      return;
    case 'sparseCategoricalCrossentropy':
      dyhat.fill(0, 0, len);
      for (let r = 0; r < rows; r++) {
        const i = r * outputs + (y[r]! | 0);
        const p = yhat[i]!;
        dyhat[i] = p >= CLIP_LO && p <= 1 ? -1 / p / rows : 0;
      }
      return;
  }
}

/** Whether the output activation and loss take the fused gradient path. */
export function isFused(act: ActivationName, loss: LossName): boolean {
  return (
    (act === 'softmax' && (loss === 'categoricalCrossentropy' || loss === 'sparseCategoricalCrossentropy')) ||
    (act === 'sigmoid' && loss === 'binaryCrossentropy')
  );
}

/** Fused output gradient `dz ← (ŷ − y)/rows` (CE) or `(ŷ − y)/(rows × outputs)` (BCE). */
export function fusedGradient(
  loss: LossName,
  yhat: Float32Array,
  y: Float32Array,
  rows: number,
  outputs: number,
  dz: Float32Array,
): void {
  const len = rows * outputs;
  if (loss === 'sparseCategoricalCrossentropy') {
    for (let i = 0; i < len; i++) dz[i] = yhat[i]! / rows;
    for (let r = 0; r < rows; r++) {
      const i = r * outputs + (y[r]! | 0);
      dz[i] = (yhat[i]! - 1) / rows;
    }
    return;
  }
  const d = loss === 'binaryCrossentropy' ? len : rows;
  for (let i = 0; i < len; i++) dz[i] = (yhat[i]! - y[i]!) / d;
}

/**
 * Rows whose prediction matches the target: argmax over outputs (first maximum wins)
 * against the argmax of the target row or the sparse index; with one output,
 * `ŷ > 0.5` against `y > 0.5`.
 */
export function countCorrect(
  sparse: boolean,
  yhat: Float32Array,
  y: Float32Array,
  rows: number,
  outputs: number,
): number {
  let correct = 0;
  if (outputs === 1 && !sparse) {
    for (let r = 0; r < rows; r++) if (yhat[r]! > 0.5 === y[r]! > 0.5) correct++;
    return correct;
  }
  for (let r = 0; r < rows; r++) {
    const o = r * outputs;
    const pred = argmax(yhat, o, outputs);
    const target = sparse ? y[r]! | 0 : argmax(y, o, outputs);
    if (pred === target) correct++;
  }
  return correct;
}

function argmax(v: Float32Array, o: number, n: number): number {
  let best = 0;
  let bestV = v[o]!;
  for (let j = 1; j < n; j++) {
    const x = v[o + j]!;
    if (x > bestV) {
      bestV = x;
      best = j;
    }
  }
  return best;
}
