'use strict';
/**
 * The worker of test/boundary/model_file_fuzz.test.ts: loads `count` mutated model files
 * (mutations `start` … `start + count − 1` of seed `seed`, each a pure function of the seed
 * and its index) with the built package (dist/cjs) on every backend named, and prints one
 * JSON summary line. Run alone to reproduce a failure:
 *
 *   node test/boundary/model_file_fuzz_child.cjs <seed> <start> <count> js,native [--dump]
 *
 * (--dump writes each mutated file's bytes as base64 on stderr; --stats adds a count of
 * each kind of outcome to the summary).
 *
 * The oracle, per mutation and backend: `Network.fromSafetensors` returns a network that
 * predicts, and saves to bytes that load again, or it throws an Error with code
 * DENSELY_INVALID_MODEL and a message under 300 characters of the form "Expected … for …
 * but received …"; never DENSELY_INTERNAL, another code or none; no load takes longer
 * than MAX_LOAD_MS. Both backends give the same outcome (the same message, or both
 * accept). Every tenth mutation is also a `toJSON()` object mutated the same ways, fed
 * to `Network.fromJSON` under the same oracle.
 */
const path = require('node:path');
const { Network, Dense, Dropout, LayerNorm, BatchNorm, Adam, RMSProp, stepDecay } = require(
  path.resolve(__dirname, '../../dist/cjs/index.js'),
);

const [seedArg, startArg, countArg, backendsArg = 'js,native', ...flags] = process.argv.slice(2);
const SEED = Number(seedArg);
const START = Number(startArg);
const COUNT = Number(countArg);
const BACKENDS = backendsArg.split(',');
const DUMP = flags.includes('--dump');
const STATS = flags.includes('--stats');
const whats = new Map();
const MAX_LOAD_MS = 1000;
const MAX_MESSAGE = 300;

// ---------------------------------------------------------------------------------------
// A small seeded generator (mulberry32), one per mutation.

function rngFor(seed, index) {
  let a = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    float: next,
    int: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
    pick(xs) {
      return xs[Math.floor(next() * xs.length)];
    },
  };
}

// ---------------------------------------------------------------------------------------
// Valid files to start from.

function baseNetworks() {
  const a = new Network({
    inputs: 5,
    layers: [
      new Dense(7, { activation: 'gelu' }),
      new Dropout(0.25),
      new Dense(4, { activation: 'leakyRelu', alpha: 0.2, useBias: false }),
      new Dense(3, { activation: 'softmax' }),
    ],
    backend: 'js',
    seed: 1234,
  });
  a.metadata = { note: 'fuzz base', 'densely.cli.task': 'classification' };
  const b = new Network({ inputs: 1, layers: [new Dense(1)], backend: 'js', seed: 7 });
  const c = new Network({
    inputs: 3,
    layers: [new Dense(2, { activation: 'relu' }), new Dense(2, { activation: 'sigmoid', useBias: false })],
    backend: 'js',
    seed: 0,
  });
  // Norm layers: every tensor kind (gamma, beta, runningMean, runningVar), parts switched off.
  const d = new Network({
    inputs: 4,
    layers: [
      new Dense(3),
      new BatchNorm({ momentum: 0.3 }),
      new Dense(3, { activation: 'relu' }),
      new LayerNorm({ center: false }),
      new BatchNorm({ scale: false, center: false }),
      new Dense(2),
    ],
    backend: 'js',
    seed: 11,
  });
  d.compile({ loss: 'mse', optimizer: 'sgd' });
  d.trainOnBatch(
    [
      [1, 2, 3, 4],
      [0, 1, 0, -1],
      [2, 0, 1, 1],
    ],
    [
      [1, 0],
      [0, 1],
      [1, 1],
    ],
  );
  // Checkpoints: compiled networks whose files also hold the optimizer section
  // (densely.training metadata and optimizer.<slot>.layers.<i>.* tensors).
  const e = new Network({
    inputs: 3,
    layers: [new Dense(4, { activation: 'tanh' }), new Dropout(0.5), new Dense(2, { activation: 'softmax' })],
    backend: 'js',
    seed: 3,
  });
  e.compile({ loss: 'categoricalCrossentropy', optimizer: new Adam({ learningRate: 0.01 }), metrics: ['accuracy'] });
  e.trainOnBatch([[1, 2, 3]], [[0, 1]]);
  const f = new Network({ inputs: 2, layers: [new Dense(1, { useBias: false })], backend: 'js', seed: 4 });
  f.compile({
    loss: 'mse',
    optimizer: new RMSProp({ learningRate: stepDecay({ initial: 0.1, stepSize: 2, gamma: 0.5 }), momentum: 0.5 }),
  });
  f.trainOnBatch([[1, 2]], [[3]]);
  return [a, b, c, d, e, f];
}

