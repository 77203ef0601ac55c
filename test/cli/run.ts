/** Running the built `densely` command in a child process, and asserting its one-line failures. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';

export const ROOT = resolve(__dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'densely.cjs');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function requireBuilt(): void {
  if (!existsSync(join(ROOT, 'dist', 'cjs', 'cli', 'main.js'))) {
    throw new Error('dist/cjs/cli/main.js is missing: run "npm run build" (npm test does it first)');
  }
}

export function densely(args: string[], cwd: string = ROOT): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.DENSELY_BACKEND;
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** A failed run: exit `code`, exactly one stderr line starting "densely: " with every part, never an internal error. */
export function expectFailure(r: Run, parts: string[], code = 1): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^densely: /);
  expect(lines[0]).not.toContain('internal error');
  for (const p of parts) expect(lines[0]).toContain(p);
}

/** The iris CSV's feature columns, in order. */
export const IRIS_FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

/**
 * The `densely.cli.*` metadata `densely train` writes for an iris classifier (task,
 * target, classes, preprocessing with every feature numeric, mean 3, std 1.5).
 */
export function irisCliMetadata(): Record<string, string> {
  return {
    'densely.cli.task': 'classification',
    'densely.cli.target': 'species',
    'densely.cli.classes': JSON.stringify(['setosa', 'versicolor', 'virginica']),
    'densely.cli.preprocessing': JSON.stringify({
      features: IRIS_FEATURES.map((name) => ({ name, kind: 'numeric', mean: 3, std: 1.5 })),
      inputs: 4,
    }),
  };
}
