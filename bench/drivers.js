'use strict';
// The contenders (better-sqlite3 `benchmark/drivers.js` style): a Map from name to a
// driver. A driver has one factory per trial type it takes part in; a factory builds
// the model and data for one trial and returns the operation to time:
//   { run, async, unitsPerCall, info }   run() is one call (a fit epoch, a predict, a GEMM);
//                                        the rate reported is unitsPerCall / seconds per call;
//                                        with measure: 'value', run() resolves to the sample itself.
//   { measure: 'epochs', run, warmup, rows, epochs, info }
//                                        'epochs' trials: warmup() once, then run() is one long
//                                        fit resolving to the seconds of each epoch.
//   { skipped: 'why' }                   the contender cannot run here (shown in the table).
// `threaded` drivers run once per --threads entry; the runner sets DENSELY_THREADS (and
// OPENBLAS_NUM_THREADS) in the child's environment before anything loads.
// `external` drivers are timed by a tool of their own instead of benchmark.js (a compiled
// sgemm harness, PyTorch's Python process); they print the same "@@RESULT {json}" line.
const path = require('node:path');
const fs = require('node:fs');
const seed = require('./seed');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist', 'cjs');
const DATA_SEED = 20261123;
const WEIGHT_SEED = 42;

/** The built package root, or { skipped } when `npm run build` has not produced it. */
function loadDensely() {
  try {
    return require(path.join(DIST, 'index.js'));
  } catch (error) {
    return { skipped: `densely not built (npm run build at the root): ${error.message.split('\n')[0]}` };
  }
}

/** Training data of a trial: a classification set, or XOR for 1-output models. */
function trainingData(trial, rows) {
  const outputs = trial.model.layers[trial.model.layers.length - 1][0];
  if (trial.model.inputs === 2 && outputs === 1) return seed.xor(rows, DATA_SEED);
  return seed.classification(rows, trial.model.inputs, outputs, DATA_SEED);
}

function predictData(trial) {
  return seed.floats(trial.batch * trial.model.inputs, DATA_SEED);
}

/** Rows of one training epoch for this contender (see `quickRows` / `rowsFor` in trials.js). */
function epochRows(trial, driverName, quick) {
  if (trial.rowsFor && trial.rowsFor[driverName] !== undefined) {
    return quick && trial.quickRows !== undefined
      ? Math.min(trial.quickRows, trial.rowsFor[driverName])
      : trial.rowsFor[driverName];
  }
  if (quick && trial.quickRows !== undefined) return trial.quickRows;
  return trial.rows;
}

/** Epochs of one run of an 'epochs' trial for this contender (`epochs`, `quickEpochs`, `epochsFor`). */
function epochCount(trial, driverName, quick) {
  const full = trial.epochsFor?.[driverName] ?? trial.epochs;
  return quick && trial.quickEpochs !== undefined ? Math.min(trial.quickEpochs, full) : full;
}

/**
 * Times one long fit epoch by epoch: `fit(onEpochEnd)` starts it and returns its promise.
 * The clock starts once that call has returned (densely's fit does its checks and copies
 * synchronously: a one-off per call, not an epoch's work). Resolves to the wall seconds
 * and the process CPU seconds of each epoch.
 */
