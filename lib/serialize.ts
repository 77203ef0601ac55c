/**
 * A network's two stored forms: the safetensors file of `save`/`load` and the plain
 * object of `toJSON`/`fromJSON`, and the file I/O around them.
 *
 * Both are untrusted input. Everything they declare is checked against the input itself
 * before the network is allocated: the file's structure (`decodeSafetensors`), the format
 * and version, the seed, the metadata's types and keys, the architecture
 * ({@link validateArchitecture}: the same rules and size limits as the constructor), then
 * every tensor (or weights entry) against the architecture: names, shapes, and so the
 * parameter count. Only then are the parameters copied (checked finite on the way) and the
 * network built, whose parameters are then no larger than the data given. A load costs
 * time and memory linear in the input's size; every rejection is a TypeError or RangeError
 * with code `DENSELY_INVALID_MODEL` and a message of the usual form, with names taken from
 * the input elided to 40 characters.
 */
import { promises as fsp, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { declaredTraining, encodeTraining, META_TRAINING, type TrainingState } from './checkpoint';
import { INITIALIZERS } from './initializers';
import { TORCH_LAYOUT, torchToDensely } from './interop/torch';
import { ACTIVATIONS, Dense, type DenseOptions, MAX_WIDTH } from './layers/dense';
import { Dropout, type Layer } from './layers/dropout';
import { BatchNorm, LayerNorm } from './layers/norm';
import { MAX_LAYERS, type NetworkPlan, partLength, planNetwork, type WeightPart, weightParts } from './layers/plan';
import { readRegularizer } from './regularizers';
import { decodeSafetensors, encodeSafetensors, readF32, type Tensor } from './safetensors';
import {
  asModelError,
  describe,
  elide,
  expectBoolean,
  expectFloat32,
  expectInteger,
  expectKnownKeys,
  expectNumber,
  expectObject,
  expectOneOf,
  FLT_MAX,
  invalid,
  invalidModel,
  tooLarge,
} from './validate';

/** The version of both stored forms (`densely.version` in a file, `version` in JSON). */
export const FORMAT_VERSION = 1;
const META_FORMAT = 'format';
const META_VERSION = 'densely.version';
const META_ARCH = 'densely.architecture';
const META_SEED = 'densely.seed';
/** The tensor layout: absent for densely's own, "torch" for `save(path, { layout: 'torch' })`. */
const META_LAYOUT = 'densely.layout';
/** `__metadata__` keys densely writes itself; user metadata may not use them. */
export const RESERVED_META: readonly string[] = [
  META_FORMAT,
  META_VERSION,
  META_ARCH,
  META_SEED,
  META_TRAINING,
  META_LAYOUT,
];

export type LayerJSON =
  | ReturnType<Dense['toJSON']>
  | ReturnType<Dropout['toJSON']>
  | ReturnType<LayerNorm['toJSON']>
  | ReturnType<BatchNorm['toJSON']>;

/**
 * One `weights` entry of {@link NetworkJSON}, per layer that has weights (see
 * `getWeights`): Dense `{ kernel, bias }`, LayerNorm `{ gamma, beta }`, BatchNorm
 * `{ gamma, beta, runningMean, runningVar }`; null for a part switched off.
 */
export type WeightsJSON = Record<string, number[] | number[][] | null>;

/** Plain-object form of a network (`toJSON` / `fromJSON`). */
export interface NetworkJSON {
  format: 'densely';
  version: 1;
  inputs: number;
  seed: number;
  layers: LayerJSON[];
  weights: WeightsJSON[];
  metadata?: Record<string, string>;
}

/** Everything a stored network holds. */
export interface NetworkParts {
  inputs: number;
  layers: Layer[];
  seed: number;
  /** Every parameter, in the layout of `lib/backend/types.ts` (the plan's offsets). */
  params: Float32Array;
  /** The BatchNorm running statistics in the plan's buffer layout (empty without BatchNorm). */
  buffers: Float32Array;
  metadata: Record<string, string>;
  /** The training state of a checkpoint (lib/checkpoint.ts), when the file holds one. */
  training?: TrainingState;
}

/** A checked architecture: its layers, built, and their layout. */
export interface Architecture {
  inputs: number;
  layers: Layer[];
  plan: NetworkPlan;
}

const DENSE_KEYS = [
  'type',
  'units',
  'activation',
  'useBias',
  'kernelInitializer',
  'biasInitializer',
  'alpha',
  'kernelRegularizer',
  'biasRegularizer',
] as const;
const JSON_KEYS = ['format', 'version', 'inputs', 'seed', 'layers', 'weights', 'metadata'] as const;

/** A file path as error messages print it: the last 60 characters of a longer one. */
export function sourceName(path: string): string {
  return path.length > 60 ? `…${path.slice(-59)}` : path;
}

/** Defines `obj[key] = value` as an own property, even for a key such as `__proto__`. */
function setOwn(obj: Record<string, string>, key: string, value: string): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function buildLayer(value: unknown, name: string): Layer {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalid("a layer object { type: 'dense' | 'dropout' | 'layerNorm' | 'batchNorm', … }", name, describe(value));
  const c = value as Record<string, unknown>;
  if (c.type === 'dense') {
    expectKnownKeys(c, DENSE_KEYS, name);
    const units = expectInteger(c.units, `${name}.units`, 1, MAX_WIDTH);
    const options: DenseOptions = {};
    if (c.activation !== undefined) options.activation = expectOneOf(c.activation, ACTIVATIONS, `${name}.activation`);
    if (c.useBias !== undefined) options.useBias = expectBoolean(c.useBias, `${name}.useBias`);
    if (c.kernelInitializer !== undefined)
      options.kernelInitializer = expectOneOf(c.kernelInitializer, INITIALIZERS, `${name}.kernelInitializer`);
    if (c.biasInitializer !== undefined)
      options.biasInitializer = expectOneOf(c.biasInitializer, INITIALIZERS, `${name}.biasInitializer`);
    if (c.alpha !== undefined) options.alpha = expectFloat32(c.alpha, `${name}.alpha`);
    // Regularizers (lib/regularizers.ts), checked under their full names.
    const kr = readRegularizer(c.kernelRegularizer, `${name}.kernelRegularizer`);
    if (kr) options.kernelRegularizer = kr;
    const br = readRegularizer(c.biasRegularizer, `${name}.biasRegularizer`);
    if (br) options.biasRegularizer = br;
    return new Dense(units, options);
  }
  if (c.type === 'dropout') {
    expectKnownKeys(c, ['type', 'rate'], name);
    return new Dropout(expectNumber(c.rate, `${name}.rate`, { min: 0, max: 1, maxExclusive: true }));
  }
  if (c.type === 'layerNorm' || c.type === 'batchNorm') {
    const bn = c.type === 'batchNorm';
    expectKnownKeys(
      c,
      bn ? ['type', 'momentum', 'epsilon', 'center', 'scale'] : ['type', 'epsilon', 'center', 'scale'],
      name,
    );
    // The constructors check the values; the names in their messages get the field's path.
    const options: Record<string, unknown> = {};
    if (c.epsilon !== undefined)
      options.epsilon = expectNumber(c.epsilon, `${name}.epsilon`, { min: 0, max: 1, minExclusive: true });
    if (c.center !== undefined) options.center = expectBoolean(c.center, `${name}.center`);
    if (c.scale !== undefined) options.scale = expectBoolean(c.scale, `${name}.scale`);
    if (bn && c.momentum !== undefined)
      options.momentum = expectNumber(c.momentum, `${name}.momentum`, { min: 0, max: 1 });
    return bn ? new BatchNorm(options) : new LayerNorm(options);
  }
  throw invalid("'dense', 'dropout', 'layerNorm' or 'batchNorm'", `${name}.type`, describe(c.type));
}

/**
 * Checks a stored architecture, `inputs` and `layers` as `toJSON` writes them, by the
 * constructor's rules (layer types, units, activation and initializer names, numbers in
 * range and of the right type, at least one dense layer) and size limits
 * (`planNetwork`), and builds its layers. Allocates nothing beyond the layer objects;
 * O(layers).
 *
 * @param prefix prepended to field names in messages (`'json.'`, `'model.safetensors architecture.'`).
 * @throws TypeError/RangeError with code `DENSELY_INVALID_MODEL`.
 */
export function validateArchitecture(inputs: unknown, layers: unknown, prefix: string): Architecture {
  return asModelError(() => {
    const n = expectInteger(inputs, `${prefix}inputs`, 1, MAX_WIDTH);
    if (!Array.isArray(layers) || layers.length === 0)
      throw invalid('a non-empty array of layers', `${prefix}layers`, describe(layers));
    if (layers.length > MAX_LAYERS)
      throw tooLarge(
        `at most ${MAX_LAYERS} layers (the native core's limit)`,
        `${prefix}layers`,
        `${layers.length} layers`,
      );
    const built = (layers as unknown[]).map((l, i) => buildLayer(l, `${prefix}layers[${i}]`));
    if (!built.some((l) => l instanceof Dense))
      throw invalid('at least one dense layer', `${prefix}layers`, 'no dense layer');
    return { inputs: n, layers: built, plan: planNetwork(n, built, `${prefix}layers`) };
  });
}

/**
 * User metadata as `save` accepts it: an object of string values whose keys are not
 * densely's own ({@link RESERVED_META}). Returns a copy.
 * @throws TypeError with code DENSELY_INVALID_ARGUMENT.
 */
export function checkMetadata(value: unknown, name: string): Record<string, string> {
  const o = expectObject(value, name);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) {
    if (RESERVED_META.includes(k))
      throw invalid(`metadata keys other than ${RESERVED_META.join(', ')}`, name, describe(k));
    if (typeof v !== 'string') throw invalid('a string', `${name}[${describe(k)}]`, describe(v));
    setOwn(out, k, v);
  }
  return out;
}

