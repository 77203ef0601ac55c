/**
 * The form in which models cross densely's borders: a network's architecture (the layer
 * JSON of `toJSON`) and its tensors under densely's safetensors names
 * (`layers.<i>.kernel`, `.bias`, `.gamma`, `.beta`, `.runningMean`, `.runningVar`).
 *
 * Exporters (ONNX, PyTorch) read it from the network's own safetensors bytes, importers
 * (PyTorch layout, tfjs) write it as safetensors bytes that `Network.fromSafetensors`
 * then checks and loads. So the interop code depends on the layer types only through
 * their JSON and the tensor names below.
 */
import { decodeSafetensors, encodeSafetensors, readF32, type Tensor } from '../safetensors';

/** The `type` of each layer kind in the architecture JSON. */
export const LAYER_TYPES = {
  dense: 'dense',
  dropout: 'dropout',
  layerNorm: 'layerNorm',
  batchNorm: 'batchNorm',
} as const;

/** The parameters (and running statistics) each layer kind stores, in file order. */
export const LAYER_TENSORS: Readonly<Record<string, readonly string[]>> = {
  [LAYER_TYPES.dense]: ['kernel', 'bias'],
  [LAYER_TYPES.layerNorm]: ['gamma', 'beta'],
  [LAYER_TYPES.batchNorm]: ['gamma', 'beta', 'runningMean', 'runningVar'],
};

/** `__metadata__` key of the tensor layout; absent means densely's own. */
export const META_LAYOUT = 'densely.layout';
/** `__metadata__` key of the architecture JSON `{ inputs, layers }`. */
export const META_ARCH = 'densely.architecture';

/** One layer's configuration as `toJSON` writes it (`type` plus its options). */
export type LayerConfig = { type: string } & Record<string, unknown>;

/** A layer with its widths and its stored tensors (absent when switched off). */
export interface PortableLayer {
  /** Index in the network's `layers`. */
  index: number;
  config: LayerConfig;
  /** Width of the layer's input and output. */
  inputs: number;
  units: number;
  tensors: Record<string, Float32Array | undefined>;
}

/** A network's architecture and parameters. */
export interface PortableModel {
  inputs: number;
  outputs: number;
  layers: PortableLayer[];
  /** The file's whole `__metadata__`. */
  metadata: Record<string, string>;
}

/**
 * Reads the safetensors bytes of a network (its own `toSafetensors()`, so trusted): the
 * architecture from `__metadata__` and every layer's tensors. Other tensors (optimizer
 * state) are left out.
 */
export function readPortable(bytes: Uint8Array): PortableModel {
  const file = decodeSafetensors(bytes, 'network');
  const metadata = file.metadata ?? {};
  const arch = JSON.parse(metadata[META_ARCH] ?? '{}') as { inputs: number; layers: LayerConfig[] };
  let width = arch.inputs;
  const layers = arch.layers.map((config, index): PortableLayer => {
    const tensors: Record<string, Float32Array | undefined> = {};
    for (const name of LAYER_TENSORS[config.type] ?? []) {
      const entry = file.tensors.get(`layers.${index}.${name}`);
      if (entry === undefined) continue;
      const data = new Float32Array(entry.count);
      readF32(file.data, entry, data, 0);
      tensors[name] = data;
    }
    const inputs = width;
    if (config.type === LAYER_TYPES.dense) width = config.units as number;
    return { index, config, inputs, units: width, tensors };
  });
  return { inputs: arch.inputs, outputs: width, layers, metadata };
}

/** The safetensors bytes of a portable model in densely's layout, `metadata` as given. */
export function writePortable(model: PortableModel, metadata: Record<string, string>): Uint8Array {
  const tensors: Array<[string, Tensor]> = [];
  for (const layer of model.layers) {
    for (const name of LAYER_TENSORS[layer.config.type] ?? []) {
      const data = layer.tensors[name];
      if (data === undefined) continue;
      const shape = name === 'kernel' ? [layer.inputs, layer.units] : [data.length];
      tensors.push([`layers.${layer.index}.${name}`, { shape, data }]);
    }
  }
  return encodeSafetensors(tensors, {
    ...metadata,
    [META_ARCH]: JSON.stringify({ inputs: model.inputs, layers: model.layers.map((l) => l.config) }),
  });
}

/** `n` copies of `value`. */
export function filled(n: number, value: number): Float32Array {
  return new Float32Array(n).fill(value);
}
