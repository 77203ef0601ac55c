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
 */
import { CliError, quote } from './errors';
import { columnIndex, listNames, type CsvTable } from './csv';
import { parseCategoricalColumn, parseNumberCell, type ColumnKind } from './columns';

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
      const std = Math.sqrt(sq / train.length);
      features.push({ name, kind, mean, std: std < 1e-12 ? 1 : std });
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
        x[k * width + offset] = (parseNumberCell(table, rows[k]!, col) - f.mean) / f.std;
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

/** Checks a preprocessing object read back from a model file. @throws Error describing the first problem. */
export function checkPreprocessing(value: unknown): Preprocessing {
  const bad = (what: string): never => {
    throw new Error(`invalid preprocessing metadata: ${what}`);
  };
  if (typeof value !== 'object' || value === null) bad('not an object');
  const v = value as { features?: unknown; inputs?: unknown };
  if (!Array.isArray(v.features) || v.features.length === 0) bad('no features');
  const features: Feature[] = [];
  for (const f of v.features as unknown[]) {
    const g = f as { name?: string; kind?: string; mean?: number; std?: number; categories?: unknown[] };
    if (typeof g !== 'object' || g === null || typeof g.name !== 'string') bad('a feature without a name');
    if (g.kind === 'numeric') {
      if (!Number.isFinite(g.mean) || !Number.isFinite(g.std) || !(g.std! > 0)) bad(`feature ${quote(g.name!)} has no valid mean/std`);
      features.push({ name: g.name!, kind: 'numeric', mean: g.mean!, std: g.std! });
    } else if (g.kind === 'categorical') {
      if (!Array.isArray(g.categories) || !g.categories.every((c) => typeof c === 'string')) {
        bad(`feature ${quote(g.name!)} has no category list`);
      }
      features.push({ name: g.name!, kind: 'categorical', categories: [...(g.categories as string[])] });
    } else {
      bad(`feature ${quote(String(g.name))} has unknown kind ${quote(String(g.kind))}`);
    }
  }
  const inputs = features.reduce((s, f) => s + featureWidth(f), 0);
  if (v.inputs !== inputs) bad(`inputs ${String(v.inputs)} do not match the features (${inputs})`);
  return { features, inputs };
}