const BASES = baseNetworks().map((net) => ({ bytes: Buffer.from(net.toSafetensors()), json: net.toJSON() }));

function splitFile(bytes) {
  const n = Number(bytes.readBigUInt64LE(0));
  return { header: JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')), data: bytes.subarray(8 + n) };
}

function joinFile(headerText, data, rng) {
  let h = Buffer.from(headerText, 'utf8');
  if (rng.chance(0.5)) h = Buffer.concat([h, Buffer.alloc((8 - ((8 + h.length) % 8)) % 8, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, data]);
}

// ---------------------------------------------------------------------------------------
// Values a mutation puts in place of a valid one.

const NUMBERS = [
  0, 1, 2, 3, 5, 7, -1, 0.5, 1.5, 16777216, 16777217, 20000, 65536, 2147483647, 2147483648, 4294967295, 4294967296,
  9007199254740991, 9007199254740994, 1e21, 1e39, -1e39, 1e308, -1e308, 5e-324, -0,
];
const NON_NUMBERS = ['3', '', null, true, false, [], {}, [3], { units: 3 }];
const ACT_NAMES = [
  'linear',
  'relu',
  'leakyRelu',
  'sigmoid',
  'tanh',
  'softmax',
  'gelu',
  'swish',
  'RELU',
  '',
  'x'.repeat(20000),
  'constructor',
  '__proto__',
];
const INIT_NAMES = [
  'zeros',
  'ones',
  'glorotUniform',
  'glorotNormal',
  'heUniform',
  'heNormal',
  'lecunNormal',
  'orthogonal',
  'toString',
];
const LONG = 'n'.repeat(20000);

function anyValue(rng) {
  const r = rng.float();
  if (r < 0.6) return rng.pick(NUMBERS);
  if (r < 0.85) return rng.pick(NON_NUMBERS);
  return rng.pick(['dense', 'dropout', 'F32', LONG, 'NaN', 'Infinity']);
}

function shapeValue(rng, given) {
  const shape = Array.isArray(given) ? given.map(Number) : [1];
  return rng.pick([
    () => [],
    () => [0],
    () => [...shape].reverse(),
    () => shape.map((d) => d + 1),
    () => shape.map(() => rng.pick(NUMBERS)),
    () => [...shape, 1],
    () => [...shape, 0],
    () => [20000, 20000],
    () => [4294967296, 4294967296, 0],
    () => [-1],
    () => [1.5],
    () => ['3'],
    () => null,
    () => 'shape',
    () => new Array(9).fill(1),
  ])();
}

function offsetsValue(rng, given, dataLen) {
  const [b, e] = Array.isArray(given) && given.length === 2 ? given.map(Number) : [0, 4];
  return rng.pick([
    () => [e, b],
    () => [0, 0],
    () => [b, e + 4],
    () => [b - 4, e - 4],
    () => [b + 4, e + 4],
    () => [0, dataLen],
    () => [0, dataLen + 4],
    () => [-4, e],
    () => [b, 9007199254740992],
    () => [b, 1e308],
    () => [String(b), e],
    () => [b],
    () => [b, e, 0],
    () => null,
    () => [b + 0.5, e + 0.5],
    () => [rng.pick(NUMBERS), rng.pick(NUMBERS)],
  ])();
}

/** Mutates one field of the architecture object in place (or returns a replacement). */
function mutateArchitecture(rng, arch) {
  const layers = Array.isArray(arch.layers) ? arch.layers : null;
  const kind = rng.int(12);
  if (kind === 0) arch.inputs = anyValue(rng);
  else if (kind === 1) arch.layers = rng.pick([[], null, 'layers', {}, [null], [1], [{ type: 'dropout', rate: 0.5 }]]);
  else if (kind === 2) arch[rng.pick(['extra', 'input', '__proto__'])] = anyValue(rng);
  else if (kind === 3) delete arch[rng.pick(['inputs', 'layers'])];
  else if (kind === 4)
    return rng.pick([
      null,
      [],
      'x',
      7,
      { inputs: 20000, layers: [{ type: 'dense', units: 20000 }] },
      { inputs: 65536, layers: [{ type: 'dense', units: 65536 }] },
    ]);
  else if (layers && layers.length > 0) {
    const i = rng.int(layers.length);
    const l = layers[i];
    if (l === null || typeof l !== 'object') layers[i] = anyValue(rng);
    else if (kind === 5)
      l.type = rng.pick(['dense', 'dropout', 'layerNorm', 'batchNorm', 'conv', 'Dense', null, 5, LONG]);
    else if (kind === 6) l.units = anyValue(rng);
    else if (kind === 7)
      l[rng.pick(['activation', 'kernelInitializer', 'biasInitializer'])] = rng.pick([
        ...ACT_NAMES,
        ...INIT_NAMES,
        null,
        3,
      ]);
    else if (kind === 8)
      l[rng.pick(['alpha', 'rate', 'useBias', 'epsilon', 'momentum', 'center', 'scale'])] = rng.chance(0.3)
        ? rng.pick([true, false, 'true', 0, 1])
        : anyValue(rng);
    else if (kind === 9) l[rng.pick(['extra', LONG, 'unit'])] = 1;
    else if (kind === 10)
      delete l[rng.pick(['type', 'units', 'activation', 'useBias', 'alpha', 'rate', 'epsilon', 'center', 'scale'])];
    else {
      const op = rng.int(4);
      if (op === 0) layers.splice(i, 1);
      else if (op === 1) layers.splice(i, 0, { type: 'dropout', rate: rng.pick([0, 0.5, 0.99, 1, -0.1]) });
      else if (op === 2) layers.splice(i, 0, JSON.parse(JSON.stringify(l)));
      else layers.reverse();
    }
  }
  return arch;
}

/** Mutates a checkpoint's densely.training JSON (one change). */
function mutateTraining(rng, meta) {
  let t;
  try {
    t = JSON.parse(meta['densely.training']);
  } catch {
    return;
  }
  if (t === null || typeof t !== 'object' || Array.isArray(t)) return;
  const keys = [
    'version',
    'loss',
    'metrics',
    'optimizer',
    'optimizerStep',
    'slots',
    'dropoutStep',
    'shuffleRng',
    'epochs',
  ];
  const op = rng.int(9);
  if (op === 0) t[rng.pick(keys)] = anyValue(rng);
  else if (op === 1) delete t[rng.pick(keys)];
  else if (op === 2 && Array.isArray(t.slots))
    t.slots = rng.pick([
      () => [...t.slots].reverse(),
      () => t.slots.slice(1),
      () => [...t.slots, 'momentumBuffer'],
      () => t.slots.map((s) => `${s}x`),
      () => [null],
    ])();
  else if (op === 3 && t.optimizer && typeof t.optimizer === 'object') {
    const o = t.optimizer;
    const k = rng.int(4);
    if (k === 0) o.name = rng.pick(['sgd', 'adam', 'adamw', 'rmsprop', 'lbfgs', 5, null]);
    else if (k === 1) o[rng.pick(Object.keys(o).concat(['extra']))] = anyValue(rng);
    else if (k === 2)
      o.learningRate = rng.pick([
        { schedule: { type: 'cosineDecay', initial: 0.1, steps: rng.pick(NUMBERS) } },
        { schedule: { type: 'stepDecay', initial: 0.1, stepSize: 0, gamma: 0.5 } },
        { schedule: { type: 'warp' } },
        { schedule: null },
        { rate: 1 },
        -1,
        'fast',
      ]);
    else t.optimizer = rng.pick([null, [], 'adam', {}]);
  } else if (op === 4)
    t.shuffleRng = rng.pick([
      { words: [0, 0, 0, 0], spare: null },
      { words: [1, 2, 3], spare: null },
      { words: [1, 2, 3, 4294967296], spare: null },
      { words: [1, 2, 3, -4], spare: null },
      { words: [1, 2, 3, 4], spare: 'x' },
      { words: [1, 2, 3, 4], spare: 0.25 },
      { words: [1, 2, 3, 4], spare: null, extra: 1 },
      null,
    ]);
  else if (op === 5) t.loss = rng.pick(['mse', 'sparseCategoricalCrossentropy', 'binaryCrossentropy', 'hinge', 3]);
  else if (op === 6) t.metrics = rng.pick([['accuracy'], ['auc?'], 'accuracy', [3], new Array(20).fill('accuracy')]);
  else if (op === 7) t[rng.pick(['optimizerStep', 'dropoutStep', 'epochs'])] = rng.pick(NUMBERS);
  else {
    meta['densely.training'] = rng.pick(['', '{', 'null', '[]', '{}', '1e999', LONG]);
    return;
  }
  meta['densely.training'] = JSON.stringify(t);
}

/** Mutates the parsed safetensors header in place (1–3 changes). */
function mutateHeader(rng, header, dataLen) {
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  // One change most of the time, so that checks deep in the file (the architecture's
  // fields) are reached; sometimes two or three.
  const changes = rng.chance(0.6) ? 1 : 2 + rng.int(2);
  for (let c = 0; c < changes; c++) {
    const target = rng.int(20);
    const meta = header.__metadata__;
    if (target < 6 && names.length > 0) {
      const name = rng.pick(names);
      const t = header[name];
      if (t === undefined || t === null || typeof t !== 'object') continue;
      const op = rng.int(8);
      if (op === 0) t.dtype = rng.pick(['F16', 'F64', 'BF16', 'I32', 'f32', '', 'F32 ', null, 7]);
      else if (op === 1) t.shape = shapeValue(rng, t.shape);
      else if (op === 2) t.data_offsets = offsetsValue(rng, t.data_offsets, dataLen);
      else if (op === 3) delete t[rng.pick(['dtype', 'shape', 'data_offsets'])];
      else if (op === 4) t.extra = 1;
      else if (op === 5) delete header[name];
      else if (op === 6)
        header[rng.pick(['layers.9.kernel', `layers.0.${LONG}`, '__proto__', 'constructor', ''])] = JSON.parse(
          JSON.stringify(t),
        );
      else {
        header[
          rng.pick(['layers.5.kernel', 'layers.1.bias', 'layers.1.gamma', 'layers.3.runningVar', LONG, 'toString'])
        ] = t;
        delete header[name];
      }
    } else if (target < 17 && meta && typeof meta === 'object') {
      if (typeof meta['densely.training'] === 'string' && rng.chance(0.4)) {
        mutateTraining(rng, meta);
        continue;
      }
      const op = rng.chance(0.5) ? 7 : rng.int(7);
      if (op === 0) meta.format = rng.pick(['densely', 'pt', '', 'Densely']);
      else if (op === 1) meta['densely.version'] = rng.pick(['1', '2', '999', '', '01', '1.0', 1]);
      else if (op === 2)
        meta['densely.seed'] = rng.pick([
          '0',
          '4294967295',
          '4294967296',
          '-1',
          '1e3',
          'abc',
          '',
          ' 1',
          '9007199254740993',
          42,
        ]);
      else if (op === 3) meta[rng.pick(['epochs', LONG, 'note', '__proto__'])] = rng.pick([5, null, {}, 'x', LONG]);
      else if (op === 4) delete meta[rng.pick(['format', 'densely.version', 'densely.seed', 'densely.architecture'])];
      else if (op === 5) header.__metadata__ = rng.pick([null, [], 'x', 5, {}]);
      else if (op === 6) {
        meta['densely.architecture'] = rng.pick([
          'null',
          '[]',
          '{}',
          '',
          '{"inputs":',
          'NaN',
          '1e999',
          '"x"',
          '[{"type":"dense"}]',
          '{"inputs":1,"layers":[{"type":"dense","units":1}]}',
          '['.repeat(5000) + ']'.repeat(5000),
          '{"inputs":20000,"layers":[{"type":"dense","units":20000,"activation":"linear","useBias":true}]}',
        ]);
      } else {
        let arch;
        try {
          arch = JSON.parse(meta['densely.architecture']);
        } catch {
          continue;
        }
        if (arch === null || typeof arch !== 'object' || Array.isArray(arch)) continue;
        meta['densely.architecture'] = JSON.stringify(mutateArchitecture(rng, arch));
      }
    } else if (target < 18) {
      delete header.__metadata__;
    } else {
      // A tensor whose shape agrees with a (mutated) architecture but whose bytes the file does not hold.
      const name = rng.pick(names.length > 0 ? names : ['layers.0.kernel']);
      header[name] = { dtype: 'F32', shape: [20000, 20000], data_offsets: [0, 1600000000] };
    }
  }
}

function mutateFile(rng, base) {
  const bytes = Buffer.from(base.bytes);
  const kind = rng.int(10);
  if (kind === 0) {
    const flips = 1 + rng.int(4);
    const n = Number(bytes.readBigUInt64LE(0));
    for (let f = 0; f < flips; f++) {
      const at = rng.chance(0.7) ? 8 + rng.int(n) : rng.int(bytes.length);
      bytes[at] ^= 1 << rng.int(8);
    }
    return { kind: 'flip', bytes };
  }
  if (kind === 1) return { kind: 'truncate', bytes: bytes.subarray(0, rng.int(bytes.length)) };
  if (kind === 2)
    return {
      kind: 'extend',
      bytes: Buffer.concat([bytes, Buffer.from(Array.from({ length: 1 + rng.int(64) }, () => rng.int(256)))]),
    };
  if (kind === 3) {
    const n = Number(bytes.readBigUInt64LE(0));
    const v = rng.pick([
      0n,
      1n,
      2n,
      BigInt(n - 1),
      BigInt(n + 1),
      BigInt(bytes.length - 8),
      BigInt(bytes.length - 7),
      2n ** 32n,
      2n ** 53n,
      2n ** 64n - 1n,
      BigInt(rng.int(1 << 30)),
    ]);
    bytes.writeBigUInt64LE(v, 0);
    return { kind: 'header-length', bytes };
  }
  const { header, data } = splitFile(bytes);
  if (kind === 4) {
    // An oversized declaration: a small file whose architecture declares inputs
    // × units far beyond its bytes, with or without tensor descriptors that agree.
    const w = rng.pick([20000, 65536, 16777216, 4294967296]);
    header.__metadata__['densely.architecture'] = JSON.stringify({
      inputs: w,
      layers: [{ type: 'dense', units: w, activation: 'linear', useBias: rng.chance(0.5) }],
    });
    if (rng.chance(0.5)) {
      for (const k of Object.keys(header)) if (k !== '__metadata__') delete header[k];
      header['layers.0.kernel'] = {
        dtype: 'F32',
        shape: [w, w],
        data_offsets: [0, rng.chance(0.5) ? data.length : w * w * 4],
      };
    }
    return { kind: 'oversized', bytes: joinFile(JSON.stringify(header), data, rng) };
  }
  mutateHeader(rng, header, data.length);
  let text = JSON.stringify(header);
  if (rng.chance(0.05)) text = ` ${text}`;
  if (rng.chance(0.05)) text = text.slice(0, rng.int(text.length));
  let out = joinFile(text, data, rng);
  if (rng.chance(0.1)) out = out.subarray(0, out.length - 4 * (1 + rng.int(4)));
  if (rng.chance(0.05)) {
    // A non-finite weight in an otherwise valid file.
    const dataStart = out.length - data.length;
    if (data.length >= 4)
      out.writeFloatLE(rng.pick([NaN, Infinity, -Infinity]), dataStart + 4 * rng.int(data.length / 4));
  }
  return { kind: 'header-json', bytes: out };
}

function mutateJson(rng, base) {
  const j = JSON.parse(JSON.stringify(base.json));
  const kind = rng.int(8);
  if (kind === 0) j.version = rng.pick([999, 2, '1', 0, null]);
  else if (kind === 1)
    j.metadata = rng.pick([{ epochs: 5 }, { format: 'x' }, { 'densely.version': '1' }, null, [], 'x', { [LONG]: 1 }]);
  else if (kind === 2) j.seed = anyValue(rng);
  else if (kind === 3)
    j[rng.pick(['format', 'extra', 'weights', 'layers', 'inputs'])] = rng.chance(0.5) ? undefined : anyValue(rng);
  else if (kind === 4)
    Object.assign(j, mutateArchitecture(rng, { inputs: j.inputs, layers: j.layers }) ?? { layers: null });
  else if (kind === 5 && j.weights.length > 0) {
    const w = rng.pick(j.weights);
    const op = rng.int(6);
    if (!('kernel' in w)) {
      // A norm layer's entry: gamma, beta, runningMean, runningVar (some null).
      const key = rng.pick(Object.keys(w));
      if (op === 0) w[key] = Array.isArray(w[key]) ? w[key].slice(1) : [1];
      else if (op === 1 && Array.isArray(w[key])) w[key][rng.int(w[key].length)] = rng.pick([1e39, -1, '1', null, NaN]);
      else if (op === 2) w[key] = rng.pick([null, [], [1, 2, 3, 4, 5, 6, 7, 8], 'x', [-1, -2, -3]]);
      else if (op === 3) w.kernel = [[1]];
      else if (op === 4) w.extra = 1;
      else j.weights.pop();
    } else if (op === 0) w.kernel = w.kernel.slice(1);
    else if (op === 1) w.kernel[rng.int(w.kernel.length)] = rng.pick([1e39, -1e308, '1', null, NaN]);
    else if (op === 2) w.bias = rng.pick([null, [], [1, 2, 3, 4, 5, 6, 7, 8], 'x']);
    else if (op === 3) w.kernel = rng.pick([null, {}, 'k', [[]], [[1], [2]]]);
    else if (op === 4) w.extra = 1;
    else j.weights.pop();
  } else if (kind === 6) {
    // The oversized declaration with weights that do not hold it.
    j.inputs = 20000;
    j.layers = [{ type: 'dense', units: 20000 }];
  } else j.weights = rng.pick([null, [], {}, 'w']);
  return { kind: `json-${kind}`, json: j };
}

// ---------------------------------------------------------------------------------------
// The oracle.

function outcomeOf(load, backend) {
  const t0 = performance.now();
  let net;
  try {
    net = load(backend);
  } catch (e) {
    const ms = performance.now() - t0;
    const err = e;
    const message = err instanceof Error ? err.message : String(err);
    if (!(err instanceof Error)) return { ms, problem: `threw a non-Error: ${String(err).slice(0, 200)}` };
    if (err.code !== 'DENSELY_INVALID_MODEL')
      return { ms, problem: `threw ${err.name} code ${String(err.code)}: ${message.slice(0, 300)}` };
    if (message.length >= MAX_MESSAGE)
      return { ms, problem: `message of ${message.length} characters: ${message.slice(0, 300)}…` };
    if (!/^Expected .+ for .+ but received .+$/s.test(message))
      return { ms, problem: `message not of the form "Expected … for … but received …": ${message}` };
    return { ms, outcome: `${err.code}: ${message}` };
  }
  const ms = performance.now() - t0;
  try {
    const out = net.predict(new Float32Array(net.inputs));
    if (!(out instanceof Float32Array) || out.length !== net.outputs)
      return { ms, problem: 'an accepted network predicted the wrong shape' };
    const again = Network.fromSafetensors(net.toSafetensors(), { backend });
    if (again.paramCount !== net.paramCount) return { ms, problem: 'an accepted network did not save and load again' };
    return { ms, outcome: `ok ${net.inputs}→${net.outputs} params ${net.paramCount}` };
  } catch (e) {
    return {
      ms,
      problem:
        `an accepted network failed to predict or round-trip: ${e instanceof Error ? `${e.code} ${e.message}` : String(e)}`.slice(
          0,
          400,
        ),
    };
  }
}

const summary = {
  seed: SEED,
  start: START,
  count: COUNT,
  backends: BACKENDS,
  files: 0,
  json: 0,
  accepted: 0,
  rejected: 0,
  slowestMs: 0,
  kinds: {},
  failures: [],
};

for (let i = START; i < START + COUNT; i++) {
  const rng = rngFor(SEED, i);
  const base = rng.pick(BASES);
  const asJson = i % 10 === 9;
  const m = asJson ? mutateJson(rng, base) : mutateFile(rng, base);
  if (DUMP && !asJson) process.stderr.write(`${i} ${m.kind} ${m.bytes.toString('base64')}\n`);
  const load = asJson
    ? (backend) => Network.fromJSON(m.json, { backend })
    : (backend) => Network.fromSafetensors(m.bytes, { backend }, 'fuzz.safetensors');
  if (asJson) summary.json++;
  else summary.files++;
  summary.kinds[m.kind] = (summary.kinds[m.kind] ?? 0) + 1;
  const seen = [];
  for (const backend of BACKENDS) {
    const r = outcomeOf(load, backend);
    summary.slowestMs = Math.max(summary.slowestMs, r.ms);
    if (r.ms > MAX_LOAD_MS)
      summary.failures.push({ index: i, kind: m.kind, backend, problem: `took ${r.ms.toFixed(0)} ms` });
    if (r.problem) summary.failures.push({ index: i, kind: m.kind, backend, problem: r.problem });
    else seen.push(r.outcome);
  }
  if (seen.length === BACKENDS.length) {
    if (seen.some((s) => s !== seen[0]))
      summary.failures.push({
        index: i,
        kind: m.kind,
        backend: 'all',
        problem: `backends disagree: ${seen.map((s) => s.slice(0, 140)).join(' | ')}`,
      });
    else if (seen[0].startsWith('ok')) summary.accepted++;
    else summary.rejected++;
    if (STATS) {
      const what = seen[0].replace(/ for .*/s, '').replace(/[0-9]+/g, 'N');
      whats.set(what, (whats.get(what) ?? 0) + 1);
    }
  }
  if (summary.failures.length >= 20) break;
}
summary.maxRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
if (STATS) summary.outcomes = Object.fromEntries([...whats].sort((a, b) => b[1] - a[1]));
process.stdout.write(`${JSON.stringify(summary)}\n`);
