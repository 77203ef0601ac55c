/** Shared helpers of the js backend unit tests. */
import { expect } from 'vitest';
import type { ActivationName, LayerSpec, ModelSpec, OptimizerName, OptimizerSpec } from '../../../lib/backend/types';
import { Rng } from '../../../lib/random';

/**
 * Asserts |actual − expected| ≤ atol + rtol·|expected| elementwise; on failure the message
 * names the worst element (by excess over its tolerance), its index, both values and `what`.
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
  what: string,
): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    const msg =
      `${what}: worst element [${worst}] actual ${actual[worst]} expected ${expected[worst]} ` +
      `(|diff| ${Math.abs(actual[worst]! - expected[worst]!)}, rtol ${rtol}, atol ${atol})`;
    expect.fail(msg);
  }
}

/** `n` uniform values in [lo, hi) from a seeded generator, as float32. */
export function randomF32(rng: Rng, n: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rng.nextFloat();
  return out;
}


/** A layer description for {@link buildSpec}: a Dense layer or a Dropout rate. */
export type TestLayer = { units: number; activation: ActivationName; alpha?: number; useBias?: boolean } | { dropout: number };

/** A ModelSpec with the parameter layout of types.ts (kernel then bias, layer by layer). */
export function buildSpec(inputs: number, layers: TestLayer[], seed = 7): ModelSpec {
  const out: LayerSpec[] = [];
  let width = inputs;
  let offset = 0;
  for (const l of layers) {
    if ('dropout' in l) {
      out.push({ kind: 'dropout', units: width, rate: l.dropout });
      continue;
    }
    const useBias = l.useBias ?? true;
    out.push({
      kind: 'dense',
      inputs: width,
      units: l.units,
      activation: l.activation,
      alpha: l.alpha ?? 0.01,
      useBias,
      kernelOffset: offset,
      biasOffset: useBias ? offset + width * l.units : -1,
    });
    offset += width * l.units + (useBias ? l.units : 0);
    width = l.units;
  }
  return { inputs, outputs: width, layers: out, paramCount: offset, seed };
}

/** An OptimizerSpec with PyTorch's defaults, overridden by `o`. */
export function optimizerSpec(kind: OptimizerName, o: Partial<OptimizerSpec> = {}): OptimizerSpec {
  return {
    kind,
    learningRate: 0.01,
    momentum: 0,
    nesterov: false,
    weightDecay: 0,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    rho: 0.99,
    ...o,
  };
}
