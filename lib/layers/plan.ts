import type { LayerSpec } from '../backend/types';
import { MAX_ELEMENTS, tooLarge } from '../validate';
import { Dense } from './dense';
import type { Layer } from './dropout';

/**
 * The most layers a network may have: the native binding's bound on a model spec (its
 * Float64Array header says how many 8-number layer records follow).
 */
export const MAX_LAYERS = 1_000_000;

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
export function planNetwork(inputs: number, layers: readonly Layer[], name = 'layers'): NetworkPlan {
  if (layers.length > MAX_LAYERS) {
    throw tooLarge(`at most ${MAX_LAYERS} layers (the native core's limit)`, name, `${layers.length} layers`);
  }
  const specs: LayerSpec[] = [];
  let width = inputs;
  let maxWidth = inputs;
  let offset = 0;
  layers.forEach((layer, i) => {
    if (layer instanceof Dense) {
      const kernel = width * layer.units;
      const size = kernel + (layer.useBias ? layer.units : 0);
      // Each term is below 2^49 and the sum stops at the first one past 2^32, so every
      // number here is exact.
      if (offset + size > MAX_ELEMENTS) {
        throw tooLarge(LIMIT, name, `${offset + size} parameters up to ${name}[${i}] (${width} inputs × ${layer.units} units)`);
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

/**
 * The most rows one batch may have on a network whose widest layer is `maxWidth`: every
 * layer's activations are one buffer of rows × width elements, at most {@link MAX_ELEMENTS}.
 */
export function maxBatchRows(maxWidth: number): number {
  return Math.floor(MAX_ELEMENTS / maxWidth);
}
