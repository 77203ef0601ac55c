/**
 * A float64 dense network, written to be obviously correct: forward pass, batch loss
 * and backpropagated gradients, one row and one unit at a time.
 *
 * Layer l computes Z = A_prev · W + b (W is `[inputs × units]` row-major, as in the
 * library) and A = act(Z). Gradients are of the batch mean loss.
 */
import type { ModelSpec } from '../../lib/backend/types';
import { activate, activationBackward, type RefActivation } from './activations';
import { dropoutMask } from './dropout';
import { fusedOutputGradient, lossGradient, lossValue, type RefLoss } from './losses';

export interface RefDense {
  inputs: number;
  units: number;
  activation: RefActivation;
  /** leakyRelu slope. */
  alpha: number;
  useBias: boolean;
}

/** One layer's parameters, in the library's `getWeights()` layout. */
export interface RefParams {
  kernel: Float64Array;
  bias: Float64Array | null;
}

export interface RefForward {
  /** Pre-activations per layer, each `[rows × units]`. */
  z: Float64Array[];
  /** Activations: a[0] is the input, a[l + 1] the output of layer l. */
  a: Float64Array[];
}

/**
 * Per-layer dropout factors: `masks[l]`, when present, multiplies layer l's activation
 * element-wise (`[rows × units]`, each entry 0 or 1/(1 − rate)), i.e. a Dropout layer
 * right after Dense layer l. The backward pass multiplies by the same factors.
 */
export type RefMasks = ReadonlyArray<ArrayLike<number> | null | undefined>;

/** Forward pass over `rows` rows of `x` (`[rows × inputs]`). */
export function forward(
  layers: readonly RefDense[],
  params: readonly RefParams[],
  x: ArrayLike<number>,
  rows: number,
  masks: RefMasks = [],
): RefForward {
  const a: Float64Array[] = [Float64Array.from(x)];
  const z: Float64Array[] = [];
  layers.forEach((layer, l) => {
    const { kernel, bias } = params[l]!;
    const prev = a[l]!;
    const zl = new Float64Array(rows * layer.units);
    const al = new Float64Array(rows * layer.units);
    for (let r = 0; r < rows; r++) {
      const zr = new Float64Array(layer.units);
      for (let j = 0; j < layer.units; j++) {
        let s = bias ? bias[j]! : 0;
        for (let i = 0; i < layer.inputs; i++) s += prev[r * layer.inputs + i]! * kernel[i * layer.units + j]!;
        zr[j] = s;
      }
      const ar = activate(layer.activation, zr, layer.alpha);
      const mask = masks[l];
      if (mask) for (let j = 0; j < layer.units; j++) ar[j] = ar[j]! * mask[r * layer.units + j]!;
      zl.set(zr, r * layer.units);
      al.set(ar, r * layer.units);
    }
    z.push(zl);
    a.push(al);
  });
  return { z, a };
}

/** Network output `[rows × outputs]`. */
export function predict(
  layers: readonly RefDense[],
  params: readonly RefParams[],
  x: ArrayLike<number>,
  rows: number,
): Float64Array {
  return forward(layers, params, x, rows).a[layers.length]!;
}

/** Batch mean loss of the network on (x, y). */
export function networkLoss(
  layers: readonly RefDense[],
  params: readonly RefParams[],
  loss: RefLoss,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  rows: number,
): number {
  const out = layers[layers.length - 1]!;
  return lossValue(loss, predict(layers, params, x, rows), y, rows, out.units);
}

export interface RefGradients {
  loss: number;
  grads: RefParams[];
}

/**
 * Backpropagation. With `fused: true`, a softmax output with (sparse) categorical CE or
 * a sigmoid output with binary CE takes the fused output gradient (ŷ − y)/divisor
 * (API.md); otherwise ∂L/∂ŷ is chained through the output activation.
 */
