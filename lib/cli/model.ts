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
import { Network } from '../index';
import { CliError, messageOf, quote } from './errors';
import { describeFsError } from './csv';
import { checkPreprocessing, type Preprocessing } from './preprocess';
import type { Task } from './columns';

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
export function loadNetwork(path: string, backend: 'auto' | 'js' | 'native'): { net: Network; bytes: number } {
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
 * The `densely train` metadata of a loaded network, checked against its shape.
 * @returns null when the model carries none (written by the library, not the command).
 * @throws CliError when the metadata is present but inconsistent.
 */
export function readModelInfo(net: Network, path: string): CliModelInfo | null {
  const m = net.metadata;
  if (m[META.task] === undefined && m[META.preprocessing] === undefined) return null;
  try {
    const task = m[META.task];
    if (task !== 'classification' && task !== 'regression') throw new Error(`unknown task ${quote(String(task))}`);
    const target = m[META.target];
    if (typeof target !== 'string') throw new Error('no target column name');
    const preprocessing = checkPreprocessing(parseJson(m[META.preprocessing], 'preprocessing'));
    if (preprocessing.inputs !== net.inputs) {
      throw new Error(`the preprocessing yields ${preprocessing.inputs} inputs but the network takes ${net.inputs}`);
    }
    const info: CliModelInfo = { task, target, preprocessing };
    if (task === 'classification') {
      const classes = parseJson(m[META.classes], 'classes');
      if (!Array.isArray(classes) || !classes.every((c) => typeof c === 'string')) throw new Error('classes is not a list of names');
      if (classes.length !== net.outputs) throw new Error(`${classes.length} class names for ${net.outputs} outputs`);
      info.classes = classes as string[];
    } else {
      const s = parseJson(m[META.targetScaling], 'targetScaling') as { mean?: unknown; std?: unknown };
      if (typeof s !== 'object' || s === null || !Number.isFinite(s.mean) || !Number.isFinite(s.std) || !((s.std as number) > 0)) {
        throw new Error('targetScaling needs a finite mean and a positive std');
      }
      if (net.outputs !== 1) throw new Error(`a regression model needs 1 output, not ${net.outputs}`);
      info.targetScaling = { mean: s.mean as number, std: s.std as number };
    }
    if (m[META.training] !== undefined) info.training = parseJson(m[META.training], 'training') as TrainingRecord;
    return info;
  } catch (err) {
    throw new CliError(`${quote(path, 80)} has corrupt densely train metadata: ${messageOf(err)}`);
  }
}

function parseJson(text: string | undefined, what: string): unknown {
  if (text === undefined) throw new Error(`no ${what} entry`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`the ${what} entry is not valid JSON`);
  }
}
