/**
 * `fitDataset`: the same weights and losses as `fit(…, { shuffle: false })` on the same
 * batches (uneven last batch, dropout on, bit for bit), the source forms (generator
 * functions, async generators, object-mode streams, arrays), bad batches mid-stream,
 * non-finite losses, abort, busy rules, validation and the callback protocol.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Adam, type DataBatch, Dense, Dropout, type History, Network, SGD } from '../../lib/index';
import { BACKEND } from '../support/backend';
import { expectBitExact } from '../support/close';
import { TestRng } from '../support/rng';

const INPUTS = 5;
const OUTPUTS = 3;

function data(rows: number, seed = 1): { x: Float32Array; y: Int32Array } {
  const rng = new TestRng(seed);
  const x = rng.float32Array(rows * INPUTS, -1, 1);
  const y = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let k = 1; k < OUTPUTS; k++) if (x[r * INPUTS + k]! > x[r * INPUTS + best]!) best = k;
    y[r] = best;
  }
  return { x, y };
}

function make(seed = 7, dropout = true): Network {
  const net = new Network({
    inputs: INPUTS,
    layers: [
      new Dense(16, { activation: 'relu' }),
      ...(dropout ? [new Dropout(0.3)] : []),
      new Dense(OUTPUTS, { activation: 'softmax' }),
    ],
    backend: BACKEND,
    seed,
  });
  net.compile({
    loss: 'sparseCategoricalCrossentropy',
    optimizer: new Adam({ learningRate: 0.01 }),
    metrics: ['accuracy'],
  });
  return net;
}

/** Batches of `size` rows (the last one shorter), as fresh copies every call. */
function batches(x: Float32Array, y: Int32Array, size: number): DataBatch[] {
  const out: DataBatch[] = [];
  const rows = y.length;
  for (let r = 0; r < rows; r += size) {
    const e = Math.min(rows, r + size);
    out.push({ x: x.slice(r * INPUTS, e * INPUTS), y: y.slice(r, e) });
  }
  return out;
}

