/**
 * The gradient-check grid: every activation × every loss × bias on/off, on a small
 * two-layer network 4 → Dense(6, act) → Dense(3, act), 4 rows. Both the
 * finite-difference checks (test/gradients/) and the backend parity checks
 * (test/parity/network.test.ts) use these exact cases.
 *
 * Kinks and clips are avoided by construction, not by luck:
 * - hidden pre-activations are redrawn until every |z| ≥ 0.05 (the FD step moves z by
 *   ~1e-6, so relu/leakyRelu never cross 0);
 * - output pre-activations are *chosen* (|z| ∈ [0.2, 0.8]) and the output kernel solved
 *   for them (least-norm solution of H·W = Z − b, H the hidden activations); for the
 *   cross-entropies z > 0, so every activation gives ŷ ∈ (0.1, 0.9) (softmax: a
 *   distribution with every entry > 0.1), far from the clips at 1e-7 and 1 − 1e-7;
 * - mae targets sit 0.1–0.5 away from ŷ, so sign(ŷ − y) never flips;
 * - targets are valid for their loss: distributions (one one-hot row) for categorical
 *   CE, indices for sparse, values in [0, 1] (with an exact 0 and 1) for binary CE.
 * All values are rounded to float32 so that the library sees exactly the same numbers.
 */
import { ACTIVATIONS, type RefActivation } from '../reference/activations';
import { LOSSES, type RefLoss } from '../reference/losses';
import { forward, type RefDense, type RefParams } from '../reference/network';
import { TestRng } from './rng';

export interface GridCase {
  name: string;
  activation: RefActivation;
  loss: RefLoss;
  useBias: boolean;
  inputs: number;
  rows: number;
  layers: RefDense[];
  /** float32-representable parameters. */
  params: RefParams[];
  /** `[rows × inputs]`, float32-representable. */
  x: Float64Array;
  /** `[rows × outputs]`, or `[rows]` class indices for the sparse loss. */
  y: Float64Array;
}

export const ALPHA = 0.1;
const INPUTS = 4;
const HIDDEN = 6;
const OUTPUTS = 3;
const ROWS = 4;

const f32 = (v: number): number => Math.fround(v);

