/**
 * The command on broken model files: truncated, non-finite or overflowing weights, bad
 * preprocessing statistics, metadata of unexpected types. predict fails with one line
 * (exit 1) naming the file and the field, and leaves no output file; info shows what it
 * can of every file that loads — never "undefined" — and says why predict would refuse it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Dense, Network } from '../../lib/index';
import { densely, expectFailure, IRIS_FEATURES, irisCliMetadata, ROOT, requireBuilt } from './run';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const IRIS = join(ROOT, 'data', 'iris.csv');
const NAMES = IRIS_FEATURES;
let dir: string;

/** The metadata `densely train` writes for an iris classifier, with `change` applied. */
function meta(change: Record<string, string | undefined> = {}): Record<string, string> {
  const m: Record<string, string | undefined> = {
    ...irisCliMetadata(),
    'densely.cli.training': JSON.stringify({
      data: 'iris.csv',
      rows: 150,
      hiddenLayers: [],
      metrics: { accuracy: 0.9 },
      threads: 1,
      backend: 'js',
    }),
    ...change,
  };
  return Object.fromEntries(Object.entries(m).filter((e): e is [string, string] => e[1] !== undefined));
}

function preprocessing(first: Record<string, unknown>): string {
  return JSON.stringify({
    features: NAMES.map((name, i) => ({ name, kind: 'numeric', mean: 3, std: 1.5, ...(i === 0 ? first : {}) })),
    inputs: 4,
  });
}

/**
 * A model file with the given metadata. With `overflow`, every kernel weight is 1e38: a row
 * of positive inputs gets three logits of +Infinity, and the softmax of equal infinities is NaN.
 */
function model(name: string, m: Record<string, string>, overflow = false): string {
  const net = new Network({ inputs: 4, layers: [new Dense(3, { activation: 'softmax' })], backend: 'js', seed: 1 });
  if (overflow) net.setWeights([{ kernel: new Float32Array(12).fill(1e38), bias: new Float32Array(3) }]);
  const path = join(dir, name);
  writeFileSync(path, net.toSafetensors(m));
  return path;
}

/** Runs predict with --out into a fresh directory; asserts a one-line failure and an empty directory. */
async function predictFails(path: string, parts: string[]): Promise<void> {
  const outDir = mkdtempSync(join(dir, 'out-'));
  const r = await densely(['predict', path, IRIS, '--backend', 'js', '--out', join(outDir, 'p.csv')]);
  expectFailure(r, parts);
  expect(r.stdout).toBe('');
  expect(readdirSync(outDir), 'no output or temporary file left').toEqual([]);
}

async function infoShows(path: string, parts: string[]): Promise<string> {
  const r = await densely(['info', path, '--all']);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  expect(r.stdout).not.toMatch(/undefined|NaN undefined|\[object Object\]/);
  for (const p of parts) expect(r.stdout).toContain(p);
  return r.stdout;
}

