// scripts/lifecycle-scripts.cjs: prepack renames the install lifecycle scripts away so
// the published package.json runs (and warns about) nothing; postpack/postpublish
// rename them back, byte for byte. The real pack is checked by `npm run test:package`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const cli = join(root, 'scripts', 'lifecycle-scripts.cjs');
const { LIFECYCLE, transform, enabledLifecycle } = require(cli) as {
  LIFECYCLE: string[];
  transform(text: string, mode: 'disable' | 'enable'): string;
  enabledLifecycle(text: string): string[];
};

const sample = `${JSON.stringify(
  {
    name: 'x',
    scripts: { prepare: 'npm run build', build: 'tsc', postinstall: 'node a.js', prepack: 'p', test: 'vitest' },
    gypfile: false,
  },
  null,
  2,
)}\n`;

let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = '';
});

function run(args: string[], env: Record<string, string> = {}) {
  const clean: Record<string, string | undefined> = { ...process.env };
  for (const k of Object.keys(clean)) if (k.startsWith('npm_')) delete clean[k];
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...clean, ...env } });
}

describe('scripts/lifecycle-scripts.cjs', () => {
  it('covers every script npm runs or warns about on install', () => {
    for (const s of ['preinstall', 'install', 'postinstall', 'prepare']) expect(LIFECYCLE).toContain(s);
  });

  it('disables in place, keeping order and formatting, and enables back byte for byte', () => {
    const off = transform(sample, 'disable');
    expect(enabledLifecycle(off)).toEqual([]);
    expect(Object.keys(JSON.parse(off).scripts)).toEqual(['_prepare', 'build', '_postinstall', 'prepack', 'test']);
    expect(transform(off, 'disable')).toBe(off);
    expect(transform(off, 'enable')).toBe(sample);
    expect(transform(sample, 'enable')).toBe(sample);
  });

  it("the repository's package.json keeps prepare and round-trips", () => {
    const text = readFileSync(join(root, 'package.json'), 'utf8');
    expect(enabledLifecycle(text)).toEqual(['prepare']);
    expect(transform(transform(text, 'disable'), 'enable')).toBe(text);
  });

  it('during npm publish, postpack leaves them disabled for the registry copy and postpublish restores them', () => {
    dir = mkdtempSync(join(tmpdir(), 'densely-lifecycle-'));
    const file = join(dir, 'package.json');
    writeFileSync(file, sample);
    expect(run(['--disable', '--file', file], { npm_command: 'publish', npm_lifecycle_event: 'prepack' }).status).toBe(
      0,
    );
    expect(run(['--check', file]).status).toBe(0);
    expect(run(['--enable', '--file', file], { npm_command: 'publish', npm_lifecycle_event: 'postpack' }).status).toBe(
      0,
    );
    expect(enabledLifecycle(readFileSync(file, 'utf8'))).toEqual([]);
    expect(
      run(['--enable', '--file', file], { npm_command: 'publish', npm_lifecycle_event: 'postpublish' }).status,
    ).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(sample);
    const check = run(['--check', file]);
    expect(check.status).toBe(1);
    expect(check.stderr).toContain('postinstall, prepare');
  });

  it('refuses a manifest that has both a script and its disabled twin', () => {
    dir = mkdtempSync(join(tmpdir(), 'densely-lifecycle-'));
    const file = join(dir, 'package.json');
    writeFileSync(file, JSON.stringify({ scripts: { prepare: 'a', _prepare: 'b' } }));
    const r = run(['--disable', '--file', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('both "prepare" and "_prepare"');
  });
});
