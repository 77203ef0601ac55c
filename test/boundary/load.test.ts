/**
 * lib/backend/native/load.ts: finds the package root from any folder inside it, loads
 * the addon from DENSELY_NATIVE_PATH or node-gyp-build, and when nothing loads it
 * returns (never throws) a reason that lists every attempt with its error and a fix.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPackageRoot, loadBinding } from '../../lib/backend/native/load';
import { nativeAddonPath } from './helpers';

const repoRoot = path.resolve(__dirname, '../..');

describe('native addon loading', () => {
  it('finds the package root by its package.json name', () => {
    expect(findPackageRoot(path.join(repoRoot, 'lib/backend/native'))).toBe(repoRoot);
    expect(findPackageRoot(repoRoot)).toBe(repoRoot);
    expect(findPackageRoot(os.tmpdir())).toBeUndefined();
  });

  it('loads from an explicit path, as a file or a build folder', () => {
    const file = nativeAddonPath();
    const direct = loadBinding({ explicit: file, from: os.tmpdir() });
    expect(direct.reason).toBeUndefined();
    expect(direct.path).toBe(file);
    expect(typeof direct.binding!.isa()).toBe('string');
  });

  it('explains every failed attempt and the fix, without throwing', () => {
    const missing = path.join(os.tmpdir(), 'densely-no-such-dir', 'densely.node');
    const outside = loadBinding({ explicit: missing, from: os.tmpdir() });
    expect(outside.binding).toBeUndefined();
    expect(outside.reason).toContain(`DENSELY_NATIVE_PATH=${missing}`);
    expect(outside.reason).toContain('no package.json named "densely"');
    expect(outside.reason).toMatch(/DENSELY_NATIVE_PATH to a built densely\.node/);

    const fake = fs.mkdtempSync(path.join(os.tmpdir(), 'densely-load-'));
    fs.writeFileSync(path.join(fake, 'package.json'), JSON.stringify({ name: 'densely' }));
    fs.writeFileSync(path.join(fake, 'not-an-addon.node'), 'garbage');
    try {
      const r = loadBinding({ explicit: path.join(fake, 'not-an-addon.node'), from: fake });
      expect(r.binding).toBeUndefined();
      expect(r.reason).toContain('(1) DENSELY_NATIVE_PATH=');
      expect(r.reason).toContain(`(2) node-gyp-build(${fake})`);
      expect(r.reason).toContain('npm run build:native');
    } finally {
      fs.rmSync(fake, { recursive: true, force: true });
    }
  });
});