async function timeEpochs(fit) {
  const seconds = [];
  const cpuSeconds = [];
  let last = 0;
  let lastCpu = process.cpuUsage();
  const done = fit(() => {
    const t = performance.now();
    const cpu = process.cpuUsage();
    seconds.push((t - last) / 1e3);
    cpuSeconds.push((cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1e6);
    last = t;
    lastCpu = cpu;
  });
  last = performance.now();
  lastCpu = process.cpuUsage();
  await done;
  return { seconds, cpuSeconds };
}

/** Operands of a GEMM trial with their leading dimensions (row-major, BLAS rules). */
function gemmOperands(trial) {
  const { m, n, k, transA, transB } = trial;
  return {
    a: seed.floats(m * k, DATA_SEED, -0.5, 0.5),
    b: seed.floats(k * n, DATA_SEED + 1, -0.5, 0.5),
    c: new Float32Array(m * n),
    lda: transA ? m : k,
    ldb: transB ? k : n,
    ldc: n,
  };
}

// ---- densely (js and native backends) ----------------------------------------------

function denselyNetwork(trial, backend) {
  const densely = loadDensely();
  if (densely.skipped) return densely;
  if (backend === 'native') {
    const info = densely.backendInfo();
    if (!info.native) return { skipped: `native addon not loaded: ${info.reason ?? 'no reason given'}` };
  }
  if (typeof densely.setThreads === 'function' && process.env.DENSELY_THREADS) {
    densely.setThreads(Number(process.env.DENSELY_THREADS));
  }
  const layers = trial.model.layers.map(([units, activation]) => new densely.Dense(units, { activation }));
  const net = new densely.Network({ inputs: trial.model.inputs, layers, backend, seed: WEIGHT_SEED });
  if (net.backend !== backend) return { skipped: `asked for backend '${backend}', got '${net.backend}'` };
  return { densely, net };
}

function denselyOptimizer(densely, spec) {
  if (spec.name === 'adam') return new densely.Adam({ learningRate: spec.learningRate });
  if (spec.name === 'sgd') return new densely.SGD({ learningRate: spec.learningRate });
  throw new Error(`bench: no densely optimizer for ${spec.name}`);
}

/** What ran: `backendInfo()` describes the addon, but a js-backend network runs js whatever loaded. */
function denselyInfo(densely, backend) {
  const info = densely.backendInfo();
  const impl = backend === 'native' ? `native ${info.isa}` : 'js';
  return { impl, isa: info.isa, threads: backend === 'native' ? info.threads : 1, version: info.version };
}

function denselyDriver(backend) {
  const driver = {
    threaded: backend === 'native',
    train(trial, ctx) {
      const made = denselyNetwork(trial, backend);
      if (made.skipped) return made;
      const { densely, net } = made;
      net.compile({ loss: trial.loss, optimizer: denselyOptimizer(densely, trial.optimizer) });
      const rows = epochRows(trial, ctx.driver, ctx.quick);
      const { x, y } = trainingData(trial, rows);
      const epochs = trial.epochs ?? 1;
      const options = { epochs, batchSize: trial.batchSize, shuffle: trial.shuffle ?? true };
      return {
        async: true,
        run: () => net.fit(x, y, options),
        unitsPerCall: rows * epochs,
        info: { ...denselyInfo(densely, backend), rows },
      };
    },
    /** One fit of `epochs` epochs timed per epoch, after a one-epoch fit of a throwaway network. */
    epochs(trial, ctx) {
      const network = () => {
        const made = denselyNetwork(trial, backend);
        if (!made.skipped)
          made.net.compile({ loss: trial.loss, optimizer: denselyOptimizer(made.densely, trial.optimizer) });
        return made;
      };
      const made = network();
      if (made.skipped) return made;
      const rows = epochRows(trial, ctx.driver, ctx.quick);
      const epochs = epochCount(trial, ctx.driver, ctx.quick);
      const { x, y } = trainingData(trial, rows);
      const options = { batchSize: trial.batchSize, shuffle: trial.shuffle ?? true };
      return {
        measure: 'epochs',
        rows,
        epochs,
        warmup: () => network().net.fit(x, y, { ...options, epochs: 1 }),
        run: () => timeEpochs((onEpochEnd) => made.net.fit(x, y, { ...options, epochs, onEpochEnd })),
        info: { ...denselyInfo(made.densely, backend), rows, epochs },
      };
    },
    /**
     * One fit epoch; the call's value, in ms, is (trial.lag) 'epoch': the worst lateness
     * of a 1 ms setInterval started once fit has returned its promise (the training
     * itself), or 'call': how long the fit call itself held the thread before returning
     * its promise (validation, copies, the shuffle: the synchronous prologue).
     */
    lag(trial, ctx) {
      const op = driver.train(trial, ctx);
      if (op.skipped) return op;
      const fit = op.run;
      const run =
        trial.lag === 'call'
          ? async () => {
              const t0 = performance.now();
              const done = fit();
              const held = performance.now() - t0;
              await done;
              return held;
            }
          : async () => {
              const done = fit();
              let last = performance.now();
              let worst = 0;
              const timer = setInterval(() => {
                const t = performance.now();
                worst = Math.max(worst, t - last - 1);
                last = t;
              }, 1);
              await done;
              clearInterval(timer);
              return Math.max(worst, performance.now() - last - 1);
            };
      return { ...op, measure: 'value', run };
    },
    /** `densely/kernels` sgemm; DENSELY_BACKEND pins which backend 'auto' resolves to. */
    gemm(trial) {
      process.env.DENSELY_BACKEND = backend;
      const densely = loadDensely();
      if (densely.skipped) return densely;
      const info = densely.backendInfo();
      if (backend === 'native' && !info.native)
        return { skipped: `native addon not loaded: ${info.reason ?? 'no reason given'}` };
      if (typeof densely.setThreads === 'function' && process.env.DENSELY_THREADS) {
        densely.setThreads(Number(process.env.DENSELY_THREADS));
      }
      const { sgemm } = require(path.join(DIST, 'kernels.js'));
      const { m, n, k, transA, transB } = trial;
      const { a, b, c, lda, ldb, ldc } = gemmOperands(trial);
      return {
        async: false,
        run: () => sgemm(transA, transB, m, n, k, 1, a, lda, b, ldb, 0, c, ldc),
        unitsPerCall: (2 * m * n * k) / 1e9,
        info: { impl: backend === 'native' ? `native ${info.isa}` : 'js', threads: info.threads },
      };
    },
    predict(trial) {
      const made = denselyNetwork(trial, backend);
      if (made.skipped) return made;
      const { densely, net } = made;
      const x = predictData(trial);
      return {
        async: false,
        run: () => net.predict(x),
        unitsPerCall: trial.unit === 'calls/s' ? 1 : trial.batch,
        info: denselyInfo(densely, backend),
      };
    },
  };
  return driver;
}

// ---- Compiled sgemm harnesses (native/openblas_sgemm.cc) --------------------------------
// OpenBLAS's cblas_sgemm (build/openblas_sgemm), and densely's C++ core without Node
// (the same source built with -DDENSELY_CORE: build/densely_sgemm). prepare.js builds
// both when g++ and libopenblas-dev are there; each runs in its own process with its
// thread count in the environment variable its library reads.

function compiledSgemm(name, threadsVariable, missing) {
  const tool = path.join(__dirname, 'build', name);
  return {
    threaded: true,
    external: {
      /** Why it cannot run, or null. */
      unavailable: () => (fs.existsSync(tool) ? null : missing),
      command(trial, threads, timing) {
        const args = [
          trial.m,
          trial.n,
          trial.k,
          trial.transA ? 1 : 0,
          trial.transB ? 1 : 0,
          threads,
          timing.warmupMs,
          timing.sampleMs,
          timing.minSamples,
          timing.maxSamples,
          timing.budgetMs,
        ];
        return { file: tool, args: args.map(String), env: { [threadsVariable]: String(threads) } };
      },
    },
  };
}

const openblas = compiledSgemm('openblas_sgemm', 'OPENBLAS_NUM_THREADS', 'skipped: install libopenblas-dev');
const denselyCore = compiledSgemm(
  'densely_sgemm',
  'DENSELY_THREADS',
  'skipped: needs g++ and libopenblas-dev to build the tool',
);

// ---- TensorFlow.js, cpu backend (pure JS) ---------------------------------------------

async function loadTfjs() {
  let tf;
  try {
    tf = require('@tensorflow/tfjs');
  } catch (error) {
    return { skipped: `@tensorflow/tfjs not installed in bench/ (npm --prefix bench ci): ${error.message}` };
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { tf };
}

function tfjsModel(tf, trial) {
  const model = tf.sequential();
  trial.model.layers.forEach(([units, activation], i) => {
    model.add(
      tf.layers.dense({
        units,
        activation,
        ...(i === 0 ? { inputShape: [trial.model.inputs] } : {}),
        kernelInitializer: tf.initializers.glorotUniform({ seed: WEIGHT_SEED + i }),
        biasInitializer: 'zeros',
      }),
    );
  });
  return model;
}

const tfjs = {
  threaded: false,
  async train(trial, ctx) {
    const loaded = await loadTfjs();
    if (loaded.skipped) return loaded;
    const { tf } = loaded;
    const model = tfjsModel(tf, trial);
    const { name, learningRate } = trial.optimizer;
    const optimizer = name === 'adam' ? tf.train.adam(learningRate) : tf.train.sgd(learningRate);
    model.compile({ loss: trial.loss, optimizer });
    const rows = epochRows(trial, ctx.driver, ctx.quick);
    const { x, y } = trainingData(trial, rows);
    const outputs = y.length / rows;
    // Tensors are made once, as a tfjs user keeps them; densely's fit takes the arrays.
    const xs = tf.tensor2d(x, [rows, trial.model.inputs]);
    const ys = tf.tensor2d(y, [rows, outputs]);
    const options = { epochs: 1, batchSize: trial.batchSize, shuffle: trial.shuffle ?? true, verbose: 0 };
    return {
      async: true,
      run: () => model.fit(xs, ys, options),
      unitsPerCall: rows,
      info: { backend: tf.getBackend(), version: tf.version.tfjs, rows },
    };
  },
  async epochs(trial, ctx) {
    const loaded = await loadTfjs();
    if (loaded.skipped) return loaded;
    const { tf } = loaded;
    const rows = epochRows(trial, ctx.driver, ctx.quick);
    const epochs = epochCount(trial, ctx.driver, ctx.quick);
    const { x, y } = trainingData(trial, rows);
    const xs = tf.tensor2d(x, [rows, trial.model.inputs]);
    const ys = tf.tensor2d(y, [rows, y.length / rows]);
    const compiled = () => {
      const model = tfjsModel(tf, trial);
      const { name, learningRate } = trial.optimizer;
      model.compile({
        loss: trial.loss,
        optimizer: name === 'adam' ? tf.train.adam(learningRate) : tf.train.sgd(learningRate),
      });
      return model;
    };
    const model = compiled();
    const options = { batchSize: trial.batchSize, shuffle: trial.shuffle ?? true, verbose: 0 };
    return {
      measure: 'epochs',
      rows,
      epochs,
      warmup: () => compiled().fit(xs, ys, { ...options, epochs: 1 }),
      run: () => timeEpochs((onEpochEnd) => model.fit(xs, ys, { ...options, epochs, callbacks: { onEpochEnd } })),
      info: { backend: tf.getBackend(), version: tf.version.tfjs, rows, epochs },
    };
  },
  async predict(trial) {
    const loaded = await loadTfjs();
    if (loaded.skipped) return loaded;
    const { tf } = loaded;
    const model = tfjsModel(tf, trial);
    const x = predictData(trial);
    const shape = [trial.batch, trial.model.inputs];
    // One call = array in, array out, as densely's predict: tensor creation and the
    // read-back are part of it.
    return {
      async: false,
      run: () => {
        const input = tf.tensor2d(x, shape);
        const output = model.predict(input, { batchSize: trial.batch });
        const values = output.dataSync();
        input.dispose();
        output.dispose();
        return values;
      },
      unitsPerCall: trial.unit === 'calls/s' ? 1 : trial.batch,
      info: { backend: tf.getBackend(), version: tf.version.tfjs },
    };
  },
};

// ---- PyTorch (Debian's python3-torch), a Python child process ------------------------
// tools/torch_bench.py runs an 'epochs' trial as a PyTorch user writes it (nn.Sequential
// of Linear/ReLU, the softmax folded into F.cross_entropy on the logits, torch.optim,
// randperm batches), on the same rows and the same initial weights as densely: both are
// written by each run to bench/build/inputs/ (float32, little-endian) from the bench's seeded
// data and a js-backend densely network of WEIGHT_SEED (densely's initial weights do not
// depend on the backend). Threads: torch.set_num_threads(threads), one inter-op thread.

const INSTALL_TORCH = 'install python3-torch (apt-get update && apt-get install -y python3-torch)';
let torchProbe;

/**
 * The first Python that imports torch, probed once per process: $DENSELY_BENCH_PYTHON,
 * `python3` on PATH, then Debian's /usr/bin/python3 (python3-torch installs into its
 * dist-packages, which a pyenv or venv python3 earlier on PATH does not see).
 * { python } or { reason }.
 */
function torchPython() {
  if (torchProbe === undefined) {
    const candidates = [process.env.DENSELY_BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean);
    torchProbe = { reason: INSTALL_TORCH };
    for (const python of candidates) {
      const r = require('node:child_process').spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
      if (r.status === 0) {
        torchProbe = { python };
        break;
      }
    }
  }
  return torchProbe;
}

/** densely's initial weights of a bench model (trials.js `model`), in getWeights() layout with activations. */
function denselyLayers(densely, model, seed) {
  const net = new densely.Network({
    inputs: model.inputs,
    layers: model.layers.map(([units, activation]) => new densely.Dense(units, { activation })),
    backend: 'js',
    seed,
  });
  return net.getWeights().map((w, i) => ({ kernel: w.kernel, bias: w.bias, activation: model.layers[i][1] }));
}

const written = new Map();

/**
 * Writes the rows and initial weights of an 'epochs' trial for a contender outside Node,
 * once per runner process (never reused from an earlier run: the weights come from the
 * densely build under test).
 */
function sharedInputs(trial, rows) {
  const dir = path.join(__dirname, 'build', 'inputs');
  const base = path.join(dir, `${trial.id}-${rows}`);
  const files = { x: `${base}.x.f32`, y: `${base}.y.f32`, weights: `${base}.w.f32` };
  if (written.has(base)) return written.get(base);
  const densely = loadDensely();
  if (densely.skipped) return densely;
  fs.mkdirSync(dir, { recursive: true });
  const { x, y } = trainingData(trial, rows);
  const layers = denselyLayers(densely, trial.model, WEIGHT_SEED);
  const weights = layers.flatMap((l) => [l.kernel, l.bias]);
  const write = (file, arrays) => {
    const tmp = `${file}.${process.pid}`;
    fs.writeFileSync(tmp, Buffer.concat(arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))));
    fs.renameSync(tmp, file);
  };
  write(files.x, [x]);
  write(files.y, [y]);
  write(files.weights, weights);
  written.set(base, files);
  return files;
}

