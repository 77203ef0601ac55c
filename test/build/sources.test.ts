// Drift checks between native/sources.json, binding.gyp and CMakeLists.txt (STYLE.md §3):
// both build files must take every source and every pinned flag from the manifest.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

// Several checks spawn node or cmake; allow for a loaded machine.
vi.setConfig({ testTimeout: 120_000 });

const root = join(__dirname, '..', '..');

interface Manifest {
  flags: { cflags_cc: string[]; defines: string[]; ldflags: string[]; isa: Record<string, string[]> };
  arch: Record<string, string[]>;
  groups: Record<string, string[]>;
}

const manifest: Manifest = JSON.parse(readFileSync(join(root, 'native', 'sources.json'), 'utf8'));

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(relative(root, p).split(sep).join('/'));
  }
  return out;
}

function reader(...args: string[]): string[] {
  const out = execFileSync(process.execPath, [join(root, 'native', 'sources.cjs'), ...args], {
    cwd: root,
    encoding: 'utf8',
  }).trim();
  return out === '' ? [] : out.split(/\s+/);
}

// binding.gyp is a Python literal written as JSON plus '#' comment lines.
function loadGyp(): {
  target_defaults: Record<string, unknown>;
  targets: Array<Record<string, unknown> & { target_name: string; sources: string[] }>;
} {
  const text = readFileSync(join(root, 'binding.gyp'), 'utf8')
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .join('\n');
  return JSON.parse(text);
}

const nativeFiles = walk(join(root, 'native'));
const listed = Object.values(manifest.groups).flat();

describe('native/sources.json', () => {
  it('lists every .cc under native/ exactly once', () => {
    const cc = nativeFiles.filter((f) => f.endsWith('.cc')).sort();
    const unlisted = cc.filter((f) => !listed.includes(f));
    expect(unlisted, 'add these to a group in native/sources.json').toEqual([]);
    expect(new Set(listed).size, 'a file is listed twice').toBe(listed.length);
  });

  it('lists only files that exist', () => {
    const missing = listed.filter((f) => !existsSync(join(root, f)));
    expect(missing).toEqual([]);
  });

  it('has an ISA flag entry for every arch-specific group but core', () => {
    for (const groups of Object.values(manifest.arch)) {
      for (const g of groups) {
        expect(g in manifest.groups, `arch group ${g}`).toBe(true);
        if (g !== 'core') expect(Array.isArray(manifest.flags.isa[g]), `flags.isa.${g}`).toBe(true);
      }
    }
  });

  it('pins C++17, exceptions, RTTI, visibility, -O3 and NAPI_VERSION', () => {
    const f = manifest.flags.cflags_cc;
    for (const flag of ['-std=c++17', '-O3', '-fexceptions', '-frtti', '-fvisibility=hidden']) {
      expect(f).toContain(flag);
    }
    expect(manifest.flags.defines.some((d) => /^NAPI_VERSION=\d+$/.test(d))).toBe(true);
  });
});

