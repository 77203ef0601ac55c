/**
 * Reference dropout masks, from the documented construction (lib/backend/types.ts and
 * lib/random.ts, which the native core mirrors): for training step `step` and the layer
 * at index `layer` of `ModelSpec.layers` (Dense and Dropout layers both count), element
 * `row·units + col` is kept iff dropoutKeep(dropoutLayerSeed(dropoutStepSeed(seed, step),
 * layer), index, dropoutThreshold(rate)); kept elements are scaled by 1/(1 − rate).
 * The hash functions are the contract itself, so they are imported, not re-derived.
 */
import { dropoutKeep, dropoutLayerSeed, dropoutStepSeed, dropoutThreshold } from '../../lib/random';

export function dropoutMask(
  seed: number,
  step: number,
  layer: number,
  rows: number,
  units: number,
  rate: number,
): Float64Array {
  const layerSeed = dropoutLayerSeed(dropoutStepSeed(seed, step), layer);
  const threshold = dropoutThreshold(rate);
  const mask = new Float64Array(rows * units);
  for (let i = 0; i < mask.length; i++) mask[i] = dropoutKeep(layerSeed, i, threshold) ? 1 / (1 - rate) : 0;
  return mask;
}
