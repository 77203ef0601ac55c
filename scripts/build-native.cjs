#!/usr/bin/env node
// npm run build:native — builds build/Release/densely.node with node-gyp.
//
// Node's headers: the npm config's nodedir when set, else the running Node's own when
// installed beside it (this machine: /usr, so no header download), else node-gyp's own
// header cache (scripts/lib/node-headers.cjs decides, as for the other builds). If the build fails (no compiler, no headers,
// no network for headers, an unsupported platform) it prints ONE warning and exits 0,
// so `npm ci` / `npm install` still succeed and the facade falls back to the js backend.
// Set DENSELY_BUILD_STRICT=1 to make a failed build exit non-zero (CI, local work).
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { findNodeGyp, nodeGypNodedir } = require('./lib/node-headers.cjs');

const root = path.join(__dirname, '..');
const strict = process.env.DENSELY_BUILD_STRICT === '1';

const bin = findNodeGyp([root]);
let reason;
if (!bin) {
  reason = 'node-gyp is not installed';
} else {
  const args = [bin, 'rebuild'];
  const nodedir = nodeGypNodedir();
  if (nodedir) args.push(`--nodedir=${nodedir}`);
  const jobs = process.env.JOBS || 'max';
  args.push(`--jobs=${jobs}`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.error) reason = r.error.message;
  else if (r.status !== 0) reason = `node-gyp exited with status ${r.status}`;
}

if (reason) {
  process.stderr.write(
    `densely: WARNING: the native addon was not built (${reason}); ` +
      "densely will use its pure-JS backend. See the output above for the compiler error.\n",
  );
  process.exit(strict ? 1 : 0);
}
