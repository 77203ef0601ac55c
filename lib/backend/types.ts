/**
 * The seam between the facade (`lib/network.ts`, `lib/layers/`, `lib/optimizers/`,
 * `lib/losses.ts`) and the backends (`lib/backend/js/`, `lib/backend/native/`).
 *
 * Everything here is batched and works on contiguous row-major `Float32Array`s.
 * The facade validates every argument before it calls a backend; a backend may
 * assume well-formed inputs (lengths, finiteness, target distributions) and only
 * re-checks what decides a memory access.
 *
 * ## Parameter layout
 * One flat `Float32Array` holds every parameter of a model: for each Dense layer in
 * order, its kernel `[inputs × units]` row-major, then (if `useBias`) its bias
 * `[units]`. `DenseSpec.kernelOffset` / `biasOffset` give the element offsets.
 * Gradients use the same layout. Optimizer state is private to the backend model,
 * one or two slots per parameter, reset by `setOptimizer`.
 *
 * ## Numerics shared by every backend (the contract the parity tests check)
 * - Dense forward: `Z = A_prev · W + b`, `A = act(Z)`; Dropout: `A = A ⊙ mask / (1 − rate)`
 *   in training only, mask from `dropoutKeep` in `lib/random.ts`.
 * - Losses are the batch means documented on `LOSSES` (lib/losses.ts); loss sums
 *   accumulate in float64.
 * - With a softmax output + categorical/sparse cross-entropy, the output gradient is
 *   `(ŷ − y) / rows`; with a sigmoid output + binaryCrossentropy it is
 *   `(ŷ − y) / (rows × outputs)`; both ignore the clip (the fused, stable form).
 *   Otherwise the loss gradient w.r.t. ŷ is chained through the activation's
 *   derivative (softmax through its Jacobian-vector product). Where a clip is
 *   active in the unfused path, the gradient through the clip is 0 (PyTorch's
 *   clamp rule, inclusive bounds pass).
 * - Derivatives at kinks use 0: relu′(0) = 0, leakyRelu′(0) = alpha, sign(0) = 0 for mae.
 * - gelu is the exact erf form: `0.5·z·(1 + erf(z/√2))`.
 * - "correct" counts rows whose prediction matches the target: argmax over outputs
 *   (first maximum wins) against argmax of the target row or the sparse index; with
 *   one output, `ŷ > 0.5` against `y > 0.5`.
 * - An optimizer step is skipped entirely (no parameter or state change, step count
 *   unchanged) when the batch loss is not finite; the step still reports the loss.
 *   Inside `trainEpoch`, a step whose update overflows a parameter is undone as well.
 * - relu passes NaN through (`z ≤ 0 ? 0 : z`), so a NaN is never silently turned into 0.
 * - The unfused binaryCrossentropy gradient is `(−y/ŷ + (1−y)/(1−ŷ)) / (rows × outputs)`
 *   with ŷ clipped (0 outside the clip).
 */

/**
 * Activation of a {@link Dense} layer, applied element-wise to `z = x·W + b` (softmax
 * row-wise): `linear` z; `relu` max(0, z); `leakyRelu` z for z > 0, else alpha·z;
 * `sigmoid` 1/(1 + e^−z); `tanh`; `softmax` e^z / Σ e^z over each row; `gelu` the exact
 * erf form 0.5·z·(1 + erf(z/√2)). At z = 0 the derivative is the left one, as in PyTorch:
 * relu′(0) = 0, leakyRelu′(0) = alpha.
 */
export type ActivationName = 'linear' | 'relu' | 'leakyRelu' | 'sigmoid' | 'tanh' | 'softmax' | 'gelu';

/** Name of a loss for `compile({ loss })`; each is defined on {@link LOSSES}. */
export type LossName =
  | 'mse'
  | 'mae'
  | 'binaryCrossentropy'
  | 'categoricalCrossentropy'
  | 'sparseCategoricalCrossentropy';

/**
 * Name of an optimizer for `compile({ optimizer })`, meaning that optimizer with its
 * defaults: {@link SGD}, {@link Adam}, {@link AdamW}, {@link RMSProp}.
 */
export type OptimizerName = 'sgd' | 'adam' | 'adamw' | 'rmsprop';

/** Integer codes used across the native boundary. Order is fixed: never reorder. */
export const ACTIVATION_CODES: Readonly<Record<ActivationName, number>> = {
  linear: 0,
  relu: 1,
  leakyRelu: 2,
  sigmoid: 3,
  tanh: 4,
  softmax: 5,
  gelu: 6,
};

export const LOSS_CODES: Readonly<Record<LossName, number>> = {
  mse: 0,
  mae: 1,
  binaryCrossentropy: 2,
  categoricalCrossentropy: 3,
  sparseCategoricalCrossentropy: 4,
};

export const OPTIMIZER_CODES: Readonly<Record<OptimizerName, number>> = {
  sgd: 0,
  adam: 1,
  adamw: 2,
  rmsprop: 3,
};

export interface DenseSpec {
  kind: 'dense';
  inputs: number;
  units: number;
  activation: ActivationName;
  /** leakyRelu slope (ignored by other activations). */
  alpha: number;
  useBias: boolean;
  /** Element offset of the kernel `[inputs × units]` in the flat parameter array. */
  kernelOffset: number;
  /** Element offset of the bias `[units]`, or -1 when `useBias` is false. */
  biasOffset: number;
}

export interface DropoutSpec {
  kind: 'dropout';
  /** Width of the activations it acts on (= previous layer's width). */
  units: number;
  /** Probability of dropping a unit, in [0, 1). */
  rate: number;
}

export type LayerSpec = DenseSpec | DropoutSpec;

