#!/usr/bin/env node
'use strict';
// densely's benchmark runner: `npm run bench [-- options]` at the root, or `node bench/index.js`.
//
//   --filter <substr>   run only pairs whose "<trial id> <contender>" contains substr
//   --quick             short warm-up, fewer samples, smaller epochs where a trial allows
//   --threads 1,2       thread counts for threaded contenders (densely native, sgemm, OpenBLAS)
//   --rounds <n>        run each trial's pairs n times, alternating, and report medians over rounds
//   --json <file>       also write every result, the header and the target verdicts as JSON
//   --no-build          do not run npm builds (use dist/ and the addon as they are)
//
// Every (trial, contender, threads) triple runs in a fresh `node benchmark.js` child
// (OpenBLAS: its compiled harness), so no contender inherits another's JIT state, heap
// or thread pool. Ratios are between medians taken in this same run. After the trials,
// the sgemm shapes run once more at 1 thread with densely's core and OpenBLAS in one
// process, alternating (native/sgemm_vs_openblas.cc): the fair 1-thread comparison for
// products of microseconds, which the "same process" verdicts use. 'epochs' trials run
// one long fit per contender and print its first-3 and last-8 epoch speed.
const { spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { trials, evaluateTarget } = require('./trials');
const { drivers, ROOT } = require('./drivers');
const { prepare, BUILD } = require('./prepare');
const { median, medianAbsoluteDeviation, combineRounds } = require('./stats');

const TIMING = {
  // 9 samples at most: a median of 9 is as robust to the odd slow sample as one of 15,
  // and keeps a full run within ~15 minutes on a 2-core host (73 GEMM pairs at ~4 s).
  full: { warmupMs: 1000, sampleMs: 300, minSamples: 3, maxSamples: 9, budgetMs: 8000 },
  quick: { warmupMs: 250, sampleMs: 100, minSamples: 3, maxSamples: 5, budgetMs: 3000 },
};
const PAIR_TIMEOUT_MS = 10 * 60 * 1000;

function options() {
  const { values } = parseArgs({
    options: {
      filter: { type: 'string', default: '' },
      quick: { type: 'boolean', default: false },
      threads: { type: 'string', default: '1,2' },
      json: { type: 'string' },
      rounds: { type: 'string', default: '1' },
      'no-build': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      `${fs
        .readFileSync(__filename, 'utf8')
        .split('\n')
        .slice(2, 10)
        .map((l) => l.slice(3))
        .join('\n')}\n`,
    );
    process.exit(0);
  }
  const threads = values.threads.split(',').map((t) => Number(t.trim()));
  if (threads.some((t) => !Number.isInteger(t) || t < 1)) {
    throw new Error(
      `Expected a comma-separated list of positive integers for --threads but received ${values.threads}`,
    );
  }
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new Error(`Expected a positive integer for --rounds but received ${values.rounds}`);
  }
  return { filter: values.filter, quick: values.quick, threads, rounds, json: values.json, build: !values['no-build'] };
}

function git(args) {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** CPU model, family/model numbers and the SIMD extensions that matter here (Linux: /proc/cpuinfo). */
function cpuModel() {
  const cpus = os.cpus();
  let detail = '';
  try {
    const text = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const field = (name) => text.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm'))?.[1]?.trim();
    const flags = new Set((field('flags') ?? '').split(/\s+/));
    const simd = ['avx2', 'fma', 'avx512f'].filter((f) => flags.has(f)).join('+');
    detail = `family ${field('cpu family')} model ${field('model')}, ${simd || 'no AVX2'}, `;
  } catch {
    // not Linux: the model name alone
  }
  return `${cpus[0]?.model ?? 'unknown'} (${detail}${cpus.length} logical CPUs)`;
}

function header(info, opts) {
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) ? ' (+ uncommitted changes)' : '';
  return {
    date: new Date().toISOString(),
    cpu: cpuModel(),
    isa: info.isa,
    native: info.native,
    nativeReason: info.native ? undefined : info.reason,
    defaultThreads: info.threads,
    threads: opts.threads,
    node: process.version,
    densely: info.version,
    commit: `${git(['rev-parse', '--short', 'HEAD']) || 'unknown'}${dirty}`,
    mode: opts.quick ? 'quick' : 'full',
    rounds: opts.rounds,
  };
}

function parseResult(stdout) {
  const line = stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('@@RESULT '));
  return line ? JSON.parse(line.slice('@@RESULT '.length)) : null;
}

