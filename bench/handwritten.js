'use strict';
// The hand-written pure-JS contender: the XOR trials' exact network (2→8 tanh→1 sigmoid,
// binary cross-entropy, SGD, batch 1) as one plain loop, the way a careful user would
// write it without any library: Float64Array weights, the fused sigmoid + cross-entropy
// gradient (ŷ − y), no allocation per step, a Fisher–Yates shuffle per epoch. It is the
// floor a library's per-step overhead is measured against (issue: native batch-1 steps
// ≥ 2.5× this loop, one-sample predict ≥ 1.5× the js backend).

const HIDDEN = 8;

/** A 2→8→1 network with uniform(−limit, limit) weights from `next`, zero biases. */
function xorNet(next) {
  const w1 = new Float64Array(2 * HIDDEN);
  const b1 = new Float64Array(HIDDEN);
  const w2 = new Float64Array(HIDDEN);
  const lim1 = Math.sqrt(6 / (2 + HIDDEN));
  const lim2 = Math.sqrt(6 / (HIDDEN + 1));
  for (let i = 0; i < w1.length; i++) w1[i] = (2 * next() - 1) * lim1;
  for (let j = 0; j < HIDDEN; j++) w2[j] = (2 * next() - 1) * lim2;
  return { w1, b1, w2, b2: 0 };
}

/**
 * One epoch of batch-1 SGD over `order` (row indices into x [rows × 2], y [rows]).
 * Returns the mean loss, so the work cannot be optimised away.
 */
function trainEpoch(net, x, y, order, lr) {
  const { w1, b1, w2 } = net;
  const h = new Float64Array(HIDDEN);
  let b2 = net.b2;
  let lossSum = 0;
  for (let s = 0; s < order.length; s++) {
    const r = order[s];
    const x0 = x[2 * r];
    const x1 = x[2 * r + 1];
    const t = y[r];
    let z2 = b2;
    for (let j = 0; j < HIDDEN; j++) {
      const a = Math.tanh(x0 * w1[j] + x1 * w1[HIDDEN + j] + b1[j]);
      h[j] = a;
      z2 += a * w2[j];
    }
    const p = 1 / (1 + Math.exp(-z2));
    const pc = Math.min(Math.max(p, 1e-7), 1 - 1e-7);
    lossSum -= t * Math.log(pc) + (1 - t) * Math.log(1 - pc);
    const d2 = p - t;
    for (let j = 0; j < HIDDEN; j++) {
      const a = h[j];
      const d1 = d2 * w2[j] * (1 - a * a);
      w2[j] -= lr * d2 * a;
      w1[j] -= lr * d1 * x0;
      w1[HIDDEN + j] -= lr * d1 * x1;
      b1[j] -= lr * d1;
    }
    b2 -= lr * d2;
  }
  net.b2 = b2;
  return lossSum / order.length;
}

/** Fisher–Yates shuffle of 0..n−1 into `order`, driven by `next`. */
function shuffle(order, next) {
  for (let i = 0; i < order.length; i++) order[i] = i;
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
}

/** One-sample forward pass (the predict-xor-1 counterpart). */
function predictOne(net, x0, x1) {
  const { w1, b1, w2 } = net;
  let z2 = net.b2;
  for (let j = 0; j < HIDDEN; j++) z2 += Math.tanh(x0 * w1[j] + x1 * w1[HIDDEN + j] + b1[j]) * w2[j];
  return 1 / (1 + Math.exp(-z2));
}

module.exports = { xorNet, trainEpoch, shuffle, predictOne, HIDDEN };
