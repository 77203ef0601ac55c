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
 * LayerNorm/BatchNorm layers add γ `[units]` (if `scale`) then β `[units]` (if `center`) at
 * `gammaOffset` / `betaOffset`, in layer order with the Dense layers' parameters.
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
 *
 * The rest are torch.nn.functional's with its default arguments (alpha is not used), and
 * their derivatives at the kinks are the ones PyTorch 1.13's autograd gives:
 * - `elu`: z for z > 0, else e^z − 1 (alpha 1); elu′(0) = 1.
 * - `selu`: λ·(z for z > 0, else α(e^z − 1)), λ = 1.0507009873554805,
 *   α = 1.6732632423543772; selu′(0) = λα ≈ 1.7580993.
 * - `softplus`: log(1 + e^z), and z itself for z > 20 (beta 1, threshold 20);
 *   softplus′ = σ(z) up to z = 20 (σ(20) at 20), 1 above.
 * - `silu`: z·σ(z) (smooth).
 * - `mish`: z·tanh(softplus(z)) (smooth; mish′(0) = 0.6).
 * - `hardSigmoid`: min(max(z + 3, 0), 6)/6; hardSigmoid′ = 1/6 on (−3, 3), 0 at ±3.
 * - `hardSwish`: z·min(max(z + 3, 0), 6)/6; hardSwish′ = z/3 + ½ on [−3, 3] (−½ at −3,
 *   3/2 at 3, as PyTorch's vectorised kernel gives it; its scalar tail loop gives 1 at 3),
 *   0 below, 1 above.
 * - `relu6`: min(max(z, 0), 6); relu6′(0) = relu6′(6) = 0.
 */
export type ActivationName =
  | 'linear'
  | 'relu'
  | 'leakyRelu'
  | 'sigmoid'
  | 'tanh'
  | 'softmax'
  | 'gelu'
  | 'elu'
  | 'selu'
  | 'softplus'
  | 'silu'
  | 'mish'
  | 'hardSigmoid'
  | 'hardSwish'
  | 'relu6';

/** Name of a loss for `compile({ loss })`; each is defined on {@link LOSSES}. */
export type LossName =
  | 'mse'
  | 'mae'
  | 'binaryCrossentropy'
  | 'categoricalCrossentropy'
  | 'sparseCategoricalCrossentropy'
  | 'huber';

/**
 * A loss with its options, resolved by the facade (`lib/losses.ts` `resolveLoss`): `fromLogits`
 * (the three cross-entropies: ŷ is taken as logits, BCEWithLogits / CrossEntropyLoss form),
 * `labelSmoothing` ε in [0, 1) (categorical and sparse CE: target (1 − ε)·y + ε/outputs) and
 * `delta` (huber's threshold; 1 for the other losses, where it is unused).
 */
export interface LossSpec {
  name: LossName;
  fromLogits: boolean;
  labelSmoothing: number;
  delta: number;
}

/**
 * Name of an optimizer for `compile({ optimizer })`, meaning that optimizer with its
 * defaults: {@link SGD}, {@link Adam}, {@link AdamW}, {@link RMSProp}.
 */
export type OptimizerName = 'sgd' | 'adam' | 'adamw' | 'rmsprop';

// The integer codes of activations, losses and optimizers across the native boundary
// are generated from native/binding/wire.json: WIRE_ACTIVATION, WIRE_LOSS and
// WIRE_OPTIMIZER in lib/backend/native/wire.ts (one source of truth).

/** `loss` as a LossSpec: a bare name gets the defaults (no fromLogits, no smoothing, delta 1). */
export function lossSpecOf(loss: LossSpec | LossName): LossSpec {
  return typeof loss === 'string' ? { name: loss, fromLogits: false, labelSmoothing: 0, delta: 1 } : { ...loss };
}

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
  /**
   * Regularizer coefficients (0 = off; absent = 0): kernelL1·Σ|W| + kernelL2·ΣW² +
   * biasL1·Σ|b| + biasL2·Σb² is added to the loss every backend reports (evaluate,
   * gradients, trainStep, trainEpoch), and its gradient l1·sign(w) + 2·l2·w (sign(0) = 0;
   * each coefficient rounded once to float32, added in float32 as `g + (l1·s + (2·l2)·w)`)
   * to the parameter gradient, from the pre-step parameters. Sums accumulate in float64.
   */
  kernelL1?: number;
  kernelL2?: number;
  biasL1?: number;
  biasL2?: number;
}

