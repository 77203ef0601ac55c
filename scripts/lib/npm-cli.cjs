// The npm CLI to run as `node <npm-cli.js> ...` (no shell, no PATH lookup, the same npm
// whatever node_modules/.bin holds). Ships in the package with build-from-source.cjs.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/**
 * npm's bin/npm-cli.js: the one running this script (npm sets npm_execpath in `npm run`),
 * else the one bundled beside node (<prefix>/lib/node_modules/npm), else null.
 */
function npmCli() {
  const fromNpm = process.env.npm_execpath;
  if (fromNpm && /npm-cli\.js$/.test(fromNpm)) return fromNpm;
  const bundled = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  return fs.existsSync(bundled) ? bundled : null;
}

module.exports = { npmCli };
