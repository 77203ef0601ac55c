// The public option and result types of Network (lib/network.ts re-exports them): what
// the constructor, compile, fit and getWeights take and give.
import type { BackendRequest } from './backend/select';
import type { LossName, OptimizerName } from './backend/types';
import type { Callback } from './callbacks';
import type { Layer } from './layers/dropout';
import type { LossConfig } from './losses';
import type { MetricName } from './metrics';
import type { Optimizer } from './optimizers/index';

/** Options of the {@link Network} constructor. */
export interface NetworkOptions {
  /** Number of input features. */
  inputs: number;
  /** Dense, Dropout, LayerNorm and BatchNorm layers, in order; at least one Dense. */
  layers: Layer[];
  /** `'auto'` (default): native when the addon loads, else js with one warning. */
  backend?: BackendRequest;
  /** uint32 seed of initial weights, shuffling and dropout. Default: random (see `net.seed`). */
  seed?: number;
  /**
   * This network's thread cap on native: an integer in [1, 1024]. Its work is split for
   * min(threads, `setThreads()`'s size) threads, and it borrows at most that many from the
   * process-wide budget that concurrent jobs share (README "Sharing the cores"). Default:
   * no cap. The js backend (one thread) validates it and ignores it.
   */
  threads?: number;
}

/**
 * A metric `compile({ metrics })` reports with the loss: `'accuracy'` is the fraction of
 * rows whose argmax output (first maximum) matches the target's argmax or class index;
 * with one output, ŷ > 0.5 against y > 0.5. `'precision' | 'recall' | 'f1' | 'auc' | 'mae'
 * | 'mse' | 'r2'` are scikit-learn's, over the whole epoch or evaluation set (definitions
 * in lib/metrics.ts).
 */
export type Metric = MetricName;

/** Options of {@link Network.compile}. */
export interface CompileOptions {
  /**
   * The loss to minimise: a name (see {@link LOSSES} for each one's formula) or a
   * {@link LossConfig} with options (`fromLogits`, `labelSmoothing`, `delta`).
   */
  loss: LossName | LossConfig;
  /** An optimizer instance, or a name for that optimizer with its defaults. */
  optimizer: Optimizer | OptimizerName;
  /** Metrics reported in `evaluate`, the epoch logs and the {@link History}. */
  metrics?: Metric[];
}

/** What `onBatchEnd` receives after each training batch. */
export interface BatchLogs {
  /** The batch's mean loss before its step. */
  loss: number;
  /** The batch's accuracy, when compiled with `metrics: ['accuracy']`. */
  accuracy?: number;
  /** Rows in the batch. */
  size: number;
}

/** What `onEpochEnd` receives after each epoch. */
export interface EpochLogs {
  /** Mean training loss over the epoch's rows (each batch's loss before its step). */
  loss: number;
  /** Training accuracy over the epoch, with `metrics: ['accuracy']`. */
  accuracy?: number;
  /** Loss on the validation data at the end of the epoch, when there is some. */
  valLoss?: number;
  /** Validation accuracy, with validation data and `metrics: ['accuracy']`. */
  valAccuracy?: number;
  /** The other compiled metrics over the epoch's training rows (each row's output before its batch's step), and on the validation data. */
  precision?: number;
  recall?: number;
  f1?: number;
  auc?: number;
  mae?: number;
  mse?: number;
  r2?: number;
  valPrecision?: number;
  valRecall?: number;
  valF1?: number;
  valAuc?: number;
  valMae?: number;
  valMse?: number;
  valR2?: number;
  /** The learning rate of the epoch's last update. */
  lr?: number;
}

/**
 * A batch of inputs: a row-major `Float32Array` of rows × inputs values (rows
 * inferred), an array of rows (`number[][]`), or a flat row-major `number[]`.
 */
export type Input = Float32Array | number[][] | number[];
/**
 * Targets, with as many rows as the inputs: the same forms as {@link Input}, or one
 * class index per row (`Int32Array`, `Float32Array` or `number[]`) for
 * `sparseCategoricalCrossentropy`.
 */
export type Targets = Float32Array | Int32Array | number[][] | number[];

