/**
 * Reading CSV files with a header row into a table of strings, and writing CSV.
 *
 * Parsing is csv-parse's (RFC 4180 quoting, BOM, CRLF); this module adds the checks
 * the command needs, each reported as one line naming the file, line and column:
 * empty file, header without data, empty or duplicate column names, rows with a
 * different number of fields than the header. Fields are trimmed.
 *
 * One rule for rows: a blank line (empty or only whitespace) is skipped; every other line
 * is a row, and a row with a missing cell — fewer fields than the header, or an empty
 * field, as in a line of only commas — is rejected with its line and column (missing
 * values are not supported). In a one-column file an empty cell and a blank line are the
 * same thing: skipped. Line numbers are 1-based physical lines of the file (the header is
 * line 1 unless blank lines precede it).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { at, CliError, messageOf, quote } from './errors';

export interface CsvTable {
  /** The name used in messages (the path as the user gave it). */
  file: string;
  header: string[];
  /** Data rows, each with exactly `header.length` fields. */
  rows: string[][];
  /** `lines[r]` is the file line on which data row `r` starts. */
  lines: number[];
}

interface Parsed {
  record: string[];
  info: { lines: number };
}

/** Reads and checks a CSV file. @throws CliError when it cannot be read or is malformed. */
export function readCsv(path: string, file: string = path): CsvTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${describeFsError(err)}`);
  }
  return parseCsv(text, file);
}

/** Parses CSV text (see module comment). @throws CliError naming `file`, the line and column. */
export function parseCsv(text: string, file: string): CsvTable {
  if (text.includes('\u0000')) throw new CliError(`${file} is not a text CSV file (it contains NUL bytes)`);
  let records: Parsed[];
  try {
    records = parse(text, {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    }) as unknown as Parsed[];
    // Lines of only whitespace arrive as one empty field (after trim): blank, skipped.
    records = records.filter((rec) => !(rec.record.length === 1 && rec.record[0] === ''));
  } catch (err) {
    const line = (err as { lines?: number }).lines;
    const text = err instanceof Error ? err.message : String(err);
    const reason = text
      .replace(/\r/g, '\\r')
      .replace(/\n/g, '\\n')
      .replace(/^[A-Za-z ]+: /, '');
    throw new CliError(`${line ? at(file, line) : file}: malformed CSV: ${reason}`);
  }
  if (records.length === 0) throw new CliError(`${file} is empty (expected a header row and data rows)`);
  const first = records[0]!;
  const header = first.record;
  const headerLine = startLine(first);
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    if (name === '') throw new CliError(`${at(file, headerLine)}: column ${i + 1} of the header has no name`);
    const prev = seen.get(name);
    if (prev !== undefined) {
      throw new CliError(
        `${at(file, headerLine)}: column name ${quote(name)} appears twice (columns ${prev + 1} and ${i + 1})`,
      );
    }
    seen.set(name, i);
  });
  if (records.length === 1) throw new CliError(`${file} has a header but no data rows`);
  const rows: string[][] = [];
  const lines: number[] = [];
  for (let r = 1; r < records.length; r++) {
    const rec = records[r]!;
    const line = startLine(rec);
    const fields = rec.record;
    if (fields.length < header.length) {
      const missing = header[fields.length]!;
      throw new CliError(
        `${at(file, line, missing)}: row has ${fields.length} fields but the header has ${header.length}`,
      );
    }
    if (fields.length > header.length) {
      throw new CliError(
        `${at(file, line)}: row has ${fields.length} fields but the header has ${header.length} (extra field ${quote(fields[header.length]!)})`,
      );
    }
    const empty = fields.indexOf('');
    if (empty >= 0) {
      throw new CliError(`${at(file, line, header[empty])}: empty value (missing values are not supported)`);
    }
    rows.push(fields);
    lines.push(line);
  }
  return { file, header, rows, lines };
}

/** csv-parse's `info.lines` is the line where a record ends; a record starts earlier only if a quoted field spans lines. */
function startLine(rec: Parsed): number {
  let breaks = 0;
  for (const f of rec.record) for (let i = 0; i < f.length; i++) if (f.charCodeAt(i) === 10) breaks++;
  return rec.info.lines - breaks;
}

/** Index of `name` in the header. @throws CliError listing the columns when it is absent. */
export function columnIndex(table: CsvTable, name: string, role: string): number {
  const i = table.header.indexOf(name);
  if (i < 0) {
    throw new CliError(
      `${table.file} has no column ${quote(name)} (${role}); its columns are ${listNames(table.header)}`,
    );
  }
  return i;
}

/** "a", "b", "c" and 4 more */
export function listNames(names: readonly string[], max = 8): string {
  const shown = names.slice(0, max).map((n) => quote(n, 24));
  return names.length > max ? `${shown.join(', ')} and ${names.length - max} more` : shown.join(', ');
}

/** One CSV field, quoted when it holds a comma, quote, CR/LF or leading/trailing space. */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One CSV line (no terminator). */
export function csvLine(values: readonly string[]): string {
  return values.map(csvField).join(',');
}

/** A short reason for a file-system error ("no such file", "permission denied", ...). */
export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    case 'ENOTDIR':
      return 'a parent path is not a directory';
    case 'ENOSPC':
      return 'no space left on device';
    default:
      return messageOf(err);
  }
}
