// `npm run build:native` must never fail an install: when the compiler fails it prints
// one warning and exits 0 (the facade then uses the js backend); DENSELY_BUILD_STRICT=1
// turns the failure into a non-zero exit.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
// node-gyp configure + a failing compile: seconds, more on a loaded machine.
const BUILD_TIMEOUT_MS = 180_000;
let dir = '';

// A copy of what the build reads, so a failed build cannot touch the real build/.
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'densely-build-'));
  for (const p of ['binding.gyp', 'native', 'scripts/build-native.cjs', 'scripts/lib']) {
    cpSync(join(root, p), join(dir, p), { recursive: true });
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
}, BUILD_TIMEOUT_MS);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function runBuild(extraEnv: Record<string, string>) {
  const prefix = dirname(dirname(process.execPath));
  const env: Record<string, string | undefined> = { ...process.env, CC: '/bin/false', CXX: '/bin/false', ...extraEnv };
  // Local headers when this node has them, so the test never waits on a download.
  if (!env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) {
    env.npm_config_nodedir = prefix;
  }
  return spawnSync(process.execPath, [join(dir, 'scripts', 'build-native.cjs')], {
    cwd: dir,
    env,
    encoding: 'utf8',
  });
}

describe('scripts/build-native.cjs', () => {
  it('exits 0 with one warning when the compiler fails', () => {
    const r = runBuild({});
    expect(r.status).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('densely: WARNING'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('pure-JS backend');
    expect(existsSync(join(dir, 'build', 'Release', 'densely.node'))).toBe(false);
  }, BUILD_TIMEOUT_MS);

  it('exits non-zero under DENSELY_BUILD_STRICT=1', () => {
    const r = runBuild({ DENSELY_BUILD_STRICT: '1' });
    expect(r.status).not.toBe(0);
  }, BUILD_TIMEOUT_MS);
});
