/**
 * The training state a checkpoint file holds besides the weights (`save(path, { optimizer })`,
 * default true, on a compiled network): the compile configuration, the optimizer's state
 * (step count and slots), the seeded random streams' state (the shuffle generator and the
 * dropout step counter) and the number of epochs trained.
 *
 * In the safetensors file: `__metadata__["densely.training"]` is JSON
 * `{ version: 1, loss, metrics, optimizer: { name, …hyper-parameters }, optimizerStep, slots,
 * dropoutStep, shuffleRng: { words, spare }, epochs }`, and each slot is stored as F32
 * tensors `optimizer.<slot>.layers.<i>.kernel` / `.bias`, shaped as the layer's. A learning
 * rate is a number or `{ schedule: config }` for a built-in schedule; a plain schedule
 * function is stored as the rate of the next update.
 *
 * Loading checks all of it before anything is built: the JSON's fields and ranges, the
 * optimizer's hyper-parameters (by its constructor), the slot names (those the optimizer
 * has, in order), and exactly the declared tensors with their shapes and finite values;
 * anything else rejects with `DENSELY_INVALID_MODEL`.
 */
import { type LossName, type LossSpec, type OptimizerState, optimizerSlotNames } from './backend/types';
import { type NetworkPlan, partLength, weightParts } from './layers/plan';
import { LOSSES, resolveLoss } from './losses';
import { ADAM_DEFAULTS, ADAMW_DEFAULTS } from './optimizers/adam';
import { Adam, AdamW, type Optimizer, RMSProp, SGD } from './optimizers/index';
import { RMSPROP_DEFAULTS } from './optimizers/rmsprop';
import { SGD_DEFAULTS } from './optimizers/sgd';
import type { Tensor } from './safetensors';
import { scheduleConfig, scheduleFromConfig } from './schedules';
import { asModelError, describe, expectInteger, expectKnownKeys, expectObject, invalid } from './validate';

/** The `__metadata__` key of the training state. */
export const META_TRAINING = 'densely.training';
const TRAINING_VERSION = 1;

/** Everything a network's training continues from. */
export interface TrainingState {
  /** The compiled loss: its name, or the loss with its options when any is not the default. */
  loss: LossName | LossSpec;
  metrics: string[];
  optimizer: Optimizer;
  /** The optimizer's step count and slots (lib/backend/types.ts). */
  state: OptimizerState;
  /** The dropout step counter (every step so far, applied or skipped). */
  dropoutStep: number;
  /** The shuffle generator's state (lib/random.ts `Rng.getState`). */
  shuffleRng: { words: number[]; spare: number | null };
  epochs: number;
}

const DEFAULTS: Record<string, Record<string, unknown>> = {
  sgd: SGD_DEFAULTS,
  adam: ADAM_DEFAULTS,
  adamw: ADAMW_DEFAULTS,
  rmsprop: RMSPROP_DEFAULTS,
};

/** The optimizer's constructor options as plain JSON (its rate at `step` for a plain schedule function). */
function optimizerConfig(opt: Optimizer, step: number): Record<string, unknown> {
  const out: Record<string, unknown> = { name: opt.name };
  for (const key of Object.keys(DEFAULTS[opt.name]!)) {
    if (key === 'learningRate') {
      const lr = opt.learningRate;
      const config = typeof lr === 'function' ? scheduleConfig(lr) : null;
      out.learningRate = typeof lr === 'number' ? lr : config !== null ? { schedule: config } : opt.rateAt(step);
    } else {
      out[key] = (opt as unknown as Record<string, unknown>)[key];
    }
  }
  // Gradient clipping (lib/optimizers/optimizer.ts), when set.
  const clip = opt as { readonly clipNorm?: number; readonly clipValue?: number };
  if (clip.clipNorm !== undefined) out.clipNorm = clip.clipNorm;
  if (clip.clipValue !== undefined) out.clipValue = clip.clipValue;
  return out;
}

function optimizerFromConfig(value: unknown, name: string): Optimizer {
  const o = expectObject(value, name);
  const { name: kind, learningRate, ...rest } = o;
  const options: Record<string, unknown> = { ...rest };
  if (learningRate !== undefined) {
    options.learningRate =
      learningRate !== null && typeof learningRate === 'object'
        ? scheduleFromConfig(
            (() => {
              const lr = expectObject(learningRate, `${name}.learningRate`);
              expectKnownKeys(lr, ['schedule'], `${name}.learningRate`);
              return lr.schedule;
            })(),
            `${name}.learningRate.schedule`,
          )
        : learningRate;
  }
  switch (kind) {
    case 'sgd':
      return new SGD(options);
    case 'adam':
      return new Adam(options);
    case 'adamw':
      return new AdamW(options);
    case 'rmsprop':
      return new RMSProp(options);
  }
  throw invalid("'sgd', 'adam', 'adamw' or 'rmsprop'", `${name}.name`, describe(kind));
}

