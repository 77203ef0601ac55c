/**
 * `densely predict <model> <file.csv>`: applies a trained model's stored preprocessing to
 * a CSV (columns matched by name, in any order; extra columns ignored) and writes one
 * prediction per row as CSV: the class name and one probability column per class
 * (`p_<class>`), or the predicted value.
 */
import { setThreads } from '../index';
import { CliError, quote } from './errors';
import { csvLine, readCsv } from './csv';
import { encode, mapColumns } from './preprocess';
import { argmaxRows } from './metrics';
import { checkWritable, writeFileAtomic } from './files';
import { loadNetwork, readModelInfo } from './model';
import { resolveRequest } from './runtime';
import type { Io } from './train';

export interface PredictOptions {
  out?: string;
  backend: 'auto' | 'js' | 'native';
  threads?: number;
}

/** A predicted value for a CSV cell: at most 7 significant digits, shortest form. */
export function cellNumber(v: number): string {
  return String(Number(v.toPrecision(7)));
}

/** A probability for a CSV cell: 6 decimals, trailing zeros dropped ("1", "0.25", "0.000013"). */
export function cellProbability(p: number): string {
  return String(Number(p.toFixed(6)));
}

export async function runPredict(modelPath: string, file: string, o: PredictOptions, io: Io): Promise<void> {
  if (o.out) checkWritable(o.out, 'predictions');
  const { backend } = resolveRequest(o.backend);
  if (o.threads !== undefined) setThreads(o.threads);
  const { net } = loadNetwork(modelPath, backend);
  const info = readModelInfo(net, modelPath);
  if (info === null) {
    throw new CliError(`${quote(modelPath, 80)} has no densely train metadata (preprocessing, task); only models written by "densely train --save" can be used by predict`);
  }
  const table = readCsv(file);
  const columnOf = mapColumns(info.preprocessing, table);
  const all = Int32Array.from(table.rows.keys());
  const { x, unseen } = encode(info.preprocessing, table, columnOf, all);
  for (const [name, count] of unseen) {
    io.stderr.write(`densely: warning: ${file} column ${quote(name)}: ${count} row${count === 1 ? ' has a category' : 's have categories'} not seen in training (encoded as all zeros)\n`);
  }
  const y = net.predict(x);
  const lines: string[] = [];
  if (info.task === 'classification') {
    const classes = info.classes!;
    const k = classes.length;
    lines.push(csvLine([info.target, ...classes.map((c) => `p_${c}`)]));
    const best = argmaxRows(y, k);
    for (let r = 0; r < all.length; r++) {
      const cells = [classes[best[r]!]!];
      for (let j = 0; j < k; j++) cells.push(cellProbability(y[r * k + j]!));
      lines.push(csvLine(cells));
    }
  } else {
    const { mean, std } = info.targetScaling!;
    lines.push(csvLine([info.target]));
    for (let r = 0; r < all.length; r++) lines.push(cellNumber(y[r]! * std + mean));
  }
  const text = `${lines.join('\n')}\n`;
  if (o.out) {
    writeFileAtomic(o.out, text, 'predictions');
    io.stderr.write(`densely: wrote ${all.length} predictions to ${o.out}\n`);
  } else {
    await new Promise<void>((resolve, reject) => {
      io.stdout.write(text, (err) => (err ? reject(err) : resolve()));
    });
  }
}
