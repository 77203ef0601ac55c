/**
 * Model files are untrusted input (SECURITY.md): seeded mutations of valid saved files —
 * byte flips, truncations, extensions, header lengths, and changes inside the header JSON
 * to tensors' dtypes, shapes, offsets and names, to the metadata's format, version, seed
 * and user entries, and to every field of the architecture, with huge and wrongly typed
 * numbers, long names and oversized declarations — loaded on both backends, plus
 * mutated `toJSON()` objects fed to `Network.fromJSON`.
 *
 * The work runs in child processes (model_file_fuzz_child.cjs, on the built package),
 * two at a time, each under a watchdog and a small V8 heap: a crash, a hang or an
 * out-of-memory ends a child, which fails the test with its seed and range. The child's
 * oracle: every outcome is a network that predicts and saves again, or an Error with
 * code DENSELY_INVALID_MODEL and a message under 300 characters of the one form; never
 * DENSELY_INTERNAL or an uncoded error; no load over 1 s; both backends alike.
 *
 * Reproduce a failure (its message names the seed and range) with
 *   node test/boundary/model_file_fuzz_child.cjs <seed> <start> <count> js,native
 * Change the seed with DENSELY_FUZZ_SEED (default: a new one per run, printed on failure).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rssBoundMB } from '../support/sanitizers';

const ROOT = resolve(__dirname, '..', '..');
const CHILD = join(__dirname, 'model_file_fuzz_child.cjs');
const SEED = Number(process.env.DENSELY_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** Mutations per run: every tenth is a toJSON() object, so 10,800 are files. */
const TOTAL = 12_000;
const CHILDREN = 6;
const PARALLEL = 2;
/** The watchdog: a child that has not finished its 2,000 mutations by then has hung (they take ~3 s). */
const WATCHDOG_MS = 60_000;
/** Peak resident memory of a child: Node and the addon take ~50 MB, a load of these small files almost nothing. */
const MAX_RSS_MB = rssBoundMB(256);

interface Summary {
  files: number;
  json: number;
  accepted: number;
  rejected: number;
  slowestMs: number;
  maxRssMB: number;
  failures: Array<{ index: number; kind: string; backend: string; problem: string }>;
}

function runChild(
  start: number,
  count: number,
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((done) => {
    const t0 = Date.now();
    const child = spawn(
      process.execPath,
      ['--max-old-space-size=128', CHILD, String(SEED), String(start), String(count), 'js,native'],
      {
        cwd: ROOT,
        timeout: WATCHDOG_MS,
        killSignal: 'SIGKILL',
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr, ms: Date.now() - t0 }));
  });
}

describe('model-file fuzz (js and native, child processes)', () => {
  it(`${TOTAL} mutated files and toJSON objects: a valid network or DENSELY_INVALID_MODEL, fast, bounded, alike on both backends (seed ${SEED})`, async () => {
    if (!existsSync(join(ROOT, 'dist', 'cjs', 'index.js')))
      throw new Error('dist/cjs/index.js is missing: run "npm run build:ts" (npm test does it first)');
    const per = TOTAL / CHILDREN;
    const ranges = Array.from({ length: CHILDREN }, (_, c) => c * per);
    const results: Array<{ start: number; summary: Summary }> = [];
    const problems: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ranges.length) {
        const start = ranges[next++]!;
        const where = `seed ${SEED}, mutations ${start}…${start + per - 1} (node test/boundary/model_file_fuzz_child.cjs ${SEED} ${start} ${per} js,native)`;
        const r = await runChild(start, per);
        if (r.code !== 0) {
          problems.push(
            `child exited with ${r.code ?? r.signal} after ${r.ms} ms${r.ms >= WATCHDOG_MS ? ' (watchdog: a hang)' : ''}, ${where}: ${r.stderr.slice(-1500)}`,
          );
          continue;
        }
        const summary = JSON.parse(r.stdout) as Summary;
        results.push({ start, summary });
        for (const f of summary.failures)
          problems.push(`mutation ${f.index} (${f.kind}, ${f.backend}): ${f.problem} — ${where}`);
        if (summary.maxRssMB > MAX_RSS_MB)
          problems.push(`peak RSS ${summary.maxRssMB} MB > ${MAX_RSS_MB} MB, ${where}`);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    expect(problems, problems.slice(0, 10).join('\n')).toEqual([]);
    const files = results.reduce((n, r) => n + r.summary.files, 0);
    const json = results.reduce((n, r) => n + r.summary.json, 0);
    const accepted = results.reduce((n, r) => n + r.summary.accepted, 0);
    expect(files).toBeGreaterThanOrEqual(10_000);
    expect(json).toBeGreaterThanOrEqual(1_000);
    // Some mutations leave a valid file (a flipped weight bit, a changed activation): the
    // accepting side of the oracle is exercised too.
    expect(accepted).toBeGreaterThan(50);
  }, 180_000);
});
