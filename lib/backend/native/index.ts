/**
 * The native backend: adapts the addon (`binding.ts`, its typed shape) to {@link Backend} /
 * {@link BackendModel} of `lib/backend/types.ts`. All numerics run in C++
 * (`native/core/network/`); this file only packs specs into Float64Arrays, unpacks
 * results, bridges `AbortSignal` to `requestStop()`, and re-attaches errors from async
 * native work to the caller's stack.
 */
import {
  ACTIVATION_CODES,
  LOSS_CODES,
  OPTIMIZER_CODES,
  type Backend,
  type BackendModel,
  type EpochJob,
  type EpochResult,
  type EvalResult,
  type LossName,
  type ModelSpec,
  type OptimizerSpec,
} from '../types';
import type { NativeBinding, NativeModel } from './binding';
import { loadBinding } from './load';

const STATUS: ReadonlyArray<EpochResult['status']> = ['done', 'aborted', 'nonfinite'];

/** Packs a ModelSpec for `new binding.Model(spec)` (layout documented in binding.ts). */
export function packModelSpec(spec: ModelSpec): Float64Array {
  const out = new Float64Array(5 + 8 * spec.layers.length);
  out[0] = spec.inputs;
  out[1] = spec.outputs;
  out[2] = spec.paramCount;
  out[3] = spec.seed >>> 0;
  out[4] = spec.layers.length;
  spec.layers.forEach((l, i) => {
    const o = 5 + 8 * i;
    if (l.kind === 'dense') {
      out.set([0, l.inputs, l.units, ACTIVATION_CODES[l.activation], l.alpha, l.useBias ? 1 : 0, l.kernelOffset, l.biasOffset], o);
    } else {
      out.set([1, l.units, l.units, 0, l.rate, 0, 0, -1], o);
    }
  });
  return out;
}

/** Packs an OptimizerSpec for `model.setOptimizer`. */
export function packOptimizerSpec(opt: OptimizerSpec): Float64Array {
  return Float64Array.of(
    OPTIMIZER_CODES[opt.kind],
    opt.learningRate,
    opt.momentum,
    opt.nesterov ? 1 : 0,
    opt.weightDecay,
    opt.beta1,
    opt.beta2,
    opt.epsilon,
    opt.rho,
  );
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

class NativeBackendModel implements BackendModel {
  readonly #m: NativeModel;

  constructor(binding: NativeBinding, spec: ModelSpec) {
    this.#m = new binding.Model(packModelSpec(spec));
    this.#m.setStaging(this.#small[0][SMALL_ARRAY_BYTES / 4]!, this.#small[1][SMALL_ARRAY_BYTES / 4]!);
  }

  get params(): Float32Array {
    return this.#m.params;
  }

  setLoss(loss: LossName): void {
    this.#m.setLoss(LOSS_CODES[loss]);
  }

  setOptimizer(opt: OptimizerSpec): void {
    this.#m.setOptimizer(packOptimizerSpec(opt));
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

  evaluate(x: Float32Array, y: Float32Array, rows: number): EvalResult {
    const r = this.#m.evaluate(x, y, rows);
    return { loss: r[0], correct: r[1] };
  }

  gradients(x: Float32Array, y: Float32Array, rows: number, grads: Float32Array): number {
    return this.#m.gradients(x, y, rows, grads);
  }

  trainStep(x: Float32Array, y: Float32Array, rows: number, step: number): EvalResult {
    const r = this.#m.trainStep(x, y, rows, step);
    return { loss: r[0], correct: r[1] };
  }

  async trainEpoch(job: EpochJob): Promise<EpochResult> {
    const caller = new Error();
    const { signal, onBatchEnd } = job;
    if (signal?.aborted) return { batches: 0, lossSum: 0, correct: 0, samples: 0, status: 'aborted', failedBatch: -1 };
    const model = this.#m;
    let callbackError: { error: unknown } | undefined;
    const onBatches = onBatchEnd
      ? (packed: Float64Array): void => {
          for (let i = 0; i + 3 < packed.length && callbackError === undefined; i += 4) {
            try {
              onBatchEnd(packed[i]!, packed[i + 1]!, packed[i + 2]!, packed[i + 3]!);
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
      const r = await model.trainEpoch(job.x, job.y, job.order, job.batchSize, job.firstStep, onBatches);
      if (callbackError !== undefined) throw callbackError.error;
      return {
        batches: r[0]!,
        lossSum: r[1]!,
        correct: r[2]!,
        samples: r[3]!,
        status: STATUS[r[4]!] ?? 'done',
        failedBatch: r[5]!,
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
