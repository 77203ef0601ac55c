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
    expect(
      loaded.layers.map((l) =>
        l instanceof Dense
          ? `dense:${l.units}:${l.activation}:${l.useBias}:${l.alpha}`
          : `dropout:${(l as Dropout).rate}`,
      ),
    ).toEqual(['dense:7:gelu:true:0.01', 'dropout:0.25', 'dense:4:leakyRelu:false:0.2', 'dense:3:softmax:true:0.01']);
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

  it('a loaded network trains exactly as the one saved (same seed: shuffling and dropout streams)', async () => {
    const net = makeNetwork();
    const loaded = Network.fromSafetensors(net.toSafetensors(), { backend: BACKEND });
    const x = new TestRng(10).float32Array(24 * 5, -1, 1);
    const y = new Float32Array(24 * 3).map((_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0));
    for (const n of [net, loaded]) {
      n.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam' });
      await n.fit(x, y, { epochs: 3, batchSize: 5, shuffle: true });
    }
    net.getWeights().forEach((w, i) => {
      expectBitExact(loaded.getWeights()[i]!.kernel, w.kernel, `layer ${i} kernel after fit`);
    });
  });

  it('loading a file that is not safetensors rejects with a message naming the path', async () => {
    const path = join(dir, 'junk.safetensors');
    writeFileSync(path, Buffer.from('not a model'));
    await expect(Network.load(path, { backend: BACKEND })).rejects.toThrow(
      /^Expected .* for .*junk\.safetensors but received /,
    );
  });
});

/** A file's header (parsed) and data section, and the file again from (changed) parts. */
function parts(bytes: Uint8Array): { header: Record<string, any>; data: Buffer } {
  const b = Buffer.from(bytes);
  const n = Number(b.readBigUInt64LE(0));
  return { header: JSON.parse(b.subarray(8, 8 + n).toString('utf8')) as Record<string, any>, data: b.subarray(8 + n) };
}

function file(header: unknown, data: Buffer, headerText = JSON.stringify(header)): Buffer {
  const h = Buffer.from(headerText, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, data]);
}

