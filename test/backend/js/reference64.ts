/**
 * A float64 forward pass and loss for test specs (dropout = identity), used by the model
 * tests for central differences. Written from the definitions in API.md, independently of
 * the backend.
 */
import type { ActivationName, LossName, ModelSpec } from '../../../lib/backend/types';
import { dropoutKeep, dropoutLayerSeed, dropoutStepSeed, dropoutThreshold } from '../../../lib/random';

/** Training-mode dropout: the network seed and the step whose masks apply. */
export interface DropoutStep {
  seed: number;
  step: number;
}

function erf64(x: number): number {
  // Maclaurin series; the tests keep |x| small enough (< 4) for it to be exact in float64.
  let term = x;
  let sum = x;
  for (let n = 1; n < 300; n++) {
    term *= (-x * x) / n;
    const t = term / (2 * n + 1);
    sum += t;
    if (Math.abs(t) < 1e-18) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

function act64(act: ActivationName, alpha: number, z: number[], units: number): number[] {
  switch (act) {
    case 'linear':
      return z;
    case 'relu':
      return z.map((v) => Math.max(0, v));
    case 'leakyRelu':
      return z.map((v) => (v > 0 ? v : alpha * v));
    case 'sigmoid':
      return z.map((v) => 1 / (1 + Math.exp(-v)));
    case 'tanh':
      return z.map(Math.tanh);
    case 'gelu':
      return z.map((v) => 0.5 * v * (1 + erf64(v / Math.SQRT2)));
    case 'softmax': {
      const out: number[] = [];
      for (let o = 0; o < z.length; o += units) {
        const row = z.slice(o, o + units);
        const max = Math.max(...row);
        const e = row.map((v) => Math.exp(v - max));
        const s = e.reduce((p, q) => p + q, 0);
        out.push(...e.map((v) => v / s));
      }
      return out;
    }
  }
}

/**
 * ŷ of `spec` with parameters `p` (float64) on `x` (`rows × inputs`); dropout is the
 * identity unless `drop` is given (then element i of layer li is kept iff
 * `dropoutKeep(dropoutLayerSeed(dropoutStepSeed(seed, step), li), i, …)` and scaled by 1/(1−rate)).
 */
export function forward64(spec: ModelSpec, p: ArrayLike<number>, x: ArrayLike<number>, rows: number, drop?: DropoutStep): number[] {
  let a = Array.from(x);
  for (const [li, l] of spec.layers.entries()) {
    if (l.kind === 'dropout') {
      if (drop === undefined || l.rate === 0) continue;
      const seed = dropoutLayerSeed(dropoutStepSeed(drop.seed, drop.step), li);
      const thr = dropoutThreshold(l.rate);
      const scale = Math.fround(1 / (1 - l.rate));
      a = a.map((v, i) => (dropoutKeep(seed, i, thr) ? v * scale : 0));
      continue;
    }
    const z: number[] = new Array<number>(rows * l.units).fill(0);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < l.units; j++) {
        let s = l.useBias ? p[l.biasOffset + j]! : 0;
        for (let i = 0; i < l.inputs; i++) s += a[r * l.inputs + i]! * p[l.kernelOffset + i * l.units + j]!;
        z[r * l.units + j] = s;
      }
    }
    a = act64(l.activation, l.alpha, z, l.units);
  }
  return a;
}

const clip = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** The batch-mean loss of API.md in float64. */
export function loss64(loss: LossName, yhat: number[], y: ArrayLike<number>, rows: number, outputs: number): number {
  let s = 0;
  const n = rows * outputs;
  switch (loss) {
    case 'mse':
      for (let i = 0; i < n; i++) s += (yhat[i]! - y[i]!) ** 2;
      return s / n;
    case 'mae':
      for (let i = 0; i < n; i++) s += Math.abs(yhat[i]! - y[i]!);
      return s / n;
    case 'binaryCrossentropy':
      for (let i = 0; i < n; i++) {
        const q = clip(yhat[i]!, 1e-7, 1 - 1e-7);
        s -= y[i]! * Math.log(q) + (1 - y[i]!) * Math.log(1 - q);
      }
      return s / n;
    case 'categoricalCrossentropy':
      for (let i = 0; i < n; i++) s -= y[i]! * Math.log(clip(yhat[i]!, 1e-7, 1));
      return s / rows;
    case 'sparseCategoricalCrossentropy':
      for (let r = 0; r < rows; r++) s -= Math.log(clip(yhat[r * outputs + y[r]!]!, 1e-7, 1));
      return s / rows;
  }
}

/** Central-difference gradient of the float64 loss w.r.t. every parameter. */
export function numericGradient(
  spec: ModelSpec,
  loss: LossName,
  params: Float32Array,
  x: Float32Array,
  y: Float32Array,
  rows: number,
  h = 1e-6,
  drop?: DropoutStep,
): number[] {
  const p = Array.from(params);
  const f = (): number => loss64(loss, forward64(spec, p, x, rows, drop), y, rows, spec.outputs);
  return p.map((v, i) => {
    p[i] = v + h;
    const up = f();
    p[i] = v - h;
    const dn = f();
    p[i] = v;
    return (up - dn) / (2 * h);
  });
}
