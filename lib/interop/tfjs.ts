/**
 * tfjs import (`Network.fromTfjs`): a tfjs-layers Sequential model as `model.save()`
 * writes it, `model.json` (`modelTopology` + `weightsManifest`) and its weight files.
 *
 * Layers: Dense (activations mapped by {@link TFJS_ACTIVATIONS}), Dropout,
 * BatchNormalization (axis −1; Keras's momentum m becomes PyTorch's 1 − m; epsilon, center,
 * scale; moving mean/variance become the running statistics) and LayerNormalization (axis
 * −1). Weights: float32, unquantized. Anything else is rejected with an error naming the
 * layer and the value.
 *
 * Activation layers (`Activation`, `ReLU`, `LeakyReLU`, `ELU`, `Softmax`) are folded into
 * the Dense layer right before them when that Dense has a linear activation and densely
 * has the same function: `Activation` with a name of {@link TFJS_ACTIVATIONS}; `ReLU`
 * without `maxValue` (relu) or with `maxValue` 6 (relu6); `LeakyReLU` with its `alpha` (the
 * Dense's `alpha`); `ELU` with alpha 1; `Softmax` on the last axis. Any other placement
 * (first layer, after Dropout or a norm layer, after a Dense whose activation is not
 * linear, two in a row) or parameter is rejected, naming the layer: densely's activations
 * belong to Dense layers.
 */
import { promises as fsp } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { ACTIVATIONS } from '../layers/dense';
import { describe, elide, invalidModel } from '../validate';
import { LAYER_TENSORS, LAYER_TYPES, type LayerConfig, type PortableLayer, writePortable } from './model';
import type { AnyActivation } from './onnx';

/**
 * tfjs/Keras activation names and their densely names. Left out because they differ from
 * every densely activation: `hardSigmoid`/`hard_sigmoid` (Keras's is 0.2·x + 0.5, not
 * relu6(x + 3)/6), `gelu_new` (the tanh approximation), softsign, logSoftmax.
 */
export const TFJS_ACTIVATIONS: Readonly<Record<string, AnyActivation>> = {
  linear: 'linear',
  relu: 'relu',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  softmax: 'softmax',
  gelu: 'gelu',
  elu: 'elu',
  selu: 'selu',
  softplus: 'softplus',
  swish: 'silu',
  silu: 'silu',
  mish: 'mish',
  relu6: 'relu6',
  hard_swish: 'hardSwish',
};

/** Keras's parameter names per densely tensor. */
const KERAS_NAMES: Readonly<Record<string, string>> = {
  kernel: 'kernel',
  bias: 'bias',
  gamma: 'gamma',
  beta: 'beta',
  runningMean: 'moving_mean',
  runningVar: 'moving_variance',
};

/** Standalone activation layers, folded into the Dense before them (see the module comment). */
const ACTIVATION_CLASSES = ['Activation', 'ReLU', 'LeakyReLU', 'ELU', 'Softmax'];

const KNOWN_CLASSES = [
  'InputLayer',
  'Dense',
  'Dropout',
  'BatchNormalization',
  'LayerNormalization',
  ...ACTIVATION_CLASSES,
];

const KNOWN_TEXT =
  'a Dense, Dropout, BatchNormalization, LayerNormalization or activation layer (Activation, ReLU, LeakyReLU, ELU, Softmax)';

