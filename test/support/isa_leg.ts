/**
 * Per-kernel-set legs of the native parity suite. The vitest projects `native-avx512`,
 * `native-avx2`, `native-sse2` and `native-scalar` (vitest.config.ts) run test/parity
 * with DENSELY_ISA (which the addon reads once, when it loads) and DENSELY_TEST_ISA set
 * to their set. On a CPU without that set the leg's suites are reported as skipped, with
 * "skipped: CPU has no <set>" in their names, never as passed; on a CPU with it, a leg
 * that runs any other set fails.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { backendInfo } from '../../lib/index';

/** The kernel set this project's leg pins, or undefined in the plain projects. */
export const LEG_ISA: string | undefined = process.env.DENSELY_TEST_ISA || undefined;

/** The /proc/cpuinfo flags each x86-64 set needs (runtime/cpu.cc checks the same bits). */
const CPU_FLAGS: Record<string, readonly string[]> = {
  scalar: [],
  sse2: ['sse2'],
  avx2: ['avx', 'avx2', 'fma'],
  avx512: ['avx512f', 'avx512dq', 'avx512bw', 'avx512vl'],
};

/** Whether this CPU has a set, from Linux's /proc/cpuinfo (which drops the flags the OS does not enable); undefined where it cannot tell. */
function cpuHas(isa: string): boolean | undefined {
  const need = CPU_FLAGS[isa];
  if (!need) return undefined;
  if (need.length === 0) return true;
  let text: string;
  try {
    text = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return undefined;
  }
  const line = text.split('\n').find((l) => l.startsWith('flags'));
  if (!line) return false; // not an x86 CPU
  const flags = new Set(
    line
      .slice(line.indexOf(':') + 1)
      .trim()
      .split(/\s+/),
  );
  return need.every((f) => flags.has(f));
}

/**
 * Why this leg cannot run on this host, or undefined when it can (and outside a leg). A
 * leg whose addon did not load, or that runs another set on a CPU that has its own, is
 * not skipped: its suites run and {@link itRunsOnLegIsa} fails.
 */
export function legSkipReason(): string | undefined {
  if (!LEG_ISA) return undefined;
  const info = backendInfo();
  if (!info.native || info.isa === LEG_ISA) return undefined;
  if (cpuHas(LEG_ISA) === true) return undefined;
  return `skipped: CPU has no ${LEG_ISA} (the addon chose ${info.isa})`;
}

/** `describe`, with the leg's set in the name; `describe.skip` naming why where the CPU lacks it. */
export function describeLeg(name: string, fn: () => void): void {
  const why = legSkipReason();
  if (why) describe.skip(`${name} — ${why}`, fn);
  else describe(LEG_ISA ? `${name} [${LEG_ISA}]` : name, fn);
}

/** In a leg that runs: a test that the native backend really runs the pinned set. */
export function itRunsOnLegIsa(): void {
  if (!LEG_ISA || legSkipReason()) return;
  it(`the native backend runs the ${LEG_ISA} kernel set`, () => {
    const info = backendInfo();
    expect(info.native, info.reason).toBe(true);
    expect(info.isa).toBe(LEG_ISA);
  });
}
