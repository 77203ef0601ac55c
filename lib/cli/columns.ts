/**
 * Column types: which columns are numbers, which are categories, and the task a target
 * column implies.
 *
 * A cell is a number when it is a plain decimal literal (`-1`, `2.5`, `.5`, `1e-3`).
 * `NaN`, `Inf`, `Infinity` (any case, any sign) and literals that overflow float64 are
 * number-like but not finite: they count as numbers when a column's type is inferred,
 * and are then rejected with their line and column. Empty cells are rejected everywhere
 * (missing values are not supported).
 *
 * A column is numeric when at least {@link NUMERIC_SHARE} of its cells are number-like;
 * the rest of such a column are then errors ("expected a number"), so a stray typo in a
 * numeric column is reported rather than silently turning it into a category.
 */

import type { CsvTable } from './csv';
import { at, CliError, quote } from './errors';

/** Share of number-like cells from which a column counts as numeric. */
export const NUMERIC_SHARE = 0.9;
/** A numeric target with integer values and at most this many distinct values is a classification target. */
export const MAX_INTEGER_CLASSES = 20;

export type ColumnKind = 'numeric' | 'categorical';
export type Task = 'classification' | 'regression';

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

/** The value of a number-like cell (possibly ±Infinity or NaN), or undefined when it is not number-like. */
export function numberLike(cell: string): number | undefined {
  if (DECIMAL.test(cell)) return Number(cell);
  if (NON_FINITE.test(cell))
    return cell.replace(/^[+-]/, '').toLowerCase() === 'nan' ? NaN : cell.startsWith('-') ? -Infinity : Infinity;
  return undefined;
}

/** Rejects an empty cell. */
export function checkPresent(table: CsvTable, row: number, col: number): string {
  const cell = table.rows[row]![col]!;
  if (cell === '')
    throw new CliError(
      `${at(table.file, table.lines[row]!, table.header[col])}: empty value (missing values are not supported)`,
    );
  return cell;
}

/** The finite number in a cell. @throws CliError naming file, line and column otherwise. */
export function parseNumberCell(table: CsvTable, row: number, col: number): number {
  const cell = checkPresent(table, row, col);
  const v = numberLike(cell);
  if (v === undefined) {
    throw new CliError(
      `${at(table.file, table.lines[row]!, table.header[col])}: expected a number but found ${quote(cell)}`,
    );
  }
  if (!Number.isFinite(v)) {
    throw new CliError(
      `${at(table.file, table.lines[row]!, table.header[col])}: ${quote(cell)} is not a finite number`,
    );
  }
  return v;
}

/** Every cell of a numeric column as float64 (all rows). @throws CliError at the first bad cell. */
export function parseNumericColumn(table: CsvTable, col: number): Float64Array {
  const out = new Float64Array(table.rows.length);
  for (let r = 0; r < out.length; r++) out[r] = parseNumberCell(table, r, col);
  return out;
}

/** Every cell of a column, rejecting empty ones. */
export function parseCategoricalColumn(table: CsvTable, col: number): string[] {
  const out = new Array<string>(table.rows.length);
  for (let r = 0; r < out.length; r++) out[r] = checkPresent(table, r, col);
  return out;
}

/** The inferred kind of a column (see module comment); empty cells are rejected. */
export function inferKind(table: CsvTable, col: number): ColumnKind {
  let numeric = 0;
  for (let r = 0; r < table.rows.length; r++) {
    if (numberLike(checkPresent(table, r, col)) !== undefined) numeric++;
  }
  return numeric >= NUMERIC_SHARE * table.rows.length ? 'numeric' : 'categorical';
}

/**
 * The task for a target column: classification for categorical targets and for numeric
 * ones whose values are all integers with at most {@link MAX_INTEGER_CLASSES} distinct
 * values; regression otherwise.
 */
export function inferTask(kind: ColumnKind, values: Float64Array | null): Task {
  if (kind === 'categorical' || values === null) return 'classification';
  const distinct = new Set<number>();
  for (const v of values) {
    if (!Number.isInteger(v)) return 'regression';
    distinct.add(v);
    if (distinct.size > MAX_INTEGER_CLASSES) return 'regression';
  }
  return 'classification';
}

/**
 * Class names in a stable order: numerically when every name is a number, else by
 * code unit. Numeric names are kept as written in the file (first spelling seen).
 */
export function classNames(labels: readonly string[]): string[] {
  const byKey = new Map<string, string>();
  const allNumeric = labels.every((l) => DECIMAL.test(l));
  for (const l of labels) {
    const key = allNumeric ? String(Number(l)) : l;
    if (!byKey.has(key)) byKey.set(key, l);
  }
  const keys = [...byKey.keys()];
  if (allNumeric) keys.sort((a, b) => Number(a) - Number(b));
  else keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return keys.map((k) => byKey.get(k)!);
}

/** The lookup key of a class label (numbers compare by value: "1" and "1.0" are one class). */
export function classKey(label: string, numericClasses: boolean): string {
  return numericClasses && DECIMAL.test(label) ? String(Number(label)) : label;
}
