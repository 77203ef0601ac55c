import { expectNumber } from '../validate';

/**
 * Inverted dropout: in training each unit is zeroed with probability `rate` and the
 * survivors are scaled by 1 / (1 − rate); at inference (predict, evaluate, gradients)
 * it is the identity. Masks come from the network's seed (see `lib/random.ts`), so
 * a seeded fit is reproducible on every backend.
 *
 * @param rate probability of dropping a unit, in [0, 1).
 * @example new Dropout(0.2)
 */
export class Dropout {
  /** Layer type tag. */
  readonly kind = 'dropout' as const;
  /** Probability of dropping a unit in training, in [0, 1). */
  readonly rate: number;

  constructor(rate: number) {
    this.rate = expectNumber(rate, 'rate', { min: 0, max: 1, maxExclusive: true });
    Object.freeze(this);
  }

  toJSON(): { type: 'dropout'; rate: number } {
    return { type: 'dropout', rate: this.rate };
  }
}

/** A layer of a {@link Network}'s `layers`. */
export type Layer = import('./dense').Dense | Dropout | import('./norm').LayerNorm | import('./norm').BatchNorm;
