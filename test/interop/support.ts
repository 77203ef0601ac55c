/**
 * Shared by the interop tests: the tolerance of API.md's "same outputs (1e-5)", a float64
 * forward pass of a portable model (lib/interop/model.ts) for models built here without
 * the layer classes, and random models and batches.
 */
import type { LayerConfig, PortableLayer, PortableModel } from '../../lib/interop/model';
import type { AnyActivation } from '../../lib/interop/onnx';
import { activate, normalCdf, type RefActivation } from '../reference/activations';
import type { Tolerance } from '../support/close';
import { TestRng } from '../support/rng';

/**
 * Another runtime (onnxruntime, PyTorch, tfjs) against densely's predict, or either
 * against the float64 forward: float32 sums of ≤ 16 products through at most four
 * layers, each runtime with its own summation order and transcendental functions —
 * a few ulps per layer. API.md's bound for the interop formats.
 */
export const INTEROP_TOL: Tolerance = { rtol: 1e-5, atol: 1e-5 };

/** Every activation name, those of lib/interop's tables (the library's names and those arriving beside them). */
export const ALL_ACTIVATIONS: readonly AnyActivation[] = [
  'linear',
  'relu',
  'leakyRelu',
  'sigmoid',
  'tanh',
  'softmax',
  'gelu',
  'elu',
  'selu',
  'softplus',
  'silu',
  'mish',
  'hardSigmoid',
  'hardSwish',
  'relu6',
];

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
const softplus = (z: number): number => (z > 20 ? z : Math.log1p(Math.exp(z)));
const relu6 = (z: number): number => Math.min(Math.max(z, 0), 6);

/** torch.nn.functional's definition of every activation, in float64, for one row. */
export function activation(act: AnyActivation, z: Float64Array, alpha: number): Float64Array {
  const map = (f: (v: number) => number): Float64Array => z.map(f);
  switch (act) {
    case 'elu':
      return map((v) => (v > 0 ? v : Math.expm1(v)));
    case 'selu':
      return map((v) => SELU_SCALE * (v > 0 ? v : SELU_ALPHA * Math.expm1(v)));
    case 'softplus':
      return map(softplus);
    case 'silu':
      return map((v) => v / (1 + Math.exp(-v)));
    case 'mish':
      return map((v) => v * Math.tanh(softplus(v)));
    case 'hardSigmoid':
      return map((v) => relu6(v + 3) / 6);
    case 'hardSwish':
      return map((v) => (v * relu6(v + 3)) / 6);
    case 'relu6':
      return map(relu6);
    case 'gelu':
      return map((v) => v * normalCdf(v));
    default:
      return activate(act as RefActivation, z, alpha);
  }
}

/** The float64 forward pass (inference: dropout off, BatchNorm on its running statistics). */
export function forward(model: PortableModel, x: Float32Array): Float64Array {
  const rows = x.length / model.inputs;
  let a = Float64Array.from(x);
  for (const layer of model.layers) {
    const { config: c, tensors: t, inputs, units } = layer;
    const out = new Float64Array(rows * units);
    for (let r = 0; r < rows; r++) {
      const row = a.subarray(r * inputs, (r + 1) * inputs);
      let y: Float64Array;
      if (c.type === 'dense') {
        const z = new Float64Array(units);
        for (let j = 0; j < units; j++) {
          let s = t.bias ? t.bias[j]! : 0;
          for (let i = 0; i < inputs; i++) s += row[i]! * t.kernel![i * units + j]!;
          z[j] = s;
        }
        y = activation(c.activation as AnyActivation, z, c.alpha as number);
      } else if (c.type === 'layerNorm' || c.type === 'batchNorm') {
        let mean = 0;
        let variance = 0;
        y = new Float64Array(units);
        for (let j = 0; j < units; j++) {
          if (c.type === 'layerNorm') {
            if (j === 0) {
              for (const v of row) mean += v / units;
              for (const v of row) variance += (v - mean) ** 2 / units;
            }
          } else {
            mean = t.runningMean![j]!;
            variance = t.runningVar![j]!;
          }
          const n = (row[j]! - mean) / Math.sqrt(variance + (c.epsilon as number));
          y[j] = n * (t.gamma ? t.gamma[j]! : 1) + (t.beta ? t.beta[j]! : 0);
        }
      } else {
        y = row.slice();
      }
      out.set(y, r * units);
    }
    a = out;
  }
  return a;
}

/** Uniform float32 values in [lo, hi). */
export function randomF32(rng: TestRng, n: number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from(rng.uniformArray(n, lo, hi));
}

/**
 * A portable model of `configs` on `inputs` features with random parameters (positive
 * running variances), as the interop code reads it from a network.
 */
export function randomModel(inputs: number, configs: LayerConfig[], seed: number): PortableModel {
  const rng = new TestRng(seed);
  let width = inputs;
  const layers = configs.map((config, index): PortableLayer => {
    const n = width;
    const units = config.type === 'dense' ? (config.units as number) : n;
    const tensors: PortableLayer['tensors'] = {};
    if (config.type === 'dense') {
      tensors.kernel = randomF32(rng, n * units, -0.8, 0.8);
      if (config.useBias !== false) tensors.bias = randomF32(rng, units, -0.5, 0.5);
    } else if (config.type === 'layerNorm' || config.type === 'batchNorm') {
      if (config.scale !== false) tensors.gamma = randomF32(rng, units, 0.5, 1.5);
      if (config.center !== false) tensors.beta = randomF32(rng, units, -0.5, 0.5);
      if (config.type === 'batchNorm') {
        tensors.runningMean = randomF32(rng, units, -0.5, 0.5);
        tensors.runningVar = randomF32(rng, units, 0.2, 2);
      }
    }
    width = units;
    return { index, config, inputs: n, units, tensors };
  });
  return { inputs, outputs: width, layers, metadata: {} };
}

/** The layer configurations of one model per activation, and of every norm-layer variant. */
export function dense(units: number, activation: AnyActivation, extra: Partial<LayerConfig> = {}): LayerConfig {
  return { type: 'dense', units, activation, useBias: true, alpha: 0.2, ...extra };
}

export const NORM_CONFIGS: Array<[string, LayerConfig]> = [
  ['layerNorm', { type: 'layerNorm', epsilon: 1e-5, center: true, scale: true }],
  ['layerNorm without center', { type: 'layerNorm', epsilon: 1e-3, center: false, scale: true }],
  ['layerNorm without scale and center', { type: 'layerNorm', epsilon: 1e-5, center: false, scale: false }],
  ['batchNorm', { type: 'batchNorm', epsilon: 1e-5, momentum: 0.1, center: true, scale: true }],
  ['batchNorm without scale', { type: 'batchNorm', epsilon: 1e-3, momentum: 0.01, center: true, scale: false }],
  [
    'batchNorm without scale and center',
    { type: 'batchNorm', epsilon: 1e-5, momentum: 0.1, center: false, scale: false },
  ],
];

/** Whether lib/layers/norm.ts (LayerNorm, BatchNorm) is on this branch. */
export async function normLayers(): Promise<Record<string, new (o?: object) => object> | null> {
  try {
    return (await import(/* @vite-ignore */ `../../lib/layers/${'norm'}`)) as Record<
      string,
      new (
        o?: object,
      ) => object
    >;
  } catch {
    return null;
  }
}
