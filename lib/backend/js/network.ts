/**
 * The js backend's {@link BackendModel}, mirroring the native `Network`
 * (`native/core/network/network.cc`): forward, backward and optimizer steps of a stack of
 * Dense and Dropout layers on one flat Float32Array of parameters (layout in
 * `lib/backend/types.ts`).
 *
 * - Dense forward and the backward products dW, db, dA_prev: `dense.ts`. Backward first
 *   forms `dZ ← act′ ⊙ dA` (or the fused output gradient); `dA_prev` is skipped below the
 *   first Dense layer, where no parameter needs it.
 * - Dropout is active in `trainStep`/`trainEpoch` only (see `dropout.ts`); elsewhere it is
 *   the identity.
 * - Scratch (activations, masks, gradient ping-pong, the gathered batch) is sized for the
 *   largest row count seen so far and grown only when a larger batch arrives; `predict`
 *   and `evaluate` run in chunks of at most {@link PREDICT_CHUNK} rows so inference never
 *   grows it beyond that (evaluate's loss over several chunks is
 *   `Σ_c mean_c · rows_c / rows` in float64).
 * - Single-threaded and synchronous except `trainEpoch`, which yields to the event loop
 *   between batches whenever ≥ {@link YIELD_MS} ms passed since the last yield.
 * - `trainEpoch` stops with status 'nonfinite' at batch b when b's loss is not finite (no
 *   update) or when b's update made a parameter non-finite (the update, optimizer state
 *   included, is undone from a copy taken before the step), so the parameters after a
 *   'nonfinite' epoch are always those of the last finite step. `trainStep` alone makes
 *   only the first check (the facade's `trainOnBatch` reports what happened).
 *   `onBatchEnd` is called for applied batches only (not for the failing one).
 */
import type {
  BackendModel,
  DenseSpec,
  EpochJob,
  EpochResult,
  EvalResult,
  LossName,
  ModelSpec,
  OptimizerSpec,
} from '../types';
import { activationBackward } from './activations';
import { denseBackward, denseForward } from './dense';
import { dropoutBackward, dropoutForward } from './dropout';
import { countCorrect, fusedGradient, isFused, lossGradient, lossValue } from './losses';
import {
  createBackup,
  createOptimizer,
  type OptimizerBackup,
  type OptimizerState,
  optimizerStep,
  restoreOptimizer,
  saveOptimizer,
} from './optimizers';

/** Rows per forward pass in `predict`/`evaluate` (rows are independent, so predictions do not change by a bit). */
export const PREDICT_CHUNK = 1024;
/** Longest stretch `trainEpoch` runs batches without yielding to the event loop. */
export const YIELD_MS = 1;

const EMPTY = new Float32Array(0);

