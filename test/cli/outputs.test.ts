/**
 * Where the command writes: `--out -` is stdout; a named pipe and a character device are
 * written through (never replaced by a regular file); a symlink is followed and its target
 * replaced atomically, the link kept; an output that is an input (same file, through any
 * path or link) is refused before anything is read or written.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Dense, Network } from '../../lib/index';
import { densely, expectFailure, irisCliMetadata, ROOT, requireBuilt } from './run';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const IRIS = join(ROOT, 'data', 'iris.csv');
let dir: string;
let model: string;
let expected: string;

beforeAll(async () => {
  requireBuilt();
  dir = mkdtempSync(join(tmpdir(), 'densely-outputs-'));
  model = join(dir, 'iris.safetensors');
  const net = new Network({ inputs: 4, layers: [new Dense(3, { activation: 'softmax' })], backend: 'js', seed: 1 });
  writeFileSync(model, net.toSafetensors(irisCliMetadata()));
  const r = await densely(['predict', model, IRIS, '--backend', 'js']);
  expect(r.code, r.stderr).toBe(0);
  expected = r.stdout;
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.concurrent('predict --out', () => {
  it('"-" writes to stdout, as no --out does', async () => {
    const r = await densely(['predict', model, IRIS, '--backend', 'js', '--out', '-']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(expected);
  });

  it('a named pipe is written through and stays a pipe', async () => {
    const fifo = join(dir, 'pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const reader = spawn('cat', [fifo]);
    let got = '';
    reader.stdout.setEncoding('utf8').on('data', (s: string) => (got += s));
    const closed = new Promise((done) => reader.on('close', done));
    const r = await densely(['predict', model, IRIS, '--backend', 'js', '--out', fifo]);
    await closed;
    expect(r.code, r.stderr).toBe(0);
    expect(got).toBe(expected);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('a character device (/dev/null) is written through', async () => {
    const r = await densely(['predict', model, IRIS, '--backend', 'js', '--out', '/dev/null']);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('a symlink is followed: its target is replaced (mode kept), the link stays; a dangling link creates its target', async () => {
    const sub = mkdtempSync(join(dir, 'link-'));
    const target = join(sub, 'target.csv');
    writeFileSync(target, 'old\n');
    chmodSync(target, 0o600);
    const link = join(sub, 'out.csv');
    symlinkSync('target.csv', link);
    const r = await densely(['predict', model, IRIS, '--backend', 'js', '--out', link]);
    expect(r.code, r.stderr).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('target.csv');
    expect(readFileSync(target, 'utf8')).toBe(expected);
    expect(statSync(target).mode & 0o777).toBe(0o600);
    const dangling = join(sub, 'dangling.csv');
    symlinkSync('made.csv', dangling);
    const d = await densely(['predict', model, IRIS, '--backend', 'js', '--out', dangling]);
    expect(d.code, d.stderr).toBe(0);
    expect(readFileSync(join(sub, 'made.csv'), 'utf8')).toBe(expected);
    expect(readdirSync(sub).sort()).toEqual(['dangling.csv', 'made.csv', 'out.csv', 'target.csv']);
  });

  it('an output that is the model or the data file is refused before anything is written, through links and other spellings', async () => {
    const sub = mkdtempSync(join(dir, 'same-'));
    const m = join(sub, 'm.safetensors');
    const data = join(sub, 'data.csv');
    copyFileSync(model, m);
    copyFileSync(IRIS, data);
    symlinkSync('data.csv', join(sub, 'alias.csv'));
    const before = [readFileSync(m), readFileSync(data)];
    const cases: Array<[string, string]> = [
      [m, 'is the model'],
      [data, 'is the data file'],
      [join(sub, 'alias.csv'), 'is the data file'],
      [`${sub}/./data.csv`, 'is the data file'],
    ];
    for (const [out, part] of cases) {
      expectFailure(
        await densely(['predict', m, data, '--backend', 'js', '--out', out]),
        ['--out', part, 'refusing to overwrite an input'],
        2,
      );
    }
    const rel = await densely(
      ['predict', 'm.safetensors', 'data.csv', '--backend', 'js', '--out', relative(sub, data)],
      sub,
    );
    expectFailure(rel, ['is the data file'], 2);
    expect(readFileSync(m).equals(before[0]!)).toBe(true);
    expect(readFileSync(data).equals(before[1]!)).toBe(true);
  });
});

describe.concurrent('train outputs', () => {
  it('--save or --plot onto the data file is refused before training; --save - is refused', async () => {
    const sub = mkdtempSync(join(dir, 'train-'));
    const data = join(sub, 'data.csv');
    copyFileSync(IRIS, data);
    const before = readFileSync(data);
    const save = await densely(['train', data, '--backend', 'js', '--save', data]);
    expectFailure(save, ['--save', 'is the data file', 'refusing to overwrite an input'], 2);
    expect(save.stdout).toBe('');
    expectFailure(await densely(['train', data, '--backend', 'js', '--plot', data]), ['--plot', 'is the data file'], 2);
    expectFailure(
      await densely(['train', data, '--backend', 'js', '--save', '-']),
      ['--save - (standard output) is not supported'],
      2,
    );
    expectFailure(
      await densely(['train', data, '--backend', 'js', '--save', join(sub, 'x'), '--plot', join(sub, 'x')]),
      ['--save and --plot name the same file'],
      2,
    );
    expect(readFileSync(data).equals(before)).toBe(true);
    expect(readdirSync(sub)).toEqual(['data.csv']);
  });
});
