/**
 * Training output: a progress bar per epoch (batches, samples/s, loss, ETA) when stdout
 * is a terminal, and one plain line per epoch in every case.
 */
import { Presets, SingleBar } from 'cli-progress';
import { fmt } from './metrics';

export interface EpochLine {
  epoch: number;
  epochs: number;
  loss: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  seconds: number;
  best: boolean;
}

/** One epoch's summary line, e.g. `epoch  3/100  loss 0.2345  acc 0.9312  val_loss 0.2011  val_acc 0.9444  52ms *`. */
export function formatEpochLine(e: EpochLine): string {
  const w = String(e.epochs).length;
  const parts = [`epoch ${String(e.epoch).padStart(w)}/${e.epochs}`, `loss ${fmt(e.loss)}`];
  if (e.accuracy !== undefined) parts.push(`acc ${fmt(e.accuracy)}`);
  if (e.valLoss !== undefined) parts.push(`val_loss ${fmt(e.valLoss)}`);
  if (e.valAccuracy !== undefined) parts.push(`val_acc ${fmt(e.valAccuracy)}`);
  parts.push(e.seconds < 1 ? `${Math.round(e.seconds * 1000)}ms` : `${e.seconds.toFixed(1)}s`);
  return parts.join('  ') + (e.best ? ' *' : '');
}

export class TrainingProgress {
  readonly #out: NodeJS.WriteStream;
  readonly #tty: boolean;
  readonly #batches: number;
  readonly #epochs: number;
  #bar: SingleBar | null = null;
  #epochStart = 0;
  #samples = 0;
  #lossSum = 0;
  #epoch = 0;

  constructor(out: NodeJS.WriteStream, batchesPerEpoch: number, epochs: number) {
    this.#out = out;
    this.#tty = out.isTTY === true && process.env.TERM !== 'dumb';
    this.#batches = batchesPerEpoch;
    this.#epochs = epochs;
  }

  /** Marks the start of epoch `epoch` (1-based). */
  startEpoch(epoch: number): void {
    this.#epoch = epoch;
    this.#epochStart = performance.now();
    this.#samples = 0;
    this.#lossSum = 0;
    if (!this.#tty) return;
    this.#bar = new SingleBar(
      {
        stream: this.#out,
        format: `epoch ${String(epoch).padStart(String(this.#epochs).length)}/${this.#epochs} {bar} {value}/{total} batches | {speed} samples/s | loss {loss} | ETA {eta_formatted}`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        fps: 15,
        etaBuffer: 20,
      },
      Presets.shades_classic,
    );
    this.#bar.start(this.#batches, 0, { speed: '-', loss: '-' });
  }

  /** After each batch: `loss` is its mean loss, `size` its rows. */
  batch(loss: number, size: number): void {
    this.#samples += size;
    this.#lossSum += loss * size;
    if (!this.#bar) return;
    const secs = (performance.now() - this.#epochStart) / 1000;
    this.#bar.increment(1, {
      speed: secs > 0 ? Math.round(this.#samples / secs).toLocaleString('en-US') : '-',
      loss: fmt(this.#lossSum / this.#samples),
    });
  }

  /** Ends the epoch's bar and prints its line. @returns the epoch's duration in seconds. */
  endEpoch(line: Omit<EpochLine, 'epoch' | 'epochs' | 'seconds'>): number {
    const seconds = (performance.now() - this.#epochStart) / 1000;
    this.stop();
    this.#out.write(`${formatEpochLine({ ...line, epoch: this.#epoch, epochs: this.#epochs, seconds })}\n`);
    return seconds;
  }

  /** Removes a running bar (on completion, interruption or error). */
  stop(): void {
    if (this.#bar) {
      this.#bar.stop();
      this.#bar = null;
    }
  }
}
