/**
 * The callback protocol of fit (order, awaited promises, what a callback may call) and the
 * built-in callbacks: earlyStopping (Keras semantics, restoring the best weights),
 * reduceLROnPlateau (against PyTorch's rates in test/fixtures/schedules.json) and
 * checkpoint (atomic saves, {epoch}, saveBestOnly).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type Callback,
  checkpoint,
  Dense,
  Dropout,
  type EarlyStopping,
  type EpochLogs,
  earlyStopping,
  Network,
  ReduceLROnPlateau,
  reduceLROnPlateau,
  SGD,
} from '../../lib/index';
import { BACKEND } from '../support/backend';

const dir = mkdtempSync(join(tmpdir(), 'densely-callbacks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const x = new Float32Array(Array.from({ length: 40 * 2 }, (_, i) => Math.sin(i * 1.7)));
const y = new Float32Array(
  Array.from({ length: 40 }, (_, i) => (Math.sin(i * 3.4) + Math.sin(i * 3.4 + 1.7) > 0 ? 1 : 0)),
);

function makeNet(lr = 0.1): Network {
  const net = new Network({
    inputs: 2,
    layers: [new Dense(6, { activation: 'tanh' }), new Dropout(0.1), new Dense(1, { activation: 'sigmoid' })],
    backend: BACKEND,
    seed: 5,
  });
  net.compile({ loss: 'binaryCrossentropy', optimizer: new SGD({ learningRate: lr }), metrics: ['accuracy'] });
  return net;
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 2));

/** A stand-in network for driving a callback's hooks directly. */
function fakeNet(lr = 0.1) {
  const net = { stopTraining: false, optimizer: { learningRate: lr as unknown }, save: () => undefined };
  return { net };
}

describe(`callbacks (${BACKEND})`, () => {
  it('calls every hook in order, awaiting returned promises; epochs count from initialEpoch', async () => {
    const net = makeNet();
    const events: string[] = [];
    const cb: Callback = {
      onTrainBegin: async (n) => {
        await tick();
        events.push(`trainBegin ${n === (net as unknown) ? 'net' : '?'}`);
      },
      onEpochBegin: async (e) => {
        await tick();
        events.push(`epochBegin ${e}`);
      },
      onBatchEnd: (b, logs) => {
        events.push(`batch ${b} ${logs.size}`);
      },
      onEpochEnd: async (e, logs) => {
        await tick();
        events.push(`epochEnd ${e} ${typeof logs.loss} ${typeof logs.valLoss} ${logs.lr}`);
      },
      onTrainEnd: async (h) => {
        await tick();
        events.push(`trainEnd ${h.epochs.join(',')}`);
      },
    };
    const second: Callback = { onEpochEnd: (e) => void events.push(`second ${e}`) };
    const h = await net.fit(x, y, {
      epochs: 2,
      batchSize: 16,
      validationSplit: 0.25,
      initialEpoch: 3,
      callbacks: [cb, second],
      onEpochEnd: (e) => void events.push(`option ${e}`),
    });
    expect(h.epochs).toEqual([3, 4]);
    expect(events).toEqual([
      'trainBegin net',
      'epochBegin 3',
      'batch 0 16',
      'batch 1 14',
      'epochEnd 3 number number 0.1',
      'second 3',
      'option 3',
      'epochBegin 4',
      'batch 0 16',
      'batch 1 14',
      'epochEnd 4 number number 0.1',
      'second 4',
      'option 4',
      'trainEnd 3,4',
    ]);
    // The next fit counts on from the epochs trained.
    const h2 = await net.fit(x, y, { epochs: 1, batchSize: 16 });
    expect(h2.epochs).toEqual([5]);
  });

  it('an async onBatchEnd is awaited (js: before the next batch; native: before onEpochEnd)', async () => {
    const net = makeNet();
    let settled = 0;
    let seenAtEpochEnd = -1;
    await net.fit(x, y, {
      epochs: 1,
      batchSize: 8,
      callbacks: [
        {
          onBatchEnd: async () => {
            await tick();
            settled++;
          },
          onEpochEnd: () => {
            seenAtEpochEnd = settled;
          },
        },
      ],
    });
    expect(seenAtEpochEnd).toBe(5);
    const failing = makeNet();
    await expect(
      failing.fit(x, y, {
        epochs: 2,
        batchSize: 8,
        callbacks: [{ onBatchEnd: async () => Promise.reject(new Error('batch hook failed')) }],
      }),
    ).rejects.toThrow('batch hook failed');
    expect(failing.busy).toBe(false);
  });

  it('inside a callback the network is readable and savable; fit, trainOnBatch, setWeights stay busy', async () => {
    const net = makeNet();
    const file = join(dir, 'inside.safetensors');
    const seen: Record<string, unknown> = {};
    const probe = (): void => {
      seen.weights = net.getWeights().length;
      seen.predict = net.predict(x.subarray(0, 4)).length;
      seen.evaluate = typeof net.evaluate(x, y).loss;
      net.save(file);
      seen.saved = existsSync(file);
      for (const [name, call] of [
        ['trainOnBatch', () => net.trainOnBatch(x, y)],
        ['setWeights', () => net.setWeights(net.getWeights())],
      ] as const) {
        try {
          call();
          seen[name] = 'ran';
        } catch (e) {
          seen[name] = (e as { code?: string }).code;
        }
      }
    };
    let fitError: unknown;
    await net.fit(x, y, {
      epochs: 1,
      batchSize: 16,
      callbacks: [
        { onTrainBegin: probe },
        {
          onEpochEnd: async () => {
            probe();
            fitError = await net.fit(x, y).catch((e: { code?: string }) => e.code);
          },
        },
      ],
    });
    expect(seen).toEqual({
      weights: 2,
      predict: 2,
      evaluate: 'number',
      saved: true,
      trainOnBatch: 'DENSELY_BUSY',
      setWeights: 'DENSELY_BUSY',
    });
    expect(fitError).toBe('DENSELY_BUSY');
    // What was saved inside the callback loads as a checkpoint of that moment.
    const back = await Network.load(file, { backend: BACKEND });
    expect(back.epochsTrained).toBe(1);
    expect(back.getWeights()).toEqual(net.getWeights());
  });

  it('rejects bad callbacks before training', async () => {
    const net = makeNet();
    const before = net.getWeights();
    await expect(net.fit(x, y, { callbacks: {} as never })).rejects.toThrow(/callbacks/);
    await expect(net.fit(x, y, { callbacks: [null as never] })).rejects.toThrow(/callbacks\[0\]/);
    await expect(net.fit(x, y, { callbacks: [{ onEpochEnd: 3 } as never] })).rejects.toThrow(
      /callbacks\[0\]\.onEpochEnd/,
    );
    await expect(net.fit(x, y, { initialEpoch: -1 })).rejects.toThrow(/initialEpoch/);
    expect(net.getWeights()).toEqual(before);
  });
});

