import type { ActivationName } from '../backend/types';
import { INITIALIZERS, type InitializerName } from '../initializers';
import { type Regularizer, type RegularizerOptions, readRegularizer } from '../regularizers';
import {
  expectBoolean,
  expectFloat32,
  expectInteger,
  expectKnownKeys,
  expectOneOf,
  expectOptionalObject,
} from '../validate';

/** The widest layer (and the most inputs) a network may have: 2^24, below which float32 counts rows and indices exactly. */
export const MAX_WIDTH = 1 << 24;

/** Every {@link ActivationName}. */
export const ACTIVATIONS: readonly ActivationName[] = [
  'linear',
  'relu',
  'leakyRelu',
  'sigmoid',
  'tanh',
  'softmax',
  'gelu',
  'elu',
  'selu',
  'softplus',
  'silu',
  'mish',
  'hardSigmoid',
  'hardSwish',
  'relu6',
];

/** Options of {@link Dense}. */
export interface DenseOptions {
  /**
   * Default `'linear'`. `gelu` is the exact form 0.5·z·(1 + erf(z/√2)); `elu`, `selu`,
   * `softplus`, `silu`, `mish`, `hardSigmoid`, `hardSwish` and `relu6` are
   * torch.nn.functional's with its defaults ({@link ActivationName} has the formulas).
   */
  activation?: ActivationName;
  /** Default `true`. */
  useBias?: boolean;
  /** Default `'glorotUniform'`. */
  kernelInitializer?: InitializerName;
  /** Default `'zeros'`. */
  biasInitializer?: InitializerName;
  /** Slope of `leakyRelu` for z < 0, a finite float32. Default `0.01` (PyTorch's). */
  alpha?: number;
  /**
   * Adds `l1·Σ|W| + l2·ΣW²` of the kernel to the loss that is minimised and reported
   * (Keras's `kernel_regularizer`; see lib/regularizers.ts). Default: none.
   */
  kernelRegularizer?: RegularizerOptions;
  /** As `kernelRegularizer`, for the bias (ignored with `useBias: false`). Default: none. */
  biasRegularizer?: RegularizerOptions;
}

/**
 * A fully connected layer: `y = act(x · W + b)` with the kernel `W` laid out
 * `[inputs × units]` row-major (the tfjs/Keras convention) and `b` of length `units`.
 * Derivatives at a kink use 0 (relu′(0) = 0, as PyTorch).
 *
 * @throws TypeError/RangeError naming the option, when an option is invalid.
 * @example
 * new Network({ inputs: 784, layers: [new Dense(128, { activation: 'relu' }), new Dense(10, { activation: 'softmax' })] });
 */
export class Dense {
  /** Layer type tag. */
  readonly kind = 'dense' as const;
  /** Output width (number of units). */
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;
  readonly alpha: number;
  /** The kernel's regularizer `{ l1, l2 }`, or null when none. */
  readonly kernelRegularizer: Regularizer | null;
  /** The bias's regularizer `{ l1, l2 }`, or null when none. */
  readonly biasRegularizer: Regularizer | null;

  constructor(units: number, options?: DenseOptions) {
    const units_ = expectInteger(units, 'units', 1, MAX_WIDTH);
    const o = expectOptionalObject(options, 'Dense options');
    expectKnownKeys(
      o,
      [
        'activation',
        'useBias',
        'kernelInitializer',
        'biasInitializer',
        'alpha',
        'kernelRegularizer',
        'biasRegularizer',
      ],
      'Dense options',
    );
    this.units = units_;
    this.activation = o.activation === undefined ? 'linear' : expectOneOf(o.activation, ACTIVATIONS, 'activation');
    this.useBias = o.useBias === undefined ? true : expectBoolean(o.useBias, 'useBias');
    this.kernelInitializer =
      o.kernelInitializer === undefined
        ? 'glorotUniform'
        : expectOneOf(o.kernelInitializer, INITIALIZERS, 'kernelInitializer');
    this.biasInitializer =
      o.biasInitializer === undefined ? 'zeros' : expectOneOf(o.biasInitializer, INITIALIZERS, 'biasInitializer');
    this.alpha = o.alpha === undefined ? 0.01 : expectFloat32(o.alpha, 'alpha');
    this.kernelRegularizer = readRegularizer(o.kernelRegularizer, 'kernelRegularizer');
    this.biasRegularizer = readRegularizer(o.biasRegularizer, 'biasRegularizer');
    Object.freeze(this);
  }

  /** The layer's configuration as plain JSON. */
  toJSON(): {
    type: 'dense';
    units: number;
    activation: ActivationName;
    useBias: boolean;
    kernelInitializer: InitializerName;
    biasInitializer: InitializerName;
    alpha: number;
    kernelRegularizer?: { l1: number; l2: number };
    biasRegularizer?: { l1: number; l2: number };
  } {
    return {
      type: 'dense',
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
      alpha: this.alpha,
      // Only when set, so files of networks without regularizers are unchanged.
      ...(this.kernelRegularizer ? { kernelRegularizer: { ...this.kernelRegularizer } } : {}),
      ...(this.biasRegularizer ? { biasRegularizer: { ...this.biasRegularizer } } : {}),
    };
  }
}
