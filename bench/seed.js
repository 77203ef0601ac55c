'use strict';
// Seeded data for the trials. Every contender trains and predicts on exactly the same
// numbers, drawn here with a generator of the bench's own (so the data never depends on
// the densely build under test).

/**
 * splitmix32: a Weyl sequence (step 0x9e3779b9) through a 32-bit finaliser.
 * Returns a function giving uniform floats in [0, 1).
 */
function uniform(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    z = (z ^ (z >>> 15)) >>> 0;
    return z / 4294967296;
  };
}

/** `length` floats uniform in [lo, hi). */
function floats(length, seed, lo = 0, hi = 1) {
  const next = uniform(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = lo + (hi - lo) * next();
  return out;
}

/**
 * A classification set shaped like MNIST: x `[rows × inputs]` uniform in [0, 1)
 * (pixel intensities), y `[rows × classes]` one-hot of a uniformly drawn class.
 * Labels are random, which is irrelevant to speed: every sample costs the same.
 */
function classification(rows, inputs, classes, seed) {
  const x = floats(rows * inputs, seed);
  const next = uniform(seed ^ 0x5bd1e995);
  const y = new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) y[r * classes + Math.floor(next() * classes)] = 1;
  return { x, y };
}

/** XOR: each row one of the four corners of {0,1}², drawn uniformly; y = a xor b. */
function xor(rows, seed) {
  const next = uniform(seed);
  const x = new Float32Array(rows * 2);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const a = next() < 0.5 ? 0 : 1;
    const b = next() < 0.5 ? 0 : 1;
    x[2 * r] = a;
    x[2 * r + 1] = b;
    y[r] = a ^ b;
  }
  return { x, y };
}

module.exports = { uniform, floats, classification, xor };
