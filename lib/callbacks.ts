/**
 * Training callbacks: the {@link Callback} protocol `fit` (and `fitDataset`) drive through
 * a {@link CallbackRunner}, and the built-in {@link earlyStopping}, {@link reduceLROnPlateau}
 * and {@link checkpoint}.
 *
 * What a callback can observe:
 * - `onTrainBegin`, `onEpochBegin`, `onEpochEnd`, `onTrainEnd` run between epochs, on the
 *   main thread, with no epoch in flight: the network is readable and savable there
 *   (`getWeights`, `predict`, `evaluate`, `gradients`, `save`, `toJSON`), while `fit`,
 *   `trainOnBatch`, `setWeights`, `compile` and `dispose` stay busy. A returned Promise is
 *   awaited before training goes on.
 * - `onBatchEnd(batch, logs)` runs while the epoch is in flight, so the network's weights
 *   cannot be read there (those calls throw `DENSELY_BUSY`). On js it runs after the batch's
 *   step, before the next batch, and a returned Promise is awaited before that batch. On
 *   native the epoch runs on a worker thread and the reports arrive asynchronously,
 *   several batches at once when batches are fast: the worker does not wait for a returned
 *   Promise (all of the epoch's are awaited before its `onEpochEnd`), and a throw (or a
 *   rejection) stops the epoch at the next batch boundary and rejects the `fit`.
 * - Setting `net.optimizer.learningRate` takes effect from the next epoch in `fit` (each
 *   epoch's per-batch rates are fixed when it starts, on both backends); setting
 *   `net.stopTraining = true` ends `fit` after the current epoch's callbacks.
 */
import type { BatchLogs, EpochLogs, History } from './network_types';
import {
  describe,
  expectInteger,
  expectKnownKeys,
  expectNumber,
  expectOneOf,
  expectOptionalObject,
  invalid,
} from './validate';

/** The network as a callback sees it (structurally: the {@link Network} class). */
export interface CallbackNetwork {
  stopTraining: boolean;
  readonly optimizer: { learningRate: unknown } | null;
  save(path: string, options?: { optimizer?: boolean }): void;
}

/**
 * A training callback: an object with any of these methods, called by `fit` (and
 * `fitDataset`) in this order; a returned Promise is awaited (see the module notes for
 * `onBatchEnd` on native). Epoch numbers count on from `initialEpoch`, as `History.epochs`.
 */
export interface Callback {
  /** Before the first epoch, after the data are staged. */
  onTrainBegin?(net: CallbackNetwork): void | Promise<void>;
  /** Before each epoch. */
  onEpochBegin?(epoch: number): void | Promise<void>;
  /** After each applied batch (0-based within its epoch). */
  onBatchEnd?(batch: number, logs: BatchLogs): void | Promise<void>;
  /** After each epoch, with its logs (validation included). */
  onEpochEnd?(epoch: number, logs: EpochLogs): void | Promise<void>;
  /** After the last epoch (also when stopped early or aborted; not when `fit` rejects). */
  onTrainEnd?(history: History): void | Promise<void>;
}

const HOOKS = ['onTrainBegin', 'onEpochBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd'] as const;

/** Internal hooks on Network that the built-in callbacks use: a copy of every parameter, and restoring one. */
export const SNAPSHOT_PARAMS: unique symbol = Symbol('densely.snapshotParams');
export const RESTORE_PARAMS: unique symbol = Symbol('densely.restoreParams');

interface ParamAccess {
  [SNAPSHOT_PARAMS](): Float32Array;
  [RESTORE_PARAMS](params: Float32Array): void;
}

/**
 * Runs a list of callbacks in order, awaiting each returned Promise before the next call.
 * `fit` and `fitDataset` drive it: trainBegin, then per epoch epochBegin, batchEnd for
 * each batch, epochEnd, and finally trainEnd.
 */
export class CallbackRunner {
  readonly #callbacks: readonly Callback[];
  #pending: Array<Promise<void>> = [];
  #error: { error: unknown } | undefined;

  /** @throws TypeError naming `callbacks[i]` for anything but objects whose hooks are functions. */
  constructor(callbacks: unknown, name = 'callbacks') {
    if (callbacks === undefined) {
      this.#callbacks = [];
      return;
    }
    if (!Array.isArray(callbacks)) throw invalid('an array of callback objects', name, describe(callbacks));
    callbacks.forEach((c: unknown, i) => {
      if (c === null || typeof c !== 'object') throw invalid('a callback object', `${name}[${i}]`, describe(c));
      for (const h of HOOKS) {
        const f = (c as Record<string, unknown>)[h];
        if (f !== undefined && typeof f !== 'function') throw invalid('a function', `${name}[${i}].${h}`, describe(f));
      }
    });
    this.#callbacks = [...(callbacks as Callback[])];
  }

