/**
 * `densely info <model>`: architecture, parameter count, preprocessing and training
 * metadata.
 *
 * It shows what it can of any model file that loads: each `densely train` metadata entry
 * is read on its own, a field of an unexpected type is shown as what it holds (or left
 * out) rather than as "undefined", and when the metadata would make `predict` refuse the
 * model, a last line says why. Only a file that does not load as a network fails.
 */
import { listNames } from './csv';
import { messageOf, quote } from './errors';
import { fmt } from './metrics';
import { checkModelInfo, hasCliMetadata, loadNetwork, META, parseEntry } from './model';
import { shown } from './preprocess';
import type { Io } from './train';

export interface InfoOptions {
  /** List every feature (default: at most 12). */
  all: boolean;
}

function size(bytes: number): string {
  return bytes < 1024
    ? `${bytes} B`
    : bytes < 1048576
      ? `${(bytes / 1024).toFixed(1)} KiB`
      : `${(bytes / 1048576).toFixed(1)} MiB`;
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A number field as fmt shows it, else what the field holds. */
function num(v: unknown): string {
  return typeof v === 'number' ? fmt(v) : shown(v);
}

/** A field shown plainly when it is a string or number, else as JSON. */
function text(v: unknown): string {
  return typeof v === 'string' ? v.replace(/[\r\n\t]/g, ' ') : typeof v === 'number' ? String(v) : shown(v);
}

/** An entry's JSON, or the reason it cannot be read. */
function read(m: Obj, key: string): { value: unknown } | { error: string } {
  try {
    return { value: parseEntry(m[key]) };
  } catch (err) {
    return { error: `${key} is ${messageOf(err)}` };
  }
}

export function runInfo(modelPath: string, o: InfoOptions, io: Io): void {
  const { net, bytes } = loadNetwork(modelPath, 'js');
  const out = (s = ''): boolean => io.stdout.write(`${s}\n`);
  out(`model         ${modelPath} (${size(bytes)}, safetensors)`);
  const arch: string[] = [`${net.inputs} inputs`];
  for (const layer of net.layers) {
    const l = layer.toJSON() as { type?: string; units?: number; activation?: string; rate?: number };
    if (l.type === 'dense') arch.push(`dense ${l.units} ${l.activation ?? 'linear'}`);
    else if (l.type === 'dropout') arch.push(`dropout ${l.rate}`);
    else arch.push(String(l.type));
  }
  out(`architecture  ${arch.join(' → ')}`);
  out(`parameters    ${net.paramCount.toLocaleString('en-US')}`);
  const m = net.metadata as Obj;
  if (!hasCliMetadata(m)) {
    out('metadata      none from "densely train" (no task or preprocessing): a model saved by the library');
    return;
  }
  showTask(m, out);
  showPreprocessing(m, o, out);
  showTraining(m, out);
  try {
    checkModelInfo(m, net.inputs, net.outputs);
  } catch (err) {
    out(`problem       predict will refuse this model: ${messageOf(err)}`);
  }
}

function showTask(m: Obj, out: (s?: string) => void): void {
  const task = m[META.task];
  const target =
    typeof m[META.target] === 'string'
      ? quote(m[META.target] as string)
      : `an unnamed target (${META.target} is ${shown(m[META.target])})`;
  if (task === 'classification') {
    const c = read(m, META.classes);
    const classes = 'value' in c && Array.isArray(c.value) ? c.value.map(text) : null;
    out(
      `task          classification of ${target}, ${classes ? `${classes.length} classes: ${listNames(classes, 20)}` : `classes unreadable (${'error' in c ? c.error : `${META.classes} is ${shown(c.value)}`})`}`,
    );
  } else if (task === 'regression') {
    const s = read(m, META.targetScaling);
    const scaling = 'value' in s && isObject(s.value) ? s.value : null;
    out(
      `task          regression of ${target} ${
        scaling
          ? `(outputs are rescaled: y = output × ${num(scaling.std)} + ${num(scaling.mean)})`
          : `(scaling unreadable: ${'error' in s ? s.error : `${META.targetScaling} is ${shown(s.value)}`})`
      }`,
    );
  } else {
    out(`task          unknown (${META.task} is ${shown(task)}), target ${target}`);
  }
}

function showPreprocessing(m: Obj, o: InfoOptions, out: (s?: string) => void): void {
  const p = read(m, META.preprocessing);
  if ('error' in p) {
    out(`preprocessing unreadable: ${p.error}`);
    return;
  }
  const features = isObject(p.value) && Array.isArray(p.value.features) ? (p.value.features as unknown[]) : null;
  if (features === null) {
    out(`preprocessing unreadable: ${META.preprocessing} has no features list (${shown(p.value)})`);
    return;
  }
  const f = features.map((raw, i) => {
    const g = isObject(raw) ? raw : {};
    return { name: typeof g.name === 'string' ? g.name : `#${i + 1} (unnamed)`, kind: g.kind, g, raw };
  });
  const numeric = f.filter((x) => x.kind === 'numeric').length;
  const categorical = f.filter((x) => x.kind === 'categorical').length;
  const other = f.length - numeric - categorical;
  const inputs = isObject(p.value) ? p.value.inputs : undefined;
  out(
    `preprocessing ${f.length} input columns → ${text(inputs)} inputs: ${numeric} numeric standardised with training-split mean/std, ${categorical} categorical one-hot` +
      (other > 0 ? `, ${other} of unknown kind` : ''),
  );
  const list = o.all ? f : f.slice(0, 12);
  const w = Math.min(24, Math.max(1, ...list.map((x) => x.name.length)));
  for (const x of list) {
    const name = x.name.length > w ? `${x.name.slice(0, w - 1)}…` : x.name.padEnd(w);
    if (x.kind === 'numeric') {
      out(`  ${name}  numeric      mean ${num(x.g.mean)}  std ${num(x.g.std)}`);
    } else if (x.kind === 'categorical') {
      const cats = Array.isArray(x.g.categories) ? x.g.categories.map(text) : null;
      out(
        `  ${name}  categorical  ${cats ? `${cats.length} categories: ${listNames(cats, 6)}` : `categories unreadable (${shown(x.g.categories)})`}`,
      );
    } else {
      out(`  ${name}  unknown      ${shown(x.raw)}`);
    }
  }
  if (list.length < f.length) out(`  … and ${f.length - list.length} more (densely info --all lists them)`);
}

function showTraining(m: Obj, out: (s?: string) => void): void {
  if (m[META.training] === undefined) return;
  const r = read(m, META.training);
  if ('error' in r || !isObject(r.value)) {
    out(`training      unreadable: ${'error' in r ? r.error : `${META.training} is ${shown(r.value)}`}`);
    return;
  }
  const t = r.value;
  // Each line from the fields present; a field of an unexpected type shows what it holds.
  const v = (key: string, render: (s: string) => string = (s) => s): string =>
    t[key] === undefined ? '' : render(text(t[key]));
  const line = (label: string, ...parts: string[]): void => {
    const body = parts.filter((x) => x !== '').join(' ');
    if (body !== '') out(`  ${label.padEnd(11)} ${body}`);
  };
  out('training');
  line(
    'data',
    v('data', (s) => (t.rows === undefined ? s : `${s}:`)),
    v('rows', (s) => `${s} rows`),
    t.trainRows !== undefined || t.validationRows !== undefined
      ? `(${text(t.trainRows)} training, ${text(t.validationRows)} validation)`
      : '',
  );
  const hidden = Array.isArray(t.hiddenLayers)
    ? t.hiddenLayers.map(text).join(',') || 'none'
    : t.hiddenLayers === undefined
      ? ''
      : text(t.hiddenLayers);
  line(
    'optimizer',
    v('optimizer'),
    v('learningRate', (s) => `lr ${s}`),
    v('batchSize', (s) => `batch size ${s}`),
    hidden === '' ? '' : `hidden layers ${hidden}`,
    v('activation', (s) => `(${s})`),
  );
  line(
    'epochs',
    v('epochsRun'),
    v('maxEpochs', (s) => `of at most ${s}`),
    v('bestEpoch', (s) => `best ${s}`),
    v('stoppedBy', (s) => `(${s})`),
    v('patience', (s) => `patience ${s}`),
  );
  if (t.metrics !== undefined) {
    const label: Record<string, string> = { mae: 'MAE', rmse: 'RMSE', r2: 'R²' };
    const metrics = isObject(t.metrics)
      ? Object.entries(t.metrics)
          .map(([k, x]) => `${label[k] ?? k} ${num(x)}`)
          .join(', ')
      : shown(t.metrics);
    line(
      'metrics',
      metrics,
      v('metricsOn', (s) => `(on the ${s} rows)`),
    );
  }
  line(
    'run',
    v('backend', (s) => `${s} backend,`),
    typeof t.threads === 'number'
      ? `${t.threads} thread${t.threads === 1 ? '' : 's'},`
      : v('threads', (s) => `threads ${s},`),
    v('seed', (s) => `seed ${s},`),
    v('denselyVersion', (s) => `densely ${s},`),
    v('date'),
  );
}
