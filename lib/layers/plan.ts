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
  | { readonly kind: 'dropout'; readonly rate: number };

/** A network's layout: the backend's layer specs, its parameter count and its widest layer. */
export interface NetworkPlan {
  specs: LayerSpec[];
  outputs: number;
  paramCount: number;
  /** The widest of the inputs and every layer's units: a batch's buffers are rows × this. */
  maxWidth: number;
}

const LIMIT = `at most ${MAX_ELEMENTS} (2^32 − 1) parameters, the limit of one Float32Array and of the native core's index range,`;

/**
 * Lays out the parameters of `layers` on `inputs` features (for each Dense layer its
 * kernel `[inputs × units]`, then its bias) and checks the size limits before anything
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
    } else {
      specs.push({ kind: 'dropout', units: width, rate: layer.rate });
    }
  });
  return { specs, outputs: width, paramCount: offset, maxWidth };
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
 * do); Dropout entries are skipped.
 */
export function initializeParams(
  specs: readonly LayerSpec[],
  initializers: ReadonlyArray<LayerInitializers | { readonly kind: 'dropout' }>,
  params: Float32Array,
  rng: Rng,
): void {
  specs.forEach((s, i) => {
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
