'use strict';
// Everything `npm run bench` needs before the first trial, each step idempotent:
// bench's own dependencies (the contenders), densely's build, and the compiled bench
// tools (FMA peak, the OpenBLAS and densely-core sgemm harnesses, the same-process
// A/B). A step that cannot be done is reported and the trials that need it print
// "skipped: …" instead of failing the run.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, DIST } = require('./drivers');

const BENCH = __dirname;
const BUILD = path.join(BENCH, 'build');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(file, args, cwd, env = {}) {
  const result = spawnSync(file, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return {
    ok: result.status === 0,
    output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? result.error.message : ''}`,
  };
}

function lastLines(text, count = 6) {
  return text.trim().split('\n').slice(-count).join('\n    ');
}

const CONTENDER_PACKAGES = ['@tensorflow/tfjs', 'onnxruntime-node'];
// onnxruntime-node's postinstall downloads only what its npm package does not ship (the
// CUDA provider); "skip" makes it exit at once. Its CPU binaries are inside the package.
// bench/.npmrc says the same for a plain `npm ci` in bench/.
const INSTALL_ENV = { ONNXRUNTIME_NODE_INSTALL: 'skip' };

/** Installs bench/'s contenders from its lockfile when one is missing. */
function benchDependencies(log) {
  const missing = CONTENDER_PACKAGES.filter(
    (name) => !fs.existsSync(path.join(BENCH, 'node_modules', name, 'package.json')),
  );
  if (missing.length === 0) return;
  log(`installing bench dependencies for ${missing.join(', ')} (ONNXRUNTIME_NODE_INSTALL=skip npm --prefix bench ci)…`);
  let result = run(npm, ['ci', '--no-audit', '--no-fund'], BENCH, INSTALL_ENV);
  if (!result.ok) result = run(npm, ['install', '--no-audit', '--no-fund'], BENCH, INSTALL_ENV);
  if (!result.ok)
    log(
      `  could not install bench dependencies; tfjs and onnxruntime rows will be skipped:\n    ${lastLines(result.output)}`,
    );
}

/** Newest modification time of the files under `dir` whose names match `pattern`. */
function newestMtime(dir, pattern = /\.ts$/) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full, pattern));
    else if (pattern.test(entry.name)) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

function rootScripts() {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts ?? {};
}

/** Builds densely's TypeScript when dist/ is missing or older than lib/. */
function denselyBuild(log) {
  const entry = path.join(DIST, 'index.js');
  const stale = !fs.existsSync(entry) || fs.statSync(entry).mtimeMs < newestMtime(path.join(ROOT, 'lib'));
  if (!stale) return;
  const script = rootScripts()['build:ts'] ? 'build:ts' : 'build';
  log(`building densely (npm run ${script})…`);
  const result = run(npm, ['run', script], ROOT);
  if (!result.ok) log(`  npm run ${script} failed; densely rows may be skipped:\n    ${lastLines(result.output)}`);
}

/** backendInfo() of the built package, read in a child so a broken build cannot take the runner down. */
function backendInfo() {
  const code = `process.stdout.write(JSON.stringify(require(${JSON.stringify(path.join(DIST, 'index.js'))}).backendInfo()))`;
  const result = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
  try {
    return JSON.parse(result.stdout);
  } catch {
    const lines = (result.stderr || '').split('\n');
    const reason = lines.find((l) => /Error/.test(l)) ?? 'densely not built';
    return { native: false, reason: reason.trim(), isa: 'n/a', threads: 0, version: 'n/a' };
  }
}

/**
 * Builds the addon with the root's build:native script, only when densely loads, the
 * addon does not, and no addon binary exists at all: an existing build/ or prebuilds/
 * belongs to whoever built it (a rebuild would clean it under their feet).
 */
function nativeBuild(log) {
  const info = backendInfo();
  const addon = path.join(ROOT, 'build', 'Release', 'densely.node');
  if (info.native) {
    const sources = path.join(ROOT, 'native');
    if (
      fs.existsSync(addon) &&
      fs.existsSync(sources) &&
      fs.statSync(addon).mtimeMs < newestMtime(sources, /\.(cc|h|json|gyp)$/)
    ) {
      log(
        'note: build/Release/densely.node is older than native/ sources; run `npm run build:native` to bench the current code',
      );
    }
    return info;
  }
  if (info.isa === 'n/a') return info;
  const binaries = [addon, path.join(ROOT, 'prebuilds')];
  if (binaries.some((p) => fs.existsSync(p))) {
    log(`native addon not loaded (${info.reason ?? 'no reason given'}); not rebuilding the existing one`);
    return info;
  }
  const script = rootScripts()['build:native'];
  if (!script) {
    log(`native addon not loaded (${info.reason ?? 'no reason given'}); no build:native script to build it`);
    return info;
  }
  log('building the native addon (npm run build:native)…');
  const result = run('nice', [npm, 'run', 'build:native'], ROOT);
  if (!result.ok) log(`  npm run build:native failed; native rows will be skipped:\n    ${lastLines(result.output)}`);
  return backendInfo();
}

function x86WithFma() {
  if (process.arch !== 'x64') return false;
  try {
    const flags = fs.readFileSync('/proc/cpuinfo', 'utf8');
    return /\bavx2\b/.test(flags) && /\bfma\b/.test(flags);
  } catch {
    return false;
  }
}

/** Compiles one tool from tools/ into build/ when missing or older than its source; returns its path or null. */
function tool(name, flags, libs, log, quietFailure) {
  const source = path.join(BENCH, 'native', `${name}.cc`);
  const binary = path.join(BUILD, name);
  if (fs.existsSync(binary) && fs.statSync(binary).mtimeMs >= fs.statSync(source).mtimeMs) return binary;
  fs.mkdirSync(BUILD, { recursive: true });
  const result = run('g++', [...flags, '-o', binary, source, ...libs], BENCH);
  if (result.ok) return binary;
  if (fs.existsSync(binary)) fs.unlinkSync(binary);
  if (!quietFailure) log(`  could not build bench/native/${name}.cc:\n    ${lastLines(result.output)}`);
  return null;
}

/**
 * densely's core compiled from its own sources for the compiled sgemm tools: the groups
 * of native/sources.json for this architecture, each with the shipped flags (cflags_cc
 * plus the group's ISA flags), objects in build/core-obj/, each recompiled when older
 * than the newest file under native/core or sources.json. Returns the object paths,
 * or null (logged) when one does not compile.
 */
function coreObjects(log) {
  const listFile = path.join(ROOT, 'native', 'sources.json');
  if (!fs.existsSync(listFile)) return null;
  const list = JSON.parse(fs.readFileSync(listFile, 'utf8'));
  const groups = list.arch?.[process.arch];
  if (!groups) return null;
  const newest = Math.max(newestMtime(path.join(ROOT, 'native', 'core'), /\.(cc|h)$/), fs.statSync(listFile).mtimeMs);
  const base = (list.flags.cflags_cc ?? []).filter((f) => !f.startsWith('-fvisibility'));
  const objDir = path.join(BUILD, 'core-obj');
  fs.mkdirSync(objDir, { recursive: true });
  const objects = [];
  let said = false;
  for (const group of groups) {
    const isa = list.flags.isa?.[group] ?? [];
    for (const file of list.groups[group] ?? []) {
      const object = path.join(objDir, `${file.replace(/[/\\]/g, '_')}.o`);
      objects.push(object);
      if (fs.existsSync(object) && fs.statSync(object).mtimeMs >= newest) continue;
      if (!said) log("compiling densely's core for the compiled sgemm tools (bench/build/core-obj)…");
      said = true;
      const result = run(
        'g++',
        [...base, ...isa, `-I${path.join(ROOT, 'native', 'core')}`, '-c', path.join(ROOT, file), '-o', object],
        ROOT,
      );
      if (!result.ok) {
        log(`  could not compile ${file}:\n    ${lastLines(result.output)}`);
        return null;
      }
    }
  }
  return objects;
}

/** Links one sgemm tool from tools/ with the core objects when stale; its path or null. */
function coreTool(name, source, defines, objects, log) {
  const binary = path.join(BUILD, name);
  const newest = Math.max(fs.statSync(source).mtimeMs, ...objects.map((o) => fs.statSync(o).mtimeMs));
  if (fs.existsSync(binary) && fs.statSync(binary).mtimeMs >= newest) return binary;
  const result = run(
    'g++',
    [
      '-O2',
      '-std=c++17',
      ...defines,
      `-I${path.join(ROOT, 'native', 'core')}`,
      source,
      ...objects,
      '-lopenblas',
      '-pthread',
      '-o',
      binary,
    ],
    ROOT,
  );
  if (result.ok) return binary;
  if (fs.existsSync(binary)) fs.unlinkSync(binary);
  log(`  could not link bench/build/${name}:\n    ${lastLines(result.output)}`);
  return null;
}

function tools(log, { wantCore = true } = {}) {
  // Baseline AVX2+FMA flags; the AVX-512 body has its own target attribute and runs only
  // where the CPU and OS support it.
  const fma = x86WithFma() ? tool('fma_peak', ['-O2', '-mavx2', '-mfma', '-pthread'], [], log, false) : null;
  if (!fma) log('FMA peak: skipped (needs x86-64 with AVX2+FMA and g++)');
  const blas = tool('openblas_sgemm', ['-O2', '-pthread'], ['-lopenblas'], log, true);
  if (!blas) log('OpenBLAS: skipped: install libopenblas-dev (apt-get install -y libopenblas-dev)');
  // The core's sgemm without Node: native/openblas_sgemm.cc built with -DDENSELY_CORE
  // (the densely-core contender, own process like OpenBLAS) and the same-process A/B.
  const objects = blas && wantCore ? coreObjects(log) : null;
  const core = objects
    ? coreTool('densely_sgemm', path.join(BENCH, 'native', 'openblas_sgemm.cc'), ['-DDENSELY_CORE'], objects, log)
    : null;
  const ab = objects
    ? coreTool('sgemm_vs_openblas', path.join(BENCH, 'native', 'sgemm_vs_openblas.cc'), [], objects, log)
    : null;
  return { fma, blas, core, ab };
}

/** Runs every step; `build` false skips the npm builds (not the bench's own tools). */
function prepare({ build, log, wantCore }) {
  benchDependencies(log);
  if (build) denselyBuild(log);
  const info = build ? nativeBuild(log) : backendInfo();
  return { info, tools: tools(log, { wantCore }) };
}

module.exports = { prepare, BUILD };
