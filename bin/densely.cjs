#!/usr/bin/env node
'use strict';
// The `densely` command: a launcher for the compiled CLI (lib/cli/main.ts → dist/cjs/cli/main.js).
let cli;
try {
  cli = require('../dist/cjs/cli/main.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/cjs/cli/main.js')) {
    process.stderr.write('densely: the command is not built yet; run "npm run build:ts" in the package directory\n');
    process.exitCode = 1;
    return;
  }
  throw err;
}
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
