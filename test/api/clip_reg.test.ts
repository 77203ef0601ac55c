/**
 * Gradient clipping (clipNorm, clipValue, both: clipValue first, then clipNorm) and
 * Dense regularizers against float64 PyTorch trajectories frozen by
 * test/fixtures/gen_clip_reg.py (test/fixtures/clip_reg.json): a 3-4-2 network (tanh,
 * linear, mse) trained full-batch with trainOnBatch, the reported loss (penalty included)
 * and every parameter after each of 5 steps. Also: what the penalty adds to evaluate,
 * gradients and fit's history, option validation, and the model file round trip.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Adam, AdamW, Dense, Network, type Optimizer, RMSProp, SGD } from '../../lib/index';
import { BACKEND } from '../support/backend';
import { expectClose } from '../support/close';

interface Case {
  name: string;
  opt: 'sgd' | 'adam';
  lr: number;
  momentum?: number;
  weightDecay?: number;
  epsilon?: number;
  clipNorm?: number;
  clipValue?: number;
  reg?: Array<{ kernel: [number, number]; bias: [number, number] }>;
  losses: number[];
  weights: number[][];
}
const fixture = JSON.parse(readFileSync(join(__dirname, '../fixtures/clip_reg.json'), 'utf8')) as {
  x: number[][];
  y: number[][];
  initial: number[];
  cases: Case[];
};

/** float32 training against a float64 trajectory over 5 steps: a few float32 roundings per step, compounded. */
const TRAJ = { rtol: 2e-5, atol: 2e-6 };

function build(c: Case): Network {
  const r = c.reg;
  const reg = (i: number, part: 'kernel' | 'bias') => (r ? { l1: r[i]![part][0], l2: r[i]![part][1] } : undefined);
  const net = new Network({
    inputs: 3,
    layers: [
      new Dense(4, { activation: 'tanh', kernelRegularizer: reg(0, 'kernel'), biasRegularizer: reg(0, 'bias') }),
      new Dense(2, { kernelRegularizer: reg(1, 'kernel'), biasRegularizer: reg(1, 'bias') }),
    ],
    backend: BACKEND,
    seed: 1,
  });
  setFlat(net, fixture.initial);
  const clip = {
    ...(c.clipNorm !== undefined ? { clipNorm: c.clipNorm } : {}),
    ...(c.clipValue !== undefined ? { clipValue: c.clipValue } : {}),
  };
  const optimizer =
    c.opt === 'sgd'
      ? new SGD({ learningRate: c.lr, momentum: c.momentum ?? 0, weightDecay: c.weightDecay ?? 0, ...clip })
      : new Adam({ learningRate: c.lr, epsilon: c.epsilon ?? 1e-8, weightDecay: c.weightDecay ?? 0, ...clip });
  net.compile({ loss: 'mse', optimizer });
  return net;
}

function setFlat(net: Network, p: ArrayLike<number>): void {
  const a = Float32Array.from(p);
  net.setWeights([
    { kernel: a.slice(0, 12), bias: a.slice(12, 16) },
    { kernel: a.slice(16, 24), bias: a.slice(24, 26) },
  ]);
}

function flat(net: Network): Float32Array {
  const w = net.getWeights();
  return Float32Array.from([...w[0]!.kernel, ...w[0]!.bias!, ...w[1]!.kernel, ...w[1]!.bias!]);
}

describe(`clipping and regularizers against PyTorch (${BACKEND})`, () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const net = build(c);
      for (let s = 0; s < c.losses.length; s++) {
        const loss = net.trainOnBatch(fixture.x, fixture.y);
        expectClose([loss], [c.losses[s]!], TRAJ, `${c.name}: loss before step ${s}`);
        expectClose(flat(net), c.weights[s]!, TRAJ, `${c.name}: weights after step ${s}`);
      }
    });
  }

  it('the trajectories discriminate: without clipping the weights differ', () => {
    for (const c of fixture.cases.filter((k) => k.clipNorm !== undefined || k.clipValue !== undefined)) {
      const net = build({ ...c, clipNorm: undefined, clipValue: undefined });
      net.trainOnBatch(fixture.x, fixture.y);
      net.trainOnBatch(fixture.x, fixture.y);
      const got = flat(net);
      let diff = 0;
      for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(got[i]! - c.weights[1]![i]!));
      expect(diff, c.name).toBeGreaterThan(1e-3);
    }
  });
});

