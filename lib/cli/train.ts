/**
 * `densely train [file.csv]`: reads a CSV, infers the task, preprocesses, splits off a
 * stratified validation set, trains an MLP with early stopping, reports final metrics,
 * and writes the model and the learning curves.
 */
import { basename, join } from 'node:path';
import type { BackendRequest } from '../backend/select';
import type { ActivationName } from '../backend/types';
import { Adam, backendInfo, Dense, earlyStopping, Network, setThreads } from '../index';
import {
  type ColumnKind,
  classKey,
  classNames,
  inferKind,
  inferTask,
  parseCategoricalColumn,
  parseNumericColumn,
  type Task,
} from './columns';
import { type CsvTable, columnIndex, listNames, readCsv } from './csv';
import { CliError, messageOf, quote, usageError } from './errors';
import { type Output, packageRoot, resolveOutput, writeOutput } from './files';
import { accuracy, argmaxRows, confusionMatrix, fmt, formatConfusion, regressionMetrics } from './metrics';
import { modelMetadata, type TrainingRecord } from './model';
import { encode, fitPreprocessing, type Preprocessing } from './preprocess';
import { TrainingProgress } from './progress';
import { packageVersion, resolveRequest } from './runtime';
import { splitRows } from './split';
import { type Curves, learningCurvesSvg, wantsLogScale } from './svg';
import { brailleChart, legend, type Series, sideBySide } from './termchart';
import { runTrainStream } from './train_stream';

export interface TrainOptions {
  target?: string;
  task?: Task;
  validation: number;
  layers: number[];
  activation: ActivationName;
  epochs: number;
  batchSize: number;
  lr: number;
  patience: number;
  seed: number;
  backend: BackendRequest;
  threads?: number;
  save?: string;
  plot?: string;
  categorical: string[];
  drop: string[];
  chart: boolean;
  /** Stream the file (lib/cli/train_stream.ts) instead of reading it into memory. */
  stream?: boolean;
}

export interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** The bundled data set used when no file is given. */
export function bundledDigits(): string {
  return join(packageRoot(), 'data', 'digits.csv');
}

interface Prepared {
  table: CsvTable;
  task: Task;
  target: string;
  classes?: string[];
  /** Class index per row (classification). */
  labels?: Int32Array;
  /** Target value per row (regression). */
  values?: Float64Array;
  features: Array<{ index: number; kind: ColumnKind }>;
  numeric: Map<number, Float64Array>;
}

/** Reads the table and decides target, task, classes and feature kinds. */
function prepare(path: string, shown: string, o: TrainOptions): Prepared {
  const table = readCsv(path, shown);
  const target = o.target ?? table.header[table.header.length - 1]!;
  const t = columnIndex(table, target, 'the --target');
  for (const name of [...o.categorical, ...o.drop])
    columnIndex(table, name, name === target ? 'the target' : 'named by an option');
  if (o.categorical.includes(target) || o.drop.includes(target)) {
    throw usageError(`--categorical and --drop name feature columns, not the target ${quote(target)}`);
  }
  const features: Array<{ index: number; kind: ColumnKind }> = [];
  const numeric = new Map<number, Float64Array>();
  table.header.forEach((name, index) => {
    if (index === t || o.drop.includes(name)) return;
    const kind: ColumnKind = o.categorical.includes(name) ? 'categorical' : inferKind(table, index);
    if (kind === 'numeric') numeric.set(index, parseNumericColumn(table, index));
    else parseCategoricalColumn(table, index);
    features.push({ index, kind });
  });
  if (features.length === 0) throw new CliError(`${shown} has no feature columns besides the target ${quote(target)}`);

  const targetKind = inferKind(table, t);
  const targetValues = targetKind === 'numeric' && o.task !== 'classification' ? parseNumericColumn(table, t) : null;
  const task = o.task ?? inferTask(targetKind, targetValues);
  if (task === 'regression') {
    let values = targetValues;
    if (values === null) {
      try {
        values = parseNumericColumn(table, t);
      } catch (err) {
        throw new CliError(`${messageOf(err)} (regression needs a numeric target)`);
      }
    }
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of values) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    if (lo === hi)
      throw new CliError(
        `${shown} column ${quote(target)}: the target has the same value (${lo}) in every row; there is nothing to learn`,
      );
    return { table, task, target, values, features, numeric };
  }
  const raw = parseCategoricalColumn(table, t);
  const names = classNames(raw);
  if (names.length < 2) {
    throw new CliError(
      `${shown} column ${quote(target)}: the target has a single class (${quote(names[0] ?? '')}); classification needs at least two`,
    );
  }
  const numericClasses = targetKind === 'numeric';
  const index = new Map(names.map((n, i) => [classKey(n, numericClasses), i] as const));
  const labels = Int32Array.from(raw, (l) => index.get(classKey(l, numericClasses))!);
  return { table, task, target, classes: names, labels, features, numeric };
}

