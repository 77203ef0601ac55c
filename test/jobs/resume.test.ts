/**
 * The exactness promise of checkpoints (API.md "Training jobs"): N epochs in one run, and
 * k epochs, save, load in a NEW process (resume_child.cjs, on the built package), N − k
 * epochs give bit-identical weights and the same per-epoch losses — same backend and
 * thread count, with shuffle and dropout on, Adam. Also: what the file holds, and
 * `{ optimizer: false }`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as lib from '../../lib/index';
import { Adam, Dense, Network, RMSProp, SGD } from '../../lib/index';
import { BACKEND } from '../support/backend';

const require = createRequire(import.meta.url);
const CHILD = join(__dirname, 'resume_child.cjs');
const child = require(CHILD) as {
  makeData(): { x: Float32Array; y: Float32Array };
  makeNetwork(l: typeof lib, backend: string): Network;
  paramsBase64(net: Network): string;
  FIT: { batchSize: number; shuffle: boolean };
};

const dir = mkdtempSync(join(tmpdir(), 'densely-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const N = 6;
const K = 2;

function headerOf(file: string): { tensors: string[]; meta: Record<string, string> } {
  const bytes = readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
  const meta = (header.__metadata__ ?? {}) as Record<string, string>;
  return { tensors: Object.keys(header).filter((k) => k !== '__metadata__'), meta };
}

describe(`resuming from a checkpoint (${BACKEND})`, () => {
  it('N epochs in one run = k epochs, save, load in a new process, N − k epochs (bit for bit)', async () => {
    const { x, y } = child.makeData();
    const whole = child.makeNetwork(lib, BACKEND);
    const full = await whole.fit(x, y, { ...child.FIT, epochs: N });

    const first = child.makeNetwork(lib, BACKEND);
    const h1 = await first.fit(x, y, { ...child.FIT, epochs: K });
    expect(h1.loss).toEqual(full.loss.slice(0, K));
    const file = join(dir, `resume-${BACKEND}.safetensors`);
    first.save(file);

    const out = execFileSync(process.execPath, [CHILD, BACKEND, file, String(N - K)], {
      encoding: 'utf8',
      env: { ...process.env },
    });
    const second = JSON.parse(out) as { epochs: number[]; loss: number[]; lr: number[]; params: string };
    expect(second.epochs).toEqual([2, 3, 4, 5]);
    expect(second.loss).toEqual(full.loss.slice(K));
    expect(second.lr).toEqual(full.lr!.slice(K));
    expect(second.params).toBe(child.paramsBase64(whole));
    // A control: without the optimizer state the continuation differs.
    expect(child.paramsBase64(first)).not.toBe(child.paramsBase64(whole));
  });

  it('the same in-process, through Network.load, for sgd+momentum, rmsprop+momentum and a schedule', async () => {
    const { x, y } = child.makeData();
    const make = (opt: () => lib.Optimizer): Network => {
      const net = new Network({
        inputs: 6,
        layers: [new Dense(5, { activation: 'tanh' }), new lib.Dropout(0.2), new Dense(3, { activation: 'softmax' })],
        backend: BACKEND,
        seed: 3,
      });
      net.compile({ loss: 'categoricalCrossentropy', optimizer: opt() });
      return net;
    };
    const optimizers: Array<() => lib.Optimizer> = [
      () => new SGD({ learningRate: 0.05, momentum: 0.9, nesterov: true }),
      () => new RMSProp({ learningRate: 0.01, momentum: 0.5 }),
      () => new Adam({ learningRate: lib.cosineDecay({ initial: 0.02, steps: 40, warmupSteps: 5 }) }),
    ];
    for (const opt of optimizers) {
      const a = make(opt);
      await a.fit(x, y, { batchSize: 32, epochs: 4 });
      const b = make(opt);
      await b.fit(x, y, { batchSize: 32, epochs: 1 });
      const file = join(dir, 'in-process.safetensors');
      b.save(file);
      const c = await Network.load(file, { backend: BACKEND });
      expect(c.optimizer?.name).toBe(a.optimizer?.name);
      expect(c.epochsTrained).toBe(1);
      expect(c.optimizerSteps).toBe(5);
      const h = await c.fit(x, y, { batchSize: 32, epochs: 3 });
      expect(h.epochs).toEqual([1, 2, 3]);
      expect(child.paramsBase64(c)).toBe(child.paramsBase64(a));
    }
  });

  it('the file holds the optimizer tensors and training metadata; { optimizer: false } leaves them out', async () => {
    const { x, y } = child.makeData();
    const net = child.makeNetwork(lib, BACKEND);
    await net.fit(x, y, { ...child.FIT, epochs: 1 });
    const file = join(dir, 'parts.safetensors');
    net.save(file);
    const h = headerOf(file);
    expect(h.tensors.sort()).toEqual(
      [
        'layers.0.kernel',
        'layers.0.bias',
        'layers.2.kernel',
        'layers.2.bias',
        ...['expAvg', 'expAvgSq'].flatMap((s) => [
          `optimizer.${s}.layers.0.kernel`,
          `optimizer.${s}.layers.0.bias`,
          `optimizer.${s}.layers.2.kernel`,
          `optimizer.${s}.layers.2.bias`,
        ]),
      ].sort(),
    );
    const t = JSON.parse(h.meta['densely.training']!) as Record<string, unknown>;
    expect(t).toMatchObject({
      loss: 'categoricalCrossentropy',
      metrics: ['accuracy'],
      optimizer: { name: 'adam', learningRate: 0.01 },
      optimizerStep: 10,
      dropoutStep: 10,
      epochs: 1,
      slots: ['expAvg', 'expAvgSq'],
    });
    net.save(file, { optimizer: false });
    const serving = headerOf(file);
    expect(serving.tensors.sort()).toEqual(['layers.0.bias', 'layers.0.kernel', 'layers.2.bias', 'layers.2.kernel']);
    expect(serving.meta['densely.training']).toBeUndefined();
    const loaded = await Network.load(file, { backend: BACKEND });
    expect(loaded.compiled).toBeNull();
    // An uncompiled network writes no training state either.
    const plain = new Network({ inputs: 2, layers: [new Dense(1)], backend: BACKEND, seed: 1 });
    plain.save(file);
    expect(headerOf(file).meta['densely.training']).toBeUndefined();
  });

  it('a loaded checkpoint is compiled with the same loss, metrics and hyper-parameters', async () => {
    const net = new Network({
      inputs: 3,
      layers: [new Dense(2, { activation: 'softmax' })],
      backend: BACKEND,
      seed: 9,
    });
    net.compile({
      loss: 'sparseCategoricalCrossentropy',
      optimizer: new SGD({ learningRate: lib.stepDecay({ initial: 0.5, stepSize: 3, gamma: 0.5 }), momentum: 0.25 }),
      metrics: ['accuracy'],
    });
    net.trainOnBatch([[1, 2, 3]], [1]);
    const back = Network.fromSafetensors(net.toSafetensors(), { backend: BACKEND });
    expect(back.compiled?.loss).toBe('sparseCategoricalCrossentropy');
    expect(back.compiled?.metrics).toEqual(['accuracy']);
    const opt = back.optimizer as SGD;
    expect(opt.momentum).toBe(0.25);
    expect(typeof opt.learningRate).toBe('function');
    expect(opt.rateAt(3)).toBe(0.25);
    // A plain function schedule is stored as the rate of the next update.
    net.optimizer!.learningRate = (t: number) => 0.1 / (t + 1);
    const fixed = Network.fromSafetensors(net.toSafetensors(), { backend: BACKEND });
    expect(fixed.optimizer!.learningRate).toBe(0.05);
  });

  it('a truncated or mismatched optimizer section is rejected with DENSELY_INVALID_MODEL', async () => {
    const { x, y } = child.makeData();
    const net = child.makeNetwork(lib, BACKEND);
    await net.fit(x, y, { ...child.FIT, epochs: 1 });
    const bytes = Buffer.from(net.toSafetensors());
    const n = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, any>;
    const data = bytes.subarray(8 + n);
    const rebuild = (h: Record<string, any>, d: Buffer = data): Uint8Array => {
      const text = Buffer.from(JSON.stringify(h), 'utf8');
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(text.length));
      return new Uint8Array(Buffer.concat([len, text, d]));
    };
    const edited = (edit: (h: Record<string, any>, t: Record<string, any>) => void): Uint8Array => {
      const h = JSON.parse(JSON.stringify(header)) as Record<string, any>;
      const t = JSON.parse(h.__metadata__['densely.training']) as Record<string, any>;
      edit(h, t);
      h.__metadata__['densely.training'] = JSON.stringify(t);
      return rebuild(h);
    };
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['truncated data', new Uint8Array(bytes.subarray(0, bytes.length - 8)), /data/],
      [
        'an optimizer tensor the metadata does not declare',
        edited((_h, t) => {
          t.optimizer = { name: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: false, weightDecay: 0 };
          t.slots = ['momentumBuffer'];
        }),
        /optimizer/,
      ],
      [
        "slots that are not the optimizer's",
        edited((_h, t) => {
          t.slots = ['expAvgSq', 'expAvg'];
        }),
        /slots/,
      ],
      [
        'a missing slot tensor',
        (() => {
          const h = JSON.parse(JSON.stringify(header)) as Record<string, any>;
          const [b, e] = h['optimizer.expAvg.layers.2.bias'].data_offsets as [number, number];
          delete h['optimizer.expAvg.layers.2.bias'];
          for (const [k, v] of Object.entries(h)) {
            if (k === '__metadata__') continue;
            const o = v.data_offsets as [number, number];
            if (o[0] >= e) v.data_offsets = [o[0] - (e - b), o[1] - (e - b)];
          }
          return rebuild(h, Buffer.concat([data.subarray(0, b), data.subarray(e)]));
        })(),
        /optimizer\.expAvg\.layers\.2\.bias/,
      ],
      ['a bad step count', edited((_h, t) => void Object.assign(t, { optimizerStep: -1 })), /optimizerStep/],
      [
        'an all-zero shuffle state',
        edited((_h, t) => void Object.assign(t, { shuffleRng: { words: [0, 0, 0, 0], spare: null } })),
        /shuffleRng/,
      ],
      ['a bad optimizer hyper-parameter', edited((_h, t) => void Object.assign(t.optimizer, { beta1: 2 })), /beta1/],
    ];
    for (const [what, file, message] of cases) {
      let err: (Error & { code?: string }) | undefined;
      try {
        Network.fromSafetensors(file, { backend: BACKEND });
      } catch (e) {
        err = e as Error & { code?: string };
      }
      expect(err?.code, what).toBe('DENSELY_INVALID_MODEL');
      expect(err?.message, what).toMatch(message);
    }
  });
});
