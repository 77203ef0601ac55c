/**
 * Epoch and evaluation metrics of `compile({ metrics })`, with scikit-learn's definitions
 * (1.2), computed in float64 over a whole set of predictions at once. Pure functions:
 * the network hands in every row's output ŷ and target y.
 *
 * Which problem a loss describes:
 * - `binaryCrossentropy` — binary: row r is positive when y > 0.5 and predicted positive
 *   when ŷ > 0.5 (the threshold of `accuracy`); precision/recall/f1 are those of the
 *   positive class (`average='binary'`), auc is `roc_auc_score(y, ŷ)`. With k > 1 outputs
 *   each column is its own binary problem and every metric is the unweighted mean over the
 *   k columns (scikit-learn's multilabel-indicator form, `average='macro'`).
 * - `categoricalCrossentropy` / `sparseCategoricalCrossentropy` — multi-class: the true
 *   class is the target's argmax (or its index), the predicted one ŷ's argmax (first
 *   maximum wins); precision/recall/f1 are macro averages over the labels that occur in the
 *   targets or the predictions (scikit-learn's `labels=None`), auc is the macro
 *   one-vs-rest ROC AUC of the output columns (`multi_class='ovr'`).
 * - Any other loss is a regression: precision, recall, f1 and auc are refused at compile.
 *
 * Zero division (`zero_division=0`): a precision with no predicted positives, a recall
 * with no actual positives and an f1 with 2·tp + fp + fn = 0 are 0 (scikit-learn warns and
 * gives 0). AUC is undefined when some column (the binary output, a multilabel column
 * or a class of one-vs-rest) has only positive or only negative rows — scikit-learn raises
 * then — and is NaN here. Ties in ŷ count one half (the trapezoid of scikit-learn's ROC
 * curve), computed from average ranks (Mann–Whitney U). `mae`/`mse` are the means over
 * every element (equal to scikit-learn's uniform average over outputs), `r2` is
 * `r2_score(multioutput='uniform_average')`: per output 1 − SS_res/SS_tot, with 1 when
 * both are 0 and 0 when only SS_tot is (scikit-learn's `force_finite`).
 */
import type { LossName } from './backend/types';
import { describe, invalid } from './validate';

/** A metric name `compile({ metrics })` accepts. */
export type MetricName = 'accuracy' | 'precision' | 'recall' | 'f1' | 'auc' | 'mae' | 'mse' | 'r2';

/** Every {@link MetricName}, in the order they are reported. */
export const METRICS: readonly MetricName[] = ['accuracy', 'precision', 'recall', 'f1', 'auc', 'mae', 'mse', 'r2'];

/** The metrics computed here (accuracy comes from the backends' correct counts). */
export type SetMetricName = Exclude<MetricName, 'accuracy'>;

/** Values of the set metrics, keyed by name. */
export type MetricValues = Partial<Record<SetMetricName, number>>;

const CLASSIFICATION: ReadonlySet<string> = new Set(['precision', 'recall', 'f1', 'auc']);
const REGRESSION: ReadonlySet<string> = new Set(['mae', 'mse', 'r2']);
const CROSS_ENTROPIES: ReadonlySet<string> = new Set([
  'binaryCrossentropy',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
]);

/** The `History` / logs key of a metric on validation data: `valPrecision`, `valAuc`, … */
export function valKey(m: MetricName): string {
  return `val${m[0]!.toUpperCase()}${m.slice(1)}`;
}

/**
 * Checks `compile`'s `metrics` against the loss: an array of {@link MetricName}s;
 * precision/recall/f1/auc need a cross-entropy loss, mae/mse/r2 need targets shaped like
 * the outputs (not `sparseCategoricalCrossentropy`). Returns the distinct names in the
 * order given.
 * @throws TypeError/RangeError naming `metrics[i]`.
 */
