/**
 * Float64 reference optimizers, each step written line by line from the algorithm
 * boxes of PyTorch's `torch.optim` documentation (no dampening, no amsgrad, no
 * maximize, RMSProp not centred), the rules the library states in the TSDoc of its
 * optimizer classes (lib/optimizers/sgd.ts, adam.ts, rmsprop.ts). `step(params, grads)` updates `params` in place; the
 * arrays are the flat parameter vector and its gradient.
 */
import type { OptimizerSpec } from '../../lib/backend/types';

export interface RefOptimizer {
  step(params: Float64Array, grads: ArrayLike<number>): void;
}

/** torch.optim.SGD. */
export class RefSGD implements RefOptimizer {
  #b: Float64Array | null = null;
  constructor(
    readonly lr = 0.01,
    readonly momentum = 0,
    readonly nesterov = false,
    readonly weightDecay = 0,
  ) {}

  step(theta: Float64Array, grads: ArrayLike<number>): void {
    const first = this.#b === null;
    if (!this.#b) this.#b = new Float64Array(theta.length);
    const b = this.#b;
    for (let i = 0; i < theta.length; i++) {
      let g = grads[i]!;
      if (this.weightDecay !== 0) g = g + this.weightDecay * theta[i]!;
      if (this.momentum !== 0) {
        b[i] = first ? g : this.momentum * b[i]! + g; // dampening τ = 0
        g = this.nesterov ? g + this.momentum * b[i]! : b[i]!;
      }
      theta[i] = theta[i]! - this.lr * g;
    }
  }
}

/** torch.optim.Adam (weight decay as L2 added to the gradient); `decoupled` gives torch.optim.AdamW. */
export class RefAdam implements RefOptimizer {
  #m: Float64Array | null = null;
  #v: Float64Array | null = null;
  #t = 0;
  constructor(
    readonly lr = 0.001,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-8,
    readonly weightDecay = 0,
    readonly decoupled = false,
  ) {}

  step(theta: Float64Array, grads: ArrayLike<number>): void {
    if (!this.#m || !this.#v) {
      this.#m = new Float64Array(theta.length);
      this.#v = new Float64Array(theta.length);
    }
    const m = this.#m;
    const v = this.#v;
    this.#t += 1;
    const t = this.#t;
    for (let i = 0; i < theta.length; i++) {
      let g = grads[i]!;
      if (this.decoupled) theta[i] = theta[i]! - this.lr * this.weightDecay * theta[i]!;
      else if (this.weightDecay !== 0) g = g + this.weightDecay * theta[i]!;
      m[i] = this.beta1 * m[i]! + (1 - this.beta1) * g;
      v[i] = this.beta2 * v[i]! + (1 - this.beta2) * g * g;
      const mHat = m[i]! / (1 - this.beta1 ** t);
      const vHat = v[i]! / (1 - this.beta2 ** t);
      theta[i] = theta[i]! - (this.lr * mHat) / (Math.sqrt(vHat) + this.epsilon);
    }
  }
}

/** torch.optim.AdamW: decoupled weight decay, then Adam's step with no decay in the gradient. */
export class RefAdamW extends RefAdam {
  constructor(lr = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weightDecay = 0.01) {
    super(lr, beta1, beta2, epsilon, weightDecay, true);
  }
}

/** torch.optim.RMSprop (alpha is called rho here), not centred. */
export class RefRMSProp implements RefOptimizer {
  #v: Float64Array | null = null;
  #b: Float64Array | null = null;
  constructor(
    readonly lr = 0.01,
    readonly rho = 0.99,
    readonly epsilon = 1e-8,
    readonly momentum = 0,
    readonly weightDecay = 0,
  ) {}

  step(theta: Float64Array, grads: ArrayLike<number>): void {
    if (!this.#v || !this.#b) {
      this.#v = new Float64Array(theta.length);
      this.#b = new Float64Array(theta.length);
    }
    const v = this.#v;
    const b = this.#b;
    for (let i = 0; i < theta.length; i++) {
      let g = grads[i]!;
      if (this.weightDecay !== 0) g = g + this.weightDecay * theta[i]!;
      v[i] = this.rho * v[i]! + (1 - this.rho) * g * g;
      if (this.momentum > 0) {
        b[i] = this.momentum * b[i]! + g / (Math.sqrt(v[i]!) + this.epsilon);
        theta[i] = theta[i]! - this.lr * b[i]!;
      } else {
        theta[i] = theta[i]! - (this.lr * g) / (Math.sqrt(v[i]!) + this.epsilon);
      }
    }
  }
}

/** The reference optimizer of a backend {@link OptimizerSpec} (fresh state). */
export function refOptimizer(o: OptimizerSpec): RefOptimizer {
  switch (o.kind) {
    case 'sgd':
      return new RefSGD(o.learningRate, o.momentum, o.nesterov, o.weightDecay);
    case 'adam':
      return new RefAdam(o.learningRate, o.beta1, o.beta2, o.epsilon, o.weightDecay);
    case 'adamw':
      return new RefAdamW(o.learningRate, o.beta1, o.beta2, o.epsilon, o.weightDecay);
    case 'rmsprop':
      return new RefRMSProp(o.learningRate, o.rho, o.epsilon, o.momentum, o.weightDecay);
  }
}
