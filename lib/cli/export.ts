/**
 * `densely export <model> --onnx <file> [--torch <file>] [--torch-source <file>]`: writes a
 * saved model in other formats: an ONNX model (`Network#toOnnx`), the PyTorch-layout
 * safetensors state_dict (`save(path, { layout: 'torch' })`) and the `nn.Sequential`
 * Python source (`Network#toTorch`). Each output is written atomically; none may be the
 * model file. The exported network maps the features the model was trained on: a model
 * from `densely train` keeps its CSV preprocessing (column order, scaling, one-hot
 * encoding) in its metadata, which the other formats do not carry.
 */
import { exportTorchLayout } from '../interop/index';
import { usageError } from './errors';
import { type InputFile, resolveOutput, writeOutput } from './files';
import { hasCliMetadata, loadNetwork } from './model';
import type { Io } from './train';

export interface ExportOptions {
  onnx?: string;
  torch?: string;
  torchSource?: string;
}

export async function runExport(modelPath: string, o: ExportOptions, io: Io): Promise<void> {
  if (o.onnx === undefined && o.torch === undefined && o.torchSource === undefined)
    throw usageError('export needs at least one of --onnx <file>, --torch <file>, --torch-source <file>');
  const inputs: InputFile[] = [{ path: modelPath, role: 'the model' }];
  const targets = [
    { path: o.onnx, what: 'ONNX model', option: '--onnx' },
    { path: o.torch, what: 'PyTorch state_dict', option: '--torch' },
    { path: o.torchSource, what: 'PyTorch source', option: '--torch-source' },
  ].flatMap((t) => (t.path === undefined ? [] : [{ ...t, out: resolveOutput(t.path, t.what, t.option, inputs) }]));
  const { net } = loadNetwork(modelPath, 'js');
  for (const t of targets) {
    const data =
      t.option === '--onnx'
        ? net.toOnnx()
        : t.option === '--torch'
          ? exportTorchLayout(net.toSafetensors())
          : net.toTorch();
    await writeOutput(t.out, data, t.what, io.stdout);
    io.stdout.write(`wrote ${t.what} ${t.path} (${net.inputs} inputs → ${net.outputs} outputs)\n`);
  }
  if (hasCliMetadata(net.metadata))
    io.stdout.write(
      'note: the exported network takes the preprocessed features (densely info shows the columns and scaling)\n',
    );
}
