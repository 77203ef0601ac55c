import { type BackendRequest, resolveBackend } from './backend/select';
import type {
  Backend,
  BackendModel,
  BackendName,
  DenseSpec,
  EpochResult,
  LossName,
  LossSpec,
  ModelSpec,
} from './backend/types';
import { CallbackRunner, RESTORE_PARAMS, SNAPSHOT_PARAMS } from './callbacks';
import type { TrainingState } from './checkpoint';
import { nonFiniteLossError, predictBusyError } from './errors';
import { exportOnnx, exportTorchLayout, exportTorchSource, importTfjs } from './interop/index';
import { Dense, MAX_WIDTH } from './layers/dense';
import { Dropout, type Layer } from './layers/dropout';
import { BatchNorm, checkBatchNormRows, LayerNorm } from './layers/norm';
import {
  initializeParams,
  maxBatchRows,
  modelSpec,
  type NetworkPlan,
  partLength,
  planNetwork,
  splitWeights,
  weightParts,
} from './layers/plan';
import { type LossConfig, resolveLoss, toTargets } from './losses';
import { checkMetrics, computeMetrics, type MetricName, type MetricValues, valKey } from './metrics';
import type {
  BatchLogs,
  BatchWeightOptions,
  CompileOptions,
  EpochLogs,
  EvaluateOptions,
  EvaluateResult,
  FitOptions,
  History,
  Input,
  LayerWeights,
  Metric,
  NetworkOptions,
  Targets,
} from './network_types';
import { type Optimizer, resolveOptimizer } from './optimizers/index';
import { Rng } from './random';
import {
  checkVariance,
  decodeNetwork,
  encodeNetwork,
  expectPath,
  type NetworkJSON,
  type NetworkParts,
  type NetworkSnapshot,
  networkFromJSON,
  networkToJSON,
  readModelFile,
  readModelFileSync,
  writeFileAtomic,
} from './serialize';
import {
  releaseStaged,
  runSliced,
  type Staging,
  StagingAborted,
  sharedBuffer,
  stageMatrix,
  stageOrder,
  stageTargets,
} from './staging';
import { type DataSource, type FitDatasetOptions, fitDataset } from './training/fit_dataset';
import {
  asModelError,
  busyError,
  describe,
  disposedError,
  expectAbortSignal,
  expectBoolean,
  expectFunction,
  expectInteger,
  expectKnownKeys,
  expectNumber,
  expectObject,
  expectOneOf,
  expectOptionalObject,
  invalid,
  MAX_ELEMENTS,
  nonFinite,
  shape,
  toMatrix,
  tooLarge,
} from './validate';
import { hasPositiveWeight, rowWeights, toClassWeight, toSampleWeight, zeroWeightBatch } from './weights';

interface Compiled {
  loss: LossName;
  lossSpec: LossSpec;
  optimizer: Optimizer;
  accuracy: boolean;
  /** Every compiled metric, in the order given (lib/metrics.ts). */
  metrics: MetricName[];
  /** Whether some metric other than accuracy needs every row's output. */
  setMetrics: boolean;
}

