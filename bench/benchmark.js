'use strict';
// Runs ONE (trial, contender) pair in this fresh process and prints its result as one
// line "@@RESULT {json}" (anything else on stdout — a library's banner — is ignored).
// Usage (by index.js): node benchmark.js '<json context>'
//
// Timing: warm-up calls until warmupMs has passed and at least MIN_WARMUP_CALLS were
// made (JIT tiers, caches, the thread pool and lazy allocations settle); the mean of the warm-up calls after the
// first sets how many calls make one sample (≥ sampleMs); then samples until budgetMs
// is spent, between minSamples and maxSamples. Each sample's rate is
// unitsPerCall × calls / seconds; the runner reports the median and the spread.
const { drivers } = require('./drivers');
const { epochSummary } = require('./stats');

const now = () => Number(process.hrtime.bigint()) / 1e9;

// At least this many warm-up calls (within MAX_EXTRA_WARMUP_S beyond warmupMs): V8 tiers
// up a loop that runs once per call (fit's input checks over 8192 × 784 floats take
// ~90 ms for the first calls and ~9 ms from the fifth on), so a time-only warm-up of
// two long calls would time unoptimised code.
const MIN_WARMUP_CALLS = 5;
const MAX_EXTRA_WARMUP_S = 10;

function emit(result) {
  process.stdout.write(`@@RESULT ${JSON.stringify(result)}\n`);
}

function median(sorted) {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
}

async function callsFor(op, count) {
  if (op.async) {
    for (let i = 0; i < count; i++) await op.run();
  } else {
    for (let i = 0; i < count; i++) op.run();
  }
}

/** Samples that are values (e.g. a worst lag), one call each: warm-up call, then as for rates. */
async function valueSamples(op, timing) {
  const t0 = now();
  await op.run();
  const perCall = now() - t0;
  const count = Math.min(timing.maxSamples, Math.max(timing.minSamples, Math.floor(timing.budgetMs / 1e3 / perCall)));
  const samples = [];
  for (let s = 0; s < count; s++) samples.push(await op.run());
  const sorted = [...samples].sort((p, q) => p - q);
  return { median: median(sorted), min: sorted[0], max: sorted[sorted.length - 1], samples, reps: 1, info: op.info };
}

async function main() {
  const ctx = JSON.parse(process.argv[2]);
  const { trial, timing } = ctx;
  const driver = drivers.get(ctx.driver);
  const factory = driver?.[trial.type];
  if (!factory) throw new Error(`bench: driver ${ctx.driver} has no '${trial.type}' factory`);
  const op = await factory(trial, ctx);
  if (op.skipped) {
    emit({ skipped: op.skipped });
    return;
  }

  if (op.measure === 'value') {
    emit(await valueSamples(op, timing));
    return;
  }

  if (op.measure === 'epochs') {
    // One warm-up fit (JIT tiers, the thread pool, first-touch of scratch), then the one
    // long run: its epochs are the samples.
    await op.warmup();
    const { seconds, cpuSeconds } = await op.run();
    if (seconds.length !== op.epochs)
      throw new Error(`bench: expected ${op.epochs} epoch times, got ${seconds.length}`);
    // The same rates per CPU-second of the process (JSON only): a shared machine disturbs them less.
    const cpu = epochSummary(op.rows, cpuSeconds);
    emit({
      ...epochSummary(op.rows, seconds),
      cpu: { rate: cpu.median, first3: cpu.first3, last8: cpu.last8 },
      seconds,
      info: op.info,
    });
    return;
  }

  let calls = 0;
  let first = 0;
  const warmStart = now();
  do {
    const t0 = now();
    await callsFor(op, 1);
    if (calls === 0) first = now() - t0;
    calls++;
  } while (
    now() - warmStart < timing.warmupMs / 1e3 ||
    (calls < MIN_WARMUP_CALLS && now() - warmStart < MAX_EXTRA_WARMUP_S)
  );
  const perCall = calls > 1 ? (now() - warmStart - first) / (calls - 1) : first;
  const reps = Math.max(1, Math.round(timing.sampleMs / 1e3 / perCall));
  const count = Math.min(
    timing.maxSamples,
    Math.max(timing.minSamples, Math.floor(timing.budgetMs / 1e3 / (perCall * reps))),
  );

  const samples = [];
  for (let s = 0; s < count; s++) {
    const t0 = now();
    await callsFor(op, reps);
    samples.push((op.unitsPerCall * reps) / (now() - t0));
  }
  const sorted = [...samples].sort((p, q) => p - q);
  emit({ median: median(sorted), min: sorted[0], max: sorted[sorted.length - 1], samples, reps, info: op.info });
}

main().catch((error) => {
  emit({ error: error?.stack ? error.stack.split('\n').slice(0, 3).join(' | ') : String(error) });
  process.exitCode = 1;
});
