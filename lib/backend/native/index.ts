/**
 * The native backend: adapts the addon (`binding.ts`, its typed shape) to {@link Backend} /
 * {@link BackendModel} of `lib/backend/types.ts`. All numerics run in C++
 * (`native/core/network/`); this file only packs specs into Float64Arrays, unpacks
 * results, bridges `AbortSignal` to `requestStop()`, and re-attaches errors from async
 * native work to the caller's stack.
 */

import { FLT_MAX } from '../../validate';
import { PREDICT_CHUNK } from '../js/network';
import type {
  ActivationName,
  Backend,
  BackendModel,
  EpochJob,
  EpochResult,
  EvalResult,
  LossName,
  LossSpec,
  ModelSpec,
  OptimizerName,
  OptimizerSpec,
  OptimizerState,
} from '../types';
import { lossSpecOf, optimizerSlotNames } from '../types';
import type { NativeBinding, NativeModel } from './binding';
import { loadBinding } from './load';
import {
  BATCH_REPORT,
  BATCH_REPORT_SIZE,
  EPOCH_RESULT,
  LAYER_SPEC,
  LAYER_SPEC_SIZE,
  LOSS_OPTIONS,
  LOSS_OPTIONS_SIZE,
  LOSS_RESULT,
  MODEL_SPEC_HEADER,
  MODEL_SPEC_HEADER_SIZE,
  OPTIMIZER_SPEC,
  OPTIMIZER_SPEC_SIZE,
  WIRE_ACTIVATION,
  WIRE_EPOCH_STATUS,
  WIRE_LAYER_KIND,
  WIRE_LOSS,
  WIRE_OPTIMIZER,
} from './wire';

// The wire codes by name; the annotations make a name missing from wire.json a type error.
const ACTIVATION_CODE: Readonly<Record<ActivationName, number>> = WIRE_ACTIVATION;
const LOSS_CODE: Readonly<Record<LossName, number>> = WIRE_LOSS;
const OPTIMIZER_CODE: Readonly<Record<OptimizerName, number>> = WIRE_OPTIMIZER;

/** A TypeError with code DENSELY_INTERNAL, as the binding throws: a bug, never a user error. */
function internalError(what: string): TypeError & { code: string } {
  return Object.assign(new TypeError(`densely internal error: ${what}`), { code: 'DENSELY_INTERNAL' });
}

/**
 * The status of an epochResult record. A code this side does not know (badIndex rejects
 * in the binding and never arrives) is an internal error, never taken for 'done'.
 */
export function epochStatus(code: number): EpochResult['status'] {
  switch (code) {
    case WIRE_EPOCH_STATUS.done:
      return 'done';
    case WIRE_EPOCH_STATUS.aborted:
      return 'aborted';
    case WIRE_EPOCH_STATUS.nonfinite:
      return 'nonfinite';
    default:
      throw internalError(`unknown epoch status ${code}`);
  }
}

/** Packs a ModelSpec for `new binding.Model(spec)`: the records of `native/binding/wire.json`. */
export function packModelSpec(spec: ModelSpec): Float64Array {
  const H = MODEL_SPEC_HEADER;
  const L = LAYER_SPEC;
  const out = new Float64Array(MODEL_SPEC_HEADER_SIZE + LAYER_SPEC_SIZE * spec.layers.length);
  out[H.inputs] = spec.inputs;
  out[H.outputs] = spec.outputs;
  out[H.paramCount] = spec.paramCount;
  out[H.seed] = spec.seed >>> 0;
  out[H.layerCount] = spec.layers.length;
  spec.layers.forEach((l, i) => {
    const o = MODEL_SPEC_HEADER_SIZE + LAYER_SPEC_SIZE * i;
    if (l.kind === 'dense') {
      out[o + L.kind] = WIRE_LAYER_KIND.dense;
      out[o + L.inputs] = l.inputs;
      out[o + L.units] = l.units;
      out[o + L.activation] = ACTIVATION_CODE[l.activation];
      out[o + L.alphaOrRate] = l.alpha;
      out[o + L.useBias] = l.useBias ? 1 : 0;
      out[o + L.kernelOffset] = l.kernelOffset;
      out[o + L.biasOffset] = l.biasOffset;
      out[o + L.kernelL1] = l.kernelL1 ?? 0;
      out[o + L.kernelL2] = l.kernelL2 ?? 0;
      out[o + L.biasL1] = l.biasL1 ?? 0;
      out[o + L.biasL2] = l.biasL2 ?? 0;
      packNoNorm(out, o);
    } else if (l.kind === 'layerNorm' || l.kind === 'batchNorm') {
      out[o + L.kind] = l.kind === 'layerNorm' ? WIRE_LAYER_KIND.layerNorm : WIRE_LAYER_KIND.batchNorm;
      out[o + L.inputs] = l.units;
      out[o + L.units] = l.units;
      out[o + L.activation] = 0;
      out[o + L.alphaOrRate] = 0;
      out[o + L.useBias] = 0;
      out[o + L.kernelOffset] = 0;
      out[o + L.biasOffset] = -1;
      out[o + L.epsilon] = l.epsilon;
      out[o + L.momentum] = l.kind === 'batchNorm' ? l.momentum : 0;
      out[o + L.gammaOffset] = l.gammaOffset;
      out[o + L.betaOffset] = l.betaOffset;
      out[o + L.statsOffset] = l.kind === 'batchNorm' ? l.statsOffset : -1;
    } else {
      out[o + L.kind] = WIRE_LAYER_KIND.dropout;
      out[o + L.inputs] = l.units;
      out[o + L.units] = l.units;
      out[o + L.activation] = 0;
      out[o + L.alphaOrRate] = l.rate;
      out[o + L.useBias] = 0;
      out[o + L.kernelOffset] = 0;
      out[o + L.biasOffset] = -1;
      packNoNorm(out, o);
    }
  });
  return out;
}

