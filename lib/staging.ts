/**
 * fit's copies of its training data ("staging"): `x`, `y` and `validationData` are copied
 * into fresh Float32Arrays over SharedArrayBuffers, checked as they are copied (shapes,
 * numbers, finiteness, the loss's target rules), and dropped when the fit settles.
 *
 * The copy runs in slices: a slice stops once {@link SLICE_MS} ms have passed and the
 * next one starts on a later turn of the event loop (`setImmediate`), so a large set —
 * 1,000,000 × 32 floats is 128 MB, 40–150 ms of copying and page faults in one piece —
 * never holds the loop for much longer than a slice. A set copied within the first slice
 * is complete before `fit` returns its promise. Between slices the caller's arrays are
 * re-read, never trusted: an array detached or resized meanwhile rejects the fit, a row
 * changed meanwhile is checked like any other. (The contract, in fit's TSDoc and the
 * README: the caller keeps its arrays unchanged until the fit's promise settles.)
 *
 * Shared buffers because the native backend trains on them where they lie: a plain
 * ArrayBuffer can be detached while an epoch runs on a worker thread, so the binding
 * would copy it again at every epoch. When the fit settles its buffers go to a small pool
 * ({@link releaseStaged}) for the next fit's copies, and the pool empties itself after
 * {@link POOL_IDLE_MS} without a fit.
 */
import type { Backend, LossName } from './backend/types';
import {
  expectDistributions,
  expectTargetShape,
  expectUnitInterval,
  FLT_MAX,
  fillClassIndices,
  fillFlat,
  fillRows,
  findOutside,
  invalid,
  isNumberArray,
  type Matrix,
  nonFinite,
  toClassIndices,
  toMatrix,
} from './validate';

/** Longest stretch of copying between two yields to the event loop. */
export const SLICE_MS = 4;
/**
 * Floats per copy call: 256 KiB, ~20 µs of copying, but up to ~3 ms where every page of
 * the fresh destination faults in slowly (a loaded VM); the slice ends after the call
 * that passes SLICE_MS.
 */
const TYPED_BLOCK = 1 << 16;
/** Elements per call when converting JS arrays (small, so V8 optimises the loop within the first calls). */
const ARRAY_BLOCK = 4096;

/**
 * A staging step: a synchronous generator that yields where a slice may end (it yields
 * only when {@link sliceDue} says so) and returns its result.
 */
export type Staging<T> = Generator<void, T, void>;

let sliceStart = 0;

/** Whether the current slice has used up its time. */
function sliceDue(): boolean {
  return performance.now() - sliceStart >= SLICE_MS;
}

/** Thrown by {@link runSliced} when the signal is aborted at a yield; fit turns it into an empty history. */
export class StagingAborted extends Error {}

/**
 * Runs `steps` to the end: synchronously, returning the result itself, when it never
 * yields (a set copied within one slice, so the caller may write to its arrays as soon
 * as fit returns); else as a Promise, continuing each slice on a later turn of the event
 * loop and rejecting with {@link StagingAborted} when `signal` is aborted at a yield.
 */
export function runSliced<T>(steps: Staging<T>, signal?: AbortSignal): T | Promise<T> {
  sliceStart = performance.now();
  const first = steps.next();
  if (first.done === true) return first.value;
  return (async (): Promise<T> => {
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (signal?.aborted === true) {
        steps.return(undefined as never);
        throw new StagingAborted();
      }
      sliceStart = performance.now();
      const r = steps.next();
      if (r.done === true) return r.value;
    }
  })();
}

/** Elements of the batch order filled per step. */
const ORDER_BLOCK = 1 << 16;

/**
 * An epoch's batch order: 0, 1, 2, … then (with `shuffle`) the generator's Fisher–Yates
 * shuffle, in steps — a 1,000,000-row order is 5–40 ms of work (the first call runs
 * before V8 has optimised it), so it too ends slices where they are due.
 */
export function* stageOrder(
  order: Int32Array,
  shuffle: { shuffleSteps(a: Int32Array): Generator<void, Int32Array, void> } | null,
): Staging<void> {
  for (let from = 0; from < order.length; from += ORDER_BLOCK) {
    if (from > 0 && sliceDue()) yield;
    fillIdentity(order, from, Math.min(order.length, from + ORDER_BLOCK));
  }
  if (shuffle === null) return;
  const steps = shuffle.shuffleSteps(order);
  while (steps.next().done !== true) if (sliceDue()) yield;
}

