/**
 * predict after anything that writes the weights gives the numbers of a fresh network
 * holding the same weights, bit for bit. On native, predict keeps each dense kernel packed
 * between calls (Network::set_inference_cache): these catch a stale packed copy. Each
 * case predicts first (so a packed copy exists), writes the weights, predicts again, and
 * only then reads the weights for the fresh network (reading them marks the copy stale).
 * predictAsync runs on a worker without the cache, so its equality with predict is the
 * cached-vs-plain check from JS.
 */
import { describe, expect, it } from 'vitest';
import { Dense, Dropout, earlyStopping, Network } from '../../lib/index';
import { BACKEND } from '../support/backend';
import { expectBitExact } from '../support/close';
import { TestRng } from '../support/rng';

const INPUTS = 40;

function make(seed = 3): Network {
  const net = new Network({
    inputs: INPUTS,
    layers: [
      new Dense(48, { activation: 'relu' }),
      new Dropout(0.2),
      new Dense(33, { activation: 'tanh' }),
      new Dense(20, { activation: 'leakyRelu', alpha: 0.1 }),
      new Dense(10, { activation: 'softmax' }),
    ],
    backend: BACKEND,
    seed,
  });
  net.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam' });
  return net;
}

function data(rows: number, seed: number): { x: Float32Array; y: Float32Array } {
  const rng = new TestRng(seed);
  const x = rng.float32Array(rows * INPUTS, -1, 1);
  const y = new Float32Array(rows * 10);
  for (let r = 0; r < rows; r++) y[r * 10 + (r % 10)] = 1;
  return { x, y };
}

/** A fresh network holding `net`'s weights (read only now), predicting x. */
function freshPredict(net: Network, x: Float32Array): Float32Array {
  const other = make(99);
  other.setWeights(net.getWeights());
  return other.predict(x);
}

// Rows per call: the packed path (64, 300), the direct path (1, 2), and several chunks of
// 1024 rows (2100: 1024 + 1024 + 52).
const ROWS = [1, 2, 64, 300, 2100];

function predictAll(net: Network, xs: Float32Array[]): Float32Array[] {
  return xs.map((x) => net.predict(x));
}

function expectFresh(net: Network, xs: Float32Array[], label: string): void {
  const got = predictAll(net, xs);
  got.forEach((g, i) => {
    expectBitExact(g, freshPredict(net, xs[i]!), `${label}, ${ROWS[i]} rows`);
  });
}

describe(`predict after the weights change (${BACKEND})`, () => {
  const xs = ROWS.map((r, i) => data(r, 10 + i).x);
  const train = data(96, 1);

  it('trainOnBatch, twice, with predicts between', () => {
    const net = make();
    predictAll(net, xs);
    net.trainOnBatch(train.x, train.y);
    expectFresh(net, xs, 'after one trainOnBatch');
    net.trainOnBatch(train.x, train.y);
    net.trainOnBatch(train.x, train.y);
    expectFresh(net, xs, 'after two more');
  });

  it('fit (validation predicts between epochs, earlyStopping restoring the best weights)', async () => {
    const net = make();
    predictAll(net, xs);
    const val = data(50, 2);
    await net.fit(train.x, train.y, {
      epochs: 4,
      batchSize: 32,
      validationData: [val.x, val.y],
      callbacks: [earlyStopping({ monitor: 'loss', patience: 10, restoreBestWeights: true })],
    });
    expectFresh(net, xs, 'after fit');
    await net.fit(train.x, train.y, { epochs: 1, batchSize: 16 });
    expectFresh(net, xs, 'after a second fit');
  });

  it('fitDataset', async () => {
    const net = make();
    predictAll(net, xs);
    await net.fitDataset(
      function* () {
        for (let r = 0; r < 96; r += 32) {
          yield { x: train.x.subarray(r * INPUTS, (r + 32) * INPUTS), y: train.y.subarray(r * 10, (r + 32) * 10) };
        }
      },
      { epochs: 2 },
    );
    expectFresh(net, xs, 'after fitDataset');
  });

  it('setWeights, and a network loaded from bytes', () => {
    const net = make();
    predictAll(net, xs);
    const donor = make(7);
    donor.trainOnBatch(train.x, train.y);
    const w = donor.getWeights();
    net.setWeights(w);
    const got = predictAll(net, xs);
    got.forEach((g, i) => {
      expectBitExact(g, donor.predict(xs[i]!), `after setWeights, ${ROWS[i]} rows`);
    });
    const loaded = Network.fromSafetensors(net.toSafetensors(), { backend: BACKEND });
    predictAll(loaded, xs).forEach((g, i) => {
      expectBitExact(g, got[i]!, `loaded, ${ROWS[i]} rows`);
    });
    net.trainOnBatch(train.x, train.y);
    expectFresh(net, xs, 'after training the original');
    predictAll(loaded, xs).forEach((g, i) => {
      expectBitExact(g, got[i]!, `loaded unchanged, ${ROWS[i]} rows`);
    });
  });

  it('predictAsync on a worker while predict runs here: the same numbers, and training after', async () => {
    const net = make();
    net.trainOnBatch(train.x, train.y);
    const want = predictAll(net, xs);
    const pending = xs.map((x) => net.predictAsync(x));
    // Meanwhile: predicts and a read of the weights (which marks the packed copy stale).
    const during = predictAll(net, xs);
    net.getWeights();
    const during2 = predictAll(net, xs);
    const async = await Promise.all(pending);
    for (let i = 0; i < xs.length; i++) {
      expectBitExact(async[i]!, want[i]!, `predictAsync, ${ROWS[i]} rows`);
      expectBitExact(during[i]!, want[i]!, `predict during predictAsync, ${ROWS[i]} rows`);
      expectBitExact(during2[i]!, want[i]!, `predict after getWeights, ${ROWS[i]} rows`);
    }
    net.trainOnBatch(train.x, train.y);
    const after = predictAll(net, xs);
    const afterAsync = await Promise.all(xs.map((x) => net.predictAsync(x)));
    after.forEach((g, i) => {
      expectBitExact(g, afterAsync[i]!, `after training, ${ROWS[i]} rows`);
    });
    expectFresh(net, xs, 'after training');
    expect(after[2]).not.toEqual(want[2]);
  });
});
