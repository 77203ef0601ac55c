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
 * - Metrics: every compiled metric (lib/metrics.ts) is reported in the epoch logs and the
 *   History, over the epoch's training rows (each row's output before its batch's step,
 *   EpochJob.outputs) and on the validation data, as `fit` reports them. They are
 *   accumulated batch by batch ({@link MetricAccumulator}): confusion counts and float64
 *   sums of fixed size, so memory stays bounded — except `auc`, which is exact and so keeps
 *   every row's scores and labels (memory growing with rows × outputs, 5 bytes per score,
 *   until the epoch's end): leave `auc` out for an unbounded stream. All but the training
 *   `r2` equal `fit`'s bit for bit on the same batches; that `r2` merges the batches' target
 *   means (~1e-12 relative). Validation arrays are scored at once, as in `fit`.
 * - Row weights: a batch may carry `sampleWeight` (or its alias `w`), one weight per row,
 *   and the `classWeight` option multiplies it per class, with `fit`'s semantics
 *   (lib/weights.ts): the same weights give `fit`'s weights and losses bit for bit. A
 *   training batch whose weights are all 0 is rejected (its loss would be 0/0). In a
 *   validation source, `sampleWeight` weights the validation loss (batches combined by
 *   Σ wᵢ), as `fit`'s `validationData[2]`, which a `[x, y, sampleWeight]` triple also gives.
 */
import type { Backend, BackendModel, LossName } from '../backend/types';
import { type Callback, CallbackRunner } from '../callbacks';
import { nonFiniteLossError } from '../errors';
import { computeMetrics, MetricAccumulator, type MetricName, type MetricValues, valKey } from '../metrics';
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
import { hasPositiveWeight, rowWeights, toClassWeight, toSampleWeight } from '../weights';

/** One batch of a {@link DataSource}: inputs and targets in the forms of `fit` (Data in the README). */
export interface DataBatch {
  /** `[rows × inputs]`: a row-major Float32Array, number[][] or flat number[]. */
  x: Input;
  /** Targets for the rows of `x`, in the forms of `fit`'s `y`. */
  y: Targets;
  /**
   * Optional row weights, one finite weight ≥ 0 per row of `x` (as `fit`'s
   * `sampleWeight`), multiplied by the `classWeight` option's weight of the row's class.
   * In a validation source they weight the validation loss (as `fit`'s
   * `validationData[2]`).
   */
  sampleWeight?: Float32Array | number[];
  /** Alias of `sampleWeight` (give one of the two). */
  w?: Float32Array | number[];
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
  /**
   * `[x, y]` or `[x, y, sampleWeight]` arrays (as `fit`), or a {@link DataSource} (whose
   * batches' `sampleWeight` weights the loss), evaluated at the end of every epoch.
   */
  validationData?: [Input, Targets] | [Input, Targets, Float32Array | number[]] | DataSource;
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
  /**
   * As in `fit`: one weight per class (2 for one output), multiplying each training row's
   * weight (its batch's `sampleWeight`, else 1). Validation rows are not class-weighted (as `fit`).
   */
  classWeight?: number[];
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
  /** Every compiled metric, in the order given. */
  metrics: readonly MetricName[];
  /** Inference over `rows` rows of `x` into `out` (for the validation metrics). */
  predict(x: Float32Array, rows: number, out: Float32Array): void;
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
  evaluate(
    x: Float32Array,
    y: Float32Array,
    rows: number,
    yCols: number,
    w?: Float32Array | null,
  ): Promise<{ loss: number; correct: number }>;
}

/** A staged batch: shared-buffer copies, checked. */
interface Staged {
  x: Float32Array;
  y: Float32Array;
  rows: number;
  /** The batch's `sampleWeight`, checked (null when absent). */
  sw: Float32Array | null;
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
  'classWeight',
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
  const classWeight = o.classWeight === undefined ? null : toClassWeight(o.classWeight, 'classWeight', host.outputs);
  const vd = o.validationData;
  let valSource: DataSource | null = null;
  let valArrays: [unknown, unknown, unknown] | null = null;
  if (Array.isArray(vd) && (vd.length === 2 || vd.length === 3) && !isBatch(vd[0])) valArrays = [vd[0], vd[1], vd[2]];
  else if (vd !== undefined && isSource(vd)) valSource = vd;
  else if (vd !== undefined)
    throw invalid(
      'a pair [x, y], a triple [x, y, sampleWeight] or a source of { x, y } batches',
      'validationData',
      describe(vd),
    );

