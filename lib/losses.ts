import type { LossName } from './backend/types';
import {
  expectDistributions,
  expectTargetShape,
  expectUnitInterval,
  invalid,
  toClassIndices,
  toMatrix,
} from './validate';

/**
 * The losses of `compile({ loss })`. Each is the mean over the batch and its gradient
 * is that of the mean:
 * - `'mse'`: mean over rows × outputs of (ŷ − y)².
 * - `'mae'`: mean over rows × outputs of |ŷ − y|; gradient sign(ŷ − y), 0 at 0.
 * - `'binaryCrossentropy'`: mean over rows × outputs of −[y·log ŷ + (1−y)·log(1−ŷ)], ŷ clipped to [1e-7, 1 − 1e-7]; targets in [0, 1].
 * - `'categoricalCrossentropy'`: mean over rows of −Σ y·log ŷ, ŷ clipped to [1e-7, 1]; each target row must
 *   be a distribution (non-negative, summing to 1 within 1e-3), else the call is rejected.
 * - `'sparseCategoricalCrossentropy'`: the same with one class index per row.
 *
 * A softmax (resp. sigmoid) output with the matching cross-entropy uses the fused,
 * stable gradient (ŷ − y)/rows (resp. (ŷ − y)/(rows × outputs)).
 */
export const LOSSES: readonly LossName[] = [
  'mse',
  'mae',
  'binaryCrossentropy',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
];

/**
 * Validates and converts targets for `loss`; `rows` is the row count of x. With `copy`
 * false a Float32Array argument may come back as itself (never written); sparse indices
 * are always converted into a new array.
 */
export function toTargets(
  value: unknown,
  name: string,
  loss: LossName,
  rows: number,
  outputs: number,
  copy: boolean,
): Float32Array {
  if (loss === 'sparseCategoricalCrossentropy') {
    const y = toClassIndices(value, name, outputs);
    if (y.length !== rows) throw invalid(`${rows} class indices (one per row of x)`, name, `${y.length}`, 'range');
    return y;
  }
  const y = toMatrix(value, name, outputs, copy);
  expectTargetShape(y.rows, y.cols, rows, outputs, name);
  if (loss === 'categoricalCrossentropy') expectDistributions(y, name);
  else if (loss === 'binaryCrossentropy') expectUnitInterval(y, name);
  return y.data;
}
