/**
 * Dense neural networks for Node.js, trained by backpropagation on a SIMD C++ core or
 * a pure-JS backend with the same numbers. Every name here is a named export of the
 * package root: `import { Network, Dense, Adam } from 'densely'` (ESM) or
 * `require('densely')` (CommonJS); the types ship with the package.
 *
 * ```js
 * const net = new Network({
 *   inputs: 64,
 *   layers: [new Dense(64, { activation: 'relu' }), new Dense(10, { activation: 'softmax' })],
 *   seed: 42,
 * });
 * net.compile({ loss: 'sparseCategoricalCrossentropy', optimizer: new Adam({ learningRate: 1e-3 }), metrics: ['accuracy'] });
 * const history = await net.fit(x, y, { epochs: 30, batchSize: 32, validationSplit: 0.2 });
 * const probabilities = net.predict(x); // Float32Array, rows × 10
 * ```
 *
 * ## Data
 * A batch `x` is a row-major `Float32Array` of rows × features values (the row count
 * is inferred; the length must divide exactly) or an array of rows (`number[][]`).
 * Targets `y` take the same forms; for `sparseCategoricalCrossentropy` they are one
 * class index per row (`Int32Array`, `Float32Array` or `number[]`). Outputs are always
 * row-major `Float32Array`s. densely never modifies your arrays and never keeps them
 * after a call returns.
 *
 * ## Where to look
 * - {@link Network}: build, compile, train (`fit`, `trainOnBatch`), use (`predict`,
 *   `evaluate`, `gradients`), save and load (safetensors files).
 * - Layers: {@link Dense} (activations: {@link ActivationName}; initializers:
 *   {@link InitializerName}), {@link Dropout}, {@link LayerNorm} and {@link BatchNorm}.
 * - Losses, each the mean over the batch, with their formulas: {@link LOSSES}.
 * - Optimizers, each with its update rule (PyTorch's `torch.optim`) and defaults:
 *   {@link SGD}, {@link Adam}, {@link AdamW}, {@link RMSProp}.
 * - Training jobs: callbacks ({@link Callback}; {@link earlyStopping}, {@link reduceLROnPlateau},
 *   {@link checkpoint}), learning-rate schedules ({@link stepDecay}, {@link exponentialDecay},
 *   {@link cosineDecay}), checkpoints that resume exactly (`save` / `Network.load`).
 * - Runtime: {@link backendInfo}, {@link setThreads}; BLAS-style {@link sgemm}, also at
 *   `densely/kernels`.
 * - The guides (in the package's docs/guide/): {@link Errors} (what is checked, every `DENSELY_*`
 *   code) and {@link "Backends and determinism" | Backends and determinism} (native and js,
 *   the fallback and how to build the addon, threads, seeds, numerics).
 *
 * @module densely
 */

export type { BackendRequest } from './backend/select';
export type { ActivationName, BackendName, LossName, OptimizerName } from './backend/types';
export {
  type Callback,
  type CallbackNetwork,
  CallbackRunner,
  Checkpoint,
  type CheckpointOptions,
  checkpoint,
  EarlyStopping,
  type EarlyStoppingOptions,
  earlyStopping,
  type Monitor,
  type MonitorMode,
  ReduceLROnPlateau,
  type ReduceLROnPlateauOptions,
  reduceLROnPlateau,
} from './callbacks';
export { INITIALIZERS, type InitializerName } from './initializers';
export { sgemm } from './kernels';
export { ACTIVATIONS, Dense, type DenseOptions } from './layers/dense';
export { Dropout, type Layer } from './layers/dropout';
export { BatchNorm, type BatchNormOptions, LayerNorm, type LayerNormOptions } from './layers/norm';
export { LOSSES, type LossConfig } from './losses';
export { METRICS, type MetricName } from './metrics';
export { Network } from './network';
export type {
  BatchLogs,
  BatchNormWeights,
  BatchWeightOptions,
  CompileOptions,
  DenseWeights,
  EpochLogs,
  EvaluateOptions,
  EvaluateResult,
  FitOptions,
  History,
  Input,
  LayerNormWeights,
  LayerWeights,
  Metric,
  NetworkOptions,
  Targets,
} from './network_types';
export {
  Adam,
  type AdamOptions,
  AdamW,
  OPTIMIZER_NAMES,
  Optimizer,
  RMSProp,
  type RMSPropOptions,
  SGD,
  type SGDOptions,
} from './optimizers/index';
export type { ClipOptions } from './optimizers/optimizer';
export { Rng } from './random';
export type { Regularizer, RegularizerOptions } from './regularizers';
export { type BackendInfo, backendInfo, setThreads, VERSION } from './runtime';
export {
  type BuiltInSchedule,
  cosineDecay,
  exponentialDecay,
  type LearningRateSchedule,
  type ScheduleConfig,
  stepDecay,
} from './schedules';
export type { LayerJSON, NetworkJSON, WeightsJSON } from './serialize';
export type { DataBatch, DataSource, FitDatasetOptions } from './training/fit_dataset';
