/**
 * Learning-rate schedules: functions of the optimizer step t = 0, 1, 2, … (the number of
 * updates made before this one) returning the rate of update t. Any optimizer's
 * `learningRate` may be one (or a plain number). Steps skipped for a non-finite loss do
 * not advance t. The built-in ones carry their configuration (`schedule.config`), so a
 * checkpoint stores and restores them; a plain function is stored as the rate it gives
 * at the step the checkpoint was taken.
 */
import { expectInteger, expectKnownKeys, expectNumber, expectObject, invalid } from './validate';

/** A learning-rate schedule: the rate (finite, ≥ 0) of the update made after `step` updates. */
export type LearningRateSchedule = (step: number) => number;

/** The configuration of a built-in schedule, as `schedule.config` holds it. */
export type ScheduleConfig =
  | { type: 'stepDecay'; initial: number; stepSize: number; gamma: number }
  | { type: 'exponentialDecay'; initial: number; gamma: number }
  | { type: 'cosineDecay'; initial: number; steps: number; final: number; warmupSteps: number };

/** A built-in schedule: the function and its configuration. */
export type BuiltInSchedule = LearningRateSchedule & { readonly config: ScheduleConfig };

function withConfig(fn: LearningRateSchedule, config: ScheduleConfig): BuiltInSchedule {
  Object.defineProperty(fn, 'config', { value: Object.freeze({ ...config }), enumerable: true });
  return Object.freeze(fn) as BuiltInSchedule;
}

const rate = (v: unknown, name: string): number => expectNumber(v, name, { min: 0 });

/**
 * `initial · gamma^⌊t / stepSize⌋` (PyTorch's `StepLR` stepped once per update).
 * @example new SGD({ learningRate: stepDecay({ initial: 0.1, stepSize: 100, gamma: 0.5 }) })
 */
export function stepDecay(options: { initial: number; stepSize: number; gamma: number }): BuiltInSchedule {
  const o = expectObject(options, 'stepDecay options');
  expectKnownKeys(o, ['initial', 'stepSize', 'gamma'], 'stepDecay options');
  const initial = rate(o.initial, 'initial');
  const stepSize = expectInteger(o.stepSize, 'stepSize', 1);
  const gamma = rate(o.gamma, 'gamma');
  return withConfig((t) => initial * gamma ** Math.floor(t / stepSize), {
    type: 'stepDecay',
    initial,
    stepSize,
    gamma,
  });
}

/**
 * `initial · gamma^t` (PyTorch's `ExponentialLR` stepped once per update).
 * @example new Adam({ learningRate: exponentialDecay({ initial: 1e-3, gamma: 0.999 }) })
 */
export function exponentialDecay(options: { initial: number; gamma: number }): BuiltInSchedule {
  const o = expectObject(options, 'exponentialDecay options');
  expectKnownKeys(o, ['initial', 'gamma'], 'exponentialDecay options');
  const initial = rate(o.initial, 'initial');
  const gamma = rate(o.gamma, 'gamma');
  return withConfig((t) => initial * gamma ** t, { type: 'exponentialDecay', initial, gamma });
}

/**
 * Linear warm-up then cosine decay: `initial · (t + 1) / warmupSteps` for t < warmupSteps,
 * then `final + (initial − final) · (1 + cos(π · min(t − warmupSteps, steps) / steps)) / 2`
 * (PyTorch's `CosineAnnealingLR` with `T_max = steps`, `eta_min = final`, held at `final`
 * after `steps` updates).
 * @example new AdamW({ learningRate: cosineDecay({ initial: 3e-3, steps: 1000, warmupSteps: 50 }) })
 */
export function cosineDecay(options: {
  initial: number;
  steps: number;
  final?: number;
  warmupSteps?: number;
}): BuiltInSchedule {
  const o = expectObject(options, 'cosineDecay options');
  expectKnownKeys(o, ['initial', 'steps', 'final', 'warmupSteps'], 'cosineDecay options');
  const initial = rate(o.initial, 'initial');
  const steps = expectInteger(o.steps, 'steps', 1);
  const final = o.final === undefined ? 0 : rate(o.final, 'final');
  const warmupSteps = o.warmupSteps === undefined ? 0 : expectInteger(o.warmupSteps, 'warmupSteps', 0);
  return withConfig(
    (t) =>
      t < warmupSteps
        ? (initial * (t + 1)) / warmupSteps
        : final + ((initial - final) * (1 + Math.cos((Math.PI * Math.min(t - warmupSteps, steps)) / steps))) / 2,
    { type: 'cosineDecay', initial, steps, final, warmupSteps },
  );
}

/** A built-in schedule rebuilt from its `config` (a checkpoint's). @throws as the builders do. */
export function scheduleFromConfig(config: unknown, name: string): BuiltInSchedule {
  const c = expectObject(config, name);
  const { type, ...rest } = c;
  switch (type) {
    case 'stepDecay':
      return stepDecay(rest as never);
    case 'exponentialDecay':
      return exponentialDecay(rest as never);
    case 'cosineDecay':
      return cosineDecay(rest as never);
  }
  throw invalid("'stepDecay', 'exponentialDecay' or 'cosineDecay'", `${name}.type`, String(type));
}

/** The configuration of a built-in schedule, or null for a plain function. */
export function scheduleConfig(fn: LearningRateSchedule): ScheduleConfig | null {
  const c = (fn as Partial<BuiltInSchedule>).config;
  return c !== undefined && c !== null && typeof c === 'object' ? (c as ScheduleConfig) : null;
}

/**
 * The rate of update `step` under `lr` (a number or a schedule), checked finite and ≥ 0.
 * @throws RangeError (`DENSELY_INVALID_ARGUMENT`) naming the step when a schedule returns anything else.
 */
export function rateAt(lr: number | LearningRateSchedule, step: number): number {
  if (typeof lr === 'number') return lr;
  const v = lr(step) as unknown;
  if (typeof v !== 'number' || !(v >= 0) || v === Infinity)
    throw invalid('a finite learning rate ≥ 0', `learningRate(${step})`, String(v), 'range');
  return v;
}