/** The norm slots of a dense or dropout layer record at `o` (wire.json layerSpec). */
function packNoNorm(out: Float64Array, o: number): void {
  const L = LAYER_SPEC;
  out[o + L.epsilon] = 0;
  out[o + L.momentum] = 0;
  out[o + L.gammaOffset] = -1;
  out[o + L.betaOffset] = -1;
  out[o + L.statsOffset] = -1;
}

/** Packs an OptimizerSpec for `model.setOptimizer`: an optimizerSpec record of `native/binding/wire.json`. */
export function packOptimizerSpec(opt: OptimizerSpec): Float64Array {
  const O = OPTIMIZER_SPEC;
  const out = new Float64Array(OPTIMIZER_SPEC_SIZE);
  out[O.kind] = OPTIMIZER_CODE[opt.kind];
  out[O.learningRate] = opt.learningRate;
  out[O.momentum] = opt.momentum;
  out[O.nesterov] = opt.nesterov ? 1 : 0;
  out[O.weightDecay] = opt.weightDecay;
  out[O.beta1] = opt.beta1;
  out[O.beta2] = opt.beta2;
  out[O.epsilon] = opt.epsilon;
  out[O.rho] = opt.rho;
  out[O.clipNorm] = opt.clipNorm ?? 0;
  out[O.clipValue] = opt.clipValue ?? 0;
  return out;
}

/** Packs a LossSpec's options for `model.setLoss(code, options)`: a lossOptions record of `native/binding/wire.json`. */
export function packLossOptions(loss: LossSpec): Float64Array {
  const L = LOSS_OPTIONS;
  const out = new Float64Array(LOSS_OPTIONS_SIZE);
  out[L.fromLogits] = loss.fromLogits ? 1 : 0;
  out[L.labelSmoothing] = loss.labelSmoothing;
  out[L.delta] = loss.delta;
  return out;
}

/**
 * Gives an error from async native work the stack of the JS call that started it
 * (the native stack is empty), keeping its message and code.
 */
function reattach(err: unknown, caller: Error): unknown {
  if (err instanceof Error && caller.stack) {
    const frames = caller.stack.split('\n').slice(1).join('\n');
    err.stack = `${err.name}: ${err.message}\n${frames}`;
  }
  return err;
}

/** V8's on-heap limit for typed arrays (V8_TYPED_ARRAY_MAX_SIZE_IN_HEAP). */
const SMALL_ARRAY_BYTES = 64;

/**
 * Views of 0..16 floats of one fresh buffer, a SharedArrayBuffer: never on V8's heap, and
 * never detached, so the binding reads the staged arrays' memory once (`setStaging`).
 */
function smallViews(): Float32Array[] {
  const buffer = new SharedArrayBuffer(SMALL_ARRAY_BYTES);
  return Array.from({ length: SMALL_ARRAY_BYTES / 4 + 1 }, (_, n) => new Float32Array(buffer, 0, n));
}

/** Rows per inference chunk of the core (Network::kInferenceChunk): the js backend's PREDICT_CHUNK. */
const PREDICT_CHUNK_ROWS = PREDICT_CHUNK;
/** About how many floats of x one predictAsync call of a group stages (4 MB). */
const PREDICT_GROUP_FLOATS = 1 << 20;

class NativeBackendModel implements BackendModel {
  readonly #m: NativeModel;

  /** Floats per input row. */
  readonly #inputs: number;

