/**
 * fitDataset on native trains each batch on the worker thread: while a large batch trains,
 * the event loop keeps turning, so an async source can prepare the next batch meanwhile.
 * (On js a batch runs on the main thread: the source would see about one turn.)
 */
import { describe, expect, it } from 'vitest';
import { Dense, Network } from '../../lib/index';

describe('fitDataset off the event loop (native)', () => {
  it('the source is pulled, and the event loop turns, while a batch trains', async () => {
    const rows = 4096;
    const inputs = 256;
    const net = new Network({
      inputs,
      layers: [new Dense(256, { activation: 'relu' }), new Dense(1)],
      backend: 'native',
      seed: 1,
    });
    net.compile({ loss: 'mse', optimizer: 'sgd' });
    const x = new Float32Array(rows * inputs).map((_, i) => ((i * 7) % 13) / 13);
    const y = new Float32Array(rows).fill(0.5);
    let trained = false;
    let turns = 0;
    await net.fitDataset(
      async function* () {
        yield { x, y };
        // Pulled while batch 0 trains: count event-loop turns until it has finished.
        while (!trained) {
          await new Promise((resolve) => setImmediate(resolve));
          turns++;
        }
        yield { x: x.subarray(0, inputs), y: y.subarray(0, 1) };
      },
      {
        onBatchEnd: (b) => {
          if (b === 0) trained = true;
        },
      },
    );
    expect(trained).toBe(true);
    expect(turns).toBeGreaterThan(10);
  });
});
