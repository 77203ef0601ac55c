// The public option and result types of Network (lib/network.ts re-exports them): what
// the constructor, compile, fit and getWeights take and give.
import type { BackendRequest } from './backend/select';
import type { LossName, OptimizerName } from './backend/types';
import type { Layer } from './layers/dropout';
import type { Optimizer } from './optimizers/index';

/** Options of the {@link Network} constructor. */
export interface NetworkOptions {
  /** Number of input features. */
  inputs: number;
  /** Dense and Dropout layers, in order; at least one Dense. */
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
 * with one output, ŷ > 0.5 against y > 0.5.
 */
export type Metric = 'accuracy';

/** Options of {@link Network.compile}. */
export interface CompileOptions {
  /** The loss to minimise; see {@link LOSSES} for each one's formula. */
  loss: LossName;
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
  /** `[x, y]` evaluated at the end of every epoch. */
  validationData?: [Input, Targets];
  /** Called after each epoch (0-based) with its logs; a returned Promise is awaited before the next epoch. */
  onEpochEnd?: (epoch: number, logs: EpochLogs) => void | Promise<void>;
  /** Called after each batch (0-based within the epoch) with its logs. */
  onBatchEnd?: (batch: number, logs: BatchLogs) => void;
  /** Stops training at the next batch boundary; `fit` then resolves with the history so far. */
  signal?: AbortSignal;
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
}

/** The parameters of one Dense layer, as `getWeights` returns and `setWeights` takes them. */
export interface LayerWeights {
  /** The kernel W, `[inputs × units]` row-major. */
  kernel: Float32Array;
  /** The bias b of length `units`, or null when the layer has `useBias: false`. */
  bias: Float32Array | null;
}
