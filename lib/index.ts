/**
 * densely: dense neural networks for Node.js, trained by backpropagation on a SIMD C++
 * core or a pure-JS backend with the same numbers. See API.md for the contract.
 */
export { Network } from './network';
export type {
  NetworkOptions,
  CompileOptions,
  FitOptions,
  History,
  EpochLogs,
  BatchLogs,
  LayerWeights,
  NetworkJSON,
  Metric,
  Input,
  Targets,
} from './network';
export { Dense, ACTIVATIONS, type DenseOptions } from './layers/dense';
export { Dropout, type Layer } from './layers/dropout';
export { INITIALIZERS, type InitializerName } from './initializers';
export { LOSSES } from './losses';
export { Optimizer, SGD, Adam, AdamW, RMSProp, OPTIMIZER_NAMES, type SGDOptions, type AdamOptions, type RMSPropOptions } from './optimizers/index';
export { backendInfo, setThreads, VERSION, type BackendInfo } from './runtime';
export { sgemm } from './kernels';
export { Rng } from './random';
export type { ActivationName, LossName, OptimizerName } from './backend/types';
