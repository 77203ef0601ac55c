#!/usr/bin/env node
// Portability check for a Linux ELF shared object (the prebuilt densely.node):
//   - every versioned symbol it imports from glibc (libc, libm, libpthread, libdl,
//     librt, the dynamic loader) has a GLIBC_x.y version no newer than --max
//     (default 2.17: the oldest glibc the linux-x64 / linux-arm64 prebuilds support);
//   - it needs no shared library outside glibc (libstdc++ and libgcc_s are linked
//     statically), so nothing on the user's machine but glibc is assumed.
// The ELF is parsed here (.dynamic, .dynsym, .gnu.version, .gnu.version_r), so the
// check needs no binutils.
//
//   node scripts/check-glibc.cjs <file.node> [--max 2.17] [--json]
// Exit status 0 when the file passes, 1 when it does not (each problem on a line),
// 2 on bad usage or a file that is not a 64-bit little-endian ELF.
'use strict';
const fs = require('node:fs');

const SHT_DYNAMIC = 6;
const SHT_DYNSYM = 11;
const SHT_GNU_VERNEED = 0x6ffffffe;
const SHT_GNU_VERSYM = 0x6fffffff;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_SONAME = 14;
const STB_WEAK = 2;

/** Shared objects that are part of glibc itself (matched on the file name). */
const GLIBC_LIBS = /^(libc|libm|libpthread|libdl|librt|libutil|libresolv|ld-linux[-\w.]*|ld64)\.so(\.\d+)*$/;

/** Reads a NUL-terminated string at `offset` of `buf`. */
function cstr(buf, offset) {
  const end = buf.indexOf(0, offset);
  return buf.toString('latin1', offset, end < 0 ? buf.length : end);
}

/**
 * Parses the dynamic linking facts of a 64-bit little-endian ELF file.
 * @returns {{ machine: number, soname: string | null, needed: string[],
 *   imports: Array<{ name: string, weak: boolean, version: string | null, file: string | null }> }}
 * `imports` lists undefined dynamic symbols with the version and library that
 * `.gnu.version_r` records for them (null for unversioned ones).
 * @throws {Error} when the buffer is not a 64-bit little-endian ELF.
 */
function parseElf(buf) {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
  if (buf[4] !== 2 || buf[5] !== 1) throw new Error('only 64-bit little-endian ELF is supported');
  const machine = buf.readUInt16LE(18);
  const shoff = Number(buf.readBigUInt64LE(40));
  const shentsize = buf.readUInt16LE(58);
  const shnum = buf.readUInt16LE(60);
  const sections = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    sections.push({
      type: buf.readUInt32LE(o + 4),
      offset: Number(buf.readBigUInt64LE(o + 24)),
      size: Number(buf.readBigUInt64LE(o + 32)),
      link: buf.readUInt32LE(o + 40),
      info: buf.readUInt32LE(o + 44),
      entsize: Number(buf.readBigUInt64LE(o + 56)),
    });
  }
  const byType = (t) => sections.find((s) => s.type === t);
  const dynsym = byType(SHT_DYNSYM);
  if (!dynsym) throw new Error('no .dynsym section (not a dynamically linked object?)');
  const dynstr = sections[dynsym.link];
  const str = (off) => cstr(buf, dynstr.offset + off);

  const needed = [];
  let soname = null;
  const dynamic = byType(SHT_DYNAMIC);
  if (dynamic) {
    for (let o = dynamic.offset; o + 16 <= dynamic.offset + dynamic.size; o += 16) {
      const tag = Number(buf.readBigInt64LE(o));
      const val = Number(buf.readBigUInt64LE(o + 8));
      if (tag === DT_NULL) break;
      if (tag === DT_NEEDED) needed.push(str(val));
      else if (tag === DT_SONAME) soname = str(val);
    }
  }

  // Version index (vna_other) -> { version, file } from the version-needs records.
  const needs = new Map();
  const verneed = byType(SHT_GNU_VERNEED);
  if (verneed) {
    const vstr = (off) => cstr(buf, sections[verneed.link].offset + off);
    let vn = verneed.offset;
    for (let i = 0; i < verneed.info; i++) {
      const cnt = buf.readUInt16LE(vn + 2);
      const file = vstr(buf.readUInt32LE(vn + 4));
      let aux = vn + buf.readUInt32LE(vn + 8);
      for (let j = 0; j < cnt; j++) {
        needs.set(buf.readUInt16LE(aux + 6), { version: vstr(buf.readUInt32LE(aux + 8)), file });
        aux += buf.readUInt32LE(aux + 12);
      }
      const next = buf.readUInt32LE(vn + 12);
      if (next === 0) break;
      vn += next;
    }
  }

  const versym = byType(SHT_GNU_VERSYM);
  const imports = [];
  const count = dynsym.size / (dynsym.entsize || 24);
  for (let i = 1; i < count; i++) {
    const o = dynsym.offset + i * 24;
    if (buf.readUInt16LE(o + 6) !== 0) continue; // defined here, not imported
    const name = str(buf.readUInt32LE(o));
    if (!name) continue;
    const weak = buf[o + 4] >> 4 === STB_WEAK;
    const idx = versym ? buf.readUInt16LE(versym.offset + i * 2) & 0x7fff : 0;
    const need = needs.get(idx);
    imports.push({ name, weak, version: need ? need.version : null, file: need ? need.file : null });
  }
  return { machine, soname, needed, imports };
}

