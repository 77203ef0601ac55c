/**
 * LayerNorm/BatchNorm on the native backend, beside the js backend and across thread
 * counts:
 * - js ↔ native agree (API.md: 1e-5 relative + 1e-6 absolute on predict, losses and
 *   gradients; 1e-4 relative on weights and running statistics after a few steps);
 * - native results are bit-identical for 1, 2 and 3 threads after a shuffled fit, with
 *   layers wide enough that the column and row blocks of ops/norm.cc really split.
 */
import { describe, expect, it } from 'vitest';
import { Adam, BatchNorm, Dense, LayerNorm, type LayerWeights, Network, SGD, setThreads } from '../../lib/index';
import { backendInfo } from '../../lib/runtime';
import { expectClose } from '../support/close';
import { TestRng } from '../support/rng';
import { TOL } from '../support/tolerances';

function layers(width: number, classes: number) {
  return [
    new Dense(width, { useBias: false }),
    new BatchNorm({ momentum: 0.2 }),
    new Dense(width, { activation: 'relu' }),
    new LayerNorm(),
    new BatchNorm({ center: false }),
    new Dense(classes, { activation: 'softmax' }),
  ];
}

function data(rows: number, inputs: number, classes: number, seed: number) {
  const rng = new TestRng(seed);
  const x = Float32Array.from({ length: rows * inputs }, () => rng.uniform(-2, 2) + 0.5);
  const y = new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) y[r * classes + Math.floor(rng.uniform(0, classes))] = 1;
  return { x, y };
}

function flat(ws: LayerWeights[]): Float32Array {
  const parts: number[] = [];
  for (const w of ws) for (const v of Object.values(w)) if (v) parts.push(...(v as Float32Array));
  return Float32Array.from(parts);
}

describe('norm layers: js ↔ native', () => {
  it('predict, evaluate, gradients (training mode), then SGD steps and a shuffled fit epoch', async () => {
    const { x, y } = data(40, 7, 3, 5);
    const nets = (['js', 'native'] as const).map((backend) => {
      const net = new Network({ inputs: 7, layers: layers(9, 3), backend, seed: 77 });
      net.compile({ loss: 'categoricalCrossentropy', optimizer: new SGD({ learningRate: 0.05, momentum: 0.9 }) });
      return net;
    });
    const [js, nat] = nets as [Network, Network];
    expect(nat.backend).toBe('native');
    expect(flat(nat.getWeights())).toEqual(flat(js.getWeights()));
    expectClose(nat.predict(x), js.predict(x), TOL.float32(16), 'predict');
    expectClose([nat.evaluate(x, y).loss], [js.evaluate(x, y).loss], TOL.float32(16), 'evaluate');
    expectClose(flat(nat.gradients(x, y)), flat(js.gradients(x, y)), TOL.float32(64, 1), 'gradients');
    for (let s = 0; s < 3; s++) {
      const xs = x.subarray(s * 70, (s + 1) * 70);
      const ys = y.subarray(s * 30, (s + 1) * 30);
      expectClose([nat.trainOnBatch(xs, ys)], [js.trainOnBatch(xs, ys)], TOL.float32(16), `step ${s} loss`);
    }
    expectClose(flat(nat.getWeights()), flat(js.getWeights()), { rtol: 1e-4, atol: 1e-5 }, 'weights after steps');
    const hn = await nat.fit(x, y, { epochs: 1, batchSize: 8 });
    const hj = await js.fit(x, y, { epochs: 1, batchSize: 8 });
    expectClose(hn.loss, hj.loss, { rtol: 1e-4, atol: 1e-6 }, 'fit loss');
    expectClose(flat(nat.getWeights()), flat(js.getWeights()), { rtol: 1e-4, atol: 1e-5 }, 'weights after fit');
  });
});

describe('norm layers: native thread-count independence', () => {
  it('1, 2 and 3 threads: bit-identical weights, running statistics, gradients and predictions', async () => {
    const saved = backendInfo().threads;
    const { x, y } = data(256, 100, 10, 9);
    const runs: Float32Array[] = [];
    try {
      for (const threads of [1, 2, 3]) {
        setThreads(threads);
        const net = new Network({ inputs: 100, layers: layers(192, 10), backend: 'native', seed: 4 });
        net.compile({ loss: 'categoricalCrossentropy', optimizer: new Adam({ learningRate: 0.001 }) });
        await net.fit(x, y, { epochs: 1, batchSize: 128 });
        const g = flat(net.gradients(x, y));
        const p = net.predict(x);
        runs.push(Float32Array.from([...flat(net.getWeights()), ...g, ...p]));
      }
    } finally {
      setThreads(saved);
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
  });
});
