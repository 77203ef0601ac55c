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

  it('densely/data (require and import) streams a CSV into batches that fitDataset trains on', () => {
    const script = (load: string): string =>
      `${load}
       const data = await csvDataset(process.cwd() + '/data/digits.csv', { batchSize: 500 });
       const net = new Network({ inputs: data.inputs, layers: [new Dense(data.outputs, { activation: 'softmax' })], seed: 1, backend: 'js' });
       net.compile({ loss: data.loss, optimizer: 'adam' });
       const sizes = [];
       const h = await net.fitDataset(data.batches, { onBatchEnd: (b, l) => sizes.push(l.size) });
       console.log(data.inputs, data.outputs, data.task, sizes.join(','), h.loss.length);`;
    const expected = '64 10 classification 500,500,500,297 1';
    const esm = run([
      '--input-type=module',
      '-e',
      script(`import { csvDataset } from 'densely/data'; import { Network, Dense } from 'densely';`),
    ]);
    expect(esm.trim()).toBe(expected);
    const cjs = run([
      '-e',
      `(async () => { ${script(`const { csvDataset } = require('densely/data'); const { Network, Dense } = require('densely');`)} })().catch((e) => { console.error(e); process.exit(1); });`,
    ]);
    expect(cjs.trim()).toBe(expected);
  });
});