/** What `toJSON` and `toSafetensors` read of a network. */
export interface NetworkSnapshot {
  inputs: number;
  seed: number;
  layers: readonly Layer[];
  plan: NetworkPlan;
  params: Float32Array;
  buffers: Float32Array;
  metadata: Record<string, string>;
  /** Written by `encodeNetwork` when present (a checkpoint; lib/checkpoint.ts). */
  training?: TrainingState | null;
}

/** The dense layers' weights as copies, in layer order (the plan's layout). */
export function splitParams(
  plan: NetworkPlan,
  flat: Float32Array,
): Array<{ kernel: Float32Array; bias: Float32Array | null }> {
  const out: Array<{ kernel: Float32Array; bias: Float32Array | null }> = [];
  for (const s of plan.specs) {
    if (s.kind !== 'dense') continue;
    out.push({
      kernel: flat.slice(s.kernelOffset, s.kernelOffset + s.inputs * s.units),
      bias: s.useBias ? flat.slice(s.biasOffset, s.biasOffset + s.units) : null,
    });
  }
  return out;
}

/** The plain-object form (weights as number arrays: float32 values print exactly as float64). */
export function networkToJSON(n: NetworkSnapshot): NetworkJSON {
  return {
    format: 'densely',
    version: FORMAT_VERSION,
    inputs: n.inputs,
    seed: n.seed,
    layers: n.layers.map((l) => l.toJSON()),
    weights: weightEntries(n.plan).map(({ parts }) => {
      const entry: WeightsJSON = {};
      for (const p of parts) {
        const src = p.store === 'params' ? n.params : n.buffers;
        entry[p.key] = p.offset < 0 ? null : Array.from(src.subarray(p.offset, p.offset + partLength(p)));
      }
      return entry;
    }),
    metadata: { ...n.metadata },
  };
}