export function checkMetrics(value: unknown, loss: LossName | string): MetricName[] {
  if (!Array.isArray(value))
    throw invalid(`an array of metric names (${METRICS.map((m) => `'${m}'`).join(', ')})`, 'metrics', describe(value));
  const out: MetricName[] = [];
  (value as unknown[]).forEach((m, i) => {
    if (typeof m !== 'string' || !(METRICS as readonly string[]).includes(m))
      throw invalid(`one of ${METRICS.map((n) => `'${n}'`).join(', ')}`, `metrics[${i}]`, describe(m));
    if (CLASSIFICATION.has(m) && !CROSS_ENTROPIES.has(loss))
      throw invalid(
        `a metric that fits loss '${loss}' (precision, recall, f1 and auc need a cross-entropy loss)`,
        `metrics[${i}]`,
        describe(m),
        'range',
      );
    if (REGRESSION.has(m) && loss === 'sparseCategoricalCrossentropy')
      throw invalid(
        `a metric that fits loss '${loss}' (mae, mse and r2 need targets shaped like the outputs)`,
        `metrics[${i}]`,
        describe(m),
        'range',
      );
    if (!out.includes(m as MetricName)) out.push(m as MetricName);
  });
  return out;
}

/** Index of the first maximum of `v[o .. o + n)`. */
function argmax(v: Float32Array, o: number, n: number): number {
  let best = 0;
  let bv = v[o]!;
  for (let j = 1; j < n; j++) {
    const x = v[o + j]!;
    if (x > bv) {
      bv = x;
      best = j;
    }
  }
  return best;
}

/** Counts of one binary problem. */
interface Counts {
  tp: number;
  fp: number;
  fn: number;
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

function prf(c: Counts): { precision: number; recall: number; f1: number } {
  return {
    precision: ratio(c.tp, c.tp + c.fp),
    recall: ratio(c.tp, c.tp + c.fn),
    f1: ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn),
  };
}

/**
 * ROC AUC of scores `s` for labels `pos` (true = positive) by average ranks:
 * (Σ ranks of positives − P·(P+1)/2) / (P·N). NaN when P or N is 0.
 */
export function rocAuc(s: ArrayLike<number>, pos: ArrayLike<boolean>): number {
  const n = s.length;
  let p = 0;
  for (let i = 0; i < n; i++) if (pos[i]) p++;
  const neg = n - p;
  if (p === 0 || neg === 0) return Number.NaN;
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  idx.sort((a, b) => s[a]! - s[b]!);
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && s[idx[j]!] === s[idx[i]!]) j++;
    // Ranks i+1 .. j share their mean.
    const avg = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (pos[idx[k]!]) rankSum += avg;
    i = j;
  }
  return (rankSum - (p * (p + 1)) / 2) / (p * neg);
}

/** The unweighted mean (NaN as soon as one value is NaN). */
function mean(v: readonly number[]): number {
  let s = 0;
  for (const x of v) s += x;
  return s / v.length;
}

/**
 * The metrics `names` (accuracy is skipped: the backends count it) of predictions `yhat`
 * `[rows × outputs]` against targets `y` as the backends take them (`[rows]` class
 * indices for sparseCategoricalCrossentropy, else `[rows × outputs]`), over the rows
 * `index` lists (all rows when absent). See the module doc for the definitions.
 */
