/**
 * `densely train --stream`: training on a CSV file larger than memory. The file is read
 * by `csvDataset` (lib/training/csv_dataset.ts): a first streaming pass for the
 * statistics (column kinds, means and stds, categories, classes), then one streaming pass
 * per epoch through `fitDataset`, so memory stays bounded by a few batches whatever the
 * file's size.
 *
 * Differences from the in-memory `train`: no validation split (there is no row set to
 * draw it from without a pass over the file), so early stopping watches the training loss
 * and the final metrics are those of the best epoch on the training rows (measured during
 * that epoch); no shuffling (rows train in file order); the preprocessing statistics come
 * from every row. The saved model has the same metadata, so `densely predict` and
 * `densely info` read it as any other.
 */
import { basename, join } from 'node:path';
import type { ActivationName } from '../backend/types';
import { Adam, backendInfo, Dense, earlyStopping, Network, setThreads } from '../index';
import { csvDataset } from '../training/csv_dataset';
import { CliError, messageOf, quote, usageError } from './errors';
import { type Output, resolveOutput, writeOutput } from './files';
import { fmt } from './metrics';
import { modelMetadata, type TrainingRecord } from './model';
import { TrainingProgress } from './progress';
import { packageVersion, resolveRequest } from './runtime';
import { type Curves, learningCurvesSvg } from './svg';
import { bundledDigits, type Io, plural, sigintHandler, type TrainOptions } from './train';