/** The dense layers' slot tensors: name, shape, and where they sit in a params-layout array. */
function slotTensors(plan: NetworkPlan, slots: readonly string[]) {
  const out: Array<{ name: string; slot: number; shape: number[]; offset: number; count: number }> = [];
  slots.forEach((slotName, k) => {
    plan.specs.forEach((s, i) => {
      // Every trained part (kernel, bias, gamma, beta) that is switched on; running
      // statistics are not parameters and have no optimizer state.
      for (const p of weightParts(s) ?? []) {
        if (p.store !== 'params' || p.offset < 0) continue;
        out.push({
          name: `optimizer.${slotName}.layers.${i}.${p.key}`,
          slot: k,
          shape: p.shape,
          offset: p.offset,
          count: partLength(p),
        });
      }
    });
  });
  return out;
}

/** The metadata entry and the slot tensors of `t` for a network of layout `plan`. */
export function encodeTraining(
  t: TrainingState,
  plan: NetworkPlan,
): { meta: string; tensors: Array<[string, Tensor]> } {
  const slots = optimizerSlotNames(t.optimizer.toSpec());
  const meta = JSON.stringify({
    version: TRAINING_VERSION,
    loss: t.loss,
    metrics: t.metrics,
    optimizer: optimizerConfig(t.optimizer, t.state.step),
    optimizerStep: t.state.step,
    slots,
    dropoutStep: t.dropoutStep,
    shuffleRng: t.shuffleRng,
    epochs: t.epochs,
  });
  const tensors: Array<[string, Tensor]> = slotTensors(plan, slots).map((e) => [
    e.name,
    { shape: e.shape, data: t.state.slots[e.slot]!.subarray(e.offset, e.offset + e.count) },
  ]);
  return { meta, tensors };
}

/** A checked training header and the tensors it declares (not yet read). */
export interface DeclaredTraining {
  header: Omit<TrainingState, 'state'> & { step: number };
  slotCount: number;
  tensors: Array<{ name: string; slot: number; shape: number[]; offset: number }>;
}

/**
 * Checks the training metadata of a file whose layout is `plan` (`outputs` wide) and lists
 * the tensors it declares.
 * @throws TypeError/RangeError with code `DENSELY_INVALID_MODEL`, fields named under `name`.
 */
export function declaredTraining(text: string, plan: NetworkPlan, outputs: number, name: string): DeclaredTraining {
  return asModelError(() => {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw invalid(`${META_TRAINING} as JSON`, name, describe(text));
    }
    const o = expectObject(json, name);
    expectKnownKeys(
      o,
      ['version', 'loss', 'metrics', 'optimizer', 'optimizerStep', 'slots', 'dropoutStep', 'shuffleRng', 'epochs'],
      name,
    );
    if (o.version !== TRAINING_VERSION)
      throw invalid(`version ${TRAINING_VERSION}`, `${name}.version`, describe(o.version), 'range');
    // A bare name, or the loss with its options (fromLogits, labelSmoothing, delta).
    if (typeof o.loss === 'string' && !(LOSSES as readonly string[]).includes(o.loss))
      throw invalid(`one of ${LOSSES.join(', ')}`, `${name}.loss`, describe(o.loss));
    const loss: LossName | LossSpec =
      typeof o.loss === 'string' ? (o.loss as LossName) : resolveLoss(o.loss, `${name}.loss`);
    const lossName = typeof loss === 'string' ? loss : loss.name;
    if (lossName === 'sparseCategoricalCrossentropy' && outputs < 2)
      throw invalid('a loss the network can use', `${name}.loss`, describe(o.loss), 'range');
    const metrics = o.metrics;
    if (!Array.isArray(metrics) || metrics.some((m) => typeof m !== 'string') || metrics.length > 16)
      throw invalid('an array of metric names', `${name}.metrics`, describe(metrics));
    const optimizer = optimizerFromConfig(o.optimizer, `${name}.optimizer`);
    const step = expectInteger(o.optimizerStep, `${name}.optimizerStep`, 0);
    const slots = optimizerSlotNames(optimizer.toSpec());
    const declared = o.slots;
    if (
      !Array.isArray(declared) ||
      declared.length !== slots.length ||
      declared.some((s: unknown, i: number) => s !== slots[i])
    )
      throw invalid(`the slots of ${optimizer.name} [${slots.join(', ')}]`, `${name}.slots`, describe(declared));
    const dropoutStep = expectInteger(o.dropoutStep, `${name}.dropoutStep`, 0);
    const rng = expectObject(o.shuffleRng, `${name}.shuffleRng`);
    expectKnownKeys(rng, ['words', 'spare'], `${name}.shuffleRng`);
    const words = rng.words;
    if (
      !Array.isArray(words) ||
      words.length !== 4 ||
      words.some((w: unknown) => typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > 4294967295) ||
      words.every((w: number) => w === 0)
    )
      throw invalid('4 uint32 words, not all 0', `${name}.shuffleRng.words`, describe(words), 'range');
    const spare = rng.spare;
    if (spare !== null && (typeof spare !== 'number' || !Number.isFinite(spare)))
      throw invalid('null or a finite number', `${name}.shuffleRng.spare`, describe(spare));
    const epochs = expectInteger(o.epochs, `${name}.epochs`, 0);
    return {
      header: {
        loss,
        metrics: metrics as string[],
        optimizer,
        step,
        dropoutStep,
        shuffleRng: { words: words as number[], spare: spare as number | null },
        epochs,
      },
      slotCount: slots.length,
      tensors: slotTensors(plan, slots),
    };
  });
}
