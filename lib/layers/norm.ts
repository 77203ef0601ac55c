import { expectBoolean, expectKnownKeys, expectNumber, expectOptionalObject, invalid } from '../validate';

/** Options of {@link LayerNorm}. */
export interface LayerNormOptions {
  /** Added to the variance before the square root, in (0, 1]. Default `1e-5` (PyTorch's). */
  epsilon?: number;
  /** Whether the layer has the learned shift β (initialised to 0). Default `true`. */
  center?: boolean;
  /** Whether the layer has the learned scale γ (initialised to 1). Default `true`. */
  scale?: boolean;
}

/** Options of {@link BatchNorm}. */
export interface BatchNormOptions extends LayerNormOptions {
  /**
   * Weight of the batch in the running statistics, in [0, 1]: running ← (1 − momentum)·running
   * + momentum·batch (PyTorch's convention; Keras's `momentum` is 1 − this). Default `0.1`.
   */
  momentum?: number;
}

function epsilonOption(o: Record<string, unknown>): number {
  return o.epsilon === undefined ? 1e-5 : expectNumber(o.epsilon, 'epsilon', { min: 0, max: 1, minExclusive: true });
}

/**
 * Layer normalisation, `torch.nn.LayerNorm(features)`: each row is normalised over its own
 * features, `y = γ·(x − μ)/√(σ² + ε) + β` with μ and the biased variance σ² of the row;
 * γ (`scale`) and β (`center`) are learned, one per feature, initialised to 1 and 0.
 * The same in training and inference. Its width is the previous layer's.
 *
 * @throws TypeError/RangeError naming the option, when an option is invalid.
 * @example
 * new Network({ inputs: 16, layers: [new Dense(64), new LayerNorm(), new Dense(64, { activation: 'relu' }), new Dense(1)] });
 */
export class LayerNorm {
  /** Layer type tag. */
  readonly kind = 'layerNorm' as const;
  /** ε, added to the variance. */
  readonly epsilon: number;
  /** Whether β is learned. */
  readonly center: boolean;
  /** Whether γ is learned. */
  readonly scale: boolean;

  constructor(options?: LayerNormOptions) {
    const o = expectOptionalObject(options, 'LayerNorm options');
    expectKnownKeys(o, ['epsilon', 'center', 'scale'], 'LayerNorm options');
    this.epsilon = epsilonOption(o);
    this.center = o.center === undefined ? true : expectBoolean(o.center, 'center');
    this.scale = o.scale === undefined ? true : expectBoolean(o.scale, 'scale');
    Object.freeze(this);
  }

  /** The layer's configuration as plain JSON. */
  toJSON(): { type: 'layerNorm'; epsilon: number; center: boolean; scale: boolean } {
    return { type: 'layerNorm', epsilon: this.epsilon, center: this.center, scale: this.scale };
  }
}

/**
 * Batch normalisation, `torch.nn.BatchNorm1d(features)`: each feature is normalised over
 * the rows of the batch, `y = γ·(x − μ)/√(σ² + ε) + β`.
 * - Training (`fit`, `trainOnBatch`, and `gradients`): μ and σ² are the batch's mean and
 *   biased variance. Every applied training step (not `gradients`, which leaves them
 *   unchanged) updates the running statistics: runningMean ← (1 − momentum)·runningMean +
 *   momentum·μ, runningVar ← (1 − momentum)·runningVar + momentum·σ²·rows/(rows − 1) (the
 *   unbiased variance); a step skipped for a non-finite loss changes nothing.
 * - Inference (`predict`, `evaluate`): μ and σ² are runningMean and runningVar.
 * γ and β start at 1 and 0, runningMean at 0 and runningVar at 1; the running statistics
 * are part of `getWeights()`, `save` and `toJSON`.
 *
 * Batch statistics need at least 2 rows (PyTorch raises "Expected more than 1 value per
 * channel when training"): `trainOnBatch` and `gradients` with one row, and `fit` where a
 * batch would hold one row (rows or the last batch, rows mod batchSize = 1), are rejected
 * before anything changes.
 *
 * @throws TypeError/RangeError naming the option, when an option is invalid.
 * @example
 * new Network({ inputs: 16, layers: [new Dense(64), new BatchNorm(), new Dense(64, { activation: 'relu' }), new Dense(1)] });
 */
export class BatchNorm {
  /** Layer type tag. */
  readonly kind = 'batchNorm' as const;
  /** Weight of the batch in the running statistics (PyTorch's convention). */
  readonly momentum: number;
  /** ε, added to the variance. */
  readonly epsilon: number;
  /** Whether β is learned. */
  readonly center: boolean;
  /** Whether γ is learned. */
  readonly scale: boolean;

  constructor(options?: BatchNormOptions) {
    const o = expectOptionalObject(options, 'BatchNorm options');
    expectKnownKeys(o, ['momentum', 'epsilon', 'center', 'scale'], 'BatchNorm options');
    this.momentum = o.momentum === undefined ? 0.1 : expectNumber(o.momentum, 'momentum', { min: 0, max: 1 });
    this.epsilon = epsilonOption(o);
    this.center = o.center === undefined ? true : expectBoolean(o.center, 'center');
    this.scale = o.scale === undefined ? true : expectBoolean(o.scale, 'scale');
    Object.freeze(this);
  }

  /** The layer's configuration as plain JSON. */
  toJSON(): { type: 'batchNorm'; momentum: number; epsilon: number; center: boolean; scale: boolean } {
    return {
      type: 'batchNorm',
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
    };
  }
}

/**
 * Rejects training batches of one row on a network with a BatchNorm layer (its batch
 * variance would be that of one value). `sizes` are the batch sizes a call will train on
 * (for `fit`: the full batches and the last one); `name` the argument to blame.
 *
 * @throws RangeError naming `name` when a BatchNorm is present and some size is 1.
 */
export function checkBatchNormRows(
  layers: readonly { kind: string }[],
  sizes: readonly number[],
  name: string,
  what: string,
): void {
  if (!layers.some((l) => l.kind === 'batchNorm')) return;
  if (sizes.every((s) => s !== 1)) return;
  throw invalid(
    `training batches of at least 2 rows on a network with BatchNorm (batch statistics of one row are undefined, as in PyTorch)`,
    name,
    what,
    'range',
  );
}