describe(`regularizers (${BACKEND})`, () => {
  const c = fixture.cases.find((k) => k.name === 'sgd regularizers')!;

  it('evaluate, gradients and fit report the penalty; gradients include l1·sign(w) + 2·l2·w', async () => {
    const net = build(c);
    const plain = build({ ...c, reg: undefined });
    const w = Float64Array.from(Float32Array.from(fixture.initial));
    let penalty = 0;
    const parts: Array<[number, number, number, number]> = [
      [0, 12, c.reg![0]!.kernel[0], c.reg![0]!.kernel[1]],
      [12, 4, c.reg![0]!.bias[0], c.reg![0]!.bias[1]],
      [16, 8, c.reg![1]!.kernel[0], c.reg![1]!.kernel[1]],
      [24, 2, c.reg![1]!.bias[0], c.reg![1]!.bias[1]],
    ];
    const pg = new Float64Array(26);
    for (const [o, n, l1, l2] of parts)
      for (let i = o; i < o + n; i++) {
        penalty += l1 * Math.abs(w[i]!) + l2 * w[i]! * w[i]!;
        pg[i] = l1 * Math.sign(w[i]!) + 2 * l2 * w[i]!;
      }
    expect(penalty).toBeGreaterThan(0.01);
    const e = net.evaluate(fixture.x, fixture.y).loss;
    const e0 = plain.evaluate(fixture.x, fixture.y).loss;
    expectClose([e - e0], [penalty], { rtol: 1e-5, atol: 1e-7 }, 'evaluate − unregularized');
    expectClose([e], [c.losses[0]!], { rtol: 1e-6, atol: 1e-7 }, 'evaluate vs torch');
    const g = net.gradients(fixture.x, fixture.y);
    const g0 = plain.gradients(fixture.x, fixture.y);
    const fg = (ws: ReturnType<Network['gradients']>) =>
      Float64Array.from([...ws[0]!.kernel, ...ws[0]!.bias!, ...ws[1]!.kernel, ...ws[1]!.bias!]);
    const d = fg(g).map((v, i) => v - fg(g0)[i]!);
    expectClose(d, pg, { rtol: 1e-5, atol: 1e-7 }, 'gradients − unregularized (sign(0) = 0 on the zero biases)');
    const h = await net.fit(fixture.x, fixture.y, { epochs: 1, batchSize: 6, shuffle: false });
    expectClose(h.loss, [c.losses[0]!], { rtol: 1e-6, atol: 1e-7 }, 'fit history loss');
    expectClose(flat(net), c.weights[0]!, TRAJ, 'fit weights after one step');
  });

  it('are saved (file and toJSON) and restored', () => {
    const net = build(c);
    const json = net.toJSON();
    expect(json.layers[0]).toMatchObject({
      kernelRegularizer: { l1: 0.01, l2: 0.02 },
      biasRegularizer: { l1: 0.03, l2: 0 },
    });
    expect(json.layers[1]).toMatchObject({
      kernelRegularizer: { l1: 0, l2: 0.05 },
      biasRegularizer: { l1: 0, l2: 0.1 },
    });
    const back = Network.fromJSON(json, { backend: BACKEND });
    back.compile({ loss: 'mse', optimizer: 'sgd' });
    expect(back.evaluate(fixture.x, fixture.y).loss).toBe(net.evaluate(fixture.x, fixture.y).loss);
    const file = Network.fromSafetensors(net.toSafetensors(), { backend: BACKEND });
    expect((file.layers[0] as Dense).kernelRegularizer).toEqual({ l1: 0.01, l2: 0.02 });
    // No regularizer: the layer's JSON is as before.
    expect(new Dense(2).toJSON()).not.toHaveProperty('kernelRegularizer');
  });

  it('rejects bad regularizer options', () => {
    expect(() => new Dense(2, { kernelRegularizer: { l1: -1 } })).toThrow(/kernelRegularizer\.l1/);
    expect(() => new Dense(2, { biasRegularizer: { l2: Number.NaN } })).toThrow(/biasRegularizer\.l2/);
    expect(() => new Dense(2, { kernelRegularizer: { l3: 1 } as never })).toThrow(/l3/);
    expect(() => new Dense(2, { kernelRegularizer: 0.1 as never })).toThrow(/kernelRegularizer/);
  });
});

describe(`clip options (${BACKEND})`, () => {
  const makers: Array<[string, (o: { clipNorm?: number; clipValue?: number }) => Optimizer]> = [
    ['SGD', (o) => new SGD(o)],
    ['Adam', (o) => new Adam(o)],
    ['AdamW', (o) => new AdamW(o)],
    ['RMSProp', (o) => new RMSProp(o)],
  ];
  for (const [name, make] of makers) {
    it(`${name} takes clipNorm and clipValue, > 0`, () => {
      const o = make({ clipNorm: 1.5, clipValue: 0.5 }) as Optimizer & { clipNorm?: number; clipValue?: number };
      expect(o.clipNorm).toBe(1.5);
      expect(o.clipValue).toBe(0.5);
      expect(make({}) as { clipNorm?: number }).not.toHaveProperty('clipNorm', 1.5);
      expect(() => make({ clipNorm: 0 })).toThrow(/clipNorm/);
      expect(() => make({ clipValue: -1 })).toThrow(/clipValue/);
      expect(() => make({ clipNorm: Number.POSITIVE_INFINITY })).toThrow(/clipNorm/);
    });
  }

  it('clipValue bounds every step of plain SGD by lr·clipValue (RMSProp, AdamW run clipped too)', () => {
    const rows = 16;
    const x = Float32Array.from({ length: rows * 3 }, (_, i) => Math.sin(i) * 5);
    const y = Float32Array.from({ length: rows * 2 }, (_, i) => Math.cos(i) * 50);
    for (const opt of [
      new SGD({ learningRate: 1, clipValue: 0.01 }),
      new RMSProp({ clipNorm: 0.1 }),
      new AdamW({ clipValue: 0.1 }),
    ]) {
      const net = new Network({ inputs: 3, layers: [new Dense(2)], backend: BACKEND, seed: 5 });
      net.compile({ loss: 'mse', optimizer: opt });
      const before = net.getWeights()[0]!.kernel;
      net.trainOnBatch(x, y);
      const after = net.getWeights()[0]!.kernel;
      if (opt instanceof SGD)
        for (let i = 0; i < before.length; i++)
          expect(Math.abs(after[i]! - before[i]!)).toBeLessThanOrEqual(0.01 * 1.0001);
      expect(after.every(Number.isFinite)).toBe(true);
    }
  });
});
