/**
 * PyTorch interop: the `torch.nn.Sequential` equivalent of a network as Python source
 * (`Network#toTorch`), its state_dict as a safetensors file (`save(path, { layout: 'torch' })`)
 * and that file read back (`Network.load`).
 *
 * Module numbering: the densely layers in order, each giving
 * - Dense: `nn.Linear(inputs, units, bias=useBias)`, then its activation module unless
 *   the activation is linear (so a Dense layer takes one or two indices);
 * - Dropout: `nn.Dropout(p=rate)`;
 * - LayerNorm: `nn.LayerNorm(units, eps, elementwise_affine=center or scale)`;
 * - BatchNorm: `nn.BatchNorm1d(units, eps, momentum, affine=center or scale)`.
 * Tensors: Linear `<k>.weight` [units × inputs] (the kernel transposed) and `<k>.bias`;
 * norm layers `<k>.weight` (gamma), `<k>.bias` (beta), BatchNorm `<k>.running_mean`,
 * `<k>.running_var` and `<k>.num_batches_tracked` (int64, shape [], written as 0: densely
 * does not count batches, and PyTorch reads it only when momentum is None). A norm layer
 * with only one of center/scale is affine in PyTorch, its other part written as
 * ones/zeros (and required to be so when read back).
 * The densely architecture stays in `__metadata__` (with `densely.layout` = "torch"), so
 * `Network.load` rebuilds the same network from such a file, PyTorch-written or not.
 */
import type { DecodedSafetensors, Tensor } from '../safetensors';
import { encodeSafetensors, readF32 } from '../safetensors';
import { describe, elide, invalidModel } from '../validate';
import { filled, LAYER_TYPES, type LayerConfig, META_ARCH, META_LAYOUT, type PortableModel } from './model';
import type { AnyActivation } from './onnx';

/** The value of `densely.layout` in a PyTorch-layout file. */
export const TORCH_LAYOUT = 'torch';