function spawnForResult(file, args, env) {
  const child = spawnSync(file, args, {
    cwd: __dirname,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: PAIR_TIMEOUT_MS,
  });
  const result = parseResult(child.stdout ?? '');
  if (result) return result;
  const why = child.error ? child.error.message : (child.stderr || '').trim().split('\n').slice(-3).join(' | ');
  return { error: `exit ${child.status ?? child.signal}: ${why}` };
}

const PEAK_RECORD = path.join(BUILD, 'peak.json');

/**
 * Peak single-precision FMA GFLOP/s per thread count, from native/fma_peak.cc. The peak
 * is a ceiling that a busy core only ever lowers, so the best value ever measured on
 * this host and CPU is kept in bench/build/peak.json (untracked, per machine) and the
 * % of peak column uses max(this run, that record).
 */
function measurePeaks(binary, threadCounts) {
  const peaks = new Map();
  if (!binary) return peaks;
  const machine = `${os.hostname()} ${cpuModel()}`;
  let record = {};
  try {
    record = JSON.parse(fs.readFileSync(PEAK_RECORD, 'utf8'));
  } catch {
    // first run on this machine
  }
  for (const threads of threadCounts) {
    // The widest FMA the CPU has (zmm on AVX-512, else ymm); its record is kept per ISA.
    const result = spawnForResult(binary, [String(threads)], {});
    if (!result.best) continue;
    const key = `${machine} ${result.isa ?? 'avx2'}`;
    const mine = record[key] ?? {};
    const recorded = Math.max(result.best, mine[threads] ?? 0);
    mine[threads] = recorded;
    record[key] = mine;
    peaks.set(threads, { ...result, measured: result.best, best: recorded });
  }
  fs.mkdirSync(BUILD, { recursive: true });
  fs.writeFileSync(PEAK_RECORD, `${JSON.stringify(record, null, 2)}\n`);
  return peaks;
}

/** The (driver, threads) pairs of a trial, in table order. */
function pairs(trial, threadCounts) {
  return trial.contenders.flatMap((name) => {
    const driver = drivers.get(name);
    if (!driver) throw new Error(`bench: trial ${trial.id} names unknown contender ${name}`);
    return (driver.threaded ? threadCounts : [1]).map((threads) => ({
      name,
      driver,
      threads,
      key: `${name}@${threads}`,
    }));
  });
}

function runPair(trial, pair, opts) {
  const timing = opts.quick ? TIMING.quick : TIMING.full;
  if (pair.driver.external) {
    const unavailable = pair.driver.external.unavailable();
    if (unavailable) return { skipped: unavailable.replace(/^skipped: /, '') };
    const command = pair.driver.external.command(trial, pair.threads, timing, { quick: opts.quick });
    if (command.skipped) return command;
    return spawnForResult(command.file, command.args, command.env);
  }
  const ctx = { trial, driver: pair.name, threads: pair.threads, quick: opts.quick, timing };
  const env = { DENSELY_THREADS: String(pair.threads) };
  return spawnForResult(process.execPath, [path.join(__dirname, 'benchmark.js'), JSON.stringify(ctx)], env);
}

function formatRatio(ratio) {
  return ratio >= 0.1 ? ratio.toFixed(2) : ratio.toPrecision(2);
}

function formatNumber(value, unit) {
  if (unit === 'GFLOP/s' || unit === 'ms') return value.toFixed(1);
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}

/**
 * The baseline key a row's ratio is taken against: trial.baseline as written
 * ('name@threads'), or for a bare name the same thread count as the row when that ran,
 * else @1.
 */
function baselineKey(trial, pair, medians) {
  if (!trial.baseline || trial.baseline.includes('@')) return trial.baseline;
  const same = `${trial.baseline}@${pair.threads}`;
  return medians.has(same) ? same : `${trial.baseline}@1`;
}

