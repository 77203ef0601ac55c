/**
 * Two hand-worked backpropagation examples (the write-ups the project started from,
 * each described in full below: weights, inputs, targets), reproduced through the
 * public API. Their printed numbers are the expected values.
 */
import { describe, expect, it } from 'vitest';
import { Dense, Network, SGD } from '../../lib/index';
import { type RefDense, gradients as refGradients } from '../reference/network';
import { BACKEND } from '../support/backend';
import { expectClose, expectScalarClose } from '../support/close';
import { TOL } from '../support/tolerances';

describe(`worked example (a): 2 → Dense(1, relu) → Dense(1, linear), squared error (${BACKEND})`, () => {
  // w1 = 0.5, w2 = −0.3 (inputs 1, 2 → hidden), b1 = 0.4; w3 = 0.2 (hidden → output), b2 = 0.1.
  const weights = [
    { kernel: new Float32Array([0.5, -0.3]), bias: new Float32Array([0.4]) },
    { kernel: new Float32Array([0.2]), bias: new Float32Array([0.1]) },
  ];
  const x = [[1, 0]];
  const y = [[1]];

  function build(): Network {
    const net = new Network({
      inputs: 2,
      layers: [new Dense(1, { activation: 'relu' }), new Dense(1, { activation: 'linear' })],
      backend: BACKEND,
      seed: 1,
    });
    net.setWeights(weights);
    // mse on one output and one row is exactly the squared error (ŷ − y)².
    net.compile({ loss: 'mse', optimizer: 'sgd' });
    return net;
  }

  it('prediction 0.28 and loss 0.5184', () => {
    const net = build();
    expectClose(net.predict(x), [0.28], TOL.workedExample, 'prediction');
    expectScalarClose(net.evaluate(x, y).loss, 0.5184, TOL.workedExample, 'loss');
  });

  it('gradients: ∂L/∂w3 = −1.296, ∂L/∂b2 = −1.44, ∂L/∂w1 = −0.288, ∂L/∂w2 = 0, ∂L/∂b1 = −0.288', () => {
    // ∂L/∂z2 = 2(ŷ − y) = −1.44. The source document prints ∂L/∂w3 = −1.20648, an
    // arithmetic slip: ∂L/∂w3 = ∂L/∂z2 · h = −1.44 × 0.9 = −1.296.
    const g = build().gradients(x, y);
    expectClose(g[1]!.kernel, [-1.296], TOL.workedExample, '∂L/∂w3');
    expectClose(g[1]!.bias!, [-1.44], TOL.workedExample, '∂L/∂b2');
    expectClose(g[0]!.kernel, [-0.288, 0], TOL.workedExample, '[∂L/∂w1, ∂L/∂w2]');
    expect(g[0]!.kernel[1]).toBe(0); // x2 = 0 exactly, so the product is exactly 0
    expectClose(g[0]!.bias!, [-0.288], TOL.workedExample, '∂L/∂b1');
  });

  it('the float64 reference agrees with the printed values', () => {
    const layers: RefDense[] = [
      { inputs: 2, units: 1, activation: 'relu', alpha: 0, useBias: true },
      { inputs: 1, units: 1, activation: 'linear', alpha: 0, useBias: true },
    ];
    const params = [
      { kernel: Float64Array.of(0.5, -0.3), bias: Float64Array.of(0.4) },
      { kernel: Float64Array.of(0.2), bias: Float64Array.of(0.1) },
    ];
    const r = refGradients(layers, params, 'mse', [1, 0], [1], 1);
    expectScalarClose(r.loss, 0.5184, TOL.float64, 'reference loss');
    expectClose(
      [
        r.grads[1]!.kernel[0]!,
        r.grads[1]!.bias![0]!,
        r.grads[0]!.kernel[0]!,
        r.grads[0]!.kernel[1]!,
        r.grads[0]!.bias![0]!,
      ],
      [-1.296, -1.44, -0.288, 0, -0.288],
      TOL.float64,
      'reference gradients',
    );
  });
});

describe(`worked example (b): 2 → Dense(2, relu, no bias) → Dense(1, linear, no bias), one SGD step (${BACKEND})`, () => {
  // The document's loss is ½(ŷ − y)² with learning rate 0.05. Its gradient is (ŷ − y);
  // mse on one output gives 2(ŷ − y), so SGD with learning rate 0.025 on mse takes
  // exactly the document's step.
  //
  // w1, w2: inputs 1, 2 → hidden 1; w3, w4: inputs 1, 2 → hidden 2; w5, w6: hidden → output.
  // The kernel is [inputs × units] row-major: row i holds input i's weights into each unit.
  const [w1, w2, w3, w4, w5, w6] = [0.12, 0.33, 0.15, 0.09, 0.11, 0.12];
  const kernel1 = (a: number, b: number, c: number, d: number): Float32Array => new Float32Array([a, c, b, d]);

  function build(): Network {
    const net = new Network({
      inputs: 2,
      layers: [
        new Dense(2, { activation: 'relu', useBias: false }),
        new Dense(1, { activation: 'linear', useBias: false }),
      ],
      backend: BACKEND,
      seed: 1,
    });
    net.setWeights([
      { kernel: kernel1(w1, w2, w3, w4), bias: null },
      { kernel: new Float32Array([w5, w6]), bias: null },
    ]);
    net.compile({ loss: 'mse', optimizer: new SGD({ learningRate: 0.025 }) });
    return net;
  }
  const x = new Float32Array([2, 3]);
  const y = new Float32Array([1]);

  it('prediction 0.2037, Δ = −0.7963', () => {
    const net = build();
    const yhat = net.predict(x);
    expectClose(yhat, [0.2037], TOL.workedExample, 'prediction');
    expectClose([yhat[0]! - 1], [-0.7963], TOL.workedExample, 'Δ = ŷ − y');
  });

  it('one step gives w5, w6 ≈ 0.15897, 0.14269; w1..w4 ≈ 0.12876, 0.34314, 0.15956, 0.10433; next prediction ≈ 0.29479', () => {
    const net = build();
    const loss = net.trainOnBatch(x, y);
    expectScalarClose(loss, 0.7963 ** 2, TOL.workedExample, 'trainOnBatch loss (mse before the step)');
    const [hidden, out] = net.getWeights();
    expectClose(out!.kernel, [0.15897, 0.14269], TOL.fiveDecimals, '[w5, w6]');
    expectClose(
      hidden!.kernel,
      kernel1(0.12876, 0.34314, 0.15956, 0.10433),
      TOL.fiveDecimals,
      'hidden kernel [w1 w3; w2 w4]',
      [2, 2],
    );
    expectClose(net.predict(x), [0.29479], TOL.fiveDecimals, 'next prediction');
  });
});
