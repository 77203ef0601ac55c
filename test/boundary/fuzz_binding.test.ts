/**
 * Seeded fuzzing of the raw binding: the addon's own exports, below the facade's
 * validation. Every method gets argument lists that mix valid values with wrong types
 * (strings, objects, BigInts, symbols, proxies, other typed arrays), bad numbers
 * (negative, fractional, NaN, ±Infinity, 2^31, 2^53), short, zero-length, odd-offset,
 * longer, shared, resizable, shrunk and detached arrays, overlapping inputs and outputs,
 * the model's own parameters as an argument, missing and extra arguments and wrong
 * receivers; trainEpoch runs several epochs at once under forced collections, with
 * references dropped and arrays detached while they run.
 *
 * The oracle:
 * - the process survives (a crash ends the vitest run; under `npm run test:asan` so does
 *   any sanitizer report);
 * - a call returns, or throws a TypeError or RangeError (the binding's DENSELY_INTERNAL
 *   re-checks, V8's own argument errors), or DENSELY_BUSY while an epoch runs;
 * - a call that throws (or an epoch that rejects) has changed nothing: the model's
 *   parameters and the call's output arrays are bitwise as before;
 * - a call with no mutation, or only harmless ones (shared, odd-offset or longer arrays,
 *   special float values, extra arguments), returns;
 * - a shadow model replays every accepted call with copies of its arguments and must
 *   give the same results and parameters, bitwise; accepted sgemm and copyInRange calls
 *   match a float64 reference; after the loop the fuzzed model, its shadow and a fresh
 *   model with the same parameters agree on valid calls.
 *
 * Reproduce a failure (its message names the seed, the case and the call number; the
 * suite's title the calls per method) with
 *   DENSELY_FUZZ_SEED=<seed> DENSELY_FUZZ_CALLS=<calls> npx vitest run --project native test/boundary/fuzz_binding.test.ts
 * DENSELY_FUZZ_CALLS sets the calls per method: 600, or 300 with DENSELY_TEST_QUICK=1
 * (test:asan sets it): about 8,000 or 4,000 fuzzed calls in all (the shadow's replays
 * not counted), 72 or 36 of them epochs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { NativeBinding, NativeModel } from '../../lib/backend/native/binding';
import { packModelSpec, packOptimizerSpec } from '../../lib/backend/native/index';
import type { ModelSpec } from '../../lib/backend/types';
import {
  BAD_NUMBERS,
  type Case,
  copyOf,
  describeArg,
  describeCall,
  detach,
  Gen,
  isDetached,
  isF32,
  isTyped,
  junk,
  lengthOf,
  mutateArgs,
  ODD_FLOATS,
  type Slot,
} from '../support/fuzz_values';
import { type LayerDef, makeSpec, nativeAddonPath, sgd } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const binding = require(nativeAddonPath()) as NativeBinding;
const gc = (globalThis as { gc?: () => void }).gc;

const SEED = Number(process.env.DENSELY_FUZZ_SEED ?? 0x5eed);
const CALLS = Number(process.env.DENSELY_FUZZ_CALLS ?? (process.env.DENSELY_TEST_QUICK === '1' ? 300 : 600));

// ---------------------------------------------------------------------------------------
// Oracle helpers

/** Index of the first bitwise difference of two float arrays, or -1. */
function firstDiff(a: Float32Array, b: Float32Array): number {
  if (lengthOf(a) !== lengthOf(b)) return Math.min(lengthOf(a), lengthOf(b));
  const x = new Uint32Array(copyOf(a).buffer);
  const y = new Uint32Array(copyOf(b).buffer);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

/** A copy of a live Float32Array argument (or null): what it held before a call. */
function snapshot(v: unknown): Float32Array | null {
  return isF32(v) && lengthOf(v) > 0 ? copyOf(v) : null;
}

/** A copy of an argument, for replaying a call on another model. */
function copyArg(v: unknown): unknown {
  return isTyped(v) ? copyOf(v) : v;
}

/** Whether two array arguments share memory, or one shares `params`'. */
function sharesMemory(args: unknown[], params: Float32Array): boolean {
  const views: ArrayBufferView[] = args.filter((a): a is ArrayBufferView => ArrayBuffer.isView(a) && lengthOf(a) > 0);
  views.push(params);
  for (let i = 0; i < views.length; i++) {
    for (let j = i + 1; j < views.length; j++) {
      const a = views[i]!;
      const b = views[j]!;
      if (
        a.buffer === b.buffer &&
        a.byteOffset < b.byteOffset + b.byteLength &&
        b.byteOffset < a.byteOffset + a.byteLength
      )
        return true;
    }
  }
  return false;
}

/**
 * Throws unless `e` is a TypeError or RangeError with a message whose code, if any, is
 * the binding's (or Node's ERR_*); `busy` also allows DENSELY_BUSY, `plain` any Error
 * (node-addon-api's unwrap failure on an accessor).
 */
function checkError(e: unknown, what: string, allow: { busy?: boolean; plain?: boolean } = {}): void {
  const err = e as Error & { code?: unknown };
  const ok =
    e instanceof TypeError ||
    e instanceof RangeError ||
    (allow.busy === true && e instanceof Error && err.code === 'DENSELY_BUSY') ||
    (allow.plain === true && e instanceof Error);
  if (!ok || typeof err.message !== 'string' || err.message.length === 0) {
    throw new Error(
      `${what}: threw ${String(e)} (${(e as object | null)?.constructor?.name}), not a TypeError or RangeError`,
    );
  }
  const code = err.code;
  if (
    code !== undefined &&
    code !== 'DENSELY_INTERNAL' &&
    code !== 'DENSELY_BUSY' &&
    !(typeof code === 'string' && code.startsWith('ERR_'))
  ) {
    throw new Error(`${what}: threw an error with code ${String(code)}`);
  }
}

function same(a: unknown, b: unknown): boolean {
  if (isF32(a) && isF32(b)) return firstDiff(a, b) < 0;
  if ((Array.isArray(a) && Array.isArray(b)) || (isTyped(a) && isTyped(b))) {
    const x = a as ArrayLike<unknown>;
    const y = b as ArrayLike<unknown>;
    return x.length === y.length && Array.from(x).every((v, i) => Object.is(v, y[i]));
  }
  return Object.is(a, b);
}

type Method = (...args: unknown[]) => unknown;

function method(model: NativeModel, name: string): Method {
  return (model as unknown as Record<string, Method>)[name]!;
}

// ---------------------------------------------------------------------------------------
// Models

const ARCHS: ReadonlyArray<{ inputs: number; layers: LayerDef[] }> = [
  {
    inputs: 3,
    layers: [
      { units: 4, activation: 'relu' },
      { units: 2, activation: 'softmax' },
    ],
  },
  { inputs: 5, layers: [{ units: 3, activation: 'tanh', useBias: false }, { dropout: 0.25 }, { units: 3 }] },
  { inputs: 2, layers: [{ units: 1, activation: 'sigmoid' }] },
  {
    inputs: 4,
    layers: [{ dropout: 0.5 }, { units: 6, activation: 'leakyRelu', alpha: 0.1 }, { units: 3, activation: 'gelu' }],
  },
];

function archSpec(a: number): ModelSpec {
  return makeSpec(ARCHS[a]!.inputs, ARCHS[a]!.layers, 1 + a);
}

function initParams(g: Gen, p: Float32Array): void {
  for (let i = 0; i < p.length; i++) p[i] = 0.5 * g.unit();
}

const OPTIMIZER_KINDS = ['sgd', 'adam', 'adamw', 'rmsprop'] as const;

function validOptimizer(g: Gen): Float64Array {
  return packOptimizerSpec({
    ...sgd(0.01 + 0.05 * g.rng.nextFloat()),
    kind: g.pick(OPTIMIZER_KINDS),
    momentum: g.pick([0, 0.9]),
    nesterov: g.chance(0.3),
    weightDecay: g.pick([0, 0.01]),
  });
}

/** Targets for `rows` rows under loss code `loss` (4: sparse class indices). */
function targets(g: Gen, spec: ModelSpec, loss: number, rows: number): Float32Array {
  const cols = loss === 4 ? 1 : spec.outputs;
  const y = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    if (loss === 4) y[r] = g.int(spec.outputs);
    else if (loss >= 2) y[r * cols + g.int(cols)] = 1;
    else for (let c = 0; c < cols; c++) y[r * cols + c] = g.unit();
  }
  return y;
}

