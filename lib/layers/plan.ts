import type { ActivationName, LayerSpec, ModelSpec } from '../backend/types';
import { type InitializerName, initialize } from '../initializers';
import type { Rng } from '../random';
import { MAX_ELEMENTS, tooLarge } from '../validate';

/**
 * The most layers a network may have: the native binding's bound on a model spec (its
 * Float64Array header says how many 8-number layer records follow).
 */
export const MAX_LAYERS = 1_000_000;

/**
 * A layer as the plan reads it: a Dense layer's shape or a Dropout's rate. The facade's
 * `Dense` and `Dropout` satisfy it; tests pass plain objects.
 */
export type PlannedLayer =
  | {
      readonly kind: 'dense';
      readonly units: number;
      readonly activation: ActivationName;
      readonly alpha: number;
      readonly useBias: boolean;
      /** Regularizers (lib/regularizers.ts); absent or null: none. */
      readonly kernelRegularizer?: { readonly l1: number; readonly l2: number } | null;
      readonly biasRegularizer?: { readonly l1: number; readonly l2: number } | null;
    }
  | { readonly kind: 'dropout'; readonly rate: number }
  | { readonly kind: 'layerNorm'; readonly epsilon: number; readonly center: boolean; readonly scale: boolean }
  | {
      readonly kind: 'batchNorm';
      readonly epsilon: number;
      readonly momentum: number;
      readonly center: boolean;
      readonly scale: boolean;
    };

/** A network's layout: the backend's layer specs, its parameter count and its widest layer. */
export interface NetworkPlan {
  specs: LayerSpec[];
  outputs: number;
  paramCount: number;
  /** Floats of BatchNorm running statistics (running mean then running var, 2 × units per BatchNorm, in layer order). */
  bufferCount: number;
  /** The widest of the inputs and every layer's units: a batch's buffers are rows × this. */
  maxWidth: number;
}

const LIMIT = `at most ${MAX_ELEMENTS} (2^32 − 1) parameters, the limit of one Float32Array and of the native core's index range,`;

/**
 * Lays out the parameters of `layers` on `inputs` features (for each Dense layer its
 * kernel `[inputs × units]`, then its bias; for each LayerNorm/BatchNorm its γ then β,
 * `[units]` each, where on), the BatchNorm running statistics (`bufferCount`), and checks the size limits before anything
 * is allocated: at most {@link MAX_LAYERS} layers and {@link MAX_ELEMENTS} parameters.
 * Arithmetic only, O(layers).
 *
 * @throws RangeError with code `DENSELY_TOO_LARGE` naming the limit.
 */
