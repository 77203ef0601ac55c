/**
 * A CSV file as a stream of training batches, for files larger than memory (`densely/data`,
 * `densely train --stream`). Two streaming passes with csv-parse's stream API, never the
 * whole file in memory:
 *
 * 1. Statistics: each column's kind (the CLI's inference: numeric when at least 90% of
 *    its cells are number-like, lib/cli/columns.ts), numeric means and population stds,
 *    the category set of each categorical column, the target's task and classes.
 * 2. Batches, on demand (once per epoch): every row encoded as the CLI encodes it
 *    (lib/cli/preprocess.ts: x' = (x − mean)/std, a constant column with std 1,
 *    categories one-hot in sorted order); targets as class indices (classification) or
 *    the standardised value (regression).
 *
 * The CSV rules and messages are those of lib/cli/csv.ts (BOM, CRLF, trimmed fields,
 * blank lines skipped, a missing cell or a wrong field count rejected with file, line and
 * column). The statistics are those of the CLI computed over all rows (the CLI fits them
 * on its training split): the mean is Σx/n; the variance is accumulated in one pass,
 * shifted by the column's first value (Σ(x−k)² − (Σ(x−k))²/n)/n, which equals the CLI's
 * two-pass Σ(x − mean)²/n up to rounding.
 */
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import type { Task } from '../cli/columns';
import { classKey, classNames, MAX_INTEGER_CLASSES, NUMERIC_SHARE, numberLike } from '../cli/columns';
import { at, CliError, quote } from '../cli/errors';
import { type Feature, FLOAT32_MAX, featureWidth, MIN_STD, type Preprocessing } from '../cli/preprocess';
import { describe, expectInteger, expectKnownKeys, expectOptionalObject, invalid } from '../validate';
import type { DataBatch } from './fit_dataset';

/** Options of {@link csvDataset}. */
export interface CsvDatasetOptions {
  /** The column to predict. Default: the last column. */
  target?: string;
  /** Overrides the inferred task (classification for a categorical target or at most 20 integer values). */
  task?: Task;
  /** Columns to one-hot encode even when numeric. */
  categorical?: string[];
  /** Columns to ignore. */
  drop?: string[];
  /** Rows per batch (the last batch of a pass may be shorter). Default 32. */
  batchSize?: number;
  /** Most distinct values kept for a categorical column (the first pass refuses more). Default 65536. */
  maxCategories?: number;
}

/** A CSV file's preprocessing and a source of its batches, from {@link csvDataset}. */
export interface CsvDataset {
  /** The file, as given. */
  file: string;
  /** Data rows in the file. */
  rows: number;
  /** The target column. */
  target: string;
  task: Task;
  /** Class names in class-index order (classification). */
  classes?: string[];
  /** The target's mean and std (regression: the network learns (y − mean)/std). */
  targetScaling?: { mean: number; std: number };
  /** Feature encoding (the CLI's `Preprocessing`, stored in models `densely train` saves). */
  preprocessing: Preprocessing;
  /** Network inputs: `preprocessing.inputs`. */
  inputs: number;
  /** Network outputs: the class count, or 1 for regression. */
  outputs: number;
  /** The loss that fits the targets: `'sparseCategoricalCrossentropy'` or `'mse'`. */
  loss: 'sparseCategoricalCrossentropy' | 'mse';
  /**
   * A {@link DataSource} for `fitDataset`: each call streams the file again and yields
   * `{ x, y }` batches (`x` `[rows × inputs]`, `y` class indices or standardised targets).
   */
  batches: () => AsyncIterable<DataBatch & { x: Float32Array; y: Float32Array }>;
}

interface Record_ {
  record: string[];
  info: { lines: number };
}

/** csv-parse's `info.lines` is where a record ends; it starts earlier only when a quoted field spans lines. */
function startLine(rec: Record_): number {
  let breaks = 0;
  for (const f of rec.record) for (let i = 0; i < f.length; i++) if (f.charCodeAt(i) === 10) breaks++;
  return rec.info.lines - breaks;
}

/**
 * The file's checked rows, streamed: the header first (`line` its line), then each data
 * row with exactly the header's field count and no empty field.
 */