/** order[i] ← i for i in [from, to): a plain function, so V8 optimises it after a few calls. */
function fillIdentity(order: Int32Array, from: number, to: number): void {
  for (let i = from; i < to; i++) order[i] = i;
}

/**
 * Buffers of settled fits, kept a short while for the next fit's copies. A fresh buffer's
 * pages fault in on first write, and on a virtual machine a fault costs 5–15 µs a page:
 * copying (A)'s 8,192 × 784 floats (25 MB) into fresh memory took ~100 ms where the
 * epoch itself takes ~30, so a loop of one-epoch `fit` calls (a Keras idiom) spent three
 * quarters of its time faulting. A buffer of a settled fit is never read again by it, and
 * every staging step overwrites all of a buffer it takes, so reuse cannot leak one fit's
 * data into another's.
 */
const pool: SharedArrayBuffer[] = [];
let pooledBytes = 0;
let poolTimer: ReturnType<typeof setTimeout> | undefined;
/** The pool is emptied once no fit has released a buffer for this long. */
export const POOL_IDLE_MS = 1000;
/** Most bytes the pool holds (the oldest buffers are dropped first). */
export const POOL_MAX_BYTES = 1 << 30;
/** Buffers handed out from the pool since the process started (for tests). */
let reused = 0;

/**
 * A SharedArrayBuffer of exactly `bytes` bytes: one released by a settled fit when the
 * pool has one of that size (its contents are stale: the caller overwrites all of it),
 * else a fresh one.
 */
export function sharedBuffer(bytes: number): SharedArrayBuffer {
  for (let i = pool.length - 1; i >= 0; i--) {
    if (pool[i]!.byteLength === bytes) {
      const b = pool[i]!;
      pool.splice(i, 1);
      pooledBytes -= bytes;
      reused++;
      return b;
    }
  }
  return new SharedArrayBuffer(bytes);
}

/**
 * Hands the buffers under `views` to the pool, for the next fit: called when a fit has
 * settled (nothing reads or writes them any more). Views over part of a buffer, over a
 * plain ArrayBuffer or repeated are skipped. The pool drops everything {@link POOL_IDLE_MS}
 * after the last release, so an idle process keeps no copy of its training data.
 */
export function releaseStaged(views: readonly (ArrayBufferView | null | undefined)[]): void {
  let added = false;
  for (const v of views) {
    if (v === null || v === undefined) continue;
    const b = v.buffer;
    if (!(b instanceof SharedArrayBuffer) || v.byteOffset !== 0 || v.byteLength !== b.byteLength) continue;
    if (b.byteLength === 0 || b.byteLength > POOL_MAX_BYTES || pool.includes(b)) continue;
    pool.push(b);
    pooledBytes += b.byteLength;
    added = true;
  }
  while (pooledBytes > POOL_MAX_BYTES) pooledBytes -= pool.shift()!.byteLength;
  if (!added) return;
  if (poolTimer !== undefined) clearTimeout(poolTimer);
  poolTimer = setTimeout(dropPool, POOL_IDLE_MS);
  poolTimer.unref();
}

/** Empties the pool now (its buffers are freed by the next garbage collection). */
export function dropPool(): void {
  pool.length = 0;
  pooledBytes = 0;
  if (poolTimer !== undefined) clearTimeout(poolTimer);
  poolTimer = undefined;
}

/** The pool's state: buffers and bytes held, and buffers reused so far (for tests). */
export function poolStats(): { buffers: number; bytes: number; reused: number } {
  return { buffers: pool.length, bytes: pooledBytes, reused };
}

function sharedFloats(n: number): Float32Array {
  return new Float32Array(sharedBuffer(4 * n));
}

function changed(name: string, now: number, was: number): Error {
  return invalid(
    `${name} to stay unchanged in size until fit settles`,
    name,
    now === 0
      ? 'an array that was emptied or detached while fit copied it'
      : `an array whose length changed from ${was} to ${now} while fit copied it`,
    'range',
  );
}

/**
 * A `[rows × cols]` batch in any of toMatrix's forms, copied into a shared buffer and
 * checked (same messages as toMatrix; non-finite values named by [row, col]).
 */
