// The bench's issue-11 machinery, without its contenders installed: the
// 'epochs' summary (bench/stats.js) and PyTorch's child (bench/tools/torch_bench.py: same
// initial loss as densely on the same weights, one time per epoch, or the install hint
// when torch is missing).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Dense, Network } from '../../lib/index';

const require = createRequire(import.meta.url);
const { epochSummary, lastWindow, combineRounds } = require('../../bench/stats.js') as {
  epochSummary: (rows: number, seconds: number[]) => Record<string, number | number[]>;
  lastWindow: (epochs: number) => number;
  combineRounds: (runs: Array<Record<string, unknown>>) => Record<string, unknown>;
};
const { torchPython } = require('../../bench/drivers.js') as {
  torchPython: () => { python?: string; reason?: string };
};

const BENCH = path.resolve(__dirname, '../../bench');
const tmp = mkdtempSync(path.join(tmpdir(), 'densely-bench-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function floats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

describe('bench/stats.js epochSummary', () => {
  it('gives the run rate, the first-3 and last-8 rates and per-epoch samples', () => {
    const seconds = [2, 2, 2, ...Array(9).fill(1), ...Array(8).fill(4)];
    const r = epochSummary(100, seconds);
    expect(r.epochs).toBe(20);
    expect(r.median).toBeCloseTo((100 * 20) / (6 + 9 + 32), 10);
    expect(r.first3).toBeCloseTo(50, 10);
    expect(r.last8).toBeCloseTo(25, 10);
    expect(r.samples).toHaveLength(20);
    expect(lastWindow(20)).toBe(8);
    expect(lastWindow(6)).toBe(3);
    expect(epochSummary(10, [1, 1, 1, 1, 2, 2]).last8).toBeCloseTo(30 / 5, 10);
  });
});

describe('bench/stats.js combineRounds (--rounds)', () => {
  it('takes the median over rounds of the rate, first-3, last-8 and CPU rates, and keeps every sample', () => {
    const round = (median: number, first3: number, last8: number) => ({
      median,
      min: median - 1,
      max: median + 1,
      samples: [median - 1, median + 1],
      first3,
      last8,
      cpu: { rate: 2 * median, first3: 2 * first3, last8: 2 * last8 },
      info: { impl: 'x' },
    });
    const r = combineRounds([round(10, 8, 12), { skipped: 'no' }, round(30, 20, 40), round(20, 30, 10)]);
    expect(r.median).toBe(20);
    expect(r.first3).toBe(20);
    expect(r.last8).toBe(12);
    expect(r.cpu).toEqual({ rate: 40, first3: 40, last8: 24 });
    expect(r.min).toBe(9);
    expect(r.max).toBe(31);
    expect(r.samples).toEqual([9, 11, 29, 31, 19, 21]);
    expect((r.rounds as unknown[])[1]).toEqual({ skipped: 'no', error: undefined });
    expect(combineRounds([{ skipped: 'a' }, { skipped: 'b' }])).toEqual({ skipped: 'a' });
    const one = round(5, 5, 5);
    expect(combineRounds([one])).toBe(one);
  });
});

describe('bench/tools/torch_bench.py', () => {
  const inputs = 4;
  const rows = 64;
  const trial = {
    id: 'tiny',
    type: 'epochs',
    model: {
      inputs,
      layers: [
        [5, 'relu'],
        [3, 'softmax'],
      ],
    },
    loss: 'categoricalCrossentropy',
    optimizer: { name: 'adam', learningRate: 1e-3 },
    batchSize: 16,
  };
  const x = floats(rows * inputs, 7);
  const y = new Float32Array(rows * 3);
  for (let r = 0; r < rows; r++) y[r * 3 + (r % 3)] = 1;
  const net = new Network({
    inputs,
    layers: [new Dense(5, { activation: 'relu' }), new Dense(3, { activation: 'softmax' })],
    backend: 'js',
    seed: 3,
  });
  const weights = net.getWeights();
  const files = { x: path.join(tmp, 'x.f32'), y: path.join(tmp, 'y.f32'), weights: path.join(tmp, 'w.f32') };
  const bytes = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  writeFileSync(files.x, bytes(x));
  writeFileSync(files.y, bytes(y));
  writeFileSync(files.weights, Buffer.concat(weights.flatMap((w) => [bytes(w.kernel), bytes(w.bias!)])));
  const run = (python: string): Record<string, unknown> => {
    const ctx = { trial, threads: 1, flush: true, rows, epochs: 4, inputs: files };
    const r = spawnSync(python, [path.join(BENCH, 'tools', 'torch_bench.py'), JSON.stringify(ctx)], {
      encoding: 'utf8',
    });
    const line = r.stdout.split('\n').find((l) => l.startsWith('@@RESULT '));
    expect(line, r.stderr).toBeDefined();
    return JSON.parse(line!.slice(9));
  };

  it('trains on the same weights as densely (same initial loss), one time per epoch; or says how to install torch', () => {
    const probe = torchPython();
    if (probe.python) {
      const r = run(probe.python);
      expect(r.error).toBeUndefined();
      expect(r.samples).toHaveLength(4);
      expect(r.lastWindow).toBe(1);
      expect((r.info as { threads: number }).threads).toBe(1);
      net.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam' });
      const { loss } = net.evaluate(x, y);
      expect(Math.abs((r.initialLoss as number) - loss)).toBeLessThan(1e-5);
    } else {
      expect(probe.reason).toMatch(/apt-get install -y python3-torch/);
    }
  });

  it('reports the install command, not an error, under a Python without torch', () => {
    // A Python that cannot import torch: -S drops site-packages (where torch lives) and
    // PYTHONNOUSERSITE the user's; the script must still answer with one result line.
    const python =
      spawnSync('python3', ['-c', 'print(1)'], { encoding: 'utf8' }).status === 0 ? 'python3' : '/usr/bin/python3';
    const ctx = { trial, threads: 1, flush: false, rows, epochs: 2, inputs: files };
    const r = spawnSync(python, ['-S', path.join(BENCH, 'tools', 'torch_bench.py'), JSON.stringify(ctx)], {
      encoding: 'utf8',
      env: { ...process.env, PYTHONNOUSERSITE: '1', PYTHONPATH: '' },
    });
    const line = r.stdout.split('\n').find((l) => l.startsWith('@@RESULT '));
    expect(line, r.stderr).toBeDefined();
    expect(JSON.parse(line!.slice(9)).skipped).toMatch(/apt-get install -y python3-torch/);
  });
});
