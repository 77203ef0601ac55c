/**
 * API.md "Errors": every bad input is rejected before any state changes, with a message
 * of the form "Expected <what> for <name> but received <value>" (shapes as
 * `[rows × cols]`); inputs are never mutated; non-finite losses during fit restore the
 * last finite weights; calls during a running fit are "busy".
 */
import { describe, expect, it } from 'vitest';
import { Adam, AdamW, Dense, Dropout, Network, RMSProp, SGD, setThreads, sgemm } from '../../lib/index';
import { BACKEND } from '../support/backend';
import { expectBitExact } from '../support/close';
import { TestRng } from '../support/rng';

/** The one message form, with `name` matched literally. */
function form(name: string, received?: RegExp | string): RegExp {
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const rec = received === undefined ? '.+' : typeof received === 'string' ? `.*${esc(received)}.*` : received.source;
  return new RegExp(`^Expected .+ for ${esc(name)} but received ${rec}$`, 's');
}

/** Deep copy of anything a test passes in (typed arrays, nested arrays, plain objects). */
function snapshot<T>(v: T): T {
  return structuredClone(v);
}

/**
 * Runs `fn(...args)` and checks that every argument is unchanged afterwards, whether
 * the call returned, threw or rejected. Returns what `fn` returned (or threw).
 */
async function untouched(
  args: unknown[],
  fn: (...a: unknown[]) => unknown,
): Promise<{ value?: unknown; error?: unknown }> {
  const copies = args.map(snapshot);
  let out: { value?: unknown; error?: unknown };
  try {
    out = { value: await fn(...args) };
  } catch (error) {
    out = { error };
  }
  args.forEach((a, i) => {
    expect(a, `argument ${i} was mutated`).toEqual(copies[i]);
  });
  return out;
}

function throwsForm(fn: () => unknown, name: string, received?: RegExp | string): void {
  expect(fn).toThrow(form(name, received));
}

function small(opts: { outputs?: number; activation?: 'linear' | 'softmax' | 'sigmoid'; seed?: number } = {}): Network {
  return new Network({
    inputs: 3,
    layers: [
      new Dense(4, { activation: 'tanh' }),
      new Dense(opts.outputs ?? 2, { activation: opts.activation ?? 'linear' }),
    ],
    backend: BACKEND,
    seed: opts.seed ?? 1,
  });
}

const X = (): Float32Array => new TestRng(3).float32Array(4 * 3, -1, 1);

