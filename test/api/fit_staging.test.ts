/**
 * fit's prologue (lib/staging.ts): the data are copied in slices across turns of the
 * event loop, checked as they are copied, and the copy is released when the fit settles.
 * Timings here only prove slicing, with generous bounds for a loaded machine; the
 * targets themselves (< 10 ms native, < 50 ms js for 128 MB) belong to the benchmark.
 */
import { describe, expect, it } from 'vitest';
import { Dense, Network, SGD } from '../../lib/index';
import { Rng } from '../../lib/random';
import { dropPool, POOL_IDLE_MS, poolStats, runSliced, stageOrder } from '../../lib/staging';
import { BACKEND } from '../support/backend';

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * Full GCs until the array-buffer bytes settle: V8 frees the memory of collected buffers
 * on a background sweeper, so one gc() may leave it counted for a while.
 */
async function collect(): Promise<void> {
  let last = -1;
  for (let i = 0; i < 20; i++) {
    gc!();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const now = process.memoryUsage().arrayBuffers;
    if (now === last) return;
    last = now;
  }
}

function make(inputs: number): Network {
  const net = new Network({ inputs, layers: [new Dense(1)], backend: BACKEND, seed: 2 });
  net.compile({ loss: 'mse', optimizer: new SGD({ learningRate: 1e-3 }) });
  return net;
}

/** rows × inputs floats in [0, 1), cheap to make. */
function floats(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (i % 251) / 251;
  return a;
}

