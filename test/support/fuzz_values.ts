/**
 * Value generators of the raw-binding fuzz (test/boundary/fuzz_binding.test.ts): a seeded
 * random source, the bad numbers, junk values, wrong, short, detached, resizable and
 * shrunk typed arrays it passes, and the argument lists built from valid slots by
 * mutating some of them. The oracle that judges the calls stays with the test.
 */
import { Rng } from '../../lib/random';

// ---------------------------------------------------------------------------------------
// Random values

export class Gen {
  readonly rng: Rng;

  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  int(n: number): number {
    return this.rng.nextInt(n);
  }

  chance(p: number): boolean {
    return this.rng.nextFloat() < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.rng.nextInt(xs.length)]!;
  }

  /** Uniform in [-1, 1). */
  unit(): number {
    return 2 * this.rng.nextFloat() - 1;
  }

  floats(n: number): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.unit();
    return a;
  }
}

/** Numbers that no count, index, size or code accepts (−0 is a valid 0: not here). */
export const BAD_NUMBERS: readonly number[] = [
  -1,
  -0.5,
  0.5,
  1.5,
  NaN,
  Infinity,
  -Infinity,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 63,
  -(2 ** 31),
  Number.MAX_VALUE,
  Number.MIN_VALUE,
];
/** Float values that change results but never what is accepted. */
export const ODD_FLOATS: readonly number[] = [NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e300, 1e-45, -0];

interface Mutation {
  value: unknown;
  note: string;
  /** Harmless: the call must still return. */
  benign: boolean;
}

/** A value of the wrong type for any argument (fresh objects each time). */
export function junk(g: Gen): Mutation {
  const all: Array<[() => unknown, string]> = [
    [() => undefined, 'undefined'],
    [() => null, 'null'],
    [() => '1', "'1'"],
    [() => true, 'true'],
    [() => 1n, '1n'],
    [() => Symbol('s'), 'Symbol'],
    [() => ({}), '{}'],
    [() => [1, 2, 3], '[1,2,3]'],
    [() => () => 1, 'a function'],
    [() => new Number(1), 'new Number(1)'],
    [() => new ArrayBuffer(16), 'ArrayBuffer(16)'],
    [() => new DataView(new ArrayBuffer(16)), 'DataView(16)'],
    [() => new Proxy(new Float32Array(16), {}), 'Proxy(Float32Array(16))'],
  ];
  const [make, note] = g.pick(all);
  return { value: make(), note, benign: false };
}

type Tag = 'f32' | 'f64' | 'i32';

/** A typed array of another element type, as many elements (or bytes' worth) as `n`. */
function wrongTyped(g: Gen, n: number, not: Tag): Mutation {
  const all: Array<[string, () => unknown]> = [
    ['f32', () => new Float32Array(n)],
    ['f64', () => new Float64Array(n)],
    ['i32', () => new Int32Array(n)],
    ['u32', () => new Uint32Array(n)],
    ['u8', () => new Uint8Array(n * 4)],
    ['u8c', () => new Uint8ClampedArray(n * 4)],
    ['i16', () => new Int16Array(n * 2)],
    ['bi64', () => new BigInt64Array(n)],
    ['Buffer', () => Buffer.alloc(n * 4)],
  ];
  const [kind, make] = g.pick(all.filter(([k]) => k !== not));
  return { value: make(), note: `${kind}(${n})`, benign: false };
}

/** Detaches `a`'s buffer: its memory moves to a clone that is dropped at once. */
export function detach(a: ArrayBufferView): void {
  structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] });
}

type Typed = Float32Array | Float64Array | Int32Array;

type ResizableBuffer = ArrayBuffer & { resize(bytes: number): void };

/** A resizable ArrayBuffer (ES2024; the ES2022 typings do not know it). */
function resizableBuffer(bytes: number, maxBytes: number): ResizableBuffer {
  return new (ArrayBuffer as unknown as new (bytes: number, options: { maxByteLength: number }) => ResizableBuffer)(
    bytes,
    { maxByteLength: maxBytes },
  );
}
type TypedCtor = new (arg: number | ArrayBufferLike | ArrayLike<number>, offset?: number, length?: number) => Typed;