describe(`construction errors (${BACKEND})`, () => {
  it('Network options', () => {
    const layers = [new Dense(2)];
    throwsForm(() => new Network({ inputs: 0, layers, backend: BACKEND }), 'inputs', '0');
    throwsForm(() => new Network({ inputs: 2.5, layers, backend: BACKEND }), 'inputs', '2.5');
    throwsForm(() => new Network({ inputs: '3' as unknown as number, layers, backend: BACKEND }), 'inputs', '"3"');
    throwsForm(() => new Network({ inputs: 3, layers: [], backend: BACKEND }), 'layers');
    throwsForm(
      () => new Network({ inputs: 3, layers: [{ units: 3 }] as unknown as Dense[], backend: BACKEND }),
      'layers[0]',
    );
    throwsForm(() => new Network({ inputs: 3, layers: [new Dropout(0.5)], backend: BACKEND }), 'layers');
    throwsForm(() => new Network({ inputs: 3, layers, backend: 'gpu' as 'js' }), 'backend', '"gpu"');
    throwsForm(() => new Network({ inputs: 3, layers, backend: BACKEND, seed: -1 }), 'seed', '-1');
    throwsForm(() => new Network({ inputs: 3, layers, backend: BACKEND, seed: 1.5 }), 'seed', '1.5');
    expect(() => new Network({ inputs: 3, layers, backend: BACKEND, input: 3 } as never)).toThrow(
      /^Expected .+ for .+ but received .*input/,
    );
    // An unknown option's name is elided: the message stays short whatever the key.
    const long = 'k'.repeat(20_000);
    expect(() => new Network({ inputs: 3, layers, backend: BACKEND, [long]: 3 } as never)).toThrow(
      new RegExp(`^Expected .+ but received unknown option '${'k'.repeat(40)}…'$`),
    );
  });

  it('Dense and Dropout options, unknown activation names', () => {
    throwsForm(() => new Dense(0), 'units', '0');
    throwsForm(() => new Dense(2.5), 'units', '2.5');
    throwsForm(() => new Dense(3, { activation: 'swish' as 'relu' }), 'activation', '"swish"');
    throwsForm(() => new Dense(3, { activation: 'softmax ' as 'relu' }), 'activation');
    throwsForm(() => new Dense(3, { kernelInitializer: 'orthogonal' as 'zeros' }), 'kernelInitializer', '"orthogonal"');
    throwsForm(() => new Dense(3, { biasInitializer: 'random' as 'zeros' }), 'biasInitializer', '"random"');
    throwsForm(() => new Dense(3, { useBias: 'yes' as unknown as boolean }), 'useBias', '"yes"');
    throwsForm(() => new Dense(3, { alpha: NaN }), 'alpha', 'NaN');
    // The native core stores alpha as a float32: beyond its range is an argument error on both backends.
    throwsForm(() => new Dense(1, { activation: 'leakyRelu', alpha: 1e39 }), 'alpha', '1e+39');
    throwsForm(() => new Dropout(1), 'rate', '1');
    throwsForm(() => new Dropout(-0.1), 'rate', '-0.1');
    throwsForm(() => new Dropout(NaN), 'rate', 'NaN');
  });

  it('optimizer options', () => {
    for (const Ctor of [SGD, Adam, AdamW, RMSProp]) {
      throwsForm(() => new Ctor({ learningRate: -1 }), 'learningRate', '-1');
      throwsForm(() => new Ctor({ learningRate: NaN }), 'learningRate', 'NaN');
      throwsForm(() => new Ctor({ learningRate: Infinity }), 'learningRate', 'Infinity');
      throwsForm(() => new Ctor({ learningRate: '0.1' as unknown as number }), 'learningRate', '"0.1"');
      expect(() => new Ctor({ lr: 0.1 } as never), `${Ctor.name} with a misspelt option`).toThrow(
        /^Expected .+ but received .*lr/,
      );
    }
    throwsForm(() => new SGD({ momentum: -0.5 }), 'momentum', '-0.5');
    throwsForm(() => new SGD({ nesterov: true }), 'momentum', '0');
    throwsForm(() => new SGD({ weightDecay: -1 }), 'weightDecay', '-1');
    throwsForm(() => new Adam({ beta1: 1 }), 'beta1', '1');
    throwsForm(() => new Adam({ beta2: -0.1 }), 'beta2', '-0.1');
    throwsForm(() => new Adam({ epsilon: -1 }), 'epsilon', '-1');
    throwsForm(() => new RMSProp({ rho: 2 }), 'rho', '2');
    throwsForm(() => new RMSProp({ momentum: -1 }), 'momentum', '-1');
  });

  it('compile: unknown loss, optimizer and metric names', () => {
    const net = small();
    throwsForm(() => net.compile({ loss: 'hinge' as 'mse', optimizer: 'sgd' }), 'loss', '"hinge"');
    throwsForm(() => net.compile({ loss: 'mse', optimizer: 'lbfgs' as 'sgd' }), 'optimizer', '"lbfgs"');
    throwsForm(
      () => net.compile({ loss: 'mse', optimizer: 'sgd', metrics: ['topK' as 'accuracy'] }),
      'metrics[0]',
      '"topK"',
    );
    // A known metric that does not fit the loss.
    throwsForm(() => net.compile({ loss: 'mse', optimizer: 'sgd', metrics: ['auc'] }), 'metrics[0]', '"auc"');
    throwsForm(() => net.compile(undefined as never), 'compile options');
  });

  it('runtime: setThreads and sgemm arguments', () => {
    throwsForm(() => setThreads(0), 'n', '0');
    throwsForm(() => setThreads(1.5), 'n', '1.5');
    const a = new Float32Array(6);
    const b = new Float32Array(6);
    const c = new Float32Array(4);
    throwsForm(() => sgemm(false, false, 2, 2, 3, 1, new Float32Array(5), 3, b, 2, 0, c, 2), 'a', 'length 5');
    throwsForm(() => sgemm(false, false, 2, 2, 3, 1, a, 2, b, 2, 0, c, 2), 'lda', '2');
    throwsForm(() => sgemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, new Float32Array(3), 2), 'c', 'length 3');
    throwsForm(() => sgemm(false, false, -1, 2, 3, 1, a, 3, b, 2, 0, c, 2), 'm', '-1');
    throwsForm(
      () => sgemm(false, false, 2, 2, 3, 1, [1, 2, 3, 4, 5, 6] as unknown as Float32Array, 3, b, 2, 0, c, 2),
      'a',
    );
  });
});

