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
 * - LayerNorm/BatchNorm: `norm.ts`. BatchNorm uses the batch statistics in `trainStep`,
 *   `trainEpoch` and `gradients`, the running statistics (`buffers`) in `predict` and
 *   `evaluate`; only an applied step moves the running statistics (a step undone in
 *   `trainEpoch` restores them with the parameters).
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

import { hasPenalty, layerPenaltyGrad, modelPenalty } from '../../regularizers';
import { FLT_MAX, findOutside } from '../../validate';
import type {
  BackendModel,
  BatchNormSpec,
  DenseSpec,
  EpochJob,
  EpochResult,
  EvalResult,
  LayerNormSpec,
  LossName,
  LossSpec,
  ModelSpec,
  OptimizerSpec,
  OptimizerState as SlotState,
} from '../types';
import { lossSpecOf } from '../types';
import { activationBackward } from './activations';
import { clipNormScale, clipSumSquares } from './clip';
import { denseBackward, denseForward } from './dense';
import { dropoutBackward, dropoutForward } from './dropout';
import {
  countCorrect,
  fusedGradient,
  isFusedSpec,
  isPlainLoss,
  lossForward,
  lossGradient,
  lossValue,
  type WeightedLoss,
} from './losses';
import {
  batchNormBackward,
  batchNormInferForward,
  batchNormTrainForward,
  batchNormUpdateRunning,
  layerNormBackward,
  layerNormForward,
} from './norm';
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
const EMPTY64 = new Float64Array(0);

