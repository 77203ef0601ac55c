/**
 * save → load round trips bit-exactly, and the file is valid safetensors, checked by a
 * parser written here from the format's specification (8-byte little-endian u64 header
 * length N, N bytes of UTF-8 JSON, then the raw data; each tensor entry has dtype,
 * shape and data_offsets relative to the start of the data; `__metadata__` maps
 * strings to strings).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Dense, Dropout, Network } from '../../lib/index';
import { BACKEND } from '../support/backend';
import { expectBitExact } from '../support/close';
import { TestRng } from '../support/rng';

const dir = mkdtempSync(join(tmpdir(), 'densely-save-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function makeNetwork(): Network {
  const net = new Network({
    inputs: 5,
    layers: [
      new Dense(7, { activation: 'gelu' }),
      new Dropout(0.25),
      new Dense(4, { activation: 'leakyRelu', alpha: 0.2, useBias: false }),
      new Dense(3, { activation: 'softmax' }),
    ],
    backend: BACKEND,
    seed: 1234,
  });
  // Non-trivial biases (the default initializer gives zeros) and some awkward values.
  const w = net.getWeights();
  const rng = new TestRng(5);
  for (const layer of w) {
    if (layer.bias) layer.bias.set(rng.float32Array(layer.bias.length, -1, 1));
  }
  w[0]!.kernel[0] = -0;
  w[0]!.kernel[1] = 1e-40; // subnormal in float32
  w[0]!.kernel[2] = Math.fround(Math.PI);
  net.setWeights(w);
  return net;
}

interface TensorEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** An independent safetensors reader: returns the header and each tensor's float32 values. */
function parseSafetensors(bytes: Buffer): {
  header: Record<string, unknown>;
  metadata: Record<string, unknown> | undefined;
  tensors: Map<string, { entry: TensorEntry; values: Float32Array }>;
} {
  expect(bytes.length).toBeGreaterThanOrEqual(8);
  const n = bytes.readBigUInt64LE(0);
  expect(n).toBeGreaterThan(0n);
  expect(n).toBeLessThanOrEqual(BigInt(bytes.length - 8));
  const headerLen = Number(n);
  const text = bytes.subarray(8, 8 + headerLen).toString('utf8');
  expect(text.startsWith('{'), 'header starts with "{"').toBe(true);
  const header = JSON.parse(text) as Record<string, unknown>;
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const tensors = new Map<string, { entry: TensorEntry; values: Float32Array }>();
  const spans: Array<[number, number]> = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const entry = raw as TensorEntry;
    expect(Object.keys(entry).sort()).toEqual(['data_offsets', 'dtype', 'shape']);
    expect(entry.dtype).toBe('F32');
    expect(Array.isArray(entry.shape) && entry.shape.every((d) => Number.isInteger(d) && d >= 0)).toBe(true);
    const [begin, end] = entry.data_offsets;
    expect(Number.isInteger(begin) && Number.isInteger(end) && begin >= 0 && begin <= end && end <= dataLen).toBe(true);
    const count = entry.shape.reduce((a, b) => a * b, 1);
    expect(end - begin, `${name}: byte span matches shape × 4`).toBe(count * 4);
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = bytes.readFloatLE(dataStart + begin + 4 * i);
    tensors.set(name, { entry, values });
    spans.push([begin, end]);
  }
  // The data section is fully covered, without gaps or overlaps.
  spans.sort((a, b) => a[0] - b[0]);
  let at = 0;
  for (const [b, e] of spans) {
    expect(b, 'tensors are contiguous').toBe(at);
    at = e;
  }
  expect(at, 'the data section ends with the last tensor').toBe(dataLen);
  return { header, metadata: header.__metadata__ as Record<string, unknown> | undefined, tensors };
}

