/**
 * Float64 reference activations: forward `act(z)` and the vector–Jacobian product
 * `dz = J_act(z)ᵀ · da`, one row at a time. Written for clarity, not speed.
 */

export type RefActivation =
  | 'linear'
  | 'relu'
  | 'leakyRelu'
  | 'sigmoid'
  | 'tanh'
  | 'softmax'
  | 'gelu'
  | 'elu'
  | 'selu'
  | 'softplus'
  | 'silu'
  | 'mish'
  | 'hardSigmoid'
  | 'hardSwish'
  | 'relu6';

export const ACTIVATIONS: readonly RefActivation[] = [
  'linear',
  'relu',
  'leakyRelu',
  'sigmoid',
  'tanh',
  'softmax',
  'gelu',
];

/**
 * The activations of issue 13, torch.nn.functional's with its defaults (kept out of
 * ACTIVATIONS so that the activation × loss grid of the older tests keeps its size; the
 * tests of these run the same grid over this list: test/gradients/activations_ext.test.ts,
 * test/parity/activations_ext.test.ts).
 */
export const EXT_ACTIVATIONS: readonly RefActivation[] = [
  'elu',
  'selu',
  'softplus',
  'silu',
  'mish',
  'hardSigmoid',
  'hardSwish',
  'relu6',
];

/** PyTorch's SELU constants λ and α (torch.nn.SELU). */
const SELU_LAMBDA = 1.0507009873554805;
const SELU_ALPHA = 1.6732632423543772;

const refSigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const refSoftplus = (z: number): number => (z > 20 ? z : Math.log1p(Math.exp(z)));
const refRelu6 = (z: number): number => Math.min(Math.max(z, 0), 6);

/** act(z) for the activations of EXT_ACTIVATIONS, straight from their definitions. */
function extForward(act: RefActivation, z: number): number {
  switch (act) {
    case 'elu':
      return z > 0 ? z : Math.expm1(z);
    case 'selu':
      return SELU_LAMBDA * (z > 0 ? z : SELU_ALPHA * Math.expm1(z));
    case 'softplus':
      return refSoftplus(z);
    case 'silu':
      return z * refSigmoid(z);
    case 'mish':
      return z * Math.tanh(Math.log1p(Math.exp(z)));
    case 'hardSigmoid':
      return refRelu6(z + 3) / 6;
    case 'hardSwish':
      return (z * refRelu6(z + 3)) / 6;
    case 'relu6':
      return refRelu6(z);
    default:
      throw new Error(`not an EXT_ACTIVATIONS name: ${act}`);
  }
}

/**
 * act′(z) for EXT_ACTIVATIONS by differentiating the definitions; at the kinks the
 * values PyTorch 1.13's autograd gives (test/fixtures/gen_activations.py):
 * elu′(0) = 1, selu′(0) = λα, hardSigmoid′(±3) = 0, hardSwish′(−3) = −1/2,
 * hardSwish′(3) = 3/2, relu6′(0) = relu6′(6) = 0.
 */
export function extDerivative(act: RefActivation, z: number): number {
  switch (act) {
    case 'elu':
      return z > 0 ? 1 : Math.exp(z);
    case 'selu':
      return z > 0 ? SELU_LAMBDA : SELU_LAMBDA * SELU_ALPHA * Math.exp(z);
    case 'softplus':
      return z > 20 ? 1 : refSigmoid(z);
    case 'silu': {
      const s = refSigmoid(z);
      return s + z * s * (1 - s);
    }
    case 'mish': {
      const t = Math.tanh(Math.log1p(Math.exp(z)));
      return t + z * refSigmoid(z) * (1 - t * t);
    }
    case 'hardSigmoid':
      return z > -3 && z < 3 ? 1 / 6 : 0;
    case 'hardSwish':
      return z < -3 ? 0 : z <= 3 ? (2 * z + 3) / 6 : 1;
    case 'relu6':
      return z > 0 && z < 6 ? 1 : 0;
    default:
      throw new Error(`not an EXT_ACTIVATIONS name: ${act}`);
  }
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * erf(x) to near float64 precision. |x| < 2.5: the Maclaurin series
 * erf x = 2/√π · Σ (−1)ⁿ x^(2n+1) / (n! (2n+1)) (largest term ≤ e^6.25, so ≤ ~1e-13
 * relative loss); otherwise erfc from its continued fraction
 * erfc x = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated bottom-up.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = x; // (−1)ⁿ x^(2n+1) / n!
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = ax;
  for (let n = 120; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = Math.exp(-ax * ax) / (Math.sqrt(Math.PI) * f);
  return x > 0 ? 1 - erfc : erfc - 1;
}

/** Standard normal CDF Φ(z) = (1 + erf(z/√2)) / 2. */
export function normalCdf(z: number): number {
  return 0.5 * (1 + erf(z * SQRT1_2));
}

/** Standard normal density φ(z). */
export function normalPdf(z: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * z * z);
}

