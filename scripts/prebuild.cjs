#!/usr/bin/env node
// npm run prebuild — builds the prebuilt addon that ships in the npm tarball:
//   prebuilds/<platform>-<arch>/densely.node        (glibc Linux, macOS, Windows)
//   prebuilds/linux-<arch>/densely.musl.node        (musl Linux: node-gyp-build prefers it there)
//
// One binary per platform/arch serves every Node from 18 on: it is a Node-API addon
// (prebuildify --napi) built against NAPI_VERSION from native/sources.json, stripped
// (--strip). On Linux the build is portable (DENSELY_PORTABLE=1, see binding.gyp and
// native/compat/glibc_compat.cc): baseline ISA with AVX2/NEON picked at run time,
// libstdc++/libgcc linked statically, no glibc symbol newer than 2.17 (checked here
// with scripts/check-glibc.cjs; a failed check fails the build; with qemu-x86_64 on PATH
// it is also run on an emulated CPU without AVX).
//
// The build runs in a private staging copy of binding.gyp + native/ (under .cache/),
// so it uses only the files the tarball ships and never touches the developers'
// build/ folder; only prebuilds/ in the repository is written.
//
//   node scripts/prebuild.cjs                 this machine's platform and arch
//   node scripts/prebuild.cjs --arch arm64    cross-build linux-arm64 on linux-x64 with
//                                             Debian's aarch64-linux-gnu toolchain
// Env: npm_config_nodedir (Node headers; default: the running Node's own include/node
// when present, else node-gyp downloads them), JOBS (parallel compile jobs).
'use strict';
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { nodeGypNodedir } = require('./lib/node-headers.cjs');

const root = path.join(__dirname, '..');

function fail(message) {
  process.stderr.write(`prebuild: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const opts = { arch: os.arch(), platform: os.platform() };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--arch') opts.arch = argv[++i];
    else if (argv[i] === '--force') opts.force = true;
    else fail(`unknown argument ${argv[i]} (usage: node scripts/prebuild.cjs [--arch arm64] [--force])`);
  }
  return opts;
}

/** The glibc/musl flavour of this Linux (what prebuildify and node-gyp-build detect). */
function hostLibc() {
  return fs.existsSync('/etc/alpine-release') ? 'musl' : 'glibc';
}

/** Copies what a source build needs (the tarball's native files) into `stage`. */
function stage(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const name of ['binding.gyp', 'package.json', 'native']) {
    fs.cpSync(path.join(root, name), path.join(dir, name), {
      recursive: true,
      filter: (src) => !/[\\/](build|build-[^\\/]*)$/.test(src),
    });
  }
  // binding.gyp resolves node-addon-api and runs node-gyp from node_modules.
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'junction');
}

function sha256(buf) {
  return crypto.createHash('sha256').update(buf).digest('hex');
}

function listFiles(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/**
 * A digest of everything the binary depends on: binding.gyp, native/**, this script,
 * the node-addon-api version, the Node headers' version and the target. `npm run build`
 * runs this script first (npm's "pre" hook) and `npm pack` runs it again (prepack), so
 * an unchanged input set skips the rebuild; --force rebuilds anyway.
 */
function inputDigest(opts, env) {
  const hash = crypto.createHash('sha256');
  const files = [
    'binding.gyp',
    path.join('scripts', 'prebuild.cjs'),
    ...listFiles(path.join(root, 'native')).map((f) => path.relative(root, f)),
  ];
  for (const f of files)
    hash
      .update(f)
      .update('\0')
      .update(fs.readFileSync(path.join(root, f)))
      .update('\0');
  const addonApi = require(require.resolve('node-addon-api/package.json', { paths: [root] })).version;
  hash.update(
    JSON.stringify([opts.platform, opts.arch, process.versions.node, addonApi, env.CC, env.CXX, env.DENSELY_PORTABLE]),
  );
  return hash.digest('hex');
}

function run(cmd, args, options) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${path.basename(cmd)} ${args.slice(0, 2).join(' ')} exited with status ${r.status}`);
}

/**
 * The x64 binary must run on any x86-64: with qemu-user on PATH, load it on an emulated
 * CPU without AVX (Nehalem: SSE4.2 at most) and check it picks the SSE2 kernels and
 * computes a product right. Without qemu-x86_64 this says so and moves on.
 */
