import type { OptimizerName } from '../backend/types';
import { describe, invalid } from '../validate';
import { Adam, AdamW } from './adam';
import { Optimizer } from './optimizer';
import { RMSProp } from './rmsprop';
import { SGD } from './sgd';

export { Adam, type AdamOptions, AdamW } from './adam';
export { Optimizer } from './optimizer';
export { RMSProp, type RMSPropOptions } from './rmsprop';
export { SGD, type SGDOptions } from './sgd';

/** The optimizer names `compile` accepts, each meaning that optimizer with its defaults. */
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['sgd', 'adam', 'adamw', 'rmsprop'];

/** An optimizer instance, or a name meaning that optimizer with its defaults. */
export function resolveOptimizer(value: unknown, name: string): Optimizer {
  if (value instanceof Optimizer) return value;
  switch (value) {
    case 'sgd':
      return new SGD();
    case 'adam':
      return new Adam();
    case 'adamw':
      return new AdamW();
    case 'rmsprop':
      return new RMSProp();
  }
  throw invalid(
    `an optimizer instance or one of ${OPTIMIZER_NAMES.map((n) => `'${n}'`).join(', ')}`,
    name,
    describe(value),
  );
}
