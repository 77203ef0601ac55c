/**
 * ONNX export (`Network#toOnnx`): the network as an ONNX ModelProto, encoded with
 * @bufbuild/protobuf from the official schema (`lib/interop/onnx.proto`, generated code in
 * `lib/interop/gen/onnx_pb.ts`).
 *
 * The graph: input `x` of shape [N × inputs] (N a dynamic batch dimension), output `y`
 * [N × outputs]; float32 weights stored as initializers (raw little-endian data).
 * - Dense: `Gemm(x, W, b)` with W as densely stores it, [inputs × units] (transB = 0), or
 *   `MatMul(x, W)` without a bias; then the activation ({@link ONNX_ACTIVATIONS}).
 * - Dropout: nothing (inference).
 * - LayerNorm: `LayerNormalization(axis = −1, epsilon)` (opset 17).
 * - BatchNorm: `BatchNormalization(epsilon)` with the running statistics (inference).
 * A part switched off (`center`/`scale` false) is written as zeros/ones.
 * Opset 13, or 17 when the network has a LayerNorm; IR version 8.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import type { ActivationName } from '../backend/types';
import {
  type AttributeProto,
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  type NodeProto,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  type TensorProto,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  type ValueInfoProto,
  ValueInfoProtoSchema,
} from './gen/onnx_pb';
import { filled, LAYER_TYPES, type PortableLayer, type PortableModel } from './model';

/**
 * Every activation of a Dense layer ({@link ActivationName}). The tables below are keyed
 * by it, so TypeScript demands an entry for every activation name.
 */
export type AnyActivation = ActivationName;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

type Attr = [name: string, value: number, kind: 'int' | 'float'];

/** Builds a graph's nodes and initializers with unique value names. */
class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  #count = 0;

  /** A node `op(inputs)` with `attrs`; returns its output's name. */
  node(op: string, inputs: string[], attrs: Attr[] = []): string {
    const output = `${op.toLowerCase()}_${this.#count++}`;
    this.nodes.push(
      create(NodeProtoSchema, {
        input: inputs,
        output: [output],
        name: output,
        opType: op,
        attribute: attrs.map(
          ([name, value, kind]): AttributeProto =>
            kind === 'int'
              ? create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(value) })
              : create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOAT, f: value }),
        ),
      }),
    );
    return output;
  }

  /** A float32 initializer of `dims`; returns its name. */
  constant(name: string, dims: number[], data: Float32Array): string {
    let raw: Uint8Array;
    if (LITTLE_ENDIAN) {
      raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    } else {
      raw = new Uint8Array(data.length * 4);
      const view = new DataView(raw.buffer);
      for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i]!, true);
    }
    this.initializers.push(
      create(TensorProtoSchema, { name, dims: dims.map(BigInt), dataType: TensorProto_DataType.FLOAT, rawData: raw }),
    );
    return name;
  }

  /** A float32 scalar initializer. */
  scalar(name: string, value: number): string {
    return this.constant(name, [], new Float32Array([value]));
  }
}

/**
 * Each activation as ONNX operators applied to `z` (the layer's pre-activation, [N × units]);
 * returns the output's name. Exactly `torch.nn.functional`'s definitions: softmax over the
 * last axis; gelu the exact erf form, 0.5·z·(1 + erf(z/√2)) (Erf, opset 9); hardSigmoid
 * relu6(z + 3)/6 = HardSigmoid(α = 1/6, β = 1/2); hardSwish z·hardSigmoid(z); silu
 * z·sigmoid(z); mish z·tanh(softplus(z)); relu6 Clip(z, 0, 6).
 */
export const ONNX_ACTIVATIONS: Readonly<
  Record<AnyActivation, (g: GraphBuilder, z: string, layer: PortableLayer) => string>
> = {
  linear: (_g, z) => z,
  relu: (g, z) => g.node('Relu', [z]),
  leakyRelu: (g, z, layer) => g.node('LeakyRelu', [z], [['alpha', layer.config.alpha as number, 'float']]),
  sigmoid: (g, z) => g.node('Sigmoid', [z]),
  tanh: (g, z) => g.node('Tanh', [z]),
  softmax: (g, z) => g.node('Softmax', [z], [['axis', -1, 'int']]),
  gelu: (g, z) => {
    const erf = g.node('Erf', [g.node('Mul', [z, g.scalar(`${z}_rsqrt2`, Math.SQRT1_2)])]);
    const onePlus = g.node('Add', [erf, g.scalar(`${z}_one`, 1)]);
    return g.node('Mul', [g.node('Mul', [z, g.scalar(`${z}_half`, 0.5)]), onePlus]);
  },
  elu: (g, z) => g.node('Elu', [z], [['alpha', 1, 'float']]),
  selu: (g, z) => g.node('Selu', [z]),
  softplus: (g, z) => g.node('Softplus', [z]),
  silu: (g, z) => g.node('Mul', [z, g.node('Sigmoid', [z])]),
  mish: (g, z) => g.node('Mul', [z, g.node('Tanh', [g.node('Softplus', [z])])]),
  hardSigmoid: (g, z) =>
    g.node(
      'HardSigmoid',
      [z],
      [
        ['alpha', 1 / 6, 'float'],
        ['beta', 0.5, 'float'],
      ],
    ),
  hardSwish: (g, z) =>
    g.node('Mul', [
      z,
      g.node(
        'HardSigmoid',
        [z],
        [
          ['alpha', 1 / 6, 'float'],
          ['beta', 0.5, 'float'],
        ],
      ),
    ]),
  relu6: (g, z) => g.node('Clip', [z, g.scalar(`${z}_min`, 0), g.scalar(`${z}_max`, 6)]),
};