/** Python literal of a float (the shortest text that reads back as the same double). */
function py(value: number): string {
  const s = String(value);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

/** Each activation's `torch.nn` module, as Python source; `null` adds no module. */
export const TORCH_ACTIVATIONS: Readonly<Record<AnyActivation, ((config: LayerConfig) => string) | null>> = {
  linear: null,
  relu: () => 'nn.ReLU()',
  leakyRelu: (c) => `nn.LeakyReLU(negative_slope=${py(c.alpha as number)})`,
  sigmoid: () => 'nn.Sigmoid()',
  tanh: () => 'nn.Tanh()',
  softmax: () => 'nn.Softmax(dim=-1)',
  gelu: () => 'nn.GELU()',
  elu: () => 'nn.ELU(alpha=1.0)',
  selu: () => 'nn.SELU()',
  softplus: () => 'nn.Softplus(beta=1, threshold=20)',
  silu: () => 'nn.SiLU()',
  mish: () => 'nn.Mish()',
  hardSigmoid: () => 'nn.Hardsigmoid()',
  hardSwish: () => 'nn.Hardswish()',
  relu6: () => 'nn.ReLU6()',
};

const pyBool = (b: boolean): string => (b ? 'True' : 'False');

/** One Sequential module: its source, and for a layer with tensors, that layer. */
interface TorchModule {
  source: string;
  layer: number | null;
}

/** The Sequential's modules of an architecture (see the module comment for the mapping). */
function torchModules(inputs: number, layers: LayerConfig[]): TorchModule[] {
  const out: TorchModule[] = [];
  let width = inputs;
  layers.forEach((c, i) => {
    switch (c.type) {
      case LAYER_TYPES.dense: {
        const units = c.units as number;
        out.push({ source: `nn.Linear(${width}, ${units}, bias=${pyBool(c.useBias !== false)})`, layer: i });
        const act = TORCH_ACTIVATIONS[c.activation as AnyActivation];
        if (act === undefined) throw new Error(`densely: no torch.nn module for activation ${String(c.activation)}`);
        if (act !== null) out.push({ source: act(c), layer: null });
        width = units;
        break;
      }
      case LAYER_TYPES.dropout:
        out.push({ source: `nn.Dropout(p=${py(c.rate as number)})`, layer: null });
        break;
      case LAYER_TYPES.layerNorm:
        out.push({
          source: `nn.LayerNorm(${width}, eps=${py(c.epsilon as number)}, elementwise_affine=${pyBool(affine(c))})`,
          layer: i,
        });
        break;
      case LAYER_TYPES.batchNorm:
        out.push({
          source: `nn.BatchNorm1d(${width}, eps=${py(c.epsilon as number)}, momentum=${py(c.momentum as number)}, affine=${pyBool(affine(c))})`,
          layer: i,
        });
        break;
      default:
        throw new Error(`densely: no torch.nn module for layer type ${String(c.type)}`);
    }
  });
  return out;
}

/** Whether a norm layer has weight and bias in PyTorch. */
function affine(c: LayerConfig): boolean {
  return c.center !== false || c.scale !== false;
}

/** Python source defining `model`, the network's `nn.Sequential` (see the module comment). */
export function torchSource(model: PortableModel): string {
  const modules = torchModules(
    model.inputs,
    model.layers.map((l) => l.config),
  );
  const lines = modules.map((m, k) => `    ${m.source},  # ${k}${m.layer === null ? '' : `: layers[${m.layer}]`}`);
  return [
    '# The nn.Sequential equivalent of a densely Network (Network#toTorch()). Its weights:',
    "# net.save(path, { layout: 'torch' }) writes this module's state_dict as safetensors.",
    'import torch',
    'from torch import nn',
    '',
    'model = nn.Sequential(',
    ...lines,
    ')',
    '',
  ].join('\n');
}

/** One torch tensor of a layer: its name and the densely tensor it holds. */
interface TorchTensor {
  torch: string;
  densely: string | null;
  shape: number[];
  /** The value a switched-off part must hold. */
  fill?: number;
  transpose?: boolean;
  int64?: boolean;
}

/** The state_dict entries of every module, in module order. */
function torchTensors(inputs: number, layers: LayerConfig[]): Array<{ layer: number; tensors: TorchTensor[] }> {
  const widths: number[] = [];
  let width = inputs;
  for (const c of layers) {
    widths.push(width);
    if (c.type === LAYER_TYPES.dense) width = c.units as number;
  }
  const out: Array<{ layer: number; tensors: TorchTensor[] }> = [];
  torchModules(inputs, layers).forEach((m, k) => {
    if (m.layer === null) return;
    const c = layers[m.layer]!;
    const n = widths[m.layer]!;
    const tensors: TorchTensor[] = [];
    if (c.type === LAYER_TYPES.dense) {
      const units = c.units as number;
      tensors.push({ torch: `${k}.weight`, densely: 'kernel', shape: [units, n], transpose: true });
      if (c.useBias !== false) tensors.push({ torch: `${k}.bias`, densely: 'bias', shape: [units] });
    } else {
      if (affine(c)) {
        tensors.push(
          c.scale !== false
            ? { torch: `${k}.weight`, densely: 'gamma', shape: [n] }
            : { torch: `${k}.weight`, densely: null, shape: [n], fill: 1 },
          c.center !== false
            ? { torch: `${k}.bias`, densely: 'beta', shape: [n] }
            : { torch: `${k}.bias`, densely: null, shape: [n], fill: 0 },
        );
      }
      if (c.type === LAYER_TYPES.batchNorm) {
        tensors.push(
          { torch: `${k}.running_mean`, densely: 'runningMean', shape: [n] },
          { torch: `${k}.running_var`, densely: 'runningVar', shape: [n] },
          { torch: `${k}.num_batches_tracked`, densely: null, shape: [], int64: true },
        );
      }
    }
    out.push({ layer: m.layer, tensors });
  });
  return out;
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c]!;
  return t;
}

/**
 * The safetensors file of the network's state_dict in the PyTorch layout.
 * @param metadata the `__metadata__` to write (densely's, architecture included).
 */