/** The model under fuzz and its shadow, which gets only accepted calls, replayed on copies. */
class Twin {
  readonly model: NativeModel;
  readonly shadow: NativeModel;
  loss = 0;
  optimizer: Float64Array;

  constructor(
    readonly spec: ModelSpec,
    g: Gen,
  ) {
    this.model = new binding.Model(packModelSpec(spec));
    this.shadow = new binding.Model(packModelSpec(spec));
    initParams(g, this.model.params);
    this.optimizer = validOptimizer(g);
    this.resync();
  }

  /** Both models in step again: the same parameters, fresh optimizer state on both. */
  resync(): void {
    this.shadow.params.set(this.model.params);
    this.model.setOptimizer(this.optimizer);
    this.shadow.setOptimizer(this.optimizer);
  }

  checkInStep(what: string): void {
    const d = firstDiff(this.model.params, this.shadow.params);
    if (d >= 0)
      throw new Error(`${what}: params[${d}] is ${this.model.params[d]}, the shadow model's ${this.shadow.params[d]}`);
  }
}

type ModelMethod =
  | 'setLoss'
  | 'setOptimizer'
  | 'predict'
  | 'evaluate'
  | 'gradients'
  | 'trainStep'
  | 'setStaging'
  | 'predictStaged'
  | 'requestStop';

/** Methods whose accepted calls are replayed on the shadow and compared. */
const REPLAYED: ReadonlySet<ModelMethod> = new Set([
  'setLoss',
  'setOptimizer',
  'predict',
  'evaluate',
  'gradients',
  'trainStep',
]);
const STATEFUL: ReadonlySet<ModelMethod> = new Set(['setLoss', 'setOptimizer', 'trainStep']);
/** Methods with an optional argument after the ones validCall gives. */
const OPTIONAL_TAIL: ReadonlySet<ModelMethod> = new Set(['setLoss', 'evaluate', 'gradients', 'trainStep']);

/** Valid slots for a call of `name`, and the indices of the output arguments. */
function validCall(
  g: Gen,
  t: Twin,
  name: ModelMethod,
  staged: { x: Float32Array; out: Float32Array },
): { slots: Slot[]; outputs: number[] } {
  const { inputs, outputs, paramCount } = t.spec;
  const rows = g.pick([0, 1, 1, 2, 3, 5, 8]);
  const array = (value: Float32Array | Float64Array): Slot => ({ value, kind: 'array' });
  const count = (value: number): Slot => ({ value, kind: 'count' });
  switch (name) {
    case 'setLoss':
      return { slots: [count(g.int(6))], outputs: [] };
    case 'setOptimizer':
      return { slots: [{ value: validOptimizer(g), kind: 'exact-array' }], outputs: [] };
    case 'predict':
      return { slots: [array(g.floats(rows * inputs)), count(rows), array(g.floats(rows * outputs))], outputs: [2] };
    case 'evaluate':
      return {
        slots: [array(g.floats(rows * inputs)), array(targets(g, t.spec, t.loss, rows)), count(rows)],
        outputs: [],
      };
    case 'gradients':
      return {
        slots: [
          array(g.floats(rows * inputs)),
          array(targets(g, t.spec, t.loss, rows)),
          count(rows),
          array(g.floats(paramCount)),
        ],
        outputs: [3],
      };
    case 'trainStep':
      return {
        slots: [
          array(g.floats(rows * inputs)),
          array(targets(g, t.spec, t.loss, rows)),
          count(rows),
          count(g.int(1000)),
        ],
        outputs: [],
      };
    case 'setStaging':
      // out counts as an output only so that alias() may lay it over x (refused).
      return { slots: [array(g.floats(16 * inputs)), array(g.floats(16 * outputs))], outputs: [1] };
    case 'predictStaged': {
      const r = Math.min(rows, Math.floor(lengthOf(staged.x) / inputs), Math.floor(lengthOf(staged.out) / outputs));
      return { slots: [count(r), count(r * inputs), count(r * outputs)], outputs: [] };
    }
    case 'requestStop':
      return { slots: [], outputs: [] };
  }
}

/**
 * Memory-sharing arguments, now and then: an output over its input's memory, or the
 * model's own parameters in place of an array.
 */
