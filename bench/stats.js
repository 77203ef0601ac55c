'use strict';
// The bench's two statistics, shared by the runner (index.js) and the report (report.js).

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

module.exports = { median, medianAbsoluteDeviation };
