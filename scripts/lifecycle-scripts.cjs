#!/usr/bin/env node
// Keeps install lifecycle scripts out of the published package.json, while a clone
// still builds on `npm install` / `npm ci` (package.json "prepare").
//
//   node scripts/lifecycle-scripts.cjs --disable [--file <package.json>]
//   node scripts/lifecycle-scripts.cjs --enable  [--file <package.json>]
//   node scripts/lifecycle-scripts.cjs --check <package.json>   (exit 1 if one is enabled)
//
// The approach is pinst's (typicode/pinst, `pinst --disable` in prepack and
// `pinst --enable` in postpack), which handles only `postinstall`/`install`; this does
// the same for every script a package manager runs or warns about on install:
// preinstall, install, postinstall, preprepare, prepare, postprepare and the
// deprecated prepublish. `--disable` renames each to `_<name>` in place (same key
// order, same formatting), so the tarball's manifest runs nothing and npm prints no
// install-scripts warning; `--enable` renames them back. Both are idempotent, and the
// disabled file holds everything needed to restore it: if a pack fails between
// prepack and postpack, `npm run postpack` (or `--enable`) restores package.json.
//
// `npm publish` re-reads package.json after postpack to send the registry its
// metadata, so under npm_command=publish postpack's `--enable` leaves the scripts
// disabled and postpublish's `--enable` restores them: the registry's copy of the
// manifest matches the tarball's.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** Scripts npm, pnpm, Yarn or Bun run (or warn about) when a package is installed. */
const LIFECYCLE = ['preinstall', 'install', 'postinstall', 'preprepare', 'prepare', 'postprepare', 'prepublish'];

function fail(message) {
  process.stderr.write(`lifecycle-scripts: ${message}\n`);
  process.exit(1);
}

/** Renames the keys of `scripts` given by `rename(key)`, keeping their order. */
function renameKeys(scripts, rename) {
  const out = {};
  for (const [key, value] of Object.entries(scripts)) {
    const to = rename(key);
    if (to !== key && Object.hasOwn(scripts, to)) {
      fail(`package.json has both "${key}" and "${to}" in scripts; remove one`);
    }
    out[to] = value;
  }
  return out;
}

/** The package.json text with lifecycle scripts disabled (`_name`) or enabled (`name`). */
function transform(text, mode) {
  const pkg = JSON.parse(text);
  if (!pkg.scripts) return text;
  const rename =
    mode === 'disable'
      ? (k) => (LIFECYCLE.includes(k) ? `_${k}` : k)
      : (k) => (k.startsWith('_') && LIFECYCLE.includes(k.slice(1)) ? k.slice(1) : k);
  const scripts = renameKeys(pkg.scripts, rename);
  if (JSON.stringify(scripts) === JSON.stringify(pkg.scripts)) return text;
  pkg.scripts = scripts;
  const indent = /^[ \t]+/m.exec(text)?.[0] ?? '  ';
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  return JSON.stringify(pkg, null, indent).replace(/\n/g, eol) + (text.endsWith('\n') ? eol : '');
}

/** The lifecycle scripts `text` (a package.json) would run on install. */
function enabledLifecycle(text) {
  const scripts = JSON.parse(text).scripts || {};
  return LIFECYCLE.filter((k) => Object.hasOwn(scripts, k));
}

function main(argv) {
  const mode = argv[0];
  const fileAt = argv.indexOf('--file');
  if (mode === '--check') {
    if (!argv[1]) fail('usage: --check <package.json>');
    const found = enabledLifecycle(fs.readFileSync(argv[1], 'utf8'));
    if (found.length) fail(`${argv[1]} has install lifecycle scripts: ${found.join(', ')}`);
    return;
  }
  if (mode !== '--disable' && mode !== '--enable') {
    fail('usage: lifecycle-scripts.cjs --disable | --enable [--file <package.json>] | --check <package.json>');
  }
  const file = fileAt >= 0 ? argv[fileAt + 1] : path.join(__dirname, '..', 'package.json');
  if (mode === '--enable' && process.env.npm_command === 'publish' && process.env.npm_lifecycle_event === 'postpack') {
    process.stdout.write('lifecycle-scripts: publishing; postpublish re-enables the lifecycle scripts\n');
    return;
  }
  const text = fs.readFileSync(file, 'utf8');
  const next = transform(text, mode.slice(2));
  if (next !== text) fs.writeFileSync(file, next);
  const now = enabledLifecycle(next);
  process.stdout.write(`lifecycle-scripts: ${mode.slice(2)}d (enabled now: ${now.length ? now.join(', ') : 'none'})\n`);
}

if (require.main === module) main(process.argv.slice(2));

module.exports = { LIFECYCLE, transform, enabledLifecycle };
