#!/usr/bin/env node
// Reader for native/sources.json, used by binding.gyp's command expansions
// ("<!@(node native/sources.cjs ...)") and by the build tests.
//
//   node native/sources.cjs sources <group> [arch]   paths of a group ('' if the group
//                                                     is not built on arch; default: this arch)
//   node native/sources.cjs flags <cflags_cc|defines|ldflags>
//   node native/sources.cjs isa-flags <group>
//   node native/sources.cjs has <group> [arch]         1 if the group is built on arch, else 0
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const manifestPath = path.join(__dirname, 'sources.json');

function load() {
  return JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
}

// Group names that belong to an arch's build (core*, plus the arch-independent ones).
function groupsFor(manifest, arch) {
  const archGroups = manifest.arch[arch] || manifest.arch.x64.filter((g) => g === 'core');
  const archSpecific = new Set(Object.values(manifest.arch).flat());
  return Object.keys(manifest.groups).filter((g) => !archSpecific.has(g) || archGroups.includes(g));
}

function sources(manifest, group, arch) {
  if (!(group in manifest.groups)) throw new Error(`unknown group ${group}`);
  return groupsFor(manifest, arch).includes(group) ? manifest.groups[group] : [];
}

module.exports = { load, groupsFor, sources, manifestPath };

if (require.main === module) {
  const [cmd, name, arch = process.arch] = process.argv.slice(2);
  const m = load();
  // gyp runs the command from the directory of binding.gyp (the repository root), so
  // relative paths resolve the same way for gyp and for this script.
  let out;
  if (cmd === 'sources') out = sources(m, name, arch);
  else if (cmd === 'flags') out = m.flags[name];
  else if (cmd === 'isa-flags') out = m.flags.isa[name];
  else if (cmd === 'has') out = [groupsFor(m, arch).includes(name) && m.groups[name].length > 0 ? '1' : '0'];
  else {
    process.stderr.write('usage: node native/sources.cjs sources|flags|isa-flags|has <name> [arch]\n');
    process.exit(2);
  }
  if (out === undefined) {
    process.stderr.write(`unknown ${cmd} ${name}\n`);
    process.exit(2);
  }
  process.stdout.write(`${out.join(' ')}\n`);
}
