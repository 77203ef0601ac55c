/**
 * PyTorch layout: `save(path, { layout: 'torch' })` + `toTorch()` run in PyTorch (the
 * module built from the source, load_state_dict(strict=True), eval-mode outputs against
 * predict), when /usr/bin/python3 has torch; and, always, files written by PyTorch
 * (test/fixtures/gen_torch_layout.py, outputs frozen beside them) loaded by Network.load.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Dense, Dropout, Network } from '../../lib/index';
import type { LayerConfig } from '../../lib/interop/model';
import { encodeTorchLayout, torchSource } from '../../lib/interop/torch';
import { ACTIVATIONS } from '../../lib/layers/dense';
import { decodeSafetensors } from '../../lib/safetensors';
import { BACKEND } from '../support/backend';
import { expectBitExact, expectClose } from '../support/close';
import { TestRng } from '../support/rng';
import {
  ALL_ACTIVATIONS,
  dense,
  forward,
  INTEROP_TOL,
  NORM_CONFIGS,
  normLayers,
  randomF32,
  randomModel,
} from './support';

const PYTHON = '/usr/bin/python3';
const FIXTURES = join(__dirname, '../fixtures/interop');
const dir = mkdtempSync(join(tmpdir(), 'densely-torch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Why the live PyTorch check cannot run here, or null when it can. */
function torchMissing(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} cannot run (${r.error.message})`;
  if (r.status !== 0) return `torch or numpy is not importable by ${PYTHON}`;
  return null;
}

interface Job {
  source: string;
  weights: string;
  x: number[][];
}

/** Runs the jobs in PyTorch (test/fixtures/interop/torch_run.py); one output array per job. */
function runTorch(jobs: Job[]): number[][] {
  const r = spawnSync(PYTHON, [join(FIXTURES, 'torch_run.py')], { input: JSON.stringify(jobs), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`torch_run.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as number[][];
}

function rowsOf(x: Float32Array, cols: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < x.length; i += cols) out.push(Array.from(x.subarray(i, i + cols)));
  return out;
}

function network(act: (typeof ACTIVATIONS)[number], seed: number): Network {
  const net = new Network({
    inputs: 5,
    layers: [
      new Dense(7, { activation: act, alpha: 0.2 }),
      new Dropout(0.3),
      new Dense(6, { activation: act, useBias: false }),
      new Dense(4, { activation: act }),
    ],
    backend: BACKEND,
    seed,
  });
  const rng = new TestRng(seed);
  const w = net.getWeights();
  for (const l of w) if (l.bias) l.bias.set(randomF32(rng, l.bias.length, -0.5, 0.5));
  net.setWeights(w);
  return net;
}

