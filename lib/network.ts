import { promises as fsp, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { resolveBackend } from './backend/select';
import type { Backend, BackendModel, DenseSpec, LayerSpec, LossName, ModelSpec, OptimizerName } from './backend/types';
import { initialize } from './initializers';
import { Dense, type DenseOptions } from './layers/dense';
import { Dropout, type Layer } from './layers/dropout';
import { LOSSES, toTargets } from './losses';
import { Optimizer, resolveOptimizer } from './optimizers/index';
import { Rng } from './random';
import { decodeSafetensors, encodeSafetensors, type Tensor } from './safetensors';
import {
  busyError,
  describe,
  expectAbortSignal,
  expectBoolean,
  expectFunction,
  expectInteger,
  expectKnownKeys,
  expectNumber,
  expectObject,
  expectOneOf,
  expectOptionalObject,
  FLT_MAX,
  invalid,
  nonFinite,
  shape,
  toMatrix,
} from './validate';

export type { Layer } from './layers/dropout';

/** Options of the {@link Network} constructor. */
export interface NetworkOptions {
  /** Number of input features. */
  inputs: number;
  /** Dense and Dropout layers, in order; at least one Dense. */
  layers: Layer[];
  /** `'auto'` (default): native when the addon loads, else js with one warning. */
  backend?: 'auto' | 'native' | 'js';
  /** uint32 seed of initial weights, shuffling and dropout. Default: random (see `net.seed`). */
  seed?: number;
}

/**
 * A metric `compile({ metrics })` reports with the loss: `'accuracy'` is the fraction of
 * rows whose argmax output (first maximum) matches the target's argmax or class index;
 * with one output, ŷ > 0.5 against y > 0.5.
 */
export type Metric = 'accuracy';

/** Options of {@link Network.compile}. */
export interface CompileOptions {
  /** The loss to minimise; see {@link LOSSES} for each one's formula. */
  loss: LossName;
  /** An optimizer instance, or a name for that optimizer with its defaults. */
  optimizer: Optimizer | OptimizerName;
  /** Metrics reported in `evaluate`, the epoch logs and the {@link History}. */
  metrics?: Metric[];
}

/** What `onBatchEnd` receives after each training batch. */
export interface BatchLogs {
  /** The batch's mean loss before its step. */
  loss: number;
  /** The batch's accuracy, when compiled with `metrics: ['accuracy']`. */
  accuracy?: number;
  /** Rows in the batch. */
  size: number;
}

/** What `onEpochEnd` receives after each epoch. */
export interface EpochLogs {
  /** Mean training loss over the epoch's rows (each batch's loss before its step). */
  loss: number;
  /** Training accuracy over the epoch, with `metrics: ['accuracy']`. */
  accuracy?: number;
  /** Loss on the validation data at the end of the epoch, when there is some. */
  valLoss?: number;
  /** Validation accuracy, with validation data and `metrics: ['accuracy']`. */
  valAccuracy?: number;
}

/**
 * A batch of inputs: a row-major `Float32Array` of rows × inputs values (rows
 * inferred), an array of rows (`number[][]`), or a flat row-major `number[]`.
 */
export type Input = Float32Array | number[][] | number[];
/**
 * Targets, with as many rows as the inputs: the same forms as {@link Input}, or one
 * class index per row (`Int32Array`, `Float32Array` or `number[]`) for
 * `sparseCategoricalCrossentropy`.
 */
export type Targets = Float32Array | Int32Array | number[][] | number[];

export interface FitOptions {
  /** Default 1. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Reshuffle the training rows every epoch (seeded). Default true. */
  shuffle?: boolean;
  /** Fraction in [0, 1) of the rows, taken from the END before shuffling (Keras semantics), held out for validation. */
  validationSplit?: number;
  /** `[x, y]` evaluated at the end of every epoch. */
  validationData?: [Input, Targets];
  /** Called after each epoch (0-based) with its logs; a returned Promise is awaited before the next epoch. */
  onEpochEnd?: (epoch: number, logs: EpochLogs) => void | Promise<void>;
  /** Called after each batch (0-based within the epoch) with its logs. */
  onBatchEnd?: (batch: number, logs: BatchLogs) => void;
  /** Stops training at the next batch boundary; `fit` then resolves with the history so far. */
  signal?: AbortSignal;
}

/** What `fit` resolves with: one entry per epoch trained, in order. */
export interface History {
  /** The epoch numbers (0-based). */
  epochs: number[];
  /** Each epoch's mean training loss. */
  loss: number[];
  /** Each epoch's validation loss, when there is validation data. */
  valLoss?: number[];
  /** Each epoch's training accuracy, with `metrics: ['accuracy']`. */
  accuracy?: number[];
  /** Each epoch's validation accuracy, with validation data and `metrics: ['accuracy']`. */
  valAccuracy?: number[];
}

/** The parameters of one Dense layer, as `getWeights` returns and `setWeights` takes them. */
export interface LayerWeights {
  /** The kernel W, `[inputs × units]` row-major. */
  kernel: Float32Array;
  /** The bias b of length `units`, or null when the layer has `useBias: false`. */
  bias: Float32Array | null;
}

/** Plain-object form of a network (`toJSON` / `fromJSON`). */
export interface NetworkJSON {
  format: 'densely';
  version: 1;
  inputs: number;
  seed: number;
  layers: Array<ReturnType<Dense['toJSON']> | ReturnType<Dropout['toJSON']>>;
  weights: Array<{ kernel: number[]; bias: number[] | null }>;
  metadata?: Record<string, string>;
}

interface Compiled {
  loss: LossName;
  optimizer: Optimizer;
  accuracy: boolean;
}

const FORMAT_VERSION = '1';
const META_FORMAT = 'format';
const META_VERSION = 'densely.version';
const META_ARCH = 'densely.architecture';
const META_SEED = 'densely.seed';
const RESERVED_META = [META_FORMAT, META_VERSION, META_ARCH, META_SEED];
/** Rows per chunk when evaluating validation data inside fit (bounds scratch memory and main-thread time). */
const VALIDATION_CHUNK = 2048;

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A feed-forward network of Dense and Dropout layers trained by backpropagation.
 *
 * @example
 * const net = new Network({ inputs: 2, layers: [new Dense(8, { activation: 'tanh' }), new Dense(1, { activation: 'sigmoid' })], seed: 1 });
 * net.compile({ loss: 'binaryCrossentropy', optimizer: new Adam({ learningRate: 0.05 }) });
 * await net.fit([[0, 0], [0, 1], [1, 0], [1, 1]], [[0], [1], [1], [0]], { epochs: 500, batchSize: 4 });
 */
export class Network {
  /** Number of input features. */
  readonly inputs: number;
  /** Width of the output. */
  readonly outputs: number;
  /** The layers, as given. */
  readonly layers: readonly Layer[];
  /** The seed in use (given or drawn). */
  readonly seed: number;
  /** Number of trainable float32 parameters. */
  readonly paramCount: number;
  /** Free-form string metadata, saved in the safetensors `__metadata__` and restored by `load`. */
  metadata: Record<string, string> = {};

  readonly #backend: Backend;
  readonly #spec: ModelSpec;
  readonly #model: BackendModel;
  readonly #shuffleRng: Rng;
  #compiled: Compiled | null = null;
  #fitting = false;
  #epochRunning = false;
  #step = 0;
  /**
   * fit's private copies of the training data, kept between fits and grown only when a
   * larger data set comes: a fresh buffer of tens of MB costs more in page faults than
   * an epoch of training, and the copy is what lets the caller reuse its arrays at once.
   * The batch order buffer is kept the same way. All three view SharedArrayBuffers,
   * which cannot be detached: the native backend trains on them where they lie (a plain
   * ArrayBuffer's contents it would have to copy at every epoch).
   */
  #fitX: Float32Array = new Float32Array(0);
  #fitY: Float32Array = new Float32Array(0);
  #fitOrder: Int32Array = new Int32Array(0);

  /**
   * @throws TypeError/RangeError naming the option when the architecture is invalid;
   *   Error when `backend: 'native'` is requested and the addon cannot load.
   */
  constructor(options: NetworkOptions) {
    const o = expectObject(options, 'Network options');
    expectKnownKeys(o, ['inputs', 'layers', 'backend', 'seed'], 'Network options');
    const inputs = expectInteger(o.inputs, 'inputs', 1, 1 << 24);
    if (!Array.isArray(o.layers) || o.layers.length === 0) throw invalid('a non-empty array of Dense/Dropout layers', 'layers', describe(o.layers));
    const layers = o.layers as unknown[];
    layers.forEach((l, i) => {
      if (!(l instanceof Dense) && !(l instanceof Dropout)) throw invalid('a Dense or Dropout layer', `layers[${i}]`, describe(l));
    });
    if (!layers.some((l) => l instanceof Dense)) throw invalid('at least one Dense layer', 'layers', 'only Dropout layers');
    const seed = o.seed === undefined ? Math.floor(Math.random() * 4294967296) : expectInteger(o.seed, 'seed', 0, 4294967295);
    const backend = resolveBackend(o.backend);

    const specs: LayerSpec[] = [];
    let width = inputs;
    let offset = 0;
    for (const layer of layers as Layer[]) {
      if (layer instanceof Dense) {
        const d: DenseSpec = {
          kind: 'dense',
          inputs: width,
          units: layer.units,
          activation: layer.activation,
          alpha: layer.alpha,
          useBias: layer.useBias,
          kernelOffset: offset,
          biasOffset: layer.useBias ? offset + width * layer.units : -1,
        };
        offset += width * layer.units + (layer.useBias ? layer.units : 0);
        width = layer.units;
        specs.push(d);
      } else {
        specs.push({ kind: 'dropout', units: width, rate: layer.rate });
      }
    }
    this.inputs = inputs;
    this.outputs = width;
    this.layers = Object.freeze([...(layers as Layer[])]);
    this.seed = seed;
    this.paramCount = offset;
    this.#backend = backend;
    this.#spec = { inputs, outputs: width, layers: specs, paramCount: offset, seed };
    this.#model = backend.createModel(this.#spec);

    const root = new Rng(seed);
    const initRng = root.fork();
    this.#shuffleRng = root.fork();
    const params = this.#model.params;
    specs.forEach((s, i) => {
      if (s.kind !== 'dense') return;
      const layer = this.layers[i] as Dense;
      initialize(layer.kernelInitializer, params, s.kernelOffset, s.inputs * s.units, s.inputs, s.units, initRng);
      if (s.useBias) initialize(layer.biasInitializer, params, s.biasOffset, s.units, s.units, s.units, initRng);
    });
  }

  /** `'native'` or `'js'`: the backend actually in use. */
  get backend(): 'native' | 'js' {
    return this.#backend.name;
  }

  /** Whether a `fit` is in progress. */
  get busy(): boolean {
    return this.#fitting;
  }

  /**
   * Sets the loss, the optimizer (fresh state) and the metrics.
   * @throws TypeError/RangeError for an unknown loss, optimizer or metric, or a fit in progress.
   * @example net.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam', metrics: ['accuracy'] })
   */
  compile(options: CompileOptions): void {
    this.#guardFit('compile');
    const o = expectObject(options, 'compile options');
    expectKnownKeys(o, ['loss', 'optimizer', 'metrics'], 'compile options');
    const loss = expectOneOf(o.loss, LOSSES, 'loss');
    const optimizer = resolveOptimizer(o.optimizer, 'optimizer');
    let accuracy = false;
    if (o.metrics !== undefined) {
      if (!Array.isArray(o.metrics)) throw invalid("an array of metric names (['accuracy'])", 'metrics', describe(o.metrics));
      for (const m of o.metrics as unknown[]) {
        expectOneOf(m, ['accuracy'] as const, 'metrics[]');
        accuracy = true;
      }
    }
    if (loss === 'sparseCategoricalCrossentropy' && this.outputs < 2) {
      throw invalid('a network with at least 2 outputs for sparseCategoricalCrossentropy', 'loss', `${this.outputs} output`, 'range');
    }
    this.#model.setLoss(loss);
    this.#model.setOptimizer(optimizer.toSpec());
    this.#compiled = { loss, optimizer, accuracy };
  }

  /** The compiled loss, optimizer and metrics, or null before `compile`. */
  get compiled(): { loss: LossName; optimizer: Optimizer; metrics: Metric[] } | null {
    const c = this.#compiled;
    return c ? { loss: c.loss, optimizer: c.optimizer, metrics: c.accuracy ? ['accuracy'] : [] } : null;
  }

  /**
   * Inference (dropout off): `[rows × outputs]`, row-major.
   * @throws TypeError/RangeError when `x` is not `[rows × inputs]` or holds non-finite values.
   */
  predict(x: Input): Float32Array {
    this.#guardEpoch('predict');
    const m = toMatrix(x, 'x', this.inputs);
    const out = new Float32Array(m.rows * this.outputs);
    this.#model.predict(m.data, m.rows, out);
    return out;
  }

  /** Mean loss (and accuracy when compiled with it) of the batch, dropout off. */
  evaluate(x: Input, y: Targets): { loss: number; accuracy?: number } {
    this.#guardEpoch('evaluate');
    const c = this.#requireCompiled('evaluate');
    const m = toMatrix(x, 'x', this.inputs);
    const t = toTargets(y, 'y', c.loss, m.rows, this.outputs, false);
    const r = this.#model.evaluate(m.data, t, m.rows);
    return c.accuracy ? { loss: r.loss, accuracy: r.correct / m.rows } : { loss: r.loss };
  }

  /**
   * The gradient of the batch's mean loss with respect to every parameter (dropout off,
   * no update), shaped like `getWeights()`.
   */
  gradients(x: Input, y: Targets): LayerWeights[] {
    this.#guardEpoch('gradients');
    const c = this.#requireCompiled('gradients');
    const m = toMatrix(x, 'x', this.inputs);
    const t = toTargets(y, 'y', c.loss, m.rows, this.outputs, false);
    const grads = new Float32Array(this.paramCount);
    this.#model.gradients(m.data, t, m.rows, grads);
    return this.#split(grads);
  }

  /**
   * One optimizer step on exactly this batch (dropout on). Returns the batch loss before
   * the step. A non-finite loss skips the step (weights and optimizer state unchanged).
   */
  trainOnBatch(x: Input, y: Targets): number {
    this.#guardFit('trainOnBatch');
    const c = this.#requireCompiled('trainOnBatch');
    const m = toMatrix(x, 'x', this.inputs);
    const t = toTargets(y, 'y', c.loss, m.rows, this.outputs, false);
    const r = this.#model.trainStep(m.data, t, m.rows, this.#step);
    this.#step++;
    return r.loss;
  }

  /**
   * Mini-batch training. Never blocks the event loop for longer than about one batch on
   * js (it yields between batches) and not at all on native (epochs run on a worker thread).
   * A loss that turns non-finite stops training, keeps the weights of the last finite step
   * and rejects with an error naming the epoch and batch.
   */
  async fit(x: Input, y: Targets, options: FitOptions = {}): Promise<History> {
    this.#guardFit('fit');
    const c = this.#requireCompiled('fit');
    const o = expectOptionalObject(options, 'fit options');
    expectKnownKeys(o, ['epochs', 'batchSize', 'shuffle', 'validationSplit', 'validationData', 'onEpochEnd', 'onBatchEnd', 'signal'], 'fit options');
    const epochs = o.epochs === undefined ? 1 : expectInteger(o.epochs, 'epochs', 1);
    const batchSize = o.batchSize === undefined ? 32 : expectInteger(o.batchSize, 'batchSize', 1);
    const shuffle = o.shuffle === undefined ? true : expectBoolean(o.shuffle, 'shuffle');
    const onEpochEnd = expectFunction<FitOptions['onEpochEnd']>(o.onEpochEnd, 'onEpochEnd');
    const onBatchEnd = expectFunction<FitOptions['onBatchEnd']>(o.onBatchEnd, 'onBatchEnd');
    const signal = expectAbortSignal(o.signal, 'signal');
    if (o.validationSplit !== undefined && o.validationData !== undefined) {
      throw invalid('either validationSplit or validationData, not both', 'fit options', 'both');
    }
    const split = o.validationSplit === undefined ? 0 : expectNumber(o.validationSplit, 'validationSplit', { min: 0, max: 1, maxExclusive: true });

    // x is copied into fit's buffer and checked for non-finite values in the same pass
    // (the backend's copyInRange: native does it in C++, ~4× faster than a copy and a
    // scan in JS on tens of MB).
    const given = toMatrix(x, 'x', this.inputs, false, false);
    if (this.#fitX.length < given.data.length) this.#fitX = new Float32Array(new SharedArrayBuffer(4 * given.data.length));
    const all = { data: this.#fitX.subarray(0, given.data.length), rows: given.rows };
    const bad = this.#backend.copyInRange(given.data, all.data, -FLT_MAX, FLT_MAX);
    if (bad >= 0) throw nonFinite(given.data[bad]!, bad, 'x', this.inputs);
    const givenY = toTargets(y, 'y', c.loss, given.rows, this.outputs, false);
    if (this.#fitY.length < givenY.length) this.#fitY = new Float32Array(new SharedArrayBuffer(4 * givenY.length));
    const allY = this.#fitY.subarray(0, givenY.length);
    allY.set(givenY);
    const yCols = c.loss === 'sparseCategoricalCrossentropy' ? 1 : this.outputs;
    let trainRows = all.rows;
    let val: { x: Float32Array; y: Float32Array; rows: number } | null = null;
    if (split > 0) {
      trainRows = Math.floor(all.rows * (1 - split));
      if (trainRows < 1 || trainRows === all.rows) {
        throw invalid(`a validationSplit leaving at least one row on each side of ${all.rows} rows`, 'validationSplit', String(split), 'range');
      }
      val = {
        x: all.data.subarray(trainRows * this.inputs),
        y: allY.subarray(trainRows * yCols),
        rows: all.rows - trainRows,
      };
    } else if (o.validationData !== undefined) {
      const vd = o.validationData;
      if (!Array.isArray(vd) || vd.length !== 2) throw invalid('a pair [x, y]', 'validationData', describe(vd));
      const vx = toMatrix(vd[0], 'validationData[0]', this.inputs, true);
      val = { x: vx.data, y: toTargets(vd[1], 'validationData[1]', c.loss, vx.rows, this.outputs, true), rows: vx.rows };
    }
    const trainX = all.data.subarray(0, trainRows * this.inputs);
    const trainY = allY.subarray(0, trainRows * yCols);

    const history: History = { epochs: [], loss: [] };
    if (c.accuracy) history.accuracy = [];
    if (val) {
      history.valLoss = [];
      if (c.accuracy) history.valAccuracy = [];
    }
    if (this.#fitOrder.length < trainRows) this.#fitOrder = new Int32Array(new SharedArrayBuffer(4 * trainRows));
    const order = this.#fitOrder.subarray(0, trainRows);
    const wantAccuracy = c.accuracy;
    const batchEnd = onBatchEnd
      ? (batch: number, loss: number, correct: number, rows: number): void => {
          const logs: BatchLogs = wantAccuracy ? { loss, accuracy: correct / rows, size: rows } : { loss, size: rows };
          onBatchEnd(batch, logs);
        }
      : undefined;

    this.#fitting = true;
    try {
      for (let epoch = 0; epoch < epochs; epoch++) {
        if (signal?.aborted) break;
        fillIdentity(order);
        if (shuffle) this.#shuffleRng.shuffle(order);
        this.#epochRunning = true;
        let result;
        try {
          result = await this.#model.trainEpoch({ x: trainX, y: trainY, order, batchSize, firstStep: this.#step, onBatchEnd: batchEnd, signal });
        } finally {
          this.#epochRunning = false;
        }
        this.#step += result.batches;
        if (result.status === 'nonfinite') {
          // The backend skipped (non-finite loss) or undid (overflowing update) that step,
          // so the parameters are the last all-finite ones (see EpochResult).
          const err = new Error(
            `Training stopped: the loss or the updated weights became non-finite at epoch ${epoch}, batch ${result.failedBatch}; ` +
              'the weights of the last finite step were kept. Lower the learning rate or check the data.',
          ) as Error & { code: string; epoch: number; batch: number; history: History };
          err.code = 'DENSELY_NONFINITE_LOSS';
          err.epoch = epoch;
          err.batch = result.failedBatch;
          err.history = history;
          throw err;
        }
        if (result.samples === 0) break;
        const logs: EpochLogs = { loss: result.lossSum / result.samples };
        if (c.accuracy) logs.accuracy = result.correct / result.samples;
        if (val) {
          const v = await this.#evaluateChunked(val.x, val.y, val.rows, yCols);
          logs.valLoss = v.loss;
          if (c.accuracy) logs.valAccuracy = v.correct / val.rows;
        }
        history.epochs.push(epoch);
        history.loss.push(logs.loss);
        if (logs.accuracy !== undefined) history.accuracy!.push(logs.accuracy);
        if (logs.valLoss !== undefined) history.valLoss!.push(logs.valLoss);
        if (logs.valAccuracy !== undefined) history.valAccuracy!.push(logs.valAccuracy);
        if (onEpochEnd) await onEpochEnd(epoch, logs);
        if (result.status === 'aborted') break;
      }
    } finally {
      this.#fitting = false;
    }
    return history;
  }

  async #evaluateChunked(x: Float32Array, y: Float32Array, rows: number, yCols: number): Promise<{ loss: number; correct: number }> {
    let lossSum = 0;
    let correct = 0;
    for (let r0 = 0; r0 < rows; r0 += VALIDATION_CHUNK) {
      const n = Math.min(VALIDATION_CHUNK, rows - r0);
      const res = this.#model.evaluate(x.subarray(r0 * this.inputs, (r0 + n) * this.inputs), y.subarray(r0 * yCols, (r0 + n) * yCols), n);
      lossSum += res.loss * n;
      correct += res.correct;
      if (r0 + n < rows) await nextTick();
    }
    return { loss: lossSum / rows, correct };
  }

  /** Copies of every Dense layer's parameters, in layer order. */
  getWeights(): LayerWeights[] {
    this.#guardEpoch('getWeights');
    return this.#split(this.#model.params);
  }

  /**
   * Replaces every Dense layer's parameters (copied in). Optimizer state is kept.
   * Kernels may be given as Float32Array / flat number[] (`[inputs × units]` row-major) or number[][].
   */
  setWeights(weights: Array<{ kernel: Float32Array | number[] | number[][]; bias?: Float32Array | number[] | null }>): void {
    this.#guardFit('setWeights');
    const dense = this.#denseSpecs();
    if (!Array.isArray(weights) || weights.length !== dense.length) {
      throw invalid(`an array of ${dense.length} {kernel, bias} entries (one per Dense layer)`, 'weights', describe(weights), 'range');
    }
    const staged: Array<[DenseSpec, Float32Array, Float32Array | null]> = [];
    dense.forEach((s, i) => {
      const w = weights[i] as unknown;
      if (w === null || typeof w !== 'object') throw invalid('an object {kernel, bias}', `weights[${i}]`, describe(w));
      const entry = w as { kernel?: unknown; bias?: unknown };
      const k = toMatrix(entry.kernel, `weights[${i}].kernel`, s.units);
      if (k.rows !== s.inputs) throw invalid(`a kernel of shape ${shape(s.inputs, s.units)}`, `weights[${i}].kernel`, shape(k.rows, s.units), 'range');
      let b: Float32Array | null = null;
      if (s.useBias) {
        if (entry.bias === null || entry.bias === undefined) throw invalid(`a bias of length ${s.units}`, `weights[${i}].bias`, describe(entry.bias));
        const bm = toMatrix(entry.bias, `weights[${i}].bias`, s.units);
        if (bm.rows !== 1) throw invalid(`a bias of length ${s.units}`, `weights[${i}].bias`, `length ${bm.data.length}`, 'range');
        b = bm.data;
      } else if (entry.bias !== null && entry.bias !== undefined) {
        throw invalid('null bias (the layer has useBias: false)', `weights[${i}].bias`, describe(entry.bias));
      }
      staged.push([s, k.data, b]);
    });
    const params = this.#model.params;
    for (const [s, k, b] of staged) {
      params.set(k, s.kernelOffset);
      if (b) params.set(b, s.biasOffset);
    }
  }

  /** A short text table of the layers, output widths and parameter counts. */
  summary(): string {
    const rows: string[] = [`Network (${this.#backend.name} backend, seed ${this.seed})`, `  input            ${this.inputs}`];
    this.#spec.layers.forEach((s, i) => {
      if (s.kind === 'dense') {
        const p = s.inputs * s.units + (s.useBias ? s.units : 0);
        rows.push(`  ${String(i).padEnd(2)} dense ${s.activation.padEnd(9)} ${String(s.units).padEnd(6)} params ${p}`);
      } else {
        rows.push(`  ${String(i).padEnd(2)} dropout ${String(s.rate).padEnd(7)} ${String(s.units).padEnd(6)}`);
      }
    });
    rows.push(`  total params     ${this.paramCount}`);
    return rows.join('\n');
  }

  /** Plain-object form: architecture, seed, weights (as number arrays, bit-exact) and metadata. */
  toJSON(): NetworkJSON {
    this.#guardEpoch('toJSON');
    return {
      format: 'densely',
      version: 1,
      inputs: this.inputs,
      seed: this.seed,
      layers: this.layers.map((l) => l.toJSON()),
      weights: this.#split(this.#model.params).map((w) => ({ kernel: Array.from(w.kernel), bias: w.bias ? Array.from(w.bias) : null })),
      metadata: { ...this.metadata },
    };
  }

  /** Rebuilds a network from `toJSON()` output. */
  static fromJSON(json: NetworkJSON, options: { backend?: 'auto' | 'native' | 'js' } = {}): Network {
    const o = expectObject(json, 'json');
    if (o.format !== 'densely') throw invalid("an object from Network#toJSON() (format: 'densely')", 'json', `format ${describe(o.format)}`);
    const net = Network.#fromArchitecture(o.inputs, o.layers, o.seed, options.backend, 'json');
    if (!Array.isArray(o.weights)) throw invalid('a weights array', 'json.weights', describe(o.weights));
    net.setWeights(o.weights as NetworkJSON['weights']);
    if (o.metadata !== undefined) net.metadata = { ...(expectObject(o.metadata, 'json.metadata') as Record<string, string>) };
    return net;
  }

  /**
   * The network as a safetensors file in memory: tensors `layers.<i>.kernel` (`[inputs, units]`)
   * and `layers.<i>.bias` (`[units]`), F32 little-endian, `<i>` the index in `layers`; the
   * architecture, seed and `metadata` (plus `extra`) as strings in `__metadata__`.
   */
  toSafetensors(extra: Record<string, string> = {}): Uint8Array {
    this.#guardEpoch('toSafetensors');
    const meta: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...this.metadata, ...expectOptionalObject(extra, 'metadata') })) {
      if (RESERVED_META.includes(k)) throw invalid(`metadata keys other than ${RESERVED_META.join(', ')}`, 'metadata', JSON.stringify(k));
      if (typeof v !== 'string') throw invalid('string metadata values', `metadata.${k}`, describe(v));
      meta[k] = v;
    }
    meta[META_FORMAT] = 'densely';
    meta[META_VERSION] = FORMAT_VERSION;
    meta[META_ARCH] = JSON.stringify({ inputs: this.inputs, layers: this.layers.map((l) => l.toJSON()) });
    meta[META_SEED] = String(this.seed);
    const tensors: Array<[string, Tensor]> = [];
    const params = this.#model.params;
    this.#spec.layers.forEach((s, i) => {
      if (s.kind !== 'dense') return;
      tensors.push([`layers.${i}.kernel`, { shape: [s.inputs, s.units], data: params.subarray(s.kernelOffset, s.kernelOffset + s.inputs * s.units) }]);
      if (s.useBias) tensors.push([`layers.${i}.bias`, { shape: [s.units], data: params.subarray(s.biasOffset, s.biasOffset + s.units) }]);
    });
    return encodeSafetensors(tensors, meta);
  }

  /** Parses a safetensors buffer written by `toSafetensors`/`save`. */
  static fromSafetensors(bytes: Uint8Array, options: { backend?: 'auto' | 'native' | 'js' } = {}, source = 'bytes'): Network {
    if (!(bytes instanceof Uint8Array)) throw invalid('a Uint8Array', source, describe(bytes));
    let decoded;
    try {
      decoded = decodeSafetensors(bytes);
    } catch (e) {
      throw invalid('a densely safetensors file', source, `an unreadable one: ${(e as Error).message}`);
    }
    const { tensors, metadata } = decoded;
    if (metadata[META_FORMAT] !== 'densely' || metadata[META_ARCH] === undefined) {
      throw invalid('a densely safetensors file (__metadata__ with format "densely" and an architecture)', source, 'a file without them');
    }
    let arch: { inputs?: unknown; layers?: unknown };
    try {
      arch = JSON.parse(metadata[META_ARCH]!) as typeof arch;
    } catch {
      throw invalid('a densely safetensors file', source, 'an unparsable architecture in __metadata__');
    }
    const seed = Number(metadata[META_SEED] ?? '0');
    const net = Network.#fromArchitecture(arch.inputs, arch.layers, Number.isInteger(seed) ? seed : 0, options.backend, source);
    const weights = net.#spec.layers.flatMap((s, i) => {
      if (s.kind !== 'dense') return [];
      const k = tensors.get(`layers.${i}.kernel`);
      if (!k || k.shape.length !== 2 || k.shape[0] !== s.inputs || k.shape[1] !== s.units) {
        throw invalid(`tensor layers.${i}.kernel of shape [${s.inputs}, ${s.units}]`, source, k ? `shape [${k.shape.join(', ')}]` : 'none');
      }
      const b = tensors.get(`layers.${i}.bias`);
      if (s.useBias && (!b || b.shape.length !== 1 || b.shape[0] !== s.units)) {
        throw invalid(`tensor layers.${i}.bias of shape [${s.units}]`, source, b ? `shape [${b.shape.join(', ')}]` : 'none');
      }
      return [{ kernel: k.data, bias: s.useBias ? b!.data : null }];
    });
    net.setWeights(weights);
    const user: Record<string, string> = {};
    for (const [k, v] of Object.entries(metadata)) if (!RESERVED_META.includes(k)) user[k] = v;
    net.metadata = user;
    return net;
  }

  /**
   * Writes the network to `path` as safetensors (atomically: a temporary file in the same
   * directory, then a rename). `options.metadata` adds string entries to `__metadata__`.
   */
  save(path: string, options: { metadata?: Record<string, string> } = {}): void {
    if (typeof path !== 'string' || path.length === 0) throw invalid('a file path string', 'path', describe(path));
    const o = expectOptionalObject(options, 'save options');
    expectKnownKeys(o, ['metadata'], 'save options');
    const bytes = this.toSafetensors((o.metadata as Record<string, string> | undefined) ?? {});
    const tmp = `${path}.tmp-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
    try {
      writeFileSync(tmp, bytes);
      renameSync(tmp, path);
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        /* the temporary file was never created */
      }
      throw e;
    }
  }

  /** Reads a network saved with `save`. */
  static async load(path: string, options: { backend?: 'auto' | 'native' | 'js' } = {}): Promise<Network> {
    if (typeof path !== 'string' || path.length === 0) throw invalid('a file path string', 'path', describe(path));
    const bytes = await fsp.readFile(path);
    return Network.fromSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), options, path);
  }

  /** Synchronous {@link Network.load}. */
  static loadSync(path: string, options: { backend?: 'auto' | 'native' | 'js' } = {}): Network {
    if (typeof path !== 'string' || path.length === 0) throw invalid('a file path string', 'path', describe(path));
    const bytes = readFileSync(path);
    return Network.fromSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), options, path);
  }

  /** Frees native memory now rather than at garbage collection. The network is unusable afterwards. */
  dispose(): void {
    this.#guardFit('dispose');
    this.#fitX = new Float32Array(0);
    this.#fitY = new Float32Array(0);
    this.#fitOrder = new Int32Array(0);
    this.#model.dispose();
  }

  static #fromArchitecture(inputs: unknown, layers: unknown, seed: unknown, backend: unknown, source: string): Network {
    if (!Array.isArray(layers)) throw invalid('an architecture with a layers array', source, describe(layers));
    const built = layers.map((l: unknown, i: number) => {
      const c = expectObject(l, `${source} layers[${i}]`);
      if (c.type === 'dense') {
        const { type: _type, units, ...rest } = c;
        return new Dense(units as number, rest as DenseOptions);
      }
      if (c.type === 'dropout') return new Dropout(c.rate as number);
      throw invalid("layer type 'dense' or 'dropout'", `${source} layers[${i}].type`, describe(c.type));
    });
    return new Network({ inputs: inputs as number, layers: built, seed: seed as number, backend: backend as NetworkOptions['backend'] });
  }

  #denseSpecs(): DenseSpec[] {
    return this.#spec.layers.filter((s): s is DenseSpec => s.kind === 'dense');
  }

  #split(flat: Float32Array): LayerWeights[] {
    return this.#denseSpecs().map((s) => ({
      kernel: flat.slice(s.kernelOffset, s.kernelOffset + s.inputs * s.units),
      bias: s.useBias ? flat.slice(s.biasOffset, s.biasOffset + s.units) : null,
    }));
  }

  #requireCompiled(method: string): Compiled {
    if (!this.#compiled) throw invalid('a compiled network (call compile({ loss, optimizer }) first)', `${method}()`, 'an uncompiled one', 'type');
    return this.#compiled;
  }

  #guardFit(method: string): void {
    if (this.#fitting) throw busyError(method);
  }

  #guardEpoch(method: string): void {
    if (this.#epochRunning) throw busyError(method);
  }
}

/**
 * order[i] ← i. A plain function rather than a loop inside the async `fit`: V8 optimises
 * it at once (on-stack replacement), where the same loop in fit's async body ran in the
 * interpreter for the first calls (~3 ms per 262,144 rows).
 */
function fillIdentity(order: Int32Array): void {
  for (let i = 0; i < order.length; i++) order[i] = i;
}
