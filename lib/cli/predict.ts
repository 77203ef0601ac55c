/**
 * `densely predict <model> <file.csv>`: applies a trained model's stored preprocessing to
 * a CSV (columns matched by name, in any order; extra columns ignored) and writes one
 * prediction per row as CSV: the class name and one probability column per class
 * (`p_<class>`), or the predicted value.
 *
 * A non-finite output (NaN or ±Infinity: a model whose weights overflow, or a regression
 * rescaling beyond float64) fails the command, naming the first such row, and nothing is
 * written. With `allowNonFinite` such cells are written as `NaN`, `Infinity` or
 * `-Infinity`, and a classification row with one has an empty class cell.
 */

import type { BackendRequest } from '../backend/select';
import { setThreads } from '../index';
import { csvLine, readCsv } from './csv';
import { at, CliError, quote } from './errors';
import { resolveOutput, writeOutput } from './files';
import { argmaxRows } from './metrics';
import { loadNetwork, readModelInfo } from './model';
import { encode, mapColumns } from './preprocess';
import { resolveRequest } from './runtime';
import type { Io } from './train';

export interface PredictOptions {
  /** A file, or `-` for standard output (the default). */
  out?: string;
  backend: BackendRequest;
  threads?: number;
  /** Write NaN/Infinity cells instead of failing on a non-finite output. */
  allowNonFinite?: boolean;
}

/** A predicted value for a CSV cell: at most 7 significant digits, shortest form. */
export function cellNumber(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(7))) : String(v);
}

/** A probability for a CSV cell: 6 decimals, trailing zeros dropped ("1", "0.25", "0.000013"). */
export function cellProbability(p: number): string {
  return Number.isFinite(p) ? String(Number(p.toFixed(6))) : String(p);
}

function finiteRow(values: ArrayLike<number>, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!Number.isFinite(values[i]!)) return false;
  return true;
}

export async function runPredict(modelPath: string, file: string, o: PredictOptions, io: Io): Promise<void> {
  const out = resolveOutput(
    o.out ?? '-',
    'predictions',
    '--out',
    [
      { path: modelPath, role: 'the model' },
      { path: file, role: 'the data file' },
    ],
    true,
  );
  const { backend } = resolveRequest(o.backend);
  if (o.threads !== undefined) setThreads(o.threads);
  const { net } = loadNetwork(modelPath, backend);
  const info = readModelInfo(net, modelPath);
  if (info === null) {
    throw new CliError(
      `${quote(modelPath, 80)} has no densely train metadata (preprocessing, task); only models written by "densely train --save" can be used by predict`,
    );
  }
  const table = readCsv(file);
  const columnOf = mapColumns(info.preprocessing, table);
  const all = Int32Array.from(table.rows.keys());
  const { x, unseen } = encode(info.preprocessing, table, columnOf, all);
  for (const [name, count] of unseen) {
    io.stderr.write(
      `densely: warning: ${file} column ${quote(name)}: ${count} row${count === 1 ? ' has a category' : 's have categories'} not seen in training (encoded as all zeros)\n`,
    );
  }
  const y = net.predict(x);
  const values =
    info.task === 'classification'
      ? y
      : Float64Array.from(y, (v) => v * info.targetScaling!.std + info.targetScaling!.mean);
  const k = info.task === 'classification' ? info.classes!.length : 1;
  if (o.allowNonFinite !== true) {
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) {
        const r = Math.floor(i / k);
        throw new CliError(
          `${quote(modelPath, 80)} gives a non-finite output (${String(values[i])}) for ${at(file, table.lines[r]!)} (row ${r + 1}): ` +
            'its weights or output scaling overflow; nothing was written (--allow-nonfinite writes such outputs as NaN/Infinity)',
        );
      }
    }
  }
  const lines: string[] = [];
  if (info.task === 'classification') {
    const classes = info.classes!;
    lines.push(csvLine([info.target, ...classes.map((c) => `p_${c}`)]));
    const best = argmaxRows(y, k);
    for (let r = 0; r < all.length; r++) {
      const cells = [finiteRow(y, r * k, (r + 1) * k) ? classes[best[r]!]! : ''];
      for (let j = 0; j < k; j++) cells.push(cellProbability(y[r * k + j]!));
      lines.push(csvLine(cells));
    }
  } else {
    lines.push(csvLine([info.target]));
    for (let r = 0; r < all.length; r++) lines.push(cellNumber(values[r]!));
  }
  await writeOutput(out, `${lines.join('\n')}\n`, 'predictions', io.stdout);
  if (out.kind !== 'stdout') io.stderr.write(`densely: wrote ${all.length} predictions to ${o.out}\n`);
}
