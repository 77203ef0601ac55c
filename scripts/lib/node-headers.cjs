// Where Node's headers and node-gyp are, for the scripts that build the addon
// (build-native.cjs, build-from-source.cjs, prebuild.cjs, build-cmake-js.cjs).
// Ships in the package with build-from-source.cjs, so plain Node only.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** The running Node's install prefix: <prefix>/bin/node → <prefix> (Debian: /usr). */
function nodePrefix() {
  return path.resolve(path.dirname(process.execPath), '..');
}

/** Whether `dir` holds Node's headers as installed or unpacked: <dir>/include/node/<header>. */
function hasNodeHeaders(dir, header = 'node_api.h') {
  return fs.existsSync(path.join(dir, 'include', 'node', header));
}

/**
 * node-gyp's --nodedir: npm_config_nodedir as given (node-gyp also takes a source tree
 * there), else the running Node's prefix when its headers are installed beside it
 * (distribution packages: /usr/include/node; official tarballs: <prefix>/include/node),
 * else null: node-gyp then uses its own header cache (downloading once).
 */
function nodeGypNodedir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = nodePrefix();
  return hasNodeHeaders(prefix) ? prefix : null;
}

/**
 * A folder with <dir>/include/node/<header> (cmake-js's "dist" layout): npm_config_nodedir,
 * then the running Node's prefix; null when neither has it.
 */
function findNodeHeaders(header = 'node.h') {
  const candidates = [process.env.npm_config_nodedir, nodePrefix()].filter(Boolean);
  return candidates.find((dir) => hasNodeHeaders(dir, header)) || null;
}

/** The folder candidates[0..] would be looked in, for messages when findNodeHeaders fails. */
function nodeHeadersHint() {
  return process.env.npm_config_nodedir || nodePrefix();
}

/** require.resolve from `dirs`, or null. */
function resolveFrom(request, dirs) {
  try {
    return require.resolve(request, { paths: dirs });
  } catch {
    return null;
  }
}

/**
 * node-gyp's CLI (bin/node-gyp.js): resolved from `dirs` (the package root and any
 * tool folders), then, with `{ npm: true }`, the copy npm itself uses (npm sets
 * npm_config_node_gyp in scripts) or the one bundled with npm beside node. Null if none.
 */
function findNodeGyp(dirs, { npm = false } = {}) {
  const local = resolveFrom('node-gyp/bin/node-gyp.js', dirs);
  if (local || !npm) return local;
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && fs.existsSync(fromNpm)) return fromNpm;
  const bundled = path.join(nodePrefix(), 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
  return fs.existsSync(bundled) ? bundled : null;
}

module.exports = {
  nodePrefix,
  hasNodeHeaders,
  nodeGypNodedir,
  findNodeHeaders,
  nodeHeadersHint,
  resolveFrom,
  findNodeGyp,
};