/** Solve A·x = b for a small square system (Gaussian elimination, partial pivoting). */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    [M[c], M[p]] = [M[p]!, M[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = M[r]![c]! / M[c]![c]!;
      for (let k = c; k <= n; k++) M[r]![k]! -= f * M[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= M[r]![k]! * x[k]!;
    x[r] = s / M[r]![r]!;
  }
  return x;
}

export function makeCase(activation: RefActivation, loss: RefLoss, useBias: boolean, seed: number): GridCase {
  const rng = new TestRng(seed);
  const layers: RefDense[] = [
    { inputs: INPUTS, units: HIDDEN, activation, alpha: ALPHA, useBias },
    { inputs: HIDDEN, units: OUTPUTS, activation, alpha: ALPHA, useBias },
  ];

  // Draw until the construction holds: no hidden pre-activation within 0.05 of 0, a
  // well-conditioned output solve (|w| ≤ 4), and output pre-activations in range after
  // float32 rounding.
  const positive = loss !== 'mse' && loss !== 'mae';
  let params: RefParams[] | null = null;
  let out: ReturnType<typeof forward> | null = null;
  let x = new Float64Array(0);
  for (let attempt = 0; attempt < 200 && !params; attempt++) {
    x = Float64Array.from({ length: ROWS * INPUTS }, () => f32(rng.uniform(-1, 1)));
    const hidden: RefParams = {
      kernel: Float64Array.from({ length: INPUTS * HIDDEN }, () => f32(rng.uniform(-1, 1))),
      bias: useBias ? Float64Array.from({ length: HIDDEN }, () => f32(rng.uniform(-0.5, 0.5))) : null,
    };
    const first = forward([layers[0]!], [hidden], x, ROWS);
    if (!first.z[0]!.every((v) => Math.abs(v) >= 0.05)) continue;
    const H = first.a[1]!;

    // Output layer: choose the pre-activations, then solve for the kernel.
    const outBias = useBias ? Float64Array.from({ length: OUTPUTS }, () => f32(rng.uniform(-0.2, 0.2))) : null;
    const kernel = new Float64Array(HIDDEN * OUTPUTS);
    const HHt = Array.from({ length: ROWS }, (_, r) =>
      Array.from({ length: ROWS }, (_, s) => {
        let d = 0;
        for (let k = 0; k < HIDDEN; k++) d += H[r * HIDDEN + k]! * H[s * HIDDEN + k]!;
        return d;
      }),
    );
    for (let j = 0; j < OUTPUTS; j++) {
      const target = Array.from({ length: ROWS }, () => (positive ? 1 : rng.sign()) * rng.uniform(0.2, 0.8));
      const rhs = target.map((t) => t - (outBias ? outBias[j]! : 0));
      // Least-norm w = Hᵀ (H Hᵀ)⁻¹ rhs.
      const u = solve(HHt, rhs);
      for (let k = 0; k < HIDDEN; k++) {
        let w = 0;
        for (let r = 0; r < ROWS; r++) w += H[r * HIDDEN + k]! * u[r]!;
        kernel[k * OUTPUTS + j] = f32(w);
      }
    }
    if (!kernel.every((w) => Number.isFinite(w) && Math.abs(w) <= 4)) continue;
    const candidate: RefParams[] = [hidden, { kernel, bias: outBias }];
    const result = forward(layers, candidate, x, ROWS);
    const zOut = result.z[1]!;
    if (!zOut.every((v) => Math.abs(v) > 0.15 && Math.abs(v) < 0.85 && (!positive || v > 0))) continue;
    params = candidate;
    out = result;
  }
  if (!params || !out) throw new Error(`grid case ${activation}/${loss}: no valid draw (a bug in grid.ts)`);
  const yhat = out.a[2]!;

  let y: Float64Array;
  switch (loss) {
    case 'mse':
      y = Float64Array.from({ length: ROWS * OUTPUTS }, () => f32(rng.uniform(-1, 1)));
      break;
    case 'mae':
      y = Float64Array.from(yhat, (v) => f32(v + rng.sign() * rng.uniform(0.1, 0.5)));
      break;
    case 'binaryCrossentropy':
      y = Float64Array.from({ length: ROWS * OUTPUTS }, () => f32(rng.uniform(0, 1)));
      y[0] = 0;
      y[1] = 1;
      break;
    case 'categoricalCrossentropy': {
      y = new Float64Array(ROWS * OUTPUTS);
      for (let r = 0; r < ROWS; r++) {
        const d =
          r === 0 ? Float64Array.from({ length: OUTPUTS }, (_, j) => (j === 1 ? 1 : 0)) : rng.distribution(OUTPUTS);
        for (let j = 0; j < OUTPUTS; j++) y[r * OUTPUTS + j] = f32(d[j]!);
      }
      break;
    }
    case 'sparseCategoricalCrossentropy':
      y = Float64Array.from({ length: ROWS }, (_, r) => (r + rng.int(OUTPUTS)) % OUTPUTS);
      break;
  }
  return {
    name: `${activation} × ${loss} × ${useBias ? 'bias' : 'no bias'}`,
    activation,
    loss,
    useBias,
    inputs: INPUTS,
    rows: ROWS,
    layers,
    params,
    x,
    y,
  };
}

/** The whole grid: 7 activations × 5 losses × 2 = 70 cases, each with its own seed. */
export function gradientGrid(): GridCase[] {
  const cases: GridCase[] = [];
  let seed = 1000;
  for (const activation of ACTIVATIONS) {
    for (const loss of LOSSES) {
      for (const useBias of [true, false]) cases.push(makeCase(activation, loss, useBias, seed++));
    }
  }
  return cases;
}
