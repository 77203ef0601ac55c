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

/** A loss with options (lib/losses.ts LossConfig), every field given. */
export interface RefLossSpec {
  name: RefLoss | 'huber';
  fromLogits: boolean;
  labelSmoothing: number;
  delta: number;
}

/** A fixture's `{ name, fromLogits?, labelSmoothing?, delta? }` with the defaults filled in. */
export function refSpec(o: {
  name: string;
  fromLogits?: boolean;
  labelSmoothing?: number;
  delta?: number;
}): RefLossSpec {
  return {
    name: o.name as RefLossSpec['name'],
    fromLogits: o.fromLogits ?? false,
    labelSmoothing: o.labelSmoothing ?? 0,
    delta: o.delta ?? 1,
  };
}

/**
 * Row r's loss lᵣ from the definitions of API.md and PyTorch, written out term by term
 * (log_softmax as z − log Σ eᶻ, softplus as log(1 + eᶻ) for moderate z): element-wise losses
 * are the mean over the row's outputs, cross-entropies the row's sum.
 */
export function refRowLoss(
  s: RefLossSpec,
  yhat: ArrayLike<number>,
  y: ArrayLike<number>,
  r: number,
  outputs: number,
): number {
  const C = outputs;
  const p = (j: number): number => yhat[r * C + j]!;
  if (s.name === 'sparseCategoricalCrossentropy' || s.name === 'categoricalCrossentropy') {
    const t = new Float64Array(C);
    for (let j = 0; j < C; j++) {
      const base = s.name === 'sparseCategoricalCrossentropy' ? (y[r] === j ? 1 : 0) : y[r * C + j]!;
      t[j] = (1 - s.labelSmoothing) * base + s.labelSmoothing / C;
    }
    let sum = 0;
    if (s.fromLogits) {
      let se = 0;
      for (let j = 0; j < C; j++) se += Math.exp(p(j));
      for (let j = 0; j < C; j++) sum -= t[j]! * (p(j) - Math.log(se));
    } else {
      for (let j = 0; j < C; j++) if (t[j] !== 0) sum -= t[j]! * Math.log(clip(p(j), CE_LO, 1));
    }
    return sum;
  }
  let sum = 0;
  for (let j = 0; j < C; j++) {
    const v = p(j);
    const t = y[r * C + j]!;
    const d = v - t;
    switch (s.name) {
      case 'mse':
        sum += d * d;
        break;
      case 'mae':
        sum += Math.abs(d);
        break;
      case 'huber':
        sum += Math.abs(d) < s.delta ? 0.5 * d * d : s.delta * (Math.abs(d) - 0.5 * s.delta);
        break;
      case 'binaryCrossentropy':
        if (s.fromLogits) sum += Math.log(1 + Math.exp(v)) - v * t;
        else sum -= t * Math.log(clip(v, BCE_LO, BCE_HI)) + (1 - t) * Math.log(1 - clip(v, BCE_LO, BCE_HI));
        break;
    }
  }
  return sum / C;
}

/** The weighted batch loss Σ wᵣ·lᵣ / Σ wᵣ (w null: every weight 1). */
export function refWeightedLoss(
  s: RefLossSpec,
  yhat: ArrayLike<number>,
  y: ArrayLike<number>,
  w: ArrayLike<number> | null,
  rows: number,
  outputs: number,
): number {
  let num = 0;
  let den = 0;
  for (let r = 0; r < rows; r++) {
    const wr = w === null ? 1 : w[r]!;
    num += wr * refRowLoss(s, yhat, y, r, outputs);
    den += wr;
  }
  return num / den;
}

/**
 * ∂/∂ŷ of {@link refWeightedLoss}, analytic (the chain through the clip as in
 * {@link lossGradient}; huber's derivative d inside |d| ≤ δ, δ·sign(d) outside).
 */
export function refWeightedGradient(
  s: RefLossSpec,
  yhat: ArrayLike<number>,
  y: ArrayLike<number>,
  w: ArrayLike<number> | null,
  rows: number,
  outputs: number,
): Float64Array {
  const C = outputs;
  const g = new Float64Array(rows * C);
  let den = 0;
  for (let r = 0; r < rows; r++) den += w === null ? 1 : w[r]!;
  for (let r = 0; r < rows; r++) {
    const k = (w === null ? 1 : w[r]!) / den;
    if (s.name === 'sparseCategoricalCrossentropy' || s.name === 'categoricalCrossentropy') {
      const t = new Float64Array(C);
      let tsum = 0;
      for (let j = 0; j < C; j++) {
        const base = s.name === 'sparseCategoricalCrossentropy' ? (y[r] === j ? 1 : 0) : y[r * C + j]!;
        t[j] = (1 - s.labelSmoothing) * base + s.labelSmoothing / C;
        tsum += t[j]!;
      }
      if (s.fromLogits) {
        let se = 0;
        for (let j = 0; j < C; j++) se += Math.exp(yhat[r * C + j]!);
        for (let j = 0; j < C; j++) g[r * C + j] = k * (tsum * (Math.exp(yhat[r * C + j]!) / se) - t[j]!);
      } else {
        for (let j = 0; j < C; j++) {
          const v = yhat[r * C + j]!;
          g[r * C + j] = v < CE_LO || v > 1 ? 0 : (-k * t[j]!) / v;
        }
      }
      continue;
    }
    for (let j = 0; j < C; j++) {
      const i = r * C + j;
      const v = yhat[i]!;
      const d = v - y[i]!;
      let dl: number;
      switch (s.name) {
        case 'mse':
          dl = 2 * d;
          break;
        case 'mae':
          dl = Math.sign(d);
          break;
        case 'huber':
          dl = Math.abs(d) <= s.delta ? d : s.delta * Math.sign(d);
          break;
        default:
          if (s.fromLogits) dl = 1 / (1 + Math.exp(-v)) - y[i]!;
          else dl = v < BCE_LO || v > BCE_HI ? 0 : -y[i]! / v + (1 - y[i]!) / (1 - v);
      }
      g[i] = (k * dl) / C;
    }
  }
  return g;
}