/** Compares dotted version strings numerically ('2.9' < '2.17'). */
function compareVersions(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] || 0) - (pb[i] || 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The portability verdict for a parsed ELF: one line per problem, empty when it
 * passes. `max` is the newest GLIBC_ symbol version allowed.
 */
function check(elf, max = '2.17') {
  const problems = [];
  for (const lib of elf.needed) {
    if (!GLIBC_LIBS.test(lib)) problems.push(`needs shared library ${lib} (only glibc may be assumed)`);
  }
  for (const s of elf.imports) {
    if (!s.version) continue;
    const m = /^GLIBC_(\d+(?:\.\d+)*)$/.exec(s.version);
    if (m) {
      if (compareVersions(m[1], max) > 0)
        problems.push(`${s.name}@${s.version} (${s.file}) is newer than GLIBC_${max}`);
    } else {
      // GLIBCXX_*, CXXABI_*, GCC_*, GLIBC_PRIVATE: a dependency on something other
      // than glibc's public ABI.
      problems.push(`${s.name}@${s.version} (${s.file}) is not a public glibc symbol version`);
    }
  }
  return problems;
}

/** The newest GLIBC_ version among the imports, or null. */
function newestGlibc(elf) {
  let best = null;
  for (const s of elf.imports) {
    const m = s.version && /^GLIBC_(\d+(?:\.\d+)*)$/.exec(s.version);
    if (m && (best === null || compareVersions(m[1], best) > 0)) best = m[1];
  }
  return best;
}

module.exports = { parseElf, check, compareVersions, newestGlibc, GLIBC_LIBS };

if (require.main === module) {
  const args = process.argv.slice(2);
  let max = '2.17';
  let json = false;
  const files = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--max') max = args[++i];
    else if (args[i] === '--json') json = true;
    else files.push(args[i]);
  }
  if (files.length === 0 || !/^\d+(\.\d+)*$/.test(max || '')) {
    process.stderr.write('usage: node scripts/check-glibc.cjs <file.node>... [--max 2.17] [--json]\n');
    process.exit(2);
  }
  let failed = false;
  for (const file of files) {
    let elf;
    try {
      elf = parseElf(fs.readFileSync(file));
    } catch (err) {
      process.stderr.write(`${file}: ${err.message}\n`);
      process.exit(2);
    }
    const problems = check(elf, max);
    failed = failed || problems.length > 0;
    if (json) {
      process.stdout.write(
        `${JSON.stringify({ file, max, newest: newestGlibc(elf), needed: elf.needed, problems })}\n`,
      );
    } else {
      process.stdout.write(
        `${file}: needs ${elf.needed.join(', ') || 'nothing'}; newest glibc symbol GLIBC_${newestGlibc(elf) ?? '-'}; ` +
          (problems.length ? `${problems.length} problem(s):\n  ${problems.join('\n  ')}\n` : `ok (<= GLIBC_${max})\n`),
      );
    }
  }
  process.exit(failed ? 1 : 0);
}