beforeAll(() => {
  requireBuilt();
  dir = mkdtempSync(join(tmpdir(), 'densely-corrupt-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.concurrent('model files that do not load', () => {
  it('a truncated file', async () => {
    const whole = readFileSync(model('whole.safetensors', meta()));
    const path = join(dir, 'truncated.safetensors');
    writeFileSync(path, whole.subarray(0, Math.floor(whole.length * 0.6)));
    await predictFails(path, ['truncated.safetensors', 'is not a valid densely model file']);
    expectFailure(await densely(['info', path]), ['truncated.safetensors', 'is not a valid densely model file']);
  });

  it('a NaN weight in the tensor data', async () => {
    const bytes = readFileSync(model('nan-src.safetensors', meta()));
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<
      string,
      { data_offsets: [number, number] }
    >;
    bytes.writeFloatLE(NaN, 8 + headerLength + header['layers.0.kernel']!.data_offsets[0] + 4);
    const path = join(dir, 'nan.safetensors');
    writeFileSync(path, bytes);
    await predictFails(path, ['nan.safetensors', 'is not a valid densely model file']);
    expectFailure(await densely(['info', path]), ['nan.safetensors']);
  });
});

describe.concurrent('weights that overflow', () => {
  it('predict refuses non-finite outputs, naming the first row; --allow-nonfinite writes them', async () => {
    // Raw (unstandardised) iris inputs are all positive: every row's logits overflow.
    const path = model(
      'overflow.safetensors',
      meta({
        'densely.cli.preprocessing': JSON.stringify({
          features: NAMES.map((name) => ({ name, kind: 'numeric', mean: 0, std: 1 })),
          inputs: 4,
        }),
      }),
      true,
    );
    await predictFails(path, [
      'overflow.safetensors',
      'non-finite output (NaN)',
      'iris.csv line 2 (row 1)',
      '--allow-nonfinite',
    ]);
    const r = await densely(['predict', path, IRIS, '--backend', 'js', '--allow-nonfinite']);
    expect(r.code, r.stderr).toBe(0);
    const first = r.stdout.split('\n')[1]!;
    expect(first).toBe(',NaN,NaN,NaN');
  });
});

describe.concurrent('bad preprocessing statistics', () => {
  const cases: Array<[string, Record<string, unknown>, string[]]> = [
    [
      'a mean of 1e308',
      { mean: 1e308 },
      ['densely.cli.preprocessing: features[0] ("sepal_length").mean should be a finite float32 number', 'not 1e+308'],
    ],
    ['a NaN std (null in JSON)', { std: null }, ['features[0] ("sepal_length").std should be a number in', 'not null']],
    ['a zero std', { std: 0 }, ['features[0] ("sepal_length").std', 'not 0']],
    ['a std given as a string', { std: '1.5' }, ['features[0] ("sepal_length").std', 'not "1.5"']],
    [
      'an unknown kind',
      { kind: 'ordinal' },
      ['features[0] ("sepal_length").kind should be "numeric" or "categorical", not "ordinal"'],
    ],
    ['a feature without a name', { name: 7 }, ['features[0].name should be a string, not 7']],
  ];
  for (const [what, first, parts] of cases) {
    it(what, async () => {
      const path = model(
        `pre-${what.replace(/\W+/g, '-')}.safetensors`,
        meta({ 'densely.cli.preprocessing': preprocessing(first) }),
      );
      await predictFails(path, [path, 'has corrupt densely train metadata', ...parts]);
      await infoShows(path, ['problem       predict will refuse this model: densely.cli.preprocessing']);
    });
  }

  it('a value that standardises beyond float32 is named by line and column', async () => {
    const path = model(
      'pre-tiny-std.safetensors',
      meta({ 'densely.cli.preprocessing': preprocessing({ mean: 0, std: 1e-12 }) }),
    );
    const csv = join(dir, 'huge.csv');
    writeFileSync(csv, `${NAMES.join(',')}\n1,2,3,4\n1e300,2,3,4\n`);
    const r = await densely(['predict', path, csv, '--backend', 'js']);
    expectFailure(r, [`${csv} line 3, column "sepal_length"`, "beyond float32's range"]);
  });
});

describe.concurrent('metadata of unexpected types', () => {
  const refused: Array<[string, Record<string, string | undefined>, string[], string[]]> = [
    [
      'classes as an object',
      { 'densely.cli.classes': '{"a":1}' },
      ['densely.cli.classes: should be a list of class names, not {"a":1}'],
      ['classes unreadable'],
    ],
    [
      'classes as a number',
      { 'densely.cli.classes': '5' },
      ['densely.cli.classes: should be a list of class names, not 5'],
      ['classes unreadable'],
    ],
    [
      'classes that are not JSON',
      { 'densely.cli.classes': '[setosa' },
      ['densely.cli.classes: not valid JSON'],
      ['classes unreadable'],
    ],
    [
      'an unknown task',
      { 'densely.cli.task': 'clustering' },
      ['densely.cli.task should be "classification" or "regression", not "clustering"'],
      ['task          unknown'],
    ],
    [
      'no target name',
      { 'densely.cli.target': undefined },
      ["densely.cli.target should be the target column's name, not missing"],
      ['an unnamed target'],
    ],
    [
      'preprocessing that is not JSON',
      { 'densely.cli.preprocessing': '{features' },
      ['densely.cli.preprocessing: not valid JSON'],
      ['preprocessing unreadable'],
    ],
    [
      'preprocessing as a list',
      { 'densely.cli.preprocessing': '[1,2]' },
      ['densely.cli.preprocessing: the entry should be an object, not [1,2]'],
      ['preprocessing unreadable'],
    ],
    [
      'regression without scaling',
      { 'densely.cli.task': 'regression' },
      ['densely.cli.targetScaling: missing'],
      ['scaling unreadable'],
    ],
  ];
  for (const [what, change, parts, infoParts] of refused) {
    it(what, async () => {
      const path = model(`meta-${what.replace(/\W+/g, '-')}.safetensors`, meta(change));
      await predictFails(path, [path, 'has corrupt densely train metadata', ...parts]);
      await infoShows(path, [...infoParts, 'problem       predict will refuse this model']);
    });
  }

  it('a training record of unexpected types: info shows what it holds; predict, which does not need it, works', async () => {
    const odd = JSON.stringify({
      data: ['x'],
      rows: '150',
      hiddenLayers: 'none',
      metrics: 5,
      threads: 'many',
      epochsRun: null,
      date: { y: 2026 },
    });
    const path = model('meta-training.safetensors', meta({ 'densely.cli.training': odd }));
    const out = await infoShows(path, [
      'training',
      'data        ["x"]: 150 rows',
      'hidden layers none',
      'metrics     5',
      'threads many',
      'epochs      null',
      '{"y":2026}',
    ]);
    expect(out).not.toContain('problem');
    const list = model('meta-training-list.safetensors', meta({ 'densely.cli.training': '[1,2]' }));
    await infoShows(list, ['training      unreadable: densely.cli.training is [1,2]']);
    for (const p of [path, list]) {
      const r = await densely(['predict', p, IRIS, '--backend', 'js']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.split('\n')).toHaveLength(152);
    }
  });
});
