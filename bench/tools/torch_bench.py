#!/usr/bin/env python3
"""PyTorch's side of the bench's 'epochs' trials (bench/trials.js), run by bench/index.js.

Usage: python3 torch_bench.py '<json>'   → one line "@@RESULT {json}" (what benchmark.js
prints for densely), or {"skipped": why} when torch cannot be imported.

The json: {trial, threads, flush, rows, epochs, inputs: {x, y, weights}}. The inputs are
float32 little-endian files written by bench/drivers.js: x [rows × inputs], y one-hot
[rows × classes], and densely's initial weights layer by layer, kernel [inputs × units]
(row-major) then bias [units]. So PyTorch trains on the same numbers from the same start.

The training loop is the one a PyTorch user writes: nn.Sequential of Linear and the
hidden activations, the softmax output folded into F.cross_entropy on the logits (the
fused form densely also uses), torch.optim.Adam / SGD with the trial's learning rate and
PyTorch's defaults otherwise (densely's defaults are the same), a fresh randperm every
epoch, batches gathered with index_select. `flush` calls torch.set_flush_denormal(True)
(MXCSR FTZ+DAZ on x86), the way to avoid the subnormal slowdown in PyTorch.

Timing mirrors benchmark.js: one warm-up epoch on a throwaway copy of the model, then one
run of `epochs` epochs, each timed with perf_counter (and process_time for the JSON); the
summary is epochSummary of bench/stats.js restated below.
"""
import json
import sys
import time

INSTALL = 'install python3-torch (apt-get update && apt-get install -y python3-torch)'


def emit(result):
    sys.stdout.write('@@RESULT ' + json.dumps(result) + '\n')
    sys.stdout.flush()


def last_window(epochs):
    return max(1, min(8, epochs - 3))


def epoch_summary(rows, seconds):
    """bench/stats.js epochSummary."""
    def rate(lo, hi):
        return rows * (hi - lo) / sum(seconds[lo:hi])
    epochs = len(seconds)
    window = last_window(epochs)
    samples = [rows / t for t in seconds]
    return {
        'median': rate(0, epochs),
        'min': min(samples),
        'max': max(samples),
        'samples': samples,
        'reps': 1,
        'epochs': epochs,
        'rows': rows,
        'first3': rate(0, min(3, epochs)),
        'last8': rate(epochs - window, epochs),
        'lastWindow': window,
    }


def main():
    ctx = json.loads(sys.argv[1])
    try:
        import numpy as np
        import torch
        import torch.nn.functional as F
    except ImportError as error:
        emit({'skipped': f'{INSTALL} ({error})'})
        return
    trial = ctx['trial']
    threads = int(ctx['threads'])
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    if ctx['flush'] and not torch.set_flush_denormal(True):
        emit({'skipped': 'torch.set_flush_denormal(True) is not supported on this CPU'})
        return
    if not ctx['flush']:
        torch.set_flush_denormal(False)

    rows = int(ctx['rows'])
    epochs = int(ctx['epochs'])
    model_spec = trial['model']
    inputs = model_spec['inputs']
    layers = model_spec['layers']
    classes = layers[-1][0]
    files = ctx['inputs']
    x = torch.from_numpy(np.fromfile(files['x'], dtype='<f4').reshape(rows, inputs).copy())
    y = torch.from_numpy(np.fromfile(files['y'], dtype='<f4').reshape(rows, classes).copy())
    labels = y.argmax(dim=1)
    flat = np.fromfile(files['weights'], dtype='<f4')

    if layers[-1][1] != 'softmax' or trial['loss'] != 'categoricalCrossentropy':
        emit({'skipped': 'torch_bench.py runs softmax + categoricalCrossentropy models only'})
        return
    acts = {'relu': torch.nn.ReLU, 'tanh': torch.nn.Tanh, 'sigmoid': torch.nn.Sigmoid}

    def build():
        modules = []
        width = inputs
        offset = 0
        for i, (units, activation) in enumerate(layers):
            linear = torch.nn.Linear(width, units)
            kernel = flat[offset:offset + width * units].reshape(width, units)
            offset += width * units
            bias = flat[offset:offset + units]
            offset += units
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(kernel.T.copy()))
                linear.bias.copy_(torch.from_numpy(bias.copy()))
            modules.append(linear)
            if i < len(layers) - 1:
                modules.append(acts[activation]())
            width = units
        if offset != flat.size:
            raise ValueError(f'weights file holds {flat.size} floats, the model {offset}')
        model = torch.nn.Sequential(*modules)
        spec = trial['optimizer']
        if spec['name'] == 'adam':
            optimizer = torch.optim.Adam(model.parameters(), lr=spec['learningRate'])
        else:
            optimizer = torch.optim.SGD(model.parameters(), lr=spec['learningRate'])
        return model, optimizer

    batch = int(trial['batchSize'])
    generator = torch.Generator().manual_seed(42)

    def epoch(model, optimizer):
        order = torch.randperm(rows, generator=generator)
        total = 0.0
        for start in range(0, rows, batch):
            idx = order[start:start + batch]
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x.index_select(0, idx)), labels.index_select(0, idx))
            loss.backward()
            optimizer.step()
            total += loss.item() * idx.numel()
        return total / rows

    epoch(*build())  # warm-up on a throwaway model
    model, optimizer = build()
    with torch.no_grad():  # the loss of the initial weights on all rows: densely's evaluate() gives the same
        initial_loss = F.cross_entropy(model(x), labels).item()
    seconds, cpu_seconds, losses = [], [], []
    for _ in range(epochs):
        t0, c0 = time.perf_counter(), time.process_time()
        losses.append(epoch(model, optimizer))
        seconds.append(time.perf_counter() - t0)
        cpu_seconds.append(time.process_time() - c0)
    cpu = epoch_summary(rows, cpu_seconds)
    result = epoch_summary(rows, seconds)
    result.update({
        'cpu': {'rate': cpu['median'], 'first3': cpu['first3'], 'last8': cpu['last8']},
        'seconds': seconds,
        'initialLoss': initial_loss,
        'losses': losses,
        'info': {
            'impl': f"torch {torch.__version__}, {'set_flush_denormal(True)' if ctx['flush'] else 'defaults'}",
            'threads': torch.get_num_threads(),
            'rows': rows,
            'epochs': epochs,
        },
    })
    emit(result)


if __name__ == '__main__':
    try:
        main()
    except Exception as error:  # reported in the table, like a Node child's error
        emit({'error': f'{type(error).__name__}: {error}'})
        sys.exit(1)
