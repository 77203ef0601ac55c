'use strict';
/**
 * The second half of test/jobs/resume.test.ts, in a new process: loads a checkpoint with
 * the built package (dist/cjs), trains `epochs` more epochs on the same data and prints
 * one JSON line { epochs, loss, lr, params (base64 of the float32 bytes) }. Also exports
 * the data and network the test's first half uses, so both halves see the same set.
 *
 *   node test/jobs/resume_child.cjs <backend> <checkpoint file> <epochs>
 */
const path = require('node:path');

/** 150 rows × 6 features and 3 one-hot classes, from a fixed integer recipe (no RNG state). */
function makeData() {
  const rows = 150;
  const x = new Float32Array(rows * 6);
  const y = new Float32Array(rows * 3);
  let s = 12345;
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) / 16777216;
  };
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < 6; j++) {
      const v = next() * 2 - 1;
      x[r * 6 + j] = v;
      sum += v * (j + 1);
    }
    y[r * 3 + (sum > 1 ? 0 : sum > -1 ? 1 : 2)] = 1;
  }
  return { x, y };
}

/** The fit options of both halves: shuffle and dropout on, batches of 16 (the last one short). */
const FIT = { batchSize: 16, shuffle: true };

function makeNetwork(lib, backend) {
  const { Network, Dense, Dropout, Adam } = lib;
  const net = new Network({
    inputs: 6,
    layers: [new Dense(12, { activation: 'relu' }), new Dropout(0.3), new Dense(3, { activation: 'softmax' })],
    backend,
    seed: 77,
  });
  net.compile({ loss: 'categoricalCrossentropy', optimizer: new Adam({ learningRate: 0.01 }), metrics: ['accuracy'] });
  return net;
}

function paramsBase64(net) {
  const parts = net.getWeights().flatMap((w) => (w.bias ? [w.kernel, w.bias] : [w.kernel]));
  return Buffer.concat(parts.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))).toString('base64');
}

module.exports = { makeData, makeNetwork, paramsBase64, FIT };

if (require.main === module) {
  const lib = require(path.resolve(__dirname, '../../dist/cjs/index.js'));
  const [backend, file, epochs] = process.argv.slice(2);
  (async () => {
    const net = await lib.Network.load(file, { backend });
    const { x, y } = makeData();
    const h = await net.fit(x, y, { ...FIT, epochs: Number(epochs) });
    process.stdout.write(
      `${JSON.stringify({ epochs: h.epochs, loss: h.loss, lr: h.lr, accuracy: h.accuracy, params: paramsBase64(net) })}\n`,
    );
  })().catch((e) => {
    process.stderr.write(`${e.stack}\n`);
    process.exit(1);
  });
}