/** The densely activation (and leakyRelu's alpha) of a standalone activation layer, or a failure. */
function activationLayer(
  className: string,
  c: Record<string, unknown>,
  at: string,
  fail: Fail,
): { activation: AnyActivation; alpha?: number } {
  const known = (ACTIVATIONS as readonly string[]).includes.bind(ACTIVATIONS);
  switch (className) {
    case 'Activation': {
      const act = typeof c.activation === 'string' ? TFJS_ACTIVATIONS[c.activation] : undefined;
      if (act === undefined || !known(act))
        throw fail(
          `an activation densely has (${Object.keys(TFJS_ACTIVATIONS)
            .filter((k) => known(TFJS_ACTIVATIONS[k]!))
            .join(', ')})`,
          `${at} activation`,
          describe(c.activation),
        );
      return { activation: act };
    }
    case 'ReLU': {
      // Keras's ReLU also has negative_slope and threshold; tfjs's only maxValue.
      const max = c.maxValue ?? c.max_value ?? null;
      if ((c.negative_slope ?? 0) !== 0)
        throw fail('negative_slope 0', `${at} negative_slope`, describe(c.negative_slope));
      if ((c.threshold ?? 0) !== 0) throw fail('threshold 0', `${at} threshold`, describe(c.threshold));
      if (max === null) return { activation: 'relu' };
      if (max === 6) return { activation: 'relu6' };
      throw fail('no maxValue (relu) or maxValue 6 (relu6)', `${at} maxValue`, describe(max), 'range');
    }
    case 'LeakyReLU': {
      const alpha = c.alpha ?? c.negative_slope ?? 0.3;
      if (typeof alpha !== 'number' || !Number.isFinite(alpha) || Math.abs(alpha) > 3.4028234663852886e38)
        throw fail('a finite alpha', `${at} alpha`, describe(alpha));
      return { activation: 'leakyRelu', alpha };
    }
    case 'ELU':
      if ((c.alpha ?? 1) !== 1)
        throw fail("alpha 1 (densely's elu is torch's, α = 1)", `${at} alpha`, describe(c.alpha), 'range');
      return { activation: 'elu' };
    default:
      // Softmax
      if (!isLastAxis(c.axis ?? -1)) throw fail('axis -1', `${at} axis`, describe(c.axis));
      return { activation: 'softmax' };
  }
}

interface ManifestEntry {
  name: string;
  shape: number[];
  data: Float32Array;
}

type Fail = (what: string, name: string, received: string, kind?: 'type' | 'range') => Error;

function object(value: unknown, name: string, fail: Fail): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw fail('an object', name, describe(value));
  return value as Record<string, unknown>;
}

function isLastAxis(axis: unknown): boolean {
  const a = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
  return a === -1 || a === 1;
}

/** Reads every weight of the manifest: groups of files, their weights laid end to end. */
async function readWeights(manifest: unknown, dir: string, fail: Fail): Promise<Map<string, ManifestEntry>> {
  if (!Array.isArray(manifest)) throw fail('an array', 'weightsManifest', describe(manifest));
  const out = new Map<string, ManifestEntry>();
  for (const [g, raw] of manifest.entries()) {
    const group = object(raw, `weightsManifest[${g}]`, fail);
    const paths = group.paths;
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string'))
      throw fail('an array of file names', `weightsManifest[${g}].paths`, describe(paths));
    const parts: Uint8Array[] = [];
    for (const p of paths as string[]) {
      const file = resolve(dir, p);
      const rel = relative(dir, file);
      if (isAbsolute(p) || rel.startsWith('..') || isAbsolute(rel))
        throw fail('a file beside model.json', `weightsManifest[${g}].paths`, describe(p));
      parts.push(new Uint8Array(await fsp.readFile(file)));
    }
    const bytes = Buffer.concat(parts);
    const weights = group.weights;
    if (!Array.isArray(weights)) throw fail('an array', `weightsManifest[${g}].weights`, describe(weights));
    let offset = 0;
    for (const [j, w] of weights.entries()) {
      const at = `weightsManifest[${g}].weights[${j}]`;
      const e = object(w, at, fail);
      if (e.dtype !== 'float32') throw fail('dtype "float32"', `${at}.dtype`, describe(e.dtype));
      if (e.quantization !== undefined)
        throw fail('unquantized weights', `${at}.quantization`, describe(e.quantization));
      const shape = e.shape;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
        throw fail('an array of non-negative integers', `${at}.shape`, describe(shape));
      if (typeof e.name !== 'string') throw fail('a string', `${at}.name`, describe(e.name));
      const count = (shape as number[]).reduce((a, b) => a * b, 1);
      if (offset + count * 4 > bytes.length)
        throw fail(
          `${count * 4} bytes for weight ${e.name}`,
          `weightsManifest[${g}].paths`,
          `${bytes.length - offset} bytes left`,
          'range',
        );
      const data = new Float32Array(count);
      const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 4);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(4 * i, true);
      offset += count * 4;
      out.set(e.name, { name: e.name, shape: shape as number[], data });
    }
  }
  return out;
}

