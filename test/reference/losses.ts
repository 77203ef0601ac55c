/**
 * Float64 reference losses, exactly as API.md defines them: each is the mean over the
 * batch, and the gradient is that of the mean. `yhat` is `[rows × outputs]`; `y` is
 * the same shape, or one class index per row for the sparse loss.
 */

export type RefLoss =
  | 'mse'
  | 'mae'
  | 'binaryCrossentropy'
  | 'categoricalCrossentropy'
  | 'sparseCategoricalCrossentropy';

export const LOSSES: readonly RefLoss[] = [
  'mse',
  'mae',
  'binaryCrossentropy',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
];

/** ŷ is clipped to [BCE_LO, BCE_HI] for binary cross-entropy. */
export const BCE_LO = 1e-7;
export const BCE_HI = 1 - 1e-7;
/** ŷ is clipped to [CE_LO, 1] for the categorical cross-entropies. */
export const CE_LO = 1e-7;

/** Dense targets for a sparse loss: row r gets a one-hot at class y[r]. */
export function oneHot(y: ArrayLike<number>, rows: number, outputs: number): Float64Array {
  const t = new Float64Array(rows * outputs);
  for (let r = 0; r < rows; r++) t[r * outputs + y[r]!] = 1;
  return t;
}

function clip(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

/** The batch loss. */
export function lossValue(
  loss: RefLoss,
  yhat: ArrayLike<number>,
  y: ArrayLike<number>,
  rows: number,
  outputs: number,
): number {
  const n = rows * outputs;
  let sum = 0;
  switch (loss) {
    case 'mse':
      for (let i = 0; i < n; i++) sum += (yhat[i]! - y[i]!) ** 2;
      return sum / n;
    case 'mae':
      for (let i = 0; i < n; i++) sum += Math.abs(yhat[i]! - y[i]!);
      return sum / n;
    case 'binaryCrossentropy':
      for (let i = 0; i < n; i++) {
        const p = clip(yhat[i]!, BCE_LO, BCE_HI);
        sum -= y[i]! * Math.log(p) + (1 - y[i]!) * Math.log(1 - p);
      }
      return sum / n;
    case 'categoricalCrossentropy':
      for (let i = 0; i < n; i++) sum -= y[i]! * Math.log(clip(yhat[i]!, CE_LO, 1));
      return sum / rows;
    case 'sparseCategoricalCrossentropy':
      return lossValue('categoricalCrossentropy', yhat, oneHot(y, rows, outputs), rows, outputs);
  }
}

/**
 * ∂L/∂ŷ, `[rows × outputs]`, through the clip (PyTorch's clamp rule: the gradient
 * passes where lo ≤ ŷ ≤ hi, inclusive, and is 0 outside); sign(0) = 0 for mae.
 */
export function lossGradient(
  loss: RefLoss,
  yhat: ArrayLike<number>,
  y: ArrayLike<number>,
  rows: number,
  outputs: number,
): Float64Array {
  const n = rows * outputs;
  const g = new Float64Array(n);
  switch (loss) {
    case 'mse':
      for (let i = 0; i < n; i++) g[i] = (2 * (yhat[i]! - y[i]!)) / n;
      return g;
    case 'mae':
      for (let i = 0; i < n; i++) g[i] = Math.sign(yhat[i]! - y[i]!) / n;
      return g;
    case 'binaryCrossentropy':
      for (let i = 0; i < n; i++) {
        const v = yhat[i]!;
        if (v < BCE_LO || v > BCE_HI) continue;
        g[i] = (-y[i]! / v + (1 - y[i]!) / (1 - v)) / n;
      }
      return g;
    case 'categoricalCrossentropy':
      for (let i = 0; i < n; i++) {
        const v = yhat[i]!;
        if (v < CE_LO || v > 1) continue;
        g[i] = -y[i]! / v / rows;
      }
      return g;
    case 'sparseCategoricalCrossentropy':
      return lossGradient('categoricalCrossentropy', yhat, oneHot(y, rows, outputs), rows, outputs);
  }
}

/**
 * The fused output gradient ∂L/∂z of API.md: softmax + (sparse) categorical CE gives
 * (ŷ − y)/rows, sigmoid + binary CE gives (ŷ − y)/(rows × outputs); null for any other pair.
 */
export function fusedOutputGradient(
  activation: string,
  loss: RefLoss,
  yhat: ArrayLike<number>,
  y: ArrayLike<number>,
  rows: number,
  outputs: number,
): Float64Array | null {
  const n = rows * outputs;
  let target: ArrayLike<number>;
  let divisor: number;
  if (activation === 'softmax' && (loss === 'categoricalCrossentropy' || loss === 'sparseCategoricalCrossentropy')) {
    target = loss === 'sparseCategoricalCrossentropy' ? oneHot(y, rows, outputs) : y;
    divisor = rows;
  } else if (activation === 'sigmoid' && loss === 'binaryCrossentropy') {
    target = y;
    divisor = n;
  } else {
    return null;
  }
  const g = new Float64Array(n);
  for (let i = 0; i < n; i++) g[i] = (yhat[i]! - target[i]!) / divisor;
  return g;
}