/**
 * Checks that a weights entry's kernel or bias holds `rows × cols` elements — a
 * Float32Array or flat number[] of that length, or (kernel) a number[][] of `rows` rows of
 * `cols` — reading lengths only, so nothing is allocated for a mismatched one.
 */
function checkTensorShape(value: unknown, name: string, rows: number, cols: number): void {
  const length = rows * cols;
  const fail = (received: string): Error => invalid(`${length} numbers ([${rows} × ${cols}])`, name, received, 'range');
  if (value instanceof Float32Array || (Array.isArray(value) && !(value.length > 0 && Array.isArray(value[0])))) {
    if (value.length !== length) throw fail(describe(value));
  } else if (Array.isArray(value)) {
    if (value.length !== rows) throw fail(`${value.length} rows`);
    for (let r = 0; r < rows; r++) {
      const row = value[r] as unknown;
      if (!Array.isArray(row) || row.length !== cols) throw fail(`row ${r} as ${describe(row)}`);
    }
  } else {
    throw invalid('a Float32Array or number array', name, describe(value));
  }
}

/** Copies a kernel or bias checked by {@link checkTensorShape} into `out` at `offset`, rejecting non-numbers and values float32 cannot hold. */
function readTensor(
  value: Float32Array | unknown[],
  name: string,
  cols: number,
  out: Float32Array,
  offset: number,
): void {
  const nested = !(value instanceof Float32Array) && value.length > 0 && Array.isArray(value[0]);
  const rows = nested ? value.length : 1;
  const width = nested ? cols : value.length;
  for (let r = 0; r < rows; r++) {
    const row = (nested ? value[r] : value) as ArrayLike<unknown>;
    for (let c = 0; c < width; c++) {
      const v = row[c];
      const at = nested ? `${name}[${r}][${c}]` : `${name}[${c}]`;
      if (typeof v !== 'number') throw invalid('numbers', at, describe(v));
      if (!(Math.abs(v) <= FLT_MAX)) throw invalid('finite float32 values', at, describe(v), 'range');
      out[offset + r * width + c] = v;
    }
  }
}

