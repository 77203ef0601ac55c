/** `densely info <model>`: architecture, parameter count, preprocessing and training metadata. */
import { listNames } from './csv';
import { quote } from './errors';
import { fmt } from './metrics';
import { loadNetwork, readModelInfo } from './model';
import type { Io } from './train';

export interface InfoOptions {
  /** List every feature (default: at most 12). */
  all: boolean;
}

function size(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1048576 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1048576).toFixed(1)} MiB`;
}

export function runInfo(modelPath: string, o: InfoOptions, io: Io): void {
  const { net, bytes } = loadNetwork(modelPath, 'js');
  const info = readModelInfo(net, modelPath);
  const out = (s = ''): boolean => io.stdout.write(`${s}\n`);
  out(`model         ${modelPath} (${size(bytes)}, safetensors)`);
  const arch: string[] = [`${net.inputs} inputs`];
  for (const layer of net.layers) {
    const l = layer.toJSON() as { type?: string; units?: number; activation?: string; rate?: number };
    arch.push(l.units !== undefined ? `dense ${l.units} ${l.activation ?? 'linear'}` : `dropout ${l.rate}`);
  }
  out(`architecture  ${arch.join(' → ')}`);
  out(`parameters    ${net.paramCount.toLocaleString('en-US')}`);
  if (info === null) {
    out('metadata      none from "densely train" (no task or preprocessing): a model saved by the library');
    return;
  }
  if (info.task === 'classification') {
    out(`task          classification of ${quote(info.target)}, ${info.classes!.length} classes: ${listNames(info.classes!, 20)}`);
  } else {
    out(`task          regression of ${quote(info.target)} (outputs are rescaled: y = output × ${fmt(info.targetScaling!.std)} + ${fmt(info.targetScaling!.mean)})`);
  }
  const pre = info.preprocessing;
  const numeric = pre.features.filter((f) => f.kind === 'numeric').length;
  out(`preprocessing ${pre.features.length} input columns → ${pre.inputs} inputs: ${numeric} numeric standardised with training-split mean/std, ${pre.features.length - numeric} categorical one-hot`);
  const shown = o.all ? pre.features : pre.features.slice(0, 12);
  const w = Math.min(24, Math.max(...shown.map((f) => f.name.length)));
  for (const f of shown) {
    const name = f.name.length > w ? `${f.name.slice(0, w - 1)}…` : f.name.padEnd(w);
    out(
      f.kind === 'numeric'
        ? `  ${name}  numeric      mean ${fmt(f.mean)}  std ${fmt(f.std)}`
        : `  ${name}  categorical  ${f.categories.length} categories: ${listNames(f.categories, 6)}`,
    );
  }
  if (shown.length < pre.features.length) out(`  … and ${pre.features.length - shown.length} more (densely info --all lists them)`);
  const t = info.training;
  if (t) {
    out('training');
    out(`  data        ${t.data}: ${t.rows} rows (${t.trainRows} training, ${t.validationRows} validation)`);
    out(`  optimizer   ${t.optimizer} lr ${t.learningRate}, batch size ${t.batchSize}, hidden layers ${t.hiddenLayers.join(',') || 'none'} (${t.activation})`);
    out(`  epochs      ${t.epochsRun} of at most ${t.maxEpochs}, best ${t.bestEpoch} (${t.stoppedBy}, patience ${t.patience})`);
    const label: Record<string, string> = { mae: 'MAE', rmse: 'RMSE', r2: 'R²' };
    const metrics = Object.entries(t.metrics ?? {}).map(([k, v]) => `${label[k] ?? k} ${fmt(v)}`);
    out(`  metrics     ${metrics.join(', ')} (on the ${t.metricsOn} rows)`);
    out(`  run         ${t.backend} backend, ${t.threads} thread${t.threads === 1 ? '' : 's'}, seed ${t.seed}, densely ${t.denselyVersion}, ${t.date}`);
  }
}
