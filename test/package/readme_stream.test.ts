/**
 * The README's "Training from a stream" example, run as written against the BUILT
 * package (self-reference from the package root, as a user's ESM file would import it).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');

/** The first ```js block after the heading `## <title>`. */
function example(title: string): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const at = readme.indexOf(`\n## ${title}\n`);
  if (at < 0) throw new Error(`README has no section "${title}"`);
  const m = /```js\n([\s\S]*?)```/.exec(readme.slice(at));
  if (m === null) throw new Error(`README section "${title}" has no js example`);
  return m[1]!;
}

describe('README examples', () => {
  it('"Training from a stream" runs and learns', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', example('Training from a stream')], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    const xor = /^xor loss (.*)$/m.exec(out)![1]!.split(' ').map(Number);
    expect(xor).toHaveLength(5);
    expect(xor[4]!).toBeLessThan(0.3);
    const acc = [...out.matchAll(/^digits epoch (\d) ([\d.]+)$/gm)].map((m) => Number(m[2]));
    expect(acc).toHaveLength(5);
    expect(acc[4]!).toBeGreaterThan(0.9);
  });
});