export function computeMetrics(
  names: readonly MetricName[],
  loss: LossName | string,
  yhat: Float32Array,
  y: Float32Array,
  outputs: number,
  rows: number,
  index?: ArrayLike<number>,
): MetricValues {
  const out: MetricValues = {};
  const want = names.filter((m): m is SetMetricName => m !== 'accuracy');
  if (want.length === 0) return out;
  const n = index ? index.length : rows;
  const row = (i: number): number => (index ? index[i]! : i);
  const sparse = loss === 'sparseCategoricalCrossentropy';
  if (want.some((m) => REGRESSION.has(m))) Object.assign(out, regression(want, yhat, y, outputs, n, row));
  if (!want.some((m) => CLASSIFICATION.has(m))) return out;
  if (loss === 'binaryCrossentropy') {
    const ps: number[] = [];
    const rs: number[] = [];
    const fs: number[] = [];
    const aucs: number[] = [];
    const scores = new Float64Array(n);
    const pos: boolean[] = new Array(n);
    for (let c = 0; c < outputs; c++) {
      const k: Counts = { tp: 0, fp: 0, fn: 0 };
      for (let i = 0; i < n; i++) {
        const o = row(i) * outputs + c;
        const t = y[o]! > 0.5;
        const pr = yhat[o]! > 0.5;
        if (pr && t) k.tp++;
        else if (pr) k.fp++;
        else if (t) k.fn++;
        scores[i] = yhat[o]!;
        pos[i] = t;
      }
      const m = prf(k);
      ps.push(m.precision);
      rs.push(m.recall);
      fs.push(m.f1);
      if (want.includes('auc')) aucs.push(rocAuc(scores, pos));
    }
    if (want.includes('precision')) out.precision = mean(ps);
    if (want.includes('recall')) out.recall = mean(rs);
    if (want.includes('f1')) out.f1 = mean(fs);
    if (want.includes('auc')) out.auc = mean(aucs);
    return out;
  }
  // Multi-class.
  const truth = new Int32Array(n);
  const pred = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = row(i);
    truth[i] = sparse ? y[r]! : argmax(y, r * outputs, outputs);
    pred[i] = argmax(yhat, r * outputs, outputs);
  }
  const counts: Counts[] = Array.from({ length: outputs }, () => ({ tp: 0, fp: 0, fn: 0 }));
  const seen = new Uint8Array(outputs);
  for (let i = 0; i < n; i++) {
    const t = truth[i]!;
    const p = pred[i]!;
    seen[t] = 1;
    seen[p] = 1;
    if (t === p) counts[t]!.tp++;
    else {
      counts[p]!.fp++;
      counts[t]!.fn++;
    }
  }
  let sp = 0;
  let sr = 0;
  let sf = 0;
  let labels = 0;
  for (let c = 0; c < outputs; c++) {
    if (!seen[c]) continue;
    const m = prf(counts[c]!);
    sp += m.precision;
    sr += m.recall;
    sf += m.f1;
    labels++;
  }
  if (want.includes('precision')) out.precision = labels === 0 ? 0 : sp / labels;
  if (want.includes('recall')) out.recall = labels === 0 ? 0 : sr / labels;
  if (want.includes('f1')) out.f1 = labels === 0 ? 0 : sf / labels;
  if (want.includes('auc')) {
    const aucs: number[] = [];
    const scores = new Float64Array(n);
    const pos: boolean[] = new Array(n);
    for (let c = 0; c < outputs; c++) {
      for (let i = 0; i < n; i++) {
        scores[i] = yhat[row(i) * outputs + c]!;
        pos[i] = truth[i] === c;
      }
      aucs.push(rocAuc(scores, pos));
    }
    out.auc = mean(aucs);
  }
  return out;
}

function regression(
  want: readonly SetMetricName[],
  yhat: Float32Array,
  y: Float32Array,
  outputs: number,
  n: number,
  row: (i: number) => number,
): MetricValues {
  const out: MetricValues = {};
  let sa = 0;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const o = row(i) * outputs;
    for (let j = 0; j < outputs; j++) {
      const d = yhat[o + j]! - y[o + j]!;
      sa += Math.abs(d);
      ss += d * d;
    }
  }
  const count = n * outputs;
  if (want.includes('mae')) out.mae = count === 0 ? Number.NaN : sa / count;
  if (want.includes('mse')) out.mse = count === 0 ? Number.NaN : ss / count;
  if (want.includes('r2')) {
    let total = 0;
    for (let j = 0; j < outputs; j++) {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += y[row(i) * outputs + j]!;
      mean /= n;
      let res = 0;
      let tot = 0;
      for (let i = 0; i < n; i++) {
        const o = row(i) * outputs + j;
        const d = y[o]! - yhat[o]!;
        const e = y[o]! - mean;
        res += d * d;
        tot += e * e;
      }
      total += tot === 0 ? (res === 0 ? 1 : 0) : 1 - res / tot;
    }
    out.r2 = n < 2 ? Number.NaN : total / outputs;
  }
  return out;
}

