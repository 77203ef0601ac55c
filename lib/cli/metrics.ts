/**
 * Final metrics and their text form: accuracy and a confusion matrix for
 * classification; MAE, RMSE and R² for regression (on the target's own scale).
 */

/** Index of the first maximum of each row of `probs` `[rows × k]`. */
export function argmaxRows(probs: Float32Array, k: number): Int32Array {
  const rows = probs.length / k;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (probs[r * k + j]! > probs[r * k + best]!) best = j;
    out[r] = best;
  }
  return out;
}

/** `m[t][p]` counts rows of true class t predicted as p. */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, k: number): number[][] {
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < truth.length; i++) m[truth[i]!]![predicted[i]!]!++;
  return m;
}

export function accuracy(truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  let ok = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === predicted[i]) ok++;
  return truth.length === 0 ? NaN : ok / truth.length;
}

export interface RegressionMetrics {
  mae: number;
  rmse: number;
  /** 1 − SS_res / SS_tot; NaN when the truth is constant. */
  r2: number;
}

export function regressionMetrics(truth: ArrayLike<number>, predicted: ArrayLike<number>): RegressionMetrics {
  const n = truth.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += truth[i]!;
  mean /= n;
  let abs = 0;
  let res = 0;
  let tot = 0;
  for (let i = 0; i < n; i++) {
    const e = predicted[i]! - truth[i]!;
    abs += Math.abs(e);
    res += e * e;
    tot += (truth[i]! - mean) ** 2;
  }
  return { mae: abs / n, rmse: Math.sqrt(res / n), r2: tot > 0 ? 1 - res / tot : NaN };
}

/**
 * The confusion matrix as aligned text: one row per true class, one column per predicted
 * class, class names shortened to `maxName` characters, and each row's recall.
 */
export function formatConfusion(m: number[][], names: readonly string[], maxName = 12): string[] {
  const short = names.map((n) => (n.length > maxName ? `${n.slice(0, maxName - 1)}…` : n));
  const rowHead = Math.max(4, ...short.map((s) => s.length));
  const cellW = Math.max(3, ...short.map((s) => s.length), ...m.flat().map((v) => String(v).length));
  const pad = (s: string, w: number): string => s.padStart(w);
  const lines = [`${' '.repeat(rowHead)}  ${short.map((s) => pad(s, cellW)).join(' ')}  recall`];
  m.forEach((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    const recall = total === 0 ? '   -' : (row[t]! / total).toFixed(3);
    lines.push(`${short[t]!.padEnd(rowHead)}  ${row.map((v) => pad(String(v), cellW)).join(' ')}  ${recall}`);
  });
  return lines;
}

/** A number for a report: 4 decimals below 1000 in magnitude, else 4 significant digits. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) < 1000 ? x.toFixed(4) : x.toPrecision(4);
}