interface LayerRt {
  /** Index in `ModelSpec.layers` (the dropout layer id). */
  index: number;
  dense: DenseSpec | null;
  rate: number;
  units: number;
  /** Dense: pre-activation; dropout: the mask factors. */
  z: Float32Array;
  /** Output of the layer in training (aliases `z` for a linear Dense layer). */
  a: Float32Array;
  /** Whether some Dense layer precedes this one (so its input gradient is needed). */
  needsInputGrad: boolean;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class JsNetwork implements BackendModel {
  readonly params: Float32Array;
  readonly #spec: ModelSpec;
  readonly #layers: LayerRt[];
  readonly #maxWidth: number;
  readonly #grads: Float32Array;
  #loss: LossName = 'mse';
  #opt: OptimizerState | null = null;
  #capRows = 0;
  #g0: Float32Array = EMPTY;
  #g1: Float32Array = EMPTY;
  #xBatch: Float32Array = EMPTY;
  #yBatch: Float32Array = EMPTY;
  #biasSum: Float64Array;
  /** Whether the last applied optimizer step left every parameter finite. */
  #paramsFinite = true;
  /** Parameters and optimizer state before the current `trainEpoch` step (allocated on first use). */
  #backup: Float32Array = EMPTY;
  #optBackup: OptimizerBackup | null = null;

  constructor(spec: ModelSpec) {
    this.#spec = spec;
    this.params = new Float32Array(spec.paramCount);
    this.#grads = new Float32Array(spec.paramCount);
    let maxWidth = spec.inputs;
    let seenDense = false;
    this.#layers = spec.layers.map((l, index) => {
      maxWidth = Math.max(maxWidth, l.units);
      const rt: LayerRt = {
        index,
        dense: l.kind === 'dense' ? l : null,
        rate: l.kind === 'dropout' ? l.rate : 0,
        units: l.units,
        z: EMPTY,
        a: EMPTY,
        needsInputGrad: seenDense,
      };
      if (l.kind === 'dense') seenDense = true;
      return rt;
    });
    this.#maxWidth = maxWidth;
    this.#biasSum = new Float64Array(maxWidth);
  }

  setLoss(loss: LossName): void {
    this.#loss = loss;
  }

  setOptimizer(opt: OptimizerSpec): void {
    this.#opt = createOptimizer(opt, this.params.length);
    this.#optBackup = null;
  }

  predict(x: Float32Array, rows: number, out: Float32Array): void {
    const { inputs, outputs } = this.#spec;
    for (let r0 = 0; r0 < rows; r0 += PREDICT_CHUNK) {
      const n = Math.min(PREDICT_CHUNK, rows - r0);
      const xs = r0 === 0 && n === rows ? x : x.subarray(r0 * inputs, (r0 + n) * inputs);
      const yhat = this.#forward(xs, n, false, 0);
      out.set(yhat.subarray(0, n * outputs), r0 * outputs);
    }
  }

  evaluate(x: Float32Array, y: Float32Array, rows: number): EvalResult {
    if (rows <= PREDICT_CHUNK) return this.#score(this.#forward(x, rows, false, 0), y, rows);
    // Chunked like predict: loss = Σ_chunks mean_c · rows_c / rows (float64).
    const { inputs, outputs } = this.#spec;
    const yWidth = this.#loss === 'sparseCategoricalCrossentropy' ? 1 : outputs;
    let lossSum = 0;
    let correct = 0;
    for (let r0 = 0; r0 < rows; r0 += PREDICT_CHUNK) {
      const n = Math.min(PREDICT_CHUNK, rows - r0);
      const yhat = this.#forward(x.subarray(r0 * inputs, (r0 + n) * inputs), n, false, 0);
      const part = this.#score(yhat, y.subarray(r0 * yWidth, (r0 + n) * yWidth), n);
      lossSum += part.loss * n;
      correct += part.correct;
    }
    return { loss: lossSum / rows, correct };
  }

  gradients(x: Float32Array, y: Float32Array, rows: number, grads: Float32Array): number {
    const yhat = this.#forward(x, rows, false, 0);
    const loss = lossValue(this.#loss, yhat, y, rows, this.#spec.outputs);
    this.#backward(x, y, rows, false, grads);
    return loss;
  }

  trainStep(x: Float32Array, y: Float32Array, rows: number, step: number): EvalResult {
    const yhat = this.#forward(x, rows, true, step);
    const result = this.#score(yhat, y, rows);
    if (!Number.isFinite(result.loss)) return result;
    this.#backward(x, y, rows, true, this.#grads);
    this.#paramsFinite = this.#opt === null || optimizerStep(this.#opt, this.params, this.#grads);
    return result;
  }

  async trainEpoch(job: EpochJob): Promise<EpochResult> {
    const { inputs, outputs } = this.#spec;
    const { x, y, order, signal, onBatchEnd } = job;
    // The facade validates batchSize ≥ 1; the floor only guards the loop against a hang.
    const batchSize = Math.max(1, Math.floor(job.batchSize));
    const yWidth = this.#loss === 'sparseCategoricalCrossentropy' ? 1 : outputs;
    const total = order.length;
    const result: EpochResult = { batches: 0, lossSum: 0, correct: 0, samples: 0, status: 'done', failedBatch: -1 };
    this.#ensureRows(Math.min(batchSize, total));
    if (this.#backup.length !== this.params.length) this.#backup = new Float32Array(this.params.length);
    const opt = this.#opt;
    if (opt !== null && this.#optBackup === null) this.#optBackup = createBackup(opt);
    const optBackup = this.#optBackup;
    let lastYield = performance.now();
    for (let b = 0, start = 0; start < total; b++, start += batchSize) {
      if (signal?.aborted) {
        result.status = 'aborted';
        break;
      }
      const rows = Math.min(batchSize, total - start);
      const xb = this.#xBatch;
      const yb = this.#yBatch;
      for (let r = 0; r < rows; r++) {
        const src = order[start + r]!;
        copyRow(x, src * inputs, xb, r * inputs, inputs);
        copyRow(y, src * yWidth, yb, r * yWidth, yWidth);
      }
      this.#backup.set(this.params);
      if (opt !== null && optBackup !== null) saveOptimizer(opt, optBackup);
      const step = this.trainStep(xb, yb, rows, job.firstStep + b);
      const overflowed = Number.isFinite(step.loss) && !this.#paramsFinite;
      if (overflowed) {
        // The loss was finite but the update overflowed a parameter: undo the step.
        this.params.set(this.#backup);
        if (opt !== null && optBackup !== null) restoreOptimizer(opt, optBackup);
      }
      if (!Number.isFinite(step.loss) || overflowed) {
        result.status = 'nonfinite';
        result.failedBatch = b;
        break;
      }
      result.batches++;
      result.lossSum += step.loss * rows;
      result.correct += step.correct;
      result.samples += rows;
      onBatchEnd?.(b, step.loss, step.correct, rows);
      if (performance.now() - lastYield >= YIELD_MS) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
    return result;
  }

  dispose(): void {
    this.#capRows = 0;
    for (const l of this.#layers) {
      l.z = EMPTY;
      l.a = EMPTY;
    }
    this.#g0 = this.#g1 = this.#xBatch = this.#yBatch = this.#backup = EMPTY;
    this.#optBackup = null;
    this.#opt = null;
  }

  /** Ignored: the js backend runs on the calling thread (the facade validates `n`). */
  setThreads(_n: number): void {}

  /**
   * `predict` in chunks of {@link PREDICT_CHUNK} rows (predict's own chunks, so the same
   * numbers), yielding to the event loop whenever ≥ {@link YIELD_MS} ms passed since the
   * last yield. Input of more than one chunk is copied first: the caller may change `x`
   * while this waits. Each chunk runs synchronously, so a `predict` between chunks (which
   * reuses the scratch) cannot interleave with one.
   */
  async predictAsync(x: Float32Array, rows: number, out: Float32Array): Promise<void> {
    const { inputs, outputs } = this.#spec;
    if (rows <= PREDICT_CHUNK) {
      this.predict(x, rows, out);
      return;
    }
    const xs = x.slice(0, rows * inputs);
    let lastYield = performance.now();
    for (let r0 = 0; r0 < rows; r0 += PREDICT_CHUNK) {
      const n = Math.min(PREDICT_CHUNK, rows - r0);
      this.predict(xs.subarray(r0 * inputs, (r0 + n) * inputs), n, out.subarray(r0 * outputs, (r0 + n) * outputs));
      if (r0 + n < rows && performance.now() - lastYield >= YIELD_MS) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
  }

  #score(yhat: Float32Array, y: Float32Array, rows: number): EvalResult {
    const outputs = this.#spec.outputs;
    return {
      loss: lossValue(this.#loss, yhat, y, rows, outputs),
      correct: countCorrect(this.#loss === 'sparseCategoricalCrossentropy', yhat, y, rows, outputs),
    };
  }

  /** Grows every per-row buffer to hold `rows` rows (never shrinks). */
  #ensureRows(rows: number): void {
    if (rows <= this.#capRows) return;
    const cap = rows;
    for (const l of this.#layers) {
      const size = cap * l.units;
      if (l.dense !== null) {
        l.z = new Float32Array(size);
        l.a = l.dense.activation === 'linear' ? l.z : new Float32Array(size);
      } else {
        l.z = new Float32Array(size);
        l.a = new Float32Array(size);
      }
    }
    this.#g0 = new Float32Array(cap * this.#maxWidth);
    this.#g1 = new Float32Array(cap * this.#maxWidth);
    this.#xBatch = new Float32Array(cap * this.#spec.inputs);
    this.#yBatch = new Float32Array(cap * this.#spec.outputs);
    this.#capRows = cap;
  }

  /** Runs the layers; returns the buffer whose first `rows × outputs` elements are ŷ. */
  #forward(x: Float32Array, rows: number, training: boolean, step: number): Float32Array {
    this.#ensureRows(rows);
    let input = x;
    for (const l of this.#layers) {
      const d = l.dense;
      if (d === null) {
        if (training && l.rate > 0) {
          dropoutForward(input, l.a, l.z, rows, l.units, l.rate, this.#spec.seed, step, l.index);
          input = l.a;
        }
        continue;
      }
      denseForward(d, this.params, input, rows, l.z, l.a);
      input = l.a;
    }
    return input;
  }

  /**
   * Gradient of the batch mean loss w.r.t. every parameter into `grads`, from the buffers of
   * the preceding `#forward(x, rows, training, …)`.
   */
  #backward(x: Float32Array, y: Float32Array, rows: number, training: boolean, grads: Float32Array): void {
    const layers = this.#layers;
    const outputs = this.#spec.outputs;
    const p = this.params;
    const last = layers.length - 1;
    if (last < 0) return;
    const lastDense = layers[last]!.dense;
    let g = this.#g0;
    let gNext = this.#g1;
    const yhat = this.#outputOf(last, x, training);
    const fused = lastDense !== null && isFused(lastDense.activation, this.#loss);
    if (fused) fusedGradient(this.#loss, yhat, y, rows, outputs, g);
    else lossGradient(this.#loss, yhat, y, rows, outputs, g);

    for (let i = last; i >= 0; i--) {
      const l = layers[i]!;
      const d = l.dense;
      if (d === null) {
        if (training && l.rate > 0) dropoutBackward(g, l.z, g, rows * l.units);
        continue;
      }
      if (!(fused && i === last)) activationBackward(d.activation, d.alpha, l.z, l.a, g, g, rows, d.units);
      const aPrev = this.#outputOf(i - 1, x, training);
      denseBackward(d, p, aPrev, g, rows, grads, l.needsInputGrad ? gNext : null, this.#biasSum);
      if (l.needsInputGrad) {
        const t = g;
        g = gNext;
        gNext = t;
      }
    }
  }

  /** The output buffer of layer `i` (−1: the input) as the last forward pass left it. */
  #outputOf(i: number, x: Float32Array, training: boolean): Float32Array {
    for (; i >= 0; i--) {
      const l = this.#layers[i]!;
      if (l.dense !== null || (training && l.rate > 0)) return l.a;
    }
    return x;
  }
}

function copyRow(src: Float32Array, so: number, dst: Float32Array, d: number, n: number): void {
  for (let j = 0; j < n; j++) dst[d + j] = src[so + j]!;
}
