#!/usr/bin/env node
'use strict';
// Throughput of densely jobs run at once against one job alone: the thread budget at
// work (README "Sharing the cores"). Not a test; it prints a table.
//
//   node bench/tools/concurrent-jobs.js [--pool 2] [--rows 4096] [--epochs 2] [--rounds 3]
//                                       [--predict-rows 65536] [--json]
//
// Training: the bench's train-mlp model (784→128 relu→10 softmax, Adam 1e-3, batch 64,
// shuffle), on its random set (`--rows` rows), `--epochs` epochs per fit. Inference: the
// same model, predictAsync of `--predict-rows` rows. The pool is set to `--pool` threads
// (setThreads). Scenarios, each run `--rounds` times in turn (A B C …, A B C …) and
// reported as the median: one job alone; two at once in this process, without caps and
// with `threads: pool/2` each; two at once in two worker_threads (each loads the addon;
// the budget is process-wide); and one vs two concurrent predictAsync calls. The rate is
// all jobs' samples over the wall time of the whole scenario; `cpu/wall` is the process's
// CPU seconds over wall seconds (how many cores it kept busy), and samples per CPU-second
// is the rate a shared machine disturbs less (it falls when threads wait or spin for each
// other, not when other processes take the cores). Needs `npm run build:ts` and the addon
// (`npm ci` does both).
const path = require('node:path');
const { parseArgs } = require('node:util');
const { Worker } = require('node:worker_threads');
const seed = require('../seed');

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist', 'cjs', 'index.js');

const FIT = `
const { parentPort, workerData: d } = require('worker_threads');
const densely = require(d.dist);
densely.setThreads(d.pool);
const net = new densely.Network({
  inputs: 784,
  layers: [new densely.Dense(128, { activation: 'relu' }), new densely.Dense(10, { activation: 'softmax' })],
  backend: 'native',
  seed: d.seed,
  ...(d.threads ? { threads: d.threads } : {}),
});
net.compile({ loss: 'categoricalCrossentropy', optimizer: new densely.Adam({ learningRate: 1e-3 }) });
parentPort.once('message', async () => {
  await net.fit(d.x, d.y, { epochs: d.epochs, batchSize: 64 });
  parentPort.postMessage('done');
});
parentPort.postMessage('ready');
`;

function median(a) {
  const s = [...a].sort((p, q) => p - q);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main() {
  const { values } = parseArgs({
    options: {
      pool: { type: 'string', default: '2' },
      rows: { type: 'string', default: '4096' },
      epochs: { type: 'string', default: '2' },
      rounds: { type: 'string', default: '3' },
      'predict-rows': { type: 'string', default: '65536' },
      json: { type: 'boolean', default: false },
    },
  });
  const pool = Number(values.pool);
  const rows = Number(values.rows);
  const epochs = Number(values.epochs);
  const rounds = Number(values.rounds);
  const predictRows = Number(values['predict-rows']);
  const densely = require(DIST);
  densely.setThreads(pool);
  const { x, y } = seed.classification(rows, 784, 10, 20261123);
  const px = seed.classification(predictRows, 784, 10, 20261207).x;
  const network = (s, threads) => {
    const net = new densely.Network({
      inputs: 784,
      layers: [new densely.Dense(128, { activation: 'relu' }), new densely.Dense(10, { activation: 'softmax' })],
      backend: 'native',
      seed: s,
      ...(threads ? { threads } : {}),
    });
    net.compile({ loss: 'categoricalCrossentropy', optimizer: new densely.Adam({ learningRate: 1e-3 }) });
    return net;
  };
  const fits = (caps) => Promise.all(caps.map((c, i) => network(42 + i, c).fit(x, y, { epochs, batchSize: 64 })));
  const workers = async (n) => {
    const ws = Array.from(
      { length: n },
      (_, i) => new Worker(FIT, { eval: true, workerData: { dist: DIST, pool, seed: 42 + i, x, y, epochs } }),
    );
    await Promise.all(ws.map((w) => new Promise((resolve) => w.once('message', resolve))));
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    for (const w of ws) w.postMessage('go');
    await Promise.all(ws.map((w) => new Promise((resolve) => w.once('message', resolve))));
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    await Promise.all(ws.map((w) => w.terminate()));
    return { wall, cpu: (c.user + c.system) / 1e6 };
  };
  const half = Math.max(1, Math.floor(pool / 2));
  const scenarios = [
    { name: '1 fit alone', samples: rows * epochs, run: () => fits([0]) },
    { name: '2 fits at once, no caps', samples: 2 * rows * epochs, run: () => fits([0, 0]) },
    { name: `2 fits at once, threads: ${half} each`, samples: 2 * rows * epochs, run: () => fits([half, half]) },
    { name: '2 fits at once, 2 worker_threads', samples: 2 * rows * epochs, timed: () => workers(2) },
    { name: '1 predictAsync alone', samples: predictRows, run: () => network(1).predictAsync(px) },
    {
      name: '2 predictAsync at once (2 networks)',
      samples: 2 * predictRows,
      run: () => Promise.all([network(1).predictAsync(px), network(2).predictAsync(px)]),
    },
  ];
  await fits([0]); // warm-up: JIT, the pool, first-touch of scratch
  const results = scenarios.map(() => ({ rate: [], load: [], perCpu: [] }));
  for (let r = 0; r < rounds; r++) {
    for (const [i, s] of scenarios.entries()) {
      let wall;
      let cpu;
      if (s.timed) {
        ({ wall, cpu } = await s.timed());
      } else {
        const t0 = process.hrtime.bigint();
        const c0 = process.cpuUsage();
        await s.run();
        wall = Number(process.hrtime.bigint() - t0) / 1e9;
        const c = process.cpuUsage(c0);
        cpu = (c.user + c.system) / 1e6;
      }
      results[i].rate.push(s.samples / wall);
      results[i].load.push(cpu / wall);
      results[i].perCpu.push(s.samples / cpu);
    }
  }
  const info = densely.backendInfo();
  const rowsOut = scenarios.map((s, i) => ({
    scenario: s.name,
    samplesPerSecond: Math.round(median(results[i].rate)),
    cpuPerWall: Number(median(results[i].load).toFixed(2)),
    samplesPerCpuSecond: Math.round(median(results[i].perCpu)),
  }));
  if (values.json) {
    console.log(JSON.stringify({ pool, rows, epochs, rounds, predictRows, isa: info.isa, results: rowsOut }, null, 2));
    return;
  }
  console.log(
    `densely ${info.version}, isa ${info.isa}, pool ${pool} threads, ${rows} rows × ${epochs} epochs per fit, ` +
      `predictAsync of ${predictRows} rows, median of ${rounds} rounds`,
  );
  console.log('| scenario | samples/s (all jobs) | vs alone | cpu/wall | samples per CPU-second |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [i, r] of rowsOut.entries()) {
    const alone = i < 4 ? rowsOut[0] : rowsOut[4];
    const ratio = (r.samplesPerSecond / alone.samplesPerSecond).toFixed(2);
    console.log(`| ${r.scenario} | ${r.samplesPerSecond} | ${ratio} | ${r.cpuPerWall} | ${r.samplesPerCpuSecond} |`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