interface LayerRt {
  /** Index in `ModelSpec.layers` (the dropout layer id). */
  index: number;
  dense: DenseSpec | null;
  /** LayerNorm/BatchNorm spec, or null. */
  norm: LayerNormSpec | BatchNormSpec | null;
  rate: number;
  units: number;
  /** Dense: pre-activation; dropout: the mask factors; norm: x̂ (training). */
  z: Float32Array;
  /** LayerNorm: rstd per row; BatchNorm: μ, σ², rstd per column (training). */
  stats: Float64Array;
  /** Output of the layer in training (aliases `z` for a linear Dense layer). */
  a: Float32Array;
  /** Whether some layer with parameters precedes this one (so its input gradient is needed). */
  needsInputGrad: boolean;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class JsNetwork implements BackendModel {
  readonly params: Float32Array;
  readonly buffers: Float32Array;
  readonly #spec: ModelSpec;
  readonly #layers: LayerRt[];
  readonly #maxWidth: number;
  readonly #grads: Float32Array;
  #loss: LossSpec = { name: 'mse', fromLogits: false, labelSmoothing: 0, delta: 1 };
  #opt: OptimizerState | null = null;
  #capRows = 0;
  #g0: Float32Array = EMPTY;
  #g1: Float32Array = EMPTY;
  #xBatch: Float32Array = EMPTY;
  #yBatch: Float32Array = EMPTY;
  #wBatch: Float32Array = EMPTY;
  #biasSum: Float64Array;
  /** Norm scratch: 3 × the widest layer. */
  #normAcc: Float64Array;
  #bufBackup: Float32Array = EMPTY;
  /** Whether the last applied optimizer step left every parameter finite. */
  #paramsFinite = true;
  /** Whether some Dense layer has a regularizer (lib/regularizers.ts). */
  readonly #penalized: boolean;
  /** Parameters and optimizer state before the current `trainEpoch` step (allocated on first use). */
  #backup: Float32Array = EMPTY;
  /** The output buffer of the last trainStep's forward pass (EpochJob.outputs). */
  #lastYhat: Float32Array = EMPTY;
  #optBackup: OptimizerBackup | null = null;

  constructor(spec: ModelSpec) {
    this.#spec = spec;
    this.params = new Float32Array(spec.paramCount);
    this.#grads = new Float32Array(spec.paramCount);
    let maxWidth = spec.inputs;
    let seenParams = false;
    let bufferCount = 0;
    this.#layers = spec.layers.map((l, index) => {
      maxWidth = Math.max(maxWidth, l.units);
      const norm = l.kind === 'layerNorm' || l.kind === 'batchNorm' ? l : null;
      const rt: LayerRt = {
        index,
        dense: l.kind === 'dense' ? l : null,
        norm,
        rate: l.kind === 'dropout' ? l.rate : 0,
        units: l.units,
        z: EMPTY,
        a: EMPTY,
        stats: l.kind === 'batchNorm' ? new Float64Array(3 * l.units) : EMPTY64,
        needsInputGrad: seenParams,
      };
      if (l.kind === 'dense' || (norm !== null && (norm.gammaOffset >= 0 || norm.betaOffset >= 0))) seenParams = true;
      if (l.kind === 'batchNorm') bufferCount = Math.max(bufferCount, l.statsOffset + 2 * l.units);
      return rt;
    });
    this.#maxWidth = maxWidth;
    this.#biasSum = new Float64Array(maxWidth);
    this.#penalized = hasPenalty(spec.layers);
    this.#normAcc = new Float64Array(3 * maxWidth);
    this.buffers = new Float32Array(bufferCount);
    for (const l of spec.layers) {
      if (l.kind === 'batchNorm') this.buffers.fill(1, l.statsOffset + l.units, l.statsOffset + 2 * l.units);
    }
  }

  /** The regularizers' penalty of the current parameters (0 without regularizers). */
  #penalty(): number {
    return this.#penalized ? modelPenalty(this.#spec.layers, this.params) : 0;
  }

  setLoss(loss: LossSpec | LossName): void {
    this.#loss = lossSpecOf(loss);
  }

  setOptimizer(opt: OptimizerSpec): void {
    this.#opt = createOptimizer(opt, this.params.length);
    this.#optBackup = null;
  }

  setLearningRate(lr: number): void {
    if (this.#opt !== null) this.#opt.spec.learningRate = lr;
  }

  getOptimizerState(): SlotState {
    const o = this.#opt;
    if (o === null) return { step: 0, slots: [] };
    return { step: o.t, slots: jsSlots(o).map((s) => s.slice()) };
  }

  setOptimizerState(state: SlotState): void {
    const o = this.#opt;
    if (o === null) return;
    jsSlots(o).forEach((s, i) => {
      s.set(state.slots[i]!);
    });
    o.t = state.step;
  }

  predict(x: Float32Array, rows: number, out: Float32Array): void {
    const { inputs, outputs } = this.#spec;
    for (let r0 = 0; r0 < rows; r0 += PREDICT_CHUNK) {
      const n = Math.min(PREDICT_CHUNK, rows - r0);
      const xs = r0 === 0 && n === rows ? x : x.subarray(r0 * inputs, (r0 + n) * inputs);
      const yhat = this.#forward(xs, n, false, 0, false);
      out.set(yhat.subarray(0, n * outputs), r0 * outputs);
    }
  }

  predictChecked(x: Float32Array, rows: number, out: Float32Array): number {
    const bad = findOutside(x.subarray(0, rows * this.#spec.inputs), -FLT_MAX, FLT_MAX);
    if (bad < 0) this.predict(x, rows, out);
    return bad;
  }

  evaluate(x: Float32Array, y: Float32Array, rows: number, weights?: Float32Array): EvalResult {
    const r = this.#evaluateData(x, y, rows, weights ?? null);
    return { loss: r.loss + this.#penalty(), correct: r.correct };
  }

  #evaluateData(x: Float32Array, y: Float32Array, rows: number, w: Float32Array | null): EvalResult {
    if (rows <= PREDICT_CHUNK) return this.#score(this.#forward(x, rows, false, 0, false), y, rows, w);
    // Chunked like predict: loss = Σ_chunks mean_c · W_c / Σ W_c (float64), W_c the chunk's
    // weight sum (its row count without weights).
    const { inputs, outputs } = this.#spec;
    const yWidth = this.#loss.name === 'sparseCategoricalCrossentropy' ? 1 : outputs;
    let lossSum = 0;
    let weightSum = 0;
    let correct = 0;
    for (let r0 = 0; r0 < rows; r0 += PREDICT_CHUNK) {
      const n = Math.min(PREDICT_CHUNK, rows - r0);
      const yhat = this.#forward(x.subarray(r0 * inputs, (r0 + n) * inputs), n, false, 0, false);
      const part = this.#score(
        yhat,
        y.subarray(r0 * yWidth, (r0 + n) * yWidth),
        n,
        w === null ? null : w.subarray(r0, r0 + n),
      );
      // A chunk whose weights are all 0 adds nothing (its own mean is 0/0).
      if (part.weightSum > 0) lossSum += part.loss * part.weightSum;
      weightSum += part.weightSum;
      correct += part.correct;
    }
    return { loss: lossSum / weightSum, correct };
  }

  gradients(x: Float32Array, y: Float32Array, rows: number, grads: Float32Array, weights?: Float32Array): number {
    const w = weights ?? null;
    const yhat = this.#forward(x, rows, false, 0, true);
    const loss =
      w === null && isPlainLoss(this.#loss)
        ? lossValue(this.#loss.name, yhat, y, rows, this.#spec.outputs)
        : this.#score(yhat, y, rows, w).loss;
    this.#backward(x, y, rows, false, grads, w);
    return loss + this.#penalty();
  }

  trainStep(x: Float32Array, y: Float32Array, rows: number, step: number, weights?: Float32Array): EvalResult {
    const w = weights ?? null;
    const yhat = this.#forward(x, rows, true, step, true);
    this.#lastYhat = yhat;
    const result = this.#score(yhat, y, rows, w);
    const loss = result.loss + this.#penalty();
    if (!Number.isFinite(loss)) return { loss, correct: result.correct };
    this.#backward(x, y, rows, true, this.#grads, w);
    const opt = this.#opt;
    let gscale = 1;
    if (opt !== null && opt.spec.clipNorm !== undefined && opt.spec.clipNorm > 0) {
      const cv =
        opt.spec.clipValue !== undefined && opt.spec.clipValue > 0 ? Math.fround(opt.spec.clipValue) : Infinity;
      gscale = clipNormScale(clipSumSquares(this.#grads, this.#grads.length, cv), opt.spec.clipNorm);
    }
    this.#paramsFinite = opt === null || optimizerStep(opt, this.params, this.#grads, gscale);
    for (const l of this.#layers) {
      if (l.norm !== null && l.norm.kind === 'batchNorm') batchNormUpdateRunning(l.norm, l.stats, rows, this.buffers);
    }
    return { loss, correct: result.correct };
  }

  async trainEpoch(job: EpochJob): Promise<EpochResult> {
    const { inputs, outputs } = this.#spec;
    const { x, y, order, signal, onBatchEnd, learningRates } = job;
    // The facade validates batchSize ≥ 1; the floor only guards the loop against a hang.
    const batchSize = Math.max(1, Math.floor(job.batchSize));
    const yWidth = this.#loss.name === 'sparseCategoricalCrossentropy' ? 1 : outputs;
    const weights = job.weights ?? null;
    const total = order.length;
    const result: EpochResult = { batches: 0, lossSum: 0, correct: 0, samples: 0, status: 'done', failedBatch: -1 };
    this.#ensureRows(Math.min(batchSize, total));
    if (this.#backup.length !== this.params.length) this.#backup = new Float32Array(this.params.length);
    if (this.#bufBackup.length !== this.buffers.length) this.#bufBackup = new Float32Array(this.buffers.length);
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
      const wb = weights === null ? undefined : this.#wBatch;
      for (let r = 0; r < rows; r++) {
        const src = order[start + r]!;
        copyRow(x, src * inputs, xb, r * inputs, inputs);
        copyRow(y, src * yWidth, yb, r * yWidth, yWidth);
        if (wb !== undefined) wb[r] = weights![src]!;
      }
      this.#backup.set(this.params);
      this.#bufBackup.set(this.buffers);
      if (opt !== null && optBackup !== null) saveOptimizer(opt, optBackup);
      if (opt !== null && learningRates !== undefined && b < learningRates.length)
        opt.spec.learningRate = learningRates[b]!;
      const step = this.trainStep(xb, yb, rows, job.firstStep + b, wb?.subarray(0, rows));
      if (job.outputs !== undefined) {
        // Each row's pre-step output, at its x row.
        for (let r = 0; r < rows; r++)
          copyRow(this.#lastYhat, r * outputs, job.outputs, order[start + r]! * outputs, outputs);
      }
      const overflowed = Number.isFinite(step.loss) && !this.#paramsFinite;
      if (overflowed) {
        // The loss was finite but the update overflowed a parameter: undo the step.
        this.params.set(this.#backup);
        this.buffers.set(this.#bufBackup);
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
      const pending = onBatchEnd?.(b, step.loss, step.correct, rows);
      if (pending instanceof Promise) {
        await pending;
        lastYield = performance.now();
      }
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
    this.#g0 = this.#g1 = this.#xBatch = this.#yBatch = this.#wBatch = this.#backup = this.#bufBackup = EMPTY;
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

  #score(yhat: Float32Array, y: Float32Array, rows: number, w: Float32Array | null): WeightedLoss {
    const outputs = this.#spec.outputs;
    const spec = this.#loss;
    if (w === null && isPlainLoss(spec)) {
      return {
        loss: lossValue(spec.name, yhat, y, rows, outputs),
        weightSum: rows,
        correct: countCorrect(spec.name === 'sparseCategoricalCrossentropy', yhat, y, rows, outputs),
      };
    }
    return lossForward(spec, false, yhat, y, w, rows, outputs, null);
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
      } else if (l.norm !== null) {
        l.z = new Float32Array(size);
        l.a = new Float32Array(size);
        if (l.norm.kind === 'layerNorm') l.stats = new Float64Array(cap);
      } else {
        l.z = new Float32Array(size);
        l.a = new Float32Array(size);
      }
    }
    this.#g0 = new Float32Array(cap * this.#maxWidth);
    this.#g1 = new Float32Array(cap * this.#maxWidth);
    this.#xBatch = new Float32Array(cap * this.#spec.inputs);
    this.#yBatch = new Float32Array(cap * this.#spec.outputs);
    this.#wBatch = new Float32Array(cap);
    this.#capRows = cap;
  }

  /**
   * Runs the layers; returns the buffer whose first `rows × outputs` elements are ŷ.
   * `training` turns dropout on; `batchStats` runs BatchNorm on the batch statistics and
   * keeps what the backward pass of the norm layers needs.
   */
  #forward(x: Float32Array, rows: number, training: boolean, step: number, batchStats: boolean): Float32Array {
    this.#ensureRows(rows);
    let input = x;
    for (const l of this.#layers) {
      const d = l.dense;
      const nm = l.norm;
      if (nm !== null) {
        if (nm.kind === 'layerNorm') {
          layerNormForward(nm, this.params, input, rows, l.a, batchStats ? l.z : null, batchStats ? l.stats : null);
        } else if (batchStats) {
          batchNormTrainForward(nm, this.params, input, rows, l.a, l.z, l.stats);
        } else {
          batchNormInferForward(nm, this.params, this.buffers, input, rows, l.a, this.#normAcc);
        }
        input = l.a;
        continue;
      }
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
  #backward(
    x: Float32Array,
    y: Float32Array,
    rows: number,
    training: boolean,
    grads: Float32Array,
    w: Float32Array | null,
  ): void {
    const layers = this.#layers;
    const outputs = this.#spec.outputs;
    const p = this.params;
    const last = layers.length - 1;
    if (last < 0) return;
    const lastDense = layers[last]!.dense;
    let g = this.#g0;
    let gNext = this.#g1;
    const yhat = this.#outputOf(last, x, training);
    const spec = this.#loss;
    const fused = lastDense !== null && isFusedSpec(lastDense.activation, spec);
    if (w !== null || !isPlainLoss(spec)) lossForward(spec, fused, yhat, y, w, rows, outputs, g);
    else if (fused) fusedGradient(spec.name, yhat, y, rows, outputs, g);
    else lossGradient(spec.name, yhat, y, rows, outputs, g);

    for (let i = last; i >= 0; i--) {
      const l = layers[i]!;
      const d = l.dense;
      const nm = l.norm;
      if (nm !== null) {
        // dX in place: the delta of this layer's output becomes that of its input.
        const dx = l.needsInputGrad ? g : null;
        if (nm.kind === 'layerNorm') layerNormBackward(nm, p, g, l.z, l.stats, rows, grads, dx, this.#normAcc);
        else batchNormBackward(nm, p, g, l.z, l.stats, rows, grads, dx, this.#normAcc);
        continue;
      }
      if (d === null) {
        if (training && l.rate > 0) dropoutBackward(g, l.z, g, rows * l.units);
        continue;
      }
      if (!(fused && i === last)) activationBackward(d.activation, d.alpha, l.z, l.a, g, g, rows, d.units);
      const aPrev = this.#outputOf(i - 1, x, training);
      denseBackward(d, p, aPrev, g, rows, grads, l.needsInputGrad ? gNext : null, this.#biasSum);
      if (this.#penalized) layerPenaltyGrad(d, p, grads);
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
      if (l.dense !== null || l.norm !== null || (training && l.rate > 0)) return l.a;
    }
    return x;
  }
}

/** The state's slots in the order of `optimizerSlotNames` (lib/backend/types.ts). */
function jsSlots(o: OptimizerState): Float32Array[] {
  switch (o.spec.kind) {
    case 'sgd':
      return o.spec.momentum !== 0 ? [o.s1] : [];
    case 'adam':
    case 'adamw':
      return [o.s1, o.s2];
    case 'rmsprop':
      return o.spec.momentum !== 0 ? [o.s2, o.s1] : [o.s2];
  }
}

function copyRow(src: Float32Array, so: number, dst: Float32Array, d: number, n: number): void {
  for (let j = 0; j < n; j++) dst[d + j] = src[so + j]!;
}
