/**
 * Many jobs at once (API.md "Training jobs (additions)"), on both backends: the
 * `threads` option (validated on js too, reported as `net.threads`), two fits running
 * at once end with the same weights as each alone, and `predictAsync` — the same bits
 * as `predict`, the event loop turning while it runs, the busy rules between it and
 * the calls that write the weights.
 */
import { describe, expect, it } from 'vitest';
import { BatchNorm, Dense, LayerNorm, Network } from '../../lib/index';
import { BACKEND } from '../support/backend';
import { countTurns, flatWeights, WIDE_INPUTS, wideData, wideNet } from '../support/jobs';

describe('threads option', () => {
  it('accepts integers in [1, 1024] and reports them as net.threads', () => {
    expect(wideNet(1).threads).toBeNull();
    expect(wideNet(1, 1).threads).toBe(1);
    expect(wideNet(1, 1024).threads).toBe(1024);
  });

  for (const bad of [0, -1, 1.5, 1025, Number.NaN, '2', null]) {
    it(`rejects threads: ${String(bad)} before building anything`, () => {
      const make = (): Network =>
        new Network({
          inputs: 2,
          layers: [new Dense(1)],
          backend: BACKEND,
          threads: bad as number,
        });
      expect(make).toThrow(/threads/);
      try {
        make();
      } catch (e) {
        expect((e as { code?: string }).code).toBe('DENSELY_INVALID_ARGUMENT');
        expect(String(e)).toMatch(/Expected .* for threads but received/);
      }
    });
  }

  it('two fits at once end with the weights each reaches alone (same caps)', async () => {
    const data = wideData(600, 3);
    const opts = { epochs: 2, batchSize: 32, shuffle: true };
    const aloneA = wideNet(11, 1);
    await aloneA.fit(data.x, data.y, opts);
    const aloneB = wideNet(12, 2);
    await aloneB.fit(data.x, data.y, opts);
    const a = wideNet(11, 1);
    const b = wideNet(12, 2);
    await Promise.all([a.fit(data.x, data.y, opts), b.fit(data.x, data.y, opts)]);
    expect(Buffer.from(flatWeights(a).buffer).equals(Buffer.from(flatWeights(aloneA).buffer))).toBe(true);
    expect(Buffer.from(flatWeights(b).buffer).equals(Buffer.from(flatWeights(aloneB).buffer))).toBe(true);
  });

  it('a cap does not change the numbers (results do not depend on the thread count)', async () => {
    const data = wideData(300, 4);
    const capped = wideNet(21, 1);
    const free = wideNet(21);
    await capped.fit(data.x, data.y, { epochs: 1, batchSize: 64 });
    await free.fit(data.x, data.y, { epochs: 1, batchSize: 64 });
    expect(Buffer.from(flatWeights(capped).buffer).equals(Buffer.from(flatWeights(free).buffer))).toBe(true);
  });
});

describe('predictAsync', () => {
  it('resolves with predict’s numbers, bit for bit (one chunk and several)', async () => {
    const net = wideNet(5);
    for (const rows of [1, 7, 1024, 2500, 17_000]) {
      const { x } = wideData(rows, rows);
      const want = net.predict(x);
      const got = await net.predictAsync(x);
      expect(got.length).toBe(want.length);
      expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer)), `${rows} rows`).toBe(true);
    }
  });

  it('takes every input form predict takes, and validates like predict', async () => {
    const net = wideNet(6);
    const rows = [Array.from({ length: WIDE_INPUTS }, (_, i) => i / WIDE_INPUTS)];
    expect(Array.from(await net.predictAsync(rows))).toEqual(Array.from(net.predict(rows)));
    await expect(net.predictAsync([[1, 2]])).rejects.toMatchObject({ code: 'DENSELY_INVALID_ARGUMENT' });
  });

  it('keeps the event loop turning during a large call', async () => {
    const net = wideNet(7);
    const { x } = wideData(20_000, 7);
    const turns = countTurns();
    const t0 = performance.now();
    const out = await net.predictAsync(x);
    const ms = performance.now() - t0;
    const n = turns.stop();
    expect(out.length).toBe(20_000 * 8);
    // At least one turn per ~20 ms of work (the loop is free on native; on js it yields
    // every millisecond or so between chunks).
    expect(n).toBeGreaterThanOrEqual(Math.min(10, Math.floor(ms / 20)));
    expect(n).toBeGreaterThan(0);
  });

  it('several calls at once, and predict meanwhile, all give predict’s numbers', async () => {
    const net = wideNet(8);
    const inputs = [wideData(3000, 1).x, wideData(2000, 2).x, wideData(1500, 3).x];
    const want = inputs.map((x) => net.predict(x));
    const pending = inputs.map((x) => net.predictAsync(x));
    const sync = net.predict(inputs[0]!);
    const got = await Promise.all(pending);
    for (const [i, g] of got.entries()) expect(Buffer.from(g.buffer).equals(Buffer.from(want[i]!.buffer))).toBe(true);
    expect(Buffer.from(sync.buffer).equals(Buffer.from(want[0]!.buffer))).toBe(true);
  });

  it('is busy with fit: writers throw while it runs, and it rejects during a fit', async () => {
    const net = wideNet(9);
    const data = wideData(20_000, 9);
    const p = net.predictAsync(data.x);
    for (const call of [
      () => net.fit(data.x, data.y),
      () => net.trainOnBatch(data.x.subarray(0, WIDE_INPUTS), data.y.subarray(0, 8)),
      () => net.setWeights(net.getWeights()),
      () => net.compile({ loss: 'mse', optimizer: 'sgd' }),
      () => net.dispose(),
    ]) {
      let err: unknown;
      try {
        await call();
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'DENSELY_BUSY', message: expect.stringMatching(/predictAsync\(\)/) });
    }
    await p;
    const fit = net.fit(data.x, data.y, { epochs: 1 });
    await expect(net.predictAsync(data.x)).rejects.toMatchObject({ code: 'DENSELY_BUSY' });
    await fit;
    net.dispose();
    await expect(net.predictAsync(data.x)).rejects.toMatchObject({ code: 'DENSELY_DISPOSED' });
  });
});

describe('predictAsync with norm layers', () => {
  it('uses the trained running statistics, as predict does (bit for bit)', async () => {
    const net = new Network({
      inputs: 6,
      layers: [
        new Dense(8),
        new BatchNorm({ momentum: 0.5 }),
        new Dense(5, { activation: 'relu' }),
        new LayerNorm(),
        new Dense(2),
      ],
      backend: BACKEND,
      seed: 9,
    });
    net.compile({ loss: 'mse', optimizer: 'adam' });
    const x = Float32Array.from({ length: 6 * 40 }, (_, i) => Math.sin(i * 0.77) * 3 + 1);
    const y = Float32Array.from({ length: 2 * 40 }, (_, i) => Math.cos(i * 0.3));
    await net.fit(x, y, { epochs: 3, batchSize: 8 });
    // The running statistics really moved away from (0, 1).
    const bn = net.getWeights()[1] as { runningMean: Float32Array };
    expect(Math.max(...bn.runningMean.map(Math.abs))).toBeGreaterThan(0.05);
    const want = net.predict(x);
    const got = await net.predictAsync(x);
    expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
  });
});
