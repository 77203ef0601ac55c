import type { LossName, LossSpec } from './backend/types';
import {
  describe,
  expectBoolean,
  expectDistributions,
  expectKnownKeys,
  expectNumber,
  expectOneOf,
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
 * - `'huber'`: mean over rows × outputs of ½d² for |d| ≤ delta, else delta·(|d| − ½delta),
 *   d = ŷ − y (`torch.nn.HuberLoss`, delta default 1; set it with a {@link LossConfig}).
 *
 * A softmax (resp. sigmoid) output with the matching cross-entropy uses the fused,
 * stable gradient (ŷ − y)/rows (resp. (ŷ − y)/(rows × outputs)). Options (`fromLogits`,
 * `labelSmoothing`, `delta`) are given with a {@link LossConfig}; row weights with fit's
 * `classWeight`/`sampleWeight` (then each mean is Σ wᵢ·lᵢ / Σ wᵢ over rows).
 */
export const LOSSES: readonly LossName[] = [
  'mse',
  'mae',
  'binaryCrossentropy',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
  'huber',
];

/** The cross-entropies that take `fromLogits`. */
const LOGIT_LOSSES: readonly LossName[] = [
  'binaryCrossentropy',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
];

/**
 * A loss with options, for `compile({ loss })` (a plain {@link LossName} means the same
 * loss with every option at its default).
 *
 * @example net.compile({ loss: { name: 'categoricalCrossentropy', fromLogits: true, labelSmoothing: 0.1 }, optimizer: 'adam' })
 */
export interface LossConfig {
  /** The loss; see {@link LOSSES}. */
  name: LossName;
  /**
   * The three cross-entropies only (default false): the network's outputs are logits z, not
   * probabilities. binaryCrossentropy is then `torch.nn.BCEWithLogitsLoss`, per element
   * max(z, 0) − z·y + log1p(e^−|z|) (gradient sigmoid(z) − y); categorical/sparse are
   * `torch.nn.CrossEntropyLoss` on the raw outputs, per row −Σ y_j·(z_j − logsumexp(z))
   * (stable; gradient (Σ y)·softmax(z) − y, i.e. softmax(z) − y for a distribution). The
   * means are those of the loss without the option. Any output activation may precede it
   * (usually 'linear'); its derivative is chained. Accuracy: argmax as usual; with one
   * output the prediction is z > 0.
   */
  fromLogits?: boolean;
  /**
   * categoricalCrossentropy and sparseCategoricalCrossentropy only: ε in [0, 1), default 0.
   * Each target row becomes (1 − ε)·y + ε/outputs (PyTorch's
   * `CrossEntropyLoss(label_smoothing=ε)`), with or without `fromLogits`.
   */
  labelSmoothing?: number;
  /** huber only: the threshold δ > 0 where the loss turns from quadratic to linear, default 1. */
  delta?: number;
}

/**
 * Resolves compile's `loss` (a name or a {@link LossConfig}) into the backend's
 * {@link LossSpec}, checking each option against the loss it belongs to.
 */
export function resolveLoss(value: unknown, name = 'loss'): LossSpec {
  if (typeof value === 'string') {
    return { name: expectOneOf(value, LOSSES, name), fromLogits: false, labelSmoothing: 0, delta: 1 };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(
      `a loss name (${LOSSES.map((l) => `'${l}'`).join(', ')}) or an object { name, fromLogits?, labelSmoothing?, delta? }`,
      name,
      describe(value),
    );
  }
  const o = value as Record<string, unknown>;
  expectKnownKeys(o, ['name', 'fromLogits', 'labelSmoothing', 'delta'], name);
  const loss = expectOneOf(o.name, LOSSES, `${name}.name`);
  const spec: LossSpec = { name: loss, fromLogits: false, labelSmoothing: 0, delta: 1 };
  if (o.fromLogits !== undefined) {
    if (!LOGIT_LOSSES.includes(loss)) {
      throw invalid('fromLogits only with a cross-entropy loss', `${name}.fromLogits`, `'${loss}'`);
    }
    spec.fromLogits = expectBoolean(o.fromLogits, `${name}.fromLogits`);
  }
  if (o.labelSmoothing !== undefined) {
    if (loss !== 'categoricalCrossentropy' && loss !== 'sparseCategoricalCrossentropy') {
      throw invalid(
        'labelSmoothing only with categoricalCrossentropy or sparseCategoricalCrossentropy',
        `${name}.labelSmoothing`,
        `'${loss}'`,
      );
    }
    spec.labelSmoothing = expectNumber(o.labelSmoothing, `${name}.labelSmoothing`, {
      min: 0,
      max: 1,
      maxExclusive: true,
    });
  }
  if (o.delta !== undefined) {
    if (loss !== 'huber') throw invalid('delta only with huber', `${name}.delta`, `'${loss}'`);
    spec.delta = expectNumber(o.delta, `${name}.delta`, { min: 0, minExclusive: true });
  }
  return spec;
}

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