describe('sources discipline', () => {
  it('includes napi.h / node_api.h only under native/binding/', () => {
    const offenders = nativeFiles
      .filter((f) => /\.(cc|h|hpp|cpp)$/.test(f) && !f.startsWith('native/binding/'))
      .filter((f) => /#\s*include\s*[<"](napi\.h|node_api\.h|node\.h)[>"]/.test(readFileSync(join(root, f), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('ships no -march=native or -mtune=native', () => {
    const shipped = [
      'binding.gyp',
      'CMakeLists.txt',
      'package.json',
      ...nativeFiles,
      ...walk(join(root, 'scripts')),
    ];
    const offenders = shipped.filter((f) => /-m(arch|tune)=native/.test(readFileSync(join(root, f), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('keeps ISA flags out of the core group', () => {
    expect(manifest.flags.cflags_cc.some((f) => /^-m(avx|fma|sse|arch|cpu|fpu)/.test(f))).toBe(false);
  });
});

describe('binding.gyp reads the manifest', () => {
  const gyp = loadGyp();
  const text = readFileSync(join(root, 'binding.gyp'), 'utf8');

  it('names no source file and no compiler flag of its own', () => {
    // Lines with a "!" key only remove node-gyp's defaults (e.g. -fno-exceptions).
    const own = text
      .split('\n')
      .filter((line) => !/"\w+!"\s*:/.test(line))
      .join('\n');
    expect(own).not.toMatch(/\.cc["']/);
    expect(own).not.toMatch(/"-(O\d|std=|f|m(avx|fma|sse|arch))/);
  });

  it('takes cflags, defines and ldflags from sources.cjs', () => {
    const d = gyp.target_defaults;
    expect(d.cflags_cc).toEqual(['<!@(node native/sources.cjs flags cflags_cc)']);
    expect(d.defines).toEqual(['<!@(node native/sources.cjs flags defines)']);
    expect(d.ldflags).toEqual(['<!@(node native/sources.cjs flags ldflags)']);
    expect(reader('flags', 'cflags_cc')).toEqual(manifest.flags.cflags_cc);
    expect(reader('flags', 'defines')).toEqual(manifest.flags.defines);
  });

  it('builds one target per core group, with that group ISA flags only', () => {
    const coreGroups = [...new Set(Object.values(manifest.arch).flat())];
    for (const g of coreGroups) {
      const t = gyp.targets.find((x) => x.target_name === `densely_${g}`);
      expect(t, `target densely_${g}`).toBeDefined();
      const src = (t as { sources: string[] }).sources;
      expect(src.length).toBe(1);
      expect(src[0]).toMatch(new RegExp(`^<!@\\(node native/sources\\.cjs sources ${g}( <\\(target_arch\\))?\\)$`));
      if (g !== 'core') {
        expect((t as { cflags_cc?: string[] }).cflags_cc).toEqual([`<!@(node native/sources.cjs isa-flags ${g})`]);
      }
    }
    const addon = gyp.targets.find((x) => x.target_name === 'densely');
    expect(addon?.sources).toEqual(['<!@(node native/sources.cjs sources binding)']);
  });

  it('expands each group to the manifest list on its arch only', () => {
    for (const [arch, groups] of Object.entries(manifest.arch)) {
      for (const g of Object.keys(manifest.arch).flatMap((a) => manifest.arch[a])) {
        const expected = groups.includes(g) ? manifest.groups[g] : [];
        expect(reader('sources', g, arch), `${g} on ${arch}`).toEqual(expected);
      }
    }
  });
});

describe('CMakeLists.txt reads the manifest', () => {
  const text = readFileSync(join(root, 'CMakeLists.txt'), 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .join('\n');

  it('uses no file(GLOB) and names no source or ISA flag of its own', () => {
    expect(text).not.toMatch(/file\s*\(\s*GLOB/i);
    expect(text).not.toMatch(/\.cc\b/);
    expect(text).not.toMatch(/-m(avx|fma|sse|arch)/);
  });

  it('resolves the same flags and sources as the gyp build', () => {
    const dir = mkdtempSync(join(tmpdir(), 'densely-cmake-'));
    try {
      const dump = join(dir, 'config.txt');
      execFileSync('cmake', ['-S', root, '-B', join(dir, 'b'), `-DDENSELY_DUMP_CONFIG=${dump}`], {
        stdio: 'ignore',
      });
      const cfg = Object.fromEntries(
        readFileSync(dump, 'utf8')
          .trim()
          .split('\n')
          .map((line) => {
            const eq = line.indexOf('=');
            const v = line.slice(eq + 1);
            return [line.slice(0, eq), v === '' ? [] : v.split(';')];
          }),
      ) as Record<string, string[]>;
      const rel = (xs: string[]) => xs.map((x) => relative(root, x).split(sep).join('/'));
      expect(cfg.cflags_cc).toEqual(reader('flags', 'cflags_cc'));
      expect(cfg.defines).toEqual(reader('flags', 'defines'));
      expect(cfg.ldflags).toEqual(reader('flags', 'ldflags'));
      const arch = cfg.arch[0];
      expect(rel(cfg.core)).toEqual(reader('sources', 'core', arch));
      expect(rel(cfg.binding)).toEqual(reader('sources', 'binding', arch));
      for (const g of manifest.arch[arch] ?? []) {
        if (g === 'core') continue;
        expect(rel(cfg[g]), g).toEqual(reader('sources', g, arch));
        expect(cfg[`isa_${g}`], `isa ${g}`).toEqual(reader('isa-flags', g));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