describe('earlyStopping (Keras semantics)', () => {
  /** Drives the callback with a sequence of monitored values; returns the stop epoch and final state. */
  function drive(cb: EarlyStopping, values: number[], monitor = 'valLoss') {
    const f = fakeNet();
    cb.onTrainBegin(f.net as never);
    let stopped = -1;
    for (let e = 0; e < values.length; e++) {
      cb.onEpochEnd(e, { loss: 0, [monitor]: values[e] } as EpochLogs);
      if (f.net.stopTraining) {
        stopped = e;
        break;
      }
    }
    return { stopped, best: cb.best, bestEpoch: cb.bestEpoch, wait: cb.wait };
  }

  it('stops after patience epochs without an improvement beyond minDelta', () => {
    // Keras: wait += 1; improvement (current < best − minDelta) resets it; stop when wait ≥ patience.
    expect(drive(earlyStopping({ patience: 2 }), [1, 0.9, 0.95, 0.91, 0.8, 0.85])).toEqual({
      stopped: 3,
      best: 0.9,
      bestEpoch: 1,
      wait: 2,
    });
    expect(drive(earlyStopping({ patience: 0 }), [1, 1, 0.5])).toMatchObject({ stopped: 1 });
    expect(drive(earlyStopping({ patience: 1, minDelta: 0.1 }), [1, 0.95, 0.85, 0.84])).toMatchObject({
      stopped: 1,
      bestEpoch: 0,
    });
    expect(drive(earlyStopping({ patience: 5 }), [3, 2, 1])).toMatchObject({ stopped: -1, bestEpoch: 2 });
  });

  it("mode 'auto' maximises accuracy-like monitors; 'max' and 'min' force it", () => {
    const acc = earlyStopping({ monitor: 'valAccuracy', patience: 1 });
    expect(acc.mode).toBe('max');
    expect(drive(acc, [0.5, 0.7, 0.6, 0.65], 'valAccuracy')).toMatchObject({ stopped: 2, best: 0.7 });
    expect(earlyStopping({ monitor: 'loss' }).mode).toBe('min');
    expect(earlyStopping({ monitor: 'loss', mode: 'max' }).mode).toBe('max');
    expect(() => earlyStopping({ patience: -1 })).toThrow(/patience/);
    expect(() => earlyStopping({ mode: 'up' as never })).toThrow(/mode/);
  });

  it(`restoreBestWeights puts back the best epoch's weights at the end of fit (${BACKEND})`, async () => {
    const net = makeNet(0.5);
    const snapshots: Array<ReturnType<Network['getWeights']>> = [];
    const stopper = earlyStopping({ monitor: 'loss', patience: 2, restoreBestWeights: true });
    // A monitor that is best at epoch 1 and never better after: stops at epoch 3.
    const fake = [0.5, 0.2, 0.3, 0.4, 0.1, 0.1];
    const h = await net.fit(x, y, {
      epochs: 6,
      batchSize: 8,
      callbacks: [
        {
          onEpochEnd: (e, logs) => {
            logs.loss = fake[e - 0]!;
            snapshots.push(net.getWeights());
          },
        },
        stopper,
      ],
    });
    expect(h.epochs).toEqual([0, 1, 2, 3]);
    expect(stopper.stoppedEpoch).toBe(3);
    expect(stopper.bestEpoch).toBe(1);
    expect(net.getWeights()).toEqual(snapshots[1]);
    expect(net.getWeights()).not.toEqual(snapshots[3]);
  });
});