export function* stageMatrix(value: unknown, name: string, cols: number, backend: Backend): Staging<Matrix> {
  if (value instanceof Float32Array) {
    const { rows } = toMatrix(value, name, cols, false, false);
    const n = rows * cols;
    const data = sharedFloats(n);
    for (let from = 0; from < n; from += TYPED_BLOCK) {
      if (from > 0) {
        if (sliceDue()) yield;
        if (value.length !== n) throw changed(name, value.length, n);
      }
      const to = Math.min(n, from + TYPED_BLOCK);
      const bad = backend.copyInRange(value.subarray(from, to), data.subarray(from, to), -FLT_MAX, FLT_MAX);
      if (bad >= 0) throw nonFinite(value[from + bad]!, from + bad, name, cols);
    }
    return { data, rows, cols };
  }
  if (Array.isArray(value) && value.length > 0 && Array.isArray(value[0])) {
    const rows = value.length;
    const data = sharedFloats(rows * cols);
    const block = Math.max(1, Math.floor(ARRAY_BLOCK / cols));
    for (let r0 = 0; r0 < rows; r0 += block) {
      if (r0 > 0) {
        if (sliceDue()) yield;
        if (value.length !== rows) throw changed(name, value.length, rows);
      }
      const r1 = Math.min(rows, r0 + block);
      fillRows(value, name, cols, data, r0, r1);
      checkFinite(data, r0 * cols, r1 * cols, name, cols);
    }
    return { data, rows, cols };
  }
  if (isNumberArray(value) && value.length > 0 && value.length % cols === 0) {
    const n = value.length;
    const data = sharedFloats(n);
    for (let from = 0; from < n; from += ARRAY_BLOCK) {
      if (from > 0) {
        if (sliceDue()) yield;
        if (value.length !== n) throw changed(name, value.length, n);
      }
      const to = Math.min(n, from + ARRAY_BLOCK);
      fillFlat(value, name, data, from, to);
      checkFinite(data, from, to, name, cols);
    }
    return { data, rows: n / cols, cols };
  }
  // Every other form is an error: toMatrix words it.
  return toMatrix(value, name, cols);
}

function checkFinite(data: Float32Array, from: number, to: number, name: string, cols: number): void {
  const i = findOutside(data.subarray(from, to), -FLT_MAX, FLT_MAX);
  if (i >= 0) throw nonFinite(data[from + i]!, from + i, name, cols);
}

/**
 * Targets for `loss` (as `toTargets` in lib/losses.ts: the same forms, rules and
 * messages), copied into a shared buffer in slices. `rows` is the row count of x.
 */
export function* stageTargets(
  value: unknown,
  name: string,
  loss: LossName,
  rows: number,
  outputs: number,
  backend: Backend,
): Staging<Float32Array> {
  if (loss === 'sparseCategoricalCrossentropy') {
    const flat =
      value instanceof Int32Array ||
      value instanceof Float32Array ||
      value instanceof Uint8Array ||
      value instanceof Uint16Array ||
      value instanceof Uint32Array ||
      (Array.isArray(value) && (value.length === 0 || !Array.isArray(value[0])));
    if (!flat) {
      // number[][] of one-element rows and the error cases: toClassIndices (lib/validate.ts) words them.
      const y = toClassIndices(value, name, outputs);
      if (y.length !== rows) throw invalid(`${rows} class indices (one per row of x)`, name, `${y.length}`, 'range');
      const out = sharedFloats(y.length);
      out.set(y);
      return out;
    }
    const src = value as ArrayLike<unknown>;
    const n = src.length;
    if (n === 0) throw invalid('at least one class index', name, 'an empty array', 'range');
    if (n !== rows) throw invalid(`${rows} class indices (one per row of x)`, name, `${n}`, 'range');
    const out = sharedFloats(n);
    for (let from = 0; from < n; from += ARRAY_BLOCK) {
      if (from > 0) {
        if (sliceDue()) yield;
        if (src.length !== n) throw changed(name, src.length, n);
      }
      fillClassIndices(src, name, outputs, out, from, Math.min(n, from + ARRAY_BLOCK));
    }
    return out;
  }
  const y = yield* stageMatrix(value, name, outputs, backend);
  expectTargetShape(y.rows, y.cols, rows, outputs, name);
  if (loss === 'categoricalCrossentropy' || loss === 'binaryCrossentropy') {
    const block = Math.max(1, Math.floor((16 * ARRAY_BLOCK) / outputs));
    for (let r0 = 0; r0 < rows; r0 += block) {
      if (r0 > 0) if (sliceDue()) yield;
      const r1 = Math.min(rows, r0 + block);
      if (loss === 'categoricalCrossentropy') expectDistributions(y, name, r0, r1);
      else expectUnitInterval(y, name, r0, r1);
    }
  }
  return y.data;
}
