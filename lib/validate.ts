/**
 * Every user-facing argument check of densely lives here (STYLE.md §1), with one
 * message form: "Expected <what> for <name> but received <value>". Shapes print as
 * `[rows × cols]`. Checks run before any state changes; nothing here mutates input.
 * The errors themselves (and their `DENSELY_*` codes) are built in `errors.ts`; its
 * constructors are re-exported here for the checks' callers.
 */
import { invalid } from './errors';

export {
  asModelError,
  busyError,
  type DenselyError,
  disposedError,
  invalid,
  invalidModel,
  tooLarge,
} from './errors';

/** Short, safe description of any value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'function') return 'a function';
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor?.name ?? 'TypedArray';
    return `${name} of length ${(value as unknown as { length: number }).length}`;
  }
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return name && name !== 'Object' ? `a ${name}` : 'an object';
  }
  return typeof value;
}

export function shape(rows: number, cols: number): string {
  return `[${rows} × ${cols}]`;
}

/**
 * The largest element count of any one buffer densely allocates (parameters, a layer's
 * kernel, a batch's activations): 2^32 − 1, the native core's parameter index range and,
 * to one element, V8's longest typed array on 64-bit Node 20 (2^32 elements). Checked
 * before anything is allocated, identically on both backends.
 */
export const MAX_ELEMENTS = 4294967295;

/** `s` cut to its first `max` characters plus '…' when longer (names from untrusted input in messages). */
export function elide(s: string, max = 40): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

export function expectObject(value: unknown, name: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalid('an options object', name, describe(value));
  return value as Record<string, unknown>;
}

export function expectOptionalObject(value: unknown, name: string): Record<string, unknown> {
  if (value === undefined) return {};
  return expectObject(value, name);
}

/** Rejects keys not in `allowed` (catches typos such as `learningrate`). */
export function expectKnownKeys(obj: Record<string, unknown>, allowed: readonly string[], name: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw invalid(
        `only the options ${allowed.map((k) => `'${k}'`).join(', ')}`,
        name,
        `unknown option '${elide(key)}'`,
      );
    }
  }
}

