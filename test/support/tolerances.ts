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

  /**
   * The same operations in the same order (chunked vs whole-batch predict, a restored
   * or undone step, a reset optimizer, dropout masks from the same seed, in-place vs
   * separate buffers, exact special cases): equal as numbers, NaN failing.
   */
  exact: { rtol: 0, atol: 0 } satisfies Tolerance,

  /**
   * A float32 value a handful of roundings (each ≤ 2^-24 ≈ 6e-8 relative) from its
   * float64 definition, with no long reduction: a small batch's mean loss, an
   * elementwise activation. 1e-6 relative is ~16 ulp; 1e-7 absolute covers values near 0.
   */
  fewRoundings: { rtol: 1e-6, atol: 1e-7 } satisfies Tolerance,

  /**
   * softmax forward in float32 against float64: exp and the row sum add a few ulp;
   * the outputs lie in (0, 1), so 1e-8 absolute only matters for tiny probabilities.
   */
  softmaxForward: { rtol: 1e-6, atol: 1e-8 } satisfies Tolerance,

  /**
   * An activation's float32 backward (dz = act′(z)·da) against float64: act′ is built
   * from float32 exp/tanh/erf (a few ulp each) and, for softmax, a row dot product
   * whose cancellation can cost a few more; 2e-5 relative + 1e-6 absolute.
   */
  activationBackward: { rtol: 2e-5, atol: 1e-6 } satisfies Tolerance,

  /**
   * An element-wise activation computed in float64 and rounded once to float32 (elu …
   * relu6: both backends), against its float64 value (PyTorch float64, libm): half an
   * ulp (2^-24 relative) for the rounding, doubled for the few float64 roundings on
   * either side; flush-to-zero may turn a result below 2^-126 into 0.
   */
  roundedOnce: { rtol: 2 ** -23, atol: 2 ** -126 } satisfies Tolerance,

  /**
   * The js erf against the float64 reference's (test/reference/activations.ts) on
   * [−3, 3]: two float64 evaluations by different series/fractions, each within ~1e-14.
   */
  erfReference: { rtol: 0, atol: 1e-13 } satisfies Tolerance,

  /**
   * A float32 backend's backprop against float64 central differences (step 1e-6) of the
   * float64 forward pass at the same float32 parameters: the float32 gradient carries
   * the rounding of every layer (~1e-6 relative on small nets) and the difference
   * quotient ~1e-10/|g|, so 1e-4 relative + 2e-6 absolute; a wrong formula is off by O(1).
   */
  float32VsCentralDifference: { rtol: 1e-4, atol: 2e-6 } satisfies Tolerance,

  /**
   * The js gradient recovered from one SGD step with lr 1 (θ − fround(θ − g)) against
   * float64 central differences under the same dropout masks: the float32 rounding of θ
   * (|θ| < 1) adds ~6e-8 absolute to float32VsCentralDifference's sources; 1e-6 absolute.
   */
  recoveredGradient: { rtol: 1e-4, atol: 1e-6 } satisfies Tolerance,

  /**
   * A two-layer float32 backward against the same products written out by hand in
   * float64 (a few rows and units): ~10 float32 roundings per element.
   */
  handBackprop: { rtol: 1e-5, atol: 1e-7 } satisfies Tolerance,

  /**
   * A bias gradient of a fused output (Σ_rows (ŷ − y)/n) against the same sum of the
   * float32 ŷ in float64: one float32 rounding per term and of the result; absolute 1e-9
   * because the sums are O(0.1).
   */
  fusedBiasGradient: { rtol: 1e-6, atol: 1e-9 } satisfies Tolerance,

  /**
   * Two float64 sums of the same float32 terms grouped differently (the chunked
   * evaluate's Σ mean_c·rows_c / rows vs one mean): a few float64 roundings.
   */
  float64Regrouped: { rtol: 1e-12, atol: 0 } satisfies Tolerance,

  /**
   * Two optimizer steps with float32 parameters and state against the float64
   * reference: a few float32 roundings per step on O(1) parameters.
   */
  optimizerSteps: { rtol: 2e-6, atol: 1e-7 } satisfies Tolerance,

  /**
   * An accuracy (correct / rows, a float64 division) computed by the library and by
   * the test from the same counts: equal up to the rounding of the division.
   */
  accuracy: { rtol: 1e-9, atol: 1e-9 } satisfies Tolerance,

  /**
   * js ↔ native (and each backend against the other through the facade): API.md's
   * promise, 1e-5 relative + 1e-6 absolute. test/parity/backend_parity.test.ts scales
   * the absolute part by the tensor's largest magnitude.
   */
  backendAgreement: { rtol: 1e-5, atol: 1e-6 } satisfies Tolerance,

  /**
   * js ↔ native after several seeded training steps: each step's 1e-5-level
   * differences feed the next (Adam/RMSProp's g/√v amplifies those of small
   * gradients), so 1e-4 relative after 5 steps; absolute part as backendAgreement.
   */
  backendTrajectory: { rtol: 1e-4, atol: 1e-6 } satisfies Tolerance,

  /**
   * js ↔ native sgemm of reduction length k on float32 inputs: the native kernels sum
   * in float32 (error ≲ 4·k·u of the |terms|, inputs O(1)), the js one in float64;
   * 1e-5 relative (API.md) and max(1e-6, 4·k·u) absolute.
   */
  sgemmAgreement(k: number): Tolerance {
    return { rtol: 1e-5, atol: Math.max(1e-6, 4 * k * EPS32) };
  },

  /**
   * The js sgemm (float32 inputs, float64 accumulation, rounded to float32 once per
   * output plus once per `kc` block of the reduction) against float64: 4u per rounding,
   * relative; absolute scaled by the sum of |terms| (k·|alpha| for O(1) inputs, plus
   * |beta| for C's contribution).
   */
  jsSgemm(k: number, kc: number, alpha: number, beta: number): Tolerance {
    const tol = 4 * EPS32 * Math.ceil(k / kc + 1);
    return { rtol: tol, atol: tol * k * Math.abs(alpha) + tol * Math.abs(beta) };
  },
} as const;

/**
 * Digits for vitest's `toBeCloseTo(want, digits)` (passes iff |got − want| < 10^−digits / 2),
 * each with its reason.
 */
export const DIGITS = {
  /** A per-batch loss sum accumulated by the test vs the backend's: float64 sums of O(1) terms in different order. */
  regroupedLossSum: 9,
  /** An accuracy (a float64 fraction) from the library vs the test's own count. */
  accuracy: 10,
  /** −log(1e-7) ≈ 16.1 in float64 (the clip's value, a few roundings). */
  clippedLog: 12,
  /** A float64 cross-entropy of two rows vs its closed form: a couple of roundings of O(1) values. */
  closedForm: 14,
} as const;

/** Central-difference step in parameter space (see TOL.finiteDifference). */
export const FD_STEP = 1e-6;