/** The input width from a layer's `batch_input_shape`/`batchInputShape` ([null, n]). */
function inputWidth(config: Record<string, unknown>): number | undefined {
  const s = config.batch_input_shape ?? config.batchInputShape;
  if (!Array.isArray(s)) return undefined;
  return s.length === 2 && Number.isSafeInteger(s[1]) && s[1] > 0 ? (s[1] as number) : -1;
}

/**
 * Reads a tfjs-layers model (see the module comment) and returns it as safetensors bytes
 * in densely's layout (seed 0), for `Network.fromSafetensors` to check and load.
 *
 * @throws TypeError/RangeError with code `DENSELY_INVALID_MODEL` naming the layer and the value.
 */
export async function tfjsToSafetensors(modelJsonPath: string, source: string): Promise<Uint8Array> {
  const fail: Fail = (what, name, received, kind = 'type') =>
    invalidModel(what, `${source} ${name}`, elide(received, 80), kind);
  let json: unknown;
  try {
    json = JSON.parse(await fsp.readFile(modelJsonPath, 'utf8'));
  } catch (e) {
    if (e instanceof SyntaxError) throw fail('JSON', 'model.json', elide(e.message, 80));
    throw e;
  }
  const root = object(json, 'model.json', fail);
  const topology = object(root.modelTopology, 'modelTopology', fail);
  const model = object(topology.model_config ?? topology, 'modelTopology', fail);
  if (model.class_name !== 'Sequential')
    throw fail('a Sequential model (class_name "Sequential")', 'modelTopology.class_name', describe(model.class_name));
  const cfg = model.config;
  const rawLayers = Array.isArray(cfg) ? cfg : object(cfg, 'modelTopology.config', fail).layers;
  if (!Array.isArray(rawLayers) || rawLayers.length === 0)
    throw fail('a non-empty array of layers', 'modelTopology.config.layers', describe(rawLayers));
  const weights = await readWeights(root.weightsManifest, dirname(modelJsonPath), fail);

  let inputs: number | undefined;
  let width = 0;
  const layers: PortableLayer[] = [];
  const used = new Set<string>();
  for (const [i, raw] of rawLayers.entries()) {
    const entry = object(raw, `modelTopology layers[${i}]`, fail);
    const className = entry.class_name;
    const c = object(entry.config, `modelTopology layers[${i}].config`, fail);
    const name = typeof c.name === 'string' ? c.name : `layers[${i}]`;
    const at = `layer ${describe(name)}`;
    if (!KNOWN_CLASSES.includes(className as string)) throw fail(KNOWN_TEXT, `${at} class_name`, describe(className));
    const declared = inputWidth(c);
    if (declared !== undefined) {
      if (declared < 0)
        throw fail('a batch_input_shape [null, features]', at, describe(c.batch_input_shape ?? c.batchInputShape));
      if (inputs === undefined) {
        inputs = declared;
        width = declared;
      }
    }
    if (className === 'InputLayer') continue;
    if (inputs === undefined) throw fail('a batch_input_shape on the first layer', at, 'none');
    if (ACTIVATION_CLASSES.includes(className as string)) {
      const fold = activationLayer(className as string, c, at, fail);
      const prev = layers[layers.length - 1];
      const prevClass = i > 0 ? (rawLayers[i - 1] as { class_name?: unknown }).class_name : undefined;
      if (
        prev === undefined ||
        prevClass !== 'Dense' ||
        prev.config.type !== LAYER_TYPES.dense ||
        prev.config.activation !== 'linear'
      )
        throw fail(
          'an activation layer right after a Dense layer with linear activation (densely folds it into that Dense)',
          at,
          `${describe(className)} after ${prevClass === undefined ? 'no layer' : describe(prevClass)}${
            prev !== undefined && prevClass === 'Dense' ? ` with activation ${describe(prev.config.activation)}` : ''
          }`,
        );
      prev.config.activation = fold.activation;
      if (fold.alpha !== undefined) prev.config.alpha = fold.alpha;
      continue;
    }
    let config: LayerConfig;
    switch (className) {
      case 'Dense': {
        const act = typeof c.activation === 'string' ? TFJS_ACTIVATIONS[c.activation] : undefined;
        if (act === undefined || !(ACTIVATIONS as readonly string[]).includes(act))
          throw fail(
            `an activation densely has (${Object.keys(TFJS_ACTIVATIONS)
              .filter((k) => (ACTIVATIONS as readonly string[]).includes(TFJS_ACTIVATIONS[k]!))
              .join(', ')})`,
            `${at} activation`,
            describe(c.activation),
          );
        config = { type: LAYER_TYPES.dense, units: c.units, activation: act, useBias: c.use_bias !== false };
        break;
      }
      case 'Dropout':
        config = { type: LAYER_TYPES.dropout, rate: c.rate };
        break;
      case 'BatchNormalization':
        if (!isLastAxis(c.axis ?? -1)) throw fail('axis -1', `${at} axis`, describe(c.axis));
        if (typeof c.momentum !== 'number') throw fail('a number', `${at} momentum`, describe(c.momentum));
        config = {
          type: LAYER_TYPES.batchNorm,
          momentum: 1 - c.momentum,
          epsilon: c.epsilon,
          center: c.center !== false,
          scale: c.scale !== false,
        };
        break;
      case 'LayerNormalization':
        if (!isLastAxis(c.axis ?? -1)) throw fail('axis -1', `${at} axis`, describe(c.axis));
        config = {
          type: LAYER_TYPES.layerNorm,
          epsilon: c.epsilon,
          center: c.center !== false,
          scale: c.scale !== false,
        };
        break;
      default:
        throw fail(KNOWN_TEXT, `${at} class_name`, describe(className));
    }
    const layer: PortableLayer = { index: layers.length, config, inputs: width, units: width, tensors: {} };
    if (className === 'Dense') {
      if (!Number.isSafeInteger(c.units) || (c.units as number) < 1)
        throw fail('a positive integer', `${at} units`, describe(c.units));
      layer.units = c.units as number;
    }
    const parts = LAYER_TENSORS[config.type] ?? [];
    for (const part of parts) {
      const off =
        (part === 'bias' && config.useBias === false) ||
        (part === 'gamma' && config.scale === false) ||
        (part === 'beta' && config.center === false);
      if (off) continue;
      const key = `${name}/${KERAS_NAMES[part]}`;
      const w = weights.get(key);
      const shape = part === 'kernel' ? [layer.inputs, layer.units] : [layer.units];
      if (w === undefined || w.shape.length !== shape.length || w.shape.some((d, j) => d !== shape[j]))
        throw fail(
          `weight ${key} of shape [${shape.join(', ')}]`,
          'weightsManifest',
          w === undefined ? 'no such weight' : `shape [${w.shape.join(', ')}]`,
          'range',
        );
      used.add(key);
      layer.tensors[part] = w.data;
    }
    layers.push(layer);
    width = layer.units;
  }
  for (const key of weights.keys())
    if (!used.has(key)) throw fail("only the weights of the model's layers", 'weightsManifest', describe(key));
  return writePortable(
    { inputs: inputs!, outputs: width, layers, metadata: {} },
    { format: 'densely', 'densely.version': '1' },
  );
}
