/**
 * Shared helpers of the native-only boundary tests: the native backend (a load
 * failure fails the test with the loader's reason), ModelSpec builders and seeded data.
 */

import { loadNativeBackend } from '../../lib/backend/native/index';
import type { Backend, BackendModel, LossName, ModelSpec, OptimizerSpec } from '../../lib/backend/types';
import { buildModelSpec, initializeParams } from '../../lib/layers/plan';
import { baseSpec } from '../../lib/optimizers/optimizer';
import { Rng } from '../../lib/random';
import { GLOROT_ZEROS, plannedLayers, type TestLayer } from '../support/spec';

export function nativeBackend(): Backend {
  const { backend, reason } = loadNativeBackend();
  if (!backend) throw new Error(`the native addon did not load: ${reason}`);
  return backend;
}

export function nativeAddonPath(): string {
  nativeBackend();
  return loadNativeBackend().path!;
}

/** A layer description for {@link makeSpec}. */
export type LayerDef = TestLayer;

/** A ModelSpec in the params layout of lib/backend/types.ts, built by lib/layers/plan.ts. */
export function makeSpec(inputs: number, defs: LayerDef[], seed = 1): ModelSpec {
  return buildModelSpec(inputs, plannedLayers(defs), seed);
}

export function sgd(learningRate = 0.01): OptimizerSpec {
  return baseSpec('sgd', learningRate);
}

/** Uniform values in [-scale, scale). */
export function randomArray(n: number, rng: Rng, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (2 * rng.nextFloat() - 1) * scale;
  return a;
}

/** Glorot-uniform kernels and zero biases (lib/initializers.ts), drawn from `rng`. */
export function initParams(spec: ModelSpec, params: Float32Array, rng: Rng): void {
  initializeParams(
    spec.layers,
    spec.layers.map(() => GLOROT_ZEROS),
    params,
    rng,
  );
}

/** One-hot targets for `rows` rows of `classes` classes. */
export function oneHot(rows: number, classes: number, rng: Rng): Float32Array {
  const y = new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) y[r * classes + rng.nextInt(classes)] = 1;
  return y;
}

export function identityOrder(n: number): Int32Array {
  const o = new Int32Array(n);
  for (let i = 0; i < n; i++) o[i] = i;
  return o;
}

/**
 * A native model of `spec` whose parameters are drawn ({@link initParams}) from a fresh
 * `Rng(seed)`, with `loss` and `opt` set. Returns the model and that Rng, for the data.
 */
export function seededModel(
  spec: ModelSpec,
  seed: number,
  loss: LossName,
  opt: OptimizerSpec,
): { model: BackendModel; rng: Rng } {
  const model = nativeBackend().createModel(spec);
  const rng = new Rng(seed);
  initParams(spec, model.params, rng);
  model.setLoss(loss);
  model.setOptimizer(opt);
  return { model, rng };
}
