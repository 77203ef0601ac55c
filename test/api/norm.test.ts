/**
 * LayerNorm and BatchNorm through the facade, on the backend under test: options and
 * their errors, initial values, the getWeights/setWeights/gradients entries, training vs
 * inference mode and when the running statistics move, one-row batches, and the stored
 * forms (safetensors tensors layers.<i>.gamma|beta|runningMean|runningVar, toJSON).
 */
import { describe, expect, it } from 'vitest';
import { BatchNorm, Dense, LayerNorm, type LayerWeights, Network, SGD } from '../../lib/index';
import { decodeSafetensors } from '../../lib/safetensors';
import { BACKEND } from '../support/backend';
import { TestRng } from '../support/rng';

type Entry = Record<string, Float32Array | null>;

function entries(ws: LayerWeights[]): Entry[] {
  return ws as unknown as Entry[];
}

function makeNet(seed = 3): Network {
  const net = new Network({
    inputs: 3,
    layers: [
      new Dense(4, { useBias: false }),
      new BatchNorm({ momentum: 0.25 }),
      new Dense(4, { activation: 'relu' }),
      new LayerNorm({ center: false }),
      new LayerNorm({ center: false, scale: false }),
      new BatchNorm({ center: false, scale: false }),
      new Dense(2),
    ],
    backend: BACKEND,
    seed,
  });
  net.compile({ loss: 'mse', optimizer: new SGD({ learningRate: 0.1 }) });
  return net;
}

function batch(rows: number, seed: number): { x: Float32Array; y: Float32Array } {
  const rng = new TestRng(seed);
  return {
    x: Float32Array.from({ length: rows * 3 }, () => rng.uniform(-2, 2)),
    y: Float32Array.from({ length: rows * 2 }, () => rng.uniform(-1, 1)),
  };
}

function snapshot(net: Network): Entry[] {
  return entries(net.getWeights());
}

describe(`LayerNorm / BatchNorm options (${BACKEND})`, () => {
  it('defaults are PyTorch’s and the public fields are epsilon, momentum, center, scale', () => {
    const ln = new LayerNorm();
    expect([ln.kind, ln.epsilon, ln.center, ln.scale]).toEqual(['layerNorm', 1e-5, true, true]);
    const bn = new BatchNorm();
    expect([bn.kind, bn.momentum, bn.epsilon, bn.center, bn.scale]).toEqual(['batchNorm', 0.1, 1e-5, true, true]);
    expect(new BatchNorm({ momentum: 0.01, epsilon: 1e-3, center: false }).toJSON()).toEqual({
      type: 'batchNorm',
      momentum: 0.01,
      epsilon: 1e-3,
      center: false,
      scale: true,
    });
  });

  it('rejects bad options with the usual message', () => {
    expect(() => new LayerNorm({ epsilon: 0 })).toThrow(
      /^Expected a finite number in \(0, 1\] for epsilon but received 0$/,
    );
    expect(() => new BatchNorm({ momentum: 1.5 })).toThrow(
      /^Expected a finite number in \[0, 1\] for momentum but received 1\.5$/,
    );
    expect(() => new BatchNorm({ center: 'yes' as unknown as boolean })).toThrow(/for center but received "yes"/);
    expect(() => new LayerNorm({ momentum: 0.1 } as never)).toThrow(/LayerNorm options/);
  });
});

