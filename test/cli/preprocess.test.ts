import { describe, expect, it } from 'vitest';
import { parseNumericColumn } from '../../lib/cli/columns';
import { parseCsv } from '../../lib/cli/csv';
import { checkPreprocessing, encode, fitPreprocessing, mapColumns } from '../../lib/cli/preprocess';

const text = 'size,color,y\n1,red,a\n3,blue,b\n5,red,a\n100,green,b\n';

function fitted() {
  const t = parseCsv(text, 'train.csv');
  const numeric = new Map([[0, parseNumericColumn(t, 0)]]);
  const pre = fitPreprocessing(
    t,
    [
      { index: 0, kind: 'numeric' },
      { index: 1, kind: 'categorical' },
    ],
    numeric,
    Int32Array.from([0, 1, 2]),
  );
  return { t, pre };
}

describe('fitPreprocessing', () => {
  it('uses the training rows only for statistics and categories', () => {
    const { pre } = fitted();
    const f0 = pre.features[0]!;
    const f1 = pre.features[1]!;
    expect(f0.kind === 'numeric' && f0.mean).toBe(3);
    expect(f0.kind === 'numeric' && f0.std).toBeCloseTo(Math.sqrt(8 / 3), 12);
    expect(f1.kind === 'categorical' && f1.categories).toEqual(['blue', 'red']);
    expect(pre.inputs).toBe(3);
  });

  it('gives a constant column std 1', () => {
    const t = parseCsv('x,y\n2,a\n2,b\n', 'f.csv');
    const pre = fitPreprocessing(
      t,
      [{ index: 0, kind: 'numeric' }],
      new Map([[0, parseNumericColumn(t, 0)]]),
      Int32Array.from([0, 1]),
    );
    expect(pre.features[0]).toEqual({ name: 'x', kind: 'numeric', mean: 2, std: 1 });
  });

  it('refuses statistics beyond float32 (what it stores, a model file may hold)', () => {
    const t = parseCsv('x,y\n1e300,a\n3e300,b\n', 'f.csv');
    expect(() =>
      fitPreprocessing(
        t,
        [{ index: 0, kind: 'numeric' }],
        new Map([[0, parseNumericColumn(t, 0)]]),
        Int32Array.from([0, 1]),
      ),
    ).toThrow(
      'f.csv column "x": values beyond float32\'s range (±3.4e38; mean 2e+300, std Infinity) cannot be standardised',
    );
  });
});

describe('encode', () => {
  it('standardises numbers, one-hot encodes categories and zeroes unseen ones', () => {
    const { t, pre } = fitted();
    const { x, unseen } = encode(pre, t, [0, 1], Int32Array.from([0, 3]));
    const std = Math.sqrt(8 / 3);
    expect(Array.from(x)).toEqual(Array.from(Float32Array.from([(1 - 3) / std, 0, 1, (100 - 3) / std, 0, 0])));
    expect([...unseen]).toEqual([['color', 1]]);
  });

  it('maps columns by name in any order and names a missing one', () => {
    const { pre } = fitted();
    const other = parseCsv('color,extra,size\nblue,9,3\n', 'new.csv');
    const cols = mapColumns(pre, other);
    expect(cols).toEqual([2, 0]);
    expect(Array.from(encode(pre, other, cols, [0]).x)).toEqual([0, 1, 0]);
    const missing = parseCsv('color,extra\nblue,9\n', 'new.csv');
    expect(() => mapColumns(pre, missing)).toThrow('new.csv is missing column "size", which the model needs as input');
  });

  it('reports a bad number at predict time with its line and column', () => {
    const { pre } = fitted();
    const other = parseCsv('size,color\n1,red\nbig,blue\n', 'new.csv');
    expect(() => encode(pre, other, mapColumns(pre, other), [0, 1])).toThrow(
      'new.csv line 3, column "size": expected a number but found "big"',
    );
  });
});

describe('checkPreprocessing', () => {
  it('accepts what fitPreprocessing produces after a JSON round trip', () => {
    const { pre } = fitted();
    expect(checkPreprocessing(JSON.parse(JSON.stringify(pre)))).toEqual(pre);
  });

  it('rejects malformed metadata', () => {
    expect(() => checkPreprocessing(null)).toThrow('the entry should be an object, not null');
    expect(() =>
      checkPreprocessing({ features: [{ name: 'x', kind: 'numeric', mean: 0, std: 0 }], inputs: 1 }),
    ).toThrow('features[0] ("x").std should be a number in [1e-12, 3.4e38], not 0');
    expect(() =>
      checkPreprocessing({ features: [{ name: 'x', kind: 'numeric', mean: 1e308, std: 1 }], inputs: 1 }),
    ).toThrow('features[0] ("x").mean should be a finite float32 number (|mean| ≤ 3.4e38), not 1e+308');
    expect(() =>
      checkPreprocessing({ features: [{ name: 'x', kind: 'numeric', mean: 0, std: 1 }], inputs: 2 }),
    ).toThrow("inputs should be 1 (the features' width), not 2");
    expect(() => checkPreprocessing({ features: [{ name: 'x', kind: 'other' }], inputs: 1 })).toThrow(
      'features[0] ("x").kind should be "numeric" or "categorical", not "other"',
    );
  });
});