/**
 * The metrics of {@link computeMetrics}, accumulated batch by batch, for sources read
 * once (`fitDataset`): `add` each batch's outputs and targets, then `result()` gives the
 * values over every row added, with the same definitions.
 *
 * Memory: precision, recall and f1 keep confusion counts (per output column or class),
 * mae and mse two float64 sums, r2 per output the row count, the targets' running mean
 * and sum of squared deviations (merged per batch by Chan et al.'s pairwise update) and
 * the residual sum of squares — all of fixed size. `auc` is exact (average ranks over every
 * score), so it keeps every row's scores (float32) and labels: its memory grows with
 * rows × outputs (5 bytes per score), the only metric that does; leave it out of
 * `metrics` for an unbounded stream.
 *
 * Against {@link computeMetrics} on the concatenated rows (the value `fit` reports):
 * precision, recall, f1, auc, mae and mse are equal bit for bit (the same counts, scores
 * and float64 sums in the same order); r2 agrees to rounding (~1e-12 relative), since the
 * targets' mean is not known until the end.
 */
export class MetricAccumulator {
  readonly #want: SetMetricName[];
  readonly #outputs: number;
  readonly #binary: boolean;
  readonly #sparse: boolean;
  readonly #classify: boolean;
  readonly #regress: boolean;
  readonly #auc: boolean;
  #rows = 0;
  // Confusion counts: per output column (binary) or per class (multi-class).
  readonly #tp: Float64Array;
  readonly #fp: Float64Array;
  readonly #fn: Float64Array;
  readonly #seen: Uint8Array;
  // Regression sums.
  #sa = 0;
  #ss = 0;
  readonly #mean: Float64Array;
  readonly #m2: Float64Array;
  readonly #res: Float64Array;
  // AUC: every row's scores and labels (binary: one label per score; multi-class: the true class).
  readonly #scores: Float32Array[] = [];
  readonly #labels: (Uint8Array | Int32Array)[] = [];

  /** For the compiled `names` (accuracy is skipped), loss and output count. */
  constructor(names: readonly MetricName[], loss: LossName | string, outputs: number) {
    this.#want = names.filter((m): m is SetMetricName => m !== 'accuracy');
    this.#outputs = outputs;
    this.#binary = loss === 'binaryCrossentropy';
    this.#sparse = loss === 'sparseCategoricalCrossentropy';
    this.#classify = this.#want.some((m) => CLASSIFICATION.has(m));
    this.#regress = this.#want.some((m) => REGRESSION.has(m));
    this.#auc = this.#want.includes('auc');
    const k = this.#classify ? outputs : 0;
    this.#tp = new Float64Array(k);
    this.#fp = new Float64Array(k);
    this.#fn = new Float64Array(k);
    this.#seen = new Uint8Array(k);
    const r = this.#want.includes('r2') ? outputs : 0;
    this.#mean = new Float64Array(r);
    this.#m2 = new Float64Array(r);
    this.#res = new Float64Array(r);
  }

  /** Whether there is anything to accumulate (some metric other than accuracy). */
  get active(): boolean {
    return this.#want.length > 0;
  }

