/**
 * LayerNorm and BatchNorm (training mode) in float64, written to be obviously correct:
 * the forward pass group by group (a LayerNorm group is a row, a BatchNorm group a
 * column) and the backward pass in the closed form dx = (γ/s)·(dy − mean(dy) −
 * x̂·mean(dy·x̂)), s = √(σ² + ε), checked against central differences in
 * test/gradients/norm.test.ts and against PyTorch's vectors there too.
 */

export interface RefNorm {
  kind: 'layerNorm' | 'batchNorm';
  rows: number;
  units: number;
  epsilon: number;
  /** null: scale off (γ = 1). */
  gamma: ArrayLike<number> | null;
  /** null: center off (β = 0). */
  beta: ArrayLike<number> | null;
}

function groups(l: RefNorm): {
  count: number;
  len: number;
  at: (g: number, k: number) => number;
  col: (g: number, k: number) => number;
} {
  const byRow = l.kind === 'layerNorm';
  return {
    count: byRow ? l.rows : l.units,
    len: byRow ? l.units : l.rows,
    at: (g, k) => (byRow ? g * l.units + k : k * l.units + g),
    col: (g, k) => (byRow ? k : g),
  };
}

/** y = γ·x̂ + β with x̂ = (x − μ)/√(σ² + ε) per group (σ² biased); also x̂ and s per group. */
export function normForward(
  l: RefNorm,
  x: ArrayLike<number>,
): { y: Float64Array; xhat: Float64Array; s: Float64Array } {
  const G = groups(l);
  const y = new Float64Array(l.rows * l.units);
  const xhat = new Float64Array(y.length);
  const s = new Float64Array(G.count);
  for (let g = 0; g < G.count; g++) {
    let mean = 0;
    for (let k = 0; k < G.len; k++) mean += x[G.at(g, k)]!;
    mean /= G.len;
    let v = 0;
    for (let k = 0; k < G.len; k++) v += (x[G.at(g, k)]! - mean) ** 2;
    s[g] = Math.sqrt(v / G.len + l.epsilon);
    for (let k = 0; k < G.len; k++) {
      const i = G.at(g, k);
      const j = G.col(g, k);
      xhat[i] = (x[i]! - mean) / s[g]!;
      y[i] = xhat[i]! * (l.gamma ? l.gamma[j]! : 1) + (l.beta ? l.beta[j]! : 0);
    }
  }
  return { y, xhat, s };
}

/** ∂L/∂x, ∂L/∂γ, ∂L/∂β for the upstream gradient dy. */
export function normBackward(
  l: RefNorm,
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
): { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
  const { xhat, s } = normForward(l, x);
  const G = groups(l);
  const dx = new Float64Array(x.length);
  const dgamma = new Float64Array(l.units);
  const dbeta = new Float64Array(l.units);
  for (let i = 0; i < x.length; i++) {
    dgamma[i % l.units] += dy[i]! * xhat[i]!;
    dbeta[i % l.units] += dy[i]!;
  }
  for (let g = 0; g < G.count; g++) {
    // g_k = γ_k·dy_k: the gradient with respect to x̂.
    let m1 = 0;
    let m2 = 0;
    for (let k = 0; k < G.len; k++) {
      const i = G.at(g, k);
      const gk = dy[i]! * (l.gamma ? l.gamma[G.col(g, k)]! : 1);
      m1 += gk;
      m2 += gk * xhat[i]!;
    }
    m1 /= G.len;
    m2 /= G.len;
    for (let k = 0; k < G.len; k++) {
      const i = G.at(g, k);
      const gk = dy[i]! * (l.gamma ? l.gamma[G.col(g, k)]! : 1);
      dx[i] = (gk - m1 - xhat[i]! * m2) / s[g]!;
    }
  }
  return { dx, dgamma, dbeta };
}