function alias(g: Gen, c: Case, slots: Slot[], outputs: number[], params: Float32Array): void {
  const arrays = slots.map((s, i) => (s.kind === 'array' && isF32(c.args[i]) ? i : -1)).filter((i) => i >= 0);
  if (arrays.length === 0) return;
  if (outputs.length > 0 && isF32(c.args[outputs[0]!]) && g.chance(0.06)) {
    const o = outputs[0]!;
    const input = arrays.find((i) => i !== o);
    const src = input === undefined ? undefined : (c.args[input] as Float32Array);
    const outLength = lengthOf(c.args[o] as Float32Array);
    if (src !== undefined && lengthOf(src) > 0) {
      const buf = new Float32Array(lengthOf(src) + outLength);
      buf.set(src);
      const shift = g.int(lengthOf(src));
      c.args[input!] = buf.subarray(0, lengthOf(src));
      c.args[o] = buf.subarray(shift, shift + outLength);
      c.notes.push(`arg ${o} overlaps arg ${input} from ${shift}`);
      c.benign = false;
    }
  } else if (g.chance(0.04)) {
    const i = g.pick(arrays);
    const want = lengthOf(c.args[i] as Float32Array);
    c.args[i] = params.subarray(0, Math.min(want, params.length));
    c.notes.push(`arg ${i} is the model's params`);
    c.benign = c.benign && want <= params.length && !outputs.includes(i);
  }
}

/** After the loop: the fuzzed model, its shadow and a fresh model agree on valid calls. */
function checkAgreement(g: Gen, t: Twin, what: string): void {
  const { inputs, outputs, paramCount } = t.spec;
  t.resync();
  const loss = 3;
  const fresh = new binding.Model(packModelSpec(t.spec));
  fresh.params.set(t.model.params);
  fresh.setOptimizer(t.optimizer);
  const rows = 7;
  const x = g.floats(rows * inputs);
  const y = targets(g, t.spec, loss, rows);
  const runs = [t.model, t.shadow, fresh].map((m) => {
    m.setLoss(loss);
    const out = new Float32Array(rows * outputs);
    m.predict(x, rows, out);
    const grads = new Float32Array(paramCount);
    const gradLoss = m.gradients(x, y, rows, grads);
    const evaluated = m.evaluate(x, y, rows);
    const step = m.trainStep(x, y, rows, 3);
    return { out, grads, gradLoss, evaluated, step, params: Float32Array.from(m.params) };
  });
  const [ref, ...others] = runs;
  for (const [k, r] of others.entries()) {
    const who = `${what}: ${k === 0 ? 'the shadow' : 'a fresh model'} against the fuzzed model`;
    expect(firstDiff(r.out, ref!.out), `${who}, predict`).toBe(-1);
    expect(firstDiff(r.grads, ref!.grads), `${who}, gradients`).toBe(-1);
    expect(r.gradLoss, `${who}, gradients' loss`).toBe(ref!.gradLoss);
    expect(r.evaluated, `${who}, evaluate`).toEqual(ref!.evaluated);
    expect(r.step, `${who}, trainStep`).toEqual(ref!.step);
    expect(firstDiff(r.params, ref!.params), `${who}, params after trainStep`).toBe(-1);
  }
  fresh.dispose();
}

interface EpochState {
  calls: number;
  stopped: boolean;
}

/**
 * onBatches for a fuzzed epoch, made outside the loop that starts the epochs, so the
 * loop's own closures hold neither the model nor the arrays once the epoch runs.
 */
function epochCallback(
  g: Gen,
  model: NativeModel,
  spec: ModelSpec,
  arrays: Float32Array[],
  state: EpochState,
  problems: string[],
): { value: unknown; note: string } {
  switch (g.int(6)) {
    case 0:
      return { value: undefined, note: 'no callback' };
    case 1:
      return { value: () => void state.calls++, note: 'a counting callback' };
    case 2:
      return { value: g.pick<unknown>([5, 'cb', {}, null]), note: 'a non-function callback' };
    case 3:
      return {
        note: 'a callback that calls the busy model',
        value: (packed: unknown) => {
          state.calls++;
          if (!(packed instanceof Float64Array) || packed.length % 4 !== 0)
            problems.push(`packed batches: ${describeArg(packed)}`);
          try {
            model.predict(new Float32Array(spec.inputs), 1, new Float32Array(spec.outputs));
            problems.push('predict on a busy model returned');
          } catch (e) {
            if ((e as { code?: string }).code !== 'DENSELY_BUSY')
              problems.push(`predict on a busy model threw ${String(e)}`);
          }
        },
      };
    case 4:
      return {
        note: 'a callback that detaches x and y',
        value: () => {
          if (state.calls++ > 0) return;
          for (const v of arrays) if (!(v.buffer instanceof SharedArrayBuffer) && !isDetached(v)) detach(v);
          gc?.();
        },
      };
    default:
      return {
        note: 'a callback that stops the epoch',
        value: () => {
          if (state.calls++ !== 1) return;
          state.stopped = true;
          model.requestStop();
        },
      };
  }
}

// ---------------------------------------------------------------------------------------
// Reference results

/** C ← alpha·op(A)·op(B) + beta·C in float64 (beta = 0: C is not read). */
function referenceSgemm(
  ta: boolean,
  tb: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  beta: number,
  c: Float32Array,
  ldc: number,
): { want: Float64Array; bound: Float64Array } {
  const want = new Float64Array(c.length);
  const bound = new Float64Array(c.length);
  for (let i = 0; i < c.length; i++) want[i] = c[i]!;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let mag = 0;
      for (let p = 0; p < k; p++) {
        const av = ta ? a[p * lda + i]! : a[i * lda + p]!;
        const bv = tb ? b[j * ldb + p]! : b[p * ldb + j]!;
        s += av * bv;
        mag += Math.abs(av * bv);
      }
      const old = beta === 0 ? 0 : beta * c[i * ldc + j]!;
      want[i * ldc + j] = alpha * s + old;
      bound[i * ldc + j] = Math.abs(alpha) * mag + Math.abs(old);
    }
  }
  return { want, bound };
}

// ---------------------------------------------------------------------------------------
// The fuzz

const startThreads = binding.getThreads();
afterAll(() => binding.setThreads(startThreads));

