/**
 * `densely train --stream`: the file streamed through csvDataset and fitDataset (no
 * validation split, file order). The saved model is the one the library trains from the
 * same stream with the same seed, bit for bit, and `densely predict` reads it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvDataset } from '../../lib/data';
import { Adam, Dense, Network } from '../../lib/index';
import { densely, expectFailure, ROOT, type Run, requireBuilt } from './run';

const IRIS = join(ROOT, 'data', 'iris.csv');
let dir = '';
let run: Run;

beforeAll(async () => {
  requireBuilt();
  dir = mkdtempSync(join(tmpdir(), 'densely-stream-'));
  run = await densely([
    'train',
    IRIS,
    '--stream',
    '--target',
    'species',
    '--backend',
    'js',
    '--epochs',
    '4',
    '--patience',
    '100',
    '--batch-size',
    '16',
    '--layers',
    '8',
    '--seed',
    '5',
    '--save',
    join(dir, 'iris.safetensors'),
    '--plot',
    join(dir, 'curves.svg'),
  ]);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('densely train --stream', () => {
  it('trains on every row in file order and says so', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('(streamed): 150 rows, 4 features');
    expect(run.stdout).toContain('split     none: --stream trains on every row');
    expect(run.stdout.split('\n').filter((l) => /^epoch\s+\d\/4 /.test(l))).toHaveLength(4);
    expect(run.stdout).toMatch(/Training metrics of epoch \d \(150 rows/);
  });

  it('saves the weights fitDataset gives on the same stream and seed (best epoch), which predict reads', async () => {
    const data = await csvDataset(IRIS, { target: 'species', batchSize: 16 });
    const net = new Network({
      inputs: data.inputs,
      layers: [new Dense(8, { activation: 'relu' }), new Dense(data.outputs, { activation: 'softmax' })],
      backend: 'js',
      seed: 5,
    });
    net.compile({ loss: data.loss, optimizer: new Adam({ learningRate: 0.003 }), metrics: ['accuracy'] });
    let best = Infinity;
    let bestWeights = net.getWeights();
    await net.fitDataset(data.batches, {
      epochs: 4,
      onEpochEnd: (_e, logs) => {
        if (logs.loss < best) {
          best = logs.loss;
          bestWeights = net.getWeights();
        }
      },
    });
    const saved = await Network.load(join(dir, 'iris.safetensors'), { backend: 'js' });
    saved.getWeights().forEach((w, i) => {
      expect(Array.from(w.kernel)).toEqual(Array.from(bestWeights[i]!.kernel));
      expect(Array.from(w.bias!)).toEqual(Array.from(bestWeights[i]!.bias!));
    });
    expect(JSON.parse(saved.metadata['densely.cli.preprocessing']!)).toEqual(data.preprocessing);
    const p = await densely(['predict', join(dir, 'iris.safetensors'), IRIS, '--backend', 'js']);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout.trim().split('\n')).toHaveLength(151);
  });

  it('names the line and column of a bad value found while streaming', async () => {
    const rows = ['a,b,label', ...Array.from({ length: 40 }, (_, i) => `${i},${i * 2},${i % 2}`), '1,zz,0'];
    const file = join(dir, 'bad.csv');
    writeFileSync(file, `${rows.join('\n')}\n`);
    const r = await densely(['train', file, '--stream', '--backend', 'js', '--epochs', '1']);
    expectFailure(r, ['bad.csv line 42, column "b": expected a number but found "zz"']);
  });
});