export function planNetwork(inputs: number, layers: readonly PlannedLayer[], name = 'layers'): NetworkPlan {
  if (layers.length > MAX_LAYERS) {
    throw tooLarge(`at most ${MAX_LAYERS} layers (the native core's limit)`, name, `${layers.length} layers`);
  }
  const specs: LayerSpec[] = [];
  let width = inputs;
  let maxWidth = inputs;
  let offset = 0;
  let buffers = 0;
  layers.forEach((layer, i) => {
    if (layer.kind === 'dense') {
      const kernel = width * layer.units;
      const size = kernel + (layer.useBias ? layer.units : 0);
      // Each term is below 2^49 and the sum stops at the first one past 2^32, so every
      // number here is exact.
      if (offset + size > MAX_ELEMENTS) {
        throw tooLarge(
          LIMIT,
          name,
          `${offset + size} parameters up to ${name}[${i}] (${width} inputs × ${layer.units} units)`,
        );
      }
      specs.push({
        kind: 'dense',
        inputs: width,
        units: layer.units,
        activation: layer.activation,
        alpha: layer.alpha,
        useBias: layer.useBias,
        kernelOffset: offset,
        biasOffset: layer.useBias ? offset + kernel : -1,
        // Regularizer coefficients only where set (DenseSpec: absent = 0).
        ...(layer.kernelRegularizer
          ? { kernelL1: layer.kernelRegularizer.l1, kernelL2: layer.kernelRegularizer.l2 }
          : {}),
        ...(layer.biasRegularizer && layer.useBias
          ? { biasL1: layer.biasRegularizer.l1, biasL2: layer.biasRegularizer.l2 }
          : {}),
      });
      offset += size;
      width = layer.units;
      if (width > maxWidth) maxWidth = width;
    } else if (layer.kind === 'layerNorm' || layer.kind === 'batchNorm') {
      const size = (layer.scale ? width : 0) + (layer.center ? width : 0);
      if (offset + size > MAX_ELEMENTS) {
        throw tooLarge(
          LIMIT,
          name,
          `${offset + size} parameters up to ${name}[${i}] (${layer.kind} of ${width} units)`,
        );
      }
      const gammaOffset = layer.scale ? offset : -1;
      const betaOffset = layer.center ? offset + (layer.scale ? width : 0) : -1;
      offset += size;
      if (layer.kind === 'layerNorm') {
        specs.push({
          kind: 'layerNorm',
          units: width,
          epsilon: layer.epsilon,
          center: layer.center,
          scale: layer.scale,
          gammaOffset,
          betaOffset,
        });
      } else {
        if (buffers + 2 * width > MAX_ELEMENTS) {
          throw tooLarge(LIMIT, name, `${buffers + 2 * width} running statistics up to ${name}[${i}]`);
        }
        specs.push({
          kind: 'batchNorm',
          units: width,
          epsilon: layer.epsilon,
          momentum: layer.momentum,
          center: layer.center,
          scale: layer.scale,
          gammaOffset,
          betaOffset,
          statsOffset: buffers,
        });
        buffers += 2 * width;
      }
    } else {
      specs.push({ kind: 'dropout', units: width, rate: layer.rate });
    }
  });
  return { specs, outputs: width, paramCount: offset, bufferCount: buffers, maxWidth };
}

/** The backend's {@link ModelSpec} of a plan made by {@link planNetwork}. */
export function modelSpec(inputs: number, plan: NetworkPlan, seed: number): ModelSpec {
  return { inputs, outputs: plan.outputs, layers: plan.specs, paramCount: plan.paramCount, seed };
}

/**
 * {@link planNetwork} then {@link modelSpec}: the ModelSpec of `layers` on `inputs`
 * features with the parameter layout of lib/backend/types.ts (kernel then bias, layer
 * by layer).
 *
 * @throws RangeError with code `DENSELY_TOO_LARGE` as {@link planNetwork}.
 */
export function buildModelSpec(inputs: number, layers: readonly PlannedLayer[], seed: number): ModelSpec {
  return modelSpec(inputs, planNetwork(inputs, layers), seed);
}

/** The initializers of a Dense layer (the facade's `Dense` satisfies it). */
export interface LayerInitializers {
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;
}

/**
 * Fills `params` layer by layer: each Dense layer's kernel `[inputs × units]` with its
 * `kernelInitializer` (fans inputs, units), then its bias with its `biasInitializer`
 * (fans units, units), every value drawn in that order from `rng` (see
 * lib/initializers.ts). `initializers[i]` belongs to `specs[i]` (the layers themselves
 * do); Dropout entries are skipped. LayerNorm/BatchNorm γ is set to 1 and β to 0 (nothing
 * drawn, so the Dense layers' draws do not depend on them).
 */