  const { inputs, outputs, backend, model, loss } = host;
  const yCols = loss === 'sparseCategoricalCrossentropy' ? 1 : outputs;
  const history: History = { epochs: [], loss: [], lr: [] };
  if (host.accuracy) history.accuracy = [];
  if (vd !== undefined) {
    history.valLoss = [];
    if (host.accuracy) history.valAccuracy = [];
  }
  // The other metrics (lib/metrics.ts), accumulated batch by batch (MetricAccumulator).
  const setMetrics = host.metrics.filter((m) => m !== 'accuracy');
  const hist = history as unknown as Record<string, number[]>;
  for (const m of setMetrics) hist[m] = [];
  if (vd !== undefined) for (const m of setMetrics) hist[valKey(m)] = [];
  /** Each training row's output before its batch's step (EpochJob.outputs), reused across batches. */
  let outBuffer: Float32Array = new Float32Array(0);
  function batchOutputs(rows: number): Float32Array {
    if (outBuffer.length < rows * outputs)
      outBuffer = new Float32Array(new SharedArrayBuffer(4 * Math.max(rows * outputs, 2 * outBuffer.length)));
    return outBuffer.subarray(0, rows * outputs);
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
      const b = value as { x: unknown; y: unknown; sampleWeight?: unknown; w?: unknown };
      if (b.sampleWeight !== undefined && b.w !== undefined)
        throw invalid('either sampleWeight or w, not both', where, 'both');
      const xs = await stageX(b.x, `x of ${where}`, batch);
      const ys = await stage(stageTargets(b.y, `y of ${where}`, loss, xs.rows, outputs, backend));
      host.checkBatchRows(xs.rows, `x of ${where}`);
      const key = b.w !== undefined ? 'w' : 'sampleWeight';
      const swValue = b.w !== undefined ? b.w : b.sampleWeight;
      const sw = swValue === undefined ? null : toSampleWeight(swValue, `${key} of ${where}`, xs.rows);
      return { x: xs.data, y: ys, rows: xs.rows, sw };
    } catch (err) {
      throw atBatch(err, epoch, batch);
    }
  }

  /** A training batch's row weights (classWeight × sampleWeight, as fit), or undefined without either. */
  function trainWeights(s: Staged, epoch: number, batch: number): Float32Array | undefined {
    const where = `source (epoch ${epoch}, batch ${batch})`;
    try {
      const w = rowWeights(loss, s.y, s.rows, outputs, classWeight, s.sw, true);
      if (w === null) return undefined;
      // Σ wᵢ = 0 would make the batch's loss 0/0.
      if (!hasPositiveWeight(w))
        throw invalid(
          'a positive weight in every batch (classWeight × sampleWeight)',
          `sampleWeight of ${where}`,
          'all weights 0',
          'range',
        );
      return w;
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

  /** The one-entry rate array of each single-batch epoch, reused (backends read it before the batch resolves). */
  const batchRate = new Float64Array(1);
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
  async function validate(
    epoch: number,
  ): Promise<{ loss: number; correct: number; rows: number; metrics: MetricValues }> {
    if (valStaged !== null) {
      const s = valStaged;
      const v = await host.evaluate(s.x, s.y, s.rows, yCols, s.sw);
      let metrics: MetricValues = {};
      if (setMetrics.length > 0) {
        // As fit: the whole set's outputs at once.
        const yhat = new Float32Array(s.rows * outputs);
        host.predict(s.x, s.rows, yhat);
        metrics = computeMetrics(host.metrics, loss, yhat, s.y, outputs, s.rows);
      }
      return { ...v, rows: s.rows, metrics };
    }
    const it = open(valSource!, 'validationData', epoch);
    const acc = new MetricAccumulator(host.metrics, loss, outputs);
    let lossSum = 0;
    let weightSum = 0;
    let correct = 0;
    let rows = 0;
    let done = false;
    try {
      for (let b = 0; ; b++) {
        const s = await pull(it, 'validationData', epoch, b);
        if (s === null) break;
        // A batch's weight in the mean: its rows, or Σ wᵢ (a batch with Σ wᵢ = 0 adds no loss).
        let cw = s.rows;
        if (s.sw !== null) {
          cw = 0;
          for (let i = 0; i < s.rows; i++) cw += s.sw[i]!;
        }
        const v = await host.evaluate(s.x, s.y, s.rows, yCols, cw > 0 ? s.sw : null);
        if (cw > 0) lossSum += v.loss * cw;
        weightSum += cw;
        correct += v.correct;
        rows += s.rows;
        if (acc.active) {
          const yhat = new Float32Array(s.rows * outputs);
          host.predict(s.x, s.rows, yhat);
          acc.add(yhat, s.y, s.rows);
        }
      }
      done = true;
    } finally {
      if (!done) await close(it);
    }
    if (rows === 0) throw invalid('at least one validation batch', `validationData (epoch ${epoch})`, 'none');
    if (!(weightSum > 0))
      throw invalid(
        'validation sample weights with a positive sum',
        `validationData (epoch ${epoch})`,
        'all 0',
        'range',
      );
    return { loss: lossSum / weightSum, correct, rows, metrics: acc.result() };
  }

  // Busy from here to the end, as fit.
  host.setBusy(true, false);
  try {
    if (valArrays !== null) {
      const [vx, vy, vw] = valArrays;
      const xs = await stage(stageMatrix(vx, 'validationData[0]', inputs, backend));
      const ys = await stage(stageTargets(vy, 'validationData[1]', loss, xs.rows, outputs, backend));
      const sw = vw === undefined ? null : toSampleWeight(vw, 'validationData[2]', xs.rows);
      if (sw !== null && !hasPositiveWeight(sw))
        throw invalid('sample weights with a positive sum', 'validationData[2]', 'all 0', 'range');
      valStaged = { x: xs.data, y: ys, rows: xs.rows, sw };
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
      const trainMetrics = new MetricAccumulator(host.metrics, loss, outputs);
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
          const weights = trainWeights(current, epoch, b);
          const out = trainMetrics.active ? batchOutputs(current.rows) : undefined;
          // This batch's rate, from the schedule at the update count t (as fit fixes each of its batches').
          const rate = host.nextRate();
          lastRate = rate;
          batchRate[0] = rate;
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
              ...(weights === undefined ? {} : { weights }),
              ...(out === undefined ? {} : { outputs: out }),
              learningRates: batchRate,
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
          if (out !== undefined) trainMetrics.add(out, current.y, current.rows);
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
      if (trainMetrics.active) Object.assign(logs, trainMetrics.result());
      const lg = logs as unknown as Record<string, number>;
      if (vd !== undefined) {
        const v = await validate(epoch);
        logs.valLoss = v.loss;
        if (host.accuracy) logs.valAccuracy = v.correct / v.rows;
        for (const m of setMetrics) lg[valKey(m)] = v.metrics[m as keyof MetricValues]!;
      }
      history.epochs.push(epoch);
      history.loss.push(logs.loss);
      if (logs.accuracy !== undefined) history.accuracy!.push(logs.accuracy);
      if (logs.valLoss !== undefined) history.valLoss!.push(logs.valLoss);
      if (logs.valAccuracy !== undefined) history.valAccuracy!.push(logs.valAccuracy);
      for (const m of setMetrics) {
        if (lg[m] !== undefined) hist[m]!.push(lg[m]!);
        if (lg[valKey(m)] !== undefined) hist[valKey(m)]!.push(lg[valKey(m)]!);
      }
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
