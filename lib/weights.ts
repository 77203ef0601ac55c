/**
 * Row weights of `fit(…, { classWeight, sampleWeight })` and `evaluate(…, { sampleWeight })`:
 * their checks, the per-row weight wᵢ = classWeight[class of row i] · sampleWeight[i], and
 * the check that no batch's weights sum to 0.
 *
 * The weights reach the backends as one Float32Array, one weight per row of x (indexed
 * like x, not like the epoch's order); there each batch's loss is Σ wᵢ·lᵢ / Σ wᵢ and its
 * gradient that of this weighted mean, applied inside the loss kernel (js:
 * `lib/backend/js/losses.ts` lossForward, native: `loss_forward_ex` in
 * native/core/ops/losses.cc).
 *
 * The class of a row: the index for sparseCategoricalCrossentropy; the argmax (first
 * maximum) of the target row with several outputs; with one output, class 1 when y > 0.5,
 * else class 0 (so `classWeight` then has 2 entries).
 *
 * Weights are stored as float32; a positive weight below the smallest normal float32
 * (2^−126) is stored as 0, as the native core's flush-to-zero mode would read it, so both
 * backends see the same weights.
 */
import type { LossName } from './backend/types';
import { describe, FLT_MAX, invalid, isNumberArray } from './validate';

/** The smallest normal float32, 2^−126: smaller weights are stored as 0. */
const FLT_MIN = 1.1754943508222875e-38;

/** Number of classes `classWeight` has entries for: `outputs`, or 2 with one output. */
export function classCount(outputs: number): number {
  return outputs === 1 ? 2 : outputs;
}

/**
 * Checks `classWeight`: an array of finite, non-negative numbers, one per class
 * ({@link classCount}). Returns a copy.
 */
export function toClassWeight(value: unknown, name: string, outputs: number): number[] {
  const classes = classCount(outputs);
  if (!isNumberArray(value) && !(value instanceof Float32Array) && !(value instanceof Float64Array)) {
    throw invalid(`an array of ${classes} class weights`, name, describe(value));
  }
  const arr = Array.from(value as ArrayLike<number>);
  if (arr.length !== classes) {
    throw invalid(
      `${classes} class weights (one per class${outputs === 1 ? ': 0 and 1 for one output' : ''})`,
      name,
      `${arr.length}`,
      'range',
    );
  }
  for (let i = 0; i < arr.length; i++) expectWeight(arr[i], `${name}[${i}]`);
  return arr;
}

/**
 * Checks a `sampleWeight`: a Float32Array or number[] of `rows` finite, non-negative
 * numbers. Returns it as a Float32Array (a copy; weights below 2^−126 become 0).
 */
export function toSampleWeight(value: unknown, name: string, rows: number): Float32Array {
  if (!(value instanceof Float32Array) && !isNumberArray(value)) {
    throw invalid(`a Float32Array of ${rows} sample weights`, name, describe(value));
  }
  const arr = value as ArrayLike<number>;
  if (arr.length !== rows) throw invalid(`${rows} sample weights (one per row of x)`, name, `${arr.length}`, 'range');
  const out = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    const v = expectWeight(arr[i], `${name}[${i}]`);
    out[i] = v < FLT_MIN ? 0 : v;
  }
  return out;
}

function expectWeight(v: unknown, name: string): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= FLT_MAX)) {
    throw invalid(
      'a finite, non-negative weight (≤ 3.4028234663852886e38)',
      name,
      describe(v),
      typeof v === 'number' ? 'range' : 'type',
    );
  }
  return v;
}

/** The class of target row `r` (see the file comment). `y` holds the backend's targets. */
export function rowClass(loss: LossName, y: Float32Array, r: number, outputs: number): number {
  if (loss === 'sparseCategoricalCrossentropy') return y[r]! | 0;
  if (outputs === 1) return y[r]! > 0.5 ? 1 : 0;
  const o = r * outputs;
  let best = 0;
  for (let j = 1; j < outputs; j++) if (y[o + j]! > y[o + best]!) best = j;
  return best;
}

/**
 * The row weights wᵢ = classWeight[class of row i] · sampleWeight[i] (a missing factor is
 * 1), computed in float64 and stored as float32, or null when both are absent. `shared`
 * puts them on a SharedArrayBuffer (fit's staged copy, which native trains from in place).
 * @throws RangeError when a product overflows float32.
 */
export function rowWeights(
  loss: LossName,
  y: Float32Array,
  rows: number,
  outputs: number,
  classWeight: readonly number[] | null,
  sampleWeight: Float32Array | null,
  shared = false,
): Float32Array | null {
  if (classWeight === null && sampleWeight === null) return null;
  const w = shared ? new Float32Array(new SharedArrayBuffer(4 * rows)) : new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    const c = classWeight === null ? 1 : classWeight[rowClass(loss, y, i, outputs)]!;
    const s = sampleWeight === null ? 1 : sampleWeight[i]!;
    const v = c * s;
    if (!(v <= FLT_MAX)) {
      throw invalid('class weight × sample weight within float32', 'sampleWeight', `${v} for row ${i}`, 'range');
    }
    w[i] = v < FLT_MIN ? 0 : v;
  }
  return w;
}

/**
 * The first batch (consecutive slices of `batchSize` rows of `order`) whose weights are
 * all 0, so that Σ wᵢ = 0 and its weighted mean is undefined; -1 when there is none.
 */
export function zeroWeightBatch(w: Float32Array, order: Int32Array, batchSize: number): number {
  for (let b = 0, start = 0; start < order.length; b++, start += batchSize) {
    const end = Math.min(order.length, start + batchSize);
    let any = false;
    for (let i = start; i < end && !any; i++) any = w[order[i]!]! > 0;
    if (!any) return b;
  }
  return -1;
}

/** Whether some weight is positive (Σ wᵢ > 0). */
export function hasPositiveWeight(w: Float32Array): boolean {
  for (let i = 0; i < w.length; i++) if (w[i]! > 0) return true;
  return false;
}
