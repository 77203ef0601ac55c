/**
 * API.md "Runtime" and "Threads and determinism": backendInfo, setThreads, the backend a
 * network reports, and bit-identical training for a fixed seed and thread count.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Adam, backendInfo, Dense, Dropout, Network, setThreads } from '../../lib/index';
import { BACKEND } from '../support/backend';
import { expectBitExact } from '../support/close';
import { TestRng } from '../support/rng';

const initialThreads = backendInfo().threads;
afterAll(() => setThreads(initialThreads));

describe(`runtime (${BACKEND})`, () => {
  it('backendInfo() has the documented fields', () => {
    const info = backendInfo();
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(info.version).toBe(pkg.version);
    expect(typeof info.native).toBe('boolean');
    expect(Number.isInteger(info.threads) && info.threads >= 1).toBe(true);
    if (info.native) {
      expect(['avx512', 'avx2', 'sse2', 'neon', 'scalar']).toContain(info.isa);
      expect(info.reason).toBeUndefined();
    } else {
      expect(info.isa).toBe('js');
      expect(typeof info.reason).toBe('string');
      expect(info.reason!.length).toBeGreaterThan(0);
    }
    if (BACKEND === 'native') expect(info.native).toBe(true);
  });

  it('net.backend is the backend asked for', () => {
    const net = new Network({ inputs: 2, layers: [new Dense(1)], backend: BACKEND, seed: 1 });
    expect(net.backend).toBe(BACKEND);
    expect(net.inputs).toBe(2);
    expect(net.outputs).toBe(1);
  });

  it('setThreads(n) is reported by backendInfo on the native backend', () => {
    setThreads(1);
    if (backendInfo().native) expect(backendInfo().threads).toBe(1);
    setThreads(2);
    if (backendInfo().native) expect(backendInfo().threads).toBe(2);
  });

  it('same seed, backend and thread count ⇒ bit-identical weights after fit (dropout included)', async () => {
    const rng = new TestRng(12);
    const x = rng.float32Array(96 * 6, -1, 1);
    const y = Int32Array.from({ length: 96 }, () => rng.int(3));
    const run = async (threads: number): Promise<Network> => {
      setThreads(threads);
      const net = new Network({
        inputs: 6,
        layers: [new Dense(16, { activation: 'relu' }), new Dropout(0.3), new Dense(3, { activation: 'softmax' })],
        backend: BACKEND,
        seed: 77,
      });
      net.compile({ loss: 'sparseCategoricalCrossentropy', optimizer: new Adam({ learningRate: 0.01 }) });
      await net.fit(x, y, { epochs: 3, batchSize: 16 });
      return net;
    };
    for (const threads of [1, 2]) {
      const a = await run(threads);
      const b = await run(threads);
      a.getWeights().forEach((w, i) => {
        expectBitExact(w.kernel, b.getWeights()[i]!.kernel, `${threads} thread(s): layer ${i} kernel`);
        expectBitExact(w.bias!, b.getWeights()[i]!.bias!, `${threads} thread(s): layer ${i} bias`);
      });
    }
  });
});