describe(`fuzzed raw binding calls (DENSELY_FUZZ_SEED=${SEED}, ${CALLS} calls per method)`, () => {
  it('new Model(spec): mutated, truncated, mistyped and huge specs', () => {
    const g = new Gen(SEED ^ 0x1001);
    const before = binding.stats().models;
    let accepted = 0;
    for (let i = 0; i < CALLS; i++) {
      const arch = g.int(ARCHS.length);
      const spec = packModelSpec(archSpec(arch));
      const slots: Slot[] = [{ value: spec, kind: 'exact-array' }];
      const c = mutateArgs(g, slots);
      // Entries of the spec itself, in place: any slot, and the sizes with huge values.
      const entries = c.args[0] === spec ? g.int(4) : 0;
      for (let e = 0; e < entries; e++) {
        const at = g.int(spec.length);
        const v =
          at === 2 && g.chance(0.5)
            ? g.pick([2 ** 32, 2 ** 40, 2 ** 50, 2 ** 53, 1e300, spec[2]! + 1, spec[2]! - 1])
            : g.chance(0.5)
              ? g.pick(BAD_NUMBERS)
              : spec[at]! + g.pick([-2, -1, 1, 2, 255]);
        c.notes.push(`spec[${at}] ${spec[at]}→${v}`);
        spec[at] = v;
        c.benign = c.benign && at === 3 && Number.isInteger(v) && v >= 0 && v < 2 ** 32;
      }
      if (c.args[0] === spec && g.chance(0.1)) {
        // The layer count against the length: one more layer declared, or one less given.
        const cut = g.chance(0.5);
        c.args[0] = cut ? spec.subarray(0, spec.length - 8) : Float64Array.of(...spec, 0, 1, 1, 0, 0, 0, 0, 0);
        c.notes.push(cut ? 'a layer cut off' : 'a layer too many');
        c.benign = false;
      }
      const what = `seed ${SEED}, spec ${i}: ${describeCall('new Model', c)}`;
      let m: NativeModel;
      try {
        m = new binding.Model(...(c.args as [Float64Array]));
      } catch (e) {
        checkError(e, what);
        if (c.benign) throw new Error(`${what}: refused a valid spec: ${String(e)}`);
        continue;
      }
      accepted++;
      const used = c.args[0] as Float64Array;
      const [inputs, outputs, paramCount] = [used[0]!, used[1]!, used[2]!];
      expect(m.params.length, what).toBe(paramCount);
      const out = new Float32Array(2 * outputs);
      m.predict(g.floats(2 * inputs), 2, out);
      m.dispose();
      if (i % 53 === 0) gc?.();
    }
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(CALLS);
    expect(binding.stats().models).toBe(before);
  });

  it('Model methods: clean errors, nothing changed on a throw, in step with a shadow model', () => {
    const g = new Gen(SEED);
    const names: ModelMethod[] = [
      'setLoss',
      'setOptimizer',
      'predict',
      'evaluate',
      'gradients',
      'trainStep',
      'setStaging',
      'predictStaged',
      'requestStop',
    ];
    let calls = 0;
    let threw = 0;
    for (let a = 0; a < ARCHS.length; a++) {
      const t = new Twin(archSpec(a), g);
      let staged = { x: g.floats(16 * t.spec.inputs), out: g.floats(16 * t.spec.outputs) };
      t.model.setStaging(staged.x, staged.out);
      const perArch = Math.ceil((CALLS * names.length) / ARCHS.length);
      for (let i = 0; i < perArch; i++) {
        const name = names[g.int(names.length)]!;
        const { slots, outputs } = validCall(g, t, name, staged);
        const c = mutateArgs(g, slots);
        // An argument past the valid ones is ignored, except where a method takes an
        // optional one (setLoss's options, the row weights of evaluate, gradients and
        // trainStep): there it is checked like any other.
        if (OPTIONAL_TAIL.has(name) && c.args.length > slots.length && c.args[slots.length] !== undefined)
          c.benign = false;
        alias(g, c, slots, outputs, t.model.params);
        // Now and then a wrong receiver: V8's signature check refuses the call.
        const receiver: unknown = g.chance(0.03)
          ? g.pick<unknown>([undefined, {}, 7, Object.create(binding.Model.prototype)])
          : t.model;
        const what = `seed ${SEED}, arch ${a}, call ${i}: ${describeCall(name, c)}${receiver !== t.model ? ' on a wrong receiver' : ''}`;

        const params = Float32Array.from(t.model.params);
        const outsBefore = outputs.map((o) => snapshot(c.args[o]));
        const stagedOutBefore = name === 'predictStaged' ? snapshot(staged.out) : null;
        const replay = c.args.map(copyArg);
        const shared = sharesMemory(c.args, t.model.params);
        calls++;
        let result: unknown;
        try {
          result = method(t.model, name).apply(receiver, c.args);
        } catch (e) {
          threw++;
          checkError(e, what);
          if (c.benign && receiver === t.model) throw new Error(`${what}: refused a valid call: ${String(e)}`);
          const d = firstDiff(t.model.params, params);
          if (d >= 0)
            throw new Error(`${what}: threw, but changed params[${d}] from ${params[d]} to ${t.model.params[d]}`);
          outputs.forEach((o, k) => {
            const now = c.args[o];
            if (
              outsBefore[k] &&
              isF32(now) &&
              lengthOf(now) === outsBefore[k]!.length &&
              firstDiff(now, outsBefore[k]!) >= 0
            ) {
              throw new Error(`${what}: threw, but wrote into argument ${o}`);
            }
          });
          if (
            stagedOutBefore &&
            lengthOf(staged.out) === stagedOutBefore.length &&
            firstDiff(staged.out, stagedOutBefore) >= 0
          ) {
            throw new Error(`${what}: threw, but wrote into the staged out`);
          }
          continue;
        }
        if (receiver !== t.model) throw new Error(`${what}: returned`);
        if (name === 'setStaging') staged = { x: c.args[0] as Float32Array, out: c.args[1] as Float32Array };
        if (name === 'setLoss') t.loss = c.args[0] as number;
        if (name === 'setOptimizer') t.optimizer = Float64Array.from(c.args[0] as Float64Array);

        if (REPLAYED.has(name)) {
          let want: unknown;
          try {
            want = method(t.shadow, name).apply(t.shadow, replay);
          } catch (e) {
            throw new Error(`${what}: accepted, but the shadow model refused a copy of its arguments: ${String(e)}`);
          }
          if (shared) {
            // Arguments share memory (with each other or the parameters): results may
            // differ from the copies'; both models start again from this one's state.
            if (STATEFUL.has(name)) t.resync();
            else t.shadow.params.set(t.model.params);
          } else {
            if (!same(result, want))
              throw new Error(`${what}: returned ${String(result)}, the shadow model ${String(want)}`);
            for (const o of outputs) {
              const got = c.args[o];
              const exp = replay[o];
              const d = isF32(got) && isF32(exp) ? firstDiff(got, exp) : -1;
              if (d >= 0)
                throw new Error(
                  `${what}: argument ${o}[${d}] is ${(got as Float32Array)[d]}, the shadow model wrote ${(exp as Float32Array)[d]}`,
                );
            }
            t.checkInStep(what);
          }
        } else if (shared || sharesMemory([staged.x, staged.out], t.model.params)) {
          // The staged out may be the parameters: the shadow takes them over.
          t.shadow.params.set(t.model.params);
        } else {
          const d = firstDiff(t.model.params, params);
          if (d >= 0) throw new Error(`${what}: changed params[${d}]`);
        }
        const stagedRows = c.args[0] as number;
        if (name === 'predictStaged' && stagedRows > 0 && !sharesMemory([staged.x, staged.out], t.model.params)) {
          const rows = stagedRows;
          const want = new Float32Array(rows * t.spec.outputs);
          t.shadow.predict(Float32Array.from(staged.x.subarray(0, rows * t.spec.inputs)), rows, want);
          const d = firstDiff(staged.out.subarray(0, want.length), want);
          if (d >= 0) throw new Error(`${what}: staged out[${d}] is ${staged.out[d]}, predict gives ${want[d]}`);
        }
        // Staged arrays over plain ArrayBuffers may be detached later: the binding must
        // look them up again rather than write into freed memory.
        if (name === 'setStaging' && g.chance(0.3)) {
          const victim = g.chance(0.5) ? staged.out : staged.x;
          if (!(victim.buffer instanceof SharedArrayBuffer) && !isDetached(victim)) detach(victim);
        }
        // A NaN learning rate is accepted and makes every later number NaN: start both
        // models again from finite parameters.
        if (!t.model.params.every(Number.isFinite)) {
          initParams(g, t.model.params);
          t.resync();
        }
        if (i % 97 === 0) gc?.();
      }
      checkAgreement(g, t, `seed ${SEED}, arch ${a}`);
      t.model.dispose();
      t.shadow.dispose();
    }
    expect(threw).toBeGreaterThan(calls / 4);
    expect(threw).toBeLessThan(calls);
  });

  it('sgemm: refused or equal to a float64 reference, C untouched when refused', () => {
    const g = new Gen(SEED ^ 0x2002);
    const dims = [0, 1, 2, 3, 5, 7, 9, 17];
    let compared = 0;
    for (let i = 0; i < CALLS; i++) {
      const ta = g.chance(0.5);
      const tb = g.chance(0.5);
      const [m, n, k] = [g.pick(dims), g.pick(dims), g.pick(dims)];
      const lda = Math.max(1, ta ? m : k) + g.int(3);
      const ldb = Math.max(1, tb ? k : n) + g.int(3);
      const ldc = Math.max(1, n) + g.int(3);
      const span = (rows: number, cols: number, ld: number): number =>
        rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
      const a = g.floats(ta ? span(k, m, lda) : span(m, k, lda));
      const b = g.floats(tb ? span(n, k, ldb) : span(k, n, ldb));
      const beta = g.pick([0, 0, 1, 0.5]);
      // beta = 0: C is never read, so NaN there must not show in the result.
      const c = beta === 0 ? new Float32Array(span(m, n, ldc)).fill(NaN) : g.floats(span(m, n, ldc));
      const slots: Slot[] = [
        { value: ta, kind: 'bool' },
        { value: tb, kind: 'bool' },
        { value: m, kind: 'count' },
        { value: n, kind: 'count' },
        { value: k, kind: 'count' },
        { value: g.pick([1, -0.5, 2]), kind: 'float' },
        { value: a, kind: 'array' },
        { value: lda, kind: 'count' },
        { value: b, kind: 'array' },
        { value: ldb, kind: 'count' },
        { value: beta, kind: 'float' },
        { value: c, kind: 'array' },
        { value: ldc, kind: 'count' },
      ];
      const cs = mutateArgs(g, slots);
      if (g.chance(0.05) && a.length > 0) {
        cs.args[11] = new Float32Array(a.buffer, 0, Math.min(a.length, c.length));
        cs.notes.push('c over a');
        cs.benign = false;
      }
      const what = `seed ${SEED}, sgemm ${i}: ${describeCall('sgemm', cs)}`;
      const out = cs.args[11];
      const outBefore = snapshot(out);
      const args = cs.args as Parameters<NativeBinding['sgemm']>;
      try {
        binding.sgemm(...args);
      } catch (e) {
        checkError(e, what);
        if (cs.benign) throw new Error(`${what}: refused a valid call: ${String(e)}`);
        if (outBefore && isF32(out) && lengthOf(out) === outBefore.length && firstDiff(out, outBefore) >= 0)
          throw new Error(`${what}: threw, but wrote into c`);
        continue;
      }
      // Accepted: compare when the operands are the generated ones, finite and apart.
      const [ta2, tb2, m2, n2, k2, alpha2, a2, lda2, b2, ldb2, beta2, c2, ldc2] = args;
      if (!(isF32(a2) && isF32(b2) && isF32(c2) && outBefore)) continue;
      if (
        typeof m2 !== 'number' ||
        typeof n2 !== 'number' ||
        typeof k2 !== 'number' ||
        typeof alpha2 !== 'number' ||
        typeof beta2 !== 'number'
      )
        continue;
      if (typeof lda2 !== 'number' || typeof ldb2 !== 'number' || typeof ldc2 !== 'number') continue;
      if (
        ![alpha2, beta2].every(Number.isFinite) ||
        Math.abs(alpha2) > 1e30 ||
        Math.abs(beta2) > 1e30 ||
        sharesMemory([a2, b2, c2], new Float32Array(1))
      )
        continue;
      const finite = (v: Float32Array): boolean => copyOf(v).every(Number.isFinite);
      if (!finite(a2) || !finite(b2) || (beta2 !== 0 && !finite(outBefore))) continue;
      // The binding reads a number as a boolean by `!= 0` (NaN is true) and alpha, beta as floats.
      const flag = (v: unknown): boolean => (typeof v === 'boolean' ? v : v !== 0);
      const { want, bound } = referenceSgemm(
        flag(ta2),
        flag(tb2),
        m2,
        n2,
        k2,
        Math.fround(alpha2),
        a2,
        lda2,
        b2,
        ldb2,
        Math.fround(beta2),
        outBefore,
        ldc2,
      );
      for (let j = 0; j < lengthOf(c2); j++) {
        const inC = Math.floor(j / ldc2) < m2 && j % ldc2 < n2;
        const expected = inC ? want[j]! : outBefore[j]!;
        const tol = inC ? 1e-5 * bound[j]! + 1e-30 : 0;
        if (!(Math.abs(c2[j]! - expected) <= tol) && !Object.is(c2[j], expected))
          throw new Error(`${what}: c[${j}] is ${c2[j]}, want ${expected} (tolerance ${tol})`);
      }
      compared++;
    }
    expect(compared).toBeGreaterThan(CALLS / 10);
  });

  it('copyInRange: refused, or a bitwise copy and the first index outside [lo, hi]', () => {
    const g = new Gen(SEED ^ 0x3003);
    let compared = 0;
    for (let i = 0; i < CALLS; i++) {
      const n = g.int(40);
      const src = g.floats(n);
      for (let j = 0; j < n; j++) if (g.chance(0.03)) src[j] = g.pick(ODD_FLOATS);
      const dst = g.floats(n);
      const slots: Slot[] = [
        { value: src, kind: 'exact-array' },
        { value: dst, kind: 'exact-array' },
        { value: g.pick([-1, -0.9, -3.4e38]), kind: 'float' },
        { value: g.pick([1, 0.9, 3.4e38]), kind: 'float' },
      ];
      const c = mutateArgs(g, slots);
      if (g.chance(0.05) && n > 1) {
        const buf = new Float32Array(2 * n);
        const shift = g.int(n);
        c.args[0] = buf.subarray(0, n);
        c.args[1] = buf.subarray(shift, shift + n);
        c.notes.push(`dst overlaps src from ${shift}`);
        c.benign = false;
      }
      const what = `seed ${SEED}, copyInRange ${i}: ${describeCall('copyInRange', c)}`;
      const dstBefore = snapshot(c.args[1]);
      const srcBefore = snapshot(c.args[0]);
      let at: number;
      try {
        at = (binding.copyInRange as Method)(...c.args) as number;
      } catch (e) {
        checkError(e, what);
        if (c.benign) throw new Error(`${what}: refused a valid call: ${String(e)}`);
        const d = c.args[1];
        if (dstBefore && isF32(d) && lengthOf(d) === dstBefore.length && firstDiff(d, dstBefore) >= 0)
          throw new Error(`${what}: threw, but wrote into dst`);
        continue;
      }
      const [s, d, lo, hi] = c.args as [Float32Array, Float32Array, number, number];
      const copied = srcBefore ?? new Float32Array(0);
      if (firstDiff(d, copied) >= 0) throw new Error(`${what}: dst differs from src at ${firstDiff(d, copied)}`);
      const flo = Math.fround(lo);
      const fhi = Math.fround(hi);
      const want = copied.findIndex((v) => !(v >= flo && v <= fhi));
      if (at !== want) throw new Error(`${what}: returned ${at}, want ${want} (src length ${lengthOf(s)})`);
      compared++;
    }
    expect(compared).toBeGreaterThan(CALLS / 10);
  });

  it('setThreads: refused, or the count getThreads reports', () => {
    const g = new Gen(SEED ^ 0x4004);
    for (let i = 0; i < Math.ceil(CALLS / 3); i++) {
      const valid = 1 + g.int(3);
      const slots: Slot[] = [{ value: valid, kind: 'other' }];
      // Counts up to 1024 are valid (and would start that many threads): bad values only.
      const c = g.chance(0.3) ? { args: [valid], notes: [], benign: true } : mutateArgs(g, slots);
      if (c.args.length > 0 && g.chance(0.5)) c.args[0] = g.pick(BAD_NUMBERS);
      const what = `seed ${SEED}, setThreads ${i}: ${describeCall('setThreads', c)}`;
      const before = binding.getThreads();
      try {
        (binding.setThreads as Method)(...c.args);
      } catch (e) {
        checkError(e, what);
        expect(binding.getThreads(), what).toBe(before);
        continue;
      }
      expect(binding.getThreads(), what).toBe(c.args[0]);
    }
    binding.setThreads(startThreads);
  });

  it('dispose with any arguments; every call after it refused; wrong receivers and new-less construction', () => {
    const g = new Gen(SEED ^ 0x5005);
    const before = binding.stats().models;
    for (let i = 0; i < Math.ceil(CALLS / 10); i++) {
      const spec = archSpec(g.int(ARCHS.length));
      const m = new binding.Model(packModelSpec(spec));
      const extra = Array.from({ length: g.int(3) }, () => junk(g).value);
      const what = `seed ${SEED}, dispose ${i} with ${extra.map(describeArg).join(', ')}`;
      (m.dispose as Method).apply(m, extra);
      expect(binding.stats().models, what).toBe(before);
      (m.dispose as Method).apply(m, extra);
      m.requestStop();
      m.setStaging(new Float32Array(4), new Float32Array(4));
      expect(m.busy).toBe(false);
      expect(m.params.length).toBe(spec.paramCount);
      m.params[0] = 1;
      const x = new Float32Array(spec.inputs);
      const y = new Float32Array(spec.outputs);
      const after: Array<[string, () => unknown]> = [
        ['setLoss', () => m.setLoss(0)],
        ['setOptimizer', () => m.setOptimizer(validOptimizer(g))],
        ['predict', () => m.predict(x, 1, y)],
        ['predictStaged', () => m.predictStaged(0, 0, 0)],
        ['evaluate', () => m.evaluate(x, y, 1)],
        ['gradients', () => m.gradients(x, y, 1, new Float32Array(spec.paramCount))],
        ['trainStep', () => m.trainStep(x, y, 1, 0)],
        ['trainEpoch', () => m.trainEpoch(x, y, Int32Array.of(0), 1, 0)],
      ];
      for (const [name, call] of after) {
        let err: unknown;
        try {
          call();
        } catch (e) {
          err = e;
        }
        checkError(err, `${what}: ${name} after dispose`);
        expect((err as { code?: string }).code, `${what}: ${name} after dispose`).toBe('DENSELY_INTERNAL');
      }
    }
    // Accessors and methods on objects that are not models, and the class without new.
    const m = new binding.Model(packModelSpec(archSpec(0)));
    const proto = binding.Model.prototype as object;
    for (const receiver of [undefined, {}, 7, Object.create(proto), proto]) {
      for (const key of ['params', 'busy']) {
        const get = Object.getOwnPropertyDescriptor(proto, key)!.get!;
        let err: unknown;
        try {
          get.call(receiver);
        } catch (e) {
          err = e;
        }
        checkError(err, `the ${key} getter on ${describeArg(receiver)}`, { plain: true });
      }
      expect(
        () => m.predict.call(receiver, new Float32Array(3), 1, new Float32Array(2)),
        `predict on ${describeArg(receiver)}`,
      ).toThrow(TypeError);
    }
    expect(() => (binding.Model as unknown as Method)(packModelSpec(archSpec(0)))).toThrow(TypeError);
    m.dispose();
  });

  it('trainEpoch: fuzzed arguments, several epochs at once, references dropped and forced GC while they run', async () => {
    const g = new Gen(SEED ^ 0x6006);
    const timer = setInterval(() => gc?.(), 2);
    const callbackProblems: string[] = [];
    let settled = 0;
    let rejected = 0;
    let replayed = 0;
    try {
      for (let round = 0; round < Math.ceil(CALLS / 25); round++) {
        const running: Array<{
          done: Promise<Float64Array>;
          params: Float32Array;
          before: Float32Array;
          what: string;
          replay: () => Promise<[Float64Array, Float32Array]> | null;
          stopped: () => boolean;
        }> = [];
        for (let j = 0; j < 3; j++) {
          const arch = g.int(ARCHS.length);
          const spec = archSpec(arch);
          const loss = g.pick([0, 3, 4]);
          const opt = validOptimizer(g);
          let model: NativeModel | null = new binding.Model(packModelSpec(spec));
          initParams(g, model.params);
          model.setLoss(loss);
          model.setOptimizer(opt);
          const init = Float32Array.from(model.params);
          const rows = 1 + g.int(300);
          const x = g.floats(rows * spec.inputs);
          const y = targets(g, spec, loss, rows);
          const order = new Int32Array(g.int(rows + 5));
          for (let r = 0; r < order.length; r++) order[r] = g.int(rows);
          const batch = 1 + g.int(8);
          const state: EpochState = { calls: 0, stopped: false };
          const cb = epochCallback(g, model, spec, [x, y], state, callbackProblems);
          const slots: Slot[] = [
            { value: x, kind: 'array' },
            { value: y, kind: 'array' },
            { value: order, kind: 'array' },
            { value: batch, kind: 'count' },
            { value: g.int(100), kind: 'count' },
            { value: cb.value, kind: 'other' },
          ];
          const c = mutateArgs(g, slots);
          if (g.chance(0.15) && order.length > 0) {
            // An index outside x, in any batch: refused before any step.
            const at = g.int(order.length);
            order[at] = g.pick([rows, -1, 2 ** 31 - 1, -(2 ** 31)]);
            c.notes.push(`order[${at}] = ${order[at]}`);
          }
          const what = `seed ${SEED}, round ${round}, epoch ${j}: ${describeCall('trainEpoch', c)} with ${cb.note}`;
          const replayArgs = c.args.map(copyArg);
          const before = Float32Array.from(model.params);
          let done: Promise<Float64Array>;
          try {
            done = (model.trainEpoch as Method).apply(model, c.args) as Promise<Float64Array>;
          } catch (e) {
            checkError(e, what);
            expect(firstDiff(model.params, before), `${what}: threw, but changed params`).toBe(-1);
            model.dispose();
            continue;
          }
          expect(done, what).toBeInstanceOf(Promise);
          expect(model.busy, what).toBe(true);
          let busyErr: unknown;
          try {
            model.dispose();
          } catch (e) {
            busyErr = e;
          }
          expect((busyErr as { code?: string } | undefined)?.code, `${what}: dispose while busy`).toBe('DENSELY_BUSY');
          const params = model.params;
          // Only the running epoch (and its callback) holds the model and the arrays from
          // here; the timer collects every 2 ms.
          model = null;
          running.push({
            done,
            params,
            before,
            what,
            stopped: () => state.stopped,
            replay: () => {
              const twin = new binding.Model(packModelSpec(spec));
              twin.params.set(init);
              twin.setLoss(loss);
              twin.setOptimizer(opt);
              const args = [...replayArgs];
              if (args.length > 5) args[5] = undefined;
              return ((twin.trainEpoch as Method).apply(twin, args) as Promise<Float64Array>).then((r) => {
                const p = Float32Array.from(twin.params);
                twin.dispose();
                return [r, p] as [Float64Array, Float32Array];
              });
            },
          });
        }
        const outcomes = await Promise.allSettled(running.map((r) => r.done));
        for (const [k, outcome] of outcomes.entries()) {
          const r = running[k]!;
          settled++;
          if (outcome.status === 'rejected') {
            rejected++;
            checkError(outcome.reason, r.what);
            expect((outcome.reason as { code?: string }).code, r.what).toBe('DENSELY_INTERNAL');
            const d = firstDiff(r.params, r.before);
            if (d >= 0)
              throw new Error(`${r.what}: rejected, but changed params[${d}] from ${r.before[d]} to ${r.params[d]}`);
            continue;
          }
          const res = outcome.value;
          expect(res, r.what).toBeInstanceOf(Float64Array);
          expect(res.length, r.what).toBe(6);
          expect([0, 1, 2], r.what).toContain(res[4]);
          if (r.stopped()) continue;
          // Not stopped: a fresh model given copies of the arguments trains the same.
          const [want, wantParams] = await r.replay()!;
          expect(same(res, want), `${r.what}: resolved ${Array.from(res)}, a fresh model ${Array.from(want)}`).toBe(
            true,
          );
          const d = firstDiff(r.params, wantParams);
          if (d >= 0) throw new Error(`${r.what}: params[${d}] is ${r.params[d]}, a fresh model's ${wantParams[d]}`);
          replayed++;
        }
      }
    } finally {
      clearInterval(timer);
    }
    expect(callbackProblems).toEqual([]);
    expect(rejected).toBeGreaterThan(0);
    expect(replayed).toBeGreaterThan(0);
    expect(settled).toBeGreaterThan(rejected);
  });
});