/** last-8 / first-3 epoch speed of an 'epochs' row. */
function stabilityOf(result) {
  return result.first3 > 0 ? result.last8 / result.first3 : undefined;
}

function formatRow(trial, pair, result, medians, peaks) {
  const who = `  ${pair.name.padEnd(15)} ${String(pair.threads).padStart(2)}t`;
  if (result.skipped) return `${who}  skipped: ${result.skipped}`;
  if (result.error) return `${who}  error: ${result.error}`;
  const spread = result.median > 0 ? (100 * medianAbsoluteDeviation(result.samples, result.median)) / result.median : 0;
  let line =
    `${who} ${formatNumber(result.median, trial.unit).padStart(13)} ${trial.unit.padEnd(9)}` +
    ` ±${spread.toFixed(1).padStart(4)}%  n=${String(result.samples.length).padEnd(2)}`;
  const base = baselineKey(trial, pair, medians);
  if (medians.has(base)) line += `  ${formatRatio(result.median / medians.get(base)).padStart(7)}× ${base}`;
  const peak = peaks.get(pair.threads);
  if (trial.type === 'gemm' && peak) line += `  ${((100 * result.median) / peak.best).toFixed(0).padStart(3)}% of peak`;
  if (trial.type === 'epochs' && stabilityOf(result) !== undefined) {
    // The same ratio per CPU-second of the process: a busy shared machine moves the wall
    // clock's epochs far more than the work each one does.
    const cpu = result.cpu?.first3 > 0 ? `; per CPU-s ${(result.cpu.last8 / result.cpu.first3).toFixed(2)}` : '';
    line +=
      `  first 3 ${formatNumber(result.first3, trial.unit)} → last ${result.lastWindow} ${formatNumber(result.last8, trial.unit)}` +
      ` (${stabilityOf(result).toFixed(2)}${cpu})`;
  }
  const impl = result.info?.impl ?? result.info?.isa ?? result.info?.backend;
  const notes = [];
  if (result.info?.rows && result.info.rows !== trial.rows) notes.push(`${result.info.rows} rows/epoch`);
  if (trial.type === 'epochs' && result.epochs !== undefined && result.epochs !== trial.epochs)
    notes.push(`${result.epochs} epochs${trial.epochsFor?.[pair.name] ? ': a slow contender' : ''}`);
  if (impl) line += `  [${[impl, ...notes].join(', ')}]`;
  return line;
}

function formatMeasured(target, value, unit) {
  if (target.peak !== undefined) return `${(100 * value).toFixed(0)}% of peak`;
  if (target.stability !== undefined) return `last-8 / first-3 ${value.toFixed(3)}`;
  // Three decimals below 10×, so 0.997 does not print as a "1.00×" that is not met.
  if (target.ratio !== undefined) return `${value < 10 ? value.toFixed(3) : formatRatio(value)}×`;
  return `${formatNumber(value, unit)} ${unit}`;
}

function formatVerdict(target, verdict, unit) {
  if (verdict.missing) return `  target  ${target.text}: n/a (${verdict.missing} did not run)`;
  const measured = formatMeasured(target, verdict.value, unit);
  return `  target  ${target.text}: ${measured} — ${verdict.met ? 'met' : 'NOT MET'}`;
}

/**
 * The 1-thread same-process comparison: tools/sgemm_vs_openblas runs every shape of
 * `gemmTrials` with densely's core and OpenBLAS alternating in short samples (each
 * sample ≥ 2 ms, `rounds` per shape and contender), `sweeps` times over all shapes;
 * per shape the median GFLOP/s of each and the median of the sweeps' ratios.
 */