function baselineCheck(file) {
  const qemu = spawnSync('sh', ['-c', 'command -v qemu-x86_64 || command -v qemu-x86_64-static'], { encoding: 'utf8' });
  const bin = (qemu.stdout || '').trim();
  if (qemu.status !== 0 || !bin) {
    process.stdout.write('prebuild: qemu-x86_64 not found, so the run on a CPU without AVX was not checked\n');
    return;
  }
  const script =
    `const b = require(${JSON.stringify(file)}); const n = 37;` +
    'const a = new Float32Array(n * n).map((_, i) => (i % 7) - 3), c = new Float32Array(n * n);' +
    'b.sgemm(false, false, n, n, n, 1, a, n, a, n, 0, c, n);' +
    'let want = 0; for (let k = 0; k < n; k++) want += a[k] * a[k * n];' +
    "if (b.isa() !== 'sse2' || c[0] !== want) { console.error('isa', b.isa(), 'c[0]', c[0], 'want', want); process.exit(1); }";
  run(bin, ['-cpu', 'Nehalem', process.execPath, '-e', script]);
  process.stdout.write('prebuild: runs on a CPU without AVX (qemu-x86_64 -cpu Nehalem), SSE2 kernels picked\n');
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const cross = opts.arch !== os.arch();
  if (cross && !(opts.platform === 'linux' && os.arch() === 'x64' && opts.arch === 'arm64')) {
    fail(
      `cannot cross-build ${opts.platform}-${opts.arch} on ${os.platform()}-${os.arch()} (only linux-x64 -> linux-arm64)`,
    );
  }
  const libc = opts.platform === 'linux' ? hostLibc() : null;
  const portable = opts.platform === 'linux';

  const stageDir = path.join(root, '.cache', `prebuild-${opts.platform}-${opts.arch}`);
  const env = { ...process.env, JOBS: process.env.JOBS || String(Math.max(1, os.cpus().length)) };
  if (portable) env.DENSELY_PORTABLE = '1';
  const nodedir = nodeGypNodedir();
  if (nodedir) env.npm_config_nodedir = nodedir;
  const args = [
    require.resolve('prebuildify/bin.js', { paths: [root] }),
    '--napi',
    '--strip',
    `--target=node@${process.versions.node}`,
    `--arch=${opts.arch}`,
    `--out=${root}`,
  ];
  if (libc === 'musl') args.push('--tag-libc');
  if (cross) {
    const prefix = 'aarch64-linux-gnu-';
    for (const tool of ['gcc', 'g++', 'strip']) {
      if (spawnSync('sh', ['-c', `command -v ${prefix}${tool}`]).status !== 0) {
        fail(`${prefix}${tool} not found: run scripts/arm64/setup.sh (apt: g++-aarch64-linux-gnu)`);
      }
    }
    Object.assign(env, { CC: `${prefix}gcc`, CXX: `${prefix}g++`, LINK: `${prefix}g++`, AR: `${prefix}ar` });
    args.push(`--strip-bin=${prefix}strip`);
  }

  const file = path.join(
    root,
    'prebuilds',
    `${opts.platform}-${opts.arch}`,
    libc === 'musl' ? 'densely.musl.node' : 'densely.node',
  );
  const stampFile = `${stageDir}.stamp.json`;
  const digest = inputDigest(opts, env);
  let stamp = null;
  try {
    stamp = JSON.parse(fs.readFileSync(stampFile, 'utf8'));
  } catch {
    // no stamp yet: build
  }
  const upToDate =
    !opts.force &&
    stamp &&
    stamp.inputs === digest &&
    fs.existsSync(file) &&
    stamp.output === sha256(fs.readFileSync(file));
  if (upToDate) {
    process.stdout.write(`prebuild: ${path.relative(root, file)} is up to date (inputs unchanged; --force rebuilds)\n`);
  } else {
    stage(stageDir);
    fs.rmSync(file, { force: true });
    run(process.execPath, args, { cwd: stageDir, env });
    if (!fs.existsSync(file)) fail(`prebuildify finished but ${path.relative(root, file)} is missing`);
  }

  if (portable && libc === 'glibc') {
    run(process.execPath, [path.join(__dirname, 'check-glibc.cjs'), file, '--max', '2.17']);
  }
  if (!cross) {
    // The addon must load in this Node (N-API registration, no missing symbols).
    run(process.execPath, ['-e', `require(${JSON.stringify(file)})`]);
  }
  if (portable && opts.arch === 'x64' && libc === 'glibc') baselineCheck(file);
  if (!upToDate)
    fs.writeFileSync(stampFile, `${JSON.stringify({ inputs: digest, output: sha256(fs.readFileSync(file)) })}\n`);
  const size = fs.statSync(file).size;
  process.stdout.write(`prebuild: ${path.relative(root, file)} (${(size / 1024).toFixed(0)} KiB)\n`);
}

main();
