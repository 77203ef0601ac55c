/**
 * fitDataset's bounded memory (issue 12, API.md "Training jobs"): a 2 GB stream — 640,000
 * rows × 784 float32 features, generated batch by batch and never materialised — trains
 * in a child process whose peak RSS stays under 600 MB (measured ~150 MB on the 2-core
 * dev host, ~5 s). The child is bench/tools/fit-dataset.cjs, the tool that prints the
 * bench row (fit vs fitDataset, samples/s and RSS), so the test and the bench measure the
 * same run. Peak RSS is the child's own `process.resourceUsage().maxRSS`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const TOOL = join(ROOT, 'bench', 'tools', 'fit-dataset.cjs');
const ROWS = 640_000;
const FEATURES = 784;

describe('fitDataset memory (native)', () => {
  it('a 2 GB generated stream trains in < 600 MB RSS', async () => {
    if (!existsSync(join(ROOT, 'dist', 'cjs', 'index.js')))
      throw new Error('dist/cjs/index.js is missing: run "npm run build:ts" (npm test does it first)');
    expect(ROWS * FEATURES * 4).toBeGreaterThan(2e9);
    const args = [TOOL, '--mode', 'stream', '--backend', 'native', '--rows', String(ROWS)];
    args.push('--features', String(FEATURES), '--batch', '256', '--hidden', '16');
    const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: ROOT, timeout: 300_000 });
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as {
      backend: string;
      rows: number;
      peakRssMB: number;
      loss: number;
    };
    expect(r.backend).toBe('native');
    expect(r.rows).toBe(ROWS);
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.peakRssMB).toBeLessThan(600);
  }, 300_000);
});
