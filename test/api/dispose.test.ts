/**
 * `dispose()`: the same on both backends. It frees the backend's memory (on native the
 * core's Network: the addon's live-model count drops at once), every method afterwards
 * throws one error (code DENSELY_DISPOSED, API.md's message form), a second dispose is a
 * no-op, a running fit makes it "busy", and `Symbol.dispose` is the same call where the
 * runtime defines that symbol.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NativeBinding } from '../../lib/backend/native/binding';
import { loadNativeBackend } from '../../lib/backend/native/index';
import { Dense, Network } from '../../lib/index';
import { BACKEND } from '../support/backend';

function make(): Network {
  const net = new Network({
    inputs: 3,
    layers: [new Dense(4, { activation: 'relu' }), new Dense(2, { activation: 'softmax' })],
    backend: BACKEND,
    seed: 5,
  });
  net.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam', metrics: ['accuracy'] });
  return net;
}

const x = [
  [0.1, 0.2, 0.3],
  [0.4, 0.5, 0.6],
];
const y = [
  [1, 0],
  [0, 1],
];

function liveModels(): number {
  const path = loadNativeBackend().path!;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(path) as NativeBinding).stats().models;
}

describe(`dispose (${BACKEND})`, () => {
  it('every method throws DENSELY_DISPOSED afterwards, with the method named; properties stay readable', async () => {
    const net = make();
    net.predict(x);
    await net.fit(x, y, { epochs: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'densely-dispose-'));
    const file = join(dir, 'm.safetensors');
    try {
      expect(net.disposed).toBe(false);
      net.dispose();
      expect(net.disposed).toBe(true);
      const calls: Array<[string, () => unknown]> = [
        ['predict', () => net.predict(x)],
        ['evaluate', () => net.evaluate(x, y)],
        ['gradients', () => net.gradients(x, y)],
        ['trainOnBatch', () => net.trainOnBatch(x, y)],
        ['getWeights', () => net.getWeights()],
        [
          'setWeights',
          () =>
            net.setWeights([
              { kernel: new Float32Array(12), bias: new Float32Array(4) },
              { kernel: new Float32Array(8), bias: new Float32Array(2) },
            ]),
        ],
        ['compile', () => net.compile({ loss: 'mse', optimizer: 'sgd' })],
        ['summary', () => net.summary()],
        ['toJSON', () => net.toJSON()],
        ['toSafetensors', () => net.toSafetensors()],
        ['toSafetensors', () => net.save(file)],
      ];
      for (const [method, call] of calls) {
        let err: unknown;
        try {
          call();
        } catch (e) {
          err = e;
        }
        expect(err, method).toBeInstanceOf(Error);
        expect((err as { code?: string }).code, method).toBe('DENSELY_DISPOSED');
        expect((err as Error).message, method).toBe(
          `Expected a network that has not been disposed for ${method}() but received a disposed network (dispose() freed its memory; build or load a new one)`,
        );
      }
      const fitErr = await net.fit(x, y).then(
        () => null,
        (e: unknown) => e,
      );
      expect((fitErr as { code?: string }).code).toBe('DENSELY_DISPOSED');
      expect((fitErr as Error).message).toContain('for fit()');
      expect(existsSync(file), 'save wrote nothing').toBe(false);
      expect([net.inputs, net.outputs, net.layers.length, net.backend, net.busy]).toEqual([3, 2, 2, BACKEND, false]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('frees the backend memory at once (native: one live core network fewer); a second dispose is a no-op', () => {
    const net = make();
    net.predict(x);
    const native = BACKEND === 'native';
    const before = native ? liveModels() : 0;
    net.dispose();
    if (native) expect(liveModels()).toBe(before - 1);
    expect(() => net.dispose()).not.toThrow();
    if (native) expect(liveModels()).toBe(before - 1);
    expect(net.disposed).toBe(true);
  });

  it('is refused with DENSELY_BUSY while a fit runs, and works after it', async () => {
    const net = make();
    const rows = Array.from({ length: 256 }, (_, i) => [i / 256, 1 - i / 256, 0.5]);
    const targets = rows.map((_, i) => (i % 2 === 0 ? [1, 0] : [0, 1]));
    const running = net.fit(rows, targets, { epochs: 3, batchSize: 4 });
    let err: unknown;
    try {
      net.dispose();
    } catch (e) {
      err = e;
    }
    expect((err as { code?: string }).code).toBe('DENSELY_BUSY');
    await running;
    net.dispose();
    expect(net.disposed).toBe(true);
  });

  it('Symbol.dispose is dispose where the runtime has the symbol (`using`), and absent where it does not', () => {
    const sym = (Symbol as { dispose?: symbol }).dispose;
    const net = make();
    if (typeof sym === 'symbol') {
      const method = (net as unknown as Record<symbol, unknown>)[sym];
      expect(typeof method).toBe('function');
      (method as () => void).call(net);
      expect(net.disposed).toBe(true);
      expect(() => net.predict(x)).toThrow(expect.objectContaining({ code: 'DENSELY_DISPOSED' }));
    } else {
      expect(Object.getOwnPropertySymbols(Network.prototype)).toEqual([]);
    }
  });
});
