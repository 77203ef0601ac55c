/**
 * The binding re-checks the lengths that decide a memory access and rejects anything
 * else with a TypeError whose code is DENSELY_INTERNAL (the facade validates user input
 * first, so these only catch bugs in the TypeScript side).
 */
import { describe, expect, it } from 'vitest';
import type { NativeBinding } from '../../lib/backend/native/binding';
import { packModelSpec } from '../../lib/backend/native/index';
import { LAYER_SPEC, LAYER_SPEC_SIZE, MODEL_SPEC_HEADER_SIZE } from '../../lib/backend/native/wire';
import { Rng } from '../../lib/random';
import { identityOrder, makeSpec, nativeAddonPath, nativeBackend, sgd } from './helpers';

function internal(fn: () => unknown, what: string): void {
  let err: (Error & { code?: string }) | undefined;
  try {
    fn();
  } catch (e) {
    err = e as Error & { code?: string };
  }
  expect(err, what).toBeInstanceOf(TypeError);
  expect(err!.code, what).toBe('DENSELY_INTERNAL');
}

describe('native argument re-checks', () => {
  const backend = nativeBackend();
  const spec = makeSpec(5, [{ units: 4, activation: 'relu' }, { units: 3 }]);
  const model = backend.createModel(spec);
  model.setLoss('mse');
  model.setOptimizer(sgd());
  const x = new Float32Array(2 * 5);
  const y = new Float32Array(2 * 3);

  it('rejects short or mistyped arrays in every synchronous call', () => {
    internal(() => model.predict(x.subarray(1), 2, new Float32Array(6)), 'predict short x');
    internal(() => model.predict(x, 2, new Float32Array(5)), 'predict short out');
    internal(
      () => model.predict(new Float64Array(10) as unknown as Float32Array, 2, new Float32Array(6)),
      'predict Float64Array x',
    );
    internal(() => model.predict(x, -1, new Float32Array(6)), 'predict negative rows');
    internal(() => model.predict(x, 1.5, new Float32Array(6)), 'predict fractional rows');
    internal(() => model.evaluate(x, y.subarray(1), 2), 'evaluate short y');
    internal(() => model.gradients(x, y, 2, new Float32Array(spec.paramCount - 1)), 'gradients short grads');
    internal(() => model.trainStep(x.subarray(0, 9), y, 2, 0), 'trainStep short x');
    internal(() => model.trainStep(x, y, 2, -1), 'trainStep negative step');
  });

  it('rejects a short y or an out-of-range order in trainEpoch', async () => {
    const order = identityOrder(2);
    await expect(model.trainEpoch({ x, y: y.subarray(3), order, batchSize: 1, firstStep: 0 })).rejects.toMatchObject({
      code: 'DENSELY_INTERNAL',
    });
    await expect(
      model.trainEpoch({ x, y, order: Int32Array.of(0, 2), batchSize: 1, firstStep: 0 }),
    ).rejects.toMatchObject({ code: 'DENSELY_INTERNAL' });
    await expect(
      model.trainEpoch({ x, y, order: Int32Array.of(-1), batchSize: 1, firstStep: 0 }),
    ).rejects.toMatchObject({ code: 'DENSELY_INTERNAL' });
    await expect(model.trainEpoch({ x, y, order, batchSize: 0, firstStep: 0 })).rejects.toMatchObject({
      code: 'DENSELY_INTERNAL',
    });
    expect((await model.trainEpoch({ x, y, order, batchSize: 1, firstStep: 0 })).status).toBe('done');
  });

  it('re-attaches errors from the worker thread to the calling stack', async () => {
    const callerLine = async (): Promise<unknown> =>
      model.trainEpoch({ x, y, order: Int32Array.of(5), batchSize: 1, firstStep: 0 }).catch((e: unknown) => e);
    const err = (await callerLine()) as Error & { code?: string };
    expect(err.code).toBe('DENSELY_INTERNAL');
    expect(err.stack).toMatch(/^TypeError: densely internal error: order holds a row index outside x/);
    expect(err.stack).toContain('callerLine');
    expect(err.stack).toContain('bad_arrays.test.ts');
  });

  it('rejects an inconsistent model spec', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const binding = require(nativeAddonPath()) as NativeBinding;
    const good = packModelSpec(spec);
    expect(() => new binding.Model(good)).not.toThrow();
    const shortParams = good.slice();
    shortParams[2] = spec.paramCount - 1;
    internal(() => new binding.Model(shortParams), 'paramCount below the last bias');
    const badChain = good.slice();
    badChain[MODEL_SPEC_HEADER_SIZE + LAYER_SPEC_SIZE + LAYER_SPEC.inputs] = 7;
    internal(() => new binding.Model(badChain), 'second layer inputs ≠ first layer units');
    internal(() => new binding.Model(good.subarray(0, good.length - 1)), 'truncated spec');
    internal(() => new binding.Model(new Float32Array(good) as unknown as Float64Array), 'Float32Array spec');
  });

  it('predictStaged checks its registered arrays and the row count', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const binding = require(nativeAddonPath()) as NativeBinding;
    const m = new binding.Model(packModelSpec(spec));
    internal(() => m.predictStaged(1, 5, 3), 'before setStaging');
    const buf = new Float32Array(32);
    internal(() => m.setStaging(buf.subarray(0, 16), buf.subarray(8, 24)), 'overlapping arrays');
    const sx = new Float32Array(10); // 2 rows of 5 inputs
    const so = new Float32Array(6); // 2 rows of 3 outputs
    m.setStaging(sx, so);
    sx.set([1, 2, 3, 4, 5, -1, -2, -3, -4, -5]);
    m.predictStaged(2, 10, 6);
    const want = new Float32Array(6);
    m.predict(sx, 2, want);
    expect(Array.from(so)).toEqual(Array.from(want));
    internal(() => m.predictStaged(2, 9, 6), 'x shorter than the rows need');
    internal(() => m.predictStaged(2, 10, 5), 'out shorter than the rows need');
    internal(() => m.predictStaged(3, 15, 9), 'lengths beyond the staged arrays');
    m.setStaging(new Float32Array(15), so);
    internal(() => m.predictStaged(3, 15, 9), 'more rows than the staged out holds');
    m.dispose();
    internal(() => m.predictStaged(1, 5, 3), 'after dispose');
  });

  it('rejects short operands of sgemm', () => {
    const rng = new Rng(1);
    const a = new Float32Array(6).map(() => rng.nextFloat());
    const b = new Float32Array(12).map(() => rng.nextFloat());
    const c = new Float32Array(8);
    backend.sgemm(false, false, 2, 4, 3, 1, a, 3, b, 4, 0, c, 4);
    internal(() => backend.sgemm(false, false, 2, 4, 3, 1, a.subarray(1), 3, b, 4, 0, c, 4), 'short a');
    internal(() => backend.sgemm(false, false, 2, 4, 3, 1, a, 3, b.subarray(1), 4, 0, c, 4), 'short b');
    internal(() => backend.sgemm(false, false, 2, 4, 3, 1, a, 3, b, 4, 0, c.subarray(1), 4), 'short c');
    internal(() => backend.sgemm(true, false, 2, 4, 3, 1, a, 1, b, 4, 0, c, 4), 'lda below m for transposed a');
    internal(
      () => backend.sgemm(false, true, 2, 4, 3, 1, a, 3, b, 4, 0, c, 4),
      'transposed b needs 4×3 = 12 with ldb ≥ 3: ldb 4 needs 15',
    );
  });

  it('rejects lengths whose products would overflow int64 instead of wrapping to a small need', () => {
    // (4097 − 1) · 2^52 + 1 wraps to 1 in int64: a one-element a used to pass, and sgemm
    // then read row r of a at r · 2^52.
    const big = 2 ** 52;
    internal(
      () =>
        backend.sgemm(
          false,
          false,
          4097,
          1,
          1,
          1,
          new Float32Array(1),
          big,
          new Float32Array(1),
          1,
          0,
          new Float32Array(4097),
          1,
        ),
      'a rows × lda past 2^64',
    );
    internal(
      () =>
        backend.sgemm(
          false,
          true,
          1,
          4097,
          1,
          1,
          new Float32Array(1),
          1,
          new Float32Array(1),
          big,
          0,
          new Float32Array(4097),
          4097,
        ),
      'transposed b rows × ldb past 2^64',
    );
    internal(
      () =>
        backend.sgemm(
          false,
          false,
          4097,
          1,
          1,
          1,
          new Float32Array(4097),
          1,
          new Float32Array(1),
          1,
          0,
          new Float32Array(1),
          big,
        ),
      'c rows × ldc past 2^64',
    );
    // 4096 → 1 → 4096: rows = 2^52 makes rows · 4096 = 2^64, which wrapped to 0 for both x and out.
    const wide = backend.createModel(makeSpec(4096, [{ units: 1 }, { units: 4096 }]));
    wide.setLoss('mse');
    wide.setOptimizer(sgd());
    const none = new Float32Array(0);
    internal(() => wide.predict(none, big, none), 'predict rows · width past 2^64');
    internal(() => wide.evaluate(none, none, big), 'evaluate rows · width past 2^64');
    internal(
      () => wide.gradients(none, none, big, new Float32Array(wide.params.length)),
      'gradients rows · width past 2^64',
    );
    internal(() => wide.trainStep(none, none, big, 0), 'trainStep rows · width past 2^64');
    wide.dispose();
  });

  it('rejects spec entries that are NaN, fractional or beyond int64 before converting them', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const binding = require(nativeAddonPath()) as NativeBinding;
    const good = packModelSpec(spec);
    const bad: Array<[number, number, string]> = [
      [0, NaN, 'inputs NaN'],
      [1, 1e300, 'outputs 1e300'],
      [2, -Infinity, 'paramCount −∞'],
      [3, 2 ** 40, 'seed past 2^32'],
      [5, 0.5, 'layer kind 0.5'],
      [5 + 2, 9.3e18, 'units 9.3e18 (past int64)'],
      [5 + 3, 1e10, 'activation 1e10'],
      [5 + 4, 1e300, 'leaky slope beyond float'],
      [5 + 6, -(2 ** 63), 'kernel offset −2^63'],
      [5 + 7, 2 ** 62, 'bias offset 2^62'],
    ];
    for (const [at, value, what] of bad) {
      const s = good.slice();
      s[at] = value;
      internal(() => new binding.Model(s), what);
    }
  });

  it('rejects copyInRange on unequal lengths or overlapping arrays', () => {
    const src = new Float32Array(16);
    internal(() => backend.copyInRange(src, new Float32Array(15), -1, 1), 'unequal lengths');
    internal(() => backend.copyInRange(src.subarray(0, 8), src.subarray(4, 12), -1, 1), 'overlap');
    internal(() => backend.copyInRange(src, src, -1, 1), 'same array');
    expect(backend.copyInRange(src.subarray(0, 8), src.subarray(8, 16), -1, 1)).toBe(-1);
  });

  it('rejects calls after dispose', () => {
    const m = backend.createModel(spec);
    m.dispose();
    internal(() => m.predict(x, 2, new Float32Array(6)), 'predict after dispose');
  });
});