describe(`data errors, never mutating inputs, state unchanged (${BACKEND})`, () => {
  it('predict: wrong shapes and non-finite values', async () => {
    const net = small();
    const bad: Array<[unknown, string, string | RegExp]> = [
      [new Float32Array(7), 'x', 'Float32Array of length 7'],
      [new Float32Array(0), 'x', 'length 0'],
      [
        [
          [1, 2, 3],
          [4, 5],
        ],
        'x',
        'row 1 of length 2',
      ],
      [[[1, 2, 3, 4]], 'x', 'row 0 of length 4'],
      [Float32Array.of(1, 2, NaN, 4, 5, 6), 'x', 'NaN at [0, 2]'],
      [
        [
          [1, 2, 3],
          [4, Infinity, 6],
        ],
        'x',
        'Infinity at [1, 1]',
      ],
      [[[1, 2, -Infinity]], 'x', '-Infinity at [0, 2]'],
      ['abc', 'x', '"abc"'],
      [null, 'x', 'null'],
    ];
    for (const [x, name, received] of bad) {
      const r = await untouched([x], (v) => net.predict(v as Float32Array));
      expect(r.error, `predict(${String(x)})`).toBeInstanceOf(Error);
      expect((r.error as Error).message).toMatch(form(name, received));
    }
  });

  it('predict: non-finite x of every size (native scans x larger than 16 floats in C++)', async () => {
    const net = small();
    const ok = Float32Array.from({ length: 3 * 5000 }, (_, i) => Math.sin(i));
    const want = net.predict(ok);
    // [x, what the error names]: x over 16 floats with out over 16 floats, x over 16 floats
    // with out of at most 16 (a staged out), the first offending element wherever it lies.
    const cases: Array<[Float32Array, string]> = [];
    const big = ok.slice();
    big[3 * 4321 + 2] = -Infinity;
    big[3 * 4999] = NaN;
    cases.push([big, '-Infinity at [4321, 2]']);
    const last = ok.slice();
    last[3 * 5000 - 1] = Infinity;
    cases.push([last, 'Infinity at [4999, 2]']);
    const seven = ok.slice(0, 21);
    seven[18] = NaN;
    cases.push([seven, 'NaN at [6, 0]']);
    const first = ok.slice(0, 18);
    first[0] = Number.NEGATIVE_INFINITY;
    cases.push([first, '-Infinity at [0, 0]']);
    for (const [x, received] of cases) {
      const r = await untouched([x], (v) => net.predict(v as Float32Array));
      expect((r.error as Error).message).toMatch(form('x', received));
    }
    // The refused calls changed nothing: the same numbers as before them.
    expectBitExact(net.predict(ok), want, 'predict after the refused calls');
  });

  it('targets: rows, shape [rows × cols], non-finite, binary range, CE distributions, sparse indices', async () => {
    const x = X(); // [4 × 3]
    const cases: Array<{
      loss: 'mse' | 'binaryCrossentropy' | 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy';
      act: 'linear' | 'sigmoid' | 'softmax';
      y: unknown;
      received: string | RegExp;
    }> = [
      { loss: 'mse', act: 'linear', y: new Float32Array(6), received: '[3 × 2]' },
      { loss: 'mse', act: 'linear', y: new Float32Array(7), received: 'length 7' },
      {
        loss: 'mse',
        act: 'linear',
        y: [
          [1, 2],
          [3, 4],
          [5, 6],
          [7, 8],
          [9, 10],
        ],
        received: '[5 × 2]',
      },
      { loss: 'mse', act: 'linear', y: [[1, 2], [3, 4], [5, 6], [7]], received: 'row 3 of length 1' },
      { loss: 'mse', act: 'linear', y: Float32Array.of(0, 0, 0, 0, 0, NaN, 0, 0), received: 'NaN at [2, 1]' },
      {
        loss: 'binaryCrossentropy',
        act: 'sigmoid',
        y: Float32Array.of(0, 1, 1, 0, 1.5, 0, 0, 1),
        received: '1.5 at [2, 0]',
      },
      {
        loss: 'binaryCrossentropy',
        act: 'sigmoid',
        y: Float32Array.of(0, 1, 1, 0, -0.5, 0, 0, 1),
        received: '-0.5 at [2, 0]',
      },
      {
        loss: 'categoricalCrossentropy',
        act: 'softmax',
        y: [
          [1, 0],
          [0.5, 0.4],
          [0, 1],
          [1, 0],
        ],
        received: 'row 1 summing to',
      },
      {
        loss: 'categoricalCrossentropy',
        act: 'softmax',
        y: [
          [1, 0],
          [0, 1],
          [1.5, -0.5],
          [1, 0],
        ],
        received: '-0.5 at [2, 1]',
      },
      { loss: 'sparseCategoricalCrossentropy', act: 'softmax', y: [0, 1, 2, 1], received: '2 at row 2' },
      { loss: 'sparseCategoricalCrossentropy', act: 'softmax', y: Int32Array.of(0, -1, 1, 1), received: '-1 at row 1' },
      { loss: 'sparseCategoricalCrossentropy', act: 'softmax', y: [0, 1, 0.5, 1], received: '0.5 at row 2' },
      {
        loss: 'sparseCategoricalCrossentropy',
        act: 'softmax',
        y: Float32Array.of(0, 1, NaN, 1),
        received: 'NaN at row 2',
      },
      { loss: 'sparseCategoricalCrossentropy', act: 'softmax', y: [0, 1, 1], received: '3' },
    ];
    for (const c of cases) {
      const net = small({ activation: c.act });
      net.compile({ loss: c.loss, optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }) });
      const before = net.getWeights();
      for (const call of ['evaluate', 'gradients', 'trainOnBatch'] as const) {
        const r = await untouched([x, c.y], (a, b) => net[call](a as Float32Array, b as Float32Array));
        expect(r.error, `${call} with ${c.loss} targets ${String(c.y)}`).toBeInstanceOf(Error);
        expect((r.error as Error).message).toMatch(form('y', c.received));
      }
      const r = await untouched([x, c.y], (a, b) => net.fit(a as Float32Array, b as Float32Array, { epochs: 1 }));
      expect((r.error as Error).message).toMatch(form('y', c.received));
      expect(net.getWeights(), 'weights unchanged after rejected calls').toEqual(before);
    }
  });

  it('fit: non-finite x in every form is named by [row, col] before anything changes', async () => {
    const net = small();
    net.compile({ loss: 'mse', optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }) });
    const y = new Float32Array(8);
    // Float32Array x is copied and checked in one pass by the backend (copyInRange);
    // the other forms are converted first. Both must report the first offending element.
    const big = new Float32Array(3 * 5000).fill(0.5);
    big[3 * 4321 + 2] = -Infinity;
    big[3 * 4999] = NaN;
    const bad: Array<[unknown, unknown, string]> = [
      [Float32Array.of(1, 2, 3, 4, 5, NaN, 7, 8, 9, 10, 11, 12), y, 'NaN at [1, 2]'],
      [Float32Array.of(Infinity, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, NaN), y, 'Infinity at [0, 0]'],
      [
        [
          [1, 2, 3],
          [4, 5, 6],
          [7, 8, -Infinity],
          [1, 1, 1],
        ],
        y,
        '-Infinity at [2, 2]',
      ],
      [big, new Float32Array(2 * 5000), '-Infinity at [4321, 2]'],
    ];
    const before = net.getWeights();
    for (const [x, yy, received] of bad) {
      const r = await untouched([x, yy], (a, b) => net.fit(a as Float32Array, b as Float32Array, { epochs: 1 }));
      expect(r.error, `fit(${received})`).toBeInstanceOf(Error);
      expect((r.error as Error).message).toMatch(form('x', received));
    }
    expect(net.getWeights(), 'weights unchanged after rejected fits').toEqual(before);
    // A fit with clean data still works afterwards (its buffers were only scratch).
    await net.fit(X(), y, { epochs: 1 });
  });

  it('x rows and targets rows disagree: the message prints both shapes', () => {
    const net = small();
    net.compile({ loss: 'mse', optimizer: 'sgd' });
    expect(() => net.trainOnBatch(X(), new Float32Array(10))).toThrow(form('y', /.*\[5 × 2\].*/));
    expect(() => net.trainOnBatch(X(), new Float32Array(10))).toThrow(/\[4 × 2\]/);
  });

  it('calls that need compile() reject before it', async () => {
    const net = small();
    const y = new Float32Array(8);
    for (const call of ['evaluate', 'gradients', 'trainOnBatch'] as const) {
      expect(() => net[call](X(), y)).toThrow(/^Expected .*compile.* for .* but received /);
    }
    await expect(net.fit(X(), y)).rejects.toThrow(/^Expected .*compile.* for .* but received /);
    expect(() => net.predict(X())).not.toThrow(); // predict needs no loss
  });

  it('sparse cross-entropy needs at least two outputs', () => {
    const net = small({ outputs: 1 });
    throwsForm(() => net.compile({ loss: 'sparseCategoricalCrossentropy', optimizer: 'sgd' }), 'loss');
  });

  it('setWeights: count, shapes, bias presence, non-finite values; all-or-nothing', async () => {
    const net = small();
    const good = net.getWeights();
    const bad: Array<[unknown, string, string | RegExp]> = [
      [[good[0]], 'weights', 'length 1'],
      [[{ kernel: new Float32Array(11), bias: good[0]!.bias }, good[1]], 'weights[0].kernel', 'length 11'],
      [[good[0], { kernel: new Float32Array(6), bias: good[1]!.bias }], 'weights[1].kernel', '[3 × 2]'],
      [[good[0], { kernel: good[1]!.kernel, bias: new Float32Array(3) }], 'weights[1].bias', /.*/],
      [[good[0], { kernel: good[1]!.kernel, bias: null }], 'weights[1].bias', 'null'],
      [
        [good[0], { kernel: Float32Array.from(good[1]!.kernel, (v, i) => (i === 5 ? NaN : v)), bias: good[1]!.bias }],
        'weights[1].kernel',
        'NaN at',
      ],
      [[good[0], { kernel: good[1]!.kernel, bias: Float32Array.of(0, Infinity) }], 'weights[1].bias', 'Infinity'],
    ];
    for (const [w, name, received] of bad) {
      // A bad second layer must not leave the first layer half-written.
      const fresh = small({ seed: 2 });
      const before = fresh.getWeights();
      const r = await untouched([w], (v) => fresh.setWeights(v as never));
      expect(r.error, `setWeights(${name})`).toBeInstanceOf(Error);
      expect((r.error as Error).message).toMatch(form(name, received));
      expect(fresh.getWeights()).toEqual(before);
    }
    const noBias = new Network({ inputs: 2, layers: [new Dense(2, { useBias: false })], backend: BACKEND, seed: 1 });
    throwsForm(
      () => noBias.setWeights([{ kernel: new Float32Array(4), bias: new Float32Array(2) }]),
      'weights[0].bias',
    );
  });

  it('fit options', async () => {
    const net = small();
    net.compile({ loss: 'mse', optimizer: 'sgd' });
    const x = X();
    const y = new Float32Array(8);
    const before = net.getWeights();
    const bad: Array<[Record<string, unknown>, string, string]> = [
      [{ epochs: 0 }, 'epochs', '0'],
      [{ epochs: 1.5 }, 'epochs', '1.5'],
      [{ batchSize: 0 }, 'batchSize', '0'],
      [{ shuffle: 'yes' }, 'shuffle', '"yes"'],
      [{ validationSplit: 1 }, 'validationSplit', '1'],
      [{ validationSplit: -0.1 }, 'validationSplit', '-0.1'],
      [{ validationData: [x] }, 'validationData', 'length 1'],
      [{ validationData: [x, new Float32Array(3)] }, 'validationData[1]', 'length 3'],
      [{ onEpochEnd: 5 }, 'onEpochEnd', '5'],
      [{ onBatchEnd: 'log' }, 'onBatchEnd', '"log"'],
      [{ signal: {} }, 'signal', 'an object'],
    ];
    for (const [opts, name, received] of bad) {
      const r = await untouched([x, y, opts], (a, b, o) => net.fit(a as Float32Array, b as Float32Array, o as never));
      expect(r.error, `fit(${JSON.stringify(opts)})`).toBeInstanceOf(Error);
      expect((r.error as Error).message).toMatch(form(name, received));
    }
    const both = await untouched([x, y], (a, b) =>
      net.fit(a as Float32Array, b as Float32Array, { validationSplit: 0.25, validationData: [x, y] }),
    );
    expect((both.error as Error).message).toMatch(/^Expected .+ but received /);
    const typo = await untouched([x, y], (a, b) =>
      net.fit(a as Float32Array, b as Float32Array, { epoch: 3 } as never),
    );
    expect((typo.error as Error).message).toMatch(/^Expected .+ but received .*epoch/);
    expect(net.getWeights(), 'no step was taken by a rejected fit').toEqual(before);
  });

  it('a rejected compile keeps the previous loss and optimizer (state included)', () => {
    const data = new TestRng(4);
    const batches = Array.from({ length: 3 }, () => ({
      x: data.float32Array(12, -1, 1),
      y: data.float32Array(8, -1, 1),
    }));
    const a = small();
    const b = small();
    for (const n of [a, b]) n.compile({ loss: 'mse', optimizer: new Adam({ learningRate: 0.05 }) });
    a.trainOnBatch(batches[0]!.x, batches[0]!.y);
    b.trainOnBatch(batches[0]!.x, batches[0]!.y);
    expect(() => a.compile({ loss: 'mae', optimizer: 'nope' as 'sgd' })).toThrow(form('optimizer'));
    expect(() => a.compile({ loss: 'nope' as 'mse', optimizer: 'sgd' })).toThrow(form('loss'));
    expect(a.evaluate(batches[1]!.x, batches[1]!.y).loss).toBe(b.evaluate(batches[1]!.x, batches[1]!.y).loss);
    a.trainOnBatch(batches[1]!.x, batches[1]!.y);
    b.trainOnBatch(batches[1]!.x, batches[1]!.y);
    a.getWeights().forEach((w, i) => {
      expectBitExact(w.kernel, b.getWeights()[i]!.kernel, `layer ${i} kernel`);
    });
  });

  it('a rejected trainOnBatch leaves weights and optimizer state as they were', () => {
    const rng = new TestRng(5);
    const batches = Array.from({ length: 2 }, () => ({
      x: rng.float32Array(12, -1, 1),
      y: rng.float32Array(8, -1, 1),
    }));
    const a = small();
    const b = small();
    for (const n of [a, b]) n.compile({ loss: 'mse', optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }) });
    a.trainOnBatch(batches[0]!.x, batches[0]!.y);
    b.trainOnBatch(batches[0]!.x, batches[0]!.y);
    expect(() => a.trainOnBatch(batches[1]!.x, Float32Array.of(0, 0, 0, 0, 0, 0, 0, NaN))).toThrow(
      form('y', 'NaN at [3, 1]'),
    );
    a.trainOnBatch(batches[1]!.x, batches[1]!.y);
    b.trainOnBatch(batches[1]!.x, batches[1]!.y);
    a.getWeights().forEach((w, i) => {
      expectBitExact(w.kernel, b.getWeights()[i]!.kernel, `layer ${i} kernel`);
    });
  });

  it('successful calls do not mutate their inputs either (Float32Array and number[][])', async () => {
    const net = small({ activation: 'softmax' });
    net.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam', metrics: ['accuracy'] });
    const x = X();
    const xs = [
      [0.1, 0.2, 0.3],
      [0.4, -0.5, 0.6],
      [0.7, 0.8, -0.9],
      [1, 1, 1],
    ];
    const y = Float32Array.of(1, 0, 0, 1, 0.5, 0.5, 1, 0);
    const ys = [
      [1, 0],
      [0, 1],
      [0.5, 0.5],
      [1, 0],
    ];
    for (const [a, b] of [
      [x, y],
      [xs, ys],
    ] as const) {
      await untouched([a], (v) => net.predict(v as Float32Array));
      await untouched([a, b], (u, v) => net.evaluate(u as Float32Array, v as Float32Array));
      await untouched([a, b], (u, v) => net.gradients(u as Float32Array, v as Float32Array));
      await untouched([a, b], (u, v) => net.trainOnBatch(u as Float32Array, v as Float32Array));
      const r = await untouched([a, b], (u, v) =>
        net.fit(u as Float32Array, v as Float32Array, {
          epochs: 2,
          batchSize: 3,
          validationData: [u as Float32Array, v as Float32Array],
        }),
      );
      expect(r.error).toBeUndefined();
    }
    const w = net.getWeights();
    await untouched([w], (v) => net.setWeights(v as never));
    // Weights handed in are copied: editing them afterwards changes nothing.
    const held = net.getWeights();
    w[0]!.kernel[0] = 123;
    expect(net.getWeights()).toEqual(held);
    held[0]!.kernel[0] = 456; // and getWeights returns copies
    expect(net.getWeights()[0]!.kernel[0]).not.toBe(456);
  });
});

