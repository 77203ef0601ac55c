/**
 * Network#toOnnx run in onnxruntime-node: every activation and layer kind against
 * predict (this backend's network) and against the float64 forward pass, the graph's
 * shape (opset, dynamic batch, no Dropout), on both backends.
 */
import { fromBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Dense, Dropout, Network } from '../../lib/index';
import { ModelProtoSchema } from '../../lib/interop/gen/onnx_pb';
import type { LayerConfig } from '../../lib/interop/model';
import { encodeOnnx } from '../../lib/interop/onnx';
import { ACTIVATIONS } from '../../lib/layers/dense';
import { BACKEND } from '../support/backend';
import { expectClose } from '../support/close';
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

async function runOnnx(bytes: Uint8Array, x: Float32Array, inputs: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ x: new ort.Tensor('float32', x, [x.length / inputs, inputs]) });
  return out.y!.data as Float32Array;
}

/** Random non-zero biases, so a bias wired wrong shows. */
function randomizeBiases(net: Network, seed: number): void {
  const rng = new TestRng(seed);
  const w = net.getWeights();
  for (const l of w) if (l.bias) l.bias.set(randomF32(rng, l.bias.length, -0.5, 0.5));
  net.setWeights(w);
}

describe(`toOnnx in onnxruntime (${BACKEND} backend)`, () => {
  it.each(ACTIVATIONS.map((a) => [a]))('runs %s like predict (1e-5), at batch sizes 1 and 9', async (act) => {
    const net = new Network({
      inputs: 5,
      layers: [
        new Dense(8, { activation: act, alpha: 0.2 }),
        new Dropout(0.4),
        new Dense(6, { activation: act, useBias: false }),
        new Dense(3, { activation: act }),
      ],
      backend: BACKEND,
      seed: 11,
    });
    randomizeBiases(net, 3);
    const bytes = net.toOnnx();
    for (const rows of [1, 9]) {
      const x = randomF32(new TestRng(rows), rows * 5, -3, 3);
      expectClose(await runOnnx(bytes, x, 5), net.predict(x), INTEROP_TOL, `${act} onnx vs predict`, [rows, 3]);
    }
  });

  it('writes opset 13, IR 8, a dynamic batch dimension, Gemm/MatMul and no Dropout', () => {
    const net = new Network({
      inputs: 4,
      layers: [new Dense(3, { activation: 'relu' }), new Dropout(0.5), new Dense(2, { useBias: false })],
      backend: BACKEND,
      seed: 1,
    });
    const m = fromBinary(ModelProtoSchema, net.toOnnx());
    expect(m.irVersion).toBe(8n);
    expect(m.opsetImport.map((o) => [o.domain, o.version])).toEqual([['', 13n]]);
    expect(m.producerName).toBe('densely');
    const g = m.graph!;
    expect(g.node.map((n) => n.opType)).toEqual(['Gemm', 'Relu', 'MatMul']);
    expect(g.node.at(-1)!.output).toEqual(['y']);
    const dims = (v: (typeof g.input)[0]) =>
      v.type!.value.case === 'tensorType' ? v.type!.value.value.shape!.dim.map((d) => d.value.value) : [];
    expect(dims(g.input[0]!)).toEqual(['N', 4n]);
    expect(dims(g.output[0]!)).toEqual(['N', 2n]);
    const w = net.getWeights();
    const kernel = g.initializer.find((t) => t.name === 'layers.0.kernel')!;
    expect(kernel.dims).toEqual([4n, 3n]);
    expect(new Float32Array(kernel.rawData.slice().buffer)).toEqual(w[0]!.kernel);
  });
});

describe('the ONNX encoder on every activation and norm layer (float64 forward as the oracle)', () => {
  it.each(ALL_ACTIVATIONS.map((a) => [a]))('%s', async (act) => {
    const model = randomModel(4, [dense(7, act), { type: 'dropout', rate: 0.5 }, dense(5, act, { useBias: false })], 7);
    const x = randomF32(new TestRng(2), 6 * 4, -4, 4);
    // Unit 0 of the first layer passes x's column 0 through: beyond softplus's threshold
    // (20), relu6's clip, at 0 and at the kinks of hardSigmoid.
    const l0 = model.layers[0]!.tensors;
    for (let i = 0; i < 4; i++) l0.kernel![i * 7] = i === 0 ? 1 : 0;
    l0.bias![0] = 0;
    [25, -25, 0, 7, 3, -3].forEach((v, r) => {
      x[r * 4] = v;
    });
    const want = forward(model, x);
    expectClose(await runOnnx(encodeOnnx(model, 'test'), x, 4), want, INTEROP_TOL, `${act} onnx vs float64`, [6, 5]);
  });

  it.each(NORM_CONFIGS)('%s', async (_name, norm: LayerConfig) => {
    const model = randomModel(5, [dense(6, 'tanh'), norm, dense(3, 'linear')], 9);
    const x = randomF32(new TestRng(4), 7 * 5, -2, 2);
    const bytes = encodeOnnx(model, 'test');
    const opset = fromBinary(ModelProtoSchema, bytes).opsetImport[0]!.version;
    expect(opset).toBe(norm.type === 'layerNorm' ? 17n : 13n);
    expectClose(await runOnnx(bytes, x, 5), forward(model, x), INTEROP_TOL, `${_name} onnx vs float64`, [7, 3]);
  });
});

const norm = await normLayers();
describe.skipIf(norm === null)(
  `toOnnx of networks with LayerNorm and BatchNorm (${BACKEND} backend)${norm === null ? ' (skipped: lib/layers/norm.ts is not on this branch)' : ''}`,
  () => {
    it('runs like predict (1e-5)', async () => {
      const { LayerNorm, BatchNorm } = norm!;
      const net = new Network({
        inputs: 5,
        layers: [
          new Dense(6, { activation: 'relu' }),
          new BatchNorm!({ momentum: 0.2, epsilon: 1e-3 }) as Dense,
          new Dense(4),
          new LayerNorm!({ epsilon: 1e-4 }) as Dense,
          new Dense(3, { activation: 'softmax' }),
        ],
        backend: BACKEND,
        seed: 5,
      });
      const rng = new TestRng(8);
      const w = net.getWeights() as unknown as Array<Record<string, Float32Array | null>>;
      for (const entry of w)
        for (const [k, v] of Object.entries(entry))
          if (v && k !== 'kernel') v.set(randomF32(rng, v.length, k === 'runningVar' ? 0.2 : -0.5, 1.5));
      net.setWeights(w as never);
      const x = randomF32(rng, 8 * 5, -2, 2);
      expectClose(await runOnnx(net.toOnnx(), x, 5), net.predict(x), INTEROP_TOL, 'norm onnx vs predict', [8, 3]);
    });
  },
);