/** a = act(z) for one row (`z.length` units). */
export function activate(act: RefActivation, z: ArrayLike<number>, alpha: number): Float64Array {
  const n = z.length;
  const a = new Float64Array(n);
  switch (act) {
    case 'linear':
      for (let i = 0; i < n; i++) a[i] = z[i]!;
      break;
    case 'relu':
      for (let i = 0; i < n; i++) a[i] = z[i]! > 0 ? z[i]! : 0;
      break;
    case 'leakyRelu':
      for (let i = 0; i < n; i++) a[i] = z[i]! > 0 ? z[i]! : alpha * z[i]!;
      break;
    case 'sigmoid':
      for (let i = 0; i < n; i++) a[i] = 1 / (1 + Math.exp(-z[i]!));
      break;
    case 'tanh':
      for (let i = 0; i < n; i++) a[i] = Math.tanh(z[i]!);
      break;
    case 'gelu':
      for (let i = 0; i < n; i++) a[i] = z[i]! * normalCdf(z[i]!);
      break;
    case 'softmax': {
      let max = -Infinity;
      for (let i = 0; i < n; i++) max = Math.max(max, z[i]!);
      let sum = 0;
      for (let i = 0; i < n; i++) {
        a[i] = Math.exp(z[i]! - max);
        sum += a[i]!;
      }
      for (let i = 0; i < n; i++) a[i]! /= sum;
      break;
    }
    default:
      for (let i = 0; i < n; i++) a[i] = extForward(act, z[i]!);
  }
  return a;
}

/**
 * dz = J_act(z)ᵀ · da for one row, given z, a = act(z) and da = ∂L/∂a.
 * Kinks use 0 for relu′(0) and alpha for leakyRelu′(0) (the seam's rule).
 * softmax: dz_i = a_i · (da_i − Σ_j da_j a_j).
 */
export function activationBackward(
  act: RefActivation,
  z: ArrayLike<number>,
  a: ArrayLike<number>,
  da: ArrayLike<number>,
  alpha: number,
): Float64Array {
  const n = z.length;
  const dz = new Float64Array(n);
  switch (act) {
    case 'linear':
      for (let i = 0; i < n; i++) dz[i] = da[i]!;
      break;
    case 'relu':
      for (let i = 0; i < n; i++) dz[i] = z[i]! > 0 ? da[i]! : 0;
      break;
    case 'leakyRelu':
      for (let i = 0; i < n; i++) dz[i] = z[i]! > 0 ? da[i]! : alpha * da[i]!;
      break;
    case 'sigmoid':
      for (let i = 0; i < n; i++) dz[i] = da[i]! * a[i]! * (1 - a[i]!);
      break;
    case 'tanh':
      for (let i = 0; i < n; i++) dz[i] = da[i]! * (1 - a[i]! * a[i]!);
      break;
    case 'gelu':
      // d/dz [z Φ(z)] = Φ(z) + z φ(z)
      for (let i = 0; i < n; i++) dz[i] = da[i]! * (normalCdf(z[i]!) + z[i]! * normalPdf(z[i]!));
      break;
    case 'softmax': {
      let dot = 0;
      for (let j = 0; j < n; j++) dot += da[j]! * a[j]!;
      for (let i = 0; i < n; i++) dz[i] = a[i]! * (da[i]! - dot);
      break;
    }
    default:
      for (let i = 0; i < n; i++) dz[i] = da[i]! * extDerivative(act, z[i]!);
  }
  return dz;
}