export function gradients(
  layers: readonly RefDense[],
  params: readonly RefParams[],
  loss: RefLoss,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  rows: number,
  options: { fused?: boolean; masks?: RefMasks } = {},
): RefGradients {
  const masks = options.masks ?? [];
  if (masks[layers.length - 1]) throw new Error('reference: dropout after the output layer is not modelled');
  const { z, a } = forward(layers, params, x, rows, masks);
  const L = layers.length;
  const last = layers[L - 1]!;
  const yhat = a[L]!;
  const value = lossValue(loss, yhat, y, rows, last.units);

  let dz: Float64Array | null = options.fused
    ? fusedOutputGradient(last.activation, loss, yhat, y, rows, last.units)
    : null;
  let da: Float64Array | null = dz ? null : lossGradient(loss, yhat, y, rows, last.units);

  const grads: RefParams[] = layers.map((layer) => ({
    kernel: new Float64Array(layer.inputs * layer.units),
    bias: layer.useBias ? new Float64Array(layer.units) : null,
  }));

  for (let l = L - 1; l >= 0; l--) {
    const layer = layers[l]!;
    const n = layer.units;
    if (!dz) {
      const mask = masks[l];
      // Through the dropout factor first; activationBackward then needs the unmasked activation.
      if (mask) da = Float64Array.from(da!, (v, i) => v * mask[i]!);
      dz = new Float64Array(rows * n);
      for (let r = 0; r < rows; r++) {
        const rowZ = z[l]!.subarray(r * n, (r + 1) * n);
        const rowA = mask ? activate(layer.activation, rowZ, layer.alpha) : a[l + 1]!.subarray(r * n, (r + 1) * n);
        const rowDa = da!.subarray(r * n, (r + 1) * n);
        dz.set(activationBackward(layer.activation, rowZ, rowA, rowDa, layer.alpha), r * n);
      }
    }
    const prev = a[l]!;
    const g = grads[l]!;
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < layer.inputs; i++) {
        for (let j = 0; j < n; j++) g.kernel[i * n + j]! += prev[r * layer.inputs + i]! * dz[r * n + j]!;
      }
      if (g.bias) for (let j = 0; j < n; j++) g.bias[j]! += dz[r * n + j]!;
    }
    const dPrev = new Float64Array(rows * layer.inputs);
    const W = params[l]!.kernel;
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < layer.inputs; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += dz[r * n + j]! * W[i * n + j]!;
        dPrev[r * layer.inputs + i] = s;
      }
    }
    da = dPrev;
    dz = null;
  }
  return { loss: value, grads };
}

/** Every parameter in the library's flat order (layer by layer: kernel, then bias). */
export function flatten(params: readonly RefParams[]): Float64Array {
  const parts: number[] = [];
  for (const p of params) {
    parts.push(...p.kernel);
    if (p.bias) parts.push(...p.bias);
  }
  return Float64Array.from(parts);
}

/** Inverse of {@link flatten} for the shapes of `layers`. */
export function unflatten(layers: readonly RefDense[], flat: ArrayLike<number>): RefParams[] {
  let o = 0;
  return layers.map((layer) => {
    const kernel = Float64Array.from({ length: layer.inputs * layer.units }, (_, i) => flat[o + i]!);
    o += kernel.length;
    let bias: Float64Array | null = null;
    if (layer.useBias) {
      bias = Float64Array.from({ length: layer.units }, (_, i) => flat[o + i]!);
      o += layer.units;
    }
    return { kernel, bias };
  });
}

/** Deep copy. */
export function cloneParams(params: readonly RefParams[]): RefParams[] {
  return params.map((p) => ({ kernel: Float64Array.from(p.kernel), bias: p.bias ? Float64Array.from(p.bias) : null }));
}

/** Training-mode dropout: the network seed and the training step whose masks apply. */
export interface DropoutStep {
  seed: number;
  step: number;
}

/**
 * ŷ `[rows × outputs]` of a backend ModelSpec (Dense and Dropout layers in any order,
 * dropout on the input or after the output included) with the library's flat
 * parameters `p` on `x` `[rows × inputs]`. Dropout is the identity unless `drop` is
 * given; then layer li multiplies by `dropoutMask(seed, step, li, …)` (./dropout.ts).
 */
export function forwardSpec(
  spec: ModelSpec,
  p: ArrayLike<number>,
  x: ArrayLike<number>,
  rows: number,
  drop?: DropoutStep,
): Float64Array {
  let a: Float64Array = Float64Array.from(x);
  spec.layers.forEach((l, li) => {
    if (l.kind === 'dropout') {
      if (drop === undefined || l.rate === 0) return;
      const mask = dropoutMask(drop.seed, drop.step, li, rows, l.units, l.rate);
      a = a.map((v, i) => v * mask[i]!);
      return;
    }
    const kernel = Float64Array.from({ length: l.inputs * l.units }, (_, i) => p[l.kernelOffset + i]!);
    const bias = l.useBias ? Float64Array.from({ length: l.units }, (_, j) => p[l.biasOffset + j]!) : null;
    a = forward([{ ...l }], [{ kernel, bias }], a, rows).a[1]!;
  });
  return a;
}

/**
 * Central-difference gradient (step `h`) of the float64 batch loss of {@link forwardSpec}
 * with respect to every parameter, in the library's flat order.
 */
export function numericGradientSpec(
  spec: ModelSpec,
  loss: RefLoss,
  params: ArrayLike<number>,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  rows: number,
  h = 1e-6,
  drop?: DropoutStep,
): Float64Array {
  const p = Float64Array.from(params);
  const f = (): number => lossValue(loss, forwardSpec(spec, p, x, rows, drop), y, rows, spec.outputs);
  return p.map((v, i) => {
    p[i] = v + h;
    const up = f();
    p[i] = v - h;
    const dn = f();
    p[i] = v;
    return (up - dn) / (2 * h);
  });
}
