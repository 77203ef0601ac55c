/**
 * Activations of the js backend: forward `A = act(Z)` and backward `dZ = act′(Z) ⊙ dA`
 * (softmax: the Jacobian-vector product), over row-major `[rows × units]` Float32Arrays.
 *
 * Numerics (the native core mirrors them, see `lib/backend/types.ts`):
 * - Each element is computed in float64 from the float32 inputs and rounded once on store.
 * - Derivatives at kinks: relu′(0) = 0, leakyRelu′(0) = alpha (the slope of z ≤ 0).
 * - NaN propagates: relu is `z ≤ 0 ? 0 : z` (relu(NaN) = NaN, relu(−0) = +0), so a
 *   diverging network reaches the loss as non-finite instead of being masked.
 * - sigmoid′ = a(1 − a), tanh′ = 1 − a², both from the stored float32 output `a`.
 * - softmax is row-wise and max-subtracted; its backward is
 *   `dZ_i = a_i · (dA_i − Σ_j dA_j · a_j)` per row (Σ in float64).
 * - gelu is the exact erf form `0.5·z·(1 + erf(z/√2))`, gelu′(z) = Φ(z) + z·φ(z) with
 *   `Φ(z) = 0.5·(1 + erf(z/√2))`, `φ(z) = exp(−z²/2)/√(2π)`; `erf` is {@link erf} below.
 * - elu, selu, softplus, silu, mish, hardSigmoid, hardSwish, relu6 are torch.nn.functional's
 *   (formulas and kink derivatives: {@link ActivationName}); {@link smoothActivation} and
 *   {@link smoothActivationDerivative} compute them from z in float64, and the backward
 *   rounds `dA·act′(z)` once (the native core does the same, activation_ext.h).
 */
import type { ActivationName } from '../types';

/** The activations computed element-wise by {@link smoothActivation} (every one after gelu). */
export type SmoothActivationName =
  | 'elu'
  | 'selu'
  | 'softplus'
  | 'silu'
  | 'mish'
  | 'hardSigmoid'
  | 'hardSwish'
  | 'relu6';

/** SELU's λ (scale), PyTorch's constant. */
export const SELU_SCALE = 1.0507009873554805;
/** SELU's α, PyTorch's constant. */
export const SELU_ALPHA = 1.6732632423543772;

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const ONE_OVER_SQRT_PI = 0.5641895835477563;
const SQRT1_2 = Math.SQRT1_2;
const ONE_OVER_SQRT_2PI = 0.3989422804014327;

/** Depth of the erfc continued fraction: max relative error 1.5e-14 for x ≥ 2.5 (checked against mpmath). */
const ERFC_CF_DEPTH = 32;

/**
 * The error function in float64, |error| ≤ ~1e-15 everywhere (JavaScript has no Math.erf).
 * - |x| < 2.5: the everywhere-positive series
 *   `erf(x) = 2/√π · e^{−x²} · Σ_{n≥0} 2ⁿ x^{2n+1} / (1·3·…·(2n+1))`, summed until a term
 *   falls under 1e-17 of the sum (≤ ~50 terms; no cancellation since every term has x's sign).
 * - 2.5 ≤ |x| < 6: `erf(x) = 1 − erfc(x)` with Laplace's continued fraction
 *   `erfc(x) = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))`, evaluated bottom-up
 *   at depth 32 (relative error of erfc ≤ 1.5e-14 on [2.5, 6], measured with mpmath).
 * - |x| ≥ 6: ±1 (erfc(6) ≈ 2.2e-17 is below float64 resolution of 1).
 * Max absolute error over a 6,001-point sweep of [0, 6] (step 1e-3): 1.0e-15 against mpmath
 * at 30 digits.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  const ax = Math.abs(x);
  if (ax >= 6) return x > 0 ? 1 : -1;
  if (ax >= 2.5) {
    const r = 1 - erfcContinuedFraction(ax);
    return x > 0 ? r : -r;
  }
  const x2 = ax * ax;
  let term = ax;
  let sum = ax;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  const r = TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  return x < 0 ? -r : r;
}

/** erfc(x) for x ≥ 2.5 by the continued fraction above. */
function erfcContinuedFraction(x: number): number {
  let f = x;
  for (let n = ERFC_CF_DEPTH; n >= 1; n--) f = x + (0.5 * n) / f;
  return (Math.exp(-x * x) * ONE_OVER_SQRT_PI) / f;
}

