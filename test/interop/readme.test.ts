/**
 * The JavaScript examples of README.md's "Models in and out" run as written, each in a
 * child process in a fresh folder: `require('densely')` is the build under test (dist/),
 * other packages resolve from the repository, top-level await is wrapped in an async
 * function, and console.log output must show equal numbers where the example says so.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKEND } from '../support/backend';

const ROOT = resolve(__dirname, '../..');
const requireFromRoot = createRequire(join(ROOT, 'package.json'));
const dir = mkdtempSync(join(tmpdir(), 'densely-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The ```js blocks of the README's section `title`. */
function examples(title: string): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`## ${title}\n`);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end);
  return [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

function runnable(code: string): string {
  const body = code.replace(/require\('([^']+)'\)/g, (_m, name: string) => {
    if (name.startsWith('node:')) return `require('${name}')`;
    const path = name === 'densely' ? join(ROOT, 'dist', 'cjs', 'index.js') : requireFromRoot.resolve(name);
    return `require(${JSON.stringify(path)})`;
  });
  return `(async () => {\n${body}\n})().catch((e) => { console.error(e); process.exit(1); });\n`;
}

const blocks = examples('Models in and out');

describe(`README "Models in and out" (${BACKEND} backend)`, () => {
  it('has the ONNX, PyTorch and tfjs examples', () => {
    expect(blocks).toHaveLength(3);
    expect(blocks[0]).toContain('toOnnx()');
    expect(blocks[1]).toContain("layout: 'torch'");
    expect(blocks[2]).toContain('Network.fromTfjs');
  });

  it.each(blocks.map((b, i) => [i, b]))('example %i runs and prints matching outputs', (i, block) => {
    const cwd = mkdtempSync(join(dir, `ex${i}-`));
    const file = join(cwd, 'example.cjs');
    writeFileSync(file, runnable(block as string));
    const r = spawnSync(process.execPath, [file], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, DENSELY_BACKEND: BACKEND },
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    // The last console.log prints the other runtime's outputs and densely's, side by side.
    const numbers = [...r.stdout.matchAll(/-?\d+\.\d+(?:e-?\d+)?/g)].map((m) => Number(m[0]));
    expect(numbers.length).toBeGreaterThanOrEqual(6);
    const half = numbers.length / 2;
    for (let k = 0; k < half; k++) expect(Math.abs(numbers[k]! - numbers[k + half]!)).toBeLessThanOrEqual(1e-5);
  });
});