describe('reduceLROnPlateau (against PyTorch)', () => {
  const F = JSON.parse(readFileSync(join(__dirname, '../fixtures/schedules.json'), 'utf8')) as {
    plateau: { initialLr: number; losses: number[]; cases: Array<{ options: Record<string, number>; lr: number[] }> };
  };
  for (const c of F.plateau.cases) {
    it(JSON.stringify(c.options), () => {
      const cb = reduceLROnPlateau(c.options);
      const f = fakeNet(F.plateau.initialLr);
      cb.onTrainBegin(f.net as never);
      const rates = F.plateau.losses.map((v, e) => {
        cb.onEpochEnd(e, { loss: 0, valLoss: v });
        return (f.net.optimizer as { learningRate: number }).learningRate;
      });
      expect(rates).toEqual(c.lr);
    });
  }

  it(`lowers net.optimizer.learningRate during fit (${BACKEND}); History.lr shows it`, async () => {
    const net = makeNet(0.2);
    const h = await net.fit(x, y, {
      epochs: 4,
      batchSize: 10,
      callbacks: [
        {
          onEpochEnd: (_e, logs) => {
            logs.loss = 1;
          },
        },
        reduceLROnPlateau({ monitor: 'loss', patience: 0, factor: 0.5 }),
      ],
    });
    expect(h.lr).toEqual([0.2, 0.2, 0.1, 0.05]);
    expect(net.optimizer!.learningRate).toBe(0.025);
  });

  it('needs a numeric learning rate', async () => {
    const net = makeNet();
    net.optimizer!.learningRate = () => 0.1;
    await expect(net.fit(x, y, { callbacks: [new ReduceLROnPlateau()] })).rejects.toThrow(/reduceLROnPlateau/);
  });
});

describe(`checkpoint (${BACKEND})`, () => {
  it('saves after every `every`-th epoch, {epoch} in the path, loadable checkpoints', async () => {
    const sub = mkdtempSync(join(dir, 'ck-'));
    const net = makeNet();
    const ck = checkpoint(join(sub, 'model-{epoch}.safetensors'), { every: 2 });
    await net.fit(x, y, { epochs: 5, batchSize: 16, callbacks: [ck] });
    expect(readdirSync(sub).sort()).toEqual(['model-1.safetensors', 'model-3.safetensors']);
    expect(ck.saved).toEqual([join(sub, 'model-1.safetensors'), join(sub, 'model-3.safetensors')]);
    const back = await Network.load(join(sub, 'model-3.safetensors'), { backend: BACKEND });
    expect(back.epochsTrained).toBe(4);
  });

  it('saveBestOnly keeps the file of the best monitored epoch', async () => {
    const sub = mkdtempSync(join(dir, 'best-'));
    const net = makeNet();
    const file = join(sub, 'best.safetensors');
    const fake = [0.5, 0.3, 0.4, 0.2, 0.6];
    let bestWeights: ReturnType<Network['getWeights']> | null = null;
    await net.fit(x, y, {
      epochs: 5,
      batchSize: 16,
      callbacks: [
        {
          onEpochEnd: (e, logs) => {
            logs.valLoss = fake[e]!;
            if (e === 3) bestWeights = net.getWeights();
          },
        },
        checkpoint(file, { saveBestOnly: true }),
      ],
    });
    expect(readdirSync(sub)).toEqual(['best.safetensors']);
    const back = await Network.load(file, { backend: BACKEND });
    expect(back.getWeights()).toEqual(bestWeights);
    expect(() => checkpoint('')).toThrow(/path/);
    expect(() => checkpoint('a', { every: 0 })).toThrow(/every/);
  });
});
