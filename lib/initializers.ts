import type { Rng } from './random';

/**
 * Names accepted for `kernelInitializer` / `biasInitializer` of {@link Dense}, for a
 * kernel `[fanIn × fanOut]` (a bias of `units` uses fanIn = fanOut = units):
 * - `zeros`, `ones`: constant 0 or 1;
 * - `glorotUniform`: U(−l, l), l = √(6 / (fanIn + fanOut));
 * - `glorotNormal`: truncated N(0, σ²), σ = √(2 / (fanIn + fanOut));
 * - `heUniform`: U(−l, l), l = √(6 / fanIn);
 * - `heNormal`: truncated N(0, σ²), σ = √(2 / fanIn);
 * - `lecunNormal`: truncated N(0, σ²), σ = √(1 / fanIn).
 *
 * The normal ones draw from a standard normal truncated to [−2, 2], rescaled to the
 * stated σ (the Keras/tfjs variance-scaling convention). Values come from the
 * network's seed, so the same seed gives the same weights on every backend.
 */
export type InitializerName =
  | 'zeros'
  | 'ones'
  | 'glorotUniform'
  | 'glorotNormal'
  | 'heUniform'
  | 'heNormal'
  | 'lecunNormal';

/** Every {@link InitializerName}. */
export const INITIALIZERS: readonly InitializerName[] = [
  'zeros',
  'ones',
  'glorotUniform',
  'glorotNormal',
  'heUniform',
  'heNormal',
  'lecunNormal',
];

/**
 * The standard deviation of a standard normal truncated to [−2, 2]: the normal
 * initializers draw from that truncated normal and divide by this so the result has
 * the intended variance (the Keras/tfjs variance-scaling convention).
 */
const TRUNCATED_STD = 0.8796256610342398;

/**
 * Fills `out[offset .. offset + count)` for a tensor with the given fans
 * (kernel `[fanIn × fanOut]`; a bias of `units` uses fanIn = fanOut = units):
 * - glorotUniform: U(−l, l), l = √(6 / (fanIn + fanOut))
 * - glorotNormal:  truncated N(0, σ²), σ = √(2 / (fanIn + fanOut))
 * - heUniform:     U(−l, l), l = √(6 / fanIn)
 * - heNormal:      truncated N(0, σ²), σ = √(2 / fanIn)
 * - lecunNormal:   truncated N(0, σ²), σ = √(1 / fanIn)
 * Values are drawn in element order from `rng`, so the same seed gives the same weights on every backend.
 */
export function initialize(
  name: InitializerName,
  out: Float32Array,
  offset: number,
  count: number,
  fanIn: number,
  fanOut: number,
  rng: Rng,
): void {
  switch (name) {
    case 'zeros':
      out.fill(0, offset, offset + count);
      return;
    case 'ones':
      out.fill(1, offset, offset + count);
      return;
    case 'glorotUniform':
      uniform(out, offset, count, Math.sqrt(6 / (fanIn + fanOut)), rng);
      return;
    case 'heUniform':
      uniform(out, offset, count, Math.sqrt(6 / fanIn), rng);
      return;
    case 'glorotNormal':
      truncatedNormal(out, offset, count, Math.sqrt(2 / (fanIn + fanOut)), rng);
      return;
    case 'heNormal':
      truncatedNormal(out, offset, count, Math.sqrt(2 / fanIn), rng);
      return;
    case 'lecunNormal':
      truncatedNormal(out, offset, count, Math.sqrt(1 / fanIn), rng);
      return;
  }
}

function uniform(out: Float32Array, offset: number, count: number, limit: number, rng: Rng): void {
  for (let i = 0; i < count; i++) out[offset + i] = (2 * rng.nextFloat() - 1) * limit;
}

function truncatedNormal(out: Float32Array, offset: number, count: number, std: number, rng: Rng): void {
  const scale = std / TRUNCATED_STD;
  for (let i = 0; i < count; i++) {
    let z: number;
    do z = rng.nextNormal();
    while (z < -2 || z > 2);
    out[offset + i] = z * scale;
  }
}
