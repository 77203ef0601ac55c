/**
 * The `densely` command: `train`, `predict` and `info` (commander). Exit status 0 on
 * success, 1 when a command fails (bad data, unreadable model), 2 on a usage error;
 * every error is one line on stderr starting with `densely: `.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { BackendRequest } from '../backend/select';
import type { ActivationName } from '../backend/types';
import { ACTIVATIONS } from '../layers/dense';
import { CliError, EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, messageOf } from './errors';
import { runExport } from './export';
import { runInfo } from './info';
import { runPredict } from './predict';
import { packageVersion } from './runtime';
import { type Io, runTrain, type TrainOptions } from './train';

function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\s*[+-]?\d+\s*$/.test(value) || n < min || n > max) {
      throw new InvalidArgumentError(
        `expected an integer${max === Number.MAX_SAFE_INTEGER ? ` ≥ ${min}` : ` in [${min}, ${max}]`}.`,
      );
    }
    return n;
  };
}

function fraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n < 1)) throw new InvalidArgumentError('expected a number in [0, 1).');
  return n;
}

function positive(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('expected a positive number.');
  return n;
}

function layerList(value: string): number[] {
  if (value === '' || value === 'none') return [];
  const parts = value.split(',').map((s) => s.trim());
  if (!parts.every((s) => /^\d+$/.test(s) && Number(s) > 0)) {
    throw new InvalidArgumentError('expected comma-separated positive integers (e.g. 64,32) or "none".');
  }
  return parts.map(Number);
}

function nameList(value: string, previous: string[] | undefined): string[] {
  return [
    ...(previous ?? []),
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  ];
}

const backendOption = (): Option =>
  new Option('--backend <name>', 'compute backend').choices(['auto', 'native', 'js']).default('auto');
const threadsOption = (): Option =>
  new Option('--threads <n>', 'threads for the native backend (default: available cores)').argParser(integer(1, 1024));

/** Builds the command-line program writing to `io`. */
export function buildProgram(io: Io): Command {
  const program = new Command();
  program
    .name('densely')
    .description('Train dense neural networks on CSV files, predict with them, and inspect saved models.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) =>
        write(
          `densely: ${s
            .trim()
            .replace(/^error: /, '')
            .replace(/\n+/g, ' ')} (see --help)\n`,
        ),
    })
    .addHelpText(
      'after',
      `
Examples:
  $ densely train                                    train on the bundled digits data
  $ densely train iris.csv --target species --save iris.safetensors --plot curves.svg
  $ densely predict iris.safetensors new.csv --out predictions.csv
  $ densely info iris.safetensors
  $ densely export iris.safetensors --onnx iris.onnx`,
    );

  program
    .command('train')
    .description('train a network on a CSV file with a header row (default: the bundled digits data)')
    .argument('[file]', 'CSV file with a header row')
    .option('-t, --target <column>', 'column to predict (default: the last column)')
    .addOption(new Option('--task <task>', 'override the inferred task').choices(['classification', 'regression']))
    .option('--validation <fraction>', 'fraction of rows held out for validation (stratified)', fraction, 0.2)
    .addOption(
      new Option('--layers <sizes>', 'hidden layer sizes, comma-separated, or "none"')
        .argParser(layerList)
        .default([64, 32], '64,32'),
    )
    .addOption(
      new Option('--activation <name>', 'hidden layer activation')
        .choices(ACTIVATIONS.filter((a) => a !== 'softmax'))
        .default('relu'),
    )
    .option('-e, --epochs <n>', 'maximum epochs', integer(1), 100)
    .option('-b, --batch-size <n>', 'mini-batch size', integer(1), 32)
    .option('--lr <rate>', 'Adam learning rate', positive, 0.003)
    .option(
      '--patience <n>',
      'stop after this many epochs without a better validation loss; the best weights are restored',
      integer(1),
      10,
    )
    .option('--seed <n>', 'seed for the split, initial weights and shuffling', integer(0, 4294967295), 42)
    .addOption(backendOption())
    .addOption(threadsOption())
    .option(
      '-s, --save <model>',
      'write the trained model (safetensors, with preprocessing and class names); never the data file',
    )
    .option('-p, --plot <svg>', 'write the learning curves as an SVG file; never the data file')
    .option(
      '--categorical <columns>',
      'treat these comma-separated columns as categorical (one-hot) even if numeric',
      nameList,
    )
    .option('--drop <columns>', 'ignore these comma-separated columns', nameList)
    .option('--no-chart', 'do not draw the learning curves in the terminal')
    .option(
      '--stream',
      'stream the file instead of reading it into memory (files larger than memory): statistics in a first pass, then one pass per epoch in file order; no validation split',
    )
    .action(async (file: string | undefined, opts: Record<string, unknown>) => {
      const o: TrainOptions = {
        validation: opts.validation as number,
        layers: opts.layers as number[],
        activation: opts.activation as ActivationName,
        epochs: opts.epochs as number,
        batchSize: opts.batchSize as number,
        lr: opts.lr as number,
        patience: opts.patience as number,
        seed: opts.seed as number,
        backend: opts.backend as TrainOptions['backend'],
        categorical: (opts.categorical as string[] | undefined) ?? [],
        drop: (opts.drop as string[] | undefined) ?? [],
        chart: opts.chart as boolean,
      };
      if (opts.target !== undefined) o.target = opts.target as string;
      if (opts.task !== undefined) o.task = opts.task as TrainOptions['task'] & string;
      if (opts.threads !== undefined) o.threads = opts.threads as number;
      if (opts.save !== undefined) o.save = opts.save as string;
      if (opts.plot !== undefined) o.plot = opts.plot as string;
      if (opts.stream === true) o.stream = true;
      await runTrain(file, o, io);
    });

  program
    .command('predict')
    .description('predict with a model written by "densely train --save"; writes CSV')
    .argument('<model>', 'model file (.safetensors)')
    .argument('<file>', "CSV file with the model's input columns (any order; extra columns are ignored)")
    .option(
      '-o, --out <file>',
      'write the predictions to this file ("-": stdout, the default); a symlink is followed and its target replaced atomically, a named pipe or device written through',
    )
    .option(
      '--allow-nonfinite',
      'write NaN/Infinity outputs (an overflowing model) instead of failing on the first such row',
      false,
    )
    .addOption(backendOption())
    .addOption(threadsOption())
    .action(async (model: string, file: string, opts: Record<string, unknown>) => {
      await runPredict(
        model,
        file,
        {
          backend: opts.backend as BackendRequest,
          allowNonFinite: opts.allowNonfinite === true,
          ...(opts.out !== undefined ? { out: opts.out as string } : {}),
          ...(opts.threads !== undefined ? { threads: opts.threads as number } : {}),
        },
        io,
      );
    });

  program
    .command('info')
    .description("print a model's architecture, parameter count, preprocessing and training metadata")
    .argument('<model>', 'model file (.safetensors)')
    .option('-a, --all', 'list every input column', false)
    .action((model: string, opts: { all: boolean }) => {
      runInfo(model, { all: opts.all }, io);
    });

  program
    .command('export')
    .description('write a saved model as ONNX, or as a PyTorch state_dict and nn.Sequential source')
    .argument('<model>', 'model file (.safetensors)')
    .option('--onnx <file>', 'write the ONNX model (opset 13, or 17 with LayerNorm) to this file')
    .option('--torch <file>', 'write the nn.Sequential state_dict (safetensors, PyTorch layout) to this file')
    .option('--torch-source <file>', 'write the nn.Sequential as Python source to this file')
    .action(async (model: string, opts: Record<string, unknown>) => {
      await runExport(
        model,
        {
          ...(opts.onnx !== undefined ? { onnx: opts.onnx as string } : {}),
          ...(opts.torch !== undefined ? { torch: opts.torch as string } : {}),
          ...(opts.torchSource !== undefined ? { torchSource: opts.torchSource as string } : {}),
        },
        io,
      );
    });

  program
    .command('build-native')
    .description(
      'compile the native addon for this machine from the bundled sources (needs a C++17 compiler, make and python3)',
    )
    .action(() => {
      const script = path.join(__dirname, '..', '..', '..', 'scripts', 'build-from-source.cjs');
      const r = spawnSync(process.execPath, [script], { stdio: 'inherit' });
      if (r.status !== 0)
        throw new CliError(
          `the source build failed (${r.error ? r.error.message : `exit ${r.status}`}); see the messages above`,
          EXIT_RUNTIME,
        );
    });
  return program;
}

/** Runs the command with `argv` (without node and script) and returns the exit status. */
export async function main(
  argv: readonly string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const program = buildProgram(io);
  // A closed pipe (`densely predict … | head`) ends the command quietly, as other CLIs do.
  io.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT_OK);
    throw err;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    if (err instanceof CliError) {
      io.stderr.write(`densely: ${err.message.replace(/^densely: /, '')}\n`);
      return err.exitCode;
    }
    io.stderr.write(`densely: internal error: ${messageOf(err).replace(/^densely: /, '')}\n`);
    if (process.env.DENSELY_DEBUG) io.stderr.write(`${(err as Error).stack ?? ''}\n`);
    return EXIT_RUNTIME;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
