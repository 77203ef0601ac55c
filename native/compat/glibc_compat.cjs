#!/usr/bin/env node
// Link flags for the glibc 2.17-compatible (portable) Linux build, derived from the
// symbol list in glibc_compat.cc so the two cannot drift. binding.gyp runs
//   node native/compat/glibc_compat.cjs ldflags <target_arch>
// when DENSELY_PORTABLE=1 on Linux (the --wrap flags only where the C library is glibc;
// cross builds from this glibc host to arm64 glibc qualify); `symbols` prints the
// wrapped symbol names.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** Symbols emulated in glibc_compat.cc rather than bound to an old version. */
const EMULATED = ['_dl_find_object', 'getentropy', 'arc4random', '__cxa_thread_atexit_impl', '__libc_single_threaded'];

/** Every symbol glibc_compat.cc defines a __wrap_ for. */
function wrappedSymbols() {
  const source = fs.readFileSync(path.join(__dirname, 'glibc_compat.cc'), 'utf8');
  const list = /BEGIN DENSELY_GLIBC_WRAPS[^\n]*\n([\s\S]*?)\/\/ END DENSELY_GLIBC_WRAPS/.exec(source);
  if (!list) throw new Error('glibc_compat.cc: DENSELY_GLIBC_WRAPS list not found');
  const old = [...list[1].matchAll(/WRAP_OLD\((\w+),/g)].map((m) => m[1]);
  return [...old, ...EMULATED];
}

/** The architectures glibc_compat.cc has wrappers for (node's process.arch names). */
const WRAPPED_ARCHES = ['x64', 'arm64'];

/** Whether this Linux's C library is glibc (musl has no symbol versions to pin). */
function hostIsGlibc() {
  const header = process.report?.getReport().header;
  return Boolean(header?.glibcVersionRuntime);
}

/**
 * The portable link flags: the C++ runtime linked statically and kept private
 * (--exclude-libs, a version script exporting only the Node-API entry points), and on
 * glibc one --wrap per symbol of glibc_compat.cc.
 */
function ldflags(glibc = hostIsGlibc(), arch = process.arch) {
  const flags = [
    '-static-libstdc++',
    '-static-libgcc',
    '-Wl,--exclude-libs,ALL',
    `-Wl,--version-script=${path.join(__dirname, 'exports.map')}`,
  ];
  if (glibc && WRAPPED_ARCHES.includes(arch)) {
    // -z nodelete: dlclose never unmaps the addon (Node closes an addon when the last
    // worker thread using it exits). glibc pins a library while any thread still has a
    // thread_local destructor of it pending; the emulated __cxa_thread_atexit_impl
    // cannot, so the addon stays loaded instead of leaving pthread key destructors
    // that point into unmapped code.
    flags.push('-Wl,-z,nodelete', ...wrappedSymbols().map((s) => `-Wl,--wrap=${s}`));
  }
  return flags;
}

module.exports = { wrappedSymbols, ldflags, hostIsGlibc, EMULATED, WRAPPED_ARCHES };

if (require.main === module) {
  const what = process.argv[2];
  if (what === 'ldflags')
    process.stdout.write(`${ldflags(hostIsGlibc(), process.argv[3] || process.arch).join(' ')}\n`);
  else if (what === 'symbols') process.stdout.write(`${wrappedSymbols().join(' ')}\n`);
  else {
    process.stderr.write('usage: node native/compat/glibc_compat.cjs ldflags [arch] | symbols\n');
    process.exit(2);
  }
}
