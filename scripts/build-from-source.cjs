#!/usr/bin/env node
// Opt-in source build of the densely addon, for users of the installed package:
//
//   npx densely build-native                        (the CLI runs this file)
//   node node_modules/densely/scripts/build-from-source.cjs
//
// Installing densely never compiles anything: it ships prebuilt binaries and falls back
// to its pure-JS backend where none fits. Run this to compile the addon for this
// machine instead (a platform without a prebuild, or a build tuned by your compiler).
// It writes build/Release/densely.node inside the package, which the loader tries
// before the bundled prebuild (after DENSELY_NATIVE_PATH).
//
// Needs: a C++17 compiler (g++ >= 8, clang >= 7, or Visual Studio 2019+), make and
// python3 (node-gyp's own requirements) and Node's headers (node-gyp downloads them
// unless npm_config_nodedir names a local copy or they are installed beside node, as
// with distribution packages: /usr/include/node). node-gyp and node-addon-api come
// from the package's node_modules when present; otherwise they are installed with npm
// into <package>/.cache/build-tools (needs the npm registry).
// Exit status: 0 when the addon was built and loads, 1 otherwise (with the reason).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { findNodeGyp, nodeGypNodedir, resolveFrom } = require('./lib/node-headers.cjs');
const { npmCli } = require('./lib/npm-cli.cjs');

const root = path.join(__dirname, '..');
const toolsDir = path.join(root, '.cache', 'build-tools');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

function fail(message) {
  process.stderr.write(`densely build-native: ${message}\n`);
  process.exit(1);
}

/** The version range package.json gives a build tool, or '*' when it names none. */
function wanted(name) {
  return (pkg.devDependencies && pkg.devDependencies[name]) || (pkg.dependencies && pkg.dependencies[name]) || '*';
}

/** node-gyp's CLI: the package's or installed in toolsDir, else npm's own. */
function nodeGyp() {
  return findNodeGyp([root, toolsDir], { npm: true });
}

/** Installs build tools into .cache/build-tools with npm (no scripts, no package.json changes). */
function installTools(names) {
  fs.mkdirSync(toolsDir, { recursive: true });
  const specs = names.map((n) => `${n}@${wanted(n)}`);
  process.stdout.write(`densely build-native: installing ${specs.join(', ')} into ${toolsDir}\n`);
  const args = ['install', '--prefix', toolsDir, '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', ...specs];
  // npm's own CLI under this node when it can be found, else `npm` on PATH.
  const cli = npmCli();
  const r = cli
    ? spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' })
    : spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, { stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) fail(`npm could not install ${specs.join(', ')} (is the npm registry reachable?)`);
}

function main() {
  const missing = [];
  if (!resolveFrom('node-addon-api', [root])) missing.push('node-addon-api');
  if (!nodeGyp()) missing.push('node-gyp');
  if (missing.length) installTools(missing);
  const gyp = nodeGyp();
  if (!gyp) fail('node-gyp not found');

  // binding.gyp runs `node -p "require('node-addon-api')..."` from the package root;
  // NODE_PATH lets that find a copy in .cache/build-tools.
  const env = { ...process.env };
  const toolsModules = path.join(toolsDir, 'node_modules');
  if (fs.existsSync(toolsModules)) {
    env.NODE_PATH = [toolsModules, env.NODE_PATH].filter(Boolean).join(path.delimiter);
  }
  const args = [gyp, 'rebuild', `--jobs=${process.env.JOBS || 'max'}`];
  const nodedir = nodeGypNodedir();
  if (nodedir) args.push(`--nodedir=${nodedir}`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env });
  if (r.error) fail(r.error.message);
  if (r.status !== 0) {
    fail(
      `node-gyp exited with status ${r.status}; see its output above. It needs a C++17 compiler, make and python3 ` +
        '(Debian/Ubuntu: apt-get install g++ make python3; macOS: xcode-select --install; ' +
        'Windows: Visual Studio Build Tools with "Desktop development with C++").',
    );
  }
  const built = path.join(root, 'build', 'Release', 'densely.node');
  if (!fs.existsSync(built)) fail(`node-gyp succeeded but ${built} is missing`);
  const check = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(built)})`], { stdio: 'inherit' });
  if (check.status !== 0) fail(`${built} was built but does not load in this Node`);
  process.stdout.write(`densely build-native: built ${built}; densely will load it (backendInfo().native === true).\n`);
}

main();