  /** Whether some callback has `onBatchEnd`. */
  get wantsBatches(): boolean {
    return this.#callbacks.some((c) => c.onBatchEnd !== undefined);
  }

  /** Calls every `onTrainBegin(net)` in order. */
  async trainBegin(net: CallbackNetwork): Promise<void> {
    for (const c of this.#callbacks) await c.onTrainBegin?.(net);
  }

  /** Calls every `onEpochBegin(epoch)` in order. */
  async epochBegin(epoch: number): Promise<void> {
    for (const c of this.#callbacks) await c.onEpochBegin?.(epoch);
  }

  /**
   * Calls every `onBatchEnd`; returns a Promise (for the caller to await, as the js backend
   * does) only when one of them returned one. Each such Promise is also kept, so that
   * {@link CallbackRunner.settleBatches} can await it where nobody else does (native).
   */
  batchEnd(batch: number, logs: BatchLogs): void | Promise<void> {
    const list = this.#callbacks;
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!.onBatchEnd?.(batch, logs);
      if (r instanceof Promise) {
        const rest = (async (): Promise<void> => {
          await r;
          for (let j = i + 1; j < list.length; j++) await list[j]!.onBatchEnd?.(batch, logs);
        })();
        const kept = rest.catch((error: unknown) => {
          this.#error ??= { error };
        });
        this.#pending.push(kept);
        return rest;
      }
    }
  }

  /** Awaits every `onBatchEnd` Promise so far; rethrows the first rejection. */
  async settleBatches(): Promise<void> {
    const p = this.#pending;
    this.#pending = [];
    await Promise.all(p);
    if (this.#error !== undefined) {
      const e = this.#error.error;
      this.#error = undefined;
      throw e;
    }
  }

  /** Settles the epoch's `onBatchEnd` promises, then calls every `onEpochEnd(epoch, logs)` in order. */
  async epochEnd(epoch: number, logs: EpochLogs): Promise<void> {
    await this.settleBatches();
    for (const c of this.#callbacks) await c.onEpochEnd?.(epoch, logs);
  }

  /** Calls every `onTrainEnd(history)` in order. */
  async trainEnd(history: History): Promise<void> {
    for (const c of this.#callbacks) await c.onTrainEnd?.(history);
  }
}

/** A monitored quantity: a key of the epoch logs ({@link EpochLogs}), e.g. `'valLoss'`, `'loss'`, `'valAccuracy'`. */
export type Monitor = string;

/** `'min'`, `'max'`, or `'auto'`: max for accuracy-like monitors (accuracy, auc, precision, recall, f1, r2), else min. */
export type MonitorMode = 'min' | 'max' | 'auto';

function resolveMode(mode: MonitorMode, monitor: string): 'min' | 'max' {
  if (mode !== 'auto') return mode;
  return /acc|auc|precision|recall|f1|r2/i.test(monitor) ? 'max' : 'min';
}

function monitored(logs: EpochLogs, monitor: string, who: string): number | undefined {
  const v = (logs as unknown as Record<string, unknown>)[monitor];
  if (typeof v === 'number') return v;
  process.emitWarning(
    `${who}: the epoch logs have no '${monitor}' (they have ${Object.keys(logs).join(', ')}); skipped this epoch`,
    { code: 'DENSELY_CALLBACK_MONITOR' },
  );
  return undefined;
}

function paramAccess(net: CallbackNetwork): ParamAccess {
  return net as unknown as ParamAccess;
}

/** Options of {@link earlyStopping}. */
export interface EarlyStoppingOptions {
  /** The epoch-log key to watch. Default `'valLoss'`. */
  monitor?: Monitor;
  /** Epochs without improvement after which training stops. Default 0. */
  patience?: number;
  /** The least change that counts as an improvement (absolute). Default 0. */
  minDelta?: number;
  /** Default `'auto'`. */
  mode?: MonitorMode;
  /** At the end of training, put back the weights of the best epoch. Default false. */
  restoreBestWeights?: boolean;
}

/**
 * Keras's `EarlyStopping`: after each epoch, `wait` grows by one; a monitored value better
 * than the best so far by more than `minDelta` (below `best − minDelta` in min mode, above
 * `best + minDelta` in max mode) becomes the best and resets `wait` to 0; otherwise, when
 * `wait ≥ patience` (and it is not the first epoch), training stops after this epoch. With
 * `restoreBestWeights`, the weights of the best epoch are put back when training ends
 * (whether or not it stopped early).
 */
export class EarlyStopping implements Callback {
  readonly monitor: string;
  readonly patience: number;
  readonly minDelta: number;
  readonly mode: 'min' | 'max';
  readonly restoreBestWeights: boolean;
  /** The best monitored value so far. */
  best = Infinity;
  /** The epoch of the best value, or -1 before any. */
  bestEpoch = -1;
  /** The epoch training stopped after, or -1. */
  stoppedEpoch = -1;
  /** Epochs since the last improvement. */
  wait = 0;
  /** Whether the last epoch improved on the best. */
  improved = false;
  #net: CallbackNetwork | null = null;
  #bestParams: Float32Array | null = null;
  #first = true;

  constructor(options: EarlyStoppingOptions = {}) {
    const o = expectOptionalObject(options, 'earlyStopping options');
    expectKnownKeys(o, ['monitor', 'patience', 'minDelta', 'mode', 'restoreBestWeights'], 'earlyStopping options');
    this.monitor = o.monitor === undefined ? 'valLoss' : expectMonitor(o.monitor);
    this.patience = o.patience === undefined ? 0 : expectInteger(o.patience, 'patience', 0);
    this.minDelta = o.minDelta === undefined ? 0 : Math.abs(expectNumber(o.minDelta, 'minDelta'));
    this.mode = resolveMode(
      o.mode === undefined ? 'auto' : expectOneOf(o.mode, ['min', 'max', 'auto'] as const, 'mode'),
      this.monitor,
    );
    this.restoreBestWeights = o.restoreBestWeights === undefined ? false : o.restoreBestWeights === true;
    if (o.restoreBestWeights !== undefined && typeof o.restoreBestWeights !== 'boolean')
      throw invalid('a boolean', 'restoreBestWeights', describe(o.restoreBestWeights));
  }

  onTrainBegin(net: CallbackNetwork): void {
    this.#net = net;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.bestEpoch = -1;
    this.stoppedEpoch = -1;
    this.wait = 0;
    this.improved = false;
    this.#bestParams = null;
    this.#first = true;
  }

  onEpochEnd(epoch: number, logs: EpochLogs): void {
    const current = monitored(logs, this.monitor, 'earlyStopping');
    this.improved = false;
    if (current === undefined) return;
    const first = this.#first;
    this.#first = false;
    this.wait++;
    const better = this.mode === 'min' ? current + this.minDelta < this.best : current - this.minDelta > this.best;
    if (better) {
      this.best = current;
      this.bestEpoch = epoch;
      this.improved = true;
      this.wait = 0;
      if (this.restoreBestWeights && this.#net) this.#bestParams = paramAccess(this.#net)[SNAPSHOT_PARAMS]();
      return;
    }
    if (this.wait >= this.patience && !first) {
      this.stoppedEpoch = epoch;
      if (this.#net) this.#net.stopTraining = true;
    }
  }

  onTrainEnd(): void {
    if (this.restoreBestWeights && this.#bestParams !== null && this.#net)
      paramAccess(this.#net)[RESTORE_PARAMS](this.#bestParams);
    this.#bestParams = null;
  }
}

function expectMonitor(v: unknown): string {
  if (typeof v !== 'string' || v.length === 0)
    throw invalid('an epoch-log key such as "valLoss"', 'monitor', describe(v));
  return v;
}

/** Stops training when a monitored quantity stops improving ({@link EarlyStopping}). */
export function earlyStopping(options: EarlyStoppingOptions = {}): EarlyStopping {
  return new EarlyStopping(options);
}

/** Options of {@link reduceLROnPlateau}. */
export interface ReduceLROnPlateauOptions {
  /** The epoch-log key to watch (minimised). Default `'valLoss'`. */
  monitor?: Monitor;
  /** The rate is multiplied by this, in [0, 1). Default 0.1. */
  factor?: number;
  /** Epochs without improvement tolerated before a reduction. Default 10. */
  patience?: number;
  /** Relative improvement needed: better means below `best · (1 − threshold)`. Default 1e-4. */
  threshold?: number;
  /** Epochs after a reduction during which bad epochs are not counted. Default 0. */
  cooldown?: number;
  /** The rate never goes below this. Default 0. */
  minLr?: number;
}

/**
 * PyTorch's `ReduceLROnPlateau` (mode min, threshold_mode rel, eps 1e-8), stepped once per
 * epoch with the monitored value: better means below `best · (1 − threshold)`; after more
 * than `patience` bad epochs the rate becomes `max(lr · factor, minLr)` (when that changes
 * it by more than 1e-8) and `cooldown` epochs follow in which bad epochs are not counted.
 * Needs a numeric `learningRate` (not a schedule).
 */
export class ReduceLROnPlateau implements Callback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly cooldown: number;
  readonly minLr: number;
  best = Infinity;
  numBadEpochs = 0;
  cooldownCounter = 0;
  #net: CallbackNetwork | null = null;

  constructor(options: ReduceLROnPlateauOptions = {}) {
    const o = expectOptionalObject(options, 'reduceLROnPlateau options');
    expectKnownKeys(
      o,
      ['monitor', 'factor', 'patience', 'threshold', 'cooldown', 'minLr'],
      'reduceLROnPlateau options',
    );
    this.monitor = o.monitor === undefined ? 'valLoss' : expectMonitor(o.monitor);
    this.factor =
      o.factor === undefined ? 0.1 : expectNumber(o.factor, 'factor', { min: 0, max: 1, maxExclusive: true });
    this.patience = o.patience === undefined ? 10 : expectInteger(o.patience, 'patience', 0);
    this.threshold = o.threshold === undefined ? 1e-4 : expectNumber(o.threshold, 'threshold', { min: 0 });
    this.cooldown = o.cooldown === undefined ? 0 : expectInteger(o.cooldown, 'cooldown', 0);
    this.minLr = o.minLr === undefined ? 0 : expectNumber(o.minLr, 'minLr', { min: 0 });
  }

  onTrainBegin(net: CallbackNetwork): void {
    const lr = net.optimizer?.learningRate;
    if (typeof lr !== 'number')
      throw invalid('a network whose optimizer has a numeric learningRate', 'reduceLROnPlateau', describe(lr));
    this.#net = net;
  }

  onEpochEnd(_epoch: number, logs: EpochLogs): void {
    const current = monitored(logs, this.monitor, 'reduceLROnPlateau');
    if (current === undefined) return;
    if (current < this.best * (1 - this.threshold)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      const opt = this.#net?.optimizer;
      if (opt && typeof opt.learningRate === 'number') {
        const old = opt.learningRate;
        const next = Math.max(old * this.factor, this.minLr);
        if (old - next > 1e-8) opt.learningRate = next;
      }
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
  }
}

/** Lowers the learning rate when a monitored quantity stops improving ({@link ReduceLROnPlateau}). */
export function reduceLROnPlateau(options: ReduceLROnPlateauOptions = {}): ReduceLROnPlateau {
  return new ReduceLROnPlateau(options);
}

/** Options of {@link checkpoint}. */
export interface CheckpointOptions {
  /** Save after every `every`-th epoch (epochs e with (e + 1) % every = 0). Default 1. */
  every?: number;
  /** The epoch-log key that `saveBestOnly` compares (lower is better unless accuracy-like). Default `'valLoss'`. */
  monitor?: Monitor;
  /** Save only when the monitored value improves on the best saved so far. Default false. */
  saveBestOnly?: boolean;
}

/**
 * Saves the network (with its optimizer state: a file `Network.load` resumes from) after
 * epochs, atomically (`save` writes a temporary file, then renames it). `{epoch}` in the
 * path becomes the epoch number (as in `History.epochs`).
 */
export class Checkpoint implements Callback {
  readonly path: string;
  readonly every: number;
  readonly monitor: string;
  readonly saveBestOnly: boolean;
  readonly mode: 'min' | 'max';
  best = Infinity;
  /** The paths written so far, in order. */
  readonly saved: string[] = [];
  #net: CallbackNetwork | null = null;

  constructor(path: string, options: CheckpointOptions = {}) {
    if (typeof path !== 'string' || path.length === 0) throw invalid('a file path string', 'path', describe(path));
    const o = expectOptionalObject(options, 'checkpoint options');
    expectKnownKeys(o, ['every', 'monitor', 'saveBestOnly'], 'checkpoint options');
    this.path = path;
    this.every = o.every === undefined ? 1 : expectInteger(o.every, 'every', 1);
    this.monitor = o.monitor === undefined ? 'valLoss' : expectMonitor(o.monitor);
    if (o.saveBestOnly !== undefined && typeof o.saveBestOnly !== 'boolean')
      throw invalid('a boolean', 'saveBestOnly', describe(o.saveBestOnly));
    this.saveBestOnly = o.saveBestOnly === true;
    this.mode = resolveMode('auto', this.monitor);
  }

  onTrainBegin(net: CallbackNetwork): void {
    this.#net = net;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  onEpochEnd(epoch: number, logs: EpochLogs): void {
    if ((epoch + 1) % this.every !== 0 || this.#net === null) return;
    if (this.saveBestOnly) {
      const v = monitored(logs, this.monitor, 'checkpoint');
      if (v === undefined) return;
      if (!(this.mode === 'min' ? v < this.best : v > this.best)) return;
      this.best = v;
    }
    const file = this.path.split('{epoch}').join(String(epoch));
    this.#net.save(file);
    this.saved.push(file);
  }
}

/** Saves checkpoints during training ({@link Checkpoint}). */
export function checkpoint(path: string, options: CheckpointOptions = {}): Checkpoint {
  return new Checkpoint(path, options);
}
