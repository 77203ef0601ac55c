/**
 * Gradient clipping by global norm on the js backend (native/core/ops/clip.h): the one
 * reduction over the whole gradient that `clipNorm` needs before the update. The factor
 * it gives is applied inside the optimizer loops (`optimizerStep`'s `gscale`), with
 * `clipValue`'s clamp, as the native kernels do.
 */

/** Elements per block of the norm reduction (native kClipNormBlock). */
export const CLIP_NORM_BLOCK = 16384;

/**
 * Σ c(g)² in float64 over `g[0..n)`, c the clamp to [−clip, clip] (clip = Infinity: none),
 * in native clip_sum_squares's order: per block of {@link CLIP_NORM_BLOCK} elements, element
 * k into accumulator k mod 8, combined ((a0+a1)+(a2+a3))+((a4+a5)+(a6+a7)); blocks added in
 * order. Every square of a float32 is exact in float64, so the two backends give the same bits.
 */
export function clipSumSquares(g: Float32Array, n: number, clip: number): number {
  const lo = -clip;
  const hi = clip;
  let sum = 0;
  const a = new Float64Array(8);
  for (let s = 0; s < n; s += CLIP_NORM_BLOCK) {
    const e = Math.min(n, s + CLIP_NORM_BLOCK);
    a.fill(0);
    for (let i = s; i < e; i++) {
      const v = g[i]!;
      const x = lo > v ? lo : hi < v ? hi : v;
      a[(i - s) & 7] += x * x;
    }
    sum += a[0]! + a[1]! + (a[2]! + a[3]!) + (a[4]! + a[5]! + (a[6]! + a[7]!));
  }
  return sum;
}

/** torch's clip_grad_norm_ factor: maxNorm / (√sumSq + 1e-6) when below 1, else 1; rounded to float32. */
export function clipNormScale(sumSq: number, maxNorm: number): number {
  const coef = maxNorm / (Math.sqrt(sumSq) + 1e-6);
  return coef < 1 ? Math.fround(coef) : 1;
}