export interface DropoutSpec {
  kind: 'dropout';
  /** Width of the activations it acts on (= previous layer's width). */
  units: number;
  /** Probability of dropping a unit, in [0, 1). */
  rate: number;
}

/**
 * `torch.nn.LayerNorm(units)` over each row: `y = γ·(x − μ)/√(σ² + ε) + β`, μ and σ² (biased)
 * over the row's `units` values. Formulas and rounding: `native/core/ops/norm.h`.
 */
export interface LayerNormSpec {
  kind: 'layerNorm';
  /** Width in and out (= previous layer's width). */
  units: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  /** Element offset of γ `[units]` in the flat parameters, or -1 when `scale` is false. */
  gammaOffset: number;
  /** Element offset of β `[units]`, or -1 when `center` is false. */
  betaOffset: number;
}

/**
 * `torch.nn.BatchNorm1d(units)`: in training (`trainStep`, `trainEpoch`, `gradients`) each
 * column is normalised by its batch mean and biased variance; in inference (`predict`,
 * `evaluate`) by the running statistics. An applied training step (not `gradients`) sets
 * running ← (1 − momentum)·running + momentum·batch, the batch variance made unbiased
 * (·rows/(rows − 1)).
 */
export interface BatchNormSpec {
  kind: 'batchNorm';
  units: number;
  epsilon: number;
  momentum: number;
  center: boolean;
  scale: boolean;
  gammaOffset: number;
  betaOffset: number;
  /** Element offset in {@link BackendModel.buffers}: running mean `[units]`, then running var `[units]`. */
  statsOffset: number;
}

export type LayerSpec = DenseSpec | DropoutSpec | LayerNormSpec | BatchNormSpec;

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
  /**
   * Gradient clipping (0 = off; absent = 0), applied to the loss gradient (regularizer
   * penalty included) before the rule above, weight decay included: first clipValue
   * clamps each element to [−clipValue, clipValue] (`clip_grad_value_`), then clipNorm
   * scales the whole gradient by clipNorm / (‖g‖₂ + 1e-6) when that is < 1
   * (`clip_grad_norm_`, the norm over every parameter of the clamped gradient). ‖g‖² is a
   * float64 sum in fixed blocks of 16384 elements (element k of a block into accumulator
   * k mod 8, combined ((a0+a1)+(a2+a3))+((a4+a5)+(a6+a7)), blocks added in order): the same
   * bits on every backend, ISA and thread count; the factor is rounded once to float32.
   */
  clipNorm?: number;
  clipValue?: number;
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
  /**
   * Called after each batch with its pre-step loss, correct count and row count. On native it
   * arrives asynchronously on the main thread. On js a returned Promise is awaited before the
   * next batch; native does not wait for it.
   */
  onBatchEnd?: (batch: number, loss: number, correct: number, rows: number) => void | Promise<void>;
  /** Checked between batches; when aborted, the epoch stops at the next batch boundary. */
  signal?: AbortSignal;
  /**
   * Per-row loss weights, one per sample, indexed like x's rows (not like `order`); each
   * batch's loss is Σ wᵢ·lᵢ / Σ wᵢ (see `lib/weights.ts`). Absent: every weight is 1.
   */
  weights?: Float32Array;
  /**
   * When given, `[samples × outputs]`: each trained row's forward output in its training
   * batch (dropout on, before that batch's step) is written at the row's x index (for
   * epoch metrics). Rows of batches not trained are left as they were.
   */
  outputs?: Float32Array;
  /**
   * One learning rate per batch of this epoch, in batch order (each finite, ≥ 0): batch b's
   * step uses `learningRates[b]` in place of the spec's rate, which stays at the last one
   * used afterwards (as after `setLearningRate`). Absent: the current rate for every batch.
   */
  learningRates?: Float64Array;
}

