'use strict';
// The ONNX model of a bench MLP, built from densely's own initial weights, for the
// onnxruntime-node rows: the same network, the same numbers.
//
//   node bench/onnx.js <out.onnx> [mlp-b]   writes the file (for inspection; the driver
//                                           builds the same bytes in memory)
//
// A minimal protobuf writer of the few ONNX messages a dense network needs (field numbers
// from onnx/onnx.proto, IR version 8, opset 13), so the bench needs neither the Python
// `onnx` package nor a protobuf library:
//   ModelProto    1 ir_version, 2 producer_name, 7 graph, 8 opset_import
//   OperatorSetId 1 domain, 2 version
//   GraphProto    1 node, 2 name, 5 initializer, 11 input, 12 output
//   NodeProto     1 input, 2 output, 3 name, 4 op_type, 5 attribute
//   Attribute     1 name, 3 i, 20 type (2 = INT)
//   TensorProto   1 dims, 2 data_type (1 = FLOAT), 8 name, 9 raw_data (little-endian)
//   ValueInfo     1 name, 2 type; TypeProto 1 tensor_type; Tensor 1 elem_type, 2 shape;
//   Shape         1 dim; Dimension 1 dim_value, 2 dim_param
// Graph: x[N × inputs] → Gemm(x, W, b) per Dense layer (W stored [inputs × units] as in
// densely, so transB = 0), then that layer's activation (Relu, Softmax on the last axis,
// Sigmoid, Tanh; linear adds nothing). onnxruntime fuses Gemm + Relu itself.

function varint(value) {
  const out = [];
  let v = BigInt(value);
  if (v < 0n) v += 1n << 64n;
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return Buffer.from(out);
}

/** One field: tag (number << 3 | wire type) and its payload. */
function field(number, wire, payload) {
  return Buffer.concat([varint((number << 3) | wire), payload]);
}
const int = (number, value) => field(number, 0, varint(value));
const bytes = (number, buffer) => field(number, 2, Buffer.concat([varint(buffer.length), buffer]));
const str = (number, text) => bytes(number, Buffer.from(text, 'utf8'));
const msg = (number, ...parts) => bytes(number, Buffer.concat(parts));

function tensor(name, dims, data) {
  const raw = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return msg(5, ...dims.map((d) => int(1, d)), int(2, 1), str(8, name), bytes(9, raw));
}

function valueInfo(number, name, dims) {
  const dim = (d) => msg(1, typeof d === 'string' ? str(2, d) : int(1, d));
  return msg(number, str(1, name), msg(2, msg(1, int(1, 1), msg(2, ...dims.map(dim)))));
}

function node(opType, inputs, outputs, attributes = []) {
  return msg(
    1,
    ...inputs.map((i) => str(1, i)),
    ...outputs.map((o) => str(2, o)),
    str(3, outputs[0]),
    str(4, opType),
    ...attributes.map(([name, value]) => msg(5, str(1, name), int(3, value), int(20, 2))),
  );
}

const ACTIVATIONS = { relu: 'Relu', softmax: 'Softmax', sigmoid: 'Sigmoid', tanh: 'Tanh', linear: null };

/**
 * The serialized ModelProto of a dense network.
 * `layers`: [{ kernel: Float32Array [inputs × units], bias: Float32Array [units], activation }]
 * (densely's getWeights() layout). Input 'x' [N × inputs], output 'y' [N × units].
 */
function mlpModel(inputs, layers) {
  const nodes = [];
  const initializers = [];
  let current = 'x';
  let width = inputs;
  layers.forEach((layer, i) => {
    const units = layer.bias.length;
    if (layer.kernel.length !== width * units)
      throw new Error(`bench onnx: layer ${i} kernel is not ${width}×${units}`);
    initializers.push(tensor(`W${i}`, [width, units], layer.kernel), tensor(`b${i}`, [units], layer.bias));
    const last = i === layers.length - 1;
    const op = ACTIVATIONS[layer.activation];
    if (op === undefined) throw new Error(`bench onnx: no ONNX op for ${layer.activation}`);
    const gemmOut = op === null && last ? 'y' : `z${i}`;
    nodes.push(node('Gemm', [current, `W${i}`, `b${i}`], [gemmOut]));
    current = gemmOut;
    if (op !== null) {
      const out = last ? 'y' : `a${i}`;
      nodes.push(node(op, [current], [out], op === 'Softmax' ? [['axis', -1]] : []));
      current = out;
    }
    width = units;
  });
  const graph = msg(
    7,
    ...nodes,
    str(2, 'densely_bench_mlp'),
    ...initializers,
    valueInfo(11, 'x', ['N', inputs]),
    valueInfo(12, 'y', ['N', width]),
  );
  return Buffer.concat([int(1, 8), str(2, 'densely-bench'), graph, msg(8, str(1, ''), int(2, 13))]);
}

module.exports = { mlpModel, varint };

if (require.main === module) {
  const fs = require('node:fs');
  const path = require('node:path');
  const { trials } = require('./trials');
  const { DIST, WEIGHT_SEED, denselyLayers } = require('./drivers');
  const out = process.argv[2];
  if (!out) throw new Error('usage: node bench/onnx.js <out.onnx> [trial id, default predict-mlp-b-256]');
  const trial = trials.find((t) => t.id === (process.argv[3] ?? 'predict-mlp-b-256'));
  const densely = require(path.join(DIST, 'index.js'));
  fs.writeFileSync(out, mlpModel(trial.model.inputs, denselyLayers(densely, trial.model, WEIGHT_SEED)));
}
