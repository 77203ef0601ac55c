/**
 * `Network.fitDataset`: training from a source of batches (API.md, "Training jobs
 * (additions)"), so a set of any size trains in bounded memory.
 *
 * - The source is opened once per epoch: a function returning an (async) iterable, or a
 *   re-iterable object. Each batch `{ x, y }` is copied into shared buffers and checked
 *   as `fit` stages its data (lib/staging.ts), so the source may reuse its arrays.
 * - Two batches at most are held: the one training and the next, which is pulled (and
 *   checked) while the current one trains. On native the batch trains on a worker thread
 *   (the model's `trainEpoch` over that batch in identity order), so the source runs on
 *   the event loop meanwhile.
 * - Each batch is one step numbered as in `fit` (`firstStep` = steps so far), and the
 *   epoch's loss sum accumulates `loss × rows` per batch in float64 as the backends do:
 *   the same batches in the same order give the weights and losses of
 *   `fit(x, y, { shuffle: false, batchSize })` bit for bit.
 * - A bad batch (not `{ x, y }`, wrong shape or type, a non-finite value) rejects with the
 *   argument error of `fit`, its name saying the epoch and batch; the weights are those
 *   after the last good batch, and the source's iterator is closed (`return()`), as on
 *   every early exit (abort, non-finite loss, a throwing callback).
 */
import type { Backend, BackendModel, LossName } from '../backend/types';
import { type Callback, CallbackRunner } from '../callbacks';
import { nonFiniteLossError } from '../errors';
import type { Network } from '../network';
import type { BatchLogs, EpochLogs, FitOptions, History, Input, Targets } from '../network_types';
import { runSliced, type Staging, StagingAborted, stageMatrix, stageTargets } from '../staging';
import {
  describe,
  expectAbortSignal,
  expectFunction,
  expectInteger,
  expectKnownKeys,
  expectOptionalObject,
  FLT_MAX,
  invalid,
  nonFinite,
} from '../validate';

/** One batch of a {@link DataSource}: inputs and targets in the forms of `fit` (Data in the README). */
export interface DataBatch {
  /** `[rows × inputs]`: a row-major Float32Array, number[][] or flat number[]. */
  x: Input;
  /** Targets for the rows of `x`, in the forms of `fit`'s `y`. */
  y: Targets;
}

/**
 * Where `fitDataset` reads its batches: a function called once per epoch that returns an
 * `Iterable` or `AsyncIterable` of batches (a generator function, or a function returning
 * a Node object-mode `Readable`), or a re-iterable object such as an array of batches.
 */
export type DataSource =
  | (() => Iterable<DataBatch> | AsyncIterable<DataBatch>)
  | Iterable<DataBatch>
  | AsyncIterable<DataBatch>;

/** Options of `fitDataset`: those of `fit` except `shuffle`, `batchSize` and `validationSplit`. */
export interface FitDatasetOptions {
  /** Default 1. */
  epochs?: number;
  /** `[x, y]` arrays or a {@link DataSource}, evaluated at the end of every epoch. */
  validationData?: [Input, Targets] | DataSource;
  /** As in `fit`: after each epoch; a returned Promise is awaited. */
  onEpochEnd?: FitOptions['onEpochEnd'];
  /** As in `fit`: after each batch. */
  onBatchEnd?: FitOptions['onBatchEnd'];
  /** Stops at the next batch boundary; `fitDataset` then resolves with the history so far. */
  signal?: AbortSignal;
  /** Callback objects (see {@link Callback}), called in order, before the `onEpochEnd` option (as in `fit`). */
  callbacks?: Callback[];
  /** As in `fit`: the number of the first epoch trained now (default: the epochs trained so far). */
  initialEpoch?: number;
}

/** What `fitDataset` needs of its network: handed over by `Network.fitDataset`, never public. */
export interface DatasetHost {
  /** The network itself, given to `onTrainBegin`. */
  net: Network;
  inputs: number;
  outputs: number;
  backend: Backend;
  model: BackendModel;
  loss: LossName;
  accuracy: boolean;
  /** Optimizer steps taken so far (the dropout step numbering). */
  step(): number;
  /** Counts `n` more steps (dropout numbering and the schedules' update count t). */
  advance(n: number): void;
  /** The learning rate of the next update (the optimizer's schedule at the update count t). */
  nextRate(): number;
  /** Epochs trained so far (the default `initialEpoch`); set after each epoch. */
  epochsTrained: { get(): number; set(n: number): void };
  /** `net.stopTraining`, read after each epoch and reset at the start. */
  stopTraining: { get(): boolean; set(v: boolean): void };
  /** Marks the backend's installed rate stale after a batch ran with its own rate. */
  rateChanged(): void;
  /** Marks the network busy for fit-like calls (`fitting`) and all calls (`training`). */
  setBusy(fitting: boolean, training: boolean): void;
  /** The `DENSELY_TOO_LARGE` check of a batch's rows. */
  checkBatchRows(rows: number, name: string): void;
  /** `fit`'s validation pass over staged arrays (chunked, yielding between chunks). */
  evaluate(x: Float32Array, y: Float32Array, rows: number, yCols: number): Promise<{ loss: number; correct: number }>;
}

