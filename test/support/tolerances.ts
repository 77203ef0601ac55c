/**
 * Every numerical tolerance of the test suite, each with its reason. A check passes
 * iff |got − want| ≤ atol + rtol·|want| (see `close.ts`).
 */
import type { Tolerance } from './close';

/** Unit roundoff of float32 (2^-24). */
export const EPS32 = 2 ** -24;

export const TOL = {
  /**
   * Reference analytic gradient vs central differences, both float64, step
   * FD_STEP = 1e-6: truncation error ~ h²·f‴ ≈ 1e-12, cancellation ~ ε64·|L|/h ≈ 1e-10.
   * 1e-6 relative + 1e-8 absolute leaves two orders of margin on both and still fails
   * any real mistake (a wrong derivative is off by O(1) relative).
   */
  finiteDifference: { rtol: 1e-6, atol: 1e-8 } satisfies Tolerance,

  /**
   * Two float64 computations of the same quantity by different formulas (the fused
   * softmax/sigmoid + cross-entropy gradient vs the chained one, the erf series vs
   * tabulated values): only a few roundings apart.
   */
  float64: { rtol: 1e-12, atol: 1e-14 } satisfies Tolerance,

  /**
   * −log(1 − ŷ) with ŷ clipped to 1 − 1e-7: the subtraction 1 − (1 − 1e-7) in float64
   * cancels 7 digits, leaving ~1e-9 relative error against the exact −log(1e-7).
   */
  clipCancellation: { rtol: 1e-8, atol: 0 } satisfies Tolerance,

  /**
   * A float32 computation (the library) against the float64 reference on the same
   * float32-representable inputs. `reductionLength` n counts the terms summed along the
   * way (dot products and row sums, chained layers adding up); the worst-case bound of
   * recursive summation is n·u relative to the sum of |terms|, and blocked/SIMD sums do
   * better, so 4·n·u relative to the largest magnitude in the tensor (`scale`) is safe
   * while a wrong formula (an O(1) error) still fails. Floors: 1e-5 relative (API.md's
   * js/native agreement bound; float32 exp/tanh/erf cost a few ulps each) and 1e-6·scale
   * absolute.
   */
  float32(reductionLength: number, scale = 1): Tolerance {
    const r = Math.max(1e-6, 4 * reductionLength * EPS32);
    return { rtol: Math.max(1e-5, r), atol: r * Math.max(scale, 1e-3) };
  },

  /**
   * Multi-step optimizer trajectories (float32 library vs float64 reference). Each
   * step adds a few float32 roundings to every parameter and the Adam/RMSProp
   * normalisation g/√v amplifies the relative error of small gradients; after 3–5
   * steps on O(1) parameters 1e-5 absolute is an order above what we observe and
   * still two orders below one step's update (lr ≥ 1e-2 in these tests).
   */
  trajectory: { rtol: 1e-5, atol: 1e-5 } satisfies Tolerance,

  /**
   * The worked examples of the backprop documents: values printed to ~5 significant
   * digits, computed here in float32 (a handful of operations).
   */
  workedExample: { rtol: 1e-5, atol: 1e-6 } satisfies Tolerance,

  /** Worked example values that the source rounds to 5 decimals (±0.5e-5). */
  fiveDecimals: { rtol: 0, atol: 6e-6 } satisfies Tolerance,
} as const;

/** Central-difference step in parameter space (see TOL.finiteDifference). */
export const FD_STEP = 1e-6;