/** gelu(z) = 0.5·z·(1 + erf(z/√2)) in float64. */
export function gelu(z: number): number {
  return 0.5 * z * (1 + erf(z * SQRT1_2));
}

/** gelu′(z) = Φ(z) + z·φ(z) in float64. */
export function geluDerivative(z: number): number {
  return 0.5 * (1 + erf(z * SQRT1_2)) + z * ONE_OVER_SQRT_2PI * Math.exp(-0.5 * z * z);
}

/**
 * `out ← act(z)` over `rows × units` elements (`out` may alias `z` except for softmax,
 * which also allows it: each row is read fully before it is written).
 */
export function activationForward(
  act: ActivationName,
  alpha: number,
  z: Float32Array,
  out: Float32Array,
  rows: number,
  units: number,
): void {
  const len = rows * units;
  switch (act) {
    case 'linear':
      if (out !== z) out.set(z.subarray(0, len));
      return;
    case 'relu':
      for (let i = 0; i < len; i++) {
        const v = z[i]!;
        out[i] = v <= 0 ? 0 : v;
      }
      return;
    case 'leakyRelu':
      for (let i = 0; i < len; i++) {
        const v = z[i]!;
        out[i] = v > 0 ? v : alpha * v;
      }
      return;
    case 'sigmoid':
      for (let i = 0; i < len; i++) out[i] = sigmoid(z[i]!);
      return;
    case 'tanh':
      for (let i = 0; i < len; i++) out[i] = Math.tanh(z[i]!);
      return;
    case 'gelu':
      for (let i = 0; i < len; i++) out[i] = gelu(z[i]!);
      return;
    case 'softmax':
      softmaxForward(z, out, rows, units);
      return;
    default:
      for (let i = 0; i < len; i++) out[i] = smoothActivation(act, z[i]!);
      return;
  }
}

/** σ(z) from t = e^{−|z|} (no overflow for any z). */
function sigmoidFromT(z: number, t: number): number {
  return z >= 0 ? 1 / (1 + t) : t / (1 + t);
}

/**
 * tanh(softplus(z)) and 1 − tanh(softplus(z)) from t = e^{−|z|}, as rational functions of
 * t (no cancellation): z > 0: (1 + 2t)/(1 + 2t + 2t²) and 2t²/(1 + 2t + 2t²); else, with
 * w = t(2 + t): w/(w + 2) and 2/(w + 2).
 */
function tanhSoftplus(z: number, t: number): [number, number] {
  if (z > 0) {
    const den = 1 + 2 * t + 2 * t * t;
    return [(1 + 2 * t) / den, (2 * t * t) / den];
  }
  const w = t * (2 + t);
  return [w / (w + 2), 2 / (w + 2)];
}

/** min(max(x, 0), 6), NaN passed through. */
function clamp06(x: number): number {
  return x < 0 ? 0 : x > 6 ? 6 : x;
}

/** act(z) in float64 for the activations after gelu (formulas: {@link ActivationName}). */
export function smoothActivation(act: SmoothActivationName, z: number): number {
  switch (act) {
    case 'elu':
      return z > 0 ? z : Math.expm1(z);
    case 'selu':
      return SELU_SCALE * (z > 0 ? z : SELU_ALPHA * Math.expm1(z));
    case 'softplus':
      return z > 20 ? z : Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
    case 'silu':
      return z * sigmoidFromT(z, Math.exp(-Math.abs(z)));
    case 'mish':
      return z * tanhSoftplus(z, Math.exp(-Math.abs(z)))[0];
    case 'hardSigmoid':
      return clamp06(z + 3) / 6;
    case 'hardSwish':
      return (z * clamp06(z + 3)) / 6;
    case 'relu6':
      return clamp06(z);
  }
}