function expectSameWeights(a: Network, b: Network, label: string): void {
  const wb = b.getWeights();
  a.getWeights().forEach((w, i) => {
    expectBitExact(w.kernel, wb[i]!.kernel, `${label}: layer ${i} kernel`);
    if (w.bias) expectBitExact(w.bias, wb[i]!.bias!, `${label}: layer ${i} bias`);
  });
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe(`fitDataset (${BACKEND})`, () => {
  it('equals fit(…, { shuffle: false, batchSize }) bit for bit: weights, epoch and batch losses (dropout on, uneven last batch)', async () => {
    const { x, y } = data(103);
    const { x: vx, y: vy } = data(20, 2);
    const a = make();
    const b = make();
    const lossA: number[] = [];
    const lossB: number[] = [];
    const ha = await a.fit(x, y, {
      epochs: 3,
      batchSize: 16,
      shuffle: false,
      validationData: [vx, vy],
      onBatchEnd: (_b, l) => lossA.push(l.loss, l.accuracy!, l.size),
    });
    const hb = await b.fitDataset(
      function* () {
        yield* batches(x, y, 16);
      },
      { epochs: 3, validationData: [vx, vy], onBatchEnd: (_b, l) => lossB.push(l.loss, l.accuracy!, l.size) },
    );
    expect(hb).toEqual(ha);
    expect(lossB).toEqual(lossA);
    expect(lossB.length).toBe(3 * 7 * 3);
    expectSameWeights(a, b, 'fit vs fitDataset');
  });

  it('batches of different sizes: the same as trainOnBatch on each batch in turn (dropout step numbering)', async () => {
    const { x, y } = data(60, 3);
    const sizes = [7, 20, 1, 32];
    const list: DataBatch[] = [];
    let r = 0;
    for (const s of sizes) {
      list.push({ x: x.slice(r * INPUTS, (r + s) * INPUTS), y: y.slice(r, r + s) });
      r += s;
    }
    const a = make(9);
    const b = make(9);
    const losses: number[] = [];
    for (let e = 0; e < 2; e++) for (const bt of list) losses.push(a.trainOnBatch(bt.x, bt.y));
    const got: number[] = [];
    await b.fitDataset(list, { epochs: 2, onBatchEnd: (_i, l) => got.push(l.loss) });
    expect(got).toEqual(losses);
    expectSameWeights(a, b, 'trainOnBatch vs fitDataset');
  });

  it('takes async generators, object-mode Readable streams and number[][] batches, with the same result', async () => {
    const { x, y } = data(40, 4);
    const list = batches(x, y, 8);
    const ref = make(5, false);
    const hRef = await ref.fitDataset(list, { epochs: 2 });
    const nets = [make(5, false), make(5, false), make(5, false)];
    const hs: History[] = [];
    hs.push(
      await nets[0]!.fitDataset(
        async function* () {
          for (const bt of list) {
            await tick();
            yield bt;
          }
        },
        { epochs: 2 },
      ),
    );
    hs.push(await nets[1]!.fitDataset(() => Readable.from(list, { objectMode: true }), { epochs: 2 }));
    const asRows = list.map((bt) => ({
      x: Array.from({ length: bt.x.length / INPUTS }, (_, i) =>
        Array.from((bt.x as Float32Array).subarray(i * INPUTS, (i + 1) * INPUTS)),
      ),
      y: Array.from(bt.y as Int32Array),
    }));
    hs.push(await nets[2]!.fitDataset(asRows, { epochs: 2 }));
    hs.forEach((h, i) => {
      expect(h).toEqual(hRef);
      expectSameWeights(nets[i]!, ref, `source form ${i}`);
    });
  });

  it('the source may reuse its arrays: each batch is copied before the next is pulled', async () => {
    const { x, y } = data(48, 6);
    const list = batches(x, y, 12);
    const ref = make(3, false);
    await ref.fitDataset(list, { epochs: 1 });
    const net = make(3, false);
    const bx = new Float32Array(12 * INPUTS);
    const by = new Int32Array(12);
    await net.fitDataset(function* () {
      for (const bt of list) {
        bx.set(bt.x as Float32Array);
        by.set(bt.y as Int32Array);
        yield { x: bx, y: by };
      }
    });
    expectSameWeights(net, ref, 'reused buffers');
  });

  it('holds at most two batches: the next is pulled while the current trains, never further ahead', async () => {
    const { x, y } = data(64, 8);
    const list = batches(x, y, 8);
    let pulled = 0;
    let trained = 0;
    let maxAhead = 0;
    const net = make(1, false);
    await net.fitDataset(
      function* () {
        for (const bt of list) {
          pulled++;
          maxAhead = Math.max(maxAhead, pulled - trained);
          yield bt;
        }
      },
      {
        onBatchEnd: () => {
          trained++;
        },
      },
    );
    expect(trained).toBe(8);
    expect(maxAhead).toBe(2);
  });

  for (const [what, bad, pattern] of [
    ['wrong shape', { x: new Float32Array(7), y: new Int32Array(1) }, /x of source \(epoch 1, batch 2\)/],
    ['non-finite', { x: new Float32Array(2 * INPUTS).fill(Number.NaN), y: new Int32Array(2) }, /epoch 1, batch 2/],
    ['wrong type', 'not a batch', /Expected an object \{ x, y \} for source \(epoch 1, batch 2\)/],
    [
      'bad class index',
      { x: new Float32Array(INPUTS), y: new Int32Array([OUTPUTS]) },
      /y of source \(epoch 1, batch 2\)/,
    ],
  ] as const) {
    it(`a bad batch mid-stream (${what}) rejects naming epoch and batch, keeps the weights of the last good batch and closes the source`, async () => {
      const { x, y } = data(40, 9);
      const list = batches(x, y, 8);
      const ref = make(4);
      await ref.fitDataset(list, { epochs: 1 });
      await ref.fitDataset(list.slice(0, 2), { epochs: 1 });
      const net = make(4);
      let closed = 0;
      let epoch = -1;
      const err = await net
        .fitDataset(
          function* () {
            epoch++;
            try {
              for (let i = 0; i < list.length; i++)
                yield epoch === 1 && i === 2 ? (bad as unknown as DataBatch) : list[i]!;
            } finally {
              closed++;
            }
          },
          { epochs: 3 },
        )
        .then(
          () => null,
          (e: unknown) => e as Error & { code: string; epoch: number; batch: number },
        );
      expect(err).not.toBeNull();
      expect(err!.message).toMatch(pattern);
      expect(err!.code).toBe('DENSELY_INVALID_ARGUMENT');
      expect([err!.epoch, err!.batch]).toEqual([1, 2]);
      expect(closed).toBe(2);
      expect(net.busy).toBe(false);
      expectSameWeights(net, ref, 'after the bad batch');
    });
  }

  it('a non-finite loss stops as fit does: DENSELY_NONFINITE_LOSS with epoch, batch and history, source closed', async () => {
    const net = new Network({ inputs: 1, layers: [new Dense(1)], backend: BACKEND, seed: 1 });
    net.compile({ loss: 'mse', optimizer: new SGD({ learningRate: 1e30 }) });
    let closed = false;
    const err = await net
      .fitDataset(
        function* () {
          try {
            for (let i = 0; i < 50; i++) yield { x: [[1e18]], y: [[1]] };
          } finally {
            closed = true;
          }
        },
        { epochs: 2 },
      )
      .catch((e: unknown) => e as Error & { code: string; epoch: number; batch: number });
    expect((err as { code: string }).code).toBe('DENSELY_NONFINITE_LOSS');
    expect((err as { epoch: number }).epoch).toBe(0);
    expect(closed).toBe(true);
    for (const w of net.getWeights()) for (const v of w.kernel) expect(Number.isFinite(v)).toBe(true);
  });

  it('abort via signal: stops at a batch boundary, resolves with the epoch so far, closes the source', async () => {
    const { x, y } = data(80, 10);
    const list = batches(x, y, 8);
    const net = make(2, false);
    const ctrl = new AbortController();
    let closed = false;
    let seen = 0;
    const h = await net.fitDataset(
      async function* () {
        try {
          for (const bt of list) yield bt;
        } finally {
          closed = true;
        }
      },
      {
        epochs: 5,
        signal: ctrl.signal,
        onBatchEnd: (b) => {
          seen++;
          if (b === 3) ctrl.abort();
        },
      },
    );
    expect(h.epochs).toEqual([0]);
    expect(seen).toBe(4);
    expect(closed).toBe(true);
    expect(net.busy).toBe(false);
  });

  it('abort while the source waits: resolves at once, without the pending batch', async () => {
    const { x, y } = data(16, 15);
    const net = make(2, false);
    const ctrl = new AbortController();
    const h = await net.fitDataset(
      async function* () {
        yield { x, y };
        setTimeout(() => ctrl.abort(), 20);
        await new Promise(() => undefined); // a source that never answers again
      },
      { epochs: 3, signal: ctrl.signal },
    );
    expect(h.epochs).toEqual([0]);
    expect(net.busy).toBe(false);
  });

  it('busy rules as fit: fit/trainOnBatch/setWeights throw DENSELY_BUSY during it; a callback can read the network', async () => {
    const { x, y } = data(32, 11);
    const net = make(2, false);
    const reads: number[] = [];
    const p = net.fitDataset(batches(x, y, 8), {
      epochs: 2,
      callbacks: [
        {
          onBatchEnd: () => {
            reads.push(net.getWeights().length, net.predict(x.subarray(0, INPUTS)).length);
            expect(() => net.trainOnBatch(x.subarray(0, INPUTS), [0])).toThrow(/busy/);
          },
        },
      ],
    });
    expect(net.busy).toBe(true);
    expect(() => net.setWeights(net.getWeights())).toThrow(expect.objectContaining({ code: 'DENSELY_BUSY' }));
    await expect(net.fit(x, y)).rejects.toMatchObject({ code: 'DENSELY_BUSY' });
    await expect(net.fitDataset([{ x, y }])).rejects.toMatchObject({ code: 'DENSELY_BUSY' });
    await p;
    expect(net.busy).toBe(false);
    expect(reads).toEqual(Array(8).fill([2, OUTPUTS]).flat());
  });

  it('callbacks: the hooks in order, each returned Promise awaited', async () => {
    const { x, y } = data(24, 12);
    const net = make(2, false);
    const log: string[] = [];
    const h = await net.fitDataset(batches(x, y, 10), {
      epochs: 2,
      onEpochEnd: (e) => {
        log.push(`fn-epoch ${e}`);
      },
      callbacks: [
        {
          onTrainBegin: (n) => {
            log.push(`begin ${n === net}`);
          },
          onEpochBegin: async (e) => {
            await tick();
            log.push(`epoch-begin ${e}`);
          },
          onBatchEnd: async (b, l) => {
            await tick();
            log.push(`batch ${b} ${l.size}`);
          },
          onEpochEnd: (e, l) => {
            log.push(`epoch-end ${e} ${l.loss > 0}`);
          },
          onTrainEnd: (hist) => {
            log.push(`end ${hist.epochs.length}`);
          },
        },
        { onTrainEnd: () => void log.push('second') },
      ],
    });
    expect(h.epochs).toEqual([0, 1]);
    const epoch = (e: number): string[] => [
      `epoch-begin ${e}`,
      'batch 0 10',
      'batch 1 10',
      'batch 2 4',
      // The callbacks run before the onEpochEnd option, as in fit.
      `epoch-end ${e} true`,
      `fn-epoch ${e}`,
    ];
    expect(log).toEqual(['begin true', ...epoch(0), ...epoch(1), 'end 2', 'second']);
  });

  it('validationData as a source: the row-weighted mean of its batches', async () => {
    const { x, y } = data(30, 13);
    const { x: vx, y: vy } = data(21, 14);
    const a = make(8, false);
    const b = make(8, false);
    const ha = await a.fitDataset(batches(x, y, 10), { epochs: 2, validationData: [vx, vy] });
    const hb = await b.fitDataset(batches(x, y, 10), { epochs: 2, validationData: () => batches(vx, vy, 8) });
    expect(hb.loss).toEqual(ha.loss);
    for (const [i, v] of hb.valLoss!.entries()) expect(v).toBeCloseTo(ha.valLoss![i]!, 6);
    expect(hb.valAccuracy).toEqual(ha.valAccuracy);
  });

  it('rejects bad arguments before training: source, options, a one-shot iterator over several epochs', async () => {
    const net = make();
    const before = net.getWeights();
    await expect(net.fitDataset(42 as never)).rejects.toThrow(
      /Expected a function returning .* for source but received 42/,
    );
    await expect(net.fitDataset([], { shuffle: true } as never)).rejects.toThrow(/unknown option 'shuffle'/);
    await expect(net.fitDataset([], { batchSize: 4 } as never)).rejects.toThrow(/unknown option 'batchSize'/);
    await expect(net.fitDataset([], { callbacks: [{ onBatchEnd: 1 }] } as never)).rejects.toThrow(
      /callbacks\[0\]\.onBatchEnd/,
    );
    await expect(net.fitDataset([])).rejects.toThrow(/at least one batch every epoch/);
    const { x, y } = data(8);
    await expect(net.fitDataset([{ x, y }], { validationData: [x, [0]] })).rejects.toThrow(/validationData\[1\]/);
    expectSameWeights(net, make(), 'nothing trained');
    expect(before.length).toBe(2);
    const once = (function* () {
      yield { x, y };
    })();
    await expect(make().fitDataset(once, { epochs: 2 })).rejects.toThrow(/source \(epoch 1\)/);
  });
});