describe(`fit's prologue (${BACKEND})`, () => {
  it('copies a 64 MB set in slices: fit returns early and the event loop keeps turning', async () => {
    const inputs = 8;
    const rows = 2_000_000;
    const x = floats(rows * inputs);
    const y = floats(rows);
    const net = make(inputs);
    await collect();
    let last = performance.now();
    let worst = 0;
    let ticks = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
      ticks++;
    }, 1);
    let staged = -1;
    let callMs = -1;
    let worstBeforeTraining = -1;
    let ticksBeforeTraining = -1;
    const start = performance.now();
    last = start;
    try {
      const running = net.fit(x, y, {
        epochs: 1,
        batchSize: 1 << 16,
        shuffle: false,
        onBatchEnd: (b) => {
          if (b !== 0) return;
          staged = performance.now() - start;
          // Completed timer intervals only: the one still open holds the last slice, the
          // epoch's set-up and (on js) the first batch, which API.md allows.
          worstBeforeTraining = worst;
          ticksBeforeTraining = ticks;
        },
      });
      callMs = performance.now() - start;
      await running;
    } finally {
      clearInterval(timer);
    }
    const what = `fit call ${callMs.toFixed(1)} ms, first batch after ${staged.toFixed(1)} ms, worst lag before it ${worstBeforeTraining.toFixed(1)} ms over ${ticksBeforeTraining} ticks`;
    // A copy in one piece would make the call (and the worst lag) as long as the whole prologue.
    expect(callMs, what).toBeLessThan(staged / 2);
    expect(ticksBeforeTraining, what).toBeGreaterThan(2);
    expect(worstBeforeTraining, what).toBeLessThan(Math.max(50, staged / 3));
  });

  it('releases its copy when the fit settles (no per-network retention of the training set)', async () => {
    const inputs = 16;
    const rows = 262_144;
    const x = floats(rows * inputs);
    const y = floats(rows);
    const bytes = x.byteLength;
    const net = make(inputs);
    await collect();
    const base = process.memoryUsage().arrayBuffers;
    let during = 0;
    await net.fit(x, y, {
      epochs: 1,
      batchSize: 4096,
      onEpochEnd: () => {
        during = process.memoryUsage().arrayBuffers;
      },
    });
    expect(during - base, 'the copy exists while the fit runs').toBeGreaterThan(0.9 * bytes);
    // Kept for the next fit only until the pool has been idle for POOL_IDLE_MS.
    expect(poolStats().bytes).toBeGreaterThanOrEqual(bytes);
    await new Promise((resolve) => setTimeout(resolve, POOL_IDLE_MS + 100));
    expect(poolStats()).toMatchObject({ buffers: 0, bytes: 0 });
    await collect();
    const after = process.memoryUsage().arrayBuffers;
    expect(
      after - base,
      `array-buffer bytes after the fit settled: base ${base}, during ${during}, after ${after}`,
    ).toBeLessThan(bytes / 8);
    // The network still trains (a second fit makes a fresh copy).
    await net.fit(x.subarray(0, 64 * inputs), y.subarray(0, 64), { epochs: 1 });
    expect(net.busy).toBe(false);
  });

  it('a fit reuses the buffers of the fit before it, with the same numbers as fresh ones', async () => {
    const inputs = 32;
    const rows = 4096;
    const x = floats(rows * inputs);
    const y = floats(rows);
    const options = { epochs: 1, batchSize: 64 };
    const x0 = x.slice();
    const x1 = x.map((v, i) => (i % 7 === 0 ? 1 - v : v));
    const pooled = make(inputs);
    const fresh = make(inputs);
    dropPool();
    await pooled.fit(x, y, options);
    // The buffers of the first fit (x, y, the order) wait in the pool …
    expect(poolStats().bytes).toBeGreaterThanOrEqual(x.byteLength + y.byteLength);
    // … and the next fit takes them, after the caller changed its data in between.
    x.set(x1);
    const before = poolStats().reused;
    await pooled.fit(x, y, options);
    expect(poolStats().reused - before, 'buffers taken from the pool').toBeGreaterThanOrEqual(3);
    // Without the pool: the same two fits on fresh buffers.
    dropPool();
    await fresh.fit(x0, y, options);
    dropPool();
    await fresh.fit(x1, y, options);
    expect(pooled.getWeights()).toEqual(fresh.getWeights());
    dropPool();
  });

  it('two fits at once never share a pooled buffer', async () => {
    const inputs = 16;
    const rows = 2048;
    const x = floats(rows * inputs);
    const y = floats(rows);
    const options = { epochs: 2, batchSize: 32 };
    const warm = make(inputs);
    await warm.fit(x, y, { epochs: 1 });
    await warm.fit(x, y, { epochs: 1 });
    // The pool now holds a set of this shape: both fits stage at once, on different data,
    // so a buffer handed to both would train one of them on the other's rows.
    const x2 = x.map((v) => 1 - v);
    const [a, b] = [make(inputs), make(inputs)];
    await Promise.all([a.fit(x, y, options), b.fit(x2, y, options)]);
    dropPool();
    const soloA = make(inputs);
    await soloA.fit(x, y, options);
    dropPool();
    const soloB = make(inputs);
    await soloB.fit(x2, y, options);
    expect(a.getWeights()).toEqual(soloA.getWeights());
    expect(b.getWeights()).toEqual(soloB.getWeights());
    expect(a.getWeights()).not.toEqual(b.getWeights());
    dropPool();
  });

  it("re-reads the caller's arrays between slices: a number[][] cut short meanwhile rejects the fit, nothing changed", async () => {
    const inputs = 8;
    const rows = 400_000;
    const x = Array.from({ length: rows }, (_, r) => Array.from({ length: inputs }, (_, c) => ((r + c) % 13) / 13));
    const y = new Float32Array(rows);
    const net = make(inputs);
    const before = net.getWeights();
    const running = net.fit(x, y, { epochs: 1 });
    setImmediate(() => {
      x.length = 1000;
    });
    const err = await running.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RangeError);
    expect((err as { code?: string }).code).toBe('DENSELY_INVALID_ARGUMENT');
    expect((err as Error).message).toBe(
      `Expected x to stay unchanged in size until fit settles for x but received an array whose length changed from ${rows} to 1000 while fit copied it`,
    );
    expect(net.getWeights()).toEqual(before);
    expect(net.busy).toBe(false);
  });

  it('an abort while the data are copied resolves with an empty history and takes no step', async () => {
    const inputs = 8;
    const rows = 1_000_000;
    const x = floats(rows * inputs);
    const y = floats(rows);
    const net = make(inputs);
    const before = net.getWeights();
    const controller = new AbortController();
    let batches = 0;
    const running = net.fit(x, y, { epochs: 2, signal: controller.signal, onBatchEnd: () => batches++ });
    setImmediate(() => controller.abort());
    const history = await running;
    expect(history).toEqual({ epochs: [], loss: [] });
    expect(batches).toBe(0);
    expect(net.getWeights()).toEqual(before);
  });

  it('the epoch order in slices is the one-piece shuffle, draw for draw', async () => {
    const n = 300_001;
    const whole = new Rng(9).shuffle(Int32Array.from({ length: n }, (_, i) => i));
    const rng = new Rng(9);
    const sliced = new Int32Array(n);
    await runSliced(stageOrder(sliced, rng));
    expect(sliced).toEqual(whole);
    const next = new Rng(9);
    next.shuffle(new Int32Array(n).map((_, i) => i));
    expect(rng.nextU32(), 'the generator ends in the same state').toBe(next.nextU32());
    const plain = new Int32Array(5);
    expect(runSliced(stageOrder(plain, null)), 'a small order is made at once').toBeUndefined();
    expect(Array.from(plain)).toEqual([0, 1, 2, 3, 4]);
  });
});
