/**
 * The safetensors file format (used by `save`/`load`): an 8-byte little-endian u64
 * header length N, then N bytes of UTF-8 JSON mapping tensor names to
 * `{ dtype, shape, data_offsets: [begin, end] }` (byte offsets into the data section
 * that follows the header) plus an optional `"__metadata__"` object of string → string,
 * then the data section. The header is padded with spaces to a multiple of 8 bytes so
 * the tensors stay aligned.
 */

import { describe, elide, FLT_MAX, findOutside, invalidModel } from './validate';

export interface Tensor {
  shape: number[];
  /** F32 data; a BigInt64Array is written as I64 (PyTorch's `num_batches_tracked`). */
  data: Float32Array | BigInt64Array;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export function encodeSafetensors(tensors: Array<[string, Tensor]>, metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const bytes = t.data.byteLength;
    header[name] = {
      dtype: t.data instanceof BigInt64Array ? 'I64' : 'F32',
      shape: t.shape,
      data_offsets: [offset, offset + bytes],
    };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  let headerBytes = Buffer.byteLength(json, 'utf8');
  const pad = (8 - ((8 + headerBytes) % 8)) % 8;
  json += ' '.repeat(pad);
  headerBytes += pad;
  const out = new Uint8Array(8 + headerBytes + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes), true);
  out.set(Buffer.from(json, 'utf8'), 8);
  let pos = 8 + headerBytes;
  for (const [, t] of tensors) {
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    } else {
      const d = t.data;
      if (d instanceof BigInt64Array) for (let i = 0; i < d.length; i++) view.setBigInt64(pos + 8 * i, d[i]!, true);
      else for (let i = 0; i < d.length; i++) view.setFloat32(pos + 4 * i, d[i]!, true);
    }
    pos += t.data.byteLength;
  }
  return out;
}

/** One tensor's descriptor, checked against the file: `count` elements at bytes [begin, end) of the data section. */
export interface TensorEntry {
  /** `'F32'`, or `'I64'` where the caller allowed it. */
  dtype: 'F32' | 'I64';
  shape: number[];
  count: number;
  begin: number;
  end: number;
}

export interface DecodedSafetensors {
  /** The tensors in header order; their byte ranges tile the data section exactly. */
  tensors: Map<string, TensorEntry>;
  /** `__metadata__` (string → string), or null when the header has none. */
  metadata: Record<string, string> | null;
  /** The data section (a view of the file's bytes, not a copy). */
  data: Uint8Array;
}

/** The longest tensor rank accepted: densely writes ranks 1 and 2. */
const MAX_RANK = 8;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads and checks a safetensors file's structure against the file itself, copying no
 * tensor data: the header length fits the file; the header is a UTF-8 JSON object; every
 * tensor has exactly `dtype` F32, a `shape` of safe non-negative integers (rank ≤ 8) and
 * `data_offsets` [begin, end] with end − begin = 4 × the shape's element count; the
 * tensors' byte ranges tile the data section without gap or overlap (the format's
 * rule); `__metadata__`, if present, maps strings to strings. Time and memory are linear
 * in the file's size.
 *
 * @param source the file's name in error messages.
 * @param allowI64 also accept dtype I64 (8 bytes per element), as PyTorch writes
 *   `num_batches_tracked`; the caller then checks each tensor's `dtype`.
 * @throws TypeError/RangeError with code `DENSELY_INVALID_MODEL` saying what is wrong.
 */