async function* records(path: string, file: string): AsyncGenerator<{ fields: string[]; line: number }> {
  const input = createReadStream(path);
  const parser = parse({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true, trim: true });
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);
  let header: string[] | null = null;
  try {
    for await (const raw of parser as AsyncIterable<Record_>) {
      if (raw.record.length === 1 && raw.record[0] === '') continue;
      const line = startLine(raw);
      const fields = raw.record;
      if (fields.some((f) => f.includes('\u0000')))
        throw new CliError(`${file} is not a text CSV file (it contains NUL bytes)`);
      if (header === null) {
        header = fields;
        const seen = new Map<string, number>();
        header.forEach((name, i) => {
          if (name === '') throw new CliError(`${at(file, line)}: column ${i + 1} of the header has no name`);
          const prev = seen.get(name);
          if (prev !== undefined) {
            throw new CliError(
              `${at(file, line)}: column name ${quote(name)} appears twice (columns ${prev + 1} and ${i + 1})`,
            );
          }
          seen.set(name, i);
        });
        yield { fields, line };
        continue;
      }
      if (fields.length < header.length) {
        throw new CliError(
          `${at(file, line, header[fields.length])}: row has ${fields.length} fields but the header has ${header.length}`,
        );
      }
      if (fields.length > header.length) {
        throw new CliError(
          `${at(file, line)}: row has ${fields.length} fields but the header has ${header.length} (extra field ${quote(fields[header.length]!)})`,
        );
      }
      const empty = fields.indexOf('');
      if (empty >= 0)
        throw new CliError(`${at(file, line, header[empty])}: empty value (missing values are not supported)`);
      yield { fields, line };
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`cannot read ${file}: no such file`);
    if (code === 'EISDIR') throw new CliError(`cannot read ${file}: it is a directory`);
    if (code === 'EACCES' || code === 'EPERM') throw new CliError(`cannot read ${file}: permission denied`);
    const line = (err as { lines?: number }).lines;
    const reason = (err instanceof Error ? err.message : String(err))
      .replace(/\r/g, '\\r')
      .replace(/\n/g, '\\n')
      .replace(/^[A-Za-z ]+: /, '');
    throw new CliError(`${line ? at(file, line) : file}: malformed CSV: ${reason}`);
  } finally {
    input.destroy();
    parser.destroy();
  }
  if (header === null) throw new CliError(`${file} is empty (expected a header row and data rows)`);
}

/** Distinct cells kept for a column while it looks numeric (see {@link ColumnStats.add}). */
const NUMERIC_DISTINCT = 1024;

/** Running statistics of one column over the first pass. */
class ColumnStats {
  numberLike = 0;
  count = 0;
  /** Shift k (the first finite value) and Σ(x−k), Σ(x−k)² over the finite number cells. */
  shift = Number.NaN;
  sum = 0;
  shifted = 0;
  shiftedSq = 0;
  lo = Infinity;
  hi = -Infinity;
  /** The first cell that is not a finite number: its line and text. */
  firstBad: { line: number; cell: string; finite: boolean } | null = null;
  allIntegers = true;
  distinctNumbers = new Set<number>();
  /** Distinct cells in first-seen order, until `overflow`. */
  categories = new Set<string>();
  overflow = false;
  /** Whether the column is categorical by option (its categories are always kept). */
  forced = false;

  add(cell: string, line: number, maxCategories: number, wantCategories: boolean): void {
    this.count++;
    const v = numberLike(cell);
    if (v !== undefined) this.numberLike++;
    if (v !== undefined && Number.isFinite(v)) {
      if (Number.isNaN(this.shift)) this.shift = v;
      this.sum += v;
      const d = v - this.shift;
      this.shifted += d;
      this.shiftedSq += d * d;
      if (v < this.lo) this.lo = v;
      if (v > this.hi) this.hi = v;
      if (this.allIntegers) {
        if (!Number.isInteger(v)) this.allIntegers = false;
        else if (this.distinctNumbers.size <= MAX_INTEGER_CLASSES) this.distinctNumbers.add(v);
      }
    } else if (this.firstBad === null) {
      this.firstBad = { line, cell, finite: v === undefined };
    }
    if (wantCategories && !this.overflow && !this.categories.has(cell)) {
      // A column that looks numeric so far keeps at most NUMERIC_DISTINCT cells: a wide
      // numeric file would otherwise hold most of its cells here.
      const cap = !this.forced && this.numberLike >= NUMERIC_SHARE * this.count ? NUMERIC_DISTINCT : maxCategories;
      if (this.categories.size >= cap) {
        this.overflow = true;
        this.categories.clear();
      } else {
        this.categories.add(cell);
      }
    }
  }

  kind(): 'numeric' | 'categorical' {
    return this.numberLike >= NUMERIC_SHARE * this.count ? 'numeric' : 'categorical';
  }

  /** The finite numbers' mean and population std (the numeric checks are the caller's). */
  moments(): { mean: number; std: number } {
    const n = this.count;
    const mean = this.sum / n;
    const variance = Math.max(0, (this.shiftedSq - (this.shifted * this.shifted) / n) / n);
    return { mean, std: Math.sqrt(variance) };
  }

  /** Rejects a numeric column's first non-number cell as the CLI does. */
  expectNumbers(file: string, name: string): void {
    const bad = this.firstBad;
    if (bad === null) return;
    throw new CliError(
      bad.finite
        ? `${at(file, bad.line, name)}: expected a number but found ${quote(bad.cell)}`
        : `${at(file, bad.line, name)}: ${quote(bad.cell)} is not a finite number`,
    );
  }
}

