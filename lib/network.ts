import { type BackendRequest, resolveBackend } from './backend/select';
import type { Backend, BackendModel, BackendName, DenseSpec, EpochResult, LossName, ModelSpec } from './backend/types';
import { nonFiniteLossError, predictBusyError } from './errors';
import { Dense, MAX_WIDTH } from './layers/dense';
import { Dropout, type Layer } from './layers/dropout';
import { initializeParams, maxBatchRows, modelSpec, type NetworkPlan, planNetwork } from './layers/plan';
import { LOSSES, toTargets } from './losses';
import type {
  BatchLogs,
  CompileOptions,
  EpochLogs,
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
import { runSliced, type Staging, StagingAborted, stageMatrix, stageOrder, stageTargets } from './staging';
import {
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
  shape,
  toMatrix,
  tooLarge,
} from './validate';

interface Compiled {
  loss: LossName;
  optimizer: Optimizer;
  accuracy: boolean;
}

/** Rows per forward pass of predict and evaluate in both backends: their activation buffers hold at most this many rows. */
const INFERENCE_CHUNK = 1024;
/** fit's staged copies of its data (lib/staging.ts). */
interface Staged {
  x: { data: Float32Array; rows: number };
  y: Float32Array;
  val: { x: Float32Array; y: Float32Array; rows: number } | null;
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
      throw invalid('a non-empty array of Dense/Dropout layers', 'layers', describe(o.layers));
    const layers = o.layers as unknown[];
    layers.forEach((l, i) => {
      if (!(l instanceof Dense) && !(l instanceof Dropout))
        throw invalid('a Dense or Dropout layer', `layers[${i}]`, describe(l));
    });
    if (!layers.some((l) => l instanceof Dense))
      throw invalid('at least one Dense layer', 'layers', 'only Dropout layers');
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
    const loss = expectOneOf(o.loss, LOSSES, 'loss');
    const optimizer = resolveOptimizer(o.optimizer, 'optimizer');
    let accuracy = false;
    if (o.metrics !== undefined) {
      if (!Array.isArray(o.metrics))
        throw invalid("an array of metric names (['accuracy'])", 'metrics', describe(o.metrics));
      for (const m of o.metrics as unknown[]) {
        expectOneOf(m, ['accuracy'] as const, 'metrics[]');
        accuracy = true;
      }
    }
    if (loss === 'sparseCategoricalCrossentropy' && this.outputs < 2) {
      throw invalid(
        'a network with at least 2 outputs for sparseCategoricalCrossentropy',
        'loss',
        `${this.outputs} output`,
        'range',
      );
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
   * @throws TypeError/RangeError when `x` is not `[rows × inputs]` or holds non-finite values;
   *   RangeError `DENSELY_TOO_LARGE` when min(rows, 1024) × the widest layer passes 2^32 − 1.
   */
  predict(x: Input): Float32Array {
    this.#guardEpoch('predict');
    const m = toMatrix(x, 'x', this.inputs);
    this.#checkBatchRows(Math.min(m.rows, INFERENCE_CHUNK), 'x');
    const out = new Float32Array(m.rows * this.outputs);
    this.#model.predict(m.data, m.rows, out);
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

  /** Mean loss (and accuracy when compiled with it) of the batch, dropout off. */
  evaluate(x: Input, y: Targets): { loss: number; accuracy?: number } {
    this.#guardEpoch('evaluate');
    const c = this.#requireCompiled('evaluate');
    const m = toMatrix(x, 'x', this.inputs);
    this.#checkBatchRows(Math.min(m.rows, INFERENCE_CHUNK), 'x');
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
    this.#checkBatchRows(m.rows, 'x');
    const t = toTargets(y, 'y', c.loss, m.rows, this.outputs, false);
    const grads = new Float32Array(this.paramCount);
    this.#model.gradients(m.data, t, m.rows, grads);
    return this.#split(grads);
  }

  /**
   * One optimizer step on exactly this batch (dropout on). Returns the batch loss before
   * the step. A non-finite loss skips the step (weights and optimizer state unchanged).
   * @throws RangeError `DENSELY_TOO_LARGE` when rows × the widest layer passes 2^32 − 1
   *   (likewise `gradients`, and `fit` for min(batchSize, rows)).
   */
  trainOnBatch(x: Input, y: Targets): number {
    this.#guardFit('trainOnBatch');
    const c = this.#requireCompiled('trainOnBatch');
    const m = toMatrix(x, 'x', this.inputs);
    this.#checkBatchRows(m.rows, 'x');
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
   *
   * Data: `x`, `y` and `validationData` are copied (and checked) at the start, in slices
   * of a few milliseconds across turns of the event loop, so a large set does not hold the
   * loop (lib/staging.ts). Keep those arrays unchanged until the returned promise settles;
   * a set small enough for the first slice (a few MB) is copied before `fit` returns. The
   * copies belong to this call and are released when it settles. An abort during the copy
   * resolves with an empty history.
   */
  async fit(x: Input, y: Targets, options: FitOptions = {}): Promise<History> {
    this.#guardFit('fit');
    const c = this.#requireCompiled('fit');
    const o = expectOptionalObject(options, 'fit options');
    expectKnownKeys(
      o,
      ['epochs', 'batchSize', 'shuffle', 'validationSplit', 'validationData', 'onEpochEnd', 'onBatchEnd', 'signal'],
      'fit options',
    );
    const epochs = o.epochs === undefined ? 1 : expectInteger(o.epochs, 'epochs', 1);
    const batchSize = o.batchSize === undefined ? 32 : expectInteger(o.batchSize, 'batchSize', 1);
    const shuffle = o.shuffle === undefined ? true : expectBoolean(o.shuffle, 'shuffle');
    const onEpochEnd = expectFunction<FitOptions['onEpochEnd']>(o.onEpochEnd, 'onEpochEnd');
    const onBatchEnd = expectFunction<FitOptions['onBatchEnd']>(o.onBatchEnd, 'onBatchEnd');
    const signal = expectAbortSignal(o.signal, 'signal');
    if (o.validationSplit !== undefined && o.validationData !== undefined) {
      throw invalid('either validationSplit or validationData, not both', 'fit options', 'both');
    }
    const split =
      o.validationSplit === undefined
        ? 0
        : expectNumber(o.validationSplit, 'validationSplit', { min: 0, max: 1, maxExclusive: true });

    const vd = o.validationData as unknown[] | undefined;
    if (vd !== undefined && (!Array.isArray(vd) || vd.length !== 2))
      throw invalid('a pair [x, y]', 'validationData', describe(vd));
    const yCols = c.loss === 'sparseCategoricalCrossentropy' ? 1 : this.outputs;
    const history: History = { epochs: [], loss: [] };
    if (c.accuracy) history.accuracy = [];
    if (split > 0 || vd !== undefined) {
      history.valLoss = [];
      if (c.accuracy) history.valAccuracy = [];
    }
    const wantAccuracy = c.accuracy;
    const batchEnd = onBatchEnd
      ? (batch: number, loss: number, correct: number, rows: number): void => {
          const logs: BatchLogs = wantAccuracy ? { loss, accuracy: correct / rows, size: rows } : { loss, size: rows };
          onBatchEnd(batch, logs);
        }
      : undefined;

    // Busy from here: the data are copied and checked in slices over several turns of the
    // event loop (lib/staging.ts), then trained on. The copies are local to this call, so
    // they are released when it settles.
    this.#fitting = true;
    try {
      const inputs = this.inputs;
      const outputs = this.outputs;
      const backend = this.#backend;
      function* stageAll(): Staging<Staged> {
        const xs = yield* stageMatrix(x, 'x', inputs, backend);
        const ys = yield* stageTargets(y, 'y', c.loss, xs.rows, outputs, backend);
        if (vd === undefined) return { x: xs, y: ys, val: null };
        const vx = yield* stageMatrix(vd[0], 'validationData[0]', inputs, backend);
        const vy = yield* stageTargets(vd[1], 'validationData[1]', c.loss, vx.rows, outputs, backend);
        return { x: xs, y: ys, val: { x: vx.data, y: vy, rows: vx.rows } };
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
      let trainRows = all.rows;
      let val: { x: Float32Array; y: Float32Array; rows: number } | null = null;
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
        };
      } else {
        val = staged.val;
      }
      const trainX = all.data.subarray(0, trainRows * this.inputs);
      const trainY = allY.subarray(0, trainRows * yCols);
      this.#checkBatchRows(Math.min(batchSize, trainRows), 'batchSize');
      const order = new Int32Array(new SharedArrayBuffer(4 * trainRows));

      for (let epoch = 0; epoch < epochs; epoch++) {
        if (signal?.aborted) break;
        // The order (and its shuffle) in slices too: a large set's takes longer than one.
        const ordered = runSliced(stageOrder(order, shuffle ? this.#shuffleRng : null));
        if (ordered instanceof Promise) await ordered;
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
          });
        } finally {
          this.#epochRunning = false;
        }
        this.#step += result.batches;
        if (result.status === 'nonfinite') {
          // The backend skipped (non-finite loss) or undid (overflowing update) that step,
          // so the parameters are the last all-finite ones (see EpochResult).
          throw nonFiniteLossError(epoch, result.failedBatch, history);
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

  async #evaluateChunked(
    x: Float32Array,
    y: Float32Array,
    rows: number,
    yCols: number,
  ): Promise<{ loss: number; correct: number }> {
    let lossSum = 0;
    let correct = 0;
    for (let r0 = 0; r0 < rows; r0 += VALIDATION_CHUNK) {
      const n = Math.min(VALIDATION_CHUNK, rows - r0);
      const res = this.#model.evaluate(
        x.subarray(r0 * this.inputs, (r0 + n) * this.inputs),
        y.subarray(r0 * yCols, (r0 + n) * yCols),
        n,
      );
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
  setWeights(
    weights: Array<{ kernel: Float32Array | number[] | number[][]; bias?: Float32Array | number[] | null }>,
  ): void {
    this.#guardFit('setWeights');
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
  toSafetensors(extra: Record<string, string> = {}): Uint8Array {
    this.#guardEpoch('toSafetensors');
    return encodeNetwork(this.#snapshot(), extra);
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
   */
  save(path: string, options: { metadata?: Record<string, string> } = {}): void {
    expectPath(path);
    const o = expectOptionalObject(options, 'save options');
    expectKnownKeys(o, ['metadata'], 'save options');
    writeFileAtomic(path, this.toSafetensors((o.metadata as Record<string, string> | undefined) ?? {}));
  }

  /** Reads a network saved with `save` (see {@link Network.fromSafetensors}). */
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
    net.metadata = p.metadata;
    return net;
  }

  #snapshot(): NetworkSnapshot {
    return {
      inputs: this.inputs,
      seed: this.seed,
      layers: this.layers,
      plan: this.#plan,
      params: this.#model.params,
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

  #split(flat: Float32Array): LayerWeights[] {
    return this.#denseSpecs().map((s) => ({
      kernel: flat.slice(s.kernelOffset, s.kernelOffset + s.inputs * s.units),
      bias: s.useBias ? flat.slice(s.biasOffset, s.biasOffset + s.units) : null,
    }));
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
