/**
 * Compact layer descriptions for tests that build a backend ModelSpec directly, turned
 * into the input of lib/layers/plan.ts (the one spec builder the facade uses too).
 */
import type { ActivationName } from '../../lib/backend/types';
import type { LayerInitializers, PlannedLayer } from '../../lib/layers/plan';

/** A Dense layer (activation 'linear', bias on and leakyRelu alpha 0.01 unless given) or a Dropout rate. */
export type TestLayer =
  | { units: number; activation?: ActivationName; alpha?: number; useBias?: boolean }
  | { dropout: number };

/** The facade's Dense defaults: Glorot-uniform kernel, zero bias. */
export const GLOROT_ZEROS: LayerInitializers = { kernelInitializer: 'glorotUniform', biasInitializer: 'zeros' };

/** `defs` as lib/layers/plan.ts reads layers. */
export function plannedLayers(defs: readonly TestLayer[]): PlannedLayer[] {
  return defs.map((d) =>
    'dropout' in d
      ? { kind: 'dropout', rate: d.dropout }
      : {
          kind: 'dense',
          units: d.units,
          activation: d.activation ?? 'linear',
          alpha: d.alpha ?? 0.01,
          useBias: d.useBias ?? true,
        },
  );
}