/** A Float32Array, Float64Array or Int32Array itself (a proxy of one is not). */
export function isTyped(v: unknown): v is Typed {
  return ArrayBuffer.isView(v) && (v instanceof Float32Array || v instanceof Float64Array || v instanceof Int32Array);
}

export function isF32(v: unknown): v is Float32Array {
  return isTyped(v) && v instanceof Float32Array;
}

/** Whether a view's buffer was detached (a view of it can no longer be made). */
export function isDetached(v: ArrayBufferView): boolean {
  try {
    new Uint8Array(v.buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

/**
 * A view's element count, 0 once detached. Read this way, not with `.length`: Node 20's
 * V8 (11.3), once a property site has seen a length-tracking view of a resizable
 * ArrayBuffer, can give a detached plain array's old length from optimised code. The
 * binding reads lengths through N-API, which is right; only this file's own bookkeeping
 * needs the care.
 */
export function lengthOf(v: ArrayBufferView): number {
  if (isDetached(v)) return 0;
  if (v instanceof DataView) return v.byteLength;
  // A copy made by the constructor (a builtin, which reads the length right).
  return new (v.constructor as new (src: ArrayBufferView) => Float32Array)(v).length;
}

/** A copy of a typed array's current elements (none once detached). */
export function copyOf<T extends Typed>(v: T): T {
  const ctor = v.constructor as TypedCtor;
  return (isDetached(v) ? new ctor(0) : new ctor(v)) as T;
}

function tagOf(a: Typed): Tag {
  return a instanceof Float32Array ? 'f32' : a instanceof Float64Array ? 'f64' : 'i32';
}

/**
 * A mutation of a valid typed-array argument. `exact`: the binding reads the values as
 * a spec or wants this very length (copyInRange's pair), so neither a longer array nor
 * special values are harmless.
 */
function mutateArray(g: Gen, valid: Typed, exact: boolean): Mutation {
  const ctor = valid.constructor as TypedCtor;
  const n = valid.length;
  const size = valid.BYTES_PER_ELEMENT;
  switch (g.int(13)) {
    case 0: {
      const cut = n === 0 ? 0 : 1 + g.int(n);
      return { value: valid.subarray(0, n - cut), note: `short by ${cut}`, benign: cut === 0 };
    }
    case 1:
      return { value: new ctor(0), note: 'empty', benign: n === 0 };
    case 2: {
      // Element offset 1..3 into a larger buffer: element-aligned, never 16- or 32-byte.
      const off = 1 + g.int(3);
      const big = new ctor(n + off + 2);
      big.set(valid, off);
      return { value: big.subarray(off, off + n), note: `at offset ${off}`, benign: true };
    }
    case 3: {
      const extra = 1 + g.int(7);
      const long = new ctor(n + extra);
      long.set(valid);
      return { value: long, note: `longer by ${extra}`, benign: !exact };
    }
    case 4: {
      const shared = new ctor(new SharedArrayBuffer((n + 8) * size), 8 * size, n);
      shared.set(valid);
      return { value: shared, note: 'over a SharedArrayBuffer', benign: true };
    }
    case 5: {
      const copy = new ctor(valid);
      detach(copy);
      return { value: copy, note: 'detached', benign: n === 0 };
    }
    case 6: {
      // A length-tracking view of a resizable buffer, sometimes shrunk before the call.
      const rab = resizableBuffer(n * size, 2 * n * size + 64);
      const view = new ctor(rab);
      view.set(valid);
      if (n > 0 && g.chance(0.5)) {
        rab.resize((n - 1 - g.int(n)) * size);
        return { value: view, note: 'resizable, shrunk', benign: false };
      }
      return { value: view, note: 'resizable', benign: true };
    }
    case 7: {
      const odd = new ctor(valid);
      if (!(odd instanceof Int32Array)) for (let i = 0; i < n; i++) if (g.chance(0.3)) odd[i] = g.pick(ODD_FLOATS);
      return { value: odd, note: 'special values', benign: !exact };
    }
    case 8:
    case 9:
      return wrongTyped(g, n, tagOf(valid));
    default:
      return junk(g);
  }
}

/** A mutation of a valid count, index or code. */
function mutateCount(g: Gen, valid: number): Mutation {
  switch (g.int(5)) {
    case 0:
    case 1: {
      const v = g.pick(BAD_NUMBERS);
      return { value: v, note: String(v), benign: false };
    }
    case 2: {
      const v = valid + g.pick([-2, -1, 1, 2, 1000]);
      return { value: v, note: `${valid}→${v}`, benign: false };
    }
    case 3:
      return { value: -0, note: '-0', benign: valid === 0 };
    default:
      return junk(g);
  }
}

/** Describes an argument for failure messages. */
export function describeArg(v: unknown): string {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const t = v as Float32Array;
    const buf = t.buffer as ArrayBufferLike & { resizable?: boolean };
    const kind =
      buf instanceof SharedArrayBuffer ? ' shared' : isDetached(t) ? ' detached' : buf.resizable ? ' resizable' : '';
    return `${v.constructor.name}(${lengthOf(t)})@${isDetached(t) ? 0 : t.byteOffset / t.BYTES_PER_ELEMENT}${kind}`;
  }
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'symbol') return 'Symbol';
  if (typeof v === 'function') return 'function';
  if (Object.is(v, -0)) return '-0';
  if (typeof v === 'object' && v !== null)
    return Array.isArray(v) ? `[${v.length}]` : (v.constructor?.name ?? 'object');
  return String(v);
}

// ---------------------------------------------------------------------------------------
// Argument lists

export interface Slot {
  value: unknown;
  /** array: a minimum length; exact-array: read as a spec or compared lengths. */
  kind: 'array' | 'exact-array' | 'count' | 'float' | 'bool' | 'other';
}

export interface Case {
  args: unknown[];
  notes: string[];
  benign: boolean;
}

function mutateSlot(g: Gen, slot: Slot, current: unknown): Mutation {
  switch (slot.kind) {
    case 'array':
    case 'exact-array':
      return isTyped(current) && !isDetached(current) ? mutateArray(g, current, slot.kind === 'exact-array') : junk(g);
    case 'count':
      return mutateCount(g, typeof current === 'number' ? current : 0);
    case 'float':
      return g.chance(0.5) ? { value: g.pick(ODD_FLOATS), note: 'special float', benign: true } : junk(g);
    case 'bool': {
      // Numbers are read as booleans (≠ 0, so NaN is true); anything else is refused.
      if (!g.chance(0.5)) return junk(g);
      const v = g.pick([0, 1, -1, NaN]);
      return { value: v, note: `${v} as a bool`, benign: (v !== 0) === current };
    }
    case 'other':
      return junk(g);
  }
}

/**
 * 0..3 mutations of `slots` (about one call in five stays valid): a slot's value, a
 * dropped tail, an extra argument or two arguments swapped.
 */
export function mutateArgs(g: Gen, slots: Slot[]): Case {
  const args = slots.map((s) => s.value);
  const notes: string[] = [];
  let benign = true;
  const count = g.chance(0.2) ? 0 : 1 + g.int(3);
  for (let m = 0; m < count; m++) {
    const r = g.int(12);
    if (r === 0 && args.length > 0) {
      const keep = g.int(args.length);
      args.length = keep;
      notes.push(`only ${keep} args`);
      benign = false;
    } else if (r === 1) {
      const extra = g.pick<unknown>([0, undefined, new Float32Array(4), 'extra', {}]);
      args.push(extra);
      notes.push(`extra ${describeArg(extra)}`);
    } else if (r === 2 && args.length > 1) {
      const i = g.int(args.length);
      const j = g.int(args.length);
      if (i !== j && slots[i]?.kind !== slots[j]?.kind) {
        [args[i], args[j]] = [args[j], args[i]];
        notes.push(`swap ${i}↔${j}`);
        benign = false;
      }
    } else if (slots.length > 0) {
      const i = g.int(slots.length);
      if (i >= args.length) continue;
      const mutated = mutateSlot(g, slots[i]!, args[i]);
      args[i] = mutated.value;
      notes.push(`arg ${i} ${mutated.note}`);
      benign = benign && mutated.benign;
    }
  }
  return { args, notes, benign };
}

export function describeCall(name: string, c: Case): string {
  return `${name}(${c.args.map(describeArg).join(', ')})${c.notes.length ? ` [${c.notes.join('; ')}]` : ''}`;
}