export function initializeParams(
  specs: readonly LayerSpec[],
  initializers: ReadonlyArray<LayerInitializers | { readonly kind: 'dropout' | 'layerNorm' | 'batchNorm' }>,
  params: Float32Array,
  rng: Rng,
): void {
  specs.forEach((s, i) => {
    if (s.kind === 'layerNorm' || s.kind === 'batchNorm') {
      if (s.gammaOffset >= 0) params.fill(1, s.gammaOffset, s.gammaOffset + s.units);
      if (s.betaOffset >= 0) params.fill(0, s.betaOffset, s.betaOffset + s.units);
      return;
    }
    if (s.kind !== 'dense') return;
    const init = initializers[i] as LayerInitializers;
    initialize(init.kernelInitializer, params, s.kernelOffset, s.inputs * s.units, s.inputs, s.units, rng);
    if (s.useBias) initialize(init.biasInitializer, params, s.biasOffset, s.units, s.units, s.units, rng);
  });
}

/**
 * The most rows one batch may have on a network whose widest layer is `maxWidth`: every
 * layer's activations are one buffer of rows × width elements, at most {@link MAX_ELEMENTS}.
 */
export function maxBatchRows(maxWidth: number): number {
  return Math.floor(MAX_ELEMENTS / maxWidth);
}

/** Name of one stored part of a layer: a key of its `getWeights()` entry and of its tensors `layers.<i>.<key>`. */
export type WeightKey = 'kernel' | 'bias' | 'gamma' | 'beta' | 'runningMean' | 'runningVar';

/** One part of a layer's weights entry, where it lives, and its shape. */
export interface WeightPart {
  key: WeightKey;
  /** `[inputs, units]` for a kernel, `[units]` otherwise. */
  shape: number[];
  /** The parameters (trained) or the buffers (BatchNorm running statistics). */
  store: 'params' | 'buffers';
  /** Element offset in its store, or -1 when the part is switched off (the entry holds null). */
  offset: number;
}

/**
 * The parts of layer `s`'s `getWeights()` entry, in key order, or null when the layer has
 * none (Dropout; a LayerNorm with neither center nor scale): Dense `{ kernel, bias }`,
 * LayerNorm `{ gamma, beta }`, BatchNorm `{ gamma, beta, runningMean, runningVar }` (a
 * BatchNorm always has an entry: its running statistics).
 */
export function weightParts(s: LayerSpec): WeightPart[] | null {
  if (s.kind === 'dense') {
    return [
      { key: 'kernel', shape: [s.inputs, s.units], store: 'params', offset: s.kernelOffset },
      { key: 'bias', shape: [s.units], store: 'params', offset: s.biasOffset },
    ];
  }
  if (s.kind === 'dropout') return null;
  if (s.kind === 'layerNorm' && s.gammaOffset < 0 && s.betaOffset < 0) return null;
  const parts: WeightPart[] = [
    { key: 'gamma', shape: [s.units], store: 'params', offset: s.gammaOffset },
    { key: 'beta', shape: [s.units], store: 'params', offset: s.betaOffset },
  ];
  if (s.kind === 'batchNorm') {
    parts.push({ key: 'runningMean', shape: [s.units], store: 'buffers', offset: s.statsOffset });
    parts.push({ key: 'runningVar', shape: [s.units], store: 'buffers', offset: s.statsOffset + s.units });
  }
  return parts;
}

/** Elements of a part: the product of its shape. */
export function partLength(p: WeightPart): number {
  return p.shape.length === 2 ? p.shape[0]! * p.shape[1]! : p.shape[0]!;
}

/**
 * Copies of every layer's weights entry (see {@link weightParts}), in layer order: each
 * part sliced from `params` or `buffers`, null where switched off.
 */
export function splitWeights(
  specs: readonly LayerSpec[],
  params: Float32Array,
  buffers: Float32Array,
): Array<Record<string, Float32Array | null>> {
  const out: Array<Record<string, Float32Array | null>> = [];
  for (const s of specs) {
    const parts = weightParts(s);
    if (parts === null) continue;
    const entry: Record<string, Float32Array | null> = {};
    for (const p of parts) {
      const src = p.store === 'params' ? params : buffers;
      entry[p.key] = p.offset < 0 ? null : src.slice(p.offset, p.offset + partLength(p));
    }
    out.push(entry);
  }
  return out;
}