/** "1 epoch", "3 epochs". */
/**
 * The Ctrl-C handler of a training run (`train` and `train --stream`): the first press
 * records an interrupt and aborts at the next batch (the best weights are kept), the
 * second quits at once with 130.
 */
export function sigintHandler(
  controller: AbortController,
  progress: TrainingProgress,
  io: Io,
  state: { stoppedBy: TrainingRecord['stoppedBy'] },
): () => void {
  return () => {
    if (controller.signal.aborted) {
      progress.stop();
      io.stderr.write('densely: interrupted\n');
      process.exit(130);
    }
    state.stoppedBy = 'interrupt';
    progress.stop();
    io.stderr.write(
      'densely: interrupted: stopping at the next batch and keeping the best weights (Ctrl-C again to quit)\n',
    );
    controller.abort();
  };
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function describeArchitecture(
  inputs: number,
  hidden: number[],
  activation: string,
  outputs: number,
  outAct: string,
): string {
  return [`${inputs} inputs`, ...hidden.map((h) => `dense ${h} ${activation}`), `dense ${outputs} ${outAct}`].join(
    ' → ',
  );
}

/** Runs `densely train`. @throws CliError on bad input or a failed run. */
export async function runTrain(file: string | undefined, o: TrainOptions, io: Io): Promise<void> {
  if (o.stream === true) return runTrainStream(file, o, io);
  const out = (s = ''): boolean => io.stdout.write(`${s}\n`);
  const path = file ?? bundledDigits();
  const shown = file ?? `bundled digits (${join('data', 'digits.csv')})`;
  // Outputs are checked before anything is read: writable, and never the data file.
  const inputs = [{ path, role: 'the data file' }];
  const saveTo: Output | null = o.save ? resolveOutput(o.save, 'model', '--save', inputs) : null;
  const plotTo: Output | null = o.plot ? resolveOutput(o.plot, 'plot', '--plot', inputs) : null;
  if (saveTo?.kind === 'replace' && plotTo?.kind === 'replace' && saveTo.path === plotTo.path) {
    throw usageError(`--save and --plot name the same file ${quote(o.save!, 80)}; give them different paths`);
  }

  const p = prepare(path, shown, o);
  const rows = p.table.rows.length;
  const split = splitRows(rows, o.validation, o.seed, p.labels);
  if (split.train.length === 0) throw new CliError(`${shown} has too few rows to train on`);
  const hasVal = split.validation.length > 0;
  const pre: Preprocessing = fitPreprocessing(p.table, p.features, p.numeric, split.train);
  for (const f of pre.features) {
    if (f.kind === 'categorical' && f.categories.length > 10 && f.categories.length > split.train.length / 2) {
      io.stderr.write(
        `densely: warning: column ${quote(f.name)} has ${f.categories.length} distinct values in ${split.train.length} training rows; ` +
          `one-hot encoding adds an input per value (--drop ${f.name} ignores it)\n`,
      );
    }
  }
  const columnOf = pre.features.map((f) => p.table.header.indexOf(f.name));
  const xTrain = encode(pre, p.table, columnOf, split.train).x;
  const xVal = encode(pre, p.table, columnOf, split.validation).x;

  let yTrain: Float32Array;
  let yVal: Float32Array;
  let scaling: { mean: number; std: number } | undefined;
  if (p.task === 'classification') {
    yTrain = Float32Array.from(split.train, (r) => p.labels![r]!);
    yVal = Float32Array.from(split.validation, (r) => p.labels![r]!);
  } else {
    let sum = 0;
    for (const r of split.train) sum += p.values![r]!;
    const mean = sum / split.train.length;
    let sq = 0;
    for (const r of split.train) sq += (p.values![r]! - mean) ** 2;
    const std = Math.sqrt(sq / split.train.length) || 1;
    scaling = { mean, std };
    yTrain = Float32Array.from(split.train, (r) => (p.values![r]! - mean) / std);
    yVal = Float32Array.from(split.validation, (r) => (p.values![r]! - mean) / std);
  }

  const { backend, note } = resolveRequest(o.backend);
  if (note) io.stderr.write(`densely: note: using the js backend; ${note}\n`);
  if (o.threads !== undefined) setThreads(o.threads);
  const outputs = p.task === 'classification' ? p.classes!.length : 1;
  const outAct: ActivationName = p.task === 'classification' ? 'softmax' : 'linear';
  let net: Network;
  try {
    net = new Network({
      inputs: pre.inputs,
      layers: [
        ...o.layers.map((u) => new Dense(u, { activation: o.activation })),
        new Dense(outputs, { activation: outAct }),
      ],
      backend,
      seed: o.seed,
    });
  } catch (err) {
    throw new CliError(messageOf(err));
  }
  net.compile({
    loss: p.task === 'classification' ? 'sparseCategoricalCrossentropy' : 'mse',
    optimizer: new Adam({ learningRate: o.lr }),
    metrics: p.task === 'classification' ? ['accuracy'] : [],
  });
  const info = backendInfo();
  const threads = net.backend === 'native' ? info.threads : 1;

  const numericCount = pre.features.filter((f) => f.kind === 'numeric').length;
  out(
    `data      ${shown}: ${rows} rows, ${pre.features.length} features (${numericCount} numeric standardised, ${pre.features.length - numericCount} categorical one-hot) → ${pre.inputs} inputs`,
  );
  if (p.task === 'classification') {
    out(`task      classification of ${quote(p.target)}: ${p.classes!.length} classes (${listNames(p.classes!, 10)})`);
  } else {
    out(
      `task      regression of ${quote(p.target)} (mean ${fmt(scaling!.mean)}, std ${fmt(scaling!.std)}; trained on the standardised target)`,
    );
  }
  out(
    `split     ${split.train.length} training / ${split.validation.length} validation rows (${p.task === 'classification' ? 'stratified, ' : ''}seed ${o.seed})`,
  );
  out(
    `network   ${describeArchitecture(pre.inputs, o.layers, o.activation, outputs, outAct)} (${net.paramCount.toLocaleString('en-US')} parameters)`,
  );
  out(
    `training  ${net.backend} backend (${net.backend === 'native' ? `${info.isa}, ${plural(threads, 'thread')}` : note ? 'native addon unavailable' : 'pure JS'}), adam lr ${o.lr}, batch size ${o.batchSize}, up to ${plural(o.epochs, 'epoch')}, early stopping after ${plural(o.patience, 'epoch')} without a better ${hasVal ? 'validation' : 'training'} loss`,
  );
  out();

  const batches = Math.ceil(split.train.length / o.batchSize);
  const progress = new TrainingProgress(io.stdout, batches, o.epochs);
  const controller = new AbortController();
  const state: { stoppedBy: TrainingRecord['stoppedBy'] } = { stoppedBy: 'max-epochs' };
  // Keras-style early stopping on the validation (else training) loss; the best epoch's
  // weights are put back when fit ends, however it ends (early stop, --epochs, Ctrl-C).
  const stopper = earlyStopping({
    monitor: hasVal ? 'valLoss' : 'loss',
    patience: o.patience,
    restoreBestWeights: true,
  });
  const curves: Curves = { epochs: [], loss: [] };
  if (p.task === 'classification') curves.accuracy = [];
  if (hasVal) {
    curves.valLoss = [];
    if (p.task === 'classification') curves.valAccuracy = [];
  }
  const onSigint = sigintHandler(controller, progress, io, state);
  process.on('SIGINT', onSigint);
  const started = performance.now();
  let epochCount = 0;
  try {
    progress.startEpoch(1);
    await net.fit(xTrain, yTrain, {
      epochs: o.epochs,
      batchSize: o.batchSize,
      shuffle: true,
      ...(hasVal ? { validationData: [xVal, yVal] as [Float32Array, Float32Array] } : {}),
      signal: controller.signal,
      callbacks: [stopper],
      onBatchEnd: (_batch, logs) => progress.batch(logs.loss, logs.size),
      onEpochEnd: (epoch, logs) => {
        epochCount = epoch + 1;
        const improved = stopper.improved;
        curves.epochs.push(epoch + 1);
        curves.loss.push(logs.loss);
        if (logs.accuracy !== undefined) curves.accuracy?.push(logs.accuracy);
        if (logs.valLoss !== undefined) curves.valLoss?.push(logs.valLoss);
        if (logs.valAccuracy !== undefined) curves.valAccuracy?.push(logs.valAccuracy);
        progress.endEpoch({ ...logs, best: improved });
        if (net.stopTraining && !controller.signal.aborted) state.stoppedBy = 'early-stopping';
        if (!net.stopTraining && !controller.signal.aborted && epoch + 1 < o.epochs) progress.startEpoch(epoch + 2);
      },
    });
  } catch (err) {
    progress.stop();
    if ((err as { code?: string }).code === 'DENSELY_NONFINITE_LOSS') {
      throw new CliError(
        `training diverged: ${messageOf(err).replace(/^Training stopped: /, '')} (try a smaller --lr)`,
      );
    }
    throw new CliError(`training failed: ${messageOf(err)}`);
  } finally {
    progress.stop();
    process.removeListener('SIGINT', onSigint);
  }
  const seconds = (performance.now() - started) / 1000;
  if (stopper.bestEpoch < 0)
    throw new CliError('training produced no finite loss; nothing to save (try a smaller --lr)');
  const bestEpoch = stopper.bestEpoch + 1;
  out();
  const stoppedBy = state.stoppedBy;
  const why =
    stoppedBy === 'early-stopping'
      ? `early stopping: no better ${hasVal ? 'validation' : 'training'} loss for ${plural(o.patience, 'epoch')}`
      : stoppedBy === 'interrupt'
        ? 'interrupted'
        : 'reached --epochs';
  out(
    `stopped   after ${plural(epochCount, 'epoch')} in ${seconds.toFixed(1)}s (${why}); restored the weights of epoch ${bestEpoch}`,
  );

  const evalRows = hasVal ? split.validation : split.train;
  const xEval = hasVal ? xVal : xTrain;
  const yEval = hasVal ? yVal : yTrain;
  const on: 'validation' | 'training' = hasVal ? 'validation' : 'training';
  const metrics: Record<string, number> = {};
  out();
  out(
    `${on === 'validation' ? 'Validation' : 'Training'} metrics (${evalRows.length} rows, weights of epoch ${bestEpoch}):`,
  );
  const probs = net.predict(xEval);
  if (p.task === 'classification') {
    const k = p.classes!.length;
    const pred = argmaxRows(probs, k);
    const truth = Int32Array.from(evalRows, (r) => p.labels![r]!);
    metrics.loss = net.evaluate(xEval, yEval).loss;
    metrics.accuracy = accuracy(truth, pred);
    out(`  loss      ${fmt(metrics.loss)}`);
    out(`  accuracy  ${fmt(metrics.accuracy)}`);
    out();
    out('Confusion matrix (rows: true class, columns: predicted class):');
    for (const line of formatConfusion(confusionMatrix(truth, pred, k), p.classes!)) out(`  ${line}`);
  } else {
    const truth = Float64Array.from(evalRows, (r) => p.values![r]!);
    const pred = Float64Array.from(probs, (v) => v * scaling!.std + scaling!.mean);
    const m = regressionMetrics(truth, pred);
    Object.assign(metrics, m);
    out(`  MAE   ${fmt(m.mae)}`);
    out(`  RMSE  ${fmt(m.rmse)}`);
    out(`  R²    ${fmt(m.r2)}`);
  }

  if (o.chart && curves.epochs.length >= 2) {
    const color = io.stdout.isTTY === true && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb';
    const blocks: string[][] = [];
    const lossSeries: Series[] = [{ label: 'training', values: curves.loss, color: 36 }];
    if (curves.valLoss) lossSeries.push({ label: 'validation', values: curves.valLoss, color: 33, dashed: true });
    const log = wantsLogScale([...curves.loss, ...(curves.valLoss ?? [])]);
    blocks.push(brailleChart(lossSeries, { title: 'loss', width: 32, height: 6, color, log }));
    if (curves.accuracy) {
      const accSeries: Series[] = [{ label: 'training', values: curves.accuracy, color: 36 }];
      if (curves.valAccuracy)
        accSeries.push({ label: 'validation', values: curves.valAccuracy, color: 33, dashed: true });
      blocks.push(brailleChart(accSeries, { title: 'accuracy', width: 32, height: 6, color }));
    }
    out();
    for (const line of sideBySide(blocks)) out(line);
    out(`  ${legend(lossSeries, color)}`);
  }

  const training: TrainingRecord = {
    data: file === undefined ? 'bundled:digits.csv' : basename(file),
    rows,
    trainRows: split.train.length,
    validationRows: split.validation.length,
    hiddenLayers: o.layers,
    activation: o.activation,
    optimizer: 'adam',
    learningRate: o.lr,
    batchSize: o.batchSize,
    maxEpochs: o.epochs,
    patience: o.patience,
    epochsRun: epochCount,
    bestEpoch,
    metrics,
    metricsOn: on,
    seed: o.seed,
    backend: net.backend,
    threads,
    stoppedBy,
    date: new Date().toISOString(),
    denselyVersion: packageVersion(),
  };
  out();
  if (saveTo) {
    const meta = modelMetadata({
      task: p.task,
      target: p.target,
      preprocessing: pre,
      training,
      ...(p.classes ? { classes: p.classes } : {}),
      ...(scaling ? { targetScaling: scaling } : {}),
    });
    await writeOutput(saveTo, net.toSafetensors(meta, { optimizer: false }), 'model', io.stdout);
    out(`saved     model to ${o.save}`);
  }
  if (plotTo) {
    await writeOutput(
      plotTo,
      learningCurvesSvg(
        { ...curves, bestEpoch },
        `Learning curves: ${p.target} (${file === undefined ? 'bundled digits.csv' : basename(file)})`,
      ),
      'plot',
      io.stdout,
    );
    out(`saved     learning curves to ${o.plot}`);
  }
}
