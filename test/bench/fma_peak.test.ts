// The FMA peak probe (bench/native/fma_peak.cc) measures with the widest FMA the CPU and
// OS support: zmm on AVX-512, else ymm; `avx2` forces the narrower one.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BENCH = path.resolve(__dirname, '../../bench');
const tmp = mkdtempSync(path.join(tmpdir(), 'densely-fma-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('bench/native/fma_peak.cc', () => {
  it('measures with the widest FMA the CPU has (zmm where AVX-512F is there)', () => {
    const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
    const binary = path.join(tmp, 'fma_peak');
    const built = spawnSync(
      'g++',
      ['-O2', '-mavx2', '-mfma', '-pthread', '-o', binary, path.join(BENCH, 'native', 'fma_peak.cc')],
      { encoding: 'utf8' },
    );
    expect(built.status, built.stderr).toBe(0);
    const parse = (args: string[]): Record<string, unknown> => {
      const r = spawnSync(binary, args, { encoding: 'utf8' });
      return JSON.parse(
        r.stdout
          .split('\n')
          .find((l) => l.startsWith('@@RESULT '))!
          .slice(9),
      );
    };
    const widest = parse(['1', '1']);
    expect(widest.isa).toBe(/\bavx512f\b/.test(cpuinfo) ? 'avx512' : 'avx2');
    expect(widest.best).toBeGreaterThan(0);
    expect(parse(['1', '1', 'avx2']).isa).toBe('avx2');
  });
});
