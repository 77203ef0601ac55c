import { describe, expect, it } from 'vitest';
import { formatEpochLine, TrainingProgress } from '../../lib/cli/progress';

describe('formatEpochLine', () => {
  it('shows train and validation loss and accuracy, the time and the best marker', () => {
    expect(
      formatEpochLine({
        epoch: 3,
        epochs: 100,
        loss: 0.23456,
        accuracy: 0.93125,
        valLoss: 0.2,
        valAccuracy: 0.94444,
        seconds: 0.052,
        best: true,
      }),
    ).toBe('epoch   3/100  loss 0.2346  acc 0.9313  val_loss 0.2000  val_acc 0.9444  52ms *');
    expect(formatEpochLine({ epoch: 10, epochs: 10, loss: 1.5, seconds: 2.25, best: false })).toBe(
      'epoch 10/10  loss 1.5000  2.3s',
    );
  });
});

describe('TrainingProgress', () => {
  it('writes only the epoch lines when the stream is not a terminal', () => {
    let written = '';
    const stream = {
      isTTY: false,
      write: (s: string) => {
        written += s;
        return true;
      },
    } as unknown as NodeJS.WriteStream;
    const p = new TrainingProgress(stream, 2, 1);
    p.startEpoch(1);
    p.batch(0.5, 32);
    p.batch(0.3, 16);
    p.endEpoch({ loss: 0.4, best: true });
    expect(written).toMatch(/^epoch 1\/1 {2}loss 0\.4000 {2}\d+ms \*\n$/);
  });
});