describe(`LayerNorm / BatchNorm in a network (${BACKEND})`, () => {
  it('getWeights: one entry per layer with weights, γ = 1, β = 0, running mean 0 and var 1, null when off', () => {
    const w = snapshot(makeNet());
    expect(w.map((e) => Object.keys(e).join(','))).toEqual([
      'kernel,bias',
      'gamma,beta,runningMean,runningVar',
      'kernel,bias',
      'gamma,beta',
      'gamma,beta,runningMean,runningVar',
      'kernel,bias',
    ]);
    expect(w[1]).toEqual({
      gamma: new Float32Array([1, 1, 1, 1]),
      beta: new Float32Array(4),
      runningMean: new Float32Array(4),
      runningVar: new Float32Array([1, 1, 1, 1]),
    });
    expect(w[3]).toEqual({ gamma: new Float32Array([1, 1, 1, 1]), beta: null });
    expect(w[4]!.gamma).toBeNull();
    expect(w[4]!.beta).toBeNull();
    expect(makeNet().paramCount).toBe(12 + 8 + 20 + 4 + 10);
    expect(makeNet().summary()).toMatch(/1 {2}batchNorm {7}4 {6}params 8 running stats 8/);
  });

  it('gradients: training mode, running statistics unchanged and null in the entries', () => {
    const net = makeNet();
    const { x, y } = batch(6, 1);
    const before = snapshot(net);
    const g = entries(net.gradients(x, y));
    expect(g[1]!.runningMean).toBeNull();
    expect(g[1]!.runningVar).toBeNull();
    expect(g[1]!.gamma!.length).toBe(4);
    expect(snapshot(net)).toEqual(before);
    // Training mode (batch statistics) and inference mode (running statistics) differ.
    expect(Math.abs(net.evaluate(x, y).loss - net.trainOnBatch(x, y))).toBeGreaterThan(1e-3);
  });

  it('trainOnBatch moves the running statistics; predict and evaluate use them', () => {
    const net = makeNet();
    const { x, y } = batch(6, 2);
    const p0 = net.predict(x);
    net.trainOnBatch(x, y);
    const w = snapshot(net);
    expect(w[1]!.runningMean).not.toEqual(new Float32Array(4));
    expect(w[4]!.runningVar).not.toEqual(new Float32Array([1, 1, 1, 1]));
    // predict is a function of the weights and running statistics alone.
    const copy = makeNet(99);
    copy.setWeights(w);
    expect(copy.predict(x)).toEqual(net.predict(x));
    expect(net.predict(x)).not.toEqual(p0);
  });

  it('a step skipped for a non-finite loss leaves the running statistics as they were', () => {
    const net = makeNet();
    const { x, y } = batch(4, 3);
    // A last layer of 3.4e38 everywhere: rows whose inputs sum above 0 overflow to inf (the
    // last BatchNorm centres every column, so some row does), and the loss is not finite.
    const big = (n: number): Float32Array => new Float32Array(n).fill(3.4e38);
    net.setWeights(snapshot(net).map((e, i) => (i === 5 ? { kernel: big(8), bias: big(2) } : e)));
    const before = snapshot(net);
    const loss = net.trainOnBatch(x, y);
    expect(Number.isFinite(loss)).toBe(false);
    expect(snapshot(net)).toEqual(before);
  });

  it('one-row training batches are rejected before anything changes; inference takes one row', async () => {
    const net = makeNet();
    const { x, y } = batch(33, 4);
    const before = snapshot(net);
    const msg =
      /^Expected training batches of at least 2 rows on a network with BatchNorm .* for x but received 1 row$/;
    expect(() => net.trainOnBatch(x.subarray(0, 3), y.subarray(0, 2))).toThrow(msg);
    expect(() => net.gradients(x.subarray(0, 3), y.subarray(0, 2))).toThrow(msg);
    await expect(net.fit(x, y, { batchSize: 32 })).rejects.toThrow(
      /for batchSize but received 32 on 33 training rows \(a batch of 1 row\)$/,
    );
    await expect(net.fit(x.subarray(0, 3), y.subarray(0, 2), { batchSize: 4 })).rejects.toThrow(/batchSize/);
    expect(snapshot(net)).toEqual(before);
    expect(net.predict(x.subarray(0, 3)).length).toBe(2);
    await net.fit(x.subarray(0, 32 * 3), y.subarray(0, 64), { batchSize: 16 });
    // A network without BatchNorm trains on one row.
    const ln = new Network({ inputs: 3, layers: [new Dense(2), new LayerNorm(), new Dense(1)], backend: BACKEND });
    ln.compile({ loss: 'mse', optimizer: 'sgd' });
    expect(Number.isFinite(ln.trainOnBatch(x.subarray(0, 3), [[0.5]]))).toBe(true);
  });

  it('fit without shuffling equals trainOnBatch on the same batches, bit for bit', async () => {
    const a = makeNet();
    const b = makeNet();
    const { x, y } = batch(24, 5);
    await a.fit(x, y, { batchSize: 8, shuffle: false, epochs: 2 });
    for (let e = 0; e < 2; e++) {
      for (let s = 0; s < 3; s++) b.trainOnBatch(x.subarray(s * 24, (s + 1) * 24), y.subarray(s * 16, (s + 1) * 16));
    }
    expect(snapshot(a)).toEqual(snapshot(b));
  });

  it('setWeights checks every entry before copying any', () => {
    const net = makeNet();
    const good = snapshot(net);
    const before = snapshot(net);
    const bad = (i: number, patch: Entry): Entry[] => good.map((e, j) => (j === i ? { ...e, ...patch } : e));
    expect(() => net.setWeights(bad(1, { runningVar: new Float32Array([1, -1, 1, 1]) }))).toThrow(
      /^Expected non-negative values \(a variance\) for weights\[1\]\.runningVar but received -1 at element 1$/,
    );
    expect(() => net.setWeights(bad(3, { beta: new Float32Array(4) }))).toThrow(
      /^Expected null \(the layer has no beta\) for weights\[3\]\.beta/,
    );
    expect(() => net.setWeights(bad(1, { gamma: new Float32Array(3) }))).toThrow(/weights\[1\]\.gamma/);
    expect(() => net.setWeights(bad(1, { gamma: null }))).toThrow(/weights\[1\]\.gamma but received null/);
    expect(() => net.setWeights(good.slice(1))).toThrow(/^Expected an array of 6 entries/);
    expect(() => net.setWeights(bad(1, { extra: null }))).toThrow(/weights\[1\]/);
    expect(snapshot(net)).toEqual(before);
    const changed = bad(1, { gamma: new Float32Array([2, 3, 4, 5]), runningMean: new Float32Array([1, 2, 3, 4]) });
    net.setWeights(changed);
    expect(snapshot(net)).toEqual(changed);
  });

  it('safetensors and toJSON carry γ, β and the running statistics, bit for bit', () => {
    const net = makeNet();
    const { x, y } = batch(8, 6);
    net.trainOnBatch(x, y);
    net.trainOnBatch(x, y);
    const bytes = net.toSafetensors();
    const file = decodeSafetensors(bytes, 'mem');
    expect([...file.tensors.keys()].sort()).toEqual(
      [
        'layers.0.kernel',
        'layers.1.gamma',
        'layers.1.beta',
        'layers.1.runningMean',
        'layers.1.runningVar',
        'layers.2.kernel',
        'layers.2.bias',
        'layers.3.gamma',
        'layers.5.runningMean',
        'layers.5.runningVar',
        'layers.6.kernel',
        'layers.6.bias',
      ].sort(),
    );
    const loaded = Network.fromSafetensors(bytes, { backend: BACKEND });
    expect(snapshot(loaded)).toEqual(snapshot(net));
    expect(loaded.predict(x)).toEqual(net.predict(x));
    expect(loaded.layers.map((l) => l.kind)).toEqual(net.layers.map((l) => l.kind));
    expect((loaded.layers[1] as BatchNorm).momentum).toBe(0.25);
    const json = JSON.parse(JSON.stringify(net.toJSON()));
    const back = Network.fromJSON(json, { backend: BACKEND });
    expect(snapshot(back)).toEqual(snapshot(net));
    json.weights[1].runningVar[0] = -2;
    expect(() => Network.fromJSON(json)).toThrow(/json\.weights\[1\]\.runningVar/);
  });
});
