/**
 * Weight regularizers of a {@link Dense} layer (Keras's `l1`, `l2`, `l1_l2`): the penalty
 * `l1·Σ|w| + l2·Σw²` of the kernel (and, separately, of the bias) is added to the loss that
 * training minimises and that `fit`, `evaluate`, `trainOnBatch` and `gradients` report;
 * its gradient `l1·sign(w) + 2·l2·w` (sign(0) = 0) is added to the parameter gradient.
 *
 * The js backend and the native core compute it the same way: each sum in float64 in
 * index order; the gradient in float32 as `g + (s + (2·l2)·w)`, s = ±l1 or 0, with l1 and
 * 2·l2 each rounded once to float32 (native/core/ops/regularizers.cc).
 */
import type { DenseSpec, LayerSpec } from './backend/types';
import { expectKnownKeys, expectNumber, expectOptionalObject } from './validate';

/** The coefficients of one regularizer; each is ≥ 0 and defaults to 0 (off). */
export interface RegularizerOptions {
  /** Coefficient of Σ|w|. Default 0. */
  l1?: number;
  /** Coefficient of Σw². Default 0. */
  l2?: number;
}

/** A resolved regularizer: both coefficients, 0 where off. */
export interface Regularizer {
  readonly l1: number;
  readonly l2: number;
}

/** The largest coefficient accepted: float32's largest finite value. */
const MAX_COEFFICIENT = 3.4028234663852886e38;

/**
 * Reads a `{ l1?, l2? }` option (undefined: none), each a finite number in
 * [0, 3.4e38]; returns null when absent or when both are 0.
 * @throws TypeError/RangeError naming `name.l1` / `name.l2`.
 */
export function readRegularizer(value: unknown, name: string): Regularizer | null {
  if (value === undefined) return null;
  const o = expectOptionalObject(value, name);
  expectKnownKeys(o, ['l1', 'l2'], name);
  const l1 = o.l1 === undefined ? 0 : expectNumber(o.l1, `${name}.l1`, { min: 0, max: MAX_COEFFICIENT });
  const l2 = o.l2 === undefined ? 0 : expectNumber(o.l2, `${name}.l2`, { min: 0, max: MAX_COEFFICIENT });
  return l1 === 0 && l2 === 0 ? null : Object.freeze({ l1, l2 });
}

/** `l1·Σ|w| + l2·Σw²` over `w[off .. off + n)`, each sum in float64 in index order. */
export function penaltyValue(w: Float32Array, off: number, n: number, l1: number, l2: number): number {
  let s1 = 0;
  let s2 = 0;
  if (l1 !== 0) for (let i = off; i < off + n; i++) s1 += Math.abs(w[i]!);
  if (l2 !== 0)
    for (let i = off; i < off + n; i++) {
      const x = w[i]!;
      s2 += x * x;
    }
  return l1 * s1 + l2 * s2;
}

/** `g[i] ← g[i] + (l1·sign(w[i]) + 2·l2·w[i])` over `[off, off + n)`, in float32 steps (see the module doc). */
export function penaltyGradAdd(w: Float32Array, g: Float32Array, off: number, n: number, l1: number, l2: number): void {
  const a = Math.fround(l1);
  const b = Math.fround(2 * l2);
  if (a === 0 && b === 0) return;
  for (let i = off; i < off + n; i++) {
    const x = w[i]!;
    const s = x > 0 ? a : x < 0 ? -a : 0;
    g[i] = g[i]! + Math.fround(s + Math.fround(b * x));
  }
}

/** Whether any Dense layer of `layers` has a non-zero regularizer coefficient. */
export function hasPenalty(layers: readonly LayerSpec[]): boolean {
  return layers.some(
    (l) =>
      l.kind === 'dense' &&
      ((l.kernelL1 ?? 0) !== 0 ||
        (l.kernelL2 ?? 0) !== 0 ||
        (l.useBias && ((l.biasL1 ?? 0) !== 0 || (l.biasL2 ?? 0) !== 0))),
  );
}

/** The total penalty of every Dense layer's kernel and bias in the flat `params`. */
export function modelPenalty(layers: readonly LayerSpec[], params: Float32Array): number {
  let p = 0;
  for (const l of layers) {
    if (l.kind !== 'dense') continue;
    p += penaltyValue(params, l.kernelOffset, l.inputs * l.units, l.kernelL1 ?? 0, l.kernelL2 ?? 0);
    if (l.useBias) p += penaltyValue(params, l.biasOffset, l.units, l.biasL1 ?? 0, l.biasL2 ?? 0);
  }
  return p;
}

/** Adds one Dense layer's penalty gradient (from the current `params`) to `grads`. */
export function layerPenaltyGrad(d: DenseSpec, params: Float32Array, grads: Float32Array): void {
  penaltyGradAdd(params, grads, d.kernelOffset, d.inputs * d.units, d.kernelL1 ?? 0, d.kernelL2 ?? 0);
  if (d.useBias) penaltyGradAdd(params, grads, d.biasOffset, d.units, d.biasL1 ?? 0, d.biasL2 ?? 0);
}
