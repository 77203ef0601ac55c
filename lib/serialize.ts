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
import { INITIALIZERS } from './initializers';
import { TORCH_LAYOUT, torchToDensely } from './interop/torch';
import { ACTIVATIONS, Dense, type DenseOptions, MAX_WIDTH } from './layers/dense';
import { Dropout, type Layer } from './layers/dropout';
import { MAX_LAYERS, type NetworkPlan, planNetwork } from './layers/plan';
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
export const RESERVED_META: readonly string[] = [META_FORMAT, META_VERSION, META_ARCH, META_SEED, META_LAYOUT];

export type LayerJSON = ReturnType<Dense['toJSON']> | ReturnType<Dropout['toJSON']>;

/** Plain-object form of a network (`toJSON` / `fromJSON`). */
export interface NetworkJSON {
  format: 'densely';
  version: 1;
  inputs: number;
  seed: number;
  layers: LayerJSON[];
  weights: Array<{ kernel: number[]; bias: number[] | null }>;
  metadata?: Record<string, string>;
}

/** Everything a stored network holds. */
export interface NetworkParts {
  inputs: number;
  layers: Layer[];
  seed: number;
  /** Every parameter, in the layout of `lib/backend/types.ts` (the plan's offsets). */
  params: Float32Array;
  metadata: Record<string, string>;
}

/** A checked architecture: its layers, built, and their layout. */
export interface Architecture {
  inputs: number;
  layers: Layer[];
  plan: NetworkPlan;
}

const DENSE_KEYS = ['type', 'units', 'activation', 'useBias', 'kernelInitializer', 'biasInitializer', 'alpha'] as const;
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
    throw invalid("a layer object { type: 'dense' | 'dropout', … }", name, describe(value));
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
    return new Dense(units, options);
  }
  if (c.type === 'dropout') {
    expectKnownKeys(c, ['type', 'rate'], name);
    return new Dropout(expectNumber(c.rate, `${name}.rate`, { min: 0, max: 1, maxExclusive: true }));
  }
  throw invalid("'dense' or 'dropout'", `${name}.type`, describe(c.type));
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
      throw invalid('at least one dense layer', `${prefix}layers`, 'only dropout layers');
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
  metadata: Record<string, string>;
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
    weights: splitParams(n.plan, n.params).map((w) => ({
      kernel: Array.from(w.kernel),
      bias: w.bias ? Array.from(w.bias) : null,
    })),
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
    const dense = arch.plan.specs.filter((s) => s.kind === 'dense');
    const weights = o.weights;
    if (!Array.isArray(weights) || weights.length !== dense.length) {
      throw invalid(
        `an array of ${dense.length} {kernel, bias} entries (one per dense layer)`,
        'json.weights',
        describe(weights),
        'range',
      );
    }
    dense.forEach((s, i) => {
      const w = expectObject(weights[i], `json.weights[${i}]`);
      expectKnownKeys(w, ['kernel', 'bias'], `json.weights[${i}]`);
      checkTensorShape(w.kernel, `json.weights[${i}].kernel`, s.inputs, s.units);
      if (s.useBias) checkTensorShape(w.bias, `json.weights[${i}].bias`, 1, s.units);
      else if (w.bias !== null && w.bias !== undefined)
        throw invalid('null (the layer has useBias: false)', `json.weights[${i}].bias`, describe(w.bias));
    });
    // Every length matches the architecture, so the parameters are no more than the input holds.
    const params = new Float32Array(arch.plan.paramCount);
    dense.forEach((s, i) => {
      const w = weights[i] as { kernel: Float32Array | unknown[]; bias: Float32Array | unknown[] };
      readTensor(w.kernel, `json.weights[${i}].kernel`, s.units, params, s.kernelOffset);
      if (s.useBias) readTensor(w.bias, `json.weights[${i}].bias`, s.units, params, s.biasOffset);
    });
    return { inputs: arch.inputs, layers: arch.layers, seed, params, metadata };
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
  n.plan.specs.forEach((s, i) => {
    if (s.kind !== 'dense') return;
    tensors.push([
      `layers.${i}.kernel`,
      { shape: [s.inputs, s.units], data: n.params.subarray(s.kernelOffset, s.kernelOffset + s.inputs * s.units) },
    ]);
    if (s.useBias)
      tensors.push([
        `layers.${i}.bias`,
        { shape: [s.units], data: n.params.subarray(s.biasOffset, s.biasOffset + s.units) },
      ]);
  });
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

  const expected = new Map<string, { shape: number[]; offset: number }>();
  arch.plan.specs.forEach((s, i) => {
    if (s.kind !== 'dense') return;
    expected.set(`layers.${i}.kernel`, { shape: [s.inputs, s.units], offset: s.kernelOffset });
    if (s.useBias) expected.set(`layers.${i}.bias`, { shape: [s.units], offset: s.biasOffset });
  });
  for (const [name, want] of expected) {
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
    if (!expected.has(name))
      throw bad(
        `only the tensors of the architecture (${expected.size}: layers.<i>.kernel / .bias)`,
        `tensor ${describe(name)}`,
      );
  }
  // Every expected tensor is present with its shape and no other: the parameters are
  // exactly the data section, which the file holds.
  const params = new Float32Array(arch.plan.paramCount);
  for (const [name, want] of expected) {
    const t = file.tensors.get(name)!;
    const i = readF32(file.data, t, params, want.offset);
    if (i >= 0)
      throw bad(`finite values in tensor ${name}`, `${describe(params[want.offset + i])} at element ${i}`, 'range');
  }
  return { inputs: arch.inputs, layers: arch.layers, seed, params, metadata };
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
