/**
 * `evaluate` and `predict` semantics: the accuracy rule of lib/backend/types.ts
 * ("correct" = argmax of the output, first maximum winning, against argmax of the target
 * row or the sparse index; with one output, ŷ > 0.5 against y > 0.5), the loss value of
 * API.md, and the two input forms of API.md.
 */
import { describe, expect, it } from 'vitest';
import { Dense, Network } from '../../lib/index';
import { lossValue } from '../reference/losses';
import { BACKEND } from '../support/backend';
import { expectClose } from '../support/close';
import { TOL } from '../support/tolerances';

function zeroNet(outputs: number, activation: 'softmax' | 'sigmoid'): Network {
  const net = new Network({ inputs: 2, layers: [new Dense(outputs, { activation })], backend: BACKEND, seed: 1 });
  net.setWeights([{ kernel: new Float32Array(2 * outputs), bias: new Float32Array(outputs) }]);
  return net;
}

const x = [
  [1, 2],
  [3, 4],
  [5, 6],
  [7, 8],
];

describe(`evaluate (${BACKEND})`, () => {
  it('accuracy with ties: the first maximum wins, for the output and for the target', () => {
    // Zero weights: every softmax row is exactly [1/3, 1/3, 1/3], so the predicted class is 0.
    const net = zeroNet(3, 'softmax');
    net.compile({ loss: 'categoricalCrossentropy', optimizer: 'sgd', metrics: ['accuracy'] });
    const y = [
      [1, 0, 0], // class 0: correct
      [0, 1, 0], // class 1: wrong
      [0.5, 0.5, 0], // tie, first wins → 0: correct
      [0, 0.5, 0.5], // tie → 1: wrong
    ];
    const r = net.evaluate(x, y);
    expect(r.accuracy).toBe(0.5);
    expectClose(
      [r.loss],
      [lossValue('categoricalCrossentropy', new Array(12).fill(1 / 3), y.flat(), 4, 3)],
      TOL.fewRoundings,
      'loss',
    );
  });

  it('accuracy with sparse targets', () => {
    const net = zeroNet(3, 'softmax');
    net.compile({ loss: 'sparseCategoricalCrossentropy', optimizer: 'sgd', metrics: ['accuracy'] });
    expect(net.evaluate(x, [0, 1, 0, 2]).accuracy).toBe(0.5);
    expect(net.evaluate(x, Int32Array.of(0, 0, 0, 0)).accuracy).toBe(1);
    expect(net.evaluate(x, Float32Array.of(2, 2, 1, 1)).accuracy).toBe(0);
    expectClose([net.evaluate(x, [0, 1, 0, 2]).loss], [Math.log(3)], TOL.fewRoundings, 'loss = ln 3');
  });

  it('accuracy with one output: ŷ > 0.5 against y > 0.5 (strict on both sides)', () => {
    const net = zeroNet(1, 'sigmoid'); // ŷ = 0.5 exactly: "not > 0.5"
    net.compile({ loss: 'binaryCrossentropy', optimizer: 'sgd', metrics: ['accuracy'] });
    expect(net.evaluate(x, [[0], [1], [0.5], [0.7]]).accuracy).toBe(0.5);
    expectClose([net.evaluate(x, [[0], [1], [0.5], [0.7]]).loss], [Math.log(2)], TOL.fewRoundings, 'loss = ln 2');
  });

  it('no accuracy key without the metric', () => {
    const net = zeroNet(3, 'softmax');
    net.compile({ loss: 'mse', optimizer: 'sgd' });
    expect(
      Object.keys(
        net.evaluate(x, [
          [1, 0, 0],
          [0, 1, 0],
          [0, 0, 1],
          [1, 0, 0],
        ]),
      ),
    ).toEqual(['loss']);
  });

  it('Float32Array and number[][] inputs give identical results', () => {
    const net = new Network({
      inputs: 2,
      layers: [new Dense(3, { activation: 'tanh' }), new Dense(2)],
      backend: BACKEND,
      seed: 3,
    });
    net.compile({ loss: 'mse', optimizer: 'sgd' });
    const flat = x.flat();
    const a = net.predict(Float32Array.from(flat));
    expect(a).toBeInstanceOf(Float32Array);
    expect(a).toHaveLength(8);
    expect(net.predict(x)).toEqual(a);
    const y = [
      [0.1, 0.2],
      [0.3, 0.4],
      [0.5, 0.6],
      [0.7, 0.8],
    ];
    expect(net.evaluate(x, y).loss).toBe(net.evaluate(Float32Array.from(flat), Float32Array.from(y.flat())).loss);
  });
});