  /**
   * Adds `rows` rows: outputs `yhat` `[rows × outputs]` and targets `y` as the backends
   * take them (`[rows]` class indices for sparseCategoricalCrossentropy). Both are read
   * now, not kept (auc copies the scores it needs).
   */
  add(yhat: Float32Array, y: Float32Array, rows: number): void {
    if (this.#want.length === 0 || rows === 0) return;
    const k = this.#outputs;
    if (this.#regress) this.#addRegression(yhat, y, rows);
    if (this.#classify && this.#binary) {
      const labels = this.#auc ? new Uint8Array(rows * k) : null;
      for (let c = 0; c < k; c++) {
        for (let i = 0; i < rows; i++) {
          const o = i * k + c;
          const t = y[o]! > 0.5;
          const pr = yhat[o]! > 0.5;
          if (pr && t) this.#tp[c]!++;
          else if (pr) this.#fp[c]!++;
          else if (t) this.#fn[c]!++;
          if (labels !== null) labels[o] = t ? 1 : 0;
        }
      }
      if (labels !== null) {
        this.#scores.push(yhat.slice(0, rows * k));
        this.#labels.push(labels);
      }
    } else if (this.#classify) {
      const truth = this.#auc ? new Int32Array(rows) : null;
      for (let i = 0; i < rows; i++) {
        const t = this.#sparse ? y[i]! : argmax(y, i * k, k);
        const p = argmax(yhat, i * k, k);
        this.#seen[t] = 1;
        this.#seen[p] = 1;
        if (t === p) this.#tp[t]!++;
        else {
          this.#fp[p]!++;
          this.#fn[t]!++;
        }
        if (truth !== null) truth[i] = t;
      }
      if (truth !== null) {
        this.#scores.push(yhat.slice(0, rows * k));
        this.#labels.push(truth);
      }
    }
    this.#rows += rows;
  }

  #addRegression(yhat: Float32Array, y: Float32Array, rows: number): void {
    const k = this.#outputs;
    for (let i = 0; i < rows; i++) {
      const o = i * k;
      for (let j = 0; j < k; j++) {
        const d = yhat[o + j]! - y[o + j]!;
        this.#sa += Math.abs(d);
        this.#ss += d * d;
      }
    }
    if (!this.#want.includes('r2')) return;
    const n0 = this.#rows;
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let i = 0; i < rows; i++) s += y[i * k + j]!;
      const mb = s / rows;
      let m2b = 0;
      let res = this.#res[j]!;
      for (let i = 0; i < rows; i++) {
        const o = i * k + j;
        const e = y[o]! - mb;
        const d = y[o]! - yhat[o]!;
        m2b += e * e;
        res += d * d;
      }
      this.#res[j] = res;
      if (n0 === 0) {
        this.#mean[j] = mb;
        this.#m2[j] = m2b;
      } else {
        const n = n0 + rows;
        const delta = mb - this.#mean[j]!;
        this.#mean[j] = this.#mean[j]! + (delta * rows) / n;
        this.#m2[j] = this.#m2[j]! + m2b + (delta * delta * n0 * rows) / n;
      }
    }
  }

  /** The metrics over every row added (see {@link computeMetrics} for the definitions). */
  result(): MetricValues {
    const out: MetricValues = {};
    const want = this.#want;
    if (want.length === 0) return out;
    const k = this.#outputs;
    const n = this.#rows;
    if (this.#regress) {
      const count = n * k;
      if (want.includes('mae')) out.mae = count === 0 ? Number.NaN : this.#sa / count;
      if (want.includes('mse')) out.mse = count === 0 ? Number.NaN : this.#ss / count;
      if (want.includes('r2')) {
        let total = 0;
        for (let j = 0; j < k; j++) {
          const tot = this.#m2[j]!;
          const res = this.#res[j]!;
          total += tot === 0 ? (res === 0 ? 1 : 0) : 1 - res / tot;
        }
        out.r2 = n < 2 ? Number.NaN : total / k;
      }
    }
    if (!this.#classify) return out;
    let sp = 0;
    let sr = 0;
    let sf = 0;
    let labels = 0;
    for (let c = 0; c < k; c++) {
      if (!this.#binary && !this.#seen[c]) continue;
      const m = prf({ tp: this.#tp[c]!, fp: this.#fp[c]!, fn: this.#fn[c]! });
      sp += m.precision;
      sr += m.recall;
      sf += m.f1;
      labels++;
    }
    if (want.includes('precision')) out.precision = labels === 0 ? 0 : sp / labels;
    if (want.includes('recall')) out.recall = labels === 0 ? 0 : sr / labels;
    if (want.includes('f1')) out.f1 = labels === 0 ? 0 : sf / labels;
    if (this.#auc) {
      const scores = new Float64Array(n);
      const pos: boolean[] = new Array(n);
      const aucs: number[] = [];
      for (let c = 0; c < k; c++) {
        let at = 0;
        for (let b = 0; b < this.#scores.length; b++) {
          const s = this.#scores[b]!;
          const l = this.#labels[b]!;
          const rows = s.length / k;
          for (let i = 0; i < rows; i++, at++) {
            scores[at] = s[i * k + c]!;
            pos[at] = this.#binary ? l[i * k + c] === 1 : l[i] === c;
          }
        }
        aucs.push(rocAuc(scores, pos));
      }
      out.auc = mean(aucs);
    }
    return out;
  }
}
