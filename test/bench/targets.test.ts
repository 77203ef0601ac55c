// The bench's target table and verdicts (bench/trials.js): every issue-3 and issue-11
// target that `npm run bench` prints is evaluated by evaluateTarget, so its kinds are
// pinned here, and every contender a trial or target names must exist in bench/drivers.js.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { trials, evaluateTarget } = require('../../bench/trials.js') as {
  trials: Array<{
    id: string;
    type: string;
    contenders: string[];
    baseline: string;
    targets?: Array<Record<string, unknown>>;
  }>;
  evaluateTarget: (
    target: Record<string, unknown>,
    medians: Map<string, number>,
    peaks?: Map<number, number>,
    stability?: Map<string, number>,
  ) => Record<string, unknown>;
};
const { drivers } = require('../../bench/drivers.js') as { drivers: Map<string, unknown> };

describe('bench targets', () => {
  const medians = new Map([
    ['a@1', 150],
    ['b@1', 10],
    ['a@2', 180],
  ]);

  it('evaluates minimum, maximum and ratio targets', () => {
    expect(evaluateTarget({ who: 'a@1', min: 150 }, medians)).toEqual({ value: 150, met: true });
    expect(evaluateTarget({ who: 'a@1', min: 151 }, medians)).toEqual({ value: 150, met: false });
    expect(evaluateTarget({ who: 'b@1', max: 10 }, medians)).toEqual({ value: 10, met: true });
    expect(evaluateTarget({ who: 'a@1', ratio: 15, vs: 'b@1' }, medians)).toEqual({ value: 15, met: true });
    expect(evaluateTarget({ who: 'a@1', ratio: 30, vs: 'b@1' }, medians)).toEqual({ value: 15, met: false });
  });

  it("evaluates peak fractions against the peak of the contender's thread count", () => {
    const peaks = new Map([
      [1, 200],
      [2, 400],
    ]);
    expect(evaluateTarget({ who: 'a@1', peak: 0.75 }, medians, peaks)).toEqual({ value: 0.75, met: true });
    expect(evaluateTarget({ who: 'a@2', peak: 0.5 }, medians, peaks)).toEqual({ value: 0.45, met: false });
    expect(evaluateTarget({ who: 'a@2', peak: 0.5 }, medians, new Map())).toEqual({ missing: 'FMA peak' });
  });

  it('evaluates last-8 / first-3 epoch speed targets', () => {
    const stability = new Map([
      ['a@1', 0.9],
      ['a@2', 0.5],
    ]);
    expect(evaluateTarget({ who: 'a@1', stability: 0.85 }, medians, new Map(), stability)).toEqual({
      value: 0.9,
      met: true,
    });
    expect(evaluateTarget({ who: 'a@2', stability: 0.85 }, medians, new Map(), stability)).toEqual({
      value: 0.5,
      met: false,
    });
    expect(evaluateTarget({ who: 'a@1', stability: 0.85 }, medians)).toEqual({ missing: 'a@1 epoch times' });
  });

  it('names what did not run', () => {
    expect(evaluateTarget({ who: 'c@1', min: 1 }, medians)).toEqual({ missing: 'c@1' });
    expect(evaluateTarget({ who: 'a@1', ratio: 1, vs: 'c@1' }, medians)).toEqual({ missing: 'c@1' });
  });

  it('gives every GEMM trial the OpenBLAS targets, and sgemm-1024 the peak targets', () => {
    const gemm = trials.filter((t) => t.type === 'gemm');
    expect(gemm.length).toBe(12);
    for (const t of gemm) {
      const texts = (t.targets ?? []).map((x) => x.text);
      expect(texts).toContain('native ≥ OpenBLAS (1 thread, same process)');
      expect(texts).toContain('native ≥ OpenBLAS (2 threads, own processes)');
      expect(t.contenders).toContain('densely-core');
    }
    const big = trials.find((t) => t.id === 'sgemm-1024')!;
    expect(big.targets).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ who: 'densely-native@1', peak: 0.85 }),
        expect.objectContaining({ who: 'densely-native@2', peak: 0.75 }),
        expect.objectContaining({ who: 'densely-core@1', ratio: 1.15, vs: 'openblas@1', sameProcess: true }),
      ]),
    );
  });

  it('times train-mlp and train-wide over ≥ 20 epochs against PyTorch with and without flush', () => {
    for (const [id, ratio] of [
      ['train-mlp', 1.8],
      ['train-wide', 1.35],
    ] as const) {
      const t = trials.find((x) => x.id === id) as (typeof trials)[number] & { epochs: number };
      expect(t.type).toBe('epochs');
      expect(t.epochs).toBeGreaterThanOrEqual(20);
      expect(t.contenders).toEqual(
        expect.arrayContaining(['densely-native', 'densely-js', 'pytorch', 'pytorch-flush']),
      );
      expect(t.baseline).toBe('pytorch-flush');
      expect(t.targets).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ who: 'densely-native@1', ratio, vs: 'pytorch-flush@1' }),
          expect.objectContaining({ who: 'densely-native@1', stability: 0.85 }),
          expect.objectContaining({ who: 'densely-native@2', stability: 0.85 }),
        ]),
      );
    }
    const wide = trials.find((x) => x.id === 'train-wide')!;
    expect(wide.targets).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ who: 'densely-native@2', ratio: 1.35, vs: 'pytorch-flush@2' }),
      ]),
    );
  });

  it('compares inference with onnxruntime-node (batch 256 ≥ 1.15×, batch 1 ≥ 1.5×)', () => {
    for (const [id, ratio] of [
      ['predict-mlp-b-256', 1.15],
      ['predict-mlp-b-1', 1.5],
    ] as const) {
      const t = trials.find((x) => x.id === id)!;
      expect(t.contenders).toContain('onnxruntime');
      expect(t.targets).toEqual(
        expect.arrayContaining([expect.objectContaining({ who: 'densely-native@1', ratio, vs: 'onnxruntime@1' })]),
      );
    }
  });

  it('names only contenders that bench/drivers.js defines', () => {
    for (const t of trials) {
      for (const name of t.contenders) expect(drivers.has(name), `${t.id}: ${name}`).toBe(true);
      const names = [t.baseline, ...(t.targets ?? []).flatMap((x) => [x.who, x.vs])]
        .filter((x): x is string => typeof x === 'string')
        .map((x) => x.split('@')[0]!);
      for (const name of names) expect(drivers.has(name), `${t.id}: ${name}`).toBe(true);
    }
  });

  it('compares the XOR trials with the hand-written JS loop, which learns XOR', () => {
    for (const id of ['train-xor', 'train-xor-ordered', 'predict-xor-1']) {
      expect(trials.find((t) => t.id === id)!.contenders).toContain('handwritten-js');
    }
    expect(trials.find((t) => t.id === 'train-xor')!.targets).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ who: 'densely-native@1', ratio: 2.5, vs: 'handwritten-js@1' }),
      ]),
    );
    expect(drivers.has('handwritten-js')).toBe(true);
    const hand = require('../../bench/handwritten.js');
    const seed = require('../../bench/seed.js');
    const { x, y } = seed.xor(4096, 7);
    const next = seed.uniform(1);
    const net = hand.xorNet(next);
    const order = new Int32Array(4096);
    hand.shuffle(order, next);
    const first = hand.trainEpoch(net, x, y, order, 0.1);
    let last = first;
    for (let e = 0; e < 4; e++) last = hand.trainEpoch(net, x, y, order, 0.1);
    expect(last).toBeLessThan(first / 10);
    for (const [a, b] of [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]) {
      expect(hand.predictOne(net, a, b) > 0.5).toBe((a ^ b) === 1);
    }
  });
});