export function encodeTorchLayout(model: PortableModel, metadata: Record<string, string>): Uint8Array {
  const configs = model.layers.map((l) => l.config);
  const tensors: Array<[string, Tensor]> = [];
  for (const { layer, tensors: list } of torchTensors(model.inputs, configs)) {
    const l = model.layers[layer]!;
    for (const t of list) {
      let data: Float32Array | BigInt64Array;
      if (t.int64) data = new BigInt64Array(1);
      else if (t.densely === null) data = filled(t.shape[0]!, t.fill!);
      else {
        const d = l.tensors[t.densely]!;
        data = t.transpose ? transpose(d, l.inputs, l.units) : d;
      }
      tensors.push([t.torch, { shape: t.shape, data }]);
    }
  }
  return encodeSafetensors(tensors, { ...metadata, [META_LAYOUT]: TORCH_LAYOUT });
}

/**
 * Reads a PyTorch-layout file (checked by `decodeSafetensors` with I64 allowed) whose
 * architecture `validate` has checked, and returns the same model in densely's layout
 * (safetensors bytes, `densely.layout` dropped), for `decodeNetwork` to check and load.
 * Every state_dict entry must be present with its shape and dtype, and no other.
 *
 * @throws TypeError/RangeError with code `DENSELY_INVALID_MODEL` naming the tensor.
 */
export function torchToDensely(
  file: DecodedSafetensors,
  source: string,
  validate: (inputs: unknown, layers: unknown) => void,
): Uint8Array {
  const meta = { ...file.metadata! };
  delete meta[META_LAYOUT];
  const bad = (what: string, received: string, kind: 'type' | 'range' = 'type'): Error =>
    invalidModel(what, source, received, kind);
  let arch: { inputs: unknown; layers: unknown };
  try {
    arch = JSON.parse(meta[META_ARCH] ?? 'null');
  } catch {
    throw bad(`${META_ARCH} as JSON`, describe(meta[META_ARCH]));
  }
  if (arch === null || typeof arch !== 'object')
    throw bad(`${META_ARCH} as an object { inputs, layers }`, describe(arch));
  validate(arch.inputs, arch.layers);
  const inputs = arch.inputs as number;
  const layers = arch.layers as LayerConfig[];
  const seen = new Set<string>();
  const out: Array<[string, Tensor]> = [];
  let width = inputs;
  const widths = layers.map((c) => {
    const w = width;
    if (c.type === LAYER_TYPES.dense) width = c.units as number;
    return w;
  });
  for (const { layer, tensors } of torchTensors(inputs, layers)) {
    for (const t of tensors) {
      const e = file.tensors.get(t.torch);
      seen.add(t.torch);
      if (t.int64 && e === undefined) continue;
      if (e === undefined || e.shape.length !== t.shape.length || e.shape.some((d, j) => d !== t.shape[j])) {
        throw bad(
          `tensor ${t.torch} of shape [${t.shape.join(', ')}] (the PyTorch layout of the architecture)`,
          e === undefined ? 'no such tensor' : `shape [${elide(e.shape.join(', '), 60)}]`,
          'range',
        );
      }
      const dtype = t.int64 ? 'I64' : 'F32';
      if (e.dtype !== dtype) throw bad(`dtype "${dtype}" for tensor ${t.torch}`, describe(e.dtype));
      if (t.int64) continue;
      const data = new Float32Array(e.count);
      const i = readF32(file.data, e, data, 0);
      if (i >= 0) throw bad(`finite values in tensor ${t.torch}`, `${describe(data[i])} at element ${i}`, 'range');
      if (t.densely === null) {
        const j = data.findIndex((v) => v !== t.fill);
        if (j >= 0) {
          const part = t.fill === 1 ? 'scale' : 'center';
          throw bad(
            `${t.fill} in tensor ${t.torch} (layers[${layer}] has ${part}: false)`,
            `${data[j]} at element ${j}`,
            'range',
          );
        }
        continue;
      }
      const units = t.shape[0]!;
      const value = t.transpose ? transpose(data, units, widths[layer]!) : data;
      const shape = t.transpose ? [widths[layer]!, units] : t.shape;
      out.push([`layers.${layer}.${t.densely}`, { shape, data: value }]);
    }
  }
  for (const name of file.tensors.keys()) {
    if (!seen.has(name))
      throw bad(`only the tensors of the architecture's PyTorch layout (${seen.size})`, `tensor ${describe(name)}`);
  }
  return encodeSafetensors(out, meta);
}