function pytorch(flush) {
  const name = flush ? 'pytorch-flush' : 'pytorch';
  return {
    threaded: true,
    external: {
      unavailable: () => torchPython().reason ?? null,
      command(trial, threads, _timing, opts = {}) {
        if (trial.type !== 'epochs') return { skipped: `${name} runs only 'epochs' trials` };
        const rows = epochRows(trial, name, opts.quick);
        const inputs = sharedInputs(trial, rows);
        if (inputs.skipped) return inputs;
        const ctx = { trial, threads, flush, rows, epochs: epochCount(trial, name, opts.quick), inputs };
        return {
          file: torchPython().python,
          args: [path.join(__dirname, 'tools', 'torch_bench.py'), JSON.stringify(ctx)],
          // Debian's torch multiplies through the libblas.so.3 alternative (OpenBLAS when
          // installed), whose own thread pool torch.set_num_threads does not size, and runs
          // its other ops on GNU OpenMP's. Two pools whose idle threads spin take the cores
          // from each other: (B) on 2 threads trained at ~800 samples/s with OpenMP's
          // default wait policy and ~7,700 with PASSIVE (idle OpenMP threads sleep), here.
          env: {
            OMP_NUM_THREADS: String(threads),
            OPENBLAS_NUM_THREADS: String(threads),
            MKL_NUM_THREADS: String(threads),
            OMP_WAIT_POLICY: 'PASSIVE',
          },
        };
      },
    },
  };
}

