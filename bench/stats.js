'use strict';
// The bench's statistics, shared by the runner (index.js), the child (benchmark.js) and
// the report (report.js). tools/torch_bench.py restates epochSummary in Python.

/** Median of a non-empty list (the mean of the middle two for an even count). */
function median(values) {
  const sorted = [...values].sort((p, q) => p - q);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
}

/** The spread shown as ±: median of |sample − center|, robust to the odd sample a busy machine spoils. */
function medianAbsoluteDeviation(samples, center) {
  return median(samples.map((v) => Math.abs(v - center)));
}

/** Epochs in the last window of an 'epochs' trial: 8, or all after the first 3 when fewer. */
function lastWindow(epochs) {
  return Math.max(1, Math.min(8, epochs - 3));
}

/**
 * The result fields of an 'epochs' trial from the seconds of each epoch of one run over
 * `rows` rows per epoch: `median` is the run's rate, rows × epochs / total seconds (the
 * ratios and targets use it), `samples` the per-epoch rates (their spread is the ±),
 * `first3` / `last8` the rates over the first 3 and the last lastWindow(epochs) epochs.
 */
function epochSummary(rows, seconds) {
  const rate = (from, to) => (rows * (to - from)) / seconds.slice(from, to).reduce((sum, t) => sum + t, 0);
  const epochs = seconds.length;
  const window = lastWindow(epochs);
  const samples = seconds.map((t) => rows / t);
  const sorted = [...samples].sort((p, q) => p - q);
  return {
    median: rate(0, epochs),
    min: sorted[0],
    max: sorted[sorted.length - 1],
    samples,
    reps: 1,
    epochs,
    rows,
    first3: rate(0, Math.min(3, epochs)),
    last8: rate(epochs - window, epochs),
    lastWindow: window,
  };
}

/**
 * One result from the same pair's `rounds` runs (--rounds): the median over rounds of the
 * median (and, for 'epochs' rows, of first3 and last8), every sample, and each round's
 * numbers in `rounds`. A single run, or a pair that never produced a median, is returned
 * as it is (its first skip or error).
 */
function combineRounds(runs) {
  const good = runs.filter((r) => r.median !== undefined);
  if (runs.length === 1 || good.length === 0) return runs[0];
  const mid = (pick) => median(good.map(pick));
  const combined = {
    ...good[0],
    median: mid((r) => r.median),
    min: Math.min(...good.map((r) => r.min)),
    max: Math.max(...good.map((r) => r.max)),
    samples: good.flatMap((r) => r.samples),
    rounds: runs.map((r) =>
      r.median === undefined
        ? { skipped: r.skipped, error: r.error }
        : { median: r.median, first3: r.first3, last8: r.last8 },
    ),
  };
  if (good[0].first3 !== undefined) {
    combined.first3 = mid((r) => r.first3);
    combined.last8 = mid((r) => r.last8);
  }
  if (good[0].cpu !== undefined) {
    combined.cpu = { rate: mid((r) => r.cpu.rate), first3: mid((r) => r.cpu.first3), last8: mid((r) => r.cpu.last8) };
  }
  return combined;
}

module.exports = { median, medianAbsoluteDeviation, lastWindow, epochSummary, combineRounds };
