/**
 * The js backend's LayerNorm and BatchNorm, mirroring `native/core/ops/norm.cc` (the
 * contract and formulas are in `native/core/ops/norm.h`): statistics in float64, two
 * passes (mean, then the mean of squared deviations), rstd = 1/√(σ² + ε); x̂ = (x − μ)·rstd
 * from μ and rstd rounded to float32; y = γ·x̂ + β. Parameter gradients dγ = Σ_rows dy·x̂,
 * dβ = Σ_rows dy are float64 sums in row order. Row-major `[rows × units]`; no allocation.
 */
import type { BatchNormSpec, LayerNormSpec } from '../types';

const f32 = Math.fround;

/**
 * LayerNorm forward: `y` ← γ·x̂ + β per row. When `xhat` is non-null it gets x̂ and `rstd`
 * each row's rstd (for the backward pass).
 */
export function layerNormForward(
  d: LayerNormSpec,
  params: Float32Array,
  x: Float32Array,
  rows: number,
  y: Float32Array,
  xhat: Float32Array | null,
  rstd: Float64Array | null,
): void {
  const n = d.units;
  const go = d.gammaOffset;
  const bo = d.betaOffset;
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let s = 0;
    for (let j = 0; j < n; j++) s += x[o + j]!;
    const mean = s / n;
    let q = 0;
    for (let j = 0; j < n; j++) {
      const v = x[o + j]! - mean;
      q += v * v;
    }
    const rs = 1 / Math.sqrt(q / n + d.epsilon);
    if (rstd !== null) rstd[r] = rs;
    const mf = f32(mean);
    const rf = f32(rs);
    for (let j = 0; j < n; j++) {
      const h = f32(f32(x[o + j]! - mf) * rf);
      if (xhat !== null) xhat[o + j] = h;
      let v = go >= 0 ? f32(h * params[go + j]!) : h;
      if (bo >= 0) v += params[bo + j]!;
      y[o + j] = v;
    }
  }
}

/**
 * LayerNorm backward from the forward's `xhat` and `rstd`: dγ, dβ into `grads` at their
 * offsets (where on); `dx` (may alias `dy`, null: skipped) ← rstd·(g − mean(g) − x̂·mean(g·x̂))
 * per row with g = γ·dy. `acc` holds at least 2 × units.
 */
export function layerNormBackward(
  d: LayerNormSpec,
  params: Float32Array,
  dy: Float32Array,
  xhat: Float32Array,
  rstd: Float64Array,
  rows: number,
  grads: Float32Array,
  dx: Float32Array | null,
  acc: Float64Array,
): void {
  const n = d.units;
  const go = d.gammaOffset;
  const bo = d.betaOffset;
  acc.fill(0, 0, 2 * n);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) {
      const g = dy[o + j]!;
      acc[j] += g * xhat[o + j]!;
      acc[n + j] += g;
    }
    if (dx === null) continue;
    let s1 = 0;
    let s2 = 0;
    for (let j = 0; j < n; j++) {
      const g = go >= 0 ? f32(dy[o + j]! * params[go + j]!) : dy[o + j]!;
      dx[o + j] = g;
      s1 += g;
      s2 += g * xhat[o + j]!;
    }
    const a = f32(s1 / n);
    const b = f32(s2 / n);
    const c = f32(rstd[r]!);
    for (let j = 0; j < n; j++) dx[o + j] = c * f32(f32(dx[o + j]! - a) - f32(xhat[o + j]! * b));
  }
  if (go >= 0) for (let j = 0; j < n; j++) grads[go + j] = acc[j]!;
  if (bo >= 0) for (let j = 0; j < n; j++) grads[bo + j] = acc[n + j]!;
}

/**
 * BatchNorm forward with the batch statistics (training): `stats` (3 × units) gets μ, σ²
 * (biased) and rstd per column, `xhat` gets x̂, `y` gets γ·x̂ + β.
 */
export function batchNormTrainForward(
  d: BatchNormSpec,
  params: Float32Array,
  x: Float32Array,
  rows: number,
  y: Float32Array,
  xhat: Float32Array,
  stats: Float64Array,
): void {
  const n = d.units;
  stats.fill(0, 0, 2 * n);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) stats[j] += x[o + j]!;
  }
  for (let j = 0; j < n; j++) stats[j] /= rows;
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) {
      const v = x[o + j]! - stats[j]!;
      stats[n + j] += v * v;
    }
  }
  for (let j = 0; j < n; j++) {
    stats[n + j] /= rows;
    stats[2 * n + j] = 1 / Math.sqrt(stats[n + j]! + d.epsilon);
  }
  applyColumns(d, params, x, rows, y, xhat, stats, 0, 2 * n);
}