/** Runs `densely train --stream` (see the module comment). @throws CliError on bad input or a failed run. */
export async function runTrainStream(file: string | undefined, o: TrainOptions, io: Io): Promise<void> {
  const out = (s = ''): boolean => io.stdout.write(`${s}\n`);
  const path = file ?? bundledDigits();
  const shown = file ?? `bundled digits (${join('data', 'digits.csv')})`;
  const inputs = [{ path, role: 'the data file' }];
  const saveTo: Output | null = o.save ? resolveOutput(o.save, 'model', '--save', inputs) : null;
  const plotTo: Output | null = o.plot ? resolveOutput(o.plot, 'plot', '--plot', inputs) : null;
  if (saveTo?.kind === 'replace' && plotTo?.kind === 'replace' && saveTo.path === plotTo.path) {
    throw usageError(`--save and --plot name the same file ${quote(o.save!, 80)}; give them different paths`);
  }
  const data = await csvDataset(path, {
    ...(o.target !== undefined ? { target: o.target } : {}),
    ...(o.task !== undefined ? { task: o.task } : {}),
    categorical: o.categorical,
    drop: o.drop,
    batchSize: o.batchSize,
  });

  const { backend, note } = resolveRequest(o.backend);
  if (note) io.stderr.write(`densely: note: using the js backend; ${note}\n`);
  if (o.threads !== undefined) setThreads(o.threads);
  const classification = data.task === 'classification';
  const outAct: ActivationName = classification ? 'softmax' : 'linear';
  let net: Network;
  try {
    net = new Network({
      inputs: data.inputs,
      layers: [
        ...o.layers.map((u) => new Dense(u, { activation: o.activation })),
        new Dense(data.outputs, { activation: outAct }),
      ],
      backend,
      seed: o.seed,
    });
  } catch (err) {
    throw new CliError(messageOf(err));
  }
  net.compile({
    loss: data.loss,
    optimizer: new Adam({ learningRate: o.lr }),
    metrics: classification ? ['accuracy'] : [],
  });
  const info = backendInfo();
  const threads = net.backend === 'native' ? info.threads : 1;
  const pre = data.preprocessing;
  const numericCount = pre.features.filter((f) => f.kind === 'numeric').length;
  out(
    `data      ${shown} (streamed): ${data.rows} rows, ${pre.features.length} features (${numericCount} numeric standardised, ${pre.features.length - numericCount} categorical one-hot) → ${pre.inputs} inputs`,
  );
  out(
    classification
      ? `task      classification of ${quote(data.target)}: ${data.classes!.length} classes`
      : `task      regression of ${quote(data.target)} (mean ${fmt(data.targetScaling!.mean)}, std ${fmt(data.targetScaling!.std)}; trained on the standardised target)`,
  );
  out('split     none: --stream trains on every row in file order; early stopping watches the training loss');
  out(
    `training  ${net.backend} backend, adam lr ${o.lr}, batch size ${o.batchSize}, up to ${plural(o.epochs, 'epoch')}, early stopping after ${plural(o.patience, 'epoch')} without a better training loss`,
  );
  out();

  const progress = new TrainingProgress(io.stdout, Math.ceil(data.rows / o.batchSize), o.epochs);
  const controller = new AbortController();
  // An object: TypeScript does not see the callbacks' writes to a plain variable.
  const state: { stoppedBy: TrainingRecord['stoppedBy'] } = { stoppedBy: 'max-epochs' };
  // Early stopping on the training loss, the best epoch's weights put back when
  // fitDataset ends (however it ends), as `train` does on its validation loss.
  const stopper = earlyStopping({ monitor: 'loss', patience: o.patience, restoreBestWeights: true });
  const epochLogs: Array<{ loss: number; accuracy?: number }> = [];
  let epochCount = 0;
  const curves: Curves = { epochs: [], loss: [] };
  if (classification) curves.accuracy = [];
  const onSigint = sigintHandler(controller, progress, io, state);
  process.on('SIGINT', onSigint);
  const started = performance.now();
  try {
    progress.startEpoch(1);
    await net.fitDataset(data.batches, {
      epochs: o.epochs,
      signal: controller.signal,
      onBatchEnd: (_batch, logs) => progress.batch(logs.loss, logs.size),
      callbacks: [stopper],
      onEpochEnd: (epoch, logs) => {
        epochCount = epoch + 1;
        epochLogs[epoch] = logs;
        curves.epochs.push(epoch + 1);
        curves.loss.push(logs.loss);
        if (logs.accuracy !== undefined) curves.accuracy?.push(logs.accuracy);
        progress.endEpoch({ ...logs, best: stopper.improved });
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
    throw err instanceof CliError ? err : new CliError(`training failed: ${messageOf(err)}`);
  } finally {
    progress.stop();
    process.removeListener('SIGINT', onSigint);
  }
  const seconds = (performance.now() - started) / 1000;
  if (stopper.bestEpoch < 0)
    throw new CliError('training produced no finite loss; nothing to save (try a smaller --lr)');
  const bestEpoch = stopper.bestEpoch + 1;
  const kept = epochLogs[stopper.bestEpoch]!;
  out();
  const stoppedBy = state.stoppedBy;
  const why =
    stoppedBy === 'early-stopping'
      ? `early stopping: no better training loss for ${plural(o.patience, 'epoch')}`
      : stoppedBy === 'interrupt'
        ? 'interrupted'
        : 'reached --epochs';
  out(
    `stopped   after ${plural(epochCount, 'epoch')} in ${seconds.toFixed(1)}s (${why}); restored the weights of epoch ${bestEpoch}`,
  );
  const metrics: Record<string, number> = { loss: kept.loss };
  if (kept.accuracy !== undefined) metrics.accuracy = kept.accuracy;
  out();
  out(`Training metrics of epoch ${bestEpoch} (${data.rows} rows, measured during that epoch):`);
  out(`  loss      ${fmt(kept.loss)}`);
  if (kept.accuracy !== undefined) out(`  accuracy  ${fmt(kept.accuracy)}`);

  const training: TrainingRecord = {
    data: file === undefined ? 'bundled:digits.csv' : basename(file),
    rows: data.rows,
    trainRows: data.rows,
    validationRows: 0,
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
    metricsOn: 'training',
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
      task: data.task,
      target: data.target,
      preprocessing: pre,
      training,
      ...(data.classes ? { classes: data.classes } : {}),
      ...(data.targetScaling ? { targetScaling: data.targetScaling } : {}),
    });
    await writeOutput(saveTo, net.toSafetensors(meta), 'model', io.stdout);
    out(`saved     model to ${o.save}`);
  }
  if (plotTo) {
    await writeOutput(
      plotTo,
      learningCurvesSvg({ ...curves, bestEpoch }, `Learning curves: ${data.target} (${basename(path)}, streamed)`),
      'plot',
      io.stdout,
    );
    out(`saved     learning curves to ${o.plot}`);
  }
}