/**
 * Checks a `toJSON()` object completely (keys, format, version, seed, architecture,
 * metadata, then every weights entry's lengths before any value is read) and returns its
 * parts. What `save` would refuse (a version other than 1, non-string or reserved
 * metadata) is refused here too.
 *
 * @throws TypeError/RangeError with code `DENSELY_INVALID_MODEL`.
 */
export function networkFromJSON(json: unknown): NetworkParts {
  return asModelError(() => {
    if (json === null || typeof json !== 'object' || Array.isArray(json))
      throw invalid('an object from Network#toJSON()', 'json', describe(json));
    const o = json as Record<string, unknown>;
    expectKnownKeys(o, JSON_KEYS, 'json');
    if (o.format !== 'densely')
      throw invalid("an object from Network#toJSON() (format: 'densely')", 'json.format', describe(o.format));
    if (o.version !== FORMAT_VERSION)
      throw invalid(`format version ${FORMAT_VERSION}`, 'json.version', describe(o.version), 'range');
    const seed = expectInteger(o.seed, 'json.seed', 0, 4294967295);
    const metadata = o.metadata === undefined ? {} : checkMetadata(o.metadata, 'json.metadata');
    const arch = validateArchitecture(o.inputs, o.layers, 'json.');
    const entries = weightEntries(arch.plan);
    const weights = o.weights;
    if (!Array.isArray(weights) || weights.length !== entries.length) {
      throw invalid(
        `an array of ${entries.length} weights entries (one per layer with weights: dense {kernel, bias}, layerNorm {gamma, beta}, batchNorm {gamma, beta, runningMean, runningVar})`,
        'json.weights',
        describe(weights),
        'range',
      );
    }
    entries.forEach(({ parts }, i) => {
      const w = expectObject(weights[i], `json.weights[${i}]`);
      expectKnownKeys(
        w,
        parts.map((p) => p.key),
        `json.weights[${i}]`,
      );
      for (const p of parts) {
        const at = `json.weights[${i}].${p.key}`;
        const v = w[p.key];
        if (p.offset >= 0) checkTensorShape(v, at, p.shape.length === 2 ? p.shape[0]! : 1, p.shape.at(-1)!);
        else if (v !== null && v !== undefined) throw invalid(`null (the layer has no ${p.key})`, at, describe(v));
      }
    });
    // Every length matches the architecture, so the parameters are no more than the input holds.
    const params = new Float32Array(arch.plan.paramCount);
    const buffers = new Float32Array(arch.plan.bufferCount);
    entries.forEach(({ parts }, i) => {
      const w = weights[i] as Record<string, Float32Array | unknown[]>;
      for (const p of parts) {
        if (p.offset < 0) continue;
        const at = `json.weights[${i}].${p.key}`;
        const dst = p.store === 'params' ? params : buffers;
        readTensor(w[p.key]!, at, p.shape.at(-1)!, dst, p.offset);
        if (p.key === 'runningVar') checkVariance(dst, p, at);
      }
    });
    return { inputs: arch.inputs, layers: arch.layers, seed, params, buffers, metadata };
  });
}

/**
 * The safetensors file: tensors `layers.<i>.kernel` (`[inputs, units]`) and
 * `layers.<i>.bias` (`[units]`), F32 little-endian, `<i>` the index in `layers`; format,
 * version, architecture, seed and the user metadata (plus `extra`) as strings in
 * `__metadata__`.
 * @throws TypeError with code DENSELY_INVALID_ARGUMENT for non-string or reserved metadata.
 */