describe('regressions found by the fuzz', () => {
  it('a consistent spec of 2^40 parameters is refused (it aborted the process: V8 fails the allocation as out of memory)', () => {
    const side = 2 ** 20;
    const spec = Float64Array.of(side, side, side * side, 1, 1, 0, side, side, 0, 0.01, 0, 0, -1);
    expect(() => new binding.Model(spec)).toThrow(expect.objectContaining({ code: 'DENSELY_INTERNAL' }));
  });

  it('a spec without a Dense layer is refused (predict with x = out was an overlapping memcpy)', () => {
    expect(() => new binding.Model(Float64Array.of(4, 4, 0, 1, 0))).toThrow(
      expect.objectContaining({ code: 'DENSELY_INTERNAL' }),
    );
    expect(() => new binding.Model(Float64Array.of(4, 4, 0, 1, 1, 1, 4, 4, 0, 0.5, 0, 0, -1))).toThrow(
      expect.objectContaining({ code: 'DENSELY_INTERNAL' }),
    );
  });

  it('params cannot be detached (a transferred params buffer left the network writing freed memory)', () => {
    const spec = archSpec(0);
    const m = new binding.Model(packModelSpec(spec));
    expect(m.params.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(() => detach(m.params)).toThrow();
    gc?.();
    m.params.fill(0.25);
    const out = new Float32Array(spec.outputs);
    m.predict(new Float32Array(spec.inputs).fill(1), 1, out);
    expect(out.every(Number.isFinite)).toBe(true);
    m.dispose();
  });

  it('predictStaged looks up staged arrays over plain buffers again (a detached one was written after being freed)', () => {
    const spec = archSpec(0);
    const m = new binding.Model(packModelSpec(spec));
    const x = new Float32Array(8 * spec.inputs).fill(0.5);
    const out = new Float32Array(8 * spec.outputs);
    m.setStaging(x, out);
    m.predictStaged(8, x.length, out.length);
    const want = new Float32Array(8 * spec.outputs);
    m.predict(x, 8, want);
    expect(Array.from(out)).toEqual(Array.from(want));
    detach(out);
    gc?.();
    expect(() => m.predictStaged(8, x.length, 8 * spec.outputs)).toThrow(
      expect.objectContaining({ code: 'DENSELY_INTERNAL' }),
    );
    m.predictStaged(0, 0, 0);
    // Shared staged arrays (the backend's) are read once and keep working.
    const sx = new Float32Array(new SharedArrayBuffer(x.byteLength));
    const so = new Float32Array(new SharedArrayBuffer(want.byteLength));
    sx.set(x);
    m.setStaging(sx, so);
    m.predictStaged(8, sx.length, so.length);
    expect(Array.from(so)).toEqual(Array.from(want));
    m.dispose();
  });

  it('an epoch refused for a bad index has changed nothing (the batches before it used to train)', async () => {
    const spec = archSpec(0);
    const g = new Gen(SEED ^ 0x7007);
    const twins = [0, 1].map(() => {
      const m = new binding.Model(packModelSpec(spec));
      m.setLoss(3);
      m.setOptimizer(packOptimizerSpec({ ...sgd(0.05), kind: 'adam' }));
      return m;
    });
    initParams(g, twins[0]!.params);
    twins[1]!.params.set(twins[0]!.params);
    const rows = 6;
    const x = g.floats(rows * spec.inputs);
    const y = targets(g, spec, 3, rows);
    const before = Float32Array.from(twins[0]!.params);
    await expect(twins[0]!.trainEpoch(x, y, Int32Array.of(0, 1, 2, 3, 4, 6), 2, 0)).rejects.toMatchObject({
      code: 'DENSELY_INTERNAL',
    });
    expect(firstDiff(twins[0]!.params, before)).toBe(-1);
    // The optimizer state too: the next epoch is the one a model that never saw it runs.
    const order = Int32Array.of(5, 4, 3, 2, 1, 0);
    const [a, b] = await Promise.all(twins.map((m) => m.trainEpoch(x, y, order, 2, 0)));
    expect(Array.from(a!)).toEqual(Array.from(b!));
    expect(firstDiff(twins[0]!.params, twins[1]!.params)).toBe(-1);
    for (const m of twins) m.dispose();
  });

  it('an epoch trains on what x held at the call, whatever happens to a plain x meanwhile (a detached x was read after being freed)', async () => {
    const spec = archSpec(1);
    const g = new Gen(SEED ^ 0x8008);
    // Long enough (batch 1) that the first onBatches comes, and the detached memory is
    // swept, while batches remain.
    const rows = 20_000;
    const data = g.floats(rows * spec.inputs);
    const y = targets(g, spec, 0, rows);
    const order = new Int32Array(rows).map((_, i) => (i * 7919) % rows);
    const run = async (detachAtFirstReport: boolean): Promise<[Float64Array, Float32Array, number]> => {
      const m = new binding.Model(packModelSpec(spec));
      m.params.fill(0.1);
      m.setLoss(0);
      m.setOptimizer(packOptimizerSpec(sgd(0.01)));
      const x = Float32Array.from(data);
      let reports = 0;
      let detachedAt = -1;
      const timer = setInterval(() => gc?.(), 1);
      const r = await m.trainEpoch(x, y, order, 1, 0, (packed) => {
        if (reports++ === 0 && detachAtFirstReport) {
          detachedAt = packed[packed.length - 4]!;
          detach(x);
          gc?.();
        }
      });
      clearInterval(timer);
      const p = Float32Array.from(m.params);
      m.dispose();
      return [r, p, detachedAt];
    };
    const [want, wantParams] = await run(false);
    const [got, gotParams, detachedAt] = await run(true);
    expect(detachedAt).toBeGreaterThanOrEqual(0);
    expect(Array.from(got)).toEqual(Array.from(want));
    expect(firstDiff(gotParams, wantParams)).toBe(-1);
  });
});
