#!/usr/bin/env node
// npm run test:package — the package tested from the outside, as a user gets it:
//
//  1. pack: `npm pack` (prepack builds dist/ and this machine's prebuild, then renames
//     the install lifecycle scripts away; postpack restores them) — package.json must
//     come back byte-identical;
//  2. hygiene: what the tarball holds (compiled JS + .d.ts, prebuilds, README, LICENSE,
//     native sources for source builds; no tests, bench, build folders or TS sources),
//     the package.json fields (no preinstall/install/postinstall/prepare...), and the
//     glibc 2.17 check of the bundled Linux prebuild;
//  3. install it into a fresh project as a user does (`npm install <tarball>`, no
//     --ignore-scripts) with a PATH holding only node (no compiler, make or python):
//     npm prints no install-scripts warning, nothing is compiled; then require() and
//     import it: the addon loads (backendInfo().native), a small network trains, its
//     predictions match the js backend; types resolve for CJS, ESM (node16) and bundler
//     resolution, checked with tsc and, when it can be installed into .cache/tools,
//     @arethetypeswrong/cli;
//  4. the same tarball without its prebuilds: install still succeeds, densely falls back
//     to js with one DENSELY_FALLBACK_JS warning naming why, backend: 'native' throws
//     that reason;
//  5. (unless --skip-source-build) the fix that warning suggests, taken from its text
//     and run as written in the folder it names (`npx densely build-native` in the
//     user's project), compiles the addon and densely loads it;
//  6. the CI workflow checks of scripts/pack-test-workflow.cjs.
//
//   node scripts/pack-test.cjs [--fast] [--skip-source-build] [--keep]
//     env DENSELY_EXPECT_PREBUILDS="linux-x64/densely.node,..." also requires those
//     --fast               pack with --ignore-scripts after `npm run build:ts` and
//                          `node scripts/prebuild.cjs`, disabling the lifecycle scripts
//                          around the pack as prepack/postpack do
//     --keep               keep the temporary folder and print its path
// Ends with the line "N passed, M failed"; exit status 1 if any check failed.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const argv = new Set(process.argv.slice(2));
const FAST = argv.has('--fast');
const KEEP = argv.has('--keep');
const SOURCE_BUILD = !argv.has('--skip-source-build');
const npmCli = require('./lib/npm-cli.cjs').npmCli();
if (!npmCli) {
  process.stderr.write(`${path.basename(__filename)}: npm's npm-cli.js not found (run it with npm run)\n`);
  process.exit(1);
}
const tuple = `${process.platform}-${process.arch}`;
const linuxGlibc = process.platform === 'linux' && Boolean(process.report.getReport().header.glibcVersionRuntime);
const prebuildName = process.platform === 'linux' && !linuxGlibc ? 'densely.musl.node' : 'densely.node';

let passed = 0;
let failed = 0;
function check(name, ok, detail) {
  if (ok) {
    passed++;
    process.stdout.write(`  ok    ${name}\n`);
  } else {
    failed++;
    process.stdout.write(
      `  FAIL  ${name}${detail ? `\n        ${String(detail).split('\n').join('\n        ')}` : ''}\n`,
    );
  }
  return ok;
}
function section(title) {
  process.stdout.write(`\n== ${title}\n`);
}