function valueInfo(name: string, width: number): ValueInfoProto {
  const dims = [
    create(TensorShapeProto_DimensionSchema, { value: { case: 'dimParam', value: 'N' } }),
    create(TensorShapeProto_DimensionSchema, { value: { case: 'dimValue', value: BigInt(width) } }),
  ];
  const tensorType = create(TypeProto_TensorSchema, {
    elemType: TensorProto_DataType.FLOAT,
    shape: create(TensorShapeProtoSchema, { dim: dims }),
  });
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, { value: { case: 'tensorType', value: tensorType } }),
  });
}

/** Adds one layer's nodes reading `x`; returns the name of its output. */
function addLayer(g: GraphBuilder, layer: PortableLayer, x: string): string {
  const { config, tensors, inputs, units, index } = layer;
  const p = `layers.${index}`;
  switch (config.type) {
    case LAYER_TYPES.dense: {
      const w = g.constant(`${p}.kernel`, [inputs, units], tensors.kernel!);
      const z = tensors.bias
        ? g.node('Gemm', [x, w, g.constant(`${p}.bias`, [units], tensors.bias)])
        : g.node('MatMul', [x, w]);
      const act = ONNX_ACTIVATIONS[config.activation as AnyActivation];
      if (act === undefined) throw new Error(`densely: no ONNX form for activation ${String(config.activation)}`);
      return act(g, z, layer);
    }
    case LAYER_TYPES.dropout:
      return x;
    case LAYER_TYPES.layerNorm: {
      const scale = g.constant(`${p}.gamma`, [units], tensors.gamma ?? filled(units, 1));
      const bias = g.constant(`${p}.beta`, [units], tensors.beta ?? filled(units, 0));
      return g.node(
        'LayerNormalization',
        [x, scale, bias],
        [
          ['axis', -1, 'int'],
          ['epsilon', config.epsilon as number, 'float'],
        ],
      );
    }
    case LAYER_TYPES.batchNorm: {
      const inputsOf = [
        g.constant(`${p}.gamma`, [units], tensors.gamma ?? filled(units, 1)),
        g.constant(`${p}.beta`, [units], tensors.beta ?? filled(units, 0)),
        g.constant(`${p}.runningMean`, [units], tensors.runningMean!),
        g.constant(`${p}.runningVar`, [units], tensors.runningVar!),
      ];
      return g.node(
        'BatchNormalization',
        [x, ...inputsOf],
        [
          ['epsilon', config.epsilon as number, 'float'],
          // ONNX's momentum weighs the running value (Keras's convention).
          ['momentum', 1 - (config.momentum as number), 'float'],
        ],
      );
    }
    default:
      throw new Error(`densely: no ONNX form for layer type ${String(config.type)}`);
  }
}

/** The ONNX opset a model needs: 17 with LayerNormalization, else 13. */
export function onnxOpset(model: PortableModel): number {
  return model.layers.some((l) => l.config.type === LAYER_TYPES.layerNorm) ? 17 : 13;
}

/**
 * The serialized ONNX ModelProto of a network (see the module comment).
 * @param producerVersion written as the model's producer_version.
 */
export function encodeOnnx(model: PortableModel, producerVersion: string): Uint8Array {
  const g = new GraphBuilder();
  let value = 'x';
  for (const layer of model.layers) value = addLayer(g, layer, value);
  const last = g.nodes[g.nodes.length - 1];
  if (last !== undefined && last.output[0] === value) last.output[0] = 'y';
  else g.node('Identity', [value]);
  g.nodes[g.nodes.length - 1]!.output[0] = 'y';
  const graph = create(GraphProtoSchema, {
    name: 'densely',
    node: g.nodes,
    initializer: g.initializers,
    input: [valueInfo('x', model.inputs)],
    output: [valueInfo('y', model.outputs)],
  });
  const proto = create(ModelProtoSchema, {
    irVersion: 8n,
    producerName: 'densely',
    producerVersion,
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(onnxOpset(model)) })],
    graph,
  });
  return toBinary(ModelProtoSchema, proto);
}