  constructor(binding: NativeBinding, spec: ModelSpec) {
    this.#m = new binding.Model(packModelSpec(spec));
    this.#inputs = spec.inputs;
    this.#m.setStaging(this.#small[0][SMALL_ARRAY_BYTES / 4]!, this.#small[1][SMALL_ARRAY_BYTES / 4]!);
  }

  get params(): Float32Array {
    return this.#m.params;
  }

  get buffers(): Float32Array {
    return this.#m.buffers;
  }

  setLoss(loss: LossSpec | LossName): void {
    const spec = lossSpecOf(loss);
    this.#m.setLoss(LOSS_CODE[spec.name], packLossOptions(spec));
  }

  setOptimizer(opt: OptimizerSpec): void {
    this.#m.setOptimizer(packOptimizerSpec(opt));
    this.#slotCount = optimizerSlotNames(opt).length;
  }

  /** Slots of the installed optimizer (the core's s1, s2 are in optimizerSlotNames order). */
  #slotCount = 0;

  setLearningRate(lr: number): void {
    this.#m.setLearningRate(lr);
  }

  getOptimizerState(): OptimizerState {
    const n = this.#m.params.length;
    const s1 = new Float32Array(this.#slotCount >= 1 ? n : 0);
    const s2 = new Float32Array(this.#slotCount >= 2 ? n : 0);
    const step = this.#m.getOptimizerState(s1, s2);
    return { step, slots: [s1, s2].slice(0, this.#slotCount) };
  }

  setOptimizerState(state: OptimizerState): void {
    const empty = new Float32Array(0);
    this.#m.setOptimizerState(state.step, state.slots[0] ?? empty, state.slots[1] ?? empty);
  }

  predict(x: Float32Array, rows: number, out: Float32Array): void {
    // V8 keeps typed arrays of at most 64 bytes on its heap; the first time native code
    // asks for such an array's memory, V8 moves it off the heap, which costs ~1 µs — more
    // than a whole forward pass of a small network. Single-sample predict creates fresh
    // small arrays on every call, so they travel through this model's own scratch
    // arrays, which are moved once and reused.
    if (x.byteLength <= SMALL_ARRAY_BYTES && out.byteLength <= SMALL_ARRAY_BYTES) {
      // Both fit the scratch arrays registered with the model at construction: the call
      // passes only the row count (two typed-array lookups fewer, ~15% of a one-sample
      // predict of a small network).
      this.#small[0][x.length]!.set(x);
      this.#m.predictStaged(rows, x.length, out.length);
      out.set(this.#small[1][out.length]!);
      return;
    }
    if (x.byteLength <= SMALL_ARRAY_BYTES || out.byteLength <= SMALL_ARRAY_BYTES) {
      const xs = x.byteLength <= SMALL_ARRAY_BYTES ? this.#staged(0, x) : x;
      const os = out.byteLength <= SMALL_ARRAY_BYTES ? this.#scratch(1, out.length) : out;
      this.#m.predict(xs, rows, os);
      if (os !== out) out.set(os);
      return;
    }
    this.#m.predict(x, rows, out);
  }

  predictChecked(x: Float32Array, rows: number, out: Float32Array): number {
    if (x.byteLength <= SMALL_ARRAY_BYTES) {
      // At most 16 floats: the JS scan costs less than passing them to C++ to scan.
      // A plain loop keeps this path small enough for V8 to inline Network.predict's call.
      const n = rows * this.#inputs;
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        if (!(v >= -FLT_MAX && v <= FLT_MAX)) return i;
      }
      this.predict(x, rows, out);
      return -1;
    }
    const os = out.byteLength <= SMALL_ARRAY_BYTES ? this.#scratch(1, out.length) : out;
    const bad = this.#m.predict(x, rows, os, true);
    if (bad < 0 && os !== out) out.set(os);
    return bad;
  }

  /** Two scratch buffers of SMALL_ARRAY_BYTES, each with its views of 0..16 floats made once. */
  readonly #small: [Float32Array[], Float32Array[]] = [smallViews(), smallViews()];

  /** Scratch slot `i` viewed as `n` floats (n ≤ 16). */
  #scratch(i: 0 | 1, n: number): Float32Array {
    return this.#small[i][n]!;
  }

  #staged(i: 0 | 1, src: Float32Array): Float32Array {
    const v = this.#scratch(i, src.length);
    v.set(src);
    return v;
  }

  evaluate(x: Float32Array, y: Float32Array, rows: number, weights?: Float32Array): EvalResult {
    const r = weights === undefined ? this.#m.evaluate(x, y, rows) : this.#m.evaluate(x, y, rows, weights);
    return { loss: r[LOSS_RESULT.loss], correct: r[LOSS_RESULT.correct] };
  }

  gradients(x: Float32Array, y: Float32Array, rows: number, grads: Float32Array, weights?: Float32Array): number {
    return weights === undefined ? this.#m.gradients(x, y, rows, grads) : this.#m.gradients(x, y, rows, grads, weights);
  }

  trainStep(x: Float32Array, y: Float32Array, rows: number, step: number, weights?: Float32Array): EvalResult {
    const r =
      weights === undefined ? this.#m.trainStep(x, y, rows, step) : this.#m.trainStep(x, y, rows, step, weights);
    return { loss: r[LOSS_RESULT.loss], correct: r[LOSS_RESULT.correct] };
  }

  async trainEpoch(job: EpochJob): Promise<EpochResult> {
    const caller = new Error();
    const { signal, onBatchEnd } = job;
    if (signal?.aborted) return { batches: 0, lossSum: 0, correct: 0, samples: 0, status: 'aborted', failedBatch: -1 };
    const model = this.#m;
    let callbackError: { error: unknown } | undefined;
    const onBatches = onBatchEnd
      ? (packed: Float64Array): void => {
          const B = BATCH_REPORT;
          for (
            let i = 0;
            i + BATCH_REPORT_SIZE <= packed.length && callbackError === undefined;
            i += BATCH_REPORT_SIZE
          ) {
            try {
              onBatchEnd(packed[i + B.batch]!, packed[i + B.loss]!, packed[i + B.correct]!, packed[i + B.rows]!);
            } catch (error) {
              callbackError = { error };
              model.requestStop();
            }
          }
        }
      : undefined;
    const onAbort = (): void => model.requestStop();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      model.setEpochRates(job.learningRates);
      const r = await model.trainEpoch(
        job.x,
        job.y,
        job.order,
        job.batchSize,
        job.firstStep,
        onBatches,
        job.weights,
        job.outputs,
      );
      if (callbackError !== undefined) throw callbackError.error;
      const R = EPOCH_RESULT;
      return {
        batches: r[R.batches]!,
        lossSum: r[R.lossSum]!,
        correct: r[R.correct]!,
        samples: r[R.samples]!,
        status: epochStatus(r[R.status]!),
        failedBatch: r[R.failedBatch]!,
      };
    } catch (err) {
      if (callbackError !== undefined && err === callbackError.error) throw err;
      throw reattach(err, caller);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  dispose(): void {
    this.#m.dispose();
  }

  setThreads(n: number): void {
    this.#m.setThreads(n);
  }

  /**
   * x over a SharedArrayBuffer is read in place, in one call. Otherwise the addon would
   * copy it on this thread (page faults on fresh memory: ~3 ms per MB on a busy VM, so a
   * 200 MB input held the event loop for 0.6 s); instead groups of whole inference chunks
   * (about 1M floats of x each) go through one staging SharedArrayBuffer, a call per group.
   * Groups start at multiples of the chunk, as predict's own chunks do, so the numbers are
   * predict's.
   */
  async predictAsync(x: Float32Array, rows: number, out: Float32Array): Promise<void> {
    const inputs = rows > 0 ? x.length / rows : 0;
    const outputs = rows > 0 ? out.length / rows : 0;
    const group = PREDICT_CHUNK_ROWS * Math.max(1, Math.floor(PREDICT_GROUP_FLOATS / (PREDICT_CHUNK_ROWS * inputs)));
    if (rows <= group || x.buffer instanceof SharedArrayBuffer) return this.#m.predictAsync(x, rows, out);
    const stage = new Float32Array(new SharedArrayBuffer(group * inputs * 4));
    for (let r0 = 0; r0 < rows; r0 += group) {
      const n = Math.min(group, rows - r0);
      const xs = stage.subarray(0, n * inputs);
      xs.set(x.subarray(r0 * inputs, (r0 + n) * inputs));
      await this.#m.predictAsync(xs, n, out.subarray(r0 * outputs, (r0 + n) * outputs));
    }
  }
}

function makeBackend(binding: NativeBinding): Backend {
  return {
    name: 'native',
    isa: binding.isa(),
    createModel: (spec) => new NativeBackendModel(binding, spec),
    sgemm: (transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) =>
      binding.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc),
    copyInRange: (src, dst, lo, hi) => binding.copyInRange(src, dst, lo, hi),
    setThreads: (n) => binding.setThreads(n),
    getThreads: () => binding.getThreads(),
  };
}

let cached: { backend?: Backend; reason?: string; path?: string } | undefined;

/**
 * The native backend, or why it is unavailable. Loads the addon once per process
 * (per worker thread) and caches the outcome; never throws. `path` is the .node file loaded.
 */
export function loadNativeBackend(): { backend?: Backend; reason?: string; path?: string } {
  if (cached === undefined) {
    const r = loadBinding();
    cached = r.binding ? { backend: makeBackend(r.binding), path: r.path } : { reason: r.reason };
  }
  return cached;
}
