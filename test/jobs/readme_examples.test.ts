/**
 * The README's "Resuming a run" and "Callbacks and schedules" examples, run as written
 * (each ```js block of those sections, as an ES module importing the built package
 * dist/esm in place of 'densely'), in a temporary directory, on this project's backend.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKEND } from '../support/backend';

const ROOT = resolve(__dirname, '../..');
const ENTRY = pathToFileURL(join(ROOT, 'dist/esm/index.mjs')).href;
const dir = mkdtempSync(join(tmpdir(), 'densely-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The ```js blocks of README section `title` (from its `## ` heading to the next one). */
function examples(title: string): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README has no section "${title}"`);
  const end = readme.indexOf('\n## ', start + 4);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

function run(code: string, name: string): string {
  if (!existsSync(join(ROOT, 'dist/esm/index.mjs')))
    throw new Error('dist/esm/index.mjs is missing: run "npm run build:ts" (npm test does it first)');
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, code.replace(/from 'densely'/g, `from '${ENTRY}'`));
  return execFileSync(process.execPath, [file], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, DENSELY_BACKEND: BACKEND },
  });
}

describe(`README examples (${BACKEND})`, () => {
  it('Resuming a run', () => {
    const [code] = examples('Resuming a run');
    const out = run(code!, 'resume');
    expect(out.trim()).toBe('[ 3, 4 ]');
    for (const f of ['run-0.safetensors', 'run-1.safetensors', 'run-2.safetensors', 'model.safetensors'])
      expect(existsSync(join(dir, f)), f).toBe(true);
    const serving = readFileSync(join(dir, 'model.safetensors'));
    expect(serving.toString('latin1')).not.toContain('densely.training');
  });

  it('Callbacks and schedules', () => {
    const [code] = examples('Callbacks and schedules');
    const lines = run(code!, 'callbacks').trim().split('\n');
    expect(lines[0]).toMatch(/^0 \d+\.\d{4} \d\.\d\de-\d+$/);
    expect(lines.at(-2)).toMatch(/^trained \d+ epochs, last rate \d\.\d\de[-+]\d+$/);
    const rates = lines.at(-1)!.split(' ').map(Number);
    expect(rates).toHaveLength(12);
    expect(rates[0]).toBe(0.5);
    for (let i = 1; i < rates.length; i++) expect(rates[i]).toBeLessThanOrEqual(rates[i - 1]!);
    // The plateau callback halved the rate at least once.
    expect(rates.at(-1)).toBeLessThan(0.5);
  });
});
