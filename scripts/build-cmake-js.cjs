#!/usr/bin/env node
// npm run build:cmake-js — builds the addon with cmake-js from CMakeLists.txt (the same
// native/sources.json as binding.gyp), into build-cmake-js/Release/densely.node, then
// checks that it loads and computes.
//
// node-gyp (binding.gyp) builds the addon that ships and that `npm install` builds;
// this is the CMake route to the same addon, for IDEs and CMake toolchains (CLion,
// VS Code's CMake Tools, cross toolchain files), so CI keeps it working.
//
// Never downloads anything. cmake-js fetches Node's headers into ~/.cmake-js unless
// npm_config_nodedir names a folder that has them (include/node/node.h); this script
// sets it to the running Node's own prefix when its headers are installed there (Linux
// distribution packages: /usr; the official tarballs: <prefix>/include/node), and
// otherwise stops with a message instead of letting cmake-js go online. It builds only
// the addon target (-T densely), not the C++ tests (`npm run test:native` builds those).
//
//   node scripts/build-cmake-js.cjs [--no-check]
// Env: npm_config_nodedir (Node headers), JOBS (parallel jobs; default: CPU count).
// Exit status: 0 when the addon was built (and, unless --no-check, loads and computes).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { findNodeHeaders, nodeHeadersHint } = require('./lib/node-headers.cjs');

const root = path.join(__dirname, '..');
const out = path.join(root, 'build-cmake-js');

function fail(message) {
  process.stderr.write(`build:cmake-js: ${message}\n`);
  process.exit(1);
}

function main() {
  let cmakeJs;
  try {
    cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
  } catch {
    fail('cmake-js is not installed (it is a devDependency: run npm install)');
  }
  // A folder holding include/node/node.h, which cmake-js accepts as its "dist" (no download).
  const headers = findNodeHeaders('node.h');
  if (!headers) {
    fail(
      `Node's headers were not found (no include/node/node.h under ${nodeHeadersHint()}). ` +
        'Set npm_config_nodedir to a folder that has them (for example the unpacked node-v<version>-headers.tar.gz); ' +
        'this script never lets cmake-js download them.',
    );
  }
  const jobs = process.env.JOBS || String(os.availableParallelism ? os.availableParallelism() : os.cpus().length);
  const args = [cmakeJs, 'build', '--directory', root, '--out', out, '--target', 'densely', '--parallel', jobs, '--log-level', 'warn'];
  const env = { ...process.env, npm_config_nodedir: headers };
  process.stdout.write(`build:cmake-js: cmake-js build -T densely -O ${path.relative(root, out)} (Node headers: ${headers}/include/node)\n`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env });
  if (r.error) fail(r.error.message);
  if (r.status !== 0) fail(`cmake-js exited with status ${r.status}; see its output above (it needs cmake >= 3.19 and a C++17 compiler)`);
  const built = path.join(out, 'Release', 'densely.node');
  if (!fs.existsSync(built)) fail(`cmake-js succeeded but ${built} is missing`);
  if (!process.argv.includes('--no-check')) check(built);
  process.stdout.write(`build:cmake-js: built ${path.relative(root, built)}; load it with DENSELY_NATIVE_PATH=${built}\n`);
}

/**
 * Loads the addon through densely's own loader (dist/, so `npm run build:ts` first), with
 * no package root to fall back on, and runs sgemm and a network's predict against js.
 */
function check(file) {
  const loader = path.join(root, 'dist', 'cjs', 'backend', 'native', 'load.js');
  if (!fs.existsSync(loader)) fail('dist/ is not built; run npm run build:ts first (or pass --no-check)');
  const probe = `
    const os = require('os');
    const { loadBinding } = require(${JSON.stringify(loader)});
    const r = loadBinding({ explicit: ${JSON.stringify(file)}, from: os.tmpdir() });
    if (!r.binding) { console.error(r.reason); process.exit(1); }
    const c = new Float32Array(4);
    r.binding.sgemm(false, false, 2, 2, 2, 1, new Float32Array([1, 2, 3, 4]), 2, new Float32Array([5, 6, 7, 8]), 2, 0, c, 2);
    if (c.join() !== '19,22,43,50') { console.error('sgemm computed ' + c.join()); process.exit(1); }
    const { Network, Dense } = require(${JSON.stringify(path.join(root, 'dist', 'cjs', 'index.js'))});
    const make = (backend) => new Network({ inputs: 3, seed: 5, backend, layers: [new Dense(4, { activation: 'tanh' }), new Dense(2, { activation: 'softmax' })] });
    const native = make('native'), js = make('js');
    js.setWeights(native.getWeights());
    const x = new Float32Array([0.1, -0.2, 0.3, 1, 2, -3]);
    const a = native.predict(x), b = js.predict(x);
    for (let i = 0; i < b.length; i++) if (Math.abs(a[i] - b[i]) > 1e-5 * Math.abs(b[i]) + 1e-6) { console.error('predict differs from js at ' + i); process.exit(1); }
    console.log('isa ' + r.binding.isa() + ', sgemm and predict agree with js');
  `;
  const r = spawnSync(process.execPath, ['-e', probe], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, DENSELY_NATIVE_PATH: file, DENSELY_BACKEND: '' },
  });
  if (r.status !== 0) fail(`${file} was built but does not work: ${(r.stderr || r.stdout).trim()}`);
  process.stdout.write(`build:cmake-js: ${file} loads: ${r.stdout.trim()}\n`);
}

main();
