/**
 * Shared helpers of the native-only boundary tests: the native backend (a load
 * failure fails the test with the loader's reason), ModelSpec builders and seeded data.
 */
import { Rng } from '../../lib/random';
import { loadNativeBackend } from '../../lib/backend/native/index';
import type { ActivationName, Backend, LayerSpec, ModelSpec, OptimizerSpec } from '../../lib/backend/types';

export function nativeBackend(): Backend {
  const { backend, reason } = loadNativeBackend();
  if (!backend) throw new Error(`the native addon did not load: ${reason}`);
  return backend;
}

export function nativeAddonPath(): string {
  nativeBackend();
  return loadNativeBackend().path!;
}

export type LayerDef = { units: number; activation?: ActivationName; useBias?: boolean; alpha?: number } | { dropout: number };

/** A ModelSpec in the params layout of lib/backend/types.ts. */
export function makeSpec(inputs: number, defs: LayerDef[], seed = 1): ModelSpec {
  const layers: LayerSpec[] = [];
  let width = inputs;
  let offset = 0;
  for (const d of defs) {
    if ('dropout' in d) {
      layers.push({ kind: 'dropout', units: width, rate: d.dropout });
      continue;
    }
    const useBias = d.useBias ?? true;
    const kernelOffset = offset;
    offset += width * d.units;
    const biasOffset = useBias ? offset : -1;
    if (useBias) offset += d.units;
    layers.push({ kind: 'dense', inputs: width, units: d.units, activation: d.activation ?? 'linear', alpha: d.alpha ?? 0.01, useBias, kernelOffset, biasOffset });
    width = d.units;
  }
  return { inputs, outputs: width, layers, paramCount: offset, seed };
}

export function sgd(learningRate = 0.01): OptimizerSpec {
  return { kind: 'sgd', learningRate, momentum: 0, nesterov: false, weightDecay: 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, rho: 0.99 };
}

/** Uniform values in [-scale, scale). */
export function randomArray(n: number, rng: Rng, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (2 * rng.nextFloat() - 1) * scale;
  return a;
}

/** Glorot-uniform-ish weights for every kernel, zero biases. */
export function initParams(spec: ModelSpec, params: Float32Array, rng: Rng): void {
  for (const l of spec.layers) {
    if (l.kind !== 'dense') continue;
    const lim = Math.sqrt(6 / (l.inputs + l.units));
    for (let i = 0; i < l.inputs * l.units; i++) params[l.kernelOffset + i] = (2 * rng.nextFloat() - 1) * lim;
  }
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
