#!/usr/bin/env node
// npm run docs:check — fails when docs/api/ is not what `npm run docs` generates from the
// current TSDoc and docs/guide/ (CI runs it; the fix is `npm run docs` and a commit).
// TypeDoc writes into a temporary folder with the options of typedoc.json (no source
// links, no git revision, no dates: the output depends only on the sources), and every
// file is compared byte for byte with docs/api/, both ways.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const committed = path.join(root, 'docs', 'api');

function list(dir, base = dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? list(p, base) : [path.relative(base, p).split(path.sep).join('/')];
  });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densely-docs-'));
try {
  const typedoc = path.join(path.dirname(require.resolve('typedoc/package.json', { paths: [root] })), 'bin', 'typedoc');
  const r = spawnSync(process.execPath, [typedoc, '--out', tmp, '--logLevel', 'Warn'], { cwd: root, encoding: 'utf8' });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  if (r.status !== 0) {
    process.stderr.write(`docs:check: typedoc exited with status ${r.status}\n`);
    process.exit(1);
  }
  const fresh = new Set(list(tmp));
  const old = new Set(list(committed));
  const problems = [];
  for (const f of fresh) {
    if (!old.has(f)) problems.push(`missing from docs/api: ${f}`);
    else if (!fs.readFileSync(path.join(tmp, f)).equals(fs.readFileSync(path.join(committed, f))))
      problems.push(`out of date: docs/api/${f}`);
  }
  for (const f of old) if (!fresh.has(f)) problems.push(`stale (no longer generated): docs/api/${f}`);
  if (problems.length) {
    process.stderr.write(
      `${problems.join('\n')}\ndocs:check: docs/api/ differs from the TSDoc; run \`npm run docs\` and commit docs/.\n`,
    );
    process.exit(1);
  }
  process.stdout.write(`docs:check: docs/api/ is current (${fresh.size} files)\n`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