export function expectInteger(value: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`;
    throw invalid(range, name, describe(value), typeof value === 'number' ? 'range' : 'type');
  }
  return value;
}

export function expectNumber(
  value: unknown,
  name: string,
  opts: { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean } = {},
): number {
  const { min = -Infinity, max = Infinity, minExclusive = false, maxExclusive = false } = opts;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (minExclusive ? value > min : value >= min) &&
    (maxExclusive ? value < max : value <= max);
  if (!ok) {
    let what = 'a finite number';
    if (min !== -Infinity && max !== Infinity) {
      what += ` in ${minExclusive ? '(' : '['}${min}, ${max}${maxExclusive ? ')' : ']'}`;
    } else if (min !== -Infinity) {
      what += minExclusive ? ` > ${min}` : ` ≥ ${min}`;
    } else if (max !== Infinity) {
      what += maxExclusive ? ` < ${max}` : ` ≤ ${max}`;
    }
    throw invalid(what, name, describe(value), typeof value === 'number' ? 'range' : 'type');
  }
  return value;
}

/** A finite number that float32 represents without overflow (|value| ≤ FLT_MAX): what the native core stores. */
export function expectFloat32(value: unknown, name: string): number {
  if (typeof value !== 'number' || !(Math.abs(value) <= FLT_MAX)) {
    throw invalid(
      'a finite float32 number (|value| ≤ 3.4028234663852886e38)',
      name,
      describe(value),
      typeof value === 'number' ? 'range' : 'type',
    );
  }
  return value;
}

export function expectBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalid('a boolean', name, describe(value));
  return value;
}

export function expectOneOf<T extends string>(value: unknown, allowed: readonly T[], name: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalid(`one of ${allowed.map((a) => `'${a}'`).join(', ')}`, name, describe(value));
  }
  return value as T;
}

export function expectFunction<F>(value: unknown, name: string): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw invalid('a function', name, describe(value));
  return value as F;
}

/** A 2-D batch as the backends see it: contiguous row-major float32. */
export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

export function isNumberArray(value: unknown): value is number[] {
  return Array.isArray(value) && (value.length === 0 || typeof value[0] === 'number');
}

/**
 * Accepts a Float32Array (row-major, length a multiple of `cols`), a number[][] with
 * `cols` columns, or a flat number[] (row-major). Returns a contiguous Float32Array
 * view: the caller's own Float32Array when `copy` is false (never written), else a copy.
 * Non-finite values are rejected (unless `checkFinite` is false: then the caller must
 * check, as fit does while it copies x).
 */
export function toMatrix(value: unknown, name: string, cols: number, copy = false, checkFinite = true): Matrix {
  let data: Float32Array;
  let rows: number;
  if (value instanceof Float32Array) {
    if (value.length === 0 || value.length % cols !== 0) {
      throw invalid(
        `a Float32Array whose length is a positive multiple of ${cols} (rows × ${cols})`,
        name,
        `Float32Array of length ${value.length}`,
        'range',
      );
    }
    rows = value.length / cols;
    data = copy ? new Float32Array(value) : value;
  } else if (Array.isArray(value) && value.length > 0 && Array.isArray(value[0])) {
    rows = value.length;
    data = new Float32Array(rows * cols);
    fillRows(value, name, cols, data, 0, rows);
  } else if (isNumberArray(value) && value.length > 0) {
    if (value.length % cols !== 0) {
      throw invalid(
        `a flat number[] whose length is a multiple of ${cols}`,
        name,
        `an array of length ${value.length}`,
        'range',
      );
    }
    rows = value.length / cols;
    data = new Float32Array(value.length);
    fillFlat(value, name, data, 0, value.length);
  } else {
    throw invalid(`a non-empty Float32Array or number[][] with ${cols} columns`, name, describe(value));
  }
  if (checkFinite) expectFinite(data, name, cols);
  return { data, rows, cols };
}

/** Rejects targets whose shape is not rows × outputs (the rows of x), as toTargets and fit's staging do. */
export function expectTargetShape(
  targetRows: number,
  targetCols: number,
  rows: number,
  outputs: number,
  name: string,
): void {
  if (targetRows !== rows) {
    throw invalid(
      `targets of shape ${shape(rows, outputs)} (rows of x × outputs)`,
      name,
      shape(targetRows, targetCols),
      'range',
    );
  }
}

/**
 * Rows [from, to) of a number[][] with `cols` columns into `data` (row-major), with
 * {@link toMatrix}'s checks and messages (finiteness is the caller's). For copies made in
 * slices (fit's staging): a caller's rows are re-read, so a row changed meanwhile is checked.
 */
export function fillRows(
  value: readonly unknown[],
  name: string,
  cols: number,
  data: Float32Array,
  from: number,
  to: number,
): void {
  for (let r = from; r < to; r++) {
    const row = value[r] as unknown;
    if (!Array.isArray(row) || row.length !== cols) {
      throw invalid(
        `a number[][] with ${cols} columns`,
        name,
        `row ${r} ${Array.isArray(row) ? `of length ${row.length}` : `as ${describe(row)}`}`,
        'range',
      );
    }
    for (let c = 0; c < cols; c++) {
      const v = row[c] as unknown;
      if (typeof v !== 'number') throw invalid('numbers', `${name}[${r}][${c}]`, describe(v));
      data[r * cols + c] = v;
    }
  }
}

/** Elements [from, to) of a flat number[] into `data`, with {@link toMatrix}'s checks and messages. */
export function fillFlat(value: readonly unknown[], name: string, data: Float32Array, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const v = value[i];
    if (typeof v !== 'number') throw invalid('numbers', `${name}[${i}]`, describe(v));
    data[i] = v;
  }
}

/**
 * Range scans run over chunks of this many elements, one call per chunk: V8 only optimises a
 * function after it has been called a few times, so one long loop in one call would run
 * unoptimised (about 10× slower) the first few times a large batch is checked.
 */
const SCAN_CHUNK = 4096;

/** The largest finite float32: with it as a bound, ±Inf (and NaN) fall outside the range. */
export const FLT_MAX = 3.4028234663852886e38;

function firstOutside(data: Float32Array, from: number, to: number, lo: number, hi: number): number {
  for (let i = from; i < to; i++) {
    const v = data[i]!;
    if (!(v >= lo && v <= hi)) return i;
  }
  return -1;
}

/** Index of the first element outside [lo, hi] (NaN counts as outside), or -1. */
export function findOutside(data: Float32Array, lo: number, hi: number): number {
  for (let from = 0; from < data.length; from += SCAN_CHUNK) {
    const i = firstOutside(data, from, Math.min(data.length, from + SCAN_CHUNK), lo, hi);
    if (i >= 0) return i;
  }
  return -1;
}

/** Rejects NaN/±Inf, naming the first offending element as [row, col]. */
export function expectFinite(data: Float32Array, name: string, cols: number): void {
  const i = findOutside(data, -FLT_MAX, FLT_MAX);
  if (i >= 0) throw nonFinite(data[i]!, i, name, cols);
}

/** The error for non-finite element `i` (value `v`) of a `cols`-wide matrix named `name`. */
export function nonFinite(v: number, i: number, name: string, cols: number): Error {
  return invalid('finite values', name, `${describe(v)} at [${Math.floor(i / cols)}, ${i % cols}]`, 'range');
}

/**
 * Sparse class indices: Int32Array, Float32Array or number[] with one integer in
 * [0, classes) per row (number[][] of single-element rows is accepted too).
 * Returns them as float32 (exact for indices < 2^24), always a copy.
 */
export function toClassIndices(value: unknown, name: string, classes: number): Float32Array {
  let src: ArrayLike<unknown>;
  if (
    value instanceof Int32Array ||
    value instanceof Float32Array ||
    value instanceof Uint8Array ||
    value instanceof Uint16Array ||
    value instanceof Uint32Array
  ) {
    src = value;
  } else if (Array.isArray(value) && value.length > 0 && Array.isArray(value[0])) {
    src = value.map((row: unknown, r: number) => {
      if (!Array.isArray(row) || row.length !== 1)
        throw invalid('one class index per row', name, `row ${r} as ${describe(row)}`, 'range');
      return row[0] as unknown;
    });
  } else if (Array.isArray(value)) {
    src = value;
  } else {
    throw invalid('class indices as an Int32Array, Float32Array or number[]', name, describe(value));
  }
  if (src.length === 0) throw invalid('at least one class index', name, 'an empty array', 'range');
  const out = new Float32Array(src.length);
  fillClassIndices(src, name, classes, out, 0, src.length);
  return out;
}

/** Class indices [from, to) of `src` into `out`, each checked as {@link toClassIndices} does. */
export function fillClassIndices(
  src: ArrayLike<unknown>,
  name: string,
  classes: number,
  out: Float32Array,
  from: number,
  to: number,
): void {
  for (let i = from; i < to; i++) {
    const v = src[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= classes) {
      throw invalid(`integer class indices in [0, ${classes - 1}]`, name, `${describe(v)} at row ${i}`, 'range');
    }
    out[i] = v;
  }
}

/** Sum of one row, or -1 if it has a negative element. */
function rowSum(data: Float32Array, from: number, cols: number): number {
  let sum = 0;
  for (let c = 0; c < cols; c++) {
    const v = data[from + c]!;
    if (v < 0) return -1;
    sum += v;
  }
  return sum;
}

/** Each row (of rows [from, to)) a distribution: non-negative, summing to 1 within 1e-3 (categorical cross-entropy targets). */
export function expectDistributions(y: Matrix, name: string, from = 0, to = y.rows): void {
  const { data, cols } = y;
  for (let r = from; r < to; r++) {
    const sum = rowSum(data, r * cols, cols);
    if (sum < 0) {
      let c = 0;
      while (data[r * cols + c]! >= 0) c++;
      throw invalid(
        'target rows that are probability distributions (non-negative, summing to 1)',
        name,
        `${data[r * cols + c]} at [${r}, ${c}]`,
        'range',
      );
    }
    if (Math.abs(sum - 1) > 1e-3) {
      throw invalid(
        'target rows that are probability distributions (non-negative, summing to 1 within 1e-3)',
        name,
        `row ${r} summing to ${sum}`,
        'range',
      );
    }
  }
}

/** Binary targets (of rows [from, to)) must lie in [0, 1]. */
export function expectUnitInterval(y: Matrix, name: string, from = 0, to = y.rows): void {
  const { cols } = y;
  const data = from === 0 && to === y.rows ? y.data : y.data.subarray(from * cols, to * cols);
  const found = findOutside(data, 0, 1);
  const i = found < 0 ? found : found + from * cols;
  if (i >= 0)
    throw invalid('binary targets in [0, 1]', name, `${y.data[i]} at [${Math.floor(i / cols)}, ${i % cols}]`, 'range');
}

export function expectAbortSignal(value: unknown, name: string): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (typeof AbortSignal !== 'undefined' && value instanceof AbortSignal) return value;
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as AbortSignal).aborted === 'boolean' &&
    typeof (value as AbortSignal).addEventListener === 'function'
  ) {
    return value as AbortSignal;
  }
  throw invalid('an AbortSignal', name, describe(value));
}
