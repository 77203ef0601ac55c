/**
 * `csvDataset` (densely/data): the CLI's preprocessing (lib/cli/preprocess.ts) fitted over
 * every row, computed in a streaming pass, and batches that equal the CLI's encoding row
 * for row; the CLI's data errors with file, line and column.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNumericColumn } from '../../lib/cli/columns';
import { readCsv } from '../../lib/cli/csv';
import { encode, fitPreprocessing } from '../../lib/cli/preprocess';
import { csvDataset } from '../../lib/data';

const dir = mkdtempSync(join(tmpdir(), 'densely-csvds-'));
function csv(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function collect(source: () => AsyncIterable<{ x: Float32Array; y: Float32Array }>): Promise<{
  x: number[];
  y: number[];
  sizes: number[];
}> {
  const x: number[] = [];
  const y: number[] = [];
  const sizes: number[] = [];
  for await (const b of source()) {
    x.push(...b.x);
    y.push(...b.y);
    sizes.push(b.y.length);
  }
  return { x, y, sizes };
}

describe('csvDataset (densely/data)', () => {
  const lines = ['a,b,colour,label'];
  for (let i = 0; i < 37; i++)
    lines.push(`${(i * 7.3) % 11},${1e6 + i * 0.25},${['red', 'green', 'blue'][i % 3]},${['cat', 'dog'][(i * i) % 2]}`);
  const mixed = csv('mixed.csv', `\uFEFF${lines.join('\r\n')}\r\n\r\n`);

  it("the CLI's preprocessing over all rows, and batches equal to its encoding", async () => {
    const data = await csvDataset(mixed, { batchSize: 10 });
    const table = readCsv(mixed);
    const all = Int32Array.from({ length: table.rows.length }, (_, i) => i);
    const numeric = new Map([0, 1].map((c) => [c, parseNumericColumn(table, c)] as const));
    const pre = fitPreprocessing(
      table,
      [
        { index: 0, kind: 'numeric' },
        { index: 1, kind: 'numeric' },
        { index: 2, kind: 'categorical' },
      ],
      numeric,
      all,
    );
    expect(data.rows).toBe(37);
    expect(data.task).toBe('classification');
    expect(data.classes).toEqual(['cat', 'dog']);
    expect(data.loss).toBe('sparseCategoricalCrossentropy');
    expect([data.inputs, data.outputs]).toEqual([5, 2]);
    expect(data.preprocessing.inputs).toBe(pre.inputs);
    data.preprocessing.features.forEach((f, i) => {
      const g = pre.features[i]!;
      expect(f.name).toBe(g.name);
      if (f.kind === 'numeric' && g.kind === 'numeric') {
        expect(f.mean).toBe(g.mean); // Σx/n in the same order
        expect(Math.abs(f.std - g.std) / g.std).toBeLessThan(1e-9); // one-pass shifted variance
      } else {
        expect(f).toEqual(g);
      }
    });
    const got = await collect(data.batches);
    expect(got.sizes).toEqual([10, 10, 10, 7]);
    const want = encode(data.preprocessing, table, [0, 1, 2], all).x;
    expect(got.x).toEqual(Array.from(want));
    expect(got.y).toEqual(table.rows.map((r) => (r[3] === 'cat' ? 0 : 1)));
    // A second call streams the file again (a source for several epochs).
    expect((await collect(data.batches)).x).toEqual(got.x);
  });

  it('regression: the target standardised; target, drop and categorical options', async () => {
    const p = csv('reg.csv', 'id,x,k,y\n1,1,3,2.5\n2,2,4,4.5\n3,3,3,6.5\n4,5,4,10.5\n');
    const data = await csvDataset(p, { target: 'y', drop: ['id'], categorical: ['k'] });
    expect(data.task).toBe('regression');
    expect(data.loss).toBe('mse');
    expect(data.preprocessing.features.map((f) => f.name)).toEqual(['x', 'k']);
    expect(data.inputs).toBe(3);
    const mean = 6;
    const std = Math.sqrt((3.5 ** 2 + 1.5 ** 2 + 0.5 ** 2 + 4.5 ** 2) / 4);
    expect(data.targetScaling!.mean).toBe(mean);
    expect(data.targetScaling!.std).toBeCloseTo(std, 12);
    const got = await collect(data.batches);
    for (const [i, v] of got.y.entries()) expect(v).toBeCloseTo(([2.5, 4.5, 6.5, 10.5][i]! - mean) / std, 6);
  });

  it("the CLI's data errors, naming file, line and column", async () => {
    await expect(csvDataset(csv('e1.csv', 'a,b\n1,2\n3\n'))).rejects.toThrow(
      /e1\.csv line 3, column "b": row has 1 fields but the header has 2/,
    );
    await expect(csvDataset(csv('e2.csv', 'a,b\n1,0\n,1\n'))).rejects.toThrow(
      /e2\.csv line 3, column "a": empty value/,
    );
    const many = ['a,b', ...Array.from({ length: 30 }, (_, i) => `${i},${i % 2}`), 'oops,1'].join('\n');
    await expect(csvDataset(csv('e3.csv', many))).rejects.toThrow(
      /e3\.csv line 32, column "a": expected a number but found "oops"/,
    );
    await expect(csvDataset(csv('e4.csv', 'a,a\n1,2\n'))).rejects.toThrow(/column name "a" appears twice/);
    await expect(csvDataset(csv('e5.csv', 'a,b\n'))).rejects.toThrow(/has a header but no data rows/);
    await expect(csvDataset(join(dir, 'missing.csv'))).rejects.toThrow(/cannot read .*missing\.csv: no such file/);
    await expect(csvDataset(mixed, { target: 'nope' })).rejects.toThrow(/has no column "nope"/);
    await expect(csvDataset(mixed, { batchSize: 0 })).rejects.toThrow(/Expected .* for batchSize but received 0/);
  });
});