export interface FitOptions {
  /** Default 1. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Reshuffle the training rows every epoch (seeded). Default true. */
  shuffle?: boolean;
  /** Fraction in [0, 1) of the rows, taken from the END before shuffling (Keras semantics), held out for validation. */
  validationSplit?: number;
  /**
   * `[x, y]` evaluated at the end of every epoch, or `[x, y, sampleWeight]` for a weighted
   * validation loss (Σ wᵢ·lᵢ / Σ wᵢ; classWeight does not apply to it, as in Keras).
   */
  validationData?: [Input, Targets] | [Input, Targets, Float32Array | number[]];
  /** Called after each epoch (0-based) with its logs; a returned Promise is awaited before the next epoch. */
  onEpochEnd?: (epoch: number, logs: EpochLogs) => void | Promise<void>;
  /** Called after each batch (0-based within the epoch) with its logs. */
  onBatchEnd?: (batch: number, logs: BatchLogs) => void;
  /** Stops training at the next batch boundary; `fit` then resolves with the history so far. */
  signal?: AbortSignal;
  /**
   * Callback objects (see {@link Callback}; built in: `earlyStopping`, `reduceLROnPlateau`,
   * `checkpoint`), called in order, each returned Promise awaited. They run before the
   * `onEpochEnd` option.
   */
  callbacks?: Callback[];
  /**
   * The number of the first epoch trained now, for `History.epochs` and the callbacks.
   * Default: the epochs trained so far (0 after `compile`; a loaded checkpoint's count), so a
   * resumed run counts on. `epochs` is still the number of epochs to train now.
   */
  initialEpoch?: number;
  /**
   * A weight per class (finite, ≥ 0): `outputs` entries, or 2 (classes 0 and 1) with one
   * output. The class of a row is its sparse index, the argmax of its target row, or with
   * one output y > 0.5 → 1. Each row's loss is weighted by its class's weight; alone this
   * is `torch.nn.CrossEntropyLoss(weight=…)`: each batch's loss is Σ wᵢ·lᵢ / Σ wᵢ.
   * With `labelSmoothing` the class weight scales the whole smoothed row loss (PyTorch
   * instead weights each class's share of the smoothing term).
   */
  classWeight?: number[];
  /**
   * A weight per training row (finite, ≥ 0; `Float32Array` or `number[]`), multiplied with
   * the class weight: wᵢ = classWeight[class of row i] · sampleWeight[i], and each batch's
   * loss is Σ wᵢ·lᵢ / Σ wᵢ (lᵢ the row's loss; for element-wise losses the mean over its
   * outputs), its gradient that of this mean. With `validationSplit` the held-out rows keep
   * their sample weights (not the class weights) for `valLoss`. A batch whose weights are
   * all 0 is rejected (a RangeError naming the batch and epoch, thrown before that epoch
   * starts; with `shuffle: false` every epoch's batches are those of the first, so it is
   * caught before any training). The logged `accuracy` stays unweighted (there is no
   * counterpart of Keras' `weighted_metrics`); the epoch's `loss` is the mean of its batches'
   * weighted losses, weighted by their row counts.
   */
  sampleWeight?: Float32Array | number[];
}

/** Options of {@link Network.evaluate}. */
export interface EvaluateOptions {
  /**
   * A weight per row (finite, ≥ 0, not all 0): the loss becomes Σ wᵢ·lᵢ / Σ wᵢ. Accuracy
   * stays unweighted.
   */
  sampleWeight?: Float32Array | number[];
}

/**
 * Options of {@link Network.trainOnBatch} and {@link Network.gradients}: row weights with
 * `fit`'s semantics (lib/weights.ts). Row weight wᵢ = classWeight[class of row i] ·
 * sampleWeight[i] (a missing factor is 1); the batch loss is Σ wᵢ·lᵢ / Σ wᵢ.
 */
export interface BatchWeightOptions {
  /** A weight per row of `x` (finite, ≥ 0). */
  sampleWeight?: Float32Array | number[];
  /** A weight per class (finite, ≥ 0): `outputs` entries, or 2 (classes 0 and 1) with one output. */
  classWeight?: number[];
}

/** What `fit` resolves with: one entry per epoch trained, in order. */
export interface History {
  /** The epoch numbers (0-based). */
  epochs: number[];
  /** Each epoch's mean training loss. */
  loss: number[];
  /** Each epoch's validation loss, when there is validation data. */
  valLoss?: number[];
  /** Each epoch's training accuracy, with `metrics: ['accuracy']`. */
  accuracy?: number[];
  /** Each epoch's validation accuracy, with validation data and `metrics: ['accuracy']`. */
  valAccuracy?: number[];
  /** The learning rate of each epoch's last update. */
  lr?: number[];
  /** Each compiled metric per epoch (see {@link EpochLogs}), and its validation value. */
  precision?: number[];
  recall?: number[];
  f1?: number[];
  auc?: number[];
  mae?: number[];
  mse?: number[];
  r2?: number[];
  valPrecision?: number[];
  valRecall?: number[];
  valF1?: number[];
  valAuc?: number[];
  valMae?: number[];
  valMse?: number[];
  valR2?: number[];
}

/** What `evaluate` returns: the loss (regularizer penalties included) and each compiled metric. */
export interface EvaluateResult {
  loss: number;
  accuracy?: number;
  precision?: number;
  recall?: number;
  f1?: number;
  auc?: number;
  mae?: number;
  mse?: number;
  r2?: number;
}

/** The parameters of one Dense layer, as `getWeights` returns and `setWeights` takes them. */
export interface DenseWeights {
  /** The kernel W, `[inputs × units]` row-major. */
  kernel: Float32Array;
  /** The bias b of length `units`, or null when the layer has `useBias: false`. */
  bias: Float32Array | null;
}

/** A {@link LayerNorm}'s entry of `getWeights()`: γ and β of length `units`, null where switched off. */
export interface LayerNormWeights {
  /** γ, or null with `scale: false`. */
  gamma: Float32Array | null;
  /** β, or null with `center: false`. */
  beta: Float32Array | null;
}

/**
 * A {@link BatchNorm}'s entry of `getWeights()`: γ and β as {@link LayerNormWeights}, and
 * the running statistics (from `gradients()`: null, they have no gradient).
 */
export interface BatchNormWeights extends LayerNormWeights {
  runningMean: Float32Array | null;
  runningVar: Float32Array | null;
}

/**
 * One entry of `getWeights()`/`gradients()`/`setWeights()`, per layer that has weights, in
 * layer order: Dense {@link DenseWeights}, LayerNorm {@link LayerNormWeights} (none when
 * both its parts are off), BatchNorm {@link BatchNormWeights}. Without norm layers every
 * entry is a DenseWeights; `'kernel' in w` tells them apart.
 */
export type LayerWeights = DenseWeights | LayerNormWeights | BatchNormWeights;
