/**
 * What `densely train` stores in a model file besides the network, and reading it back.
 *
 * Everything goes into the safetensors `__metadata__` as strings (JSON where structured),
 * under keys starting with `densely.cli.`:
 * - `densely.cli.task`: `classification` | `regression`
 * - `densely.cli.target`: the target column's name
 * - `densely.cli.classes`: JSON array of class names, output i = class i (classification)
 * - `densely.cli.targetScaling`: JSON `{ mean, std }`: the network predicts (y − mean) / std (regression)
 * - `densely.cli.preprocessing`: JSON {@link Preprocessing}
 * - `densely.cli.training`: JSON {@link TrainingRecord}
 */
import { readFileSync } from 'node:fs';
import type { BackendRequest } from '../backend/select';
import { Network } from '../index';
import type { Task } from './columns';
import { describeFsError } from './csv';
import { CliError, messageOf, quote } from './errors';
import { checkPreprocessing, type Preprocessing, shown } from './preprocess';

export const META = {
  task: 'densely.cli.task',
  target: 'densely.cli.target',
  classes: 'densely.cli.classes',
  targetScaling: 'densely.cli.targetScaling',
  preprocessing: 'densely.cli.preprocessing',
  training: 'densely.cli.training',
} as const;

/** How a model was trained: shown by `densely info`. */
export interface TrainingRecord {
  data: string;
  rows: number;
  trainRows: number;
  validationRows: number;
  hiddenLayers: number[];
  activation: string;
  optimizer: string;
  learningRate: number;
  batchSize: number;
  maxEpochs: number;
  patience: number;
  epochsRun: number;
  bestEpoch: number;
  /** Metrics of the kept weights on the validation rows (or the training rows when there are none). */
  metrics: Record<string, number>;
  metricsOn: 'validation' | 'training';
  seed: number;
  backend: string;
  threads: number;
  stoppedBy: 'early-stopping' | 'max-epochs' | 'interrupt';
  date: string;
  denselyVersion: string;
}

export interface CliModelInfo {
  task: Task;
  target: string;
  classes?: string[];
  targetScaling?: { mean: number; std: number };
  preprocessing: Preprocessing;
  training?: TrainingRecord;
}

/** The metadata entries for a trained model. */
export function modelMetadata(info: CliModelInfo): Record<string, string> {
  const meta: Record<string, string> = {
    [META.task]: info.task,
    [META.target]: info.target,
    [META.preprocessing]: JSON.stringify(info.preprocessing),
  };
  if (info.classes) meta[META.classes] = JSON.stringify(info.classes);
  if (info.targetScaling) meta[META.targetScaling] = JSON.stringify(info.targetScaling);
  if (info.training) meta[META.training] = JSON.stringify(info.training);
  return meta;
}

/** Reads a model file. @throws CliError when it cannot be read or is not a densely model. */
export function loadNetwork(path: string, backend: BackendRequest): { net: Network; bytes: number } {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new CliError(`cannot read model ${quote(path, 80)}: ${describeFsError(err)}`);
  }
  try {
    const net = Network.fromSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), { backend }, path);
    return { net, bytes: buf.byteLength };
  } catch (err) {
    if ((err as { code?: string }).code === 'DENSELY_NATIVE_UNAVAILABLE') throw new CliError(messageOf(err));
    throw new CliError(`${quote(path, 80)} is not a valid densely model file: ${messageOf(err)}`);
  }
}

/**
 * The `densely train` metadata of a loaded network, checked against its shape (what
 * predict relies on: task, target, preprocessing, classes or target scaling; the
 * training record is informational and kept only when it is an object).
 * @returns null when the model carries none (written by the library, not the command).
 * @throws CliError naming the file, the metadata entry and the field when it is present
 *   but inconsistent.
 */
export function readModelInfo(net: Network, path: string): CliModelInfo | null {
  const m = net.metadata;
  if (!hasCliMetadata(m)) return null;
  try {
    return checkModelInfo(m, net.inputs, net.outputs);
  } catch (err) {
    throw new CliError(`${quote(path, 80)} has corrupt densely train metadata: ${messageOf(err)}`);
  }
}

/** Whether the metadata has any `densely train` entry. */
export function hasCliMetadata(m: Record<string, unknown>): boolean {
  return Object.values(META).some((key) => m[key] !== undefined);
}

/** readModelInfo's checks. @throws Error "<entry>: <problem>" */
export function checkModelInfo(m: Record<string, unknown>, inputs: number, outputs: number): CliModelInfo {
  const task = m[META.task];
  if (task !== 'classification' && task !== 'regression')
    throw new Error(`${META.task} should be "classification" or "regression", not ${shown(task)}`);
  const target = m[META.target];
  if (typeof target !== 'string')
    throw new Error(`${META.target} should be the target column's name, not ${shown(target)}`);
  const preprocessing = entry(m, META.preprocessing, checkPreprocessing);
  if (preprocessing.inputs !== inputs) {
    throw new Error(
      `${META.preprocessing}: the preprocessing yields ${preprocessing.inputs} inputs but the network takes ${inputs}`,
    );
  }
  const info: CliModelInfo = { task, target, preprocessing };
  if (task === 'classification') {
    info.classes = entry(m, META.classes, (classes) => {
      if (!Array.isArray(classes) || !classes.every((c) => typeof c === 'string'))
        throw new Error(`should be a list of class names, not ${shown(classes)}`);
      if (classes.length !== outputs) throw new Error(`${classes.length} class names for ${outputs} outputs`);
      return classes as string[];
    });
  } else {
    info.targetScaling = entry(m, META.targetScaling, (s) => {
      const o = s as { mean?: unknown; std?: unknown } | null;
      if (typeof o !== 'object' || o === null || Array.isArray(o))
        throw new Error(`should be an object { mean, std }, not ${shown(s)}`);
      if (typeof o.mean !== 'number' || !Number.isFinite(o.mean))
        throw new Error(`mean should be a finite number, not ${shown(o.mean)}`);
      if (typeof o.std !== 'number' || !Number.isFinite(o.std) || !(o.std > 0))
        throw new Error(`std should be a finite number > 0, not ${shown(o.std)}`);
      return { mean: o.mean, std: o.std };
    });
    if (outputs !== 1) throw new Error(`${META.task}: a regression model needs 1 output, not ${outputs}`);
  }
  if (m[META.training] !== undefined) {
    try {
      const t = parseEntry(m[META.training]);
      if (typeof t === 'object' && t !== null && !Array.isArray(t)) info.training = t as TrainingRecord;
    } catch {
      /* informational only: `densely info` shows what it can of it */
    }
  }
  return info;
}

/** The JSON of a metadata entry. @throws Error when it is missing, not a string or not JSON. */
export function parseEntry(text: unknown): unknown {
  if (text === undefined) throw new Error('missing');
  if (typeof text !== 'string') throw new Error(`not a string but ${shown(text)}`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error('not valid JSON');
  }
}

function entry<T>(m: Record<string, unknown>, key: string, check: (value: unknown) => T): T {
  try {
    return check(parseEntry(m[key]));
  } catch (err) {
    throw new Error(`${key}: ${messageOf(err)}`);
  }
}
