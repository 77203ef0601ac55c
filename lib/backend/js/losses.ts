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
import type { ActivationName, LossName, LossSpec } from '../types';

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
    case 'huber':
      // huber needs its delta: it always runs lossForward.
      throw new Error('densely internal error: huber goes through lossForward');
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
    case 'huber':
      throw new Error('densely internal error: huber goes through lossForward');
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

/**
 * Whether `spec` is one of the five original losses with no option set: those run the
 * functions above, unchanged, when no row weights are given.
 */
export function isPlainLoss(spec: LossSpec): boolean {
  return !spec.fromLogits && spec.labelSmoothing === 0 && spec.name !== 'huber';
}

/** Whether the output gradient is taken w.r.t. z in the fused form (never with `fromLogits` or huber). */
export function isFusedSpec(act: ActivationName, spec: LossSpec): boolean {
  return !spec.fromLogits && isFused(act, spec.name);
}

/** What {@link lossForward} returns: the weighted batch mean, Σ wᵢ and the correct count. */
export interface WeightedLoss {
  loss: number;
  weightSum: number;
  correct: number;
}

/**
 * The general loss pass (mirrored by `loss_forward_ex` in native/core/ops/losses.cc): loss
 * options and per-row weights. Per row r (target row t, output row p, C = outputs) it forms
 * the row loss lᵣ in float64 (element-wise losses: the mean over the row's outputs;
 * cross-entropies: the row's sum), then loss = Σ wᵣ·lᵣ / Σ wᵣ (w ≡ 1 without weights, so
 * Σ w = rows), and when `grad` is given `grad[r, j] = (wᵣ / Σ w)·∂lᵣ/∂p_j` (w.r.t. z when
 * `fused`). Row terms:
 * - mse (p − t)²; mae |p − t|; huber(δ) ½d² for |d| ≤ δ, else δ(|d| − ½δ), gradient d or δ·sign(d).
 * - binaryCrossentropy: as {@link lossValue}; fromLogits: max(z, 0) − z·t + log1p(e^−|z|),
 *   gradient sigmoid(z) − t.
 * - categorical / sparse (t one-hot of the index): smoothed target t′ = (1 − ε)·t + ε/C;
 *   −Σ t′·log clip(p) (gradient −t′/p inside the clip, p − t′ fused); fromLogits:
 *   −Σ t′_j·(z_j − lse(z)) with lse the stable log-sum-exp, gradient (Σ t′)·softmax(z) − t′.
 * - A sparse index outside [0, C) makes the row loss NaN.
 * "correct" is {@link countCorrect}'s, except that with fromLogits and one output the
 * prediction is z > 0.
 */
export function lossForward(
  spec: LossSpec,
  fused: boolean,
  yhat: Float32Array,
  y: Float32Array,
  w: Float32Array | null,
  rows: number,
  outputs: number,
  grad: Float32Array | null,
): WeightedLoss {
  const C = outputs;
  const name = spec.name;
  const sparse = name === 'sparseCategoricalCrossentropy';
  const eps = spec.labelSmoothing;
  const delta = spec.delta;
  const logits = spec.fromLogits;
  let wsum = 0;
  if (w === null) wsum = rows;
  else for (let r = 0; r < rows; r++) wsum += w[r]!;
  const t = new Float64Array(C);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * C;
    const wr = w === null ? 1 : w[r]!;
    const s = wr / wsum;
    let row = 0;
    switch (name) {
      case 'mse':
      case 'mae':
      case 'huber':
      case 'binaryCrossentropy': {
        const sc = s / C;
        for (let j = 0; j < C; j++) {
          const p = yhat[o + j]!;
          const tj = y[o + j]!;
          let e: number;
          let g: number;
          if (name === 'binaryCrossentropy') {
            if (logits) {
              e = (p > 0 ? p : 0) - p * tj + Math.log1p(Math.exp(-Math.abs(p)));
              g = sigmoid(p) - tj;
            } else {
              const pc = clip(p, CLIP_LO, CLIP_HI);
              e = 0;
              if (tj !== 0) e -= tj * Math.log(pc);
              if (tj !== 1) e -= (1 - tj) * Math.log(1 - pc);
              if (fused) g = p - tj;
              else g = p >= CLIP_LO && p <= CLIP_HI ? -tj / pc + (1 - tj) / (1 - pc) : 0;
            }
          } else {
            const d = p - tj;
            if (name === 'mse') {
              e = d * d;
              g = 2 * d;
            } else if (name === 'mae') {
              e = Math.abs(d);
              g = d > 0 ? 1 : d < 0 ? -1 : 0;
            } else {
              const a = Math.abs(d);
              if (a <= delta) {
                e = 0.5 * d * d;
                g = d;
              } else {
                e = delta * (a - 0.5 * delta);
                g = d > 0 ? delta : -delta;
              }
            }
          }
          row += e;
          if (grad !== null) grad[o + j] = g * sc;
        }
        row /= C;
        break;
      }
      case 'categoricalCrossentropy':
      case 'sparseCategoricalCrossentropy': {
        let bad = false;
        if (sparse) {
          const idx = y[r]!;
          bad = !(idx >= 0 && idx < C);
          const k = bad ? -1 : Math.floor(idx);
          for (let j = 0; j < C; j++) t[j] = (1 - eps) * (j === k ? 1 : 0) + eps / C;
        } else {
          for (let j = 0; j < C; j++) t[j] = (1 - eps) * y[o + j]! + eps / C;
        }
        if (logits) {
          let m = yhat[o]!;
          for (let j = 1; j < C; j++) if (yhat[o + j]! > m) m = yhat[o + j]!;
          let se = 0;
          for (let j = 0; j < C; j++) se += Math.exp(yhat[o + j]! - m);
          const lse = m + Math.log(se);
          let tsum = 0;
          for (let j = 0; j < C; j++) {
            row -= t[j]! * (yhat[o + j]! - lse);
            tsum += t[j]!;
          }
          if (grad !== null) {
            for (let j = 0; j < C; j++) grad[o + j] = (tsum * Math.exp(yhat[o + j]! - lse) - t[j]!) * s;
          }
        } else {
          for (let j = 0; j < C; j++) {
            const p = yhat[o + j]!;
            const tj = t[j]!;
            const pc = clip(p, CLIP_LO, 1);
            if (tj !== 0) row -= tj * Math.log(pc);
            if (grad !== null) {
              const g = fused ? p - tj : tj !== 0 && p >= CLIP_LO && p <= 1 ? -tj / pc : 0;
              grad[o + j] = g * s;
            }
          }
        }
        if (bad) row = Number.NaN;
        break;
      }
    }
    total += wr * row;
  }
  let correct: number;
  if (logits && outputs === 1 && !sparse) {
    correct = 0;
    for (let r = 0; r < rows; r++) if (yhat[r]! > 0 === y[r]! > 0.5) correct++;
  } else {
    correct = countCorrect(sparse, yhat, y, rows, outputs);
  }
  return { loss: total / wsum, weightSum: wsum, correct };
}

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}