/** BatchNorm forward with the running statistics in `buffers` (inference): y = (x − mean)·k + β, k = γ/√(var + ε). */
export function batchNormInferForward(
  d: BatchNormSpec,
  params: Float32Array,
  buffers: Float32Array,
  x: Float32Array,
  rows: number,
  y: Float32Array,
  k: Float64Array,
): void {
  const n = d.units;
  const mo = d.statsOffset;
  const go = d.gammaOffset;
  const bo = d.betaOffset;
  for (let j = 0; j < n; j++) {
    const g = go >= 0 ? params[go + j]! : 1;
    k[j] = f32(g / Math.sqrt(buffers[mo + n + j]! + d.epsilon));
  }
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) {
      let v = f32(f32(x[o + j]! - buffers[mo + j]!) * k[j]!);
      if (bo >= 0) v += params[bo + j]!;
      y[o + j] = v;
    }
  }
}

function applyColumns(
  d: BatchNormSpec,
  params: Float32Array,
  x: Float32Array,
  rows: number,
  y: Float32Array,
  xhat: Float32Array,
  stats: Float64Array,
  meanAt: number,
  rstdAt: number,
): void {
  const n = d.units;
  const go = d.gammaOffset;
  const bo = d.betaOffset;
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) {
      const h = f32(f32(x[o + j]! - f32(stats[meanAt + j]!)) * f32(stats[rstdAt + j]!));
      xhat[o + j] = h;
      let v = go >= 0 ? f32(h * params[go + j]!) : h;
      if (bo >= 0) v += params[bo + j]!;
      y[o + j] = v;
    }
  }
}

/**
 * BatchNorm backward from the training forward's `xhat` and `stats`: dγ, dβ into `grads`;
 * `dx` (may alias `dy`, null: skipped) ← rstd·γ·(dy − Σdy/rows − x̂·Σdy·x̂/rows) per column.
 * `acc` holds at least 3 × units.
 */
export function batchNormBackward(
  d: BatchNormSpec,
  params: Float32Array,
  dy: Float32Array,
  xhat: Float32Array,
  stats: Float64Array,
  rows: number,
  grads: Float32Array,
  dx: Float32Array | null,
  acc: Float64Array,
): void {
  const n = d.units;
  const go = d.gammaOffset;
  const bo = d.betaOffset;
  acc.fill(0, 0, 2 * n);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) {
      const g = dy[o + j]!;
      acc[j] += g;
      acc[n + j] += g * xhat[o + j]!;
    }
  }
  if (go >= 0) for (let j = 0; j < n; j++) grads[go + j] = acc[n + j]!;
  if (bo >= 0) for (let j = 0; j < n; j++) grads[bo + j] = acc[j]!;
  if (dx === null) return;
  // Per-column coefficients, rounded to float32 once (as the native core's).
  for (let j = 0; j < n; j++) {
    const g = go >= 0 ? params[go + j]! : 1;
    acc[j] = f32(acc[j]! / rows);
    acc[n + j] = f32(acc[n + j]! / rows);
    acc[2 * n + j] = f32(stats[2 * n + j]! * g);
  }
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) {
      dx[o + j] = acc[2 * n + j]! * f32(f32(dy[o + j]! - acc[j]!) - f32(xhat[o + j]! * acc[n + j]!));
    }
  }
}

/**
 * running ← (1 − momentum)·running + momentum·batch for the mean and the variance (σ² made
 * unbiased: ·rows/(rows − 1); with one row, σ² itself), in float64, rounded once.
 */
export function batchNormUpdateRunning(
  d: BatchNormSpec,
  stats: Float64Array,
  rows: number,
  buffers: Float32Array,
): void {
  const n = d.units;
  const mo = d.statsOffset;
  const m = d.momentum;
  const unbias = rows > 1 ? rows / (rows - 1) : 1;
  for (let j = 0; j < n; j++) {
    buffers[mo + j] = (1 - m) * buffers[mo + j]! + m * stats[j]!;
    buffers[mo + n + j] = (1 - m) * buffers[mo + n + j]! + m * (stats[n + j]! * unbias);
  }
}
