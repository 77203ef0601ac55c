/**
 * Optimizer updates of the js backend: one loop over the flat parameter array per step.
 * The rules are PyTorch's (`torch.optim`), stated once in the TSDoc of the facade's
 * classes: `SGD` (lib/optimizers/sgd.ts), `Adam` and `AdamW` (lib/optimizers/adam.ts),
 * `RMSProp` (lib/optimizers/rmsprop.ts); t counts applied steps from 1.
 * Numerics: each element's update is computed in float64 from the float32 parameter,
 * gradient and state, and each stored value (θ, m, v, b) is rounded to float32 once;
 * adamw's decayed θ·(1 − lr·wd) is rounded to float32 before adam's update (as PyTorch's
 * in-place `mul_`).
 * `1 − β^t` is `1 − Math.pow(β, t)` in float64, and adam is evaluated in PyTorch's order:
 * `θ ← θ − (lr/(1−β1^t)) · m / (√v · (1/√(1−β2^t)) + ε)`. State lives in flat Float32Arrays
 * allocated once by {@link createOptimizer}.
 */
import type { OptimizerSpec } from '../types';

export interface OptimizerState {
  readonly spec: OptimizerSpec;
  /** Applied steps so far. */
  t: number;
  /** First slot: momentum buffer (sgd, rmsprop) or first moment (adam, adamw). */
  readonly s1: Float32Array;
  /** Second slot: second moment (adam, adamw, rmsprop). */
  readonly s2: Float32Array;
}

/** Fresh state for `n` parameters (all slots zero, t = 0). */
export function createOptimizer(spec: OptimizerSpec, n: number): OptimizerState {
  const needs1 = spec.kind === 'adam' || spec.kind === 'adamw' || spec.momentum !== 0;
  const needs2 = spec.kind !== 'sgd';
  return {
    spec: { ...spec },
    t: 0,
    s1: new Float32Array(needs1 ? n : 0),
    s2: new Float32Array(needs2 ? n : 0),
  };
}

/**
 * One update of `params` (length n) from `grads`; increments `state.t`. Returns whether every
 * updated parameter is finite (checked as each float32 value is stored: `Σ (θ − θ)` is 0
 * unless some θ is ±Infinity or NaN).
 *
 * Clipping (OptimizerSpec clipValue, clipNorm) is fused where each loop reads the gradient:
 * g ← fround(min(max(g, −clipValue), clipValue) · gscale), as the native kernels do; `gscale`
 * is the step's clip_grad_norm_ factor (`clip.ts`), 1 without clipNorm. With neither, g is
 * unchanged.
 */
export function optimizerStep(state: OptimizerState, params: Float32Array, grads: Float32Array, gscale = 1): boolean {
  const n = params.length;
  let check = 0;
  const o = state.spec;
  const hi = o.clipValue !== undefined && o.clipValue > 0 ? Math.fround(o.clipValue) : Infinity;
  const lo = -hi;
  const gs = Math.fround(gscale);
  // The clipped gradient of element i (NaN passes through, as in the native clamp).
  const cg = (i: number): number => {
    const v = grads[i]!;
    return Math.fround((lo > v ? lo : hi < v ? hi : v) * gs);
  };
  state.t += 1;
  const t = state.t;
  const lr = o.learningRate;
  const wd = o.weightDecay;
  switch (o.kind) {
    case 'sgd': {
      const mu = o.momentum;
      if (mu === 0) {
        for (let i = 0; i < n; i++) {
          const th = params[i]!;
          const nt = Math.fround(th - lr * (cg(i) + wd * th));
          params[i] = nt;
          check += nt - nt;
        }
        return check === 0;
      }
      const buf = state.s1;
      const first = t === 1;
      const nesterov = o.nesterov;
      for (let i = 0; i < n; i++) {
        const th = params[i]!;
        const g = cg(i) + wd * th;
        const b = Math.fround(first ? g : mu * buf[i]! + g);
        buf[i] = b;
        const nt = Math.fround(th - lr * (nesterov ? g + mu * b : b));
        params[i] = nt;
        check += nt - nt;
      }
      return check === 0;
    }
    case 'adam':
    case 'adamw': {
      const b1 = o.beta1;
      const b2 = o.beta2;
      const ob1 = 1 - b1;
      const ob2 = 1 - b2;
      const eps = o.epsilon;
      // PyTorch's evaluation order: denom = √v / √(1−β2^t) + ε; θ ← θ − (lr / (1−β1^t)) · m / denom.
      const stepSize = lr / (1 - b1 ** t);
      const invSqrtC2 = 1 / Math.sqrt(1 - b2 ** t);
      const m = state.s1;
      const v = state.s2;
      if (o.kind === 'adamw') {
        const shrink = 1 - lr * wd;
        for (let i = 0; i < n; i++) {
          const th = Math.fround(params[i]! * shrink);
          const g = cg(i);
          const mi = Math.fround(b1 * m[i]! + ob1 * g);
          const vi = Math.fround(b2 * v[i]! + ob2 * g * g);
          m[i] = mi;
          v[i] = vi;
          const nt = Math.fround(th - (stepSize * mi) / (Math.sqrt(vi) * invSqrtC2 + eps));
          params[i] = nt;
          check += nt - nt;
        }
      } else {
        for (let i = 0; i < n; i++) {
          const th = params[i]!;
          const g = cg(i) + wd * th;
          const mi = Math.fround(b1 * m[i]! + ob1 * g);
          const vi = Math.fround(b2 * v[i]! + ob2 * g * g);
          m[i] = mi;
          v[i] = vi;
          const nt = Math.fround(th - (stepSize * mi) / (Math.sqrt(vi) * invSqrtC2 + eps));
          params[i] = nt;
          check += nt - nt;
        }
      }
      return check === 0;
    }
    case 'rmsprop': {
      const rho = o.rho;
      const eps = o.epsilon;
      const mu = o.momentum;
      const v = state.s2;
      const buf = state.s1;
      for (let i = 0; i < n; i++) {
        const th = params[i]!;
        const g = cg(i) + wd * th;
        const vi = Math.fround(rho * v[i]! + (1 - rho) * g * g);
        v[i] = vi;
        if (mu !== 0) {
          const b = Math.fround(mu * buf[i]! + g / (Math.sqrt(vi) + eps));
          buf[i] = b;
          const nt = Math.fround(th - lr * b);
          params[i] = nt;
          check += nt - nt;
        } else {
          const nt = Math.fround(th - (lr * g) / (Math.sqrt(vi) + eps));
          params[i] = nt;
          check += nt - nt;
        }
      }
      return check === 0;
    }
  }
}

/** A copy of an optimizer state (t and both slots), for undoing one step. */
export interface OptimizerBackup {
  t: number;
  readonly s1: Float32Array;
  readonly s2: Float32Array;
}

/** Storage for {@link saveOptimizer} / {@link restoreOptimizer} of `state`. */
export function createBackup(state: OptimizerState): OptimizerBackup {
  return { t: state.t, s1: new Float32Array(state.s1.length), s2: new Float32Array(state.s2.length) };
}

export function saveOptimizer(state: OptimizerState, b: OptimizerBackup): void {
  b.t = state.t;
  b.s1.set(state.s1);
  b.s2.set(state.s2);
}

export function restoreOptimizer(state: OptimizerState, b: OptimizerBackup): void {
  state.t = b.t;
  state.s1.set(b.s1);
  state.s2.set(b.s2);
}
