/**
 * Flush-to-zero (native/core/runtime/fp_mode.h, API.md "Threads and determinism"):
 * native arithmetic treats subnormal floats as 0 on every thread that runs it, and the
 * caller's floating-point mode comes back after every synchronous call, so Node's own
 * double arithmetic (SSE2 in V8, which MXCSR's DAZ/FTZ would change too) still
 * produces subnormals.
 *
 * The model: 1 → 1 linear, MSE, x = 1e-39 (a float32 subnormal), y = 1, W = b = 0.
 * ∂loss/∂W = 2·(ŷ − y)·x = −2e-39: the js backend keeps it, the native core reads x
 * as 0 and returns exactly 0, and Adam (whose step m̂/(√v̂ + ε) would turn −2e-39
 * into a W of ~2e-34) leaves W exactly 0.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { jsBackend } from '../../lib/backend/js/index';
import type { Backend, OptimizerSpec } from '../../lib/backend/types';
import { makeSpec, nativeBackend, sgd } from './helpers';

// Read from typed arrays so that no compiler can fold the arithmetic ahead of time.
const f64 = new Float64Array([1e-310, 1, Number.MIN_VALUE, 2, 1e-20]);

/** What an unflushed thread computes: each of these is 0 under DAZ/FTZ. */
function jsKeepsSubnormals(): Record<string, boolean> {
  const f32 = new Float32Array(1);
  f32[0] = f64[4] * f64[4]; // 1e-40 rounded to float32: a float32 subnormal
  return {
    'subnormal * 1 > 0': f64[0] * f64[1] > 0,
    'MIN_VALUE * 2 > 0': f64[2] * f64[3] > 0,
    'MIN_VALUE / 1 > 0': f64[2] / f64[1] > 0,
    'Math.fround(1e-40) > 0': Math.fround(f64[4] * f64[4]) > 0,
    'Float32Array store of 1e-40 > 0': f32[0] > 0,
  };
}
const allTrue = {
  'subnormal * 1 > 0': true,
  'MIN_VALUE * 2 > 0': true,
  'MIN_VALUE / 1 > 0': true,
  'Math.fround(1e-40) > 0': true,
  'Float32Array store of 1e-40 > 0': true,
};

const adam: OptimizerSpec = { ...sgd(1e-3), kind: 'adam' };
const x = new Float32Array([1e-39]);
const y = new Float32Array([1]);

function model(backend: Backend) {
  const m = backend.createModel(makeSpec(1, [{ units: 1 }]));
  m.params.fill(0);
  m.setLoss('mse');
  m.setOptimizer(adam);
  return m;
}

describe('native flush-to-zero', () => {
  const backend = nativeBackend();
  const saved = backend.getThreads();
  afterAll(() => backend.setThreads(saved));

  it('the input is a float32 subnormal, and the js backend keeps its gradient (it cannot flush)', () => {
    expect(x[0]).toBeGreaterThan(0);
    expect(x[0]).toBeLessThan(1.1754943508222875e-38);
    expect(jsKeepsSubnormals()).toEqual(allTrue);
    const grads = new Float32Array(2);
    model(jsBackend).gradients(x, y, 1, grads);
    expect(grads[0]).toBeLessThan(0);
    expect(grads[0]).toBeGreaterThan(-1e-38);
  });

  for (const threads of [1, 2]) {
    it(`${threads} thread(s): every native call flushes, and JS arithmetic keeps subnormals after each`, async () => {
      backend.setThreads(threads);
      const m = model(backend);
      try {
        const grads = new Float32Array([1, 1]);
        m.gradients(x, y, 1, grads);
        expect(Array.from(grads)).toEqual([0, -2]);
        expect(jsKeepsSubnormals()).toEqual(allTrue);

        m.trainStep(x, y, 1, 0);
        expect(m.params[0]).toBe(0);
        expect(m.params[1]).toBeGreaterThan(0);
        expect(jsKeepsSubnormals()).toEqual(allTrue);

        const r = await m.trainEpoch({ x, y, order: new Int32Array([0, 0, 0]), batchSize: 1, firstStep: 1 });
        expect(r.batches).toBe(3);
        expect(m.params[0]).toBe(0);
        expect(jsKeepsSubnormals()).toEqual(allTrue);

        m.params[0] = 1000;
        m.params[1] = 0;
        const out = new Float32Array([1]);
        m.predict(x, 1, out);
        expect(out[0]).toBe(0); // 1000 · 1e-39 = 1e-36 unflushed
        expect(jsKeepsSubnormals()).toEqual(allTrue);
        expect(m.evaluate(x, y, 1).loss).toBe(1);
        expect(jsKeepsSubnormals()).toEqual(allTrue);
      } finally {
        m.dispose();
      }

      // sgemm: every product 1e-20 · 1e-20 = 1e-40 is subnormal; 256×256×64 is split
      // across the pool at 2 threads.
      const [mm, nn, kk] = [256, 256, 64];
      const a = new Float32Array(mm * kk).fill(1e-20);
      const b = new Float32Array(kk * nn).fill(1e-20);
      const c = new Float32Array(mm * nn).fill(1);
      backend.sgemm(false, false, mm, nn, kk, 1, a, kk, b, nn, 0, c, nn);
      expect(c.some((v) => v !== 0)).toBe(false);
      const cJs = new Float32Array(4);
      jsBackend.sgemm(false, false, 2, 2, kk, 1, a, kk, b, nn, 0, cJs, 2);
      expect(cJs[0]).toBeGreaterThan(0); // 64 · 1e-40, unflushed
      expect(jsKeepsSubnormals()).toEqual(allTrue);
    });
  }
});