/** Runs a command; returns { status, stdout, stderr } (never throws). */
function sh(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20, ...options });
  return {
    status: r.error ? -1 : r.status,
    stdout: r.stdout || '',
    stderr: (r.stderr || '') + (r.error ? r.error.message : ''),
  };
}
function npm(args, options = {}) {
  return sh(process.execPath, [npmCli, ...args], options);
}
function must(r, what) {
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout}\n${r.stderr}\npack-test: ${what} failed (status ${r.status})\n`);
    process.exit(1);
  }
  return r;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'densely-pack-'));
process.on('exit', () => {
  if (KEEP) process.stdout.write(`(kept ${work})\n`);
  else fs.rmSync(work, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------- pack
section('pack');
if (FAST) {
  must(npm(['run', 'build:ts'], { cwd: root, stdio: 'inherit' }), 'npm run build:ts');
  must(sh(process.execPath, [path.join(__dirname, 'prebuild.cjs')], { cwd: root, stdio: 'inherit' }), 'prebuild');
}
// prepack builds and then disables the lifecycle scripts (scripts/lifecycle-scripts.cjs),
// postpack re-enables them; --fast skips both hooks, so it does the same around the pack.
const manifestPath = path.join(root, 'package.json');
const manifestBefore = fs.readFileSync(manifestPath, 'utf8');
const lifecycleCli = path.join(__dirname, 'lifecycle-scripts.cjs');
if (FAST) must(sh(process.execPath, [lifecycleCli, '--disable']), 'lifecycle-scripts --disable');
let packed;
try {
  packed = npm(['pack', '--json', '--pack-destination', work, ...(FAST ? ['--ignore-scripts'] : [])], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
} finally {
  if (FAST) sh(process.execPath, [lifecycleCli, '--enable']);
}
const manifestAfter = fs.readFileSync(manifestPath, 'utf8');
if (manifestAfter !== manifestBefore) fs.writeFileSync(manifestPath, manifestBefore);
must(packed, 'npm pack');
check("package.json is byte-identical after the pack (postpack restored 'prepare')", manifestAfter === manifestBefore);
const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[')))[0];
const tarball = path.join(work, info.filename);
const files = info.files.map((f) => f.path).sort();
process.stdout.write(
  `  ${info.filename}: ${(info.size / 1024).toFixed(1)} KiB packed, ${(info.unpackedSize / 1024).toFixed(1)} KiB unpacked, ${files.length} files\n`,
);
for (const f of info.files.filter((x) => x.path.startsWith('prebuilds/'))) {
  process.stdout.write(`    ${f.path} ${(f.size / 1024).toFixed(0)} KiB\n`);
}

// ------------------------------------------------------------------------- hygiene
section('tarball contents and package.json');
const unpacked = path.join(work, 'unpacked');
fs.mkdirSync(unpacked);
must(sh('tar', ['-xzf', tarball, '-C', unpacked]), 'tar -x');
const pkgDir = path.join(unpacked, 'package');
const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
const has = (f) => files.includes(f);

const required = [
  'package.json',
  'LICENSE',
  'README.md',
  'binding.gyp',
  'native/sources.json',
  'native/sources.cjs',
  'scripts/build-from-source.cjs',
  'scripts/lib/node-headers.cjs',
  'scripts/lib/npm-cli.cjs',
  `prebuilds/${tuple}/${prebuildName}`,
];
for (const f of required) check(`ships ${f}`, has(f));
// CI's package job lists every platform's prebuild it assembled.
for (const f of (process.env.DENSELY_EXPECT_PREBUILDS || '').split(/[,\s]+/).filter(Boolean)) {
  check(`ships prebuilds/${f}`, has(`prebuilds/${f}`));
}
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'native', 'sources.json'), 'utf8'));
const addonSources = Object.entries(manifest.groups)
  .filter(([g]) => g.startsWith('core') || g === 'binding' || g.startsWith('compat'))
  .flatMap(([, list]) => list);
const missingSources = addonSources.filter((f) => !has(f));
check(
  `ships every addon source for source builds (${addonSources.length} files)`,
  missingSources.length === 0,
  missingSources.join(', '),
);
// The opt-in source build and the helpers it requires.
const shippedScripts = new Set([
  'scripts/build-from-source.cjs',
  'scripts/lib/node-headers.cjs',
  'scripts/lib/npm-cli.cjs',
]);
const forbidden = files.filter(
  (f) =>
    /^(test|tests|bench|build|build-[^/]*|\.cache|\.ci|\.github|coverage|node_modules|lib)\//.test(f) ||
    /^native\/tests\//.test(f) ||
    (/\.ts$/.test(f) && !/\.d\.(m|c)?ts$/.test(f)) ||
    /\.(tgz|log|o|a|obj)$/.test(f) ||
    /^(tsconfig|vitest\.config)/.test(f) ||
    (/^scripts\//.test(f) && !shippedScripts.has(f)),
);
check('ships no tests, bench, build folders, TS sources or dev scripts', forbidden.length === 0, forbidden.join('\n'));
check(
  'license is MIT',
  pkg.license === 'MIT' && fs.readFileSync(path.join(pkgDir, 'LICENSE'), 'utf8').includes('MIT License'),
);
check('engines.node is ">=18"', pkg.engines && pkg.engines.node === '>=18', JSON.stringify(pkg.engines));
check('repository names a git URL', Boolean(pkg.repository && /^git\+https:\/\//.test(pkg.repository.url || '')));
check('"gypfile": false', pkg.gypfile === false);
const { LIFECYCLE } = require('./lifecycle-scripts.cjs');
const lifecycle = LIFECYCLE.filter((s) => pkg.scripts && Object.hasOwn(pkg.scripts, s));
check(
  `no install lifecycle script in the tarball's package.json (${LIFECYCLE.join('/')})`,
  lifecycle.length === 0,
  lifecycle.join(', '),
);
const repoScripts = JSON.parse(manifestBefore).scripts || {};
check(
  "the repository's package.json keeps 'prepare' (a clone builds on npm install / npm ci)",
  typeof repoScripts.prepare === 'string',
);
// Every relative link of the shipped markdown (README, docs/) names a shipped file:
// nothing a user reads points at a file they do not have.
const brokenLinks = [];
for (const md of files.filter((f) => /\.md$/i.test(f) && (f === 'README.md' || f.startsWith('docs/')))) {
  const text = fs.readFileSync(path.join(pkgDir, md), 'utf8');
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1].split('#')[0];
    if (!target || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(md), decodeURI(target)));
    if (!has(resolved)) brokenLinks.push(`${md}: ${m[1]}`);
  }
}
check(
  'ships the API reference (docs/api/README.md) and the guides',
  has('docs/api/README.md') && has('docs/guide/errors.md'),
);
check(
  'every relative link in README.md and docs/ points at a file in the tarball',
  brokenLinks.length === 0,
  brokenLinks.join('\n'),
);
const entryFiles = [pkg.main, pkg.types, ...Object.values(pkg.bin || {})]
  .filter(Boolean)
  .map((f) => f.replace(/^\.\//, ''));
const missingEntries = entryFiles.filter((f) => !has(f));
check('main, types and bin files are in the tarball', missingEntries.length === 0, missingEntries.join(', '));
const exportTargets = [];
for (const [subpath, conditions] of Object.entries(pkg.exports || {})) {
  if (typeof conditions === 'string') continue;
  for (const cond of ['import', 'require']) {
    const c = conditions[cond];
    check(
      `exports["${subpath}"].${cond} has types first, then default`,
      Boolean(c && Object.keys(c)[0] === 'types' && c.default),
    );
    if (c) exportTargets.push(c.types, c.default);
  }
}
const missingExports = exportTargets
  .filter(Boolean)
  .map((f) => f.replace(/^\.\//, ''))
  .filter((f) => !has(f));
check(
  'every exports target is in the tarball',
  exportTargets.length > 0 && missingExports.length === 0,
  missingExports.join(', '),
);
if (linuxGlibc) {
  const r = sh(process.execPath, [
    path.join(__dirname, 'check-glibc.cjs'),
    path.join(pkgDir, 'prebuilds', tuple, prebuildName),
  ]);
  check(`bundled ${tuple} prebuild needs nothing newer than GLIBC_2.17`, r.status === 0, r.stdout + r.stderr);
}

// ------------------------------------------------------------- fresh user projects
// A PATH with node only: no cc/gcc/g++/clang, make or python.
const binDir = path.join(work, 'bin');
fs.mkdirSync(binDir);
fs.symlinkSync(process.execPath, path.join(binDir, process.platform === 'win32' ? 'node.exe' : 'node'));
const userEnv = {};
for (const [k, v] of Object.entries(process.env)) {
  if (/^(npm_|INIT_CWD$|NODE$|CC$|CXX$|LINK$|AR$|DENSELY_|NODE_PATH$|NODE_OPTIONS$|PREBUILD_)/i.test(k)) continue;
  userEnv[k] = v;
}
userEnv.PATH = binDir;
const toolsOnPath = ['cc', 'gcc', 'g++', 'c++', 'clang', 'clang++', 'make', 'python', 'python3', 'cl.exe'].filter((t) =>
  userEnv.PATH.split(path.delimiter).some((d) => fs.existsSync(path.join(d, t))),
);

function freshProject(name, tgz) {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: `densely-${name}`, version: '0.0.0', private: true }, null, 2),
  );
  // What a user types (no --ignore-scripts): the package must have nothing to run.
  const r = npm(['install', '--no-audit', '--no-fund', '--no-package-lock', tgz], { cwd: dir, env: userEnv });
  return { dir, r };
}
function runIn(dir, file, source, extraEnv = {}) {
  fs.writeFileSync(path.join(dir, file), source);
  return sh(process.execPath, [file], { cwd: dir, env: { ...userEnv, ...extraEnv } });
}
function json(r) {
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    return null;
  }
}