/**
 * act′(z) in float64 for the activations after gelu, kinks as PyTorch 1.13's autograd:
 * elu′(0) = 1, selu′(0) = λα, softplus′(z) = 1 only above 20, hardSigmoid′(±3) = 0,
 * hardSwish′(−3) = −½ and hardSwish′(3) = 3/2, relu6′(0) = relu6′(6) = 0; the
 * piecewise-linear ones give 0 at NaN (hardSwish NaN).
 */
export function smoothActivationDerivative(act: SmoothActivationName, z: number): number {
  switch (act) {
    case 'elu':
      return z > 0 ? 1 : Math.exp(z);
    case 'selu':
      return z > 0 ? SELU_SCALE : SELU_SCALE * SELU_ALPHA * Math.exp(z);
    case 'softplus':
      return z > 20 ? 1 : sigmoidFromT(z, Math.exp(-Math.abs(z)));
    case 'silu': {
      const s = sigmoidFromT(z, Math.exp(-Math.abs(z)));
      return s * (1 + z * (1 - s));
    }
    case 'mish': {
      const t = Math.exp(-Math.abs(z));
      const [th, om] = tanhSoftplus(z, t);
      return th + z * sigmoidFromT(z, t) * (om * (1 + th));
    }
    case 'hardSigmoid':
      return z > -3 && z < 3 ? 1 / 6 : 0;
    case 'hardSwish':
      return z < -3 ? 0 : z <= 3 ? z / 3 + 0.5 : z > 3 ? 1 : z;
    case 'relu6':
      return z > 0 && z < 6 ? 1 : 0;
  }
}

/**
 * Stable logistic in float64: `1/(1 + e^{−z})` for z ≥ 0, `e^{z}/(1 + e^{z})` otherwise.
 */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Row-wise softmax: `out_ij = e^{z_ij − max_i} / Σ_j e^{z_ij − max_i}`, sums in float64. */
export function softmaxForward(z: Float32Array, out: Float32Array, rows: number, units: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * units;
    let max = -Infinity;
    for (let j = 0; j < units; j++) {
      const v = z[o + j]!;
      if (v > max) max = v;
    }
    let sum = 0;
    for (let j = 0; j < units; j++) {
      const e = Math.exp(z[o + j]! - max);
      out[o + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j < units; j++) out[o + j] = out[o + j]! * inv;
  }
}

/**
 * `dz ← act′ ⊙ da` (softmax: the row-wise JVP) over `rows × units`. `z` is the
 * pre-activation, `a` the stored output; `dz` may alias `da`.
 */
export function activationBackward(
  act: ActivationName,
  alpha: number,
  z: Float32Array,
  a: Float32Array,
  da: Float32Array,
  dz: Float32Array,
  rows: number,
  units: number,
): void {
  const len = rows * units;
  switch (act) {
    case 'linear':
      if (dz !== da) dz.set(da.subarray(0, len));
      return;
    case 'relu':
      for (let i = 0; i < len; i++) dz[i] = z[i]! > 0 ? da[i]! : 0;
      return;
    case 'leakyRelu':
      for (let i = 0; i < len; i++) dz[i] = z[i]! > 0 ? da[i]! : alpha * da[i]!;
      return;
    case 'sigmoid':
      for (let i = 0; i < len; i++) {
        const s = a[i]!;
        dz[i] = da[i]! * s * (1 - s);
      }
      return;
    case 'tanh':
      for (let i = 0; i < len; i++) {
        const t = a[i]!;
        dz[i] = da[i]! * (1 - t * t);
      }
      return;
    case 'gelu':
      for (let i = 0; i < len; i++) dz[i] = da[i]! * geluDerivative(z[i]!);
      return;
    case 'softmax':
      for (let r = 0; r < rows; r++) {
        const o = r * units;
        let dot = 0;
        for (let j = 0; j < units; j++) dot += da[o + j]! * a[o + j]!;
        for (let j = 0; j < units; j++) dz[o + j] = a[o + j]! * (da[o + j]! - dot);
      }
      return;
    default:
      for (let i = 0; i < len; i++) dz[i] = da[i]! * smoothActivationDerivative(act, z[i]!);
      return;
  }
}
