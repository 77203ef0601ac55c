/**
 * The real `densely` command in child processes (`node bin/densely.cjs …`, built by the
 * root test script first): exit codes, stderr lines, metrics parsed from stdout, model
 * files, prediction CSVs and SVGs. Not backend-specific: every run uses --backend js
 * except one with --backend auto.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseCsv } from '../../lib/cli/csv';
import { Dense, Network } from '../../lib/index';
import { densely, expectFailure, ROOT, type Run, requireBuilt } from './run';
import { checkWellFormed } from './xml';

// Each test spawns node (0.3–1 s on a busy machine) and some train for a few seconds.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const IRIS = join(ROOT, 'data', 'iris.csv');
const FIX = join(ROOT, 'test', 'fixtures', 'cli');

/** The value printed after `label` on its own report line (e.g. "  accuracy  0.9667"). */
function metric(stdout: string, label: string): number {
  const m = new RegExp(`^\\s+${label}\\s+(-?[\\d.]+(?:e[-+]?\\d+)?)\\s*$`, 'm').exec(stdout);
  if (!m) throw new Error(`no "${label}" line in:\n${stdout}`);
  return Number(m[1]);
}

let dir: string;
let model: string;
let trainRun: Run;

beforeAll(async () => {
  requireBuilt();
  dir = mkdtempSync(join(tmpdir(), 'densely-cli-'));
  model = join(dir, 'iris.safetensors');
  trainRun = await densely([
    'train',
    IRIS,
    '--target',
    'species',
    '--backend',
    'js',
    '--epochs',
    '60',
    '--seed',
    '3',
    '--save',
    model,
    '--plot',
    join(dir, 'curves.svg'),
  ]);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('densely train (iris, classification)', () => {
  it('exits 0 and prints one line per epoch with train and validation metrics', async () => {
    expect(trainRun.code, trainRun.stderr).toBe(0);
    expect(trainRun.stderr).toBe('');
    const epochs = trainRun.stdout.split('\n').filter((l) => /^epoch\s+\d+\/60 /.test(l));
    expect(epochs.length).toBeGreaterThan(1);
    for (const l of epochs)
      expect(l).toMatch(/loss \d\.\d{4}\s+acc \d\.\d{4}\s+val_loss \d\.\d{4}\s+val_acc \d\.\d{4}/);
    // stdout is a pipe here: plain lines, no progress-bar redraws or colors.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no carriage return or ANSI escape may reach a pipe.
    expect(trainRun.stdout).not.toMatch(/[\r\x1b]/);
  });

  it('reports the task, a stratified split, accuracy and a confusion matrix with class names', async () => {
    const out = trainRun.stdout;
    expect(out).toContain('classification of "species": 3 classes');
    expect(out).toContain('120 training / 30 validation rows (stratified');
    expect(metric(out, 'accuracy')).toBeGreaterThanOrEqual(0.8);
    const header = out.split('\n').find((l) => /setosa\s+versicolor\s+virginica\s+recall/.test(l));
    expect(header).toBeDefined();
    const rows = ['setosa', 'versicolor', 'virginica'].map((c) =>
      out.split('\n').find((l) => new RegExp(`^\\s+${c}\\s+\\d+\\s+\\d+\\s+\\d+\\s+[\\d.]+$`).test(l)),
    );
    const counts = rows.map((l) => l!.trim().split(/\s+/).slice(1, 4).map(Number));
    expect(counts.flat().reduce((a, b) => a + b, 0)).toBe(30);
    expect(counts.map((r) => r.reduce((a, b) => a + b, 0))).toEqual([10, 10, 10]);
  });

  it('writes a model that Network.load reads, with preprocessing and class names in its metadata', async () => {
    const net = await Network.load(model, { backend: 'js' });
    expect(net.inputs).toBe(4);
    expect(net.outputs).toBe(3);
    expect(JSON.parse(net.metadata['densely.cli.classes']!)).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(net.metadata['densely.cli.task']).toBe('classification');
    const pre = JSON.parse(net.metadata['densely.cli.preprocessing']!) as {
      features: Array<{ name: string; kind: string }>;
    };
    expect(pre.features.map((f) => f.name)).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    expect(pre.features.every((f) => f.kind === 'numeric')).toBe(true);
  });

  it('writes a well-formed SVG with both panels and draws the curves in the terminal', async () => {
    const svg = readFileSync(join(dir, 'curves.svg'), 'utf8');
    expect(checkWellFormed(svg)[0]).toBe('svg');
    expect(svg).toContain('>Loss<');
    expect(svg).toContain('>Accuracy<');
    expect(trainRun.stdout).toMatch(/[\u2801-\u28ff]/);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('restores the best weights: the reported loss is the best validation loss', async () => {
    const vals = trainRun.stdout
      .split('\n')
      .flatMap((l) => /val_loss (\d\.\d{4})/.exec(l)?.[1] ?? [])
      .map(Number);
    expect(metric(trainRun.stdout, 'loss')).toBeCloseTo(Math.min(...vals), 3);
  });
});

describe.concurrent('the demo (bundled digits, default settings)', () => {
  it('reaches at least 95% validation accuracy and writes curves.svg', async () => {
    const cwd = mkdtempSync(join(dir, 'demo-'));
    const r = await densely(['train', '--backend', 'js', '--plot', 'curves.svg'], cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('bundled digits');
    expect(r.stdout).toContain('10 classes');
    expect(metric(r.stdout, 'accuracy')).toBeGreaterThanOrEqual(0.95);
    expect(checkWellFormed(readFileSync(join(cwd, 'curves.svg'), 'utf8'))[0]).toBe('svg');
  });
});

describe.concurrent('densely predict', () => {
  it('writes the class and one probability per class for every row', async () => {
    const r = await densely(['predict', model, IRIS, '--backend', 'js']);
    expect(r.code, r.stderr).toBe(0);
    const t = parseCsv(r.stdout, 'stdout');
    expect(t.header).toEqual(['species', 'p_setosa', 'p_versicolor', 'p_virginica']);
    expect(t.rows).toHaveLength(150);
    const truth = parseCsv(readFileSync(IRIS, 'utf8'), 'iris').rows.map((row) => row[4]);
    let correct = 0;
    t.rows.forEach((row, i) => {
      const p = row.slice(1).map(Number);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(row[0]).toBe(['setosa', 'versicolor', 'virginica'][p.indexOf(Math.max(...p))]);
      if (row[0] === truth[i]) correct++;
    });
    expect(correct / 150).toBeGreaterThan(0.8);
  });

  it('accepts the columns in any order and writes --out atomically', async () => {
    const t = parseCsv(readFileSync(IRIS, 'utf8'), 'iris');
    const order = [3, 0, 2, 1];
    const shuffled = join(dir, 'shuffled.csv');
    writeFileSync(
      shuffled,
      [order.map((i) => t.header[i]).join(','), ...t.rows.map((r) => order.map((i) => r[i]).join(','))].join('\n'),
    );
    const out = join(dir, 'pred.csv');
    const r = await densely(['predict', model, shuffled, '--out', out, '--backend', 'js']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toBe((await densely(['predict', model, IRIS, '--backend', 'js'])).stdout);
  });

  it('names a missing column', async () => {
    const t = parseCsv(readFileSync(IRIS, 'utf8'), 'iris');
    const partial = join(dir, 'partial.csv');
    writeFileSync(
      partial,
      ['sepal_length,sepal_width,petal_length', ...t.rows.map((r) => r.slice(0, 3).join(','))].join('\n'),
    );
    const out = join(dir, 'never.csv');
    expectFailure(await densely(['predict', model, partial, '--out', out, '--backend', 'js']), [
      partial,
      'missing column "petal_width"',
    ]);
    expect(existsSync(out)).toBe(false);
  });

  it('names the line and column of a bad value', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n4.9,three,1.4,0.2\n');
    expectFailure(await densely(['predict', model, bad, '--backend', 'js']), [
      `${bad} line 3, column "sepal_width"`,
      'expected a number but found "three"',
    ]);
  });

  it('rejects unreadable, corrupt and non-CLI model files', async () => {
    expectFailure(await densely(['predict', join(dir, 'nope.safetensors'), IRIS]), [
      'cannot read model',
      'no such file',
    ]);
    expectFailure(await densely(['predict', join(FIX, 'corrupt.safetensors'), IRIS, '--backend', 'js']), [
      'corrupt.safetensors',
      'is not a valid densely model file',
    ]);
    const plain = join(dir, 'plain.safetensors');
    new Network({ inputs: 4, layers: [new Dense(3, { activation: 'softmax' })], backend: 'js', seed: 1 }).save(plain);
    expectFailure(await densely(['predict', plain, IRIS, '--backend', 'js']), ['no densely train metadata']);
    const info = await densely(['info', plain]);
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toMatch(/architecture\s+4 inputs → dense 3 softmax/);
    expect(info.stdout).toMatch(/parameters\s+15\n/);
    expectFailure(await densely(['info', join(FIX, 'corrupt.safetensors')]), ['is not a valid densely model file']);
  });
});

describe.concurrent('densely info', () => {
  it('prints the architecture, parameter count, preprocessing and training metadata', async () => {
    const r = await densely(['info', model]);
    expect(r.code, r.stderr).toBe(0);
    const net = await Network.load(model, { backend: 'js' });
    expect(r.stdout).toContain('4 inputs → dense 64 relu → dense 32 relu → dense 3 softmax');
    expect(r.stdout).toMatch(new RegExp(`parameters\\s+${net.paramCount.toLocaleString('en-US')}`));
    expect(r.stdout).toContain('"setosa", "versicolor", "virginica"');
    expect(r.stdout).toMatch(/petal_width\s+numeric\s+mean \d/);
    expect(r.stdout).toMatch(/data\s+iris\.csv: 150 rows \(120 training, 30 validation\)/);
    expect(r.stdout).toContain('seed 3');
  });
});

describe.concurrent('densely train (regression with a categorical feature)', () => {
  it('infers regression, one-hot encodes, reports MAE/RMSE/R² and predicts values', async () => {
    const m = join(dir, 'reg.safetensors');
    const r = await densely([
      'train',
      join(FIX, 'regression.csv'),
      '--backend',
      'js',
      '--epochs',
      '150',
      '--lr',
      '0.01',
      '--save',
      m,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('regression of "y"');
    expect(r.stdout).toContain('2 numeric standardised, 1 categorical one-hot) → 5 inputs');
    expect(metric(r.stdout, 'R²')).toBeGreaterThan(0.8);
    expect(metric(r.stdout, 'RMSE')).toBeGreaterThanOrEqual(metric(r.stdout, 'MAE'));
    const p = await densely(['predict', m, join(FIX, 'regression.csv'), '--backend', 'js']);
    expect(p.code, p.stderr).toBe(0);
    const t = parseCsv(p.stdout, 'stdout');
    expect(t.header).toEqual(['y']);
    expect(t.rows).toHaveLength(120);
    const truth = parseCsv(readFileSync(join(FIX, 'regression.csv'), 'utf8'), 'f').rows.map((row) => Number(row[3]));
    const mae = t.rows.reduce((s, row, i) => s + Math.abs(Number(row[0]) - truth[i]!), 0) / 120;
    expect(mae).toBeLessThan(1.5);
  });
});

describe.concurrent('bad input: one line on stderr, exit code 1, nothing written', () => {
  const cases: Array<[string, string[], string[]]> = [
    ['ragged rows', ['ragged.csv'], ['ragged.csv line 5, column "label"', 'row has 3 fields but the header has 4']],
    [
      'a non-numeric value in a numeric column',
      ['nonnumeric.csv'],
      ['nonnumeric.csv line 9, column "b"', 'expected a number but found "abc"'],
    ],
    ['an empty file', ['empty.csv'], ['empty.csv is empty']],
    ['a header without rows', ['header-only.csv'], ['header-only.csv has a header but no data rows']],
    ['NaN', ['nan.csv'], ['nan.csv line 6, column "a"', '"NaN" is not a finite number']],
    ['Inf', ['inf.csv'], ['inf.csv line 8, column "b"', '"inf" is not a finite number']],
    ['a one-class target', ['one-class.csv'], ['one-class.csv column "label"', 'single class ("same")']],
    ['an unknown target column', ['one-class.csv', '--target', 'nope'], ['has no column "nope"', '"a", "b", "label"']],
  ];
  for (const [what, args, parts] of cases) {
    it(what, async () => {
      const out = mkdtempSync(join(dir, 'bad-'));
      const [file, ...rest] = args;
      const r = await densely([
        'train',
        join(FIX, file!),
        ...rest,
        '--backend',
        'js',
        '--epochs',
        '2',
        '--save',
        join(out, 'm.safetensors'),
        '--plot',
        join(out, 'c.svg'),
      ]);
      expectFailure(r, parts);
      expect(readdirSync(out)).toEqual([]);
    });
  }

  it('a missing data file', async () => {
    expectFailure(await densely(['train', join(dir, 'missing.csv'), '--backend', 'js']), [
      'cannot read',
      'missing.csv',
      'no such file',
    ]);
  });

  it('an output directory that does not exist, before any training', async () => {
    const r = await densely(['train', IRIS, '--backend', 'js', '--save', join(dir, 'no', 'such', 'm.safetensors')]);
    expectFailure(r, ['cannot write model', 'no such file']);
    expect(r.stdout).toBe('');
  });

  it('keeps an existing model intact when a run fails', async () => {
    const copy = join(dir, 'keep.safetensors');
    copyFileSync(model, copy);
    const before = readFileSync(copy);
    expectFailure(await densely(['train', join(FIX, 'nan.csv'), '--backend', 'js', '--save', copy]), [
      'nan.csv line 6',
    ]);
    expect(readFileSync(copy).equals(before)).toBe(true);
  });
});

describe.concurrent('command line', () => {
  it('--help lists the subcommands and exits 0', async () => {
    const r = await densely(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: densely \[options\] \[command\]/);
    for (const c of ['train', 'predict', 'info']) expect(r.stdout).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
  });

  it('each subcommand has its own help', async () => {
    const r = await densely(['train', '--help']);
    expect(r.code).toBe(0);
    for (const o of [
      '--target',
      '--task',
      '--validation',
      '--layers',
      '--epochs',
      '--batch-size',
      '--lr',
      '--seed',
      '--backend',
      '--threads',
      '--save',
      '--plot',
    ]) {
      expect(r.stdout).toContain(o);
    }
    expect((await densely(['help', 'predict'])).stdout).toContain('Usage: densely predict [options] <model> <file>');
  });

  it('usage errors exit 2 with one line', async () => {
    const cases: Array<[string[], string[]]> = [
      [['train', '--bogus'], ["unknown option '--bogus'"]],
      [
        ['train', '--epochs', 'ten'],
        ['--epochs', 'expected an integer'],
      ],
      [
        ['train', '--validation', '1.5'],
        ['--validation', '[0, 1)'],
      ],
      [
        ['train', '--backend', 'gpu'],
        ['--backend', 'auto, native, js'],
      ],
      [['predict', model], ["missing required argument 'file'"]],
      [['frobnicate'], ["unknown command 'frobnicate'"]],
    ];
    const runs = await Promise.all(cases.map(([args]) => densely(args)));
    runs.forEach((r, i) => {
      expectFailure(r, cases[i]![1], 2);
    });
  });

  it('--version prints the package version', async () => {
    const r = await densely(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(
      (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version,
    );
  });

  it('trains with --backend auto', async () => {
    const r = await densely(['train', IRIS, '--backend', 'auto', '--epochs', '3', '--no-chart']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/training {2}(js|native) backend/);
    expect(r.stdout).toMatch(/^epoch 3\/3 /m);
  });
});