export function encodeNetwork(n: NetworkSnapshot, extra: Record<string, string>): Uint8Array {
  const meta = checkMetadata(
    { ...n.metadata, ...(extra === undefined ? {} : expectObject(extra, 'metadata')) },
    'metadata',
  );
  meta[META_FORMAT] = 'densely';
  meta[META_VERSION] = String(FORMAT_VERSION);
  meta[META_ARCH] = JSON.stringify({ inputs: n.inputs, layers: n.layers.map((l) => l.toJSON()) });
  meta[META_SEED] = String(n.seed);
  const tensors: Array<[string, Tensor]> = [];
  for (const { index, parts } of weightEntries(n.plan)) {
    for (const p of parts) {
      if (p.offset < 0) continue;
      const src = p.store === 'params' ? n.params : n.buffers;
      tensors.push([
        `layers.${index}.${p.key}`,
        { shape: p.shape, data: src.subarray(p.offset, p.offset + partLength(p)) },
      ]);
    }
  }
  if (n.training) {
    const t = encodeTraining(n.training, n.plan);
    meta[META_TRAINING] = t.meta;
    tensors.push(...t.tensors);
  }
  return encodeSafetensors(tensors, meta);
}

/**
 * Reads a densely safetensors file: the structure (`decodeSafetensors`), then
 * `__metadata__` (format "densely", version "1", a uint32 seed, the architecture JSON),
 * then the architecture ({@link validateArchitecture}), then the tensors against it (each
 * expected name present with its exact shape, no other tensor), and only then copies the
 * parameters, rejecting non-finite values.
 *
 * @param source the file's name in messages (elided to its last 60 characters).
 * @throws TypeError/RangeError with code `DENSELY_INVALID_MODEL`.
 */
export function decodeNetwork(bytes: Uint8Array, source: string): NetworkParts {
  const src = sourceName(source);
  const bad = (what: string, received: string, kind: 'type' | 'range' = 'type'): Error =>
    invalidModel(what, src, received, kind);
  const file = decodeSafetensors(bytes, src, true);
  const meta = file.metadata;
  const torch = meta?.[META_LAYOUT] === TORCH_LAYOUT;
  if (!torch) {
    for (const [name, t] of file.tensors)
      if (t.dtype !== 'F32') throw bad(`dtype "F32" for tensor ${describe(name)}`, describe(t.dtype));
  }
  if (meta === null || meta[META_FORMAT] !== 'densely') {
    throw bad(
      'a densely model file (__metadata__ with format "densely")',
      meta === null ? 'a file without __metadata__' : `format ${describe(meta[META_FORMAT])}`,
    );
  }
  if (meta[META_LAYOUT] !== undefined && !torch)
    throw bad(`${META_LAYOUT} "${TORCH_LAYOUT}" or none`, describe(meta[META_LAYOUT]), 'range');
  if (torch) {
    const densely = torchToDensely(file, src, (inputs, layers) => {
      validateArchitecture(inputs, layers, `${src} architecture.`);
    });
    return decodeNetwork(densely, source);
  }
  if (meta[META_VERSION] !== String(FORMAT_VERSION))
    throw bad(`${META_VERSION} "${FORMAT_VERSION}"`, describe(meta[META_VERSION]), 'range');
  let seed = 0;
  const seedText = meta[META_SEED];
  if (seedText !== undefined) {
    seed = /^(0|[1-9][0-9]{0,9})$/.test(seedText) ? Number(seedText) : -1;
    if (seed < 0 || seed > 4294967295) throw bad(`${META_SEED} as a uint32 in decimal`, describe(seedText), 'range');
  }
  const archText = meta[META_ARCH];
  if (archText === undefined) throw bad(`a densely model file (__metadata__ with ${META_ARCH})`, 'a file without one');
  let archJson: unknown;
  try {
    archJson = JSON.parse(archText);
  } catch {
    throw bad(`${META_ARCH} as JSON`, describe(archText));
  }
  const archName = `${src} architecture`;
  if (archJson === null || typeof archJson !== 'object' || Array.isArray(archJson))
    throw bad(`${META_ARCH} as an object { inputs, layers }`, describe(archJson));
  const a = archJson as Record<string, unknown>;
  asModelError(() => expectKnownKeys(a, ['inputs', 'layers'], archName));
  const arch = validateArchitecture(a.inputs, a.layers, `${archName}.`);
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) if (!RESERVED_META.includes(k)) setOwn(metadata, k, v);

  const expected = new Map<string, WeightPart>();
  for (const { index, parts } of weightEntries(arch.plan)) {
    for (const p of parts) if (p.offset >= 0) expected.set(`layers.${index}.${p.key}`, p);
  }
  // A checkpoint's optimizer tensors: exactly those its training metadata declares.
  const trainingText = meta[META_TRAINING];
  const declared =
    trainingText === undefined
      ? null
      : declaredTraining(trainingText, arch.plan, arch.plan.outputs, `${src} ${META_TRAINING}`);
  const slotTensors = new Map<string, { shape: number[]; offset: number; slot: number }>();
  for (const t of declared?.tensors ?? []) slotTensors.set(t.name, t);
  for (const [name, want] of [...expected, ...slotTensors]) {
    const t = file.tensors.get(name);
    if (t === undefined || t.shape.length !== want.shape.length || t.shape.some((d, j) => d !== want.shape[j])) {
      throw bad(
        `tensor ${name} of shape [${want.shape.join(', ')}]`,
        t === undefined ? 'no such tensor' : `shape [${elide(t.shape.join(', '), 60)}]`,
        'range',
      );
    }
  }
  for (const name of file.tensors.keys()) {
    if (!expected.has(name) && !slotTensors.has(name))
      throw bad(
        `only the tensors of the architecture (${expected.size}: layers.<i>.kernel / .bias / .gamma / .beta / .runningMean / .runningVar)${slotTensors.size > 0 ? ` and the ${slotTensors.size} optimizer tensors its ${META_TRAINING} declares` : ''}`,
        `tensor ${describe(name)}`,
      );
  }
  // Every expected tensor is present with its shape and no other: the parameters are
  // exactly the data section, which the file holds.
  const params = new Float32Array(arch.plan.paramCount);
  const buffers = new Float32Array(arch.plan.bufferCount);
  for (const [name, want] of expected) {
    const t = file.tensors.get(name)!;
    const dst = want.store === 'params' ? params : buffers;
    const i = readF32(file.data, t, dst, want.offset);
    if (i >= 0)
      throw bad(`finite values in tensor ${name}`, `${describe(dst[want.offset + i])} at element ${i}`, 'range');
    if (want.key === 'runningVar') asModelError(() => checkVariance(dst, want, `${src} tensor ${name}`));
  }
  if (declared === null) return { inputs: arch.inputs, layers: arch.layers, seed, params, buffers, metadata };
  const slots = Array.from({ length: declared.slotCount }, () => new Float32Array(arch.plan.paramCount));
  for (const [name, want] of slotTensors) {
    const t = file.tensors.get(name)!;
    const out = slots[want.slot]!;
    const i = readF32(file.data, t, out, want.offset);
    if (i >= 0)
      throw bad(`finite values in tensor ${name}`, `${describe(out[want.offset + i])} at element ${i}`, 'range');
  }
  const { step, ...header } = declared.header;
  const training: TrainingState = { ...header, state: { step, slots } };
  return { inputs: arch.inputs, layers: arch.layers, seed, params, buffers, metadata, training };
}

