/**
 * Size limits are errors, not accidents (SECURITY.md): a network or batch too large for
 * one Float32Array or for the native core's index range (2^32 − 1 elements) is rejected
 * before anything is allocated, with a RangeError of code DENSELY_TOO_LARGE whose message
 * names the limit — the same message on both backends (each project runs these with its
 * own, against the same literal text). Options the core cannot represent (a leakyRelu
 * slope beyond float32) are argument errors. A small file declaring a huge architecture
 * is rejected in a child process with a small heap, fast and without the memory.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Dense, Dropout, Network } from '../../lib/index';
import { BACKEND } from '../support/backend';
import { expectBitExact } from '../support/close';
import { rssBoundMB } from '../support/sanitizers';

const ROOT = resolve(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'densely-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a throw');
}

describe(`size limits (${BACKEND})`, () => {
  it('more than 2^32 − 1 parameters: DENSELY_TOO_LARGE naming the limit, at once, on both backends alike', () => {
    const t0 = performance.now();
    const e = thrown(() => new Network({ inputs: 65536, layers: [new Dense(65536)], backend: BACKEND }));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(e).toBeInstanceOf(RangeError);
    expect(e.code).toBe('DENSELY_TOO_LARGE');
    expect(e.message).toBe(
      "Expected at most 4294967295 (2^32 − 1) parameters, the limit of one Float32Array and of the native core's index range, " +
        'for layers but received 4295032832 parameters up to layers[0] (65536 inputs × 65536 units)',
    );
    // Over the limit only in sum: the layer that crosses it is named.
    const sum = thrown(
      () =>
        new Network({
          inputs: 65536,
          layers: [new Dense(32768), new Dropout(0.5), new Dense(65536, { useBias: false })],
          backend: BACKEND,
        }),
    );
    expect(sum.code).toBe('DENSELY_TOO_LARGE');
    expect(sum.message).toMatch(/received 4295000064 parameters up to layers\[2\] \(32768 inputs × 65536 units\)$/);
  });

  it('more than 1,000,000 layers: DENSELY_TOO_LARGE', () => {
    const layers = new Array<Dense>(1_000_001).fill(new Dense(1));
    const e = thrown(() => new Network({ inputs: 1, layers, backend: BACKEND }));
    expect(e.code).toBe('DENSELY_TOO_LARGE');
    expect(e.message).toBe(
      "Expected at most 1000000 layers (the native core's limit) for layers but received 1000001 layers",
    );
  });

  it('a leakyRelu slope that float32 cannot hold is an argument error on both backends', () => {
    for (const alpha of [1e39, -1e39, Infinity, NaN]) {
      const e = thrown(() => new Dense(1, { activation: 'leakyRelu', alpha }));
      expect(e.code, String(alpha)).toBe('DENSELY_INVALID_ARGUMENT');
      expect(e.message).toMatch(/^Expected a finite float32 number .* for alpha but received /);
    }
    const net = new Network({
      inputs: 1,
      layers: [new Dense(1, { activation: 'leakyRelu', alpha: 3.4e38 })],
      backend: BACKEND,
      seed: 1,
    });
    net.setWeights([{ kernel: [[1]], bias: [0] }]);
    const [v] = net.predict([[-1e-30]]);
    expect(Math.abs(v! / (-1e-30 * 3.4e38) - 1)).toBeLessThan(1e-5);
  });

  it('a batch whose activations (rows × widest layer) pass 2^32 − 1: DENSELY_TOO_LARGE before anything changes', async () => {
    // Widest layer 4096: at most 1,048,575 rows per training batch. x and y are 4 MB each.
    const net = new Network({
      inputs: 1,
      layers: [new Dense(4096, { activation: 'relu' }), new Dense(1)],
      backend: BACKEND,
      seed: 3,
    });
    net.compile({ loss: 'mse', optimizer: 'sgd' });
    const rows = 1 << 20;
    const x = new Float32Array(rows);
    const y = new Float32Array(rows);
    const before = net.getWeights();
    const message =
      'Expected at most 1048575 rows per batch (rows × the widest layer, 4096, at most 4294967295 = 2^32 − 1 activations) for x but received 1048576 rows';
    for (const call of [() => net.trainOnBatch(x, y), () => net.gradients(x, y)]) {
      const e = thrown(call);
      expect(e).toBeInstanceOf(RangeError);
      expect(e.code).toBe('DENSELY_TOO_LARGE');
      expect(e.message).toBe(message);
    }
    const fitErr = await net.fit(x, y, { batchSize: rows, epochs: 1 }).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    expect(fitErr?.code).toBe('DENSELY_TOO_LARGE');
    expect(fitErr?.message).toBe(message.replace('for x', 'for batchSize'));
    net.getWeights().forEach((w, i) => {
      expectBitExact(w.kernel, before[i]!.kernel, `layer ${i} kernel`);
    });
    // A batch size beyond the limit is fine when the data has fewer rows: the batch is the data.
    await net.fit(x.subarray(0, 64), y.subarray(0, 64), { batchSize: rows, epochs: 1 });
  });

  it('predict and evaluate work in chunks of 1024 rows: a layer of 2^22 units allows at most 1023', () => {
    const net = new Network({
      inputs: 1,
      layers: [new Dense(1 << 22, { kernelInitializer: 'zeros' })],
      backend: BACKEND,
      seed: 1,
    });
    net.compile({ loss: 'mse', optimizer: 'sgd' });
    const x = new Float32Array(1024);
    // The limit is checked before y is read: a 1-element y does not get that far.
    for (const call of [() => net.predict(x), () => net.evaluate(x, new Float32Array(1))]) {
      const e = thrown(call);
      expect(e.code).toBe('DENSELY_TOO_LARGE');
      expect(e.message).toMatch(/^Expected at most 1023 rows per batch .* for x but received 1024 rows$/);
    }
    expect(net.predict(new Float32Array(2))).toHaveLength(2 << 22);
  });
});

describe(`oversized declarations in a child process (${BACKEND})`, () => {
  it('a 400-byte file declaring inputs 20000 × units 20000 is rejected in < 1 s without allocating the network', async () => {
    if (!existsSync(join(ROOT, 'dist', 'cjs', 'index.js')))
      throw new Error('dist/cjs/index.js is missing: run "npm run build:ts" (npm test does it first)');
    // A valid file of a 2 → 1 network whose architecture is then made to declare 20000 → 20000.
    const small = new Network({ inputs: 2, layers: [new Dense(1)], backend: BACKEND, seed: 1 }).toSafetensors();
    const n = Number(Buffer.from(small).readBigUInt64LE(0));
    const header = JSON.parse(Buffer.from(small.subarray(8, 8 + n)).toString('utf8')) as {
      __metadata__: Record<string, string>;
    };
    header.__metadata__['densely.architecture'] = JSON.stringify({
      inputs: 20000,
      layers: [{ type: 'dense', units: 20000, activation: 'linear', useBias: true }],
    });
    const h = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(h.length));
    const file = join(dir, 'oversized.safetensors');
    const bytes = Buffer.concat([len, h, Buffer.from(small.subarray(8 + n))]);
    writeFileSync(file, bytes);
    expect(bytes.length).toBeLessThan(600);

    const script = `
      const { Network, Dense } = require(${JSON.stringify(join(ROOT, 'dist', 'cjs', 'index.js'))});
      const out = {};
      const time = async (name, fn) => {
        const t0 = performance.now();
        try { await fn(); out[name] = { ok: true }; }
        catch (e) { out[name] = { code: e.code, message: e.message }; }
        out[name].ms = performance.now() - t0;
      };
      (async () => {
        await time('load', () => Network.load(${JSON.stringify(file)}, { backend: ${JSON.stringify(BACKEND)} }));
        await time('construct', () => new Network({ inputs: 65536, layers: [new Dense(65536)], backend: ${JSON.stringify(BACKEND)} }));
        await time('json', () => Network.fromJSON({ format: 'densely', version: 1, inputs: 20000, seed: 1, layers: [{ type: 'dense', units: 20000 }], weights: [{ kernel: [1], bias: [0] }] }, { backend: ${JSON.stringify(BACKEND)} }));
        out.maxRssMB = process.resourceUsage().maxRSS / 1024;
        process.stdout.write(JSON.stringify(out));
      })();`;
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      const child = spawn(process.execPath, ['--max-old-space-size=64', '-e', script], {
        cwd: ROOT,
        timeout: 30_000,
        killSignal: 'SIGKILL',
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      child.on('close', (code) => done({ code, stdout, stderr }));
    });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, { code?: string; message?: string; ms: number }> & {
      maxRssMB: number;
    };
    expect(out.load!.code).toBe('DENSELY_INVALID_MODEL');
    expect(out.load!.message).toMatch(
      /^Expected tensor layers\.0\.kernel of shape \[20000, 20000\] for .*oversized\.safetensors but received shape \[2, 1\]$/,
    );
    expect(out.construct!.code).toBe('DENSELY_TOO_LARGE');
    expect(out.json!.code).toBe('DENSELY_INVALID_MODEL');
    expect(out.json!.message).toBe(
      'Expected 400000000 numbers ([20000 × 20000]) for json.weights[0].kernel but received an array of length 1',
    );
    for (const k of ['load', 'construct', 'json']) expect(out[k]!.ms, `${k} took ${out[k]!.ms} ms`).toBeLessThan(1000);
    // 20000 × 20000 float32 would be 1.6 GB (twice that on js, with the gradients).
    expect(out.maxRssMB).toBeLessThan(rssBoundMB(200));
  });
});