// The user's program: train a small classifier on the requested backend, with the
// warnings it raised; also predictions of a js network given the same weights.
const trainSource = (mod) => `
const densely = ${mod};
const warnings = [];
process.on('warning', (w) => warnings.push({ code: w.code, message: w.message }));
async function main() {
  const { Network, Dense, backendInfo } = densely;
  const rows = 48, x = new Float32Array(rows * 4), y = new Float32Array(rows * 3);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < 4; j++) x[i * 4 + j] = Math.sin(1.3 * i + 0.7 * j);
    y[i * 3 + (i % 3)] = 1;
  }
  const make = (backend) => new Network({ inputs: 4, seed: 11, backend,
    layers: [new Dense(8, { activation: 'tanh' }), new Dense(3, { activation: 'softmax' })] });
  const out = { info: backendInfo(), warnings, runs: {} };
  for (const backend of ['auto', 'js']) {
    const net = make(backend);
    net.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam', metrics: ['accuracy'] });
    const before = net.evaluate(x, y).loss;
    const history = await net.fit(x, y, { epochs: 20, batchSize: 16, shuffle: false });
    const twin = make('js');
    twin.setWeights(net.getWeights());
    out.runs[backend] = { used: net.backend, before, after: history.loss[history.loss.length - 1],
      predict: Array.from(net.predict(x)), twin: Array.from(twin.predict(x)) };
  }
  try { make('native'); out.nativeError = null; } catch (e) { out.nativeError = { message: e.message, code: e.code }; }
  await new Promise((r) => setImmediate(r));
  out.warnings = warnings;
  console.log(JSON.stringify(out));
}
main().catch((e) => { console.error(e); process.exit(1); });
`;

