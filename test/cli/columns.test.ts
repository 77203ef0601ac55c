import { describe, expect, it } from 'vitest';
import {
  classKey,
  classNames,
  inferKind,
  inferTask,
  MAX_INTEGER_CLASSES,
  numberLike,
  parseNumericColumn,
} from '../../lib/cli/columns';
import { parseCsv } from '../../lib/cli/csv';

const table = (text: string) => parseCsv(text, 'f.csv');

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a throw');
}

describe('numberLike', () => {
  it('accepts plain decimal literals only', () => {
    for (const s of ['0', '-1', '+2.5', '.5', '5.', '1e-3', '2E+4']) expect(numberLike(s)).toBe(Number(s));
    for (const s of ['', 'abc', '0x10', '1,5', '1 2', '--1', 'e5']) expect(numberLike(s)).toBeUndefined();
  });

  it('treats NaN and infinities as number-like but not finite', () => {
    expect(numberLike('NaN')).toBeNaN();
    expect(numberLike('-inf')).toBe(-Infinity);
    expect(numberLike('Infinity')).toBe(Infinity);
    expect(numberLike('1e999')).toBe(Infinity);
  });
});

describe('inferKind and parseNumericColumn', () => {
  it('infers numeric and categorical columns', () => {
    const t = table('n,c\n1,a\n2.5,b\n-3,a\n');
    expect(inferKind(t, 0)).toBe('numeric');
    expect(inferKind(t, 1)).toBe('categorical');
    expect(Array.from(parseNumericColumn(t, 0))).toEqual([1, 2.5, -3]);
  });

  it('reports a non-numeric value in a mostly numeric column with its line and column', () => {
    const rows = Array.from({ length: 12 }, (_, i) => (i === 7 ? 'oops' : String(i)));
    const t = table(`x,y\n${rows.map((v) => `${v},a`).join('\n')}\n`);
    expect(inferKind(t, 0)).toBe('numeric');
    expect(failure(() => parseNumericColumn(t, 0))).toBe(
      'f.csv line 9, column "x": expected a number but found "oops"',
    );
  });

  it('reports NaN and infinities with their line and column', () => {
    const t = table('x\n1\n2\nNaN\n');
    expect(failure(() => parseNumericColumn(t, 0))).toBe('f.csv line 4, column "x": "NaN" is not a finite number');
    const u = table('x\n1\n-Inf\n');
    expect(failure(() => parseNumericColumn(u, 0))).toBe('f.csv line 3, column "x": "-Inf" is not a finite number');
  });

  it('reports empty cells (parseCsv rejects them first; a table built otherwise is checked here too)', () => {
    const t = {
      file: 'f.csv',
      header: ['x', 'y'],
      rows: [
        ['1', '2'],
        ['', '3'],
      ],
      lines: [2, 3],
    };
    expect(failure(() => inferKind(t, 0))).toBe(
      'f.csv line 3, column "x": empty value (missing values are not supported)',
    );
    expect(failure(() => table('x,y\n1,2\n,3\n'))).toBe(
      'f.csv line 3, column "x": empty value (missing values are not supported)',
    );
  });
});

describe('inferTask', () => {
  it('classifies categorical and few-valued integer targets, regresses otherwise', () => {
    expect(inferTask('categorical', null)).toBe('classification');
    expect(inferTask('numeric', Float64Array.from([0, 1, 2, 1, 0]))).toBe('classification');
    expect(inferTask('numeric', Float64Array.from([0, 1.5, 2]))).toBe('regression');
    const many = Float64Array.from({ length: MAX_INTEGER_CLASSES + 1 }, (_, i) => i);
    expect(inferTask('numeric', many)).toBe('regression');
    expect(inferTask('numeric', many.subarray(0, MAX_INTEGER_CLASSES))).toBe('classification');
  });
});

describe('classNames', () => {
  it('sorts numeric names by value and merges equal numbers', () => {
    expect(classNames(['10', '2', '1', '2.0', '10'])).toEqual(['1', '2', '10']);
    expect(classKey('2.0', true)).toBe(classKey('2', true));
  });

  it('sorts other names by code unit', () => {
    expect(classNames(['b', 'a', 'B', 'a'])).toEqual(['B', 'a', 'b']);
  });
});
