/**
 * Network.fromTfjs on models made and saved by @tensorflow/tfjs in the test (a save
 * handler writing model.json + weights.bin), predictions against tfjs's (1e-5).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { Network } from '../../lib/index';
import { readPortable } from '../../lib/interop/model';
import { tfjsToSafetensors } from '../../lib/interop/tfjs';
import { ACTIVATIONS } from '../../lib/layers/dense';
import { BACKEND } from '../support/backend';
import { expectClose } from '../support/close';
import { TestRng } from '../support/rng';
import { forward, INTEROP_TOL, normLayers, randomF32 } from './support';

const dir = mkdtempSync(join(tmpdir(), 'densely-tfjs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let saved = 0;
/** Saves `model` as tfjs's file format (model.json + weights.bin) in a fresh folder; returns model.json's path. */
async function saveModel(model: tf.LayersModel): Promise<string> {
  const folder = join(dir, `m${saved++}`);
  const path = join(folder, 'model.json');
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const { mkdirSync } = await import('node:fs');
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'weights.bin'), new Uint8Array(a.weightData as ArrayBuffer));
      const json = {
        modelTopology: a.modelTopology,
        format: a.format,
        generatedBy: a.generatedBy,
        convertedBy: a.convertedBy,
        weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
      };
      writeFileSync(path, JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return path;
}

/** Sets every weight of `model` to random values (variances positive). */
function randomize(model: tf.LayersModel, seed: number): void {
  const rng = new TestRng(seed);
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    layer.setWeights(
      ws.map((w, i) => {
        const variance = layer.getClassName() === 'BatchNormalization' && i === ws.length - 1;
        return tf.tensor(randomF32(rng, w.size, variance ? 0.2 : -0.8, variance ? 2 : 0.8), w.shape);
      }),
    );
  }
}

function tfPredict(model: tf.LayersModel, x: Float32Array, inputs: number): Float32Array {
  return (model.predict(tf.tensor2d(x, [x.length / inputs, inputs])) as tf.Tensor).dataSync() as Float32Array;
}

/** The tfjs activations densely has (swish is silu; gelu where tfjs has it). */
const TFJS_NAMES = [
  'linear',
  'relu',
  'sigmoid',
  'tanh',
  'softmax',
  'gelu',
  'elu',
  'selu',
  'softplus',
  'swish',
  'mish',
  'relu6',
];
const DENSELY = (n: string) => (n === 'swish' ? 'silu' : n);

describe(`Network.fromTfjs (${BACKEND} backend)`, () => {
  it.each(TFJS_NAMES.filter((n) => (ACTIVATIONS as readonly string[]).includes(DENSELY(n))).map((n) => [n]))(
    'Dense (%s) and Dropout: predictions as tfjs (1e-5)',
    async (act) => {
      const model = tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [5], units: 7, activation: act as 'relu' }),
          tf.layers.dropout({ rate: 0.3 }),
          tf.layers.dense({ units: 6, activation: act as 'relu', useBias: false }),
          tf.layers.dense({ units: 3, activation: act as 'relu' }),
        ],
      });
      randomize(model, 1);
      const path = await saveModel(model);
      const net = await Network.fromTfjs(path, { backend: BACKEND });
      expect(net.backend).toBe(BACKEND);
      expect(net.layers.map((l) => l.toJSON().type)).toEqual(['dense', 'dropout', 'dense', 'dense']);
      const x = randomF32(new TestRng(2), 8 * 5, -3, 3);
      expectClose(net.predict(x), tfPredict(model, x, 5), INTEROP_TOL, `${act} densely vs tfjs`, [8, 3]);
    },
  );

  it('rejects what densely cannot represent, naming the layer and the value', async () => {
    const hard = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [3], units: 2, activation: 'hardSigmoid', name: 'gate' })],
    });
    await expect(Network.fromTfjs(await saveModel(hard))).rejects.toThrow(
      /^Expected an activation densely has \(.*\) for .*model\.json layer "gate" activation but received "hard_sigmoid"$/,
    );
    const conv = tf.sequential({ layers: [tf.layers.conv1d({ inputShape: [4, 1], filters: 1, kernelSize: 2 })] });
    await expect(Network.fromTfjs(await saveModel(conv))).rejects.toThrow(/class_name but received "Conv1D"/);
    await expect(Network.fromTfjs(join(dir, 'none.json'))).rejects.toThrow(/ENOENT/);
  });

  it('BatchNormalization and LayerNormalization: the mapping, checked against tfjs by the float64 forward', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [5], units: 6, activation: 'relu' }),
        tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3 }),
        tf.layers.dense({ units: 4 }),
        tf.layers.layerNormalization({ epsilon: 1e-4 }),
        tf.layers.batchNormalization({ center: false, scale: false }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    randomize(model, 3);
    const path = await saveModel(model);
    const portable = readPortable(await tfjsToSafetensors(path, 'model.json'));
    expect(portable.layers.map((l) => l.config)).toEqual([
      { type: 'dense', units: 6, activation: 'relu', useBias: true },
      { type: 'batchNorm', momentum: 1 - 0.9, epsilon: 1e-3, center: true, scale: true },
      { type: 'dense', units: 4, activation: 'linear', useBias: true },
      { type: 'layerNorm', epsilon: 1e-4, center: true, scale: true },
      { type: 'batchNorm', momentum: 1 - 0.99, epsilon: 1e-3, center: false, scale: false },
      { type: 'dense', units: 3, activation: 'softmax', useBias: true },
    ]);
    expect(Object.keys(portable.layers[1]!.tensors)).toEqual(['gamma', 'beta', 'runningMean', 'runningVar']);
    expect(Object.keys(portable.layers[4]!.tensors)).toEqual(['runningMean', 'runningVar']);
    const x = randomF32(new TestRng(4), 8 * 5, -2, 2);
    expectClose(forward(portable, x), tfPredict(model, x, 5), INTEROP_TOL, 'float64 forward vs tfjs', [8, 3]);

    const norm = await normLayers();
    if (norm === null) {
      await expect(Network.fromTfjs(path)).rejects.toThrow(/layers\[1\]\.type but received "batchNorm"/);
    } else {
      const net = await Network.fromTfjs(path, { backend: BACKEND });
      expectClose(net.predict(x), tfPredict(model, x, 5), INTEROP_TOL, 'norm densely vs tfjs', [8, 3]);
    }
  });
});

