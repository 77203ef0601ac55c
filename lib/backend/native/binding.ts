/**
 * The typed shape of the densely addon's exports (`native/binding/addon.cc`,
 * `native/binding/model.cc`). Only `lib/backend/native/` uses it; everything the rest
 * of the library sees goes through {@link Backend} in `lib/backend/types.ts`.
 *
 * The binding re-checks only lengths that decide a memory access and throws a
 * `TypeError` with `code: 'DENSELY_INTERNAL'` otherwise; while `trainEpoch` runs, every
 * model call but `requestStop` throws an `Error` with `code: 'DENSELY_BUSY'`.
 */

/** One Network in native memory. */
export interface NativeModel {
  /**
   * The live flat parameters (params layout of `lib/backend/types.ts`), over a
   * SharedArrayBuffer: it cannot be detached, so the native pointer into it stays valid.
   * Every read marks the parameters as changed (predict's packed copy of the kernels is
   * redone at its next call): write through a fresh read, never through a reference
   * kept across a predict.
   */
  readonly params: Float32Array;
  /** The live BatchNorm running statistics (`BackendModel.buffers`), over a SharedArrayBuffer like `params`. */
  readonly buffers: Float32Array;
  /** Whether a trainEpoch is running. */
  readonly busy: boolean;
  /** A `WIRE_LOSS` code of `./wire`, and optionally a lossOptions record (`LOSS_OPTIONS`; absent: the defaults). */
  setLoss(code: number, options?: Float64Array): void;
  /** An optimizerSpec record (`OPTIMIZER_SPEC` of `./wire`). */
  setOptimizer(spec: Float64Array): void;
  /**
   * out ← the network's output for x; returns -1. With `check`, x[0 .. rows·inputs) is
   * first scanned for NaN/±Inf: the index of the first one is returned and nothing is computed.
   */
  predict(x: Float32Array, rows: number, out: Float32Array, check?: boolean): number;
  /**
   * Registers two arrays (not overlapping) for predictStaged; held until the model is
   * collected. Views of SharedArrayBuffers are looked up once, here; views of plain
   * ArrayBuffers (which may be detached or resized later) on every predictStaged.
   */
  setStaging(x: Float32Array, out: Float32Array): void;
  /**
   * predict(stagedX[0..xLength), rows, stagedOut[0..outLength)): no typed-array arguments
   * to look up, for one-sample calls. The lengths are those of the caller's arrays.
   */
  predictStaged(rows: number, xLength: number, outLength: number): void;
  /** Returns a lossResult record (`LOSS_RESULT` of `./wire`). `weights`: one per row (the weighted mean). */
  evaluate(x: Float32Array, y: Float32Array, rows: number, weights?: Float32Array): [number, number];
  /** Returns the loss; grads gets the gradient in params layout. */
  gradients(x: Float32Array, y: Float32Array, rows: number, grads: Float32Array, weights?: Float32Array): number;
  /** Returns a lossResult record (`LOSS_RESULT` of `./wire`): the pre-step loss. */
  trainStep(x: Float32Array, y: Float32Array, rows: number, step: number, weights?: Float32Array): [number, number];
  /**
   * Runs the epoch on a worker thread. `onBatches` receives batchReport records
   * (`BATCH_REPORT` of `./wire`), back to back, on the main thread, every one before the
   * promise settles. Resolves an epochResult record (`EPOCH_RESULT`; its status a
   * `WIRE_EPOCH_STATUS` code). x, y and order are read where they lie
   * when they view SharedArrayBuffers, else copied at the call (a plain ArrayBuffer could
   * be detached while the epoch runs). An index outside x rejects before any step.
   * `weights`: one per row of x (pinned or copied like x), the per-row loss weights.
   */
  trainEpoch(
    x: Float32Array,
    y: Float32Array,
    order: Int32Array,
    batchSize: number,
    firstStep: number,
    onBatches?: (packed: Float64Array) => void,
    weights?: Float32Array,
    /** Optional `[samples × outputs]`: each row's pre-step output (EpochJob.outputs). */
    outputs?: Float32Array,
  ): Promise<Float64Array>;
  /** The learning rate of the next steps (finite, ≥ 0); the optimizer's state is kept. */
  setLearningRate(lr: number): void;
  /**
   * Per-batch learning rates (copied; each finite, ≥ 0) of every later trainEpoch: batch b
   * uses rates[b] while b < rates.length. undefined: the installed rate throughout.
   */
  setEpochRates(rates: Float64Array | undefined): void;
  /**
   * Copies the optimizer's two state slots into s1 and s2 (paramCount floats each where the
   * optimizer has that slot, else length 0) and returns its applied step count.
   */
  getOptimizerState(s1: Float32Array, s2: Float32Array): number;
  /** Replaces the step count and the slots (lengths as getOptimizerState). */
  setOptimizerState(step: number, s1: Float32Array, s2: Float32Array): void;
  /** Makes a running trainEpoch stop at the next batch boundary. */
  requestStop(): void;
  /** Frees the native scratch and optimizer state now; the model is unusable after. */
  dispose(): void;
  /** This model's thread cap (0: none, the pool size). */
  setThreads(n: number): void;
  /**
   * predict on a worker thread with its own scratch; x is copied at the call unless it
   * views a SharedArrayBuffer; `out` is written when the promise resolves.
   */
  predictAsync(x: Float32Array, rows: number, out: Float32Array): Promise<void>;
}

export interface NativeBinding {
  /**
   * new Model(spec): spec is a modelSpecHeader record then layerCount layerSpec records
   * (`MODEL_SPEC_HEADER` and `LAYER_SPEC` of `./wire`, generated from
   * `native/binding/wire.json`).
   */
  Model: new (
    spec: Float64Array,
  ) => NativeModel;
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
  /** dst ← src (equal lengths, not overlapping); index of the first element outside [lo, hi] (NaN is outside), or -1. */
  copyInRange(src: Float32Array, dst: Float32Array, lo: number, hi: number): number;
  setThreads(n: number): void;
  getThreads(): number;
  /** 'avx512' | 'avx2' | 'sse2' | 'neon' | 'scalar'. */
  isa(): string;
  /** Live native models in this process and the native bytes they hold (tests of dispose/GC). */
  stats(): { models: number; bytes: number };
  /**
   * The process-wide thread budget (native/core/runtime/thread_pool.h): its size (the
   * pool's), threads counted now, the most counted at once since the last reset, and the
   * jobs running. `resetPeak` restarts the peak from `inUse` after reading it.
   */
  threadBudget(resetPeak?: boolean): { size: number; inUse: number; peak: number; jobs: number };
  /** Version of this binding interface (1). */
  abi: number;
}