function sameProcessAb(binary, gemmTrials, opts) {
  const sweeps = opts.quick ? 1 : 3;
  const rounds = opts.quick ? 21 : 101;
  const shapes = gemmTrials.map((t) => `${t.transA ? 1 : 0},${t.transB ? 1 : 0},${t.m},${t.n},${t.k}`);
  const perShape = new Map(gemmTrials.map((t) => [t.id, []]));
  for (let sweep = 0; sweep < sweeps; sweep += 1) {
    const child = spawnSync(binary, ['1', String(rounds), ...shapes], {
      env: { ...process.env, DENSELY_AB_JSON: '1', OPENBLAS_NUM_THREADS: '1', DENSELY_THREADS: '1' },
      encoding: 'utf8',
      timeout: PAIR_TIMEOUT_MS,
    });
    const lines = (child.stdout ?? '').split('\n').filter((l) => l.startsWith('@@AB '));
    if (lines.length !== shapes.length) {
      const why = child.error ? child.error.message : (child.stderr || '').trim().split('\n').slice(-2).join(' | ');
      return { error: `sgemm_vs_openblas exit ${child.status ?? child.signal}: ${why}` };
    }
    lines.forEach((line, i) => {
      perShape.get(gemmTrials[i].id).push(JSON.parse(line.slice(5)));
    });
  }
  const results = new Map();
  for (const [id, runs] of perShape) {
    results.set(id, {
      densely: median(runs.map((r) => r.densely)),
      openblas: median(runs.map((r) => r.openblas)),
      ratio: median(runs.map((r) => r.densely / r.openblas)),
      ratios: runs.map((r) => r.densely / r.openblas),
      maxdiff: Math.max(...runs.map((r) => r.maxdiff)),
    });
  }
  return { sweeps, rounds, results };
}

