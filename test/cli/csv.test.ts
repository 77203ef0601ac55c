import { describe, expect, it } from 'vitest';
import { csvLine, parseCsv } from '../../lib/cli/csv';
import { CliError } from '../../lib/cli/errors';

function failure(text: string): string {
  try {
    parseCsv(text, 'f.csv');
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    return (err as Error).message;
  }
  throw new Error('expected parseCsv to throw');
}

describe('parseCsv', () => {
  it('reads header, rows and the line of each row, skipping blank lines', () => {
    const t = parseCsv('\ufeffa,b\r\n1,2\r\n\r\n3 , x\r\n', 'f.csv');
    expect(t.header).toEqual(['a', 'b']);
    expect(t.rows).toEqual([
      ['1', '2'],
      ['3', 'x'],
    ]);
    expect(t.lines).toEqual([2, 4]);
  });

  it('keeps quoted commas and reports the start line of a multi-line field', () => {
    const t = parseCsv('a,b\n"x, y","line1\nline2"\n5,6\n', 'f.csv');
    expect(t.rows[0]).toEqual(['x, y', 'line1\nline2']);
    expect(t.lines).toEqual([2, 4]);
  });

  it('rejects an empty file and a header without rows', () => {
    expect(failure('')).toBe('f.csv is empty (expected a header row and data rows)');
    expect(failure('\n\n')).toMatch(/f\.csv is empty/);
    expect(failure('a,b\n')).toBe('f.csv has a header but no data rows');
  });

  it('names the line and the first missing column of a short row', () => {
    expect(failure('a,b,c\n1,2,3\n4,5\n')).toBe('f.csv line 3, column "c": row has 2 fields but the header has 3');
  });

  it('names the line and the extra field of a long row', () => {
    expect(failure('a,b\n1,2\n\n3,4,5\n')).toBe(
      'f.csv line 4: row has 3 fields but the header has 2 (extra field "5")',
    );
  });

  it('one rule for rows: blank lines (empty or whitespace) are skipped, any row with a missing cell is rejected with its line', () => {
    const t = parseCsv('a,b,c\n1,2,3\n   \n\t\n4,5,6\n', 'f.csv');
    expect(t.rows).toEqual([
      ['1', '2', '3'],
      ['4', '5', '6'],
    ]);
    expect(t.lines).toEqual([2, 5]);
    // A row of only commas has three empty cells: a row with missing cells, not a blank line.
    expect(failure('a,b,c\n1,2,3\n,,\n4,5,6\n')).toBe(
      'f.csv line 3, column "a": empty value (missing values are not supported)',
    );
    expect(failure('a,b,c\n1,2,3\n4,,6\n')).toBe(
      'f.csv line 3, column "b": empty value (missing values are not supported)',
    );
    expect(failure('a,b,c\n1,2,3\n4, ,\n')).toBe(
      'f.csv line 3, column "b": empty value (missing values are not supported)',
    );
    // In a one-column file an empty cell is a blank line.
    expect(parseCsv('a\n1\n\n2\n', 'f.csv').rows).toEqual([['1'], ['2']]);
  });

  it('rejects duplicate and empty column names', () => {
    expect(failure('a,b,a\n1,2,3\n')).toBe('f.csv line 1: column name "a" appears twice (columns 1 and 3)');
    expect(failure('a,,c\n1,2,3\n')).toBe('f.csv line 1: column 2 of the header has no name');
  });

  it('reports malformed quoting with its line', () => {
    expect(failure('a,b\n1,2\n"3,4\n5,6\n')).toMatch(/^f\.csv line \d+: malformed CSV: /);
  });

  it('rejects binary data', () => {
    expect(failure('a,b\n1,\u0000\n')).toMatch(/not a text CSV file/);
  });
});

describe('csvLine', () => {
  it('quotes only fields that need it', () => {
    expect(csvLine(['a', 'b,c', 'say "hi"', ' x', ''])).toBe('a,"b,c","say ""hi"""," x",');
  });

  it('round-trips through parseCsv', () => {
    const values = ['plain', 'with, comma', 'with "quote"', 'multi\nline'];
    const t = parseCsv(`${csvLine(['h1', 'h2', 'h3', 'h4'])}\n${csvLine(values)}\n`, 'f.csv');
    expect(t.rows[0]).toEqual(values);
  });
});
