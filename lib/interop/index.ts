/**
 * What `Network` calls for models in and out: each takes or returns the network's
 * safetensors bytes in densely's layout (see `lib/interop/model.ts`).
 */
import { VERSION } from '../runtime';
import { RESERVED_META, sourceName } from '../serialize';
import { readPortable } from './model';
import { encodeOnnx } from './onnx';
import { tfjsToSafetensors } from './tfjs';
import { encodeTorchLayout, torchSource } from './torch';

/** The ONNX model of a network given as its own safetensors bytes. */
export function exportOnnx(bytes: Uint8Array): Uint8Array {
  return encodeOnnx(readPortable(bytes), VERSION);
}

/** The PyTorch-layout safetensors file of a network given as its own safetensors bytes. */
export function exportTorchLayout(bytes: Uint8Array): Uint8Array {
  const model = readPortable(bytes);
  // A file for serving: densely's own keys that describe the network, and the user's.
  const kept = ['format', 'densely.version', 'densely.architecture', 'densely.seed'];
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(model.metadata))
    if (kept.includes(k) || !RESERVED_META.includes(k))
      Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
  return encodeTorchLayout(model, metadata);
}

/** The `nn.Sequential` source of a network given as its own safetensors bytes. */
export function exportTorchSource(bytes: Uint8Array): string {
  return torchSource(readPortable(bytes));
}

/** A tfjs-layers model as densely safetensors bytes. */
export function importTfjs(modelJsonPath: string): Promise<Uint8Array> {
  return tfjsToSafetensors(modelJsonPath, sourceName(modelJsonPath));
}