/** Largest |a - b| - (rel·|b| + abs) over two arrays (≤ 0 means within tolerance). */
function excess(a, b, rel, abs) {
  let worst = -Infinity;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) - (rel * Math.abs(b[i]) + abs));
  return a.length === b.length ? worst : Infinity;
}

// ------------------------------------------------------- install with the prebuild
section(
  `install into a fresh project (npm install <tarball>, PATH without compilers: ${toolsOnPath.length ? `${toolsOnPath.join(',')} FOUND` : 'none found'})`,
);
check('PATH holds no compiler, make or python', toolsOnPath.length === 0, toolsOnPath.join(', '));
const app = freshProject('app', tarball);
check('npm install <tarball> succeeds', app.r.status === 0, app.r.stderr);
// npm 11 lists every package with preinstall/install/postinstall (and prepare, for a
// tarball or git source) as "npm warn install-scripts ..." after the install.
check(
  'npm install <tarball> prints no install-scripts warning',
  !/install-scripts|install scripts/i.test(app.r.stdout + app.r.stderr),
  app.r.stderr,
);
const installedPkg = path.join(app.dir, 'node_modules', 'densely');
check('nothing was compiled on install (no build/ folder)', !fs.existsSync(path.join(installedPkg, 'build')));

const cjs = runIn(app.dir, 'train.cjs', trainSource("require('densely')"));
const c = json(cjs);
check('require("densely") runs and trains', cjs.status === 0 && c !== null, cjs.stderr);
if (c) {
  check(
    `backendInfo().native === true (isa ${c.info.isa}, ${c.info.threads} threads)`,
    c.info.native === true,
    c.info.reason,
  );
  check("backend 'auto' picked native", c.runs.auto.used === 'native', c.runs.auto.used);
  check('no fallback warning', !c.warnings.some((w) => w.code === 'DENSELY_FALLBACK_JS'), JSON.stringify(c.warnings));
  check(
    'training lowered the loss on native and on js',
    c.runs.auto.after < c.runs.auto.before && c.runs.js.after < c.runs.js.before,
  );
  const native = c.runs.auto.used === 'native';
  const same = excess(c.runs.auto.predict, c.runs.auto.twin, 1e-5, 1e-6);
  check(
    'native predictions match js on the same weights (1e-5 rel + 1e-6 abs)',
    native && same <= 0,
    `native: ${native}, excess ${same}`,
  );
  const trained = excess(c.runs.auto.predict, c.runs.js.predict, 1e-3, 1e-4);
  check(
    'native and js trained from one seed predict alike (1e-3 rel + 1e-4 abs)',
    native && trained <= 0,
    `native: ${native}, excess ${trained}`,
  );
}
const esm = runIn(
  app.dir,
  'esm.mjs',
  `import { backendInfo, Network, sgemm as rootSgemm } from 'densely';
import { sgemm } from 'densely/kernels';
import { createRequire } from 'node:module';
const cjs = createRequire(import.meta.url)('densely');
const a = new Float32Array([1, 2, 3, 4]), b = new Float32Array([5, 6, 7, 8]), c = new Float32Array(4);
sgemm(false, false, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2);
console.log(JSON.stringify({ native: backendInfo().native, network: typeof Network, same: cjs.Network === Network && rootSgemm === sgemm, c: Array.from(c) }));
`,
);
const e = json(esm);
check(
  'import from "densely" and "densely/kernels" (ESM) works, one module instance with require',
  esm.status === 0 && e && e.native === true && e.network === 'function' && e.same,
  esm.stderr || esm.stdout,
);
if (e)
  check(
    'sgemm through densely/kernels computes [19,22,43,50]',
    JSON.stringify(e.c) === '[19,22,43,50]',
    JSON.stringify(e.c),
  );