export function decodeSafetensors(bytes: Uint8Array, source: string, allowI64 = false): DecodedSafetensors {
  const bad = (what: string, received: string, kind: 'type' | 'range' = 'type'): Error =>
    invalidModel(what, source, received, kind);
  if (bytes.length < 8)
    throw bad('a safetensors file (an 8-byte header length, then the header)', `${bytes.length} bytes`, 'range');
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n < 2n || n > BigInt(bytes.length - 8)) {
    throw bad(
      `a safetensors header length in [2, ${bytes.length - 8}] (the file has ${bytes.length} bytes)`,
      String(n),
      'range',
    );
  }
  const headerLen = Number(n);
  if (bytes[8] !== 0x7b) throw bad("a safetensors header that starts with '{'", `byte ${bytes[8]} first`);
  let header: unknown;
  try {
    header = JSON.parse(utf8.decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw bad('a safetensors header of UTF-8 JSON', elide(e instanceof Error ? e.message : String(e), 80));
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    throw bad('a safetensors header that is a JSON object', describe(header));
  const data = bytes.subarray(8 + headerLen);
  const dataLen = data.length;
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> | null = null;
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    const tensor = `tensor ${describe(name)}`;
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
        throw bad('__metadata__ as an object of strings', describe(raw));
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') throw bad(`a string for __metadata__ entry ${describe(k)}`, describe(v));
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      throw bad(`an object {dtype, shape, data_offsets} for ${tensor}`, describe(raw));
    const e = raw as Record<string, unknown>;
    for (const key of Object.keys(e)) {
      if (key !== 'dtype' && key !== 'shape' && key !== 'data_offsets')
        throw bad(`only dtype, shape and data_offsets in ${tensor}`, `key ${describe(key)}`);
    }
    if (e.dtype !== 'F32' && !(allowI64 && e.dtype === 'I64'))
      throw bad(`dtype "F32" for ${tensor}`, describe(e.dtype));
    const size = e.dtype === 'I64' ? 8 : 4;
    const shape = e.shape;
    if (
      !Array.isArray(shape) ||
      shape.length > MAX_RANK ||
      !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)
    ) {
      throw bad(
        `a shape of at most ${MAX_RANK} non-negative integers for ${tensor}`,
        Array.isArray(shape) ? `[${elide(shape.map((d) => describe(d)).join(', '), 60)}]` : describe(shape),
      );
    }
    // The element count, stopped once it passes what the data section can hold (the
    // product of large dimensions would lose precision).
    let count = (shape as number[]).includes(0) ? 0 : 1;
    for (const d of shape as number[]) {
      if (count > dataLen) break;
      count *= d;
    }
    const offs = e.data_offsets;
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)
    ) {
      throw bad(
        `data_offsets [begin, end] of two non-negative integers for ${tensor}`,
        Array.isArray(offs) ? `[${elide(offs.map((d) => describe(d)).join(', '), 60)}]` : describe(offs),
      );
    }
    const [begin, end] = offs as [number, number];
    if (begin > end || end > dataLen) {
      throw bad(`data_offsets within the ${dataLen} data bytes for ${tensor}`, `[${begin}, ${end}]`, 'range');
    }
    if (end - begin !== count * size) {
      throw bad(
        `data_offsets spanning ${size} bytes per element of shape [${elide(shape.join(', '), 60)}] for ${tensor}`,
        `[${begin}, ${end}]`,
        'range',
      );
    }
    tensors.set(name, { dtype: e.dtype as 'F32' | 'I64', shape: shape as number[], count, begin, end });
  }
  // The format's rule: the tensors' ranges cover the data section, in any order, without
  // holes or overlaps.
  const ranges = [...tensors.values()].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const r of ranges) {
    if (r.begin !== at)
      throw bad(
        `tensors whose data_offsets tile the data section (next at byte ${at})`,
        `a tensor at [${r.begin}, ${r.end}]`,
        'range',
      );
    at = r.end;
  }
  if (at !== dataLen) throw bad(`tensors covering all ${dataLen} data bytes`, `tensors ending at byte ${at}`, 'range');
  return { tensors, metadata, data };
}

/**
 * The float32 values of `entry` (little-endian in the file) written into `out` at
 * `offset`. Returns the index within the tensor of the first non-finite value, or -1.
 */
export function readF32(data: Uint8Array, entry: TensorEntry, out: Float32Array, offset: number): number {
  const src = data.subarray(entry.begin, entry.end);
  const dst = out.subarray(offset, offset + entry.count);
  if (LITTLE_ENDIAN) {
    new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength).set(src);
  } else {
    const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
    for (let i = 0; i < entry.count; i++) dst[i] = view.getFloat32(4 * i, true);
  }
  return findOutside(dst, -FLT_MAX, FLT_MAX);
}