describe(`Network.fromTfjs activation layers (${BACKEND} backend)`, () => {
  it('folds Activation, ReLU, LeakyReLU, ELU and Softmax into the linear Dense before them: predictions as tfjs (1e-5)', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [5], units: 7 }),
        tf.layers.activation({ activation: 'tanh' }),
        tf.layers.dense({ units: 6 }),
        tf.layers.leakyReLU({ alpha: 0.2 }),
        tf.layers.dense({ units: 6, useBias: false }),
        tf.layers.reLU({ maxValue: 6 }),
        tf.layers.dense({ units: 5 }),
        tf.layers.reLU(),
        tf.layers.dense({ units: 5 }),
        tf.layers.elu(),
        tf.layers.dense({ units: 4 }),
        tf.layers.activation({ activation: 'swish' }),
        tf.layers.dense({ units: 3 }),
        tf.layers.softmax(),
      ],
    });
    randomize(model, 5);
    const path = await saveModel(model);
    const portable = readPortable(await tfjsToSafetensors(path, 'model.json'));
    expect(portable.layers.map((l) => [l.config.activation, l.config.alpha])).toEqual([
      ['tanh', undefined],
      ['leakyRelu', 0.2],
      ['relu6', undefined],
      ['relu', undefined],
      ['elu', undefined],
      ['silu', undefined],
      ['softmax', undefined],
    ]);
    const net = await Network.fromTfjs(path, { backend: BACKEND });
    expect(net.layers.map((l) => l.toJSON().type)).toEqual(Array(7).fill('dense'));
    // Inputs wide enough that every activation sees negative and large values (relu6 clips).
    const x = randomF32(new TestRng(6), 16 * 5, -4, 4);
    expectClose(net.predict(x), tfPredict(model, x, 5), INTEROP_TOL, 'folded activations densely vs tfjs', [16, 3]);
  });

  it('rejects activation layers densely cannot fold, naming the layer', async () => {
    const cases: [tf.layers.Layer[], RegExp][] = [
      [
        [
          tf.layers.dense({ inputShape: [3], units: 2, activation: 'relu' }),
          tf.layers.activation({ activation: 'tanh', name: 'act' }),
        ],
        /right after a Dense layer with linear activation .* for .*layer "act" but received "Activation" after "Dense" with activation "relu"$/,
      ],
      [
        [
          tf.layers.dense({ inputShape: [3], units: 2 }),
          tf.layers.dropout({ rate: 0.5 }),
          tf.layers.reLU({ name: 'r' }),
        ],
        /layer "r" but received "ReLU" after "Dropout"$/,
      ],
      [
        [tf.layers.dense({ inputShape: [3], units: 2 }), tf.layers.reLU(), tf.layers.elu({ name: 'twice' })],
        /layer "twice" but received "ELU" after "ReLU"$/,
      ],
      [
        [tf.layers.dense({ inputShape: [3], units: 2 }), tf.layers.reLU({ maxValue: 3, name: 'cap' })],
        /Expected no maxValue \(relu\) or maxValue 6 \(relu6\) for .*layer "cap" maxValue but received 3$/,
      ],
      [
        [
          tf.layers.dense({ inputShape: [3], units: 2 }),
          tf.layers.activation({ activation: 'hardSigmoid', name: 'hs' }),
        ],
        /layer "hs" activation but received "hard_sigmoid"$/,
      ],
      [
        [tf.layers.dense({ inputShape: [3], units: 2 }), tf.layers.activation({ activation: 'softsign', name: 'ss' })],
        /layer "ss" activation but received "softsign"$/,
      ],
      [
        [tf.layers.dense({ inputShape: [3], units: 2 }), tf.layers.thresholdedReLU({ name: 'th' })],
        /layer "th" class_name but received "ThresholdedReLU"$/,
      ],
    ];
    for (const [layers, re] of cases) {
      const err = await Network.fromTfjs(await saveModel(tf.sequential({ layers }))).catch((e: unknown) => e);
      expect(String((err as Error).message)).toMatch(re);
      expect((err as { code: string }).code).toBe('DENSELY_INVALID_MODEL');
    }
    // Keras's ELU alpha other than 1 (tfjs refuses to build one, so the JSON is edited).
    const path = await saveModel(
      tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2 }), tf.layers.elu({ name: 'e' })] }),
    );
    const { readFileSync } = await import('node:fs');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"alpha":1', '"alpha":0.5'));
    await expect(Network.fromTfjs(path)).rejects.toThrow(/alpha 1 .* for .*layer "e" alpha but received 0\.5$/);
  });
});