/** Rows per forward pass of predict and evaluate in both backends: their activation buffers hold at most this many rows. */
const INFERENCE_CHUNK = 1024;
/** fit's staged copies of its data (lib/staging.ts). */
interface Staged {
  x: { data: Float32Array; rows: number };
  y: Float32Array;
  val: { x: Float32Array; y: Float32Array; rows: number; w: Float32Array | null } | null;
  /** Row weights (lib/weights.ts), or null without classWeight/sampleWeight. */
  w: Float32Array | null;
  /** sampleWeight alone (validationSplit's rows take it without classWeight, as Keras). */
  sw: Float32Array | null;
}

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
  /** The thread cap given as the `threads` option, or null (none). */
  readonly threads: number | null;
  /** Free-form string metadata, saved in the safetensors `__metadata__` and restored by `load`. */
  metadata: Record<string, string> = {};

  readonly #backend: Backend;
  readonly #spec: ModelSpec;
  readonly #plan: NetworkPlan;
  /**
   * Set while {@link Network.#fromParts} constructs a network whose parameters it then
   * overwrites: the constructor skips the initializers, the bulk of a large load's time.
   * The shuffle stream is forked from the seed independently of them, so a restored
   * network trains as the saved one would.
   */
  static #restoring = false;
  readonly #model: BackendModel;
  readonly #shuffleRng: Rng;
  #compiled: Compiled | null = null;
  #fitting = false;
  #epochRunning = false;
  #disposed = false;
  #step = 0;
  /** Optimizer updates applied since compile (the schedule's t; skipped steps do not count). */
  #optSteps = 0;
  /** The rate last handed to the backend (NaN: unknown, set it before the next step). */
  #lrInstalled = Number.NaN;
  /** Epochs trained since compile (a resumed fit's default initialEpoch). */
  #epochsTrained = 0;
  /**
   * Set by a callback (e.g. `earlyStopping`) to end `fit` after the current epoch's
   * callbacks; `fit` resets it to false when it starts.
   */
  stopTraining = false;
  /** predictAsync calls in flight. */
  #predicting = 0;

  /**
   * @throws TypeError/RangeError naming the option when the architecture is invalid;
   *   RangeError with code `DENSELY_TOO_LARGE` naming the limit for more than 2^32 − 1
   *   parameters or 1,000,000 layers (the same on both backends, before anything is
   *   allocated); Error when `backend: 'native'` is requested and the addon cannot load.
   */
  constructor(options: NetworkOptions) {
    const o = expectObject(options, 'Network options');
    expectKnownKeys(o, ['inputs', 'layers', 'backend', 'seed', 'threads'], 'Network options');
    const inputs = expectInteger(o.inputs, 'inputs', 1, MAX_WIDTH);
    if (!Array.isArray(o.layers) || o.layers.length === 0)
      throw invalid('a non-empty array of Dense/Dropout/LayerNorm/BatchNorm layers', 'layers', describe(o.layers));
    const layers = o.layers as unknown[];
    layers.forEach((l, i) => {
      if (!(l instanceof Dense) && !(l instanceof Dropout) && !(l instanceof LayerNorm) && !(l instanceof BatchNorm))
        throw invalid('a Dense, Dropout, LayerNorm or BatchNorm layer', `layers[${i}]`, describe(l));
    });
    if (!layers.some((l) => l instanceof Dense)) throw invalid('at least one Dense layer', 'layers', 'no Dense layer');
    const seed =
      o.seed === undefined ? Math.floor(Math.random() * 4294967296) : expectInteger(o.seed, 'seed', 0, 4294967295);
    const threads = o.threads === undefined ? null : expectInteger(o.threads, 'threads', 1, 1024);
    // Size limits before the backend allocates anything (DENSELY_TOO_LARGE).
    const plan = planNetwork(inputs, layers as Layer[]);
    const backend = resolveBackend(o.backend);
    this.inputs = inputs;
    this.outputs = plan.outputs;
    this.layers = Object.freeze([...(layers as Layer[])]);
    this.seed = seed;
    this.paramCount = plan.paramCount;
    this.#backend = backend;
    this.#plan = plan;
    this.#spec = modelSpec(inputs, plan, seed);
    this.#model = backend.createModel(this.#spec);
    this.threads = threads;
    if (threads !== null) this.#model.setThreads(threads);

    const root = new Rng(seed);
    const initRng = root.fork();
    this.#shuffleRng = root.fork();
    if (!Network.#restoring) initializeParams(plan.specs, this.layers, this.#model.params, initRng);
  }

  /** `'native'` or `'js'`: the backend actually in use. */
  get backend(): BackendName {
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
    const lossSpec = resolveLoss(o.loss, 'loss');
    const loss = lossSpec.name;
    const optimizer = resolveOptimizer(o.optimizer, 'optimizer');
    const metrics = o.metrics === undefined ? [] : checkMetrics(o.metrics, loss);
    const accuracy = metrics.includes('accuracy');
    if (loss === 'sparseCategoricalCrossentropy' && this.outputs < 2) {
      throw invalid(
        'a network with at least 2 outputs for sparseCategoricalCrossentropy',
        'loss',
        `${this.outputs} output`,
        'range',
      );
    }
    this.#model.setLoss(lossSpec);
    const spec = optimizer.toSpec();
    this.#model.setOptimizer(spec);
    this.#compiled = {
      loss,
      lossSpec,
      optimizer,
      accuracy,
      metrics,
      setMetrics: metrics.some((m) => m !== 'accuracy'),
    };
    this.#optSteps = 0;
    this.#lrInstalled = spec.learningRate;
    this.#epochsTrained = 0;
  }

  /**
   * The compiled optimizer instance (null before `compile`). Its `learningRate` may be read
   * and set between steps (see {@link Optimizer.learningRate}).
   */
  get optimizer(): Optimizer | null {
    return this.#compiled?.optimizer ?? null;
  }

  /** Optimizer updates applied since `compile` (or restored by `load`): the schedules' step t. */
  get optimizerSteps(): number {
    return this.#optSteps;
  }

  /** Epochs trained since `compile` (or restored by `load`): the next `fit`'s default `initialEpoch`. */
  get epochsTrained(): number {
    return this.#epochsTrained;
  }

  /** The rate of the next update, handed to the backend when it changed. */
  #installRate(c: Compiled): void {
    const lr = c.optimizer.rateAt(this.#optSteps);
    if (lr !== this.#lrInstalled) {
      this.#model.setLearningRate(lr);
      this.#lrInstalled = lr;
    }
  }

  /**
   * The compiled loss, optimizer and metrics, or null before `compile`; `lossConfig` is the
   * loss with every option resolved (defaults filled in).
   */
  get compiled(): { loss: LossName; lossConfig: Required<LossConfig>; optimizer: Optimizer; metrics: Metric[] } | null {
    const c = this.#compiled;
    return c
      ? {
          loss: c.loss,
          lossConfig: { ...c.lossSpec },
          optimizer: c.optimizer,
          metrics: [...c.metrics],
        }
      : null;
  }

  /**
   * Inference (dropout off): `[rows × outputs]`, row-major.
   * @throws TypeError/RangeError when `x` is not `[rows × inputs]` or holds non-finite values;
   *   RangeError `DENSELY_TOO_LARGE` when min(rows, 1024) × the widest layer passes 2^32 − 1.
   */
  predict(x: Input): Float32Array {
    this.#guardEpoch('predict');
    // x's finiteness is checked by the backend (in C++ on native: the JS scan cost ~15%
    // of a 256-row predict of a 784-wide network), before anything is computed.
    const m = toMatrix(x, 'x', this.inputs, false, false);
    this.#checkBatchRows(Math.min(m.rows, INFERENCE_CHUNK), 'x');
    const out = new Float32Array(m.rows * this.outputs);
    const bad = this.#model.predictChecked(m.data, m.rows, out);
    if (bad >= 0) throw nonFinite(m.data[bad]!, bad, 'x', this.inputs);
    return out;
  }

  /**
   * As {@link Network.predict}, without blocking the event loop: on native the forward
   * passes run on a worker thread (x is copied at the call, unless it is a Float32Array
   * over a SharedArrayBuffer, which is read in place: keep it unchanged until the promise
   * settles); on js in chunks of 1024 rows with yields between them. Same numbers as
   * `predict`, bit for bit. Several `predictAsync` calls, and `predict`, `evaluate`,
   * `getWeights` and `save`, may run meanwhile; what writes the weights (`fit`,
   * `trainOnBatch`, `setWeights`, `compile`, `dispose`) throws `DENSELY_BUSY` until it
   * settles, and `predictAsync` rejects with `DENSELY_BUSY` while a `fit` runs.
   * @throws as `predict` (a rejected promise).
   * @example const y = await net.predictAsync(bigBatch)
   */
  async predictAsync(x: Input): Promise<Float32Array> {
    if (this.#disposed) throw disposedError('predictAsync');
    if (this.#fitting) throw busyError('predictAsync');
    const m = toMatrix(x, 'x', this.inputs);
    this.#checkBatchRows(Math.min(m.rows, INFERENCE_CHUNK), 'x');
    const out = new Float32Array(m.rows * this.outputs);
    this.#predicting++;
    try {
      await this.#model.predictAsync(m.data, m.rows, out);
    } finally {
      this.#predicting--;
    }
    return out;
  }

  /**
   * Mean loss of the batch (regularizer penalties included), dropout off, and every
   * compiled metric over its rows (lib/metrics.ts). With `options.sampleWeight` (one finite
   * weight ≥ 0 per row, not all 0) the loss is the weighted mean Σ wᵢ·lᵢ / Σ wᵢ; accuracy
   * and the other metrics stay unweighted (Keras' `weighted_metrics` has no counterpart here).
   */
  evaluate(x: Input, y: Targets, options?: EvaluateOptions): EvaluateResult {
    this.#guardEpoch('evaluate');
    const c = this.#requireCompiled('evaluate');
    const eo = expectOptionalObject(options, 'evaluate options');
    expectKnownKeys(eo, ['sampleWeight'], 'evaluate options');
    const m = toMatrix(x, 'x', this.inputs);
    this.#checkBatchRows(Math.min(m.rows, INFERENCE_CHUNK), 'x');
    const t = toTargets(y, 'y', c.loss, m.rows, this.outputs, false);
    const w = eo.sampleWeight === undefined ? undefined : toSampleWeight(eo.sampleWeight, 'sampleWeight', m.rows);
    if (w !== undefined && !hasPositiveWeight(w))
      throw invalid('sample weights with a positive sum', 'sampleWeight', 'all 0', 'range');
    const r = this.#model.evaluate(m.data, t, m.rows, w);
    const out: EvaluateResult = c.accuracy ? { loss: r.loss, accuracy: r.correct / m.rows } : { loss: r.loss };
    if (c.setMetrics) {
      const yhat = new Float32Array(m.rows * this.outputs);
      this.#model.predict(m.data, m.rows, yhat);
      Object.assign(out, computeMetrics(c.metrics, c.loss, yhat, t, this.outputs, m.rows));
    }
    return out;
  }

  /**
   * The gradient of the batch's mean loss with respect to every parameter (dropout off,
   * no update), shaped like `getWeights()`. With Dense regularizers it is the gradient of
   * the loss `fit` minimises (penalty included); optimizer clipping is not applied.
   * BatchNorm layers run in training mode, as in `fit`: on the batch's statistics (so the
   * batch needs at least 2 rows), with their running statistics left unchanged; their
   * entries' `runningMean`/`runningVar` are null. With `options.sampleWeight` /
   * `options.classWeight` it is the gradient of the weighted mean Σ wᵢ·lᵢ / Σ wᵢ
   * (see {@link BatchWeightOptions}; not all weights 0), as `fit` with those weights.
   */
  gradients(x: Input, y: Targets, options?: BatchWeightOptions): LayerWeights[] {
    this.#guardEpoch('gradients');
    const c = this.#requireCompiled('gradients');
    const o = expectOptionalObject(options, 'gradients options');
    expectKnownKeys(o, ['sampleWeight', 'classWeight'], 'gradients options');
    const m = toMatrix(x, 'x', this.inputs);
    this.#checkBatchRows(m.rows, 'x');
    checkBatchNormRows(this.layers, [m.rows], 'x', '1 row');
    const t = toTargets(y, 'y', c.loss, m.rows, this.outputs, false);
    const w = this.#batchWeights(c.loss, o, t, m.rows);
    const grads = new Float32Array(this.paramCount);
    this.#model.gradients(m.data, t, m.rows, grads, w);
    return this.#split(grads, null);
  }

  /**
   * One optimizer step on exactly this batch (dropout on, BatchNorm on the batch
   * statistics, then its running statistics updated). Returns the batch loss before
   * the step (regularizer penalties included). A non-finite loss skips the step (weights,
   * optimizer state and running statistics unchanged). With `options.sampleWeight` /
   * `options.classWeight` (see {@link BatchWeightOptions}) the loss returned and minimised
   * is the weighted mean Σ wᵢ·lᵢ / Σ wᵢ, as in `fit` with those weights.
   * @throws RangeError `DENSELY_TOO_LARGE` when rows × the widest layer passes 2^32 − 1
   *   (likewise `gradients`, and `fit` for min(batchSize, rows)).
   * @throws TypeError/RangeError `DENSELY_INVALID_ARGUMENT` for bad weights (wrong count,
   *   negative or non-finite, all 0), before anything changes.
   */
  trainOnBatch(x: Input, y: Targets, options?: BatchWeightOptions): number {
    this.#guardFit('trainOnBatch');
    const c = this.#requireCompiled('trainOnBatch');
    const o = expectOptionalObject(options, 'trainOnBatch options');
    expectKnownKeys(o, ['sampleWeight', 'classWeight'], 'trainOnBatch options');
    const m = toMatrix(x, 'x', this.inputs);
    this.#checkBatchRows(m.rows, 'x');
    checkBatchNormRows(this.layers, [m.rows], 'x', '1 row');
    const t = toTargets(y, 'y', c.loss, m.rows, this.outputs, false);
    const w = this.#batchWeights(c.loss, o, t, m.rows);
    this.#installRate(c);
    const r = this.#model.trainStep(m.data, t, m.rows, this.#step, w);
    this.#step++;
    if (Number.isFinite(r.loss)) this.#optSteps++;
    return r.loss;
  }

  /**
   * Mini-batch training. Never blocks the event loop for longer than about one batch on
   * js (it yields between batches) and not at all on native (epochs run on a worker thread).
   * A loss that turns non-finite stops training, keeps the weights of the last finite step
   * and rejects with an error naming the epoch and batch.
   *
   * Data: `x`, `y` and `validationData` are copied (and checked) at the start, in slices
   * of a few milliseconds across turns of the event loop, so a large set does not hold the
   * loop (lib/staging.ts). Keep those arrays unchanged until the returned promise settles;
   * a set small enough for the first slice (a few MB) is copied before `fit` returns. The
   * copies belong to this call; when it settles their memory is kept for one second for the
   * next `fit` to copy into (lib/staging.ts's pool), then released. An abort during the copy
   * resolves with an empty history.
   */
  async fit(x: Input, y: Targets, options: FitOptions = {}): Promise<History> {
    this.#guardFit('fit');
    const c = this.#requireCompiled('fit');
    const o = expectOptionalObject(options, 'fit options');
    expectKnownKeys(
      o,
      [
        'epochs',
        'batchSize',
        'shuffle',
        'validationSplit',
        'validationData',
        'onEpochEnd',
        'onBatchEnd',
        'signal',
        'classWeight',
        'sampleWeight',
        'callbacks',
        'initialEpoch',
      ],
      'fit options',
    );
    const classWeight = o.classWeight === undefined ? null : toClassWeight(o.classWeight, 'classWeight', this.outputs);
    const epochs = o.epochs === undefined ? 1 : expectInteger(o.epochs, 'epochs', 1);
    const batchSize = o.batchSize === undefined ? 32 : expectInteger(o.batchSize, 'batchSize', 1);
    const shuffle = o.shuffle === undefined ? true : expectBoolean(o.shuffle, 'shuffle');
    const onEpochEnd = expectFunction<FitOptions['onEpochEnd']>(o.onEpochEnd, 'onEpochEnd');
    const onBatchEnd = expectFunction<FitOptions['onBatchEnd']>(o.onBatchEnd, 'onBatchEnd');
    const signal = expectAbortSignal(o.signal, 'signal');
    const runner = new CallbackRunner(o.callbacks);
    const initialEpoch =
      o.initialEpoch === undefined ? this.#epochsTrained : expectInteger(o.initialEpoch, 'initialEpoch', 0);
    if (o.validationSplit !== undefined && o.validationData !== undefined) {
      throw invalid('either validationSplit or validationData, not both', 'fit options', 'both');
    }
    const split =
      o.validationSplit === undefined
        ? 0
        : expectNumber(o.validationSplit, 'validationSplit', { min: 0, max: 1, maxExclusive: true });

    const vd = o.validationData as unknown[] | undefined;
    if (vd !== undefined && (!Array.isArray(vd) || vd.length < 2 || vd.length > 3))
      throw invalid('a pair [x, y] or a triple [x, y, sampleWeight]', 'validationData', describe(vd));
    const yCols = c.loss === 'sparseCategoricalCrossentropy' ? 1 : this.outputs;
    const history: History = { epochs: [], loss: [] };
    if (c.accuracy) history.accuracy = [];
    if (split > 0 || vd !== undefined) {
      history.valLoss = [];
      if (c.accuracy) history.valAccuracy = [];
    }
    // The other metrics' arrays, in the order compiled (training, then validation).
    const setMetrics = c.metrics.filter((m) => m !== 'accuracy');
    const hist = history as unknown as Record<string, number[]>;
    for (const m of setMetrics) hist[m] = [];
    if (split > 0 || vd !== undefined) for (const m of setMetrics) hist[valKey(m)] = [];
    const wantAccuracy = c.accuracy;
    const batchEnd =
      onBatchEnd || runner.wantsBatches
        ? (batch: number, loss: number, correct: number, rows: number): void | Promise<void> => {
            const logs: BatchLogs = wantAccuracy
              ? { loss, accuracy: correct / rows, size: rows }
              : { loss, size: rows };
            onBatchEnd?.(batch, logs);
            return runner.batchEnd(batch, logs);
          }
        : undefined;

    // Busy from here: the data are copied and checked in slices over several turns of the
    // event loop (lib/staging.ts), then trained on. The copies are local to this call;
    // their buffers go to the staging pool when it settles.
    this.#fitting = true;
    // The shared buffers this fit stages, handed to lib/staging.ts's pool when it settles
    // (the next fit reuses them instead of faulting in fresh memory).
    const release: (ArrayBufferView | null | undefined)[] = [];
    try {
      const inputs = this.inputs;
      const outputs = this.outputs;
      const backend = this.#backend;
      const sampleWeight = o.sampleWeight;
      function* stageAll(): Staging<Staged> {
        const xs = yield* stageMatrix(x, 'x', inputs, backend);
        const ys = yield* stageTargets(y, 'y', c.loss, xs.rows, outputs, backend);
        const sw = sampleWeight === undefined ? null : toSampleWeight(sampleWeight, 'sampleWeight', xs.rows);
        const w = rowWeights(c.loss, ys, xs.rows, outputs, classWeight, sw, true);
        if (vd === undefined) return { x: xs, y: ys, val: null, w, sw };
        const vx = yield* stageMatrix(vd[0], 'validationData[0]', inputs, backend);
        const vy = yield* stageTargets(vd[1], 'validationData[1]', c.loss, vx.rows, outputs, backend);
        const vw = vd[2] === undefined ? null : toSampleWeight(vd[2], 'validationData[2]', vx.rows);
        if (vw !== null && !hasPositiveWeight(vw))
          throw invalid('sample weights with a positive sum', 'validationData[2]', 'all 0', 'range');
        return { x: xs, y: ys, val: { x: vx.data, y: vy, rows: vx.rows, w: vw }, w, sw };
      }
      let staged = runSliced(stageAll(), signal);
      if (staged instanceof Promise) {
        try {
          staged = await staged;
        } catch (e) {
          if (e instanceof StagingAborted) return history;
          throw e;
        }
        // The last slice ran in this turn: the epoch's set-up (order, shuffle) waits for the next.
        await nextTick();
      }
      const all = staged.x;
      const allY = staged.y;
      release.push(all.data, allY, staged.val?.x, staged.val?.y);
      let trainRows = all.rows;
      let val: { x: Float32Array; y: Float32Array; rows: number; w: Float32Array | null } | null = null;
      if (split > 0) {
        trainRows = Math.floor(all.rows * (1 - split));
        if (trainRows < 1 || trainRows === all.rows) {
          throw invalid(
            `a validationSplit leaving at least one row on each side of ${all.rows} rows`,
            'validationSplit',
            String(split),
            'range',
          );
        }
        val = {
          x: all.data.subarray(trainRows * this.inputs),
          y: allY.subarray(trainRows * yCols),
          rows: all.rows - trainRows,
          w: staged.sw === null ? null : staged.sw.subarray(trainRows),
        };
        if (val.w !== null && !hasPositiveWeight(val.w))
          throw invalid('sample weights with a positive sum on the validation rows', 'sampleWeight', 'all 0', 'range');
      } else {
        val = staged.val;
      }
      const trainX = all.data.subarray(0, trainRows * this.inputs);
      const trainY = allY.subarray(0, trainRows * yCols);
      const trainW = staged.w === null ? undefined : staged.w.subarray(0, trainRows);
      this.#checkBatchRows(Math.min(batchSize, trainRows), 'batchSize');
      checkBatchNormRows(
        this.layers,
        [Math.min(batchSize, trainRows), trainRows % batchSize],
        'batchSize',
        `${batchSize} on ${trainRows} training rows (a batch of 1 row)`,
      );
      const order = new Int32Array(sharedBuffer(4 * trainRows));
      // Each training row's pre-step output, for the epoch metrics (EpochJob.outputs).
      const epochOutputs = c.setMetrics ? new Float32Array(sharedBuffer(4 * trainRows * this.outputs)) : undefined;
      release.push(order, epochOutputs);
      const batches = Math.ceil(trainRows / batchSize);
      history.lr = [];
      this.stopTraining = false;
      await runner.trainBegin(this);

      for (let epoch = initialEpoch; epoch < initialEpoch + epochs; epoch++) {
        if (signal?.aborted || this.stopTraining) break;
        await runner.epochBegin(epoch);
        // Each batch's rate, fixed now (schedules are functions of the update count t). A
        // constant rate is one entry: the backends keep the last rate given for the later
        // batches (EpochJob.learningRates), so every batch gets it without a per-batch array
        // (on train-xor's 262,144 batch-1 steps that array cost ~24 ns per step).
        const rate = c.optimizer.learningRate;
        const learningRates = typeof rate === 'number' ? Float64Array.of(rate) : new Float64Array(batches);
        if (typeof rate !== 'number')
          for (let b = 0; b < batches; b++) learningRates[b] = c.optimizer.rateAt(this.#optSteps + b);
        // The order (and its shuffle) in slices too: a large set's takes longer than one.
        const ordered = runSliced(stageOrder(order, shuffle ? this.#shuffleRng : null));
        if (ordered instanceof Promise) await ordered;
        if (trainW !== undefined) {
          // Σ wᵢ = 0 would make that batch's loss 0/0: rejected before the epoch starts.
          const zero = zeroWeightBatch(trainW, order, batchSize);
          if (zero >= 0) {
            throw invalid(
              'a positive weight in every batch (classWeight × sampleWeight)',
              'sampleWeight',
              `batch ${zero} of epoch ${epoch} with all weights 0`,
              'range',
            );
          }
        }
        this.#epochRunning = true;
        let result: EpochResult;
        try {
          result = await this.#model.trainEpoch({
            x: trainX,
            y: trainY,
            order,
            batchSize,
            firstStep: this.#step,
            onBatchEnd: batchEnd,
            signal,
            ...(trainW === undefined ? {} : { weights: trainW }),
            ...(epochOutputs ? { outputs: epochOutputs } : {}),
            learningRates,
          });
        } finally {
          this.#epochRunning = false;
          this.#lrInstalled = Number.NaN;
        }
        this.#step += result.batches;
        this.#optSteps += result.batches;
        if (result.status === 'nonfinite') {
          // The backend skipped (non-finite loss) or undid (overflowing update) that step,
          // so the parameters are the last all-finite ones (see EpochResult).
          throw nonFiniteLossError(epoch, result.failedBatch, history);
        }
        if (result.samples === 0) break;
        this.#epochsTrained = epoch + 1;
        const logs: EpochLogs = { loss: result.lossSum / result.samples };
        logs.lr = learningRates[Math.min(learningRates.length - 1, Math.max(0, result.batches - 1))]!;
        if (c.accuracy) logs.accuracy = result.correct / result.samples;
        if (epochOutputs) {
          // Over the rows trained this epoch: the first `samples` of the order.
          const trained = order.subarray(0, result.samples);
          Object.assign(
            logs,
            computeMetrics(c.metrics, c.loss, epochOutputs, trainY, this.outputs, trainRows, trained),
          );
        }
        if (val) {
          const v = await this.#evaluateChunked(val.x, val.y, val.rows, yCols, val.w);
          logs.valLoss = v.loss;
          if (c.accuracy) logs.valAccuracy = v.correct / val.rows;
          if (c.setMetrics) {
            const yhat = new Float32Array(val.rows * this.outputs);
            this.#model.predict(val.x, val.rows, yhat);
            const vm: MetricValues = computeMetrics(c.metrics, c.loss, yhat, val.y, this.outputs, val.rows);
            const l = logs as unknown as Record<string, number>;
            for (const m of setMetrics) l[valKey(m)] = vm[m as keyof MetricValues]!;
          }
        }
        history.epochs.push(epoch);
        history.loss.push(logs.loss);
        if (logs.accuracy !== undefined) history.accuracy!.push(logs.accuracy);
        if (logs.valLoss !== undefined) history.valLoss!.push(logs.valLoss);
        if (logs.valAccuracy !== undefined) history.valAccuracy!.push(logs.valAccuracy);
        const lg = logs as unknown as Record<string, number>;
        for (const m of setMetrics) {
          if (lg[m] !== undefined) hist[m]!.push(lg[m]!);
          if (lg[valKey(m)] !== undefined) hist[valKey(m)]!.push(lg[valKey(m)]!);
        }
        history.lr!.push(logs.lr);
        await runner.epochEnd(epoch, logs);
        if (onEpochEnd) await onEpochEnd(epoch, logs);
        if (result.status === 'aborted') break;
      }
      await runner.trainEnd(history);
    } finally {
      this.#fitting = false;
      releaseStaged(release);
    }
    return history;
  }

  /**
   * Training from a source of `{ x, y }` batches, in bounded memory: a function called once
   * per epoch returning an `Iterable` or `AsyncIterable` (a generator function, or a function
   * returning a Node object-mode `Readable`), or a re-iterable object such as an array of
   * batches. Batches take the forms of `fit`'s data and may differ in size; they train in
   * the order given (no shuffling). At most two are held at once: the one training and the
   * next, pulled while the current one trains (on native, off the event loop). The same
   * batches in the same order give the weights and losses of
   * `fit(x, y, { shuffle: false, batchSize })`, bit for bit. Options: those of `fit` except
   * `shuffle`, `batchSize` and `validationSplit`, plus `callbacks`; `validationData` may be
   * arrays or a source. Every compiled metric is reported as in `fit` (accumulated per
   * batch; `auc` keeps every score, so its memory grows with rows × outputs), and a batch
   * may carry `sampleWeight` (alias `w`), weighted by the `classWeight` option as in `fit`.
   * See lib/training/fit_dataset.ts.
   * @throws (rejects) the argument error of `fit` for a bad batch, its name giving the epoch
   *   and batch (`epoch`, `batch` properties too), after closing the source's iterator and
   *   keeping the weights of the last good batch; `DENSELY_NONFINITE_LOSS` as `fit`.
   * @example
   * await net.fitDataset(function* () { for (let i = 0; i < 100; i++) yield { x: batchX(i), y: batchY(i) }; }, { epochs: 5 });
   */
  async fitDataset(source: DataSource, options: FitDatasetOptions = {}): Promise<History> {
    this.#guardFit('fitDataset');
    const c = this.#requireCompiled('fitDataset');
    return fitDataset(
      {
        net: this,
        inputs: this.inputs,
        outputs: this.outputs,
        backend: this.#backend,
        model: this.#model,
        loss: c.loss,
        accuracy: c.accuracy,
        metrics: c.metrics,
        predict: (x, rows, out) => this.#model.predict(x, rows, out),
        step: () => this.#step,
        advance: (n) => {
          this.#step += n;
          this.#optSteps += n;
        },
        nextRate: () => c.optimizer.rateAt(this.#optSteps),
        epochsTrained: {
          get: () => this.#epochsTrained,
          set: (n) => {
            this.#epochsTrained = n;
          },
        },
        stopTraining: {
          get: () => this.stopTraining,
          set: (v) => {
            this.stopTraining = v;
          },
        },
        rateChanged: () => {
          this.#lrInstalled = Number.NaN;
        },
        setBusy: (fitting, training) => {
          this.#fitting = fitting;
          this.#epochRunning = training;
        },
        checkBatchRows: (rows, name) => {
          this.#checkBatchRows(rows, name);
          checkBatchNormRows(this.layers, [rows], name, '1 row');
        },
        evaluate: (x, y, rows, yCols, w) => this.#evaluateChunked(x, y, rows, yCols, w ?? null),
      },
      source,
      options,
    );
  }

  /** The row weights of `trainOnBatch`/`gradients` options (checked), or undefined without any. */
  #batchWeights(loss: LossName, o: Record<string, unknown>, t: Float32Array, rows: number): Float32Array | undefined {
    const cw = o.classWeight === undefined ? null : toClassWeight(o.classWeight, 'classWeight', this.outputs);
    const sw = o.sampleWeight === undefined ? null : toSampleWeight(o.sampleWeight, 'sampleWeight', rows);
    const w = rowWeights(loss, t, rows, this.outputs, cw, sw);
    if (w === null) return undefined;
    if (!hasPositiveWeight(w))
      throw invalid(
        'a positive weight in the batch (classWeight × sampleWeight)',
        'sampleWeight',
        'all weights 0',
        'range',
      );
    return w;
  }

  async #evaluateChunked(
    x: Float32Array,
    y: Float32Array,
    rows: number,
    yCols: number,
    w: Float32Array | null = null,
  ): Promise<{ loss: number; correct: number }> {
    let lossSum = 0;
    let weightSum = 0;
    let correct = 0;
    for (let r0 = 0; r0 < rows; r0 += VALIDATION_CHUNK) {
      const n = Math.min(VALIDATION_CHUNK, rows - r0);
      const wc = w === null ? undefined : w.subarray(r0, r0 + n);
      // A chunk's weight: its rows, or Σ wᵢ (a chunk with Σ wᵢ = 0 adds nothing).
      let cw = n;
      if (wc !== undefined) {
        cw = 0;
        for (let i = 0; i < n; i++) cw += wc[i]!;
      }
      if (cw > 0) {
        const res = this.#model.evaluate(
          x.subarray(r0 * this.inputs, (r0 + n) * this.inputs),
          y.subarray(r0 * yCols, (r0 + n) * yCols),
          n,
          wc,
        );
        lossSum += res.loss * cw;
        correct += res.correct;
      } else {
        correct += this.#model.evaluate(
          x.subarray(r0 * this.inputs, (r0 + n) * this.inputs),
          y.subarray(r0 * yCols, (r0 + n) * yCols),
          n,
        ).correct;
      }
      weightSum += cw;
      if (r0 + n < rows) await nextTick();
    }
    return { loss: lossSum / weightSum, correct };
  }

  /** A copy of the flat parameters, then the buffers (running statistics), for the built-in callbacks. @internal */
  [SNAPSHOT_PARAMS](): Float32Array {
    this.#guardEpoch('getWeights');
    const p = this.#model.params;
    const b = this.#model.buffers;
    const out = new Float32Array(p.length + b.length);
    out.set(p);
    out.set(b, p.length);
    return out;
  }

  /** Puts back a copy from {@link Network.[SNAPSHOT_PARAMS]} (allowed inside fit's callbacks). @internal */
  [RESTORE_PARAMS](saved: Float32Array): void {
    this.#guardEpoch('setWeights');
    const p = this.#model.params;
    p.set(saved.subarray(0, p.length));
    this.#model.buffers.set(saved.subarray(p.length));
  }

  /**
   * Copies of every layer's weights, one entry per layer that has them, in layer order:
   * Dense `{ kernel, bias }`, LayerNorm `{ gamma, beta }`, BatchNorm `{ gamma, beta,
   * runningMean, runningVar }` (null for a part switched off; see {@link LayerWeights}).
   */
  getWeights(): LayerWeights[] {
    this.#guardEpoch('getWeights');
    return this.#split(this.#model.params, this.#model.buffers);
  }

  /**
   * Replaces every Dense layer's parameters (copied in). Optimizer state is kept.
   * Kernels may be given as Float32Array / flat number[] (`[inputs × units]` row-major) or number[][].
   */
  setWeights(
    weights: Array<
      | { kernel: Float32Array | number[] | number[][]; bias?: Float32Array | number[] | null }
      | Record<string, Float32Array | number[] | null>
    >,
  ): void {
    this.#guardFit('setWeights');
    if (this.#spec.layers.some((s) => s.kind === 'layerNorm' || s.kind === 'batchNorm')) {
      this.#setAllWeights(weights);
      return;
    }
    const dense = this.#denseSpecs();
    if (!Array.isArray(weights) || weights.length !== dense.length) {
      throw invalid(
        `an array of ${dense.length} {kernel, bias} entries (one per Dense layer)`,
        'weights',
        describe(weights),
        'range',
      );
    }
    const staged: Array<[DenseSpec, Float32Array, Float32Array | null]> = [];
    dense.forEach((s, i) => {
      const w = weights[i] as unknown;
      if (w === null || typeof w !== 'object') throw invalid('an object {kernel, bias}', `weights[${i}]`, describe(w));
      const entry = w as { kernel?: unknown; bias?: unknown };
      const k = toMatrix(entry.kernel, `weights[${i}].kernel`, s.units);
      if (k.rows !== s.inputs)
        throw invalid(
          `a kernel of shape ${shape(s.inputs, s.units)}`,
          `weights[${i}].kernel`,
          shape(k.rows, s.units),
          'range',
        );
      let b: Float32Array | null = null;
      if (s.useBias) {
        if (entry.bias === null || entry.bias === undefined)
          throw invalid(`a bias of length ${s.units}`, `weights[${i}].bias`, describe(entry.bias));
        const bm = toMatrix(entry.bias, `weights[${i}].bias`, s.units);
        if (bm.rows !== 1)
          throw invalid(`a bias of length ${s.units}`, `weights[${i}].bias`, `length ${bm.data.length}`, 'range');
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
    this.#guardEpoch('summary');
    const rows: string[] = [
      `Network (${this.#backend.name} backend, seed ${this.seed})`,
      `  input            ${this.inputs}`,
    ];
    this.#spec.layers.forEach((s, i) => {
      if (s.kind === 'dense') {
        const p = s.inputs * s.units + (s.useBias ? s.units : 0);
        rows.push(`  ${String(i).padEnd(2)} dense ${s.activation.padEnd(9)} ${String(s.units).padEnd(6)} params ${p}`);
      } else if (s.kind === 'layerNorm' || s.kind === 'batchNorm') {
        const p = (s.gammaOffset >= 0 ? s.units : 0) + (s.betaOffset >= 0 ? s.units : 0);
        const extra = s.kind === 'batchNorm' ? ` running stats ${2 * s.units}` : '';
        rows.push(`  ${String(i).padEnd(2)} ${s.kind.padEnd(15)} ${String(s.units).padEnd(6)} params ${p}${extra}`);
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
    return networkToJSON(this.#snapshot());
  }

  /**
   * Rebuilds a network from `toJSON()` output. The object is checked completely before the
   * network is built (see `lib/serialize.ts`), by the rules `save` and the constructor apply.
   * @throws TypeError/RangeError with code `DENSELY_INVALID_MODEL` naming the field.
   */
  static fromJSON(json: NetworkJSON, options: { backend?: BackendRequest } = {}): Network {
    const backend = Network.#backendOption(options);
    return Network.#fromParts(networkFromJSON(json), backend);
  }

  /**
   * The network as a safetensors file in memory: tensors `layers.<i>.kernel` (`[inputs, units]`)
   * and `layers.<i>.bias` (`[units]`), F32 little-endian, `<i>` the index in `layers`; the
   * architecture, seed and `metadata` (plus `extra`) as strings in `__metadata__`.
   */
  toSafetensors(extra: Record<string, string> = {}, options: { optimizer?: boolean } = {}): Uint8Array {
    this.#guardEpoch('toSafetensors');
    const o = expectOptionalObject(options, 'toSafetensors options');
    expectKnownKeys(o, ['optimizer'], 'toSafetensors options');
    const withTraining = o.optimizer === undefined ? true : expectBoolean(o.optimizer, 'optimizer');
    const snapshot = this.#snapshot();
    if (withTraining) snapshot.training = this.#trainingState();
    return encodeNetwork(snapshot, extra);
  }

  /** The training state a checkpoint stores (lib/checkpoint.ts), or null when not compiled. */
  #trainingState(): TrainingState | null {
    const c = this.#compiled;
    if (c === null) return null;
    return {
      loss:
        !c.lossSpec.fromLogits && c.lossSpec.labelSmoothing === 0 && c.lossSpec.delta === 1
          ? c.loss
          : { ...c.lossSpec },
      metrics: [...c.metrics],
      optimizer: c.optimizer,
      state: this.#model.getOptimizerState(),
      dropoutStep: this.#step,
      shuffleRng: (() => {
        const r = this.#shuffleRng.getState();
        return { words: [...r.words], spare: r.spare };
      })(),
      epochs: this.#epochsTrained,
    };
  }

  /**
   * Parses a safetensors buffer written by `toSafetensors`/`save`. The bytes are untrusted:
   * everything they declare is checked against them before the network is allocated, so
   * time and memory are linear in their length (see `lib/serialize.ts`, SECURITY.md).
   * @throws TypeError/RangeError with code `DENSELY_INVALID_MODEL` naming `source`.
   */
  static fromSafetensors(bytes: Uint8Array, options: { backend?: BackendRequest } = {}, source = 'bytes'): Network {
    if (!(bytes instanceof Uint8Array)) throw invalid('a Uint8Array', 'bytes', describe(bytes));
    const backend = Network.#backendOption(options);
    return Network.#fromParts(decodeNetwork(bytes, String(source)), backend);
  }

  /**
   * Writes the network to `path` as safetensors (atomically: a temporary file in the same
   * directory, then a rename). `options.metadata` adds string entries to `__metadata__`.
   *
   * On a compiled network the file is also a checkpoint (`options.optimizer`, default true):
   * it holds the compile configuration, the optimizer's state tensors
   * (`optimizer.<slot>.layers.<i>.kernel|bias`) and step count, the shuffle and dropout
   * streams' state and the epochs trained (see `lib/checkpoint.ts`), so that `Network.load`
   * returns a compiled network whose next `fit` continues exactly where this one stopped.
   * `{ optimizer: false }` writes the weights only (a file for serving).
   * `options.layout`: `'densely'` (default: `layers.<i>.kernel` / `.bias`) or `'torch'`,
   * the state_dict of the `nn.Sequential` that {@link Network.toTorch} prints (`<k>.weight`
   * as [units × inputs], `<k>.bias`, …; module numbering in `lib/interop/torch.ts`), with
   * the architecture kept in `__metadata__` so that `Network.load` reads it back.
   * @throws TypeError with code `DENSELY_INVALID_ARGUMENT` for an unknown option or layout.
   * @example
   * net.save('model.safetensors', { layout: 'torch' });
   */
  save(
    path: string,
    options: { metadata?: Record<string, string>; optimizer?: boolean; layout?: 'densely' | 'torch' } = {},
  ): void {
    expectPath(path);
    const o = expectOptionalObject(options, 'save options');
    expectKnownKeys(o, ['metadata', 'optimizer', 'layout'], 'save options');
    const optimizer = o.optimizer === undefined ? true : expectBoolean(o.optimizer, 'optimizer');
    const layout = o.layout === undefined ? 'densely' : expectOneOf(o.layout, ['densely', 'torch'] as const, 'layout');
    const bytes = this.toSafetensors((o.metadata as Record<string, string> | undefined) ?? {}, { optimizer });
    writeFileAtomic(path, layout === 'torch' ? exportTorchLayout(bytes) : bytes);
  }

  /**
   * The network as an ONNX model (`lib/interop/onnx.ts`): input `x` [N × inputs] with a
   * dynamic batch dimension N, output `y` [N × outputs]; Dense as Gemm (MatMul without a
   * bias) and its activation's operators, LayerNorm as LayerNormalization, BatchNorm as
   * BatchNormalization with the running statistics; Dropout left out. Opset 13, or 17 with
   * a LayerNorm. onnxruntime computes what `predict` does (within 1e-5).
   * @example
   * writeFileSync('model.onnx', net.toOnnx());
   */
  toOnnx(): Uint8Array {
    this.#guardEpoch('toOnnx');
    return exportOnnx(this.toSafetensors());
  }

  /**
   * Python source defining `model`, the `torch.nn.Sequential` equivalent of the network
   * (`lib/interop/torch.ts` gives the module numbering); its state_dict is what
   * `save(path, { layout: 'torch' })` writes.
   * @example
   * writeFileSync('model.py', net.toTorch()); net.save('model.safetensors', { layout: 'torch' });
   */
  toTorch(): string {
    this.#guardEpoch('toTorch');
    return exportTorchSource(this.toSafetensors());
  }

  /**
   * Reads a tfjs-layers Sequential model saved by `model.save()` (`model.json` and the
   * weight files of its `weightsManifest`, float32) of Dense, Dropout,
   * BatchNormalization and LayerNormalization layers (see `lib/interop/tfjs.ts`). The
   * network's seed is 0.
   * @throws TypeError/RangeError with code `DENSELY_INVALID_MODEL` naming the layer and
   *   the value for what densely cannot represent (an activation, a layer class, an axis).
   * @example
   * const net = await Network.fromTfjs('my-model/model.json');
   */
  static async fromTfjs(modelJsonPath: string, options: { backend?: BackendRequest } = {}): Promise<Network> {
    expectPath(modelJsonPath);
    const backend = Network.#backendOption(options);
    return Network.fromSafetensors(await importTfjs(modelJsonPath), { backend }, modelJsonPath);
  }

  /**
   * Reads a network saved with `save`, in either layout (see {@link Network.fromSafetensors});
   * a PyTorch-layout file written by PyTorch loads as long as it keeps the densely
   * architecture in `__metadata__`.
   */
  static async load(path: string, options: { backend?: BackendRequest } = {}): Promise<Network> {
    const backend = Network.#backendOption(options);
    return Network.#fromParts(decodeNetwork(await readModelFile(path), path), backend);
  }

  /** Synchronous {@link Network.load}. */
  static loadSync(path: string, options: { backend?: BackendRequest } = {}): Network {
    const backend = Network.#backendOption(options);
    return Network.#fromParts(decodeNetwork(readModelFileSync(path), path), backend);
  }

  /**
   * Frees the network's memory now rather than at garbage collection: the native core's
   * scratch, optimizer state and network on the native backend, the scratch and optimizer
   * state on js. Afterwards every method (`predict`, `evaluate`, `gradients`,
   * `trainOnBatch`, `fit`, `getWeights`, `setWeights`, `compile`, `summary`, `toJSON`,
   * `toSafetensors`, `save`) throws an `Error` with code `DENSELY_DISPOSED`; properties
   * (`inputs`, `outputs`, `layers`, `backend`, `disposed`, …) stay readable. A second
   * `dispose()` does nothing. Where the runtime defines `Symbol.dispose` (Node ≥ 18.18 /
   * 20.4), `net[Symbol.dispose]()` is the same call, so `using net = …` disposes it at
   * the end of the block.
   * @throws Error with code `DENSELY_BUSY` while a `fit` runs on the network (abort it first).
   * @example
   * const net = new Network({ inputs: 2, layers: [new Dense(1)] });
   * net.dispose();
   * net.predict([[0, 1]]); // throws: code 'DENSELY_DISPOSED'
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#guardFit('dispose');
    this.#disposed = true;
    this.#model.dispose();
  }

  static #backendOption(options: unknown): NetworkOptions['backend'] {
    const o = expectOptionalObject(options, 'options');
    expectKnownKeys(o, ['backend'], 'options');
    return o.backend as NetworkOptions['backend'];
  }

  /** A network of checked parts (`lib/serialize.ts`): built, then given the stored parameters. */
  static #fromParts(p: NetworkParts, backend: NetworkOptions['backend']): Network {
    let net: Network;
    Network.#restoring = true;
    try {
      net = new Network({ inputs: p.inputs, layers: p.layers, seed: p.seed, backend });
    } finally {
      Network.#restoring = false;
    }
    // The stored parameters tile the whole array (lib/backend/types.ts), so every
    // parameter the skipped initializers would have drawn is overwritten here.
    net.#model.params.set(p.params);
    net.#model.buffers.set(p.buffers);
    net.metadata = p.metadata;
    if (p.training) net.#restoreTraining(p.training);
    return net;
  }

  /** Compiles as the checkpoint was and puts back its optimizer, stream and epoch state. */
  #restoreTraining(t: TrainingState): void {
    asModelError(() =>
      this.compile({ loss: t.loss, optimizer: t.optimizer, metrics: t.metrics as CompileOptions['metrics'] }),
    );
    this.#model.setOptimizerState(t.state);
    this.#optSteps = t.state.step;
    this.#lrInstalled = Number.NaN;
    this.#step = t.dropoutStep;
    this.#shuffleRng.setState(t.shuffleRng);
    this.#epochsTrained = t.epochs;
  }

  #snapshot(): NetworkSnapshot {
    return {
      inputs: this.inputs,
      seed: this.seed,
      layers: this.layers,
      plan: this.#plan,
      params: this.#model.params,
      buffers: this.#model.buffers,
      metadata: this.metadata,
    };
  }

  /**
   * Rejects a batch of `rows` rows whose activation buffers (rows × the widest layer) would
   * pass {@link MAX_ELEMENTS}: the same limit on both backends, before anything is allocated.
   */
  #checkBatchRows(rows: number, name: string): void {
    if (rows * this.#plan.maxWidth > MAX_ELEMENTS) {
      throw tooLarge(
        `at most ${maxBatchRows(this.#plan.maxWidth)} rows per batch (rows × the widest layer, ${this.#plan.maxWidth}, at most ${MAX_ELEMENTS} = 2^32 − 1 activations)`,
        name,
        `${rows} rows`,
      );
    }
  }

  /** Whether `dispose()` was called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  #denseSpecs(): DenseSpec[] {
    return this.#spec.layers.filter((s): s is DenseSpec => s.kind === 'dense');
  }

  /** Weights entries of `flat` (params layout) and `buffers` (null: running statistics as null, for gradients). */
  #split(flat: Float32Array, buffers: Float32Array | null): LayerWeights[] {
    const entries = splitWeights(this.#spec.layers, flat, buffers ?? new Float32Array(0));
    if (buffers === null) {
      for (const e of entries) if ('runningMean' in e) e.runningMean = e.runningVar = null;
    }
    return entries as unknown as LayerWeights[];
  }

  /** setWeights on a network with norm layers: every entry checked (by weightParts), then copied in. */
  #setAllWeights(weights: unknown): void {
    const entries = this.#spec.layers.map(weightParts).filter((p) => p !== null);
    if (!Array.isArray(weights) || weights.length !== entries.length) {
      throw invalid(
        `an array of ${entries.length} entries (one per layer with weights: Dense {kernel, bias}, LayerNorm {gamma, beta}, BatchNorm {gamma, beta, runningMean, runningVar})`,
        'weights',
        describe(weights),
        'range',
      );
    }
    const staged: Array<[Float32Array, number, Float32Array]> = [];
    entries.forEach((parts, i) => {
      const w = weights[i] as unknown;
      const keys = parts.map((p) => p.key);
      if (w === null || typeof w !== 'object')
        throw invalid(`an object {${keys.join(', ')}}`, `weights[${i}]`, describe(w));
      const entry = w as Record<string, unknown>;
      expectKnownKeys(entry, keys, `weights[${i}]`);
      for (const p of parts) {
        const name = `weights[${i}].${p.key}`;
        const v = entry[p.key];
        if (p.offset < 0) {
          if (v !== null && v !== undefined) throw invalid(`null (the layer has no ${p.key})`, name, describe(v));
          continue;
        }
        const cols = p.shape.at(-1)!;
        const rows = p.shape.length === 2 ? p.shape[0]! : 1;
        if (v === null || v === undefined) throw invalid(`${partLength(p)} numbers`, name, describe(v));
        const mtx = toMatrix(v, name, cols);
        if (mtx.rows !== rows)
          throw invalid(`a tensor of shape ${shape(rows, cols)}`, name, shape(mtx.rows, cols), 'range');
        if (p.key === 'runningVar') checkVariance(mtx.data, { ...p, offset: 0 }, name);
        staged.push([p.store === 'params' ? this.#model.params : this.#model.buffers, p.offset, mtx.data]);
      }
    });
    for (const [dst, offset, data] of staged) dst.set(data, offset);
  }

  #requireCompiled(method: string): Compiled {
    if (!this.#compiled)
      throw invalid(
        'a compiled network (call compile({ loss, optimizer }) first)',
        `${method}()`,
        'an uncompiled one',
        'type',
      );
    return this.#compiled;
  }

  #guardFit(method: string): void {
    if (this.#disposed) throw disposedError(method);
    if (this.#fitting) throw busyError(method);
    if (this.#predicting > 0) throw predictBusyError(method);
  }

  #guardEpoch(method: string): void {
    if (this.#disposed) throw disposedError(method);
    if (this.#epochRunning) throw busyError(method);
  }
}

// `using net = new Network(…)` (explicit resource management): defined only where the
// runtime has Symbol.dispose, so older runtimes see no odd property.
const symbolDispose = (Symbol as { dispose?: symbol }).dispose;
if (typeof symbolDispose === 'symbol') {
  Object.defineProperty(Network.prototype, symbolDispose, {
    value: function dispose(this: Network): void {
      this.dispose();
    },
    writable: true,
    configurable: true,
  });
}
