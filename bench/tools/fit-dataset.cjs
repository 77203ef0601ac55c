// fit-dataset: training speed and peak memory of `fitDataset` on a generated stream
// against `fit` on the same rows held in memory. A bench tool, not a trial of
// bench/trials.js.
//
// Usage: node bench/tools/fit-dataset.cjs [--backend native|js] [--rows 100000]
//          [--features 784] [--batch 256] [--hidden 32] [--mode both|fit|stream]
//   Env DIST=<dir> loads densely from another build (default: this package's dist/cjs).
// Each mode runs in a child process of its own, so its peak RSS (process.resourceUsage's
// maxRSS) is its own. The network is features → Dense(hidden, relu) → Dense(10, softmax),
// sparse cross-entropy, Adam, no shuffle: the same steps in both modes (fit
// with { shuffle: false, batchSize }; fitDataset over batches of that size).
//
// The stream is generated batch by batch, never materialised: each batch copies rows out
// of a pool of 4096 seeded random rows at a rotating offset, so a stream of any length
// costs the pool (12.8 MB at 784 features) plus the batches in flight. `fit` needs all of
// x in memory (rows × features × 4 bytes) plus its staged copy.
//
// Two epochs per mode. Prints one JSON line per mode ({ mode, backend, rows, features,
// batch, seconds, samplesPerSec, secondEpochPerSec, peakRssMB, loss }) and, with --mode
// both, a table row for bench/README.md. samplesPerSec counts the whole run (fit's
// includes building x in memory and staging its copy: page faults of a fresh 300 MB
// buffer dominate on a VM); secondEpochPerSec only epoch 2 (fit: training alone; the
// stream: training plus generating and staging each batch).
'use strict';
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { parseArgs } = require('node:util');

const { values: opt } = parseArgs({
  options: {
    backend: { type: 'string', default: 'native' },
    rows: { type: 'string', default: '100000' },
    features: { type: 'string', default: '784' },
    batch: { type: 'string', default: '256' },
    hidden: { type: 'string', default: '32' },
    mode: { type: 'string', default: 'both' },
  },
});
const rows = Number(opt.rows);
const features = Number(opt.features);
const batch = Number(opt.batch);
const hidden = Number(opt.hidden);
const CLASSES = 10;
const POOL = 4096;

if (opt.mode === 'both') {
  const results = ['fit', 'stream'].map((mode) => {
    const out = execFileSync(
      process.execPath,
      [
        __filename,
        ...process.argv.slice(2).filter((a, i, all) => a !== '--mode' && all[i - 1] !== '--mode'),
        '--mode',
        mode,
      ],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    );
    process.stdout.write(out);
    return JSON.parse(out.trim().split('\n').pop());
  });
  const [f, s] = results;
  process.stdout.write(
    `| ${opt.backend} | ${rows} × ${features} (${((rows * features * 4) / 2 ** 20).toFixed(0)} MB of x), batch ${batch}, hidden ${hidden} | ` +
      `fit ${f.samplesPerSec.toFixed(0)}/s (${f.secondEpochPerSec.toFixed(0)}/s in epoch 2), ${f.peakRssMB.toFixed(0)} MB | ` +
      `fitDataset ${s.samplesPerSec.toFixed(0)}/s (${s.secondEpochPerSec.toFixed(0)}/s), ${s.peakRssMB.toFixed(0)} MB |\n`,
  );
  process.exit(0);
}

const dist = process.env.DIST || path.join(__dirname, '..', '..', 'dist', 'cjs');
const { Network, Dense, Adam } = require(path.join(dist, 'index.js'));

// The pool: seeded uniform [-1, 1) features, labels from the argmax of the first 10.
let state = 0x9e3779b9;
function next() {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 4294967296;
}
const poolX = new Float32Array(POOL * features);
for (let i = 0; i < poolX.length; i++) poolX[i] = next() * 2 - 1;
const poolY = new Int32Array(POOL);
for (let r = 0; r < POOL; r++) {
  let best = 0;
  for (let k = 1; k < CLASSES; k++) if (poolX[r * features + k] > poolX[r * features + best]) best = k;
  poolY[r] = best;
}

/** Rows [r0, r0 + n) of the stream, into fresh arrays. */
function rowsAt(r0, n) {
  const x = new Float32Array(n * features);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const p = (r0 + i) % POOL;
    x.set(poolX.subarray(p * features, (p + 1) * features), i * features);
    y[i] = poolY[p];
  }
  return { x, y };
}

async function main() {
  const net = new Network({
    inputs: features,
    layers: [new Dense(hidden, { activation: 'relu' }), new Dense(CLASSES, { activation: 'softmax' })],
    backend: opt.backend,
    seed: 1,
  });
  net.compile({ loss: 'sparseCategoricalCrossentropy', optimizer: new Adam({ learningRate: 1e-3 }) });
  let history;
  // Two epochs: the second one's time is training alone in fit (its copy was staged in the
  // first) and training plus generating the batches in the stream.
  let firstEpochEnd = 0;
  const onEpochEnd = (e) => {
    if (e === 0) firstEpochEnd = performance.now();
  };
  const t0 = performance.now();
  if (opt.mode === 'fit') {
    const { x, y } = rowsAt(0, rows);
    history = await net.fit(x, y, { epochs: 2, batchSize: batch, shuffle: false, onEpochEnd });
  } else {
    history = await net.fitDataset(
      function* () {
        for (let r = 0; r < rows; r += batch) yield rowsAt(r, Math.min(batch, rows - r));
      },
      { epochs: 2, onEpochEnd },
    );
  }
  const end = performance.now();
  const seconds = (end - t0) / 1000;
  const result = {
    mode: opt.mode,
    backend: net.backend,
    rows,
    features,
    batch,
    seconds,
    samplesPerSec: (2 * rows) / seconds,
    secondEpochPerSec: rows / ((end - firstEpochEnd) / 1000),
    peakRssMB: (process.resourceUsage().maxRSS * 1024) / 2 ** 20,
    loss: history.loss[0],
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
