// fit-prologue: how long `fit` holds the event loop before its first batch on a large
// set (targets: < 10 ms native, < 50 ms js for 1,000,000 × 32 float32 = 128 MB). A bench
// tool, not yet a trial of bench/trials.js.
//
// Usage: node --expose-gc bench/tools/fit-prologue.cjs <native|js> <f32|arr> [rows] [batchSize]
//   f32: x is one Float32Array of rows × 32; arr: a number[][] of rows rows.
//   Env DIST=<dir> loads densely from another build (default: this package's dist/cjs).
// Prints, for three fits on fresh networks (32 → 1 linear, mse, one epoch, no shuffle):
// how long the fit call itself ran, and the worst gap of a 1 ms setInterval from the call
// to the end of the first batch (which includes that batch: keep batchSize small on js).
// Compare with the worst gap of an idle process on the same machine, printed last.
'use strict';
const path = require('node:path');
const dist = process.env.DIST || path.join(__dirname, '..', '..', 'dist', 'cjs');
const { Network, Dense, SGD } = require(path.join(dist, 'index.js'));

const backend = process.argv[2] || 'native';
const form = process.argv[3] || 'f32';
const rows = Number(process.argv[4] || 1_000_000);
const batchSize = Number(process.argv[5] || 256);
const cols = 32;

let x;
if (form === 'f32') {
  x = new Float32Array(rows * cols);
  for (let i = 0; i < x.length; i++) x[i] = (i % 97) / 97;
} else {
  x = Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => ((r + c) % 97) / 97));
}
const y = new Float32Array(rows);

function gapsWhile() {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 1);
  return {
    timer,
    worst: () => worst,
    reset: () => {
      last = performance.now();
      worst = 0;
    },
    last: () => last,
  };
}

async function once(label) {
  const net = new Network({ inputs: cols, layers: [new Dense(1)], backend, seed: 1 });
  net.compile({ loss: 'mse', optimizer: new SGD({ learningRate: 0.001 }) });
  global.gc?.();
  await new Promise((r) => setTimeout(r, 20));
  const g = gapsWhile();
  g.reset();
  const t0 = performance.now();
  let held = -1;
  let firstBatch = -1;
  const p = net.fit(x, y, {
    epochs: 1,
    batchSize,
    shuffle: false,
    onBatchEnd: (b) => {
      if (b !== 0) return;
      held = Math.max(g.worst(), performance.now() - g.last());
      firstBatch = performance.now() - t0;
    },
  });
  const call = performance.now() - t0;
  await p;
  clearInterval(g.timer);
  console.log(
    `${label} ${backend} ${form} ${rows}×${cols}: fit call ${call.toFixed(1)} ms, worst event-loop gap until the first batch ended ${held.toFixed(1)} ms (at ${firstBatch.toFixed(0)} ms)`,
  );
}

(async () => {
  for (const label of ['first', 'second', 'third']) await once(label);
  const g = gapsWhile();
  g.reset();
  await new Promise((r) => setTimeout(r, 1000));
  clearInterval(g.timer);
  console.log(`idle process, 1 s: worst gap ${g.worst().toFixed(1)} ms`);
})();
