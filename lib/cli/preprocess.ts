/**
 * Feature preprocessing fitted on the training split and stored in the model, so that
 * `densely predict` turns a CSV row into exactly the inputs the network was trained on.
 *
 * - numeric column: x' = (x − mean) / std, mean and population std over the training
 *   rows; a constant column (std < 1e-12) uses std = 1.
 * - categorical column: one input per category seen in the training rows (sorted), 1
 *   for the row's category and 0 elsewhere; a category never seen in training encodes
 *   as all zeros.
 * Inputs are laid out column by column in `features` order.
 *
 * Statistics are float32 numbers (the network's inputs are float32): a mean beyond
 * ±3.4e38 or a std outside [1e-12, 3.4e38] is refused in training and, read back from a
 * model file, marks the file as corrupt. A cell that standardises beyond float32's range
 * is refused with its line and column.
 */

import { type ColumnKind, parseCategoricalColumn, parseNumberCell } from './columns';
import { type CsvTable, columnIndex, listNames } from './csv';
import { at, CliError, quote } from './errors';

export interface NumericFeature {
  name: string;
  kind: 'numeric';
  mean: number;
  std: number;
}

export interface CategoricalFeature {
  name: string;
  kind: 'categorical';
  categories: string[];
}

export type Feature = NumericFeature | CategoricalFeature;

/** The largest finite float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;
/** Standard deviations below this are a constant column: std 1 is used instead. */
export const MIN_STD = 1e-12;

export interface Preprocessing {
  features: Feature[];
  /** Network input width: numeric features count 1, categorical ones their category count. */
  inputs: number;
}

/** Width of one feature's encoding. */
export function featureWidth(f: Feature): number {
  return f.kind === 'numeric' ? 1 : f.categories.length;
}

/**
 * Fits the preprocessing of `columns` (header indices with their kinds) on the rows
 * `train`; `numeric` holds the already parsed numeric columns by header index.
 */
export function fitPreprocessing(
  table: CsvTable,
  columns: ReadonlyArray<{ index: number; kind: ColumnKind }>,
  numeric: ReadonlyMap<number, Float64Array>,
  train: Int32Array,
): Preprocessing {
  const features: Feature[] = [];
  for (const { index, kind } of columns) {
    const name = table.header[index]!;
    if (kind === 'numeric') {
      const v = numeric.get(index)!;
      let sum = 0;
      for (const r of train) sum += v[r]!;
      const mean = sum / train.length;
      let sq = 0;
      for (const r of train) sq += (v[r]! - mean) ** 2;
      const sd = Math.sqrt(sq / train.length);
      const std = sd < MIN_STD ? 1 : sd;
      if (!(Math.abs(mean) <= FLOAT32_MAX && std <= FLOAT32_MAX)) {
        throw new CliError(
          `${table.file} column ${quote(name)}: values beyond float32's range (±3.4e38; mean ${mean}, std ${std}) cannot be standardised`,
        );
      }
      features.push({ name, kind, mean, std });
    } else {
      const cats = new Set<string>();
      for (const r of train) cats.add(table.rows[r]![index]!);
      features.push({ name, kind, categories: [...cats].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) });
    }
  }
  return { features, inputs: features.reduce((s, f) => s + featureWidth(f), 0) };
}

/** For each feature, its column index in `table`. @throws CliError naming the first missing column. */
export function mapColumns(pre: Preprocessing, table: CsvTable): number[] {
  const missing = pre.features.filter((f) => !table.header.includes(f.name)).map((f) => f.name);
  if (missing.length > 0) {
    const which = missing.length === 1 ? `column ${quote(missing[0]!)}` : `columns ${listNames(missing)}`;
    throw new CliError(`${table.file} is missing ${which}, which the model needs as input`);
  }
  return pre.features.map((f) => columnIndex(table, f.name, 'model input'));
}

/**
 * Encodes the rows `rows` of `table` into `[rows × inputs]` float32. `columnOf[i]` is
 * feature i's column in `table`. Numeric cells are parsed and checked here.
 * @returns the inputs and, per categorical feature name, the count of unseen categories.
 */