export interface ModelSpec {
  inputs: number;
  outputs: number;
  layers: LayerSpec[];
  /** Total number of float32 parameters. */
  paramCount: number;
  /** The network seed (uint32); dropout masks derive from it (see `lib/random.ts`). */
  seed: number;
}

/**
 * Every hyper-parameter of every optimizer, resolved by the facade (defaults are
 * constants in `lib/optimizers/`, never chosen by a backend). The update rules
 * (PyTorch's) are stated once, in the TSDoc of the facade's classes: `SGD`
 * (lib/optimizers/sgd.ts), `Adam` and `AdamW` (lib/optimizers/adam.ts), `RMSProp`
 * (lib/optimizers/rmsprop.ts).
 */
export interface OptimizerSpec {
  kind: OptimizerName;
  learningRate: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  rho: number;
}

/** Targets as the backend sees them: for sparse CE, one class index per row stored as float. */
export interface EvalResult {
  /** Mean loss over the batch (float64 accumulation). */
  loss: number;
  /** Rows whose prediction matches the target (see "correct" above). */
  correct: number;
}

/** One epoch of mini-batch training, run by the backend (js: batches on the main thread with yields; native: a worker thread). */
export interface EpochJob {
  /** All training rows, row-major `[samples × inputs]`; the backend may pin it until the promise settles. */
  x: Float32Array;
  /** All training targets, `[samples × outputs]` or `[samples]` (sparse). */
  y: Float32Array;
  /** Sample order for this epoch (indices into x/y rows); batches are consecutive slices of it. */
  order: Int32Array;
  batchSize: number;
  /** Global step number of this epoch's first batch (for dropout masks: step seed = dropoutStepSeed(spec.seed, firstStep + b)). */
  firstStep: number;
  /** Called after each batch with its pre-step loss, correct count and row count. On native it arrives asynchronously on the main thread. */
  onBatchEnd?: (batch: number, loss: number, correct: number, rows: number) => void;
  /** Checked between batches; when aborted, the epoch stops at the next batch boundary. */
  signal?: AbortSignal;
}

export interface EpochResult {
  /** Batches whose step was applied. */
  batches: number;
  /** Σ over applied batches of (batch loss × batch rows). */
  lossSum: number;
  correct: number;
  /** Rows of the applied batches. */
  samples: number;
  /**
   * 'done', 'aborted' (signal), or 'nonfinite': batch `failedBatch` had a non-finite loss
   * (its step was skipped), or its update made a parameter non-finite (that step was undone:
   * parameters and optimizer state restored from a pre-step copy); the epoch stopped there,
   * so the parameters are always the last all-finite ones.
   */
  status: 'done' | 'aborted' | 'nonfinite';
  failedBatch: number;
}

export interface BackendModel {
  /** The flat parameters, live: the facade reads and writes them directly (never while a trainEpoch runs). */
  readonly params: Float32Array;
  setLoss(loss: LossName): void;
  /** Installs an optimizer and resets its state (moments, step count). */
  setOptimizer(opt: OptimizerSpec): void;
  /** Inference (dropout off): `out` gets `[rows × outputs]`. */
  predict(x: Float32Array, rows: number, out: Float32Array): void;
  /** Loss and correct count, dropout off, no update. */
  evaluate(x: Float32Array, y: Float32Array, rows: number): EvalResult;
  /** Gradient of the batch mean loss (dropout off) into `grads` (params layout); returns the loss. */
  gradients(x: Float32Array, y: Float32Array, rows: number, grads: Float32Array): number;
  /** One training step (dropout on, mask from `step`); returns the pre-step loss and correct count. */
  trainStep(x: Float32Array, y: Float32Array, rows: number, step: number): EvalResult;
  /** A whole epoch; see EpochJob. The model must not be touched by the caller until it settles. */
  trainEpoch(job: EpochJob): Promise<EpochResult>;
  /** Releases native memory early (GC does it otherwise). */
  dispose(): void;
  /**
   * This model's thread cap (an integer ≥ 1; 0 lifts it): its jobs split their work for
   * min(n, the process-wide pool size) threads and borrow at most that many from the
   * shared budget. Native only; the js backend (one thread) ignores it.
   */
  setThreads(n: number): void;
  /**
   * `predict` off the calling thread on native (a worker thread), in chunks with yields
   * on js; `out` holds `predict`'s numbers when the promise resolves.
   * The caller must not write the parameters (`trainStep`, `trainEpoch`, `params.set`)
   * until it settles; `predict`, `evaluate` and other `predictAsync` calls may run meanwhile.
   */
  predictAsync(x: Float32Array, rows: number, out: Float32Array): Promise<void>;
}

/** A backend's name: the pure-JS one or the native addon. */
export type BackendName = 'js' | 'native';

export interface Backend {
  readonly name: BackendName;
  /** Kernel set in use: 'avx512' | 'avx2' | 'sse2' | 'neon' | 'scalar' | 'js'. */
  readonly isa: string;
  createModel(spec: ModelSpec): BackendModel;
  /** Row-major BLAS sgemm: C ← alpha·op(A)·op(B) + beta·C; beta = 0 ⇒ C is never read. Arguments already validated. */
  sgemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    lda: number,
    b: Float32Array,
    ldb: number,
    beta: number,
    c: Float32Array,
    ldc: number,
  ): void;
  /**
   * dst ← src (equal lengths, no overlap), returning the index of the first element
   * outside [lo, hi] (NaN counts as outside), or -1; dst is unspecified past a hit.
   * fit's copy of its training data and the finiteness check, in one pass over memory.
   */
  copyInRange(src: Float32Array, dst: Float32Array, lo: number, hi: number): number;
  setThreads(n: number): void;
  getThreads(): number;
}