// ---- onnxruntime-node (CPU execution provider) -----------------------------------------
// The model is the same network with densely's initial weights, as densely's own
// Network#toOnnx() writes it; one call is array in, array out, as densely's predict: a Tensor over the
// input, session.run (asynchronous: it is the package's only API) and the output's data.

const onnxruntime = {
  threaded: true,
  async predict(trial) {
    let ort;
    try {
      ort = require('onnxruntime-node');
    } catch (error) {
      return {
        skipped: `onnxruntime-node not installed in bench/ (ONNXRUNTIME_NODE_INSTALL=skip npm --prefix bench ci): ${error.message.split('\n')[0]}`,
      };
    }
    const densely = loadDensely();
    if (densely.skipped) return densely;
    const threads = Number(process.env.DENSELY_THREADS ?? 1);
    const model = new densely.Network({
      inputs: trial.model.inputs,
      layers: trial.model.layers.map(([units, activation]) => new densely.Dense(units, { activation })),
      backend: 'js',
      seed: WEIGHT_SEED,
    }).toOnnx();
    const session = await ort.InferenceSession.create(model, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    const x = predictData(trial);
    const shape = [trial.batch, trial.model.inputs];
    const run = async () => {
      const out = await session.run({ x: new ort.Tensor('float32', x, shape) });
      return out.y.data;
    };
    // The same network: its output matches densely's predict on the same weights.
    const net = new densely.Network({
      inputs: trial.model.inputs,
      layers: trial.model.layers.map(([units, activation]) => new densely.Dense(units, { activation })),
      seed: WEIGHT_SEED,
    });
    const mine = net.predict(x);
    const theirs = await run();
    let maxdiff = 0;
    for (let i = 0; i < mine.length; i++) maxdiff = Math.max(maxdiff, Math.abs(mine[i] - theirs[i]));
    if (!(maxdiff <= 1e-4)) throw new Error(`bench: onnxruntime's output differs from densely's by ${maxdiff}`);
    return {
      async: true,
      run,
      unitsPerCall: trial.unit === 'calls/s' ? 1 : trial.batch,
      info: { impl: `onnxruntime-node ${ort.env.versions?.node ?? ''} cpu`.replace('  ', ' '), threads, maxdiff },
    };
  },
};

// ---- The hand-written pure-JS loop (handwritten.js) ------------------------------------
// The XOR trials' exact network as one plain loop without any library: the floor that a
// library's per-step overhead is measured against. XOR trials only.

const handwritten = {
  threaded: false,
  train(trial, ctx) {
    if (!isXorModel(trial.model)) return { skipped: 'hand-written loop: XOR trials only' };
    const hand = require('./handwritten');
    const rows = epochRows(trial, ctx.driver, ctx.quick);
    const { x, y } = trainingData(trial, rows);
    const next = seed.uniform(WEIGHT_SEED);
    const net = hand.xorNet(next);
    const order = new Int32Array(rows);
    const shuffle = trial.shuffle ?? true;
    if (!shuffle) for (let i = 0; i < rows; i++) order[i] = i;
    const lr = trial.optimizer.learningRate;
    return {
      async: false,
      run: () => {
        if (shuffle) hand.shuffle(order, next);
        return hand.trainEpoch(net, x, y, order, lr);
      },
      unitsPerCall: rows,
      info: { impl: 'plain JS loop, Float64Array weights', rows },
    };
  },
  predict(trial) {
    if (!isXorModel(trial.model) || trial.batch !== 1) return { skipped: 'hand-written loop: one-sample XOR only' };
    const hand = require('./handwritten');
    const net = hand.xorNet(seed.uniform(WEIGHT_SEED));
    const x = predictData(trial);
    return {
      async: false,
      run: () => hand.predictOne(net, x[0], x[1]),
      unitsPerCall: 1,
      info: { impl: 'plain JS loop' },
    };
  },
};

/** Whether a trial's model is the 2→8 tanh→1 sigmoid network that handwritten.js hard-codes. */
function isXorModel(m) {
  const [hidden, out] = m.layers;
  return (
    m.inputs === 2 &&
    m.layers.length === 2 &&
    hidden[0] === 8 &&
    hidden[1] === 'tanh' &&
    out[0] === 1 &&
    out[1] === 'sigmoid'
  );
}

const drivers = new Map([
  ['densely-js', denselyDriver('js')],
  ['densely-native', denselyDriver('native')],
  ['openblas', openblas],
  ['densely-core', denselyCore],
  ['tfjs', tfjs],
  ['pytorch', pytorch(false)],
  ['pytorch-flush', pytorch(true)],
  ['onnxruntime', onnxruntime],
  ['handwritten-js', handwritten],
]);

module.exports = { drivers, ROOT, DIST, WEIGHT_SEED, epochRows, epochCount, torchPython, denselyLayers };