function rejection(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe(`model files are untrusted input (${BACKEND})`, () => {
  const valid = makeNetwork().toSafetensors({ note: 'kept' });
  const load = (bytes: Uint8Array): Network => Network.fromSafetensors(bytes, { backend: BACKEND }, 'm.safetensors');
  type Change = (h: Record<string, any>, d: Buffer) => Buffer | undefined;
  const arch = (h: Record<string, any>, f: (a: any) => void): void => {
    const a = JSON.parse(h.__metadata__['densely.architecture']);
    f(a);
    h.__metadata__['densely.architecture'] = JSON.stringify(a);
  };
  const cases: Array<[string, Change | Buffer, RegExp]> = [
    ['shorter than a header length', Buffer.alloc(5), /a safetensors file .* but received 5 bytes$/],
    [
      'a header length past the end',
      (h, d) => {
        const f = file(h, d);
        f.writeBigUInt64LE(2n ** 63n, 0);
        return f;
      },
      /header length in \[2, \d+\].* but received 9223372036854775808$/,
    ],
    ['a header that is not JSON', (h, d) => file(h, d, '{"x": nope}'), /UTF-8 JSON/],
    [
      'a header that is not UTF-8',
      (h, d) => file(h, d, '{"\udc00": 1}'.replace('\udc00', '\u00ff')).fill(0xff, 10, 11),
      /UTF-8 JSON/,
    ],
    [
      'a dtype other than F32',
      (h) => {
        h['layers.0.kernel'].dtype = 'F16';
      },
      /dtype "F32" for tensor "layers\.0\.kernel" .* received "F16"$/,
    ],
    [
      'a shape of the wrong type',
      (h) => {
        h['layers.0.bias'].shape = ['7'];
      },
      /a shape of at most 8 non-negative integers/,
    ],
    [
      'offsets past the data',
      (h, d) => {
        h['layers.3.bias'].data_offsets = [d.length - 12, d.length + 4];
      },
      /data_offsets within the \d+ data bytes/,
    ],
    [
      'offsets that disagree with the shape',
      (h) => {
        h['layers.0.bias'].data_offsets[1] += 4;
      },
      /spanning 4 bytes per element/,
    ],
    [
      'overlapping tensors',
      (h) => {
        h['layers.0.bias'].data_offsets = h['layers.0.kernel'].data_offsets.map((o: number) => o);
        h['layers.0.bias'].shape = h['layers.0.kernel'].shape;
      },
      /tile the data section/,
    ],
    [
      'bytes after the last tensor',
      (h, d) => file(h, Buffer.concat([d, Buffer.alloc(4)])),
      /covering all \d+ data bytes .* ending at byte \d+$/,
    ],
    [
      'a tensor the architecture does not have',
      (h, d) => {
        h['layers.9.kernel'] = { dtype: 'F32', shape: [0], data_offsets: [d.length, d.length] };
      },
      /only the tensors of the architecture .* received tensor "layers\.9\.kernel"$/,
    ],
    [
      'a missing bias',
      (h, d) => {
        const [b, e] = h['layers.3.bias'].data_offsets;
        delete h['layers.3.bias'];
        return file(h, Buffer.concat([d.subarray(0, b), d.subarray(e)]));
      },
      /./,
    ],
    [
      'a kernel of another shape',
      (h) => {
        h['layers.0.kernel'].shape = [7, 5];
      },
      /tensor layers\.0\.kernel of shape \[5, 7\] .* received shape \[7, 5\]$/,
    ],
    [
      'a non-finite weight',
      (_h, d) => {
        d.writeFloatLE(NaN, 8);
      },
      /finite values in tensor layers\.0\.kernel .* received NaN at element 2$/,
    ],
    [
      'another format',
      (h) => {
        h.__metadata__.format = 'pt';
      },
      /format "densely"/,
    ],
    [
      'version 999',
      (h) => {
        h.__metadata__['densely.version'] = '999';
      },
      /densely\.version "1" .* received "999"$/,
    ],
    [
      'a seed that is no uint32',
      (h) => {
        h.__metadata__['densely.seed'] = '4294967296';
      },
      /densely\.seed as a uint32/,
    ],
    [
      'non-string metadata',
      (h) => {
        h.__metadata__.epochs = 5;
      },
      /a string for __metadata__ entry "epochs" .* received 5$/,
    ],
    [
      'an architecture of null',
      (h) => {
        h.__metadata__['densely.architecture'] = 'null';
      },
      /architecture as an object .* received null$/,
    ],
    [
      'an unknown layer type',
      (h) =>
        arch(h, (a) => {
          a.layers[1].type = 'conv';
        }),
      /'dense', 'dropout', 'layerNorm' or 'batchNorm' for .*architecture\.layers\[1\]\.type but received "conv"$/,
    ],
    [
      'fractional units',
      (h) =>
        arch(h, (a) => {
          a.layers[0].units = 7.5;
        }),
      /integer in \[1, 16777216\] for .*architecture\.layers\[0\]\.units but received 7\.5$/,
    ],
    [
      'units as a string',
      (h) =>
        arch(h, (a) => {
          a.layers[0].units = '7';
        }),
      /layers\[0\]\.units but received "7"$/,
    ],
    [
      'an unknown activation',
      (h) =>
        arch(h, (a) => {
          a.layers[0].activation = 'swish';
        }),
      /layers\[0\]\.activation but received "swish"$/,
    ],
    [
      'alpha beyond float32',
      (h) =>
        arch(h, (a) => {
          a.layers[2].alpha = 1e39;
        }),
      /finite float32 .*layers\[2\]\.alpha but received 1e\+39$/,
    ],
    [
      'a dropout rate of 1',
      (h) =>
        arch(h, (a) => {
          a.layers[1].rate = 1;
        }),
      /layers\[1\]\.rate but received 1$/,
    ],
    [
      'inputs 20000 × units 20000 over tiny tensors',
      (h) =>
        arch(h, (a) => {
          a.inputs = 20000;
          a.layers = [{ type: 'dense', units: 20000 }];
        }),
      /tensor layers\.0\.kernel of shape \[20000, 20000\]/,
    ],
    [
      'inputs 65536 × units 65536 (over the parameter limit)',
      (h) =>
        arch(h, (a) => {
          a.inputs = 65536;
          a.layers = [{ type: 'dense', units: 65536 }];
        }),
      /at most 4294967295 \(2\^32 − 1\) parameters/,
    ],
  ];

  for (const [what, change, message] of cases) {
    it(`rejects ${what} with DENSELY_INVALID_MODEL`, () => {
      let bytes: Buffer;
      if (Buffer.isBuffer(change)) bytes = change;
      else {
        const { header, data } = parts(valid);
        const d = Buffer.from(data);
        bytes = change(header, d) ?? file(header, d);
      }
      const t0 = performance.now();
      const e = rejection(() => load(bytes));
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(e.code, e.message).toBe('DENSELY_INVALID_MODEL');
      expect(e.message).toMatch(/^Expected .+ for .*m\.safetensors.* but received .+$/s);
      expect(e.message).toMatch(message);
      expect(e.message.length).toBeLessThan(300);
    });
  }

  it('elides long names: a 20,000-character tensor name, metadata key and activation', () => {
    const long = 'n'.repeat(20_000);
    const variants: Change[] = [
      (h, d) => {
        h[long] = { dtype: 'F32', shape: [0], data_offsets: [d.length, d.length] };
      },
      (h) => {
        h.__metadata__[long] = 5;
      },
      (h) =>
        arch(h, (a) => {
          a.layers[0].activation = long;
        }),
      (h) =>
        arch(h, (a) => {
          a.layers[0][long] = 1;
        }),
    ];
    for (const change of variants) {
      const { header, data } = parts(valid);
      const e = rejection(() => load(change(header, data) ?? file(header, data)));
      expect(e.code).toBe('DENSELY_INVALID_MODEL');
      expect(e.message.length).toBeLessThan(300);
      expect(e.message).toContain(`${'n'.repeat(40)}…`);
    }
    // A long path is cut to its last 60 characters.
    const e = rejection(() =>
      Network.fromSafetensors(Buffer.alloc(3), { backend: BACKEND }, `/${'d'.repeat(5000)}/m.safetensors`),
    );
    expect(e.message.length).toBeLessThan(300);
    expect(e.message).toContain('…ddd');
  });

  it('accepts the valid file it started from, user metadata included', () => {
    const net = load(valid);
    expect(net.metadata).toEqual({ note: 'kept' });
    expectBitExact(net.getWeights()[0]!.kernel, makeNetwork().getWeights()[0]!.kernel, 'kernel');
  });
});

describe(`fromJSON applies the same rules up front (${BACKEND})`, () => {
  const json = (): any => JSON.parse(JSON.stringify(makeNetwork().toJSON()));
  const from = (j: unknown): Network => Network.fromJSON(j as never, { backend: BACKEND });

  it('refuses what save would refuse: version 999, non-string or reserved metadata', () => {
    const cases: Array<[(j: any) => void, RegExp]> = [
      [
        (j) => {
          j.version = 999;
        },
        /^Expected format version 1 for json\.version but received 999$/,
      ],
      [
        (j) => {
          j.metadata = { epochs: 5 };
        },
        /^Expected a string for json\.metadata\["epochs"\] but received 5$/,
      ],
      [
        (j) => {
          j.metadata = { format: 'x' };
        },
        /^Expected metadata keys other than .* for json\.metadata but received "format"$/,
      ],
    ];
    for (const [change, message] of cases) {
      const j = json();
      change(j);
      const e = rejection(() => from(j));
      expect(e.code).toBe('DENSELY_INVALID_MODEL');
      expect(e.message).toMatch(message);
      // save refuses the same metadata.
      if (Object.keys(j.metadata).length > 0)
        expect(() => makeNetwork().toSafetensors(j.metadata)).toThrow(/^Expected /);
    }
  });

  it('null, unknown keys, bad architecture fields, wrong weight lengths and values', () => {
    const cases: Array<[(j: any) => any, RegExp]> = [
      [() => ({ given: null }), /^Expected an object from Network#toJSON\(\) for json but received null$/],
      [
        (j) => {
          j.extra = 1;
        },
        /for json but received unknown option 'extra'$/,
      ],
      [
        (j) => {
          j.inputs = null;
        },
        /for json\.inputs but received null$/,
      ],
      [
        (j) => {
          j.layers = null;
        },
        /for json\.layers but received null$/,
      ],
      [
        (j) => {
          j.layers[0].units = 1e308;
        },
        /for json\.layers\[0\]\.units but received 1e\+308$/,
      ],
      [
        (j) => {
          j.seed = -1;
        },
        /for json\.seed but received -1$/,
      ],
      [
        (j) => {
          j.weights[0].kernel.pop();
        },
        /^Expected 35 numbers \(\[5 × 7\]\) for json\.weights\[0\]\.kernel but received an array of length 34$/,
      ],
      [
        (j) => {
          j.weights[0].kernel[3] = 1e39;
        },
        /^Expected finite float32 values for json\.weights\[0\]\.kernel\[3\] but received 1e\+39$/,
      ],
      [
        (j) => {
          j.weights[1].bias = [1, 2, 3, 4];
        },
        /for json\.weights\[1\]\.bias but received /,
      ],
      [
        (j) => {
          j.inputs = 20000;
          j.layers = [{ type: 'dense', units: 20000 }];
          j.weights = [{ kernel: [[]], bias: [] }];
        },
        /^Expected 400000000 numbers \(\[20000 × 20000\]\) for json\.weights\[0\]\.kernel but received 1 rows$/,
      ],
    ];
    for (const [change, message] of cases) {
      const j = json();
      const replaced = change(j) as { given: unknown } | undefined;
      const given = replaced === undefined ? j : replaced.given;
      const t0 = performance.now();
      const e = rejection(() => from(given));
      expect(performance.now() - t0, String(message)).toBeLessThan(1000);
      expect(e.code, e.message).toBe('DENSELY_INVALID_MODEL');
      expect(e.message).toMatch(message);
    }
  });

  it('accepts nested number[][] kernels and Float32Arrays as well as flat arrays', () => {
    const net = makeNetwork();
    const units = net.layers.filter((l): l is Dense => l instanceof Dense).map((l) => l.units);
    const weights = net.getWeights();
    const nested = weights.map((w, i) => ({
      kernel: Array.from({ length: w.kernel.length / units[i]! }, (_, r) =>
        Array.from(w.kernel.subarray(r * units[i]!, (r + 1) * units[i]!)),
      ),
      bias: w.bias ? Array.from(w.bias) : null,
    }));
    for (const given of [nested, weights]) {
      const back = from({ ...net.toJSON(), weights: given });
      weights.forEach((w, i) => {
        expectBitExact(back.getWeights()[i]!.kernel, w.kernel, `layer ${i}`);
      });
    }
  });
});