const missing = torchMissing();
describe.skipIf(missing !== null)(
  `save layout torch + toTorch in PyTorch (${BACKEND} backend)${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    it('every activation: the nn.Sequential loads the file strictly and predicts the same (1e-5)', () => {
      const x = randomF32(new TestRng(1), 6 * 5, -3, 3);
      const nets = ACTIVATIONS.map((a, i) => network(a, 10 + i));
      const jobs = nets.map((net, i) => {
        const weights = join(dir, `net${i}.safetensors`);
        net.save(weights, { layout: 'torch' });
        return { source: net.toTorch(), weights, x: rowsOf(x, 5) };
      });
      const outs = runTorch(jobs);
      nets.forEach((net, i) => {
        expectClose(outs[i]!, net.predict(x), INTEROP_TOL, `${ACTIVATIONS[i]} torch vs predict`, [6, 4]);
      });
    });

    it('the exporter on all activation names and norm layers (float64 forward as the oracle)', () => {
      const x = randomF32(new TestRng(2), 6 * 4, -4, 4);
      const models = [
        ...ALL_ACTIVATIONS.map((a, i) => randomModel(4, [dense(6, a), dense(3, a, { useBias: false })], 30 + i)),
        ...NORM_CONFIGS.map(([, n], i) =>
          randomModel(4, [dense(6, 'relu'), n as LayerConfig, dense(3, 'linear')], 50 + i),
        ),
      ];
      const jobs = models.map((m, i) => {
        const weights = join(dir, `model${i}.safetensors`);
        writeFileSync(weights, encodeTorchLayout(m, {}));
        return { source: torchSource(m), weights, x: rowsOf(x, 4) };
      });
      const outs = runTorch(jobs);
      const names = [...ALL_ACTIVATIONS, ...NORM_CONFIGS.map(([n]) => n)];
      models.forEach((m, i) => {
        expectClose(outs[i]!, forward(m, x), INTEROP_TOL, `${names[i]} torch vs float64`, [6, 3]);
      });
    });
  },
);

describe(`the PyTorch layout in densely (${BACKEND} backend)`, () => {
  it('names and shapes the tensors as the nn.Sequential state_dict, kernels transposed', () => {
    const net = network('relu', 3);
    const path = join(dir, 'layout.safetensors');
    net.save(path, { layout: 'torch', metadata: { note: 'kept' } });
    const file = decodeSafetensors(new Uint8Array(readFileSync(path)), 'layout', true);
    expect([...file.tensors].map(([n, t]) => [n, t.shape])).toEqual([
      ['0.weight', [7, 5]],
      ['0.bias', [7]],
      ['3.weight', [6, 7]],
      ['5.weight', [4, 6]],
      ['5.bias', [4]],
    ]);
    expect(file.metadata!['densely.layout']).toBe('torch');
    expect(file.metadata!.note).toBe('kept');
    const w0 = new Float32Array(file.data.slice(0, 35 * 4).buffer);
    const kernel = net.getWeights()[0]!.kernel;
    expect(w0[1 * 5 + 2]).toBe(kernel[2 * 7 + 1]);
    expect(net.toTorch()).toContain('nn.Linear(5, 7, bias=True),  # 0: layers[0]');
    expect(net.toTorch()).toContain('nn.Dropout(p=0.3),  # 2');
  });

  it('loads back bit-exactly, metadata included', async () => {
    const net = network('gelu', 4);
    const path = join(dir, 'roundtrip.safetensors');
    net.metadata = { owner: 'test' };
    net.save(path, { layout: 'torch' });
    const back = await Network.load(path, { backend: BACKEND });
    const x = randomF32(new TestRng(9), 3 * 5, -2, 2);
    expectBitExact(back.predict(x), net.predict(x), 'predict after load');
    expect(back.metadata).toEqual({ owner: 'test' });
    expect(back.toJSON().layers).toEqual(net.toJSON().layers);
  });

  it('rejects a missing tensor, a wrong shape, an extra tensor and an unknown layout', () => {
    const net = network('tanh', 5);
    const bytes = (): Uint8Array => {
      const path = join(dir, 'bad.safetensors');
      net.save(path, { layout: 'torch' });
      return new Uint8Array(readFileSync(path));
    };
    const edit = (f: (header: Record<string, unknown>) => void): Uint8Array => {
      const b = bytes();
      const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
      const header = JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n)));
      f(header);
      const text = new TextEncoder().encode(JSON.stringify(header));
      const out = new Uint8Array(8 + text.length + b.length - 8 - n);
      new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
      out.set(text, 8);
      out.set(b.subarray(8 + n), 8 + text.length);
      return out;
    };
    const load = (b: Uint8Array) => () => Network.fromSafetensors(b, { backend: BACKEND }, 'm.safetensors');
    expect(
      load(
        edit((h) => {
          h['5.biaz'] = h['5.bias'];
          delete h['5.bias'];
        }),
      ),
    ).toThrow(
      'Expected tensor 5.bias of shape [4] (the PyTorch layout of the architecture) for m.safetensors but received no such tensor',
    );
    expect(
      load(
        edit((h) => {
          (h['0.bias'] as { shape: number[] }).shape = [7, 1];
        }),
      ),
    ).toThrow(
      'Expected tensor 0.bias of shape [7] (the PyTorch layout of the architecture) for m.safetensors but received shape [7, 1]',
    );
    expect(
      load(
        edit((h) => {
          h.extra = { dtype: 'F32', shape: [0], data_offsets: [0, 0] };
        }),
      ),
    ).toThrow(
      'Expected only the tensors of the architecture\'s PyTorch layout (5) for m.safetensors but received tensor "extra"',
    );
    expect(
      load(
        edit((h) => {
          (h.__metadata__ as Record<string, string>)['densely.layout'] = 'keras';
        }),
      ),
    ).toThrow('Expected densely.layout "torch" or none for m.safetensors but received "keras"');
    expect(load(bytes())).not.toThrow();
    expect(() => net.save(join(dir, 'x.safetensors'), { layout: 'onnx' as 'torch' })).toThrow(
      /Expected one of .*'torch'.* for layout but received "onnx"/,
    );
  });

  it.each(['dense', 'norm'])('loads a file written by PyTorch (%s, frozen outputs)', async (name) => {
    const norm = await normLayers();
    if (name === 'norm' && norm === null) {
      // Without lib/layers/norm.ts the architecture is refused by name: the file is read
      // as far as its layers.
      await expect(Network.load(join(FIXTURES, `torch_${name}.safetensors`), { backend: BACKEND })).rejects.toThrow(
        /layers\[1\]\.type but received "batchNorm"/,
      );
      return;
    }
    const ref = JSON.parse(readFileSync(join(FIXTURES, `torch_${name}.json`), 'utf8')) as { x: number[]; y: number[] };
    const net = await Network.load(join(FIXTURES, `torch_${name}.safetensors`), { backend: BACKEND });
    expectClose(net.predict(Float32Array.from(ref.x)), ref.y, INTEROP_TOL, `torch_${name} predict vs PyTorch`);
    expect(net.metadata).toEqual({ written_by: expect.stringMatching(/^torch /) });
  });
});
