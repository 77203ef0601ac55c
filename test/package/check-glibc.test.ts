// The glibc 2.17 portability check (scripts/check-glibc.cjs) and the recipe it guards
// (native/compat/: static C++ runtime + glibc_compat.cc). The shipped prebuild itself is
// checked by `npm run prebuild` and again, from the packed tarball, by
// `npm run test:package`; here a small probe addon stands in for it so the recipe is
// tested on every `npm test` without a full release build.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const requireHere = createRequire(__filename);

interface ElfImport {
  name: string;
  weak: boolean;
  version: string | null;
  file: string | null;
}
interface Elf {
  machine: number;
  needed: string[];
  imports: ElfImport[];
}
const checker = requireHere(join(root, 'scripts', 'check-glibc.cjs')) as {
  parseElf(buf: Buffer): Elf;
  check(elf: Elf, max?: string): string[];
  compareVersions(a: string, b: string): number;
  newestGlibc(elf: Elf): string | null;
};
const compat = requireHere(join(root, 'native', 'compat', 'glibc_compat.cjs')) as {
  ldflags(glibc?: boolean): string[];
  wrappedSymbols(): string[];
};

const linuxGlibc =
  process.platform === 'linux' &&
  Boolean((process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime);

/** `name@version` of every undefined dynamic symbol, as binutils' readelf lists them. */
function readelfImports(file: string): string[] {
  const out = execFileSync('readelf', ['--dyn-syms', '--wide', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const names: string[] = [];
  for (const line of out.split('\n')) {
    const cols = line.trim().split(/\s+/);
    // Num: Value Size Type Bind Vis Ndx Name [(verindex)]
    if (cols.length >= 8 && cols[6] === 'UND' && cols[7] !== undefined) names.push(cols[7]);
  }
  return names.sort();
}

describe('compareVersions', () => {
  it('orders dotted versions numerically', () => {
    const sorted = ['2.17', '2.2.5', '2.9', '2.14', '2.3.4', '2.34', '2.3'].sort(checker.compareVersions);
    expect(sorted).toEqual(['2.2.5', '2.3', '2.3.4', '2.9', '2.14', '2.17', '2.34']);
    expect(checker.compareVersions('2.17', '2.17.0')).toBe(0);
  });
});

describe.skipIf(!linuxGlibc)('scripts/check-glibc.cjs on Linux/glibc', () => {
  const nodeElf = checker.parseElf(readFileSync(process.execPath));

  it('reads the same versioned imports as readelf', () => {
    // /bin/ls rather than node: readelf takes seconds over node's 75k exported symbols.
    for (const file of ['/bin/ls', '/bin/sh']) {
      const elf = checker.parseElf(readFileSync(file));
      const ours = elf.imports.map((s) => (s.version ? `${s.name}@${s.version}` : s.name)).sort();
      expect(ours.length, file).toBeGreaterThan(0);
      expect(ours, file).toEqual(readelfImports(file));
    }
  });

  it('rejects glibc versions newer than --max and accepts the newest one present', () => {
    const newest = checker.newestGlibc(nodeElf);
    expect(newest).not.toBeNull();
    const glibcProblems = (max: string) => checker.check(nodeElf, max).filter((p) => /is newer than GLIBC_/.test(p));
    expect(glibcProblems(newest as string)).toEqual([]);
    const newer = nodeElf.imports.filter(
      (s) => s.version?.startsWith('GLIBC_') && checker.compareVersions(s.version.slice(6), '2.2.5') > 0,
    );
    expect(glibcProblems('2.2.5').length).toBe(newer.length);
  });

  it('rejects shared libraries other than glibc', () => {
    const foreign = nodeElf.needed.filter(
      (lib) => !/^(libc|libm|libpthread|libdl|librt|ld-linux[-\w.]*)\.so/.test(lib),
    );
    const problems = checker.check(nodeElf, '99.0').filter((p) => p.startsWith('needs shared library'));
    expect(problems).toEqual(foreign.map((lib) => `needs shared library ${lib} (only glibc may be assumed)`));
  });

  it('exits 2 on a file that is not ELF', () => {
    let status = 0;
    try {
      execFileSync(process.execPath, [join(root, 'scripts', 'check-glibc.cjs'), join(root, 'package.json')], {
        stdio: 'pipe',
      });
    } catch (err) {
      status = (err as { status: number }).status;
    }
    expect(status).toBe(2);
  });
});

describe.skipIf(!linuxGlibc || !['x64', 'arm64'].includes(process.arch))(
  'the portable link recipe (native/compat/)',
  () => {
    let dir = '';
    let probe = '';

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'densely-glibc-'));
      probe = join(dir, 'glibc_probe.node');
      const nodeInclude = resolve(dirname(process.execPath), '..', 'include', 'node');
      const include = process.env.npm_config_nodedir
        ? join(process.env.npm_config_nodedir, 'include', 'node')
        : nodeInclude;
      if (!existsSync(join(include, 'node_api.h'))) throw new Error(`node_api.h not found in ${include}`);
      execFileSync(
        process.env.CXX || 'g++',
        [
          '-std=c++17',
          '-O2',
          '-fPIC',
          '-fvisibility=hidden',
          '-pthread',
          '-D_FILE_OFFSET_BITS=64',
          '-DNAPI_VERSION=8',
          `-I${include}`,
          '-shared',
          '-o',
          probe,
          join(__dirname, 'fixtures', 'glibc_probe.cc'),
          join(root, 'native', 'compat', 'glibc_compat.cc'),
          ...compat.ldflags(true),
        ],
        { stdio: 'pipe' },
      );
    }, 120_000);

    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('imports no glibc symbol newer than 2.17 and needs only glibc', () => {
      const elf = checker.parseElf(readFileSync(probe));
      expect(checker.check(elf, '2.17')).toEqual([]);
      expect(elf.needed.some((lib) => /libstdc\+\+|libgcc_s/.test(lib))).toBe(false);
    });

    it('exports only the Node-API entry points', () => {
      const out = execFileSync('readelf', ['--dyn-syms', '--wide', probe], { encoding: 'utf8' });
      const exported = out
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .filter((c) => c.length >= 8 && c[6] !== 'UND' && /^\d+$/.test(c[6] ?? '') && c[4] !== 'LOCAL')
        .map((c) => c[7]);
      expect(exported.sort()).toEqual(['napi_register_module_v1', 'node_api_module_get_api_version_v1']);
    });

    it('still works: exceptions, thread_local destructors, libm, memcpy, random_device', () => {
      const { probe: run } = requireHere(probe) as { probe(n: number): Record<string, number | string> };
      const r = run(4);
      expect(r.caught).toBe('thrown 4');
      expect(r.tlsDestroyed).toBe(4);
      expect(r.expf).toBeCloseTo(Math.exp(1), 6);
      expect(r.pow).toBeCloseTo(1.5 ** 4, 12);
      expect(r.memcpyOk).toBe(1);
      expect(Number.isInteger(r.random)).toBe(true);
      expect(r.shared).toBe(2);
    });

    it('survives a worker thread that used it exiting (thread_local destructors after Node closes the addon)', () => {
      const script = `
      const { Worker } = require('worker_threads');
      const file = ${JSON.stringify(probe)};
      const w = new Worker(\`require(\${JSON.stringify(file)}).probe(2); require('worker_threads').parentPort.postMessage('done');\`, { eval: true });
      w.on('message', (m) => console.log(m));
      w.on('exit', (code) => { console.log('exit ' + code); setTimeout(() => console.log('alive'), 50); });
    `;
      const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
      expect(out.trim().split('\n')).toEqual(['done', 'exit 0', 'alive']);
      const dynamic = execFileSync('readelf', ['--dynamic', probe], { encoding: 'utf8' });
      expect(dynamic).toMatch(/NODELETE/);
    });

    it('wraps each symbol once, and the list matches glibc_compat.cc', () => {
      const symbols = compat.wrappedSymbols();
      expect(new Set(symbols).size).toBe(symbols.length);
      const wraps = compat.ldflags(true).filter((f) => f.startsWith('-Wl,--wrap='));
      expect(wraps.map((f) => f.slice('-Wl,--wrap='.length))).toEqual(symbols);
      expect(compat.ldflags(false).some((f) => f.startsWith('-Wl,--wrap='))).toBe(false);
    });
  },
);