describe(`save / load (${BACKEND})`, () => {
  it('writes valid safetensors: layers.<i>.kernel / layers.<i>.bias, F32, shapes, contiguous in-bounds offsets, string metadata', () => {
    const net = makeNetwork();
    const path = join(dir, 'format.safetensors');
    net.save(path);
    const file = parseSafetensors(readFileSync(path));
    // <i> is the index in `layers` (the Dropout at 1 has no tensors; layer 2 has no bias).
    expect([...file.tensors.keys()].sort()).toEqual(
      ['layers.0.bias', 'layers.0.kernel', 'layers.2.kernel', 'layers.3.bias', 'layers.3.kernel'].sort(),
    );
    expect(file.tensors.get('layers.0.kernel')!.entry.shape).toEqual([5, 7]);
    expect(file.tensors.get('layers.0.bias')!.entry.shape).toEqual([7]);
    expect(file.tensors.get('layers.2.kernel')!.entry.shape).toEqual([7, 4]);
    expect(file.tensors.get('layers.3.kernel')!.entry.shape).toEqual([4, 3]);
    expect(file.tensors.get('layers.3.bias')!.entry.shape).toEqual([3]);
    const w = net.getWeights();
    expectBitExact(file.tensors.get('layers.0.kernel')!.values, w[0]!.kernel, 'layers.0.kernel bytes');
    expectBitExact(file.tensors.get('layers.0.bias')!.values, w[0]!.bias!, 'layers.0.bias bytes');
    expectBitExact(file.tensors.get('layers.2.kernel')!.values, w[1]!.kernel, 'layers.2.kernel bytes');
    expectBitExact(file.tensors.get('layers.3.kernel')!.values, w[2]!.kernel, 'layers.3.kernel bytes');
    expectBitExact(file.tensors.get('layers.3.bias')!.values, w[2]!.bias!, 'layers.3.bias bytes');
    expect(file.metadata).toBeDefined();
    for (const [k, v] of Object.entries(file.metadata!)) expect(typeof v, `__metadata__.${k}`).toBe('string');
  });

  it('save → load is bit-exact in weights and predictions, and keeps the architecture', async () => {
    const net = makeNetwork();
    const path = join(dir, 'roundtrip.safetensors');
    net.save(path);
    const loaded = await Network.load(path, { backend: BACKEND });
    expect(loaded.backend).toBe(BACKEND);
    expect(loaded.inputs).toBe(5);
    expect(loaded.outputs).toBe(3);
    expect(loaded.layers.map((l) => (l instanceof Dense ? `dense:${l.units}:${l.activation}:${l.useBias}:${l.alpha}` : `dropout:${(l as Dropout).rate}`))).toEqual([
      'dense:7:gelu:true:0.01',
      'dropout:0.25',
      'dense:4:leakyRelu:false:0.2',
      'dense:3:softmax:true:0.01',
    ]);
    const a = net.getWeights();
    const b = loaded.getWeights();
    expect(b).toHaveLength(a.length);
    a.forEach((w, i) => {
      expectBitExact(b[i]!.kernel, w.kernel, `layer ${i} kernel`);
      if (w.bias) expectBitExact(b[i]!.bias!, w.bias, `layer ${i} bias`);
      else expect(b[i]!.bias).toBeNull();
    });
    const x = new TestRng(6).float32Array(9 * 5, -2, 2);
    expectBitExact(loaded.predict(x), net.predict(x), 'predictions');
  });

  it('save → load → save gives the same bytes', async () => {
    const net = makeNetwork();
    const p1 = join(dir, 'a.safetensors');
    const p2 = join(dir, 'b.safetensors');
    net.save(p1);
    (await Network.load(p1, { backend: BACKEND })).save(p2);
    expect(readFileSync(p2).equals(readFileSync(p1))).toBe(true);
  });

  it('toJSON → fromJSON round trip is bit-exact', () => {
    const net = makeNetwork();
    const back = Network.fromJSON(net.toJSON(), { backend: BACKEND });
    expect(back.layers.map((l) => l.toJSON())).toEqual(net.layers.map((l) => l.toJSON()));
    net.getWeights().forEach((w, i) => {
      expectBitExact(back.getWeights()[i]!.kernel, w.kernel, `layer ${i} kernel`);
      if (w.bias) expectBitExact(back.getWeights()[i]!.bias!, w.bias, `layer ${i} bias`);
      else expect(back.getWeights()[i]!.bias).toBeNull();
    });
    const x = new TestRng(8).float32Array(4 * 5, -2, 2);
    expectBitExact(back.predict(x), net.predict(x), 'predictions');
  });

  it('toJSON survives JSON.stringify / JSON.parse bit-exactly (float32 values print exactly as float64)', () => {
    const net = makeNetwork();
    const w = net.getWeights();
    w[0]!.kernel[0] = 0; // JSON has no −0; everything else must survive the text round trip
    net.setWeights(w);
    const back = Network.fromJSON(JSON.parse(JSON.stringify(net.toJSON())), { backend: BACKEND });
    net.getWeights().forEach((lw, i) => {
      expectBitExact(back.getWeights()[i]!.kernel, lw.kernel, `layer ${i} kernel`);
      if (lw.bias) expectBitExact(back.getWeights()[i]!.bias!, lw.bias, `layer ${i} bias`);
    });
  });

  it('loading a file that is not safetensors rejects with a message naming the path', async () => {
    const path = join(dir, 'junk.safetensors');
    writeFileSync(path, Buffer.from('not a model'));
    await expect(Network.load(path, { backend: BACKEND })).rejects.toThrow(/^Expected .* for .*junk\.safetensors but received /);
  });
});