describe(`non-finite loss during fit (${BACKEND})`, () => {
  it('stops, keeps the weights of the last finite step, and rejects naming the epoch and batch', async () => {
    const rng = new TestRng(6);
    const rows = 64;
    const batchSize = 8;
    const x = rng.float32Array(rows * 3, -1, 1);
    const y = rng.float32Array(rows * 2, -1, 1);
    const make = (): Network => {
      const n = small({ seed: 9 });
      // A learning rate this large makes the loss grow ~10⁴× per step until it overflows.
      n.compile({ loss: 'mse', optimizer: new SGD({ learningRate: 300 }) });
      return n;
    };
    // The twin replays the same batches (no shuffle) with trainOnBatch and records the
    // last weights that are all finite, the first step whose update overflowed the
    // weights (its loss was still finite), and the first batch whose loss is not finite.
    const twin = make();
    const allFinite = (w: ReturnType<Network['getWeights']>): boolean =>
      w.every((l) => l.kernel.every(Number.isFinite) && (!l.bias || l.bias.every(Number.isFinite)));
    let lastFinite = twin.getWeights();
    let overflow: [number, number] | null = null;
    let fail: [number, number] | null = null;
    outer: for (let e = 0; e < 10; e++) {
      for (let bIdx = 0; bIdx < rows / batchSize; bIdx++) {
        const loss = twin.trainOnBatch(
          x.subarray(bIdx * batchSize * 3, (bIdx + 1) * batchSize * 3),
          y.subarray(bIdx * batchSize * 2, (bIdx + 1) * batchSize * 2),
        );
        if (!Number.isFinite(loss)) {
          fail = [e, bIdx];
          break outer;
        }
        const w = twin.getWeights();
        if (allFinite(w)) lastFinite = w;
        else overflow ??= [e, bIdx];
      }
    }
    expect(fail, 'the setup must actually diverge').not.toBeNull();
    expect(fail![0] * (rows / batchSize) + fail![1], 'and not on the very first batch').toBeGreaterThan(0);

    const net = make();
    const err = await net.fit(x, y, { epochs: 10, batchSize, shuffle: false }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(Error);
    // The error names the batch whose loss turned non-finite, or (an implementation that
    // also checks the weights after each step) the earlier step that overflowed them.
    const names = ([e, b]: [number, number]): boolean =>
      new RegExp(`epoch ${e}\\b[^]*batch ${b}\\b`).test(err!.message);
    expect(
      names(fail!) || (overflow !== null && names(overflow)),
      `"${err!.message}" names epoch/batch ${fail} or ${overflow}`,
    ).toBe(true);
    const w = net.getWeights();
    expect(
      w.every((l) => l.kernel.every(Number.isFinite) && (!l.bias || l.bias.every(Number.isFinite))),
      'the weights after the rejected fit are all finite',
    ).toBe(true);
    w.forEach((l, i) => {
      expectBitExact(l.kernel, lastFinite[i]!.kernel, `layer ${i} kernel`);
      if (l.bias) expectBitExact(l.bias, lastFinite[i]!.bias!, `layer ${i} bias`);
    });
    // The network is usable again afterwards.
    expect(net.busy).toBe(false);
    expect(() => net.setWeights(w)).not.toThrow();
  });
});

describe(`non-finite loss during fit, mid-epoch (${BACKEND})`, () => {
  it('a batch whose loss overflows stops fit there; the weights are those after the previous batch', async () => {
    // Finite inputs: rows 24..31 (batch 3 of 8-row batches) hold 3e38, so x·W overflows
    // float32 and that batch's loss is +Infinity; the batches before it are ordinary.
    const rng = new TestRng(8);
    const rows = 48;
    const x = rng.float32Array(rows * 3, -1, 1);
    x.fill(3e38, 24 * 3, 32 * 3);
    const y = rng.float32Array(rows * 2, -1, 1);
    const make = (): Network => {
      // A linear hidden layer with an all-ones kernel: 3 × 3e38 overflows to +Infinity.
      const n = new Network({ inputs: 3, layers: [new Dense(4), new Dense(2)], backend: BACKEND, seed: 4 });
      const w = n.getWeights();
      w[0]!.kernel.fill(1);
      n.setWeights(w);
      n.compile({ loss: 'mse', optimizer: new SGD({ learningRate: 0.1, momentum: 0.5 }) });
      return n;
    };
    const twin = make();
    for (let b = 0; b < 3; b++) twin.trainOnBatch(x.subarray(b * 24, (b + 1) * 24), y.subarray(b * 16, (b + 1) * 16));
    expect(Number.isFinite(twin.evaluate(x.subarray(72, 96), y.subarray(48, 64)).loss), 'batch 3 must overflow').toBe(
      false,
    );

    const net = make();
    const reported: number[] = [];
    const err = await net
      .fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, onBatchEnd: (b) => reported.push(b) })
      .then(
        () => null,
        (e: unknown) => e as Error,
      );
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toMatch(/epoch 0\b/);
    expect(err!.message).toMatch(/batch 3\b/);
    expect(reported).toEqual([0, 1, 2]);
    twin.getWeights().forEach((l, i) => {
      expectBitExact(net.getWeights()[i]!.kernel, l.kernel, `layer ${i} kernel`);
      expectBitExact(net.getWeights()[i]!.bias!, l.bias!, `layer ${i} bias`);
    });
  });
});

describe(`busy while fit runs (${BACKEND})`, () => {
  it('fit, trainOnBatch and setWeights reject with "busy" during a running fit; all work again after it', async () => {
    const net = small();
    net.compile({ loss: 'mse', optimizer: 'sgd' });
    const rng = new TestRng(7);
    const x = rng.float32Array(256 * 3, -1, 1);
    const y = rng.float32Array(256 * 2, -1, 1);
    const running = net.fit(x, y, { epochs: 3, batchSize: 8 });
    await expect(net.fit(x, y)).rejects.toThrow(/busy/i);
    expect(() => net.trainOnBatch(x, y)).toThrow(/busy/i);
    expect(() =>
      net.setWeights([
        { kernel: new Float32Array(12), bias: new Float32Array(4) },
        { kernel: new Float32Array(8), bias: new Float32Array(2) },
      ]),
    ).toThrow(/busy/i);
    const history = await running;
    expect(history.loss).toHaveLength(3);
    expect(() => net.trainOnBatch(x, y)).not.toThrow();
    await expect(net.fit(x, y, { epochs: 1 })).resolves.toBeDefined();
  });
});