const cli = sh(process.execPath, [path.join(app.dir, 'node_modules', '.bin', 'densely'), '--help'], {
  cwd: app.dir,
  env: userEnv,
});
check('the densely CLI starts (densely --help)', cli.status === 0, cli.stderr);

section('types (tsc: CommonJS, node16 CJS + ESM, bundler)');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
fs.writeFileSync(
  path.join(app.dir, 'use.cts'),
  `import { Network, Dense, backendInfo, type BackendInfo } from 'densely';\nimport { sgemm } from 'densely/kernels';\n` +
    `const info: BackendInfo = backendInfo();\nconst net = new Network({ inputs: 2, layers: [new Dense(1)] });\n` +
    `const out: Float32Array = net.predict(new Float32Array(2));\nexport const used = [info.native, out.length, typeof sgemm];\n`,
);
fs.copyFileSync(path.join(app.dir, 'use.cts'), path.join(app.dir, 'use.mts'));
fs.copyFileSync(path.join(app.dir, 'use.cts'), path.join(app.dir, 'use.ts'));
const typeRoots = path.join(root, 'node_modules', '@types');
const tscCommon = [
  '--noEmit',
  '--strict',
  '--target',
  'es2022',
  '--types',
  'node',
  '--typeRoots',
  typeRoots,
  '--skipLibCheck',
  'false',
];
for (const [label, opts, inputs] of [
  ['node16 (use.cts + use.mts)', ['--module', 'node16', '--moduleResolution', 'node16'], ['use.cts', 'use.mts']],
  ['nodenext (use.cts + use.mts)', ['--module', 'nodenext', '--moduleResolution', 'nodenext'], ['use.cts', 'use.mts']],
  ['bundler (use.ts)', ['--module', 'esnext', '--moduleResolution', 'bundler'], ['use.ts']],
  ['commonjs / node10 (use.ts)', ['--module', 'commonjs', '--moduleResolution', 'node10'], ['use.ts']],
]) {
  const r = sh(process.execPath, [tsc, ...tscCommon, ...opts, ...inputs], { cwd: app.dir });
  check(`types resolve and check: ${label}`, r.status === 0, r.stdout + r.stderr);
}
// @arethetypeswrong/cli, from a private tools folder (never the root package.json).
const toolsDir = path.join(root, '.cache', 'tools');
const attwBin = path.join(toolsDir, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
if (!fs.existsSync(attwBin)) {
  fs.mkdirSync(toolsDir, { recursive: true });
  if (!fs.existsSync(path.join(toolsDir, 'package.json'))) {
    fs.writeFileSync(
      path.join(toolsDir, 'package.json'),
      JSON.stringify({ name: 'densely-tools', private: true }, null, 2),
    );
  }
  npm(['install', '--no-audit', '--no-fund', '--ignore-scripts', '@arethetypeswrong/cli@0.18'], { cwd: toolsDir });
}
if (fs.existsSync(attwBin)) {
  const r = sh(process.execPath, [attwBin, tarball, '--format', 'ascii', '--no-color'], { cwd: work });
  check(
    '@arethetypeswrong/cli finds no problem (node10, node16 CJS/ESM, bundler)',
    r.status === 0,
    r.stdout + r.stderr,
  );
} else {
  process.stdout.write(
    '  note  @arethetypeswrong/cli could not be installed (no registry?); the tsc checks above stand in\n',
  );
}

// ---------------------------------------------------- install without the prebuild
section('the same tarball without prebuilds: js fallback');
fs.rmSync(path.join(pkgDir, 'prebuilds'), { recursive: true, force: true });
const bare = path.join(work, 'densely-noprebuild.tgz');
must(sh('tar', ['-czf', bare, '-C', unpacked, 'package']), 'tar -c');
const noPre = freshProject('app-noprebuild', bare);
check('npm install <tarball> succeeds without a prebuild', noPre.r.status === 0, noPre.r.stderr);
const fb = runIn(noPre.dir, 'train.cjs', trainSource("require('densely')"));
const f = json(fb);
check('require("densely") runs and trains on js', fb.status === 0 && f !== null, fb.stderr);
if (f) {
  check(
    'backendInfo().native === false with a reason',
    f.info.native === false && typeof f.info.reason === 'string',
    JSON.stringify(f.info),
  );
  check("backend 'auto' fell back to js", f.runs.auto.used === 'js');
  const fallback = f.warnings.filter((w) => w.code === 'DENSELY_FALLBACK_JS');
  check('exactly one DENSELY_FALLBACK_JS warning for two networks', fallback.length === 1, JSON.stringify(f.warnings));
  const reason = f.info.reason || '';
  if (fallback.length) {
    check(
      'the warning carries backendInfo().reason (each attempt and a fix)',
      fallback[0].message.includes(reason),
      fallback[0].message,
    );
    check(
      'the reason names the missing prebuild for this platform',
      /No native build was found|prebuild/i.test(reason) && reason.includes(process.platform),
      reason,
    );
    check('the reason says how to fix it', /build-native|DENSELY_NATIVE_PATH/.test(reason), reason);
  }
  check(
    "backend: 'native' throws with the same reason",
    Boolean(f.nativeError?.message.includes(reason)),
    JSON.stringify(f.nativeError),
  );
  check('js fallback trains (loss decreased)', f.runs.auto.after < f.runs.auto.before);
  check("'auto' on fallback predicts exactly like 'js'", excess(f.runs.auto.predict, f.runs.js.predict, 0, 0) <= 0);
}
const esmFb = runIn(
  noPre.dir,
  'esm.mjs',
  `import { backendInfo } from 'densely';\nconsole.log(JSON.stringify(backendInfo()));\n`,
);
check(
  'ESM import works on the fallback too',
  esmFb.status === 0 && json(esmFb) && json(esmFb).native === false,
  esmFb.stderr,
);

// ------------------------------------------------------------------ source build
// The fix the fallback warning suggests, run exactly as written where it says: the
// command between backquotes after "To fix: run", in the folder named after it.
if (SOURCE_BUILD) {
  section('the fix the fallback warning suggests, run as written (a compiler on PATH this time)');
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(npm_|INIT_CWD$|DENSELY_|NODE_PATH$)/.test(k)) delete env[k];
  // A user's shell PATH: without the node_modules/.bin folders `npm run` puts first.
  env.PATH = (env.PATH || '')
    .split(path.delimiter)
    .filter((d) => !/node_modules|node-gyp-bin/.test(d))
    .join(path.delimiter);
  const said = f?.warnings.find((w) => w.code === 'DENSELY_FALLBACK_JS');
  const fix = said && /To fix: run `([^`]+)` in (.+?) \(/.exec(said.message);
  check('the warning names one command and the folder to run it in', Boolean(fix), said ? said.message : 'no warning');
  if (fix) {
    const [, command, cwd] = fix;
    check(
      `it is the documented command (npx densely build-native) in the user's project`,
      command === 'npx densely build-native' && path.resolve(cwd) === path.resolve(noPre.dir),
      `${command} in ${cwd}`,
    );
    const shell = process.platform === 'win32' ? process.env.ComSpec || 'cmd.exe' : '/bin/sh';
    const r = sh(shell, process.platform === 'win32' ? ['/d', '/s', '/c', command] : ['-c', command], { cwd, env });
    check(`\`${command}\` compiles the addon`, r.status === 0, (r.stdout + r.stderr).split('\n').slice(-15).join('\n'));
    const after = runIn(noPre.dir, 'info.cjs', `console.log(JSON.stringify(require('densely').backendInfo()));\n`);
    check(
      'densely then loads the locally built addon',
      after.status === 0 && json(after) && json(after).native === true,
      after.stdout + after.stderr,
    );
  }
}

section('CI workflow (scripts/pack-test-workflow.cjs: YAML, actionlint, npm scripts)');
const wf = sh(process.execPath, [path.join(__dirname, 'pack-test-workflow.cjs')], { cwd: root });
process.stdout.write(
  wf.stdout
    .split('\n')
    .filter((l) => /^\s+(ok|FAIL)/.test(l))
    .map((l) => `${l}\n`)
    .join(''),
);
check('the workflows pass their checks', wf.status === 0, wf.stderr);

process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exitCode = failed ? 1 : 0;
