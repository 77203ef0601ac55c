/**
 * `densely export`: a model trained by `densely train` written as ONNX (run in
 * onnxruntime-node against the library's predict), as the PyTorch-layout state_dict
 * (loaded back by Network.load) and as nn.Sequential source; usage errors.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Network } from '../../lib/index';
import { expectClose } from '../support/close';
import { densely, expectFailure, ROOT, requireBuilt } from './run';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const dir = mkdtempSync(join(tmpdir(), 'densely-export-'));
const model = join(dir, 'iris.safetensors');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  requireBuilt();
  const r = await densely([
    'train',
    join(ROOT, 'data', 'iris.csv'),
    '--epochs',
    '3',
    '--save',
    model,
    '--backend',
    'js',
    '--no-chart',
  ]);
  expect(r.code, r.stderr).toBe(0);
});

describe('densely export', () => {
  it('writes ONNX, the PyTorch state_dict and source; each computes what the model does', async () => {
    const onnx = join(dir, 'iris.onnx');
    const torch = join(dir, 'iris.torch.safetensors');
    const py = join(dir, 'iris.py');
    const r = await densely(['export', model, '--onnx', onnx, '--torch', torch, '--torch-source', py]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`wrote ONNX model ${onnx} (4 inputs → 3 outputs)`);
    expect(r.stdout).toContain('note: the exported network takes the preprocessed features');
    const net = await Network.load(model, { backend: 'js' });
    const x = Float32Array.from({ length: 5 * 4 }, (_, i) => Math.cos(i));
    const session = await ort.InferenceSession.create(readFileSync(onnx));
    const y = (await session.run({ x: new ort.Tensor('float32', x, [5, 4]) })).y!.data as Float32Array;
    expectClose(y, net.predict(x), { rtol: 1e-5, atol: 1e-5 }, 'onnx vs predict', [5, 3]);
    const back = await Network.load(torch, { backend: 'js' });
    expect(Array.from(back.predict(x))).toEqual(Array.from(net.predict(x)));
    expect(readFileSync(py, 'utf8')).toBe(net.toTorch());
  });

  it('needs an output, and never overwrites the model', async () => {
    expectFailure(await densely(['export', model]), ['at least one of --onnx <file>'], 2);
    expectFailure(await densely(['export', model, '--onnx', model]), ['refusing to overwrite an input'], 2);
    expectFailure(await densely(['export', join(dir, 'none.safetensors'), '--onnx', join(dir, 'x.onnx')]), [
      'cannot read model',
    ]);
  });
});