/** A staged batch: shared-buffer copies, checked. */
interface Staged {
  x: Float32Array;
  y: Float32Array;
  rows: number;
}

type AnyIterator = Iterator<unknown> | AsyncIterator<unknown>;

const OPTION_KEYS = [
  'epochs',
  'validationData',
  'onEpochEnd',
  'onBatchEnd',
  'signal',
  'callbacks',
  'initialEpoch',
] as const;

/** Whether `value` can be a source (checked again, per epoch, when it is opened). */
function isSource(value: unknown): value is DataSource {
  if (typeof value === 'function') return true;
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<symbol, unknown>;
  return typeof v[Symbol.iterator] === 'function' || typeof v[Symbol.asyncIterator] === 'function';
}

/** The source's iterator for one epoch. */
function open(source: DataSource, name: string, epoch: number): AnyIterator {
  let iterable: unknown = source;
  if (typeof source === 'function') iterable = (source as () => unknown)();
  const it = iterable as Record<symbol, (() => AnyIterator) | undefined> | null;
  const make =
    it !== null && (typeof it === 'object' || typeof it === 'function')
      ? (it[Symbol.asyncIterator] ?? it[Symbol.iterator])
      : undefined;
  if (typeof make !== 'function') {
    throw invalid(
      'an Iterable or AsyncIterable of { x, y } batches (from a function called once per epoch)',
      `${name} (epoch ${epoch})`,
      describe(iterable),
    );
  }
  return make.call(it);
}

const ABORTED: unique symbol = Symbol('aborted');

/**
 * `p`, or {@link ABORTED} as soon as `signal` is aborted, whichever comes first. The
 * listener is removed when `p` settles (one per batch would pile up otherwise).
 */
function orAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T | typeof ABORTED> {
  if (signal === undefined) return p;
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      resolve(ABORTED);
      return;
    }
    const onAbort = (): void => resolve(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** Closes an iterator left early (as `for … of` does), ignoring what its `return()` throws. */
async function close(it: AnyIterator): Promise<void> {
  try {
    await it.return?.();
  } catch {
    // The error that ended training is the one to report.
  }
}

/** Runs a staging generator to the end (sliced across event-loop turns when it is long). */
async function stage<T>(steps: Staging<T>): Promise<T> {
  return await runSliced(steps);
}

/** Labels an argument error with where in the stream it happened. */
function atBatch<E>(err: E, epoch: number, batch: number): E {
  if (err !== null && typeof err === 'object') Object.assign(err, { epoch, batch });
  return err;
}

/**
 * The body of `Network.fitDataset` (see the module comment). The host's `fitting` flag is
 * set for the whole call; `training` only while a batch trains, so callbacks may read the
 * network between batches.
 */
export async function fitDataset(host: DatasetHost, source: unknown, options: unknown): Promise<History> {
  const o = expectOptionalObject(options, 'fitDataset options');
  expectKnownKeys(o, OPTION_KEYS, 'fitDataset options');
  if (!isSource(source)) {
    throw invalid(
      'a function returning an (async) iterable of { x, y } batches, or a re-iterable object such as an array of batches',
      'source',
      describe(source),
    );
  }
  const epochs = o.epochs === undefined ? 1 : expectInteger(o.epochs, 'epochs', 1);
  const onEpochEnd = expectFunction<FitOptions['onEpochEnd']>(o.onEpochEnd, 'onEpochEnd');
  const onBatchEnd = expectFunction<FitOptions['onBatchEnd']>(o.onBatchEnd, 'onBatchEnd');
  const signal = expectAbortSignal(o.signal, 'signal');
  const runner = new CallbackRunner(o.callbacks);
  const initialEpoch =
    o.initialEpoch === undefined ? host.epochsTrained.get() : expectInteger(o.initialEpoch, 'initialEpoch', 0);
  const vd = o.validationData;
  let valSource: DataSource | null = null;
  let valArrays: [unknown, unknown] | null = null;
  if (Array.isArray(vd) && vd.length === 2 && !isBatch(vd[0])) valArrays = [vd[0], vd[1]];
  else if (vd !== undefined && isSource(vd)) valSource = vd;
  else if (vd !== undefined)
    throw invalid('a pair [x, y] or a source of { x, y } batches', 'validationData', describe(vd));

  const { inputs, outputs, backend, model, loss } = host;
  const yCols = loss === 'sparseCategoricalCrossentropy' ? 1 : outputs;
  const history: History = { epochs: [], loss: [], lr: [] };
  if (host.accuracy) history.accuracy = [];
  if (vd !== undefined) {
    history.valLoss = [];
    if (host.accuracy) history.valAccuracy = [];
  }

  /**
   * Two shared buffers for x, used by batches of even and odd index in turn: when batch
   * b is staged, batch b − 1 trains and batch b − 2 (the same buffer) is done. A fresh
   * buffer per batch would fault its pages in anew every time (slow on a VM: the copy of a
   * 256 × 784 batch took 3–5 ms that way, longer than its training).
   */
  const xBuffers: [Float32Array, Float32Array] = [new Float32Array(0), new Float32Array(0)];
  /** x of a batch: a Float32Array copied and checked into a reused buffer (the common case), else as fit stages it. */
  async function stageX(value: unknown, name: string, batch: number): Promise<{ data: Float32Array; rows: number }> {
    if (!(value instanceof Float32Array) || value.length === 0 || value.length % inputs !== 0)
      return stage(stageMatrix(value, name, inputs, backend));
    const slot = batch & 1;
    if (xBuffers[slot].length < value.length)
      xBuffers[slot] = new Float32Array(new SharedArrayBuffer(4 * Math.max(value.length, 2 * xBuffers[slot].length)));
    const data = xBuffers[slot].subarray(0, value.length);
    const bad = backend.copyInRange(value, data, -FLT_MAX, FLT_MAX);
    if (bad >= 0) throw nonFinite(value[bad]!, bad, name, inputs);
    return { data, rows: value.length / inputs };
  }

  /** Checks and copies one batch; errors name the epoch and batch. */
  async function stageBatch(value: unknown, name: string, epoch: number, batch: number): Promise<Staged> {
    const where = `${name} (epoch ${epoch}, batch ${batch})`;
    try {
      if (value === null || typeof value !== 'object' || !('x' in value) || !('y' in value))
        throw invalid('an object { x, y }', where, describe(value));
      const b = value as { x: unknown; y: unknown };
      const xs = await stageX(b.x, `x of ${where}`, batch);
      const ys = await stage(stageTargets(b.y, `y of ${where}`, loss, xs.rows, outputs, backend));
      host.checkBatchRows(xs.rows, `x of ${where}`);
      return { x: xs.data, y: ys, rows: xs.rows };
    } catch (err) {
      throw atBatch(err, epoch, batch);
    }
  }

  /** The next staged batch, or null at the end of the iteration. */
  async function pull(it: AnyIterator, name: string, epoch: number, batch: number): Promise<Staged | null> {
    const r = await it.next();
    if (r.done === true) return null;
    return stageBatch(r.value, name, epoch, batch);
  }

  let order = new Int32Array(new SharedArrayBuffer(4));
  order[0] = 0;
  /** The identity order over `rows` rows (grown as larger batches come). */
  function identity(rows: number): Int32Array {
    if (order.length < rows) {
      order = new Int32Array(new SharedArrayBuffer(4 * Math.max(rows, 2 * order.length)));
      for (let i = 0; i < order.length; i++) order[i] = i;
    }
    return order.subarray(0, rows);
  }

  /** The validation arrays, staged (checked) before the first batch and kept for the call. */
  let valStaged: Staged | null = null;
  async function validate(epoch: number): Promise<{ loss: number; correct: number; rows: number }> {
    if (valStaged !== null) {
      const v = await host.evaluate(valStaged.x, valStaged.y, valStaged.rows, yCols);
      return { ...v, rows: valStaged.rows };
    }
    const it = open(valSource!, 'validationData', epoch);
    let lossSum = 0;
    let correct = 0;
    let rows = 0;
    let done = false;
    try {
      for (let b = 0; ; b++) {
        const s = await pull(it, 'validationData', epoch, b);
        if (s === null) break;
        const v = await host.evaluate(s.x, s.y, s.rows, yCols);
        lossSum += v.loss * s.rows;
        correct += v.correct;
        rows += s.rows;
      }
      done = true;
    } finally {
      if (!done) await close(it);
    }
    if (rows === 0) throw invalid('at least one validation batch', `validationData (epoch ${epoch})`, 'none');
    return { loss: lossSum / rows, correct, rows };
  }

  // Busy from here to the end, as fit.
  host.setBusy(true, false);
  try {
    if (valArrays !== null) {
      const [vx, vy] = valArrays;
      const xs = await stage(stageMatrix(vx, 'validationData[0]', inputs, backend));
      const ys = await stage(stageTargets(vy, 'validationData[1]', loss, xs.rows, outputs, backend));
      valStaged = { x: xs.data, y: ys, rows: xs.rows };
    }
    host.stopTraining.set(false);
    await runner.trainBegin(host.net);
    for (let epoch = initialEpoch; epoch < initialEpoch + epochs; epoch++) {
      if (signal?.aborted || host.stopTraining.get()) break;
      await runner.epochBegin(epoch);
      let lastRate = host.nextRate();
      const it = open(source, 'source', epoch);
      let lossSum = 0;
      let correct = 0;
      let samples = 0;
      let batches = 0;
      let aborted = false;
      let finished = false;
      try {
        let next: Promise<Staged | null> = pull(it, 'source', epoch, 0);
        for (let b = 0; ; b++) {
          // A rejected pull is reported when it is awaited, after the batch before it trained.
          // An abort does not wait for a slow source: its pending batch is dropped.
          const current = await orAborted(next, signal);
          if (current === ABORTED || signal?.aborted) {
            aborted = true;
            if (current === ABORTED) {
              // The iterator may be stuck in the pending next(): close it without waiting.
              finished = true;
              void close(it);
            }
            break;
          }
          if (current === null) {
            finished = true;
            break;
          }
          let batchLoss = 0;
          let batchCorrect = 0;
          // This batch's rate, from the schedule at the update count t (as fit fixes each of its batches').
          const rate = host.nextRate();
          lastRate = rate;
          host.setBusy(true, true);
          const training = model
            .trainEpoch({
              x: current.x,
              y: current.y,
              order: identity(current.rows),
              batchSize: current.rows,
              firstStep: host.step(),
              onBatchEnd: (_batch, l, c) => {
                batchLoss = l;
                batchCorrect = c;
              },
              signal,
              learningRates: Float64Array.of(rate),
            })
            .finally(() => {
              host.rateChanged();
              host.setBusy(true, false);
            });
          // The next batch is pulled (and checked) while this one trains.
          next = pull(it, 'source', epoch, b + 1);
          next.catch(() => undefined);
          const r = await training;
          host.advance(r.batches);
          if (r.status === 'nonfinite') throw nonFiniteLossError(epoch, b, history);
          if (r.status === 'aborted' || r.batches === 0) {
            aborted = true;
            break;
          }
          batches++;
          lossSum += r.lossSum;
          correct += r.correct;
          samples += r.samples;
          const logs: BatchLogs = host.accuracy
            ? { loss: batchLoss, accuracy: batchCorrect / current.rows, size: current.rows }
            : { loss: batchLoss, size: current.rows };
          if (onBatchEnd) await onBatchEnd(b, logs);
          await runner.batchEnd(b, logs);
        }
      } finally {
        if (!finished) await close(it);
      }
      if (samples === 0) {
        if (aborted) break;
        throw invalid(
          'a source yielding at least one batch every epoch (a one-shot iterator such as a generator object or a stream serves one epoch: pass a function returning a new one)',
          `source (epoch ${epoch})`,
          'no batches',
          'range',
        );
      }
      host.epochsTrained.set(epoch + 1);
      const logs: EpochLogs = { loss: lossSum / samples, lr: lastRate };
      if (host.accuracy) logs.accuracy = correct / samples;
      if (vd !== undefined) {
        const v = await validate(epoch);
        logs.valLoss = v.loss;
        if (host.accuracy) logs.valAccuracy = v.correct / v.rows;
      }
      history.epochs.push(epoch);
      history.loss.push(logs.loss);
      if (logs.accuracy !== undefined) history.accuracy!.push(logs.accuracy);
      if (logs.valLoss !== undefined) history.valLoss!.push(logs.valLoss);
      if (logs.valAccuracy !== undefined) history.valAccuracy!.push(logs.valAccuracy);
      history.lr!.push(lastRate);
      await runner.epochEnd(epoch, logs);
      if (onEpochEnd) await onEpochEnd(epoch, logs);
      if (aborted || batches === 0) break;
    }
    await runner.trainEnd(history);
  } catch (err) {
    if (err instanceof StagingAborted) return history;
    throw err;
  } finally {
    host.setBusy(false, false);
  }
  return history;
}

/** Whether `value` looks like a `{ x, y }` batch (to tell `[batch, batch]` from `[x, y]`). */
function isBatch(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && 'x' in value && 'y' in value;
}