/**
 * An optimizer's state as `getOptimizerState` gives and `setOptimizerState` takes it:
 * the applied steps so far and its slots, each `paramCount` floats in params layout, in the
 * order {@link optimizerSlotNames} names them.
 */
export interface OptimizerState {
  step: number;
  slots: Float32Array[];
}

/**
 * The names of an optimizer's state slots, in the order of {@link OptimizerState.slots}
 * (PyTorch's state keys, camel-cased): sgd `momentumBuffer` (only with momentum ≠ 0);
 * adam and adamw `expAvg`, `expAvgSq`; rmsprop `squareAvg`, then `momentumBuffer` (only
 * with momentum ≠ 0).
 */
export function optimizerSlotNames(opt: OptimizerSpec): string[] {
  switch (opt.kind) {
    case 'sgd':
      return opt.momentum !== 0 ? ['momentumBuffer'] : [];
    case 'adam':
    case 'adamw':
      return ['expAvg', 'expAvgSq'];
    case 'rmsprop':
      return opt.momentum !== 0 ? ['squareAvg', 'momentumBuffer'] : ['squareAvg'];
  }
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
  /**
   * The flat parameters, live: the facade reads and writes them directly (never while a
   * trainEpoch runs). Write only through a fresh read of `params`: on native each read marks
   * the parameters changed, so predict re-packs its cached copy of the kernels.
   */
  readonly params: Float32Array;
  /**
   * Non-trained state, live like `params`: each BatchNorm's running mean then running var
   * at its `statsOffset` (2 × units floats per BatchNorm, tiled in layer order; empty
   * without BatchNorm). `createModel` sets them to mean 0, var 1.
   */
  readonly buffers: Float32Array;
  /** The loss and its options; a bare name means that loss with the defaults ({@link lossSpecOf}). */
  setLoss(loss: LossSpec | LossName): void;
  /** Installs an optimizer and resets its state (moments, step count). */
  setOptimizer(opt: OptimizerSpec): void;
  /** Inference (dropout off): `out` gets `[rows × outputs]`. */
  predict(x: Float32Array, rows: number, out: Float32Array): void;
  /**
   * `predict` after checking x: returns -1, or the index of the first NaN/±Inf of
   * x[0 .. rows × inputs) (then nothing is computed and `out` is untouched). Native scans
   * in C++, where the facade's own JS scan cost ~15% of a 256-row predict.
   */
  predictChecked(x: Float32Array, rows: number, out: Float32Array): number;
  /** Loss and correct count, dropout off, no update. `weights` (one per row): the weighted mean Σ wᵢ·lᵢ / Σ wᵢ. */
  evaluate(x: Float32Array, y: Float32Array, rows: number, weights?: Float32Array): EvalResult;
  /** Gradient of the batch mean loss (dropout off) into `grads` (params layout); returns the loss. */
  gradients(x: Float32Array, y: Float32Array, rows: number, grads: Float32Array, weights?: Float32Array): number;
  /** One training step (dropout on, mask from `step`); returns the pre-step loss and correct count. */
  trainStep(x: Float32Array, y: Float32Array, rows: number, step: number, weights?: Float32Array): EvalResult;
  /** The learning rate of the next steps; the optimizer's state is kept. */
  setLearningRate(lr: number): void;
  /** A copy of the optimizer's state (see {@link OptimizerState}). */
  getOptimizerState(): OptimizerState;
  /** Replaces the optimizer's state (slots as {@link optimizerSlotNames} of the installed spec). */
  setOptimizerState(state: OptimizerState): void;
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
