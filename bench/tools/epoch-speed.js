#!/usr/bin/env node
'use strict';
// Epoch-by-epoch speed of one long densely training run, to show the subnormal slowdown
// (Adam's moments and the gradients drift below 1.18e-38 as a model converges;
// without flush-to-zero every FMA that touches one takes a microcode assist).
//
//   node bench/tools/epoch-speed.js [--data digits|random] [--epochs 20] [--threads 1]
//                                   [--backend native|js] [--json]
//
// Model (the bench's train-mlp): 784→128 relu→10 softmax, categoricalCrossentropy,
// Adam 1e-3, batch 64, shuffle, seed 42, one fit({ epochs }) call.
// Data: `digits` is data/digits.csv (1,797 rows of 8×8 pixel counts, scaled to [0, 1]),
// each row tiled to 784 features (feature j = pixel j mod 64): real data that converges,
// the case. `random` is the bench's train-mlp set (8,192 uniform rows, random
// labels). A warm-up fit of 2 epochs on a throwaway network comes first. Prints ms
// and samples/s per epoch (by wall clock, and per CPU-second of the process, which a
// shared machine disturbs less) and the mean speed of the last 8 epochs over that of
// the first 3 (1.0 = flat).
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const seed = require('../seed');

const ROOT = path.resolve(__dirname, '..', '..');

function digits() {
  const lines = fs
    .readFileSync(path.join(ROOT, 'data', 'digits.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  const rows = lines.length;
  const x = new Float32Array(rows * 784);
  const y = new Float32Array(rows * 10);
  lines.forEach((line, r) => {
    const v = line.split(',').map(Number);
    for (let j = 0; j < 784; j++) x[r * 784 + j] = v[j % 64] / 16;
    y[r * 10 + v[64]] = 1;
  });
  return { x, y, rows };
}

/** Mean samples/s of epochs [from, to) given per-epoch seconds. */
function speed(seconds, rows, from, to) {
  const part = seconds.slice(from, to);
  return (rows * part.length) / part.reduce((s, t) => s + t, 0);
}

async function main() {
  const { values } = parseArgs({
    options: {
      data: { type: 'string', default: 'digits' },
      epochs: { type: 'string', default: '20' },
      threads: { type: 'string', default: '1' },
      backend: { type: 'string', default: 'native' },
      json: { type: 'boolean', default: false },
    },
  });
  const epochs = Number(values.epochs);
  const densely = require(path.join(ROOT, 'dist', 'cjs', 'index.js'));
  densely.setThreads(Number(values.threads));
  const { x, y, rows } =
    values.data === 'digits' ? digits() : { ...seed.classification(8192, 784, 10, 20261123), rows: 8192 };
  const network = () => {
    const net = new densely.Network({
      inputs: 784,
      layers: [new densely.Dense(128, { activation: 'relu' }), new densely.Dense(10, { activation: 'softmax' })],
      backend: values.backend,
      seed: 42,
    });
    net.compile({ loss: 'categoricalCrossentropy', optimizer: new densely.Adam({ learningRate: 1e-3 }) });
    return net;
  };
  // Warm-up on a throwaway network (JIT tiers, the thread pool, first-touch of scratch),
  // so that epoch 1 of the timed run measures training, not start-up.
  await network().fit(x, y, { epochs: 2, batchSize: 64 });
  const net = network();
  const seconds = [];
  const cpuSeconds = [];
  const losses = [];
  let last = 0;
  let lastCpu = process.cpuUsage();
  const done = net.fit(x, y, {
    epochs,
    batchSize: 64,
    shuffle: true,
    onEpochEnd: (_epoch, logs) => {
      const t = performance.now();
      const cpu = process.cpuUsage();
      seconds.push((t - last) / 1e3);
      cpuSeconds.push((cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1e6);
      losses.push(logs.loss);
      last = t;
      lastCpu = cpu;
    },
  });
  // The clock starts once fit has returned its promise: its synchronous prologue (checks,
  // the copy of x) is a one-off per call, not an epoch's work.
  last = performance.now();
  lastCpu = process.cpuUsage();
  await done;
  const info = densely.backendInfo();
  const from = Math.max(3, epochs - 8);
  const summary = {
    first3: speed(seconds, rows, 0, 3),
    last8: speed(seconds, rows, from, epochs),
    first3Cpu: speed(cpuSeconds, rows, 0, 3),
    last8Cpu: speed(cpuSeconds, rows, from, epochs),
  };
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ data: values.data, rows, isa: info.isa, threads: info.threads, seconds, cpuSeconds, losses, ...summary })}\n`,
    );
    return;
  }
  const rate = (v) => Math.round(v).toLocaleString('en-US').padStart(8);
  process.stdout.write(
    `${values.data}: ${rows} rows × 784, ${values.backend} ${info.isa}, ${info.threads} thread(s); samples/s by wall clock and per CPU-second of the process\n`,
  );
  seconds.forEach((s, i) => {
    process.stdout.write(
      `  epoch ${String(i + 1).padStart(2)}  ${(1e3 * s).toFixed(1).padStart(7)} ms  ${rate(rows / s)} samples/s  ${rate(rows / cpuSeconds[i])} per CPU-s  loss ${losses[i].toFixed(5)}\n`,
    );
  });
  process.stdout.write(
    `wall: first 3 ${rate(summary.first3)} · last 8 ${rate(summary.last8)} · last8/first3 ${(summary.last8 / summary.first3).toFixed(3)}\n`,
  );
  process.stdout.write(
    `CPU:  first 3 ${rate(summary.first3Cpu)} · last 8 ${rate(summary.last8Cpu)} · last8/first3 ${(summary.last8Cpu / summary.first3Cpu).toFixed(3)}\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exitCode = 1;
});
