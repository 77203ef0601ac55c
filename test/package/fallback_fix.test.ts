// The fix the native loader's reason suggests (and so the DENSELY_FALLBACK_JS warning
// and the backend: 'native' error) is the one that works where the package is: the
// documented `npx densely build-native`, run from the user's project, for an installed
// package; the npm script in a clone (where npx would install the repository as a
// package instead). `npm run test:package` runs the suggested command as written.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixCommand, loadBinding } from '../../lib/backend/native/load';

let dir = '';
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = '';
});

/** A folder whose package.json is named densely, with no build and no prebuild in it. */
function fakePackage(at: string): string {
  fs.mkdirSync(at, { recursive: true });
  fs.writeFileSync(path.join(at, 'package.json'), JSON.stringify({ name: 'densely' }));
  return at;
}

describe('the fix named by the native fallback reason', () => {
  it('inside a project: `npx densely build-native` in that project', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'densely-fix-'));
    const project = path.join(dir, 'my app');
    const pkg = fakePackage(path.join(project, 'node_modules', 'densely'));
    expect(fixCommand(pkg)).toEqual({ command: 'npx densely build-native', cwd: project });
    const r = loadBinding({ explicit: undefined, from: path.join(pkg, 'dist', 'cjs') });
    expect(r.binding).toBeUndefined();
    expect(r.reason).toContain(`To fix: run \`npx densely build-native\` in ${project} (`);
    expect(r.reason).toContain('C++17 compiler, make and python3');
    expect(r.reason).not.toContain('npm run');
  });

  it('a nested install names the folder whose node_modules holds it', () => {
    const nested = path.join(path.sep, 'srv', 'app', 'node_modules', 'tool', 'node_modules', 'densely');
    expect(fixCommand(nested).cwd).toBe(path.join(path.sep, 'srv', 'app', 'node_modules', 'tool'));
  });

  it('in a clone: `npm run build:native` in the repository', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'densely-fix-'));
    const clone = fakePackage(path.join(dir, 'densely'));
    expect(fixCommand(clone)).toEqual({ command: 'npm run build:native', cwd: clone });
    const r = loadBinding({ explicit: undefined, from: clone });
    expect(r.reason).toContain(`To fix: run \`npm run build:native\` in ${clone} (`);
  });
});