/** The layers that have a weights entry ({@link weightParts}), with their index in `layers`. */
function weightEntries(plan: NetworkPlan): Array<{ index: number; parts: WeightPart[] }> {
  const out: Array<{ index: number; parts: WeightPart[] }> = [];
  plan.specs.forEach((s, index) => {
    const parts = weightParts(s);
    if (parts !== null) out.push({ index, parts });
  });
  return out;
}

/**
 * Rejects a negative running variance (its square root in inference would be NaN).
 * @throws RangeError naming `name` and the first negative element.
 */
export function checkVariance(store: Float32Array, p: WeightPart, name: string): void {
  const n = partLength(p);
  for (let j = 0; j < n; j++) {
    const v = store[p.offset + j]!;
    if (v < 0) throw invalid('non-negative values (a variance)', name, `${describe(v)} at element ${j}`, 'range');
  }
}

/**
 * Writes `bytes` to `path` atomically: a temporary file in the same directory, then a
 * rename over `path`.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* the temporary file was never created */
    }
    throw e;
  }
}

/** @throws TypeError with code DENSELY_INVALID_ARGUMENT unless `path` is a non-empty string. */
export function expectPath(path: unknown): string {
  if (typeof path !== 'string' || path.length === 0) throw invalid('a file path string', 'path', describe(path));
  return path;
}

/** A model file's bytes. */
export async function readModelFile(path: unknown): Promise<Uint8Array> {
  const bytes = await fsp.readFile(expectPath(path));
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** {@link readModelFile}, synchronously. */
export function readModelFileSync(path: unknown): Uint8Array {
  const bytes = readFileSync(expectPath(path));
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