function expectNames(value: unknown, name: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw invalid('an array of column names', name, describe(value));
  return value as string[];
}

/**
 * Reads a CSV file with a header row in two streaming passes (see the module comment) and
 * returns its preprocessing with a source of batches for `net.fitDataset`.
 * @throws (rejects) an Error naming the file, line and column for malformed or unusable
 *   data (the messages of `densely train`); TypeError/RangeError for bad options.
 * @example
 * const data = await csvDataset('big.csv', { target: 'label', batchSize: 256 });
 * const net = new Network({ inputs: data.inputs, layers: [new Dense(32, { activation: 'relu' }), new Dense(data.outputs, { activation: 'softmax' })] });
 * net.compile({ loss: data.loss, optimizer: 'adam' });
 * await net.fitDataset(data.batches, { epochs: 3 });
 */
export async function csvDataset(path: string, options: CsvDatasetOptions = {}): Promise<CsvDataset> {
  if (typeof path !== 'string' || path === '') throw invalid('a file path', 'path', describe(path));
  const o = expectOptionalObject(options, 'csvDataset options');
  expectKnownKeys(o, ['target', 'task', 'categorical', 'drop', 'batchSize', 'maxCategories'], 'csvDataset options');
  if (o.target !== undefined && typeof o.target !== 'string')
    throw invalid('a column name', 'target', describe(o.target));
  if (o.task !== undefined && o.task !== 'classification' && o.task !== 'regression')
    throw invalid("'classification' or 'regression'", 'task', describe(o.task));
  const categorical = expectNames(o.categorical, 'categorical');
  const drop = expectNames(o.drop, 'drop');
  const batchSize = o.batchSize === undefined ? 32 : expectInteger(o.batchSize, 'batchSize', 1);
  const maxCategories = o.maxCategories === undefined ? 65536 : expectInteger(o.maxCategories, 'maxCategories', 2);
  const file = path;

  // Pass 1: the header, then every row's statistics.
  let header: string[] = [];
  let stats: ColumnStats[] = [];
  let rows = 0;
  let t = -1;
  for await (const { fields, line } of records(path, file)) {
    if (rows === 0 && stats.length === 0) {
      header = fields;
      const target = (o.target as string | undefined) ?? header[header.length - 1]!;
      t = header.indexOf(target);
      for (const [name, role] of [
        [target, 'the target'],
        ...categorical.map((c) => [c, 'named by an option']),
        ...drop.map((c) => [c, 'named by an option']),
      ] as const) {
        if (!header.includes(name))
          throw new CliError(`${file} has no column ${quote(name)} (${role}); its columns are ${header.join(', ')}`);
      }
      if (categorical.includes(target) || drop.includes(target))
        throw new CliError(`categorical and drop name feature columns, not the target ${quote(target)}`);
      stats = header.map((name) => {
        const s = new ColumnStats();
        s.forced = categorical.includes(name);
        return s;
      });
      continue;
    }
    rows++;
    for (let c = 0; c < fields.length; c++) {
      if (drop.includes(header[c]!)) continue;
      stats[c]!.add(fields[c]!, line, maxCategories, true);
    }
  }
  if (rows === 0) throw new CliError(`${file} has a header but no data rows`);
  const target = header[t]!;

  const features: Feature[] = [];
  const featureCols: number[] = [];
  header.forEach((name, c) => {
    if (c === t || drop.includes(name)) return;
    const s = stats[c]!;
    const kind = categorical.includes(name) ? 'categorical' : s.kind();
    if (kind === 'numeric') {
      s.expectNumbers(file, name);
      const { mean, std: sd } = s.moments();
      const std = sd < MIN_STD ? 1 : sd;
      if (!(Math.abs(mean) <= FLOAT32_MAX && std <= FLOAT32_MAX)) {
        throw new CliError(
          `${file} column ${quote(name)}: values beyond float32's range (±3.4e38; mean ${mean}, std ${std}) cannot be standardised`,
        );
      }
      features.push({ name, kind, mean, std });
    } else {
      if (s.overflow) {
        throw new CliError(
          `${file} column ${quote(name)}: too many distinct values to keep in one pass (at most ${maxCategories}, or ${NUMERIC_DISTINCT} while the column looked numeric); name it in categorical to keep up to ${maxCategories}, or drop it`,
        );
      }
      features.push({ name, kind, categories: [...s.categories].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) });
    }
    featureCols.push(c);
  });
  if (features.length === 0) throw new CliError(`${file} has no feature columns besides the target ${quote(target)}`);
  const preprocessing: Preprocessing = { features, inputs: features.reduce((n, f) => n + featureWidth(f), 0) };

  const ts = stats[t]!;
  const targetKind = ts.kind();
  let task: Task = (o.task as Task | undefined) ?? 'classification';
  if (o.task === undefined && targetKind === 'numeric') {
    ts.expectNumbers(file, target);
    task = ts.allIntegers && ts.distinctNumbers.size <= MAX_INTEGER_CLASSES ? 'classification' : 'regression';
  }
  let classes: string[] | undefined;
  let classIndex: Map<string, number> | undefined;
  let targetScaling: { mean: number; std: number } | undefined;
  const numericClasses = targetKind === 'numeric';
  if (task === 'regression') {
    try {
      ts.expectNumbers(file, target);
    } catch (err) {
      throw new CliError(`${(err as Error).message} (regression needs a numeric target)`);
    }
    if (ts.lo === ts.hi)
      throw new CliError(
        `${file} column ${quote(target)}: the target has the same value (${ts.lo}) in every row; there is nothing to learn`,
      );
    const m = ts.moments();
    targetScaling = { mean: m.mean, std: m.std || 1 };
  } else {
    if (ts.overflow)
      throw new CliError(`${file} column ${quote(target)}: more than ${maxCategories} classes in the target`);
    classes = classNames([...ts.categories]);
    if (classes.length < 2) {
      throw new CliError(
        `${file} column ${quote(target)}: the target has a single class (${quote(classes[0] ?? '')}); classification needs at least two`,
      );
    }
    classIndex = new Map(classes.map((n, i) => [classKey(n, numericClasses), i] as const));
  }
  // Statistics done: the per-column state is dropped, only the encoders stay.
  stats = [];
  const width = preprocessing.inputs;
  const encoders = features.map((f, i) => {
    const col = featureCols[i]!;
    return f.kind === 'numeric'
      ? { col, f, index: null }
      : { col, f, index: new Map(f.categories.map((c, j) => [c, j] as const)) };
  });

  // Pass 2, once per call: rows encoded into batches.
  async function* batches(): AsyncGenerator<{ x: Float32Array; y: Float32Array }> {
    let x = new Float32Array(batchSize * width);
    let y = new Float32Array(batchSize);
    let n = 0;
    let first = true;
    for await (const { fields, line } of records(path, file)) {
      if (first) {
        first = false;
        if (fields.length !== header.length || fields.some((f, i) => f !== header[i]))
          throw new CliError(`${at(file, line)}: the header changed since the first pass`);
        continue;
      }
      let offset = n * width;
      for (const e of encoders) {
        const cell = fields[e.col]!;
        if (e.index === null) {
          const f = e.f as Extract<Feature, { kind: 'numeric' }>;
          const v = numberLike(cell);
          if (v === undefined)
            throw new CliError(`${at(file, line, f.name)}: expected a number but found ${quote(cell)}`);
          if (!Number.isFinite(v))
            throw new CliError(`${at(file, line, f.name)}: ${quote(cell)} is not a finite number`);
          const z = (v - f.mean) / f.std;
          if (!(Math.abs(z) <= FLOAT32_MAX)) {
            throw new CliError(
              `${at(file, line, f.name)}: ${v} standardises to ${z} (mean ${f.mean}, std ${f.std}), beyond float32's range (±3.4e38)`,
            );
          }
          x[offset] = z;
          offset += 1;
        } else {
          const j = e.index.get(cell);
          if (j !== undefined) x[offset + j] = 1;
          offset += e.index.size;
        }
      }
      const cell = fields[t]!;
      if (classIndex !== undefined) {
        const k = classIndex.get(classKey(cell, numericClasses));
        if (k === undefined)
          throw new CliError(`${at(file, line, target)}: class ${quote(cell)} was not in the first pass`);
        y[n] = k;
      } else {
        const v = numberLike(cell);
        if (v === undefined || !Number.isFinite(v))
          throw new CliError(`${at(file, line, target)}: expected a finite number but found ${quote(cell)}`);
        y[n] = (v - targetScaling!.mean) / targetScaling!.std;
      }
      n++;
      if (n === batchSize) {
        yield { x, y };
        // Fresh arrays: the consumer may hold the batch it was given while pulling the next.
        x = new Float32Array(batchSize * width);
        y = new Float32Array(batchSize);
        n = 0;
      }
    }
    if (n > 0) yield { x: x.subarray(0, n * width), y: y.subarray(0, n) };
  }

  const result: CsvDataset = {
    file,
    rows,
    target,
    task,
    preprocessing,
    inputs: width,
    outputs: classes ? classes.length : 1,
    loss: classes ? 'sparseCategoricalCrossentropy' : 'mse',
    batches,
  };
  if (classes) result.classes = classes;
  if (targetScaling) result.targetScaling = targetScaling;
  return result;
}
