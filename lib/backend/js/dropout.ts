/**
 * Inverted dropout of the js backend (training only).
 *
 * Mask: for step `step` and the layer at index `layer` of `ModelSpec.layers`,
 * `stepSeed = dropoutStepSeed(spec.seed, step)`, `layerSeed = dropoutLayerSeed(stepSeed, layer)`,
 * and element `index = row·units + col` is kept iff
 * `dropoutKeep(layerSeed, index, dropoutThreshold(rate))` (all from `lib/random.ts`).
 * Kept values are `fround(a · scale)` with `scale = fround(1 / (1 − rate))`; dropped ones are 0.
 * The backward pass multiplies the incoming gradient by the same per-element factor
 * (`scale` or 0), stored in `mask` by the forward pass.
 */
import { dropoutKeep, dropoutLayerSeed, dropoutStepSeed, dropoutThreshold } from '../../random';

/** The float32 factor applied to kept elements. */
export function dropoutScale(rate: number): number {
  return Math.fround(1 / (1 - rate));
}

/**
 * `out ← a ⊙ mask` over `rows × units`, writing the per-element factor (scale or 0) into
 * `mask`. `out` may alias `a`.
 */
export function dropoutForward(
  a: Float32Array,
  out: Float32Array,
  mask: Float32Array,
  rows: number,
  units: number,
  rate: number,
  seed: number,
  step: number,
  layer: number,
): void {
  const len = rows * units;
  const layerSeed = dropoutLayerSeed(dropoutStepSeed(seed, step), layer);
  const threshold = dropoutThreshold(rate);
  const scale = dropoutScale(rate);
  for (let i = 0; i < len; i++) {
    const f = dropoutKeep(layerSeed, i, threshold) ? scale : 0;
    mask[i] = f;
    out[i] = a[i]! * f;
  }
}

/** `dIn ← dOut ⊙ mask` over `len` elements; `dIn` may alias `dOut`. */
export function dropoutBackward(dOut: Float32Array, mask: Float32Array, dIn: Float32Array, len: number): void {
  for (let i = 0; i < len; i++) dIn[i] = dOut[i]! * mask[i]!;
}