function main() {
  const started = Date.now();
  const opts = options();
  const log = (line) => process.stdout.write(`${line}\n`);
  const selected = trials
    .map((trial) => ({
      trial,
      pairs: pairs(trial, opts.threads).filter((p) => `${trial.id} ${p.name}`.includes(opts.filter)),
    }))
    .filter((entry) => entry.pairs.length > 0);
  if (selected.length === 0) throw new Error(`no trial matches --filter ${opts.filter}`);

  const gemmSelected = selected.filter(
    (e) => e.trial.type === 'gemm' && e.pairs.some((p) => p.name.startsWith('densely-')),
  );
  const wantAb = gemmSelected.length > 0 && opts.threads.includes(1);
  const { info, tools } = prepare({ build: opts.build, log, wantCore: gemmSelected.length > 0 });
  const head = header(info, opts);
  const wantPeaks = selected.some((e) => e.trial.type === 'gemm');
  const peaks = wantPeaks ? measurePeaks(tools.fma, opts.threads) : new Map();
  const peakBest = new Map([...peaks].map(([t, p]) => [t, p.best]));

  log('');
  log(`densely bench — ${head.date}`);
  log(
    `CPU ${head.cpu} · ISA ${head.isa}${head.native ? '' : ` (native addon not loaded: ${head.nativeReason ?? 'unknown'})`}` +
      ` · threads ${opts.threads.join(',')} (default ${head.defaultThreads}) · Node ${head.node} · commit ${head.commit} · ${head.mode}` +
      `${opts.rounds > 1 ? ` · ${opts.rounds} alternating rounds per trial` : ''}`,
  );
  for (const [threads, peak] of peaks) {
    log(
      `FMA peak (native/fma_peak.cc, ${peak.isa ?? 'avx2'}, ${threads} thread${threads > 1 ? 's' : ''}): ${peak.best.toFixed(1)} GFLOP/s` +
        ` — the best recorded on this host; this run: best of ${peak.runs} ${peak.measured.toFixed(1)}, median ${peak.median.toFixed(1)}`,
    );
  }

  const records = [];
  const verdicts = [];
  for (const { trial, pairs: trialPairs } of selected) {
    log('');
    log(`${trial.title}  [${trial.id}]`);
    const results = new Map();
    const lines = [];
    // --rounds: the pairs alternate (A B C, A B C, ...), so every contender samples the
    // same stretch of a shared machine's load.
    const runs = new Map(trialPairs.map((pair) => [pair.key, []]));
    for (let round = 0; round < opts.rounds; round++) {
      for (const pair of trialPairs) runs.get(pair.key).push(runPair(trial, pair, opts));
    }
    for (const pair of trialPairs) {
      const result = combineRounds(runs.get(pair.key));
      results.set(pair.key, result);
      records.push({
        trial: trial.id,
        title: trial.title,
        unit: trial.unit,
        contender: pair.name,
        threads: pair.threads,
        ...result,
      });
      lines.push({ pair, result });
    }
    const medians = new Map([...results].filter(([, r]) => r.median !== undefined).map(([k, r]) => [k, r.median]));
    const stability = new Map(
      [...results].filter(([, r]) => r.first3 !== undefined).map(([k, r]) => [k, stabilityOf(r)]),
    );
    for (const { pair, result } of lines) log(formatRow(trial, pair, result, medians, peaks));
    for (const target of trial.targets ?? []) {
      if (target.sameProcess) continue; // after the trials, from the same-process A/B
      const verdict = evaluateTarget(target, medians, peakBest, stability);
      verdicts.push({ trial: trial.id, target: target.text, ...verdict });
      log(formatVerdict(target, verdict, trial.unit));
    }
  }

  let sameProcess = null;
  if (wantAb) {
    log('');
    log(
      "sgemm, 1 thread, densely's core and OpenBLAS in one process, alternating samples (native/sgemm_vs_openblas.cc)",
    );
    const gemmTrials = gemmSelected.map((e) => e.trial);
    const ab = tools.ab
      ? sameProcessAb(tools.ab, gemmTrials, opts)
      : { error: 'skipped: the tool could not be built (see above)' };
    if (ab.error) log(`  ${ab.error}`);
    else
      log(
        `  median of ${ab.sweeps} sweep${ab.sweeps > 1 ? 's' : ''} over all shapes, ${ab.rounds} samples of each per shape and sweep`,
      );
    sameProcess = ab.error
      ? { error: ab.error }
      : { sweeps: ab.sweeps, rounds: ab.rounds, results: Object.fromEntries(ab.results) };
    for (const trial of gemmTrials) {
      const r = ab.results?.get(trial.id);
      if (r) {
        log(
          `  ${trial.id.padEnd(15)} densely ${r.densely.toFixed(1).padStart(6)}  OpenBLAS ${r.openblas.toFixed(1).padStart(6)} GFLOP/s` +
            `  ratio ${r.ratio.toFixed(3)} (sweeps ${r.ratios.map((x) => x.toFixed(3)).join(', ')})  max |Δc| ${r.maxdiff.toExponential(1)}`,
        );
      }
      for (const target of (trial.targets ?? []).filter((t) => t.sameProcess)) {
        const verdict = r ? { value: r.ratio, met: r.ratio >= target.ratio } : { missing: target.who };
        verdicts.push({ trial: trial.id, target: target.text, ...verdict });
        log(`  ${formatVerdict(target, verdict, trial.unit).trimStart()}`);
      }
    }
  }

  // The peak again after the trials: on a shared machine the first measurement may have
  // met a busy core. Fractions above use the first; the JSON keeps both.
  const peaksAfter = wantPeaks ? measurePeaks(tools.fma, opts.threads) : new Map();
  if (peaksAfter.size > 0) {
    log('');
    log(
      `FMA peak re-measured after the trials: ${[...peaksAfter].map(([t, p]) => `${t}t ${p.measured.toFixed(1)}`).join(', ')} GFLOP/s`,
    );
  }

  if (verdicts.length > 0) {
    log('');
    log('Targets:');
    for (const v of verdicts) {
      const state = v.missing ? 'n/a' : v.met ? 'met' : 'NOT MET';
      log(`  ${state.padEnd(8)} ${v.target}  [${v.trial}]`);
    }
  }
  const elapsedS = Math.round((Date.now() - started) / 1000);
  log('');
  log(`bench took ${Math.floor(elapsedS / 60)} min ${elapsedS % 60} s`);
  if (opts.json) {
    head.elapsedS = elapsedS;
    const peakJson = Object.fromEntries(
      [...peaks].map(([t, p]) => [
        t,
        {
          isa: p.isa ?? 'avx2',
          used: p.best,
          measured: p.measured,
          median: p.median,
          measuredAfter: peaksAfter.get(t)?.measured,
        },
      ]),
    );
    fs.writeFileSync(
      opts.json,
      `${JSON.stringify({ header: head, peaks: peakJson, results: records, sameProcess, targets: verdicts }, null, 2)}\n`,
    );
    log(`\nwrote ${opts.json}`);
  }
}

try {
  main();
} catch (error) {
  process.stderr.write(`bench: ${error.message}\n`);
  process.exitCode = 1;
}