export function encode(
  pre: Preprocessing,
  table: CsvTable,
  columnOf: readonly number[],
  rows: ArrayLike<number>,
): { x: Float32Array; unseen: Map<string, number> } {
  const width = pre.inputs;
  const x = new Float32Array(rows.length * width);
  const unseen = new Map<string, number>();
  let offset = 0;
  pre.features.forEach((f, i) => {
    const col = columnOf[i]!;
    if (f.kind === 'numeric') {
      for (let k = 0; k < rows.length; k++) {
        const v = parseNumberCell(table, rows[k]!, col);
        const z = (v - f.mean) / f.std;
        if (!(Math.abs(z) <= FLOAT32_MAX)) {
          throw new CliError(
            `${at(table.file, table.lines[rows[k]!]!, f.name)}: ${v} standardises to ${z} (mean ${f.mean}, std ${f.std}), beyond float32's range (±3.4e38)`,
          );
        }
        x[k * width + offset] = z;
      }
    } else {
      const index = new Map(f.categories.map((c, j) => [c, j] as const));
      const cells = parseCategoricalColumn(table, col);
      for (let k = 0; k < rows.length; k++) {
        const j = index.get(cells[rows[k]!]!);
        if (j === undefined) unseen.set(f.name, (unseen.get(f.name) ?? 0) + 1);
        else x[k * width + offset + j] = 1;
      }
    }
    offset += featureWidth(f);
  });
  return { x, unseen };
}

/**
 * Checks a preprocessing object read back from a model file (the JSON of the
 * `densely.cli.preprocessing` entry).
 * @throws Error naming the first bad field as a path (`features[2].std`) with its value.
 */
export function checkPreprocessing(value: unknown): Preprocessing {
  const bad = (field: string, what: string, got: unknown): never => {
    throw new Error(`${field} ${what}, not ${shown(got)}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    bad('the entry', 'should be an object', value);
  const v = value as { features?: unknown; inputs?: unknown };
  if (!Array.isArray(v.features) || v.features.length === 0) bad('features', 'should be a non-empty list', v.features);
  const features: Feature[] = [];
  (v.features as unknown[]).forEach((f, i) => {
    const pos = `features[${i}]`;
    if (typeof f !== 'object' || f === null || Array.isArray(f)) bad(pos, 'should be an object', f);
    const g = f as Record<string, unknown>;
    if (typeof g.name !== 'string') bad(`${pos}.name`, 'should be a string', g.name);
    const name = g.name as string;
    const field = `${pos} (${quote(name, 24)})`;
    if (g.kind === 'numeric') {
      if (typeof g.mean !== 'number' || !(Math.abs(g.mean) <= FLOAT32_MAX))
        bad(`${field}.mean`, 'should be a finite float32 number (|mean| ≤ 3.4e38)', g.mean);
      if (typeof g.std !== 'number' || !(g.std >= MIN_STD && g.std <= FLOAT32_MAX))
        bad(`${field}.std`, `should be a number in [${MIN_STD}, 3.4e38]`, g.std);
      features.push({ name, kind: 'numeric', mean: g.mean as number, std: g.std as number });
    } else if (g.kind === 'categorical') {
      if (!Array.isArray(g.categories) || !g.categories.every((c) => typeof c === 'string'))
        bad(`${field}.categories`, 'should be a list of strings', g.categories);
      features.push({ name, kind: 'categorical', categories: [...(g.categories as string[])] });
    } else {
      bad(`${field}.kind`, 'should be "numeric" or "categorical"', g.kind);
    }
  });
  const inputs = features.reduce((s, f) => s + featureWidth(f), 0);
  if (v.inputs !== inputs) bad('inputs', `should be ${inputs} (the features' width)`, v.inputs);
  return { features, inputs };
}

/** A JSON value for a message, short and on one line. */
export function shown(value: unknown): string {
  if (value === undefined) return 'missing';
  let text: string;
  try {
    text = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 40 ? `${flat.slice(0, 39)}…` : flat;
}
