import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../lib/index';

// These run the BUILT package (npm test builds first) through Node's own resolution of
// the exports map, by self-reference from the package root: what users get.
const root = join(__dirname, '..', '..');
const run = (args: string[]): string =>
  execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: { ...process.env, DENSELY_BACKEND: 'js' } });

describe('package entry points', () => {
  it('VERSION matches package.json', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });

  it('require("densely") and require("densely/kernels") expose the API', () => {
    const out = run([
      '-e',
      `const d = require('densely'); const k = require('densely/kernels');
       const names = ['Network','Dense','Dropout','SGD','Adam','AdamW','RMSProp','backendInfo','setThreads','sgemm'];
       for (const n of names) if (typeof d[n] !== 'function') throw new Error('missing ' + n);
       if (typeof k.sgemm !== 'function') throw new Error('kernels.sgemm missing');
       const c = new Float32Array(1); k.sgemm(false, false, 1, 1, 1, 1, new Float32Array([2]), 1, new Float32Array([3]), 1, 0, c, 1);
       console.log(c[0]);`,
    ]);
    expect(out.trim()).toBe('6');
  });

  it('import from "densely" (ESM) gives the same classes as require (one module instance)', () => {
    const out = run([
      '--input-type=module',
      '-e',
      `import { Network, Dense } from 'densely'; import { sgemm } from 'densely/kernels';
       import { createRequire } from 'node:module'; const require = createRequire(process.cwd() + '/x.js');
       const cjs = require('densely');
       const net = new Network({ inputs: 2, layers: [new Dense(1)], seed: 1, backend: 'js' });
       console.log(Network === cjs.Network, typeof sgemm, net.predict(new Float32Array([1, 2])).length);`,
    ]);
    expect(out.trim()).toBe('true function 1');
  });
});
