#!/usr/bin/env node
'use strict';
// The `densely` command: a launcher for the compiled CLI (lib/cli/main.ts → dist/cjs/cli/main.js).

/** The compiled CLI, or null when dist/ has not been built. */
function loadCli() {
  try {
    return require('../dist/cjs/cli/main.js');
  } catch (err) {
    if (err?.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/cjs/cli/main.js')) return null;
    throw err;
  }
}

const cli = loadCli();
if (cli) {
  cli.main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
} else {
  process.stderr.write('densely: the command is not built yet; run "npm run build:ts" in the package directory\n');
  process.exitCode = 1;
}
