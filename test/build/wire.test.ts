// Drift checks for the TS ↔ C++ wire (native/binding/wire.json): the generated
// native/binding/wire.h and lib/backend/native/wire.ts must be what scripts/gen-wire.cjs
// writes from it, and neither side may index a record by a bare number.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { epochStatus } from '../../lib/backend/native/index';
import {
  MAX_LAYERS,
  MAX_PARAMS,
  MAX_SEED,
  MAX_SIZE,
  MAX_THREADS,
  WIRE_ACTIVATION,
  WIRE_EPOCH_STATUS,
  WIRE_LOSS,
  WIRE_OPTIMIZER,
} from '../../lib/backend/native/wire';
import { ACTIVATIONS, MAX_WIDTH } from '../../lib/layers/dense';
import { MAX_LAYERS as FACADE_MAX_LAYERS } from '../../lib/layers/plan';
import { setThreads } from '../../lib/runtime';
import { LOSSES } from '../../lib/losses';
import { OPTIMIZER_NAMES } from '../../lib/optimizers/index';
import { MAX_ELEMENTS } from '../../lib/validate';

const root = join(__dirname, '..', '..');
const gen = createRequire(__filename)(join(root, 'scripts', 'gen-wire.cjs')) as {
  render(wire: unknown): { cpp: string; ts: string };
  jsonPath: string;
  outputs: { cpp: string; ts: string };
};

describe('native/binding/wire.json', () => {
  it('generates the checked-in wire.h and wire.ts', () => {
    const text = gen.render(JSON.parse(readFileSync(gen.jsonPath, 'utf8')));
    expect(readFileSync(gen.outputs.cpp, 'utf8'), 'run node scripts/gen-wire.cjs').toBe(text.cpp);
    expect(readFileSync(gen.outputs.ts, 'utf8'), 'run node scripts/gen-wire.cjs').toBe(text.ts);
  });

  it('passes gen-wire --check', () => {
    expect(() => execFileSync(process.execPath, [join(root, 'scripts', 'gen-wire.cjs'), '--check'], { cwd: root, stdio: 'pipe' })).not.toThrow();
  });

  it('rejects a record with a slot listed twice', () => {
    expect(() => gen.render({ records: { r: { doc: '', slots: ['a', 'a'] } } })).toThrow(/listed twice/);
  });

  it('leaves no record indexed by a bare number in the binding or the native backend', () => {
    const files = [
      ...readdirSync(join(root, 'native', 'binding'))
        .filter((f) => f.endsWith('.cc'))
        .map((f) => join(root, 'native', 'binding', f)),
      join(root, 'lib', 'backend', 'native', 'index.ts'),
    ];
    const offenders = files.flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .filter((line) => /\b(v|l|o|r|out|packed)\[\d+\]/.test(line))
        .map((line) => `${f}: ${line.trim()}`),
    );
    expect(offenders).toEqual([]);
  });
});

describe('wire codes', () => {
  it('name every activation, loss and optimizer of the facade, and nothing else', () => {
    // The generated wire.ts is the one table of codes; the facade's name lists must be its keys.
    expect(Object.keys(WIRE_ACTIVATION).sort()).toEqual([...ACTIVATIONS].sort());
    expect(Object.keys(WIRE_LOSS).sort()).toEqual([...LOSSES].sort());
    expect(Object.keys(WIRE_OPTIMIZER).sort()).toEqual([...OPTIMIZER_NAMES].sort());
  });

  it('are parsed into their own enum class by the binding, checked against the core enums', () => {
    const codes = readFileSync(join(root, 'native', 'binding', 'codes.h'), 'utf8');
    const wire = JSON.parse(readFileSync(gen.jsonPath, 'utf8')) as { codes: Record<string, { names: string[] }> };
    for (const [kind, { names }] of Object.entries(wire.codes)) {
      const type = `Wire${kind[0]!.toUpperCase()}${kind.slice(1)}`;
      for (const n of names) {
        const value = `wire::${type}::k${n[0]!.toUpperCase()}${n.slice(1)}`;
        expect(codes, `codes.h checks ${value}`).toMatch(new RegExp(`DENSELY_SAME_CODE\\(${value.replace(/:/g, '\\:')},`));
      }
      expect(codes, `codes.h checks the count of ${type}`).toContain(`kWire${type.slice(4)}Count == ${names.length}`);
    }
  });
});

describe('wire limits', () => {
  it('agree with the facade checks that keep every spec within them', () => {
    expect(MAX_ELEMENTS).toBe(MAX_PARAMS);
    expect(FACADE_MAX_LAYERS).toBe(MAX_LAYERS);
    expect(MAX_WIDTH).toBeLessThanOrEqual(MAX_SIZE);
    expect(MAX_SEED).toBe(2 ** 32 - 1);
    expect(() => setThreads(MAX_THREADS + 1)).toThrow(RangeError);
  });

  it('are the only spelling of their values in the binding and the native backend', () => {
    const files = [
      ...readdirSync(join(root, 'native', 'binding'))
        .filter((f) => /\.(cc|h)$/.test(f) && f !== 'wire.h')
        .map((f) => join(root, 'native', 'binding', f)),
      ...readdirSync(join(root, 'lib', 'backend', 'native'))
        .filter((f) => f.endsWith('.ts') && f !== 'wire.ts')
        .map((f) => join(root, 'lib', 'backend', 'native', f)),
    ];
    const spelled = /\b(4294967295|1099511627776|1e6|1_?000_?000|1024)\b|<<\s*40\b|\*\*\s*(32|40)\b/;
    const offenders = files.flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .filter((line) => spelled.test(line))
        .map((line) => `${f}: ${line.trim()}`),
    );
    expect(offenders).toEqual([]);
  });
});

describe('epochResult.status', () => {
  it('maps every code the binding resolves with', () => {
    expect(epochStatus(WIRE_EPOCH_STATUS.done)).toBe('done');
    expect(epochStatus(WIRE_EPOCH_STATUS.aborted)).toBe('aborted');
    expect(epochStatus(WIRE_EPOCH_STATUS.nonfinite)).toBe('nonfinite');
  });

  it('is an internal error for any other code, never done', () => {
    for (const code of [WIRE_EPOCH_STATUS.badIndex, 4, 255, -1, 0.5, NaN]) {
      let err: unknown;
      try {
        epochStatus(code);
      } catch (e) {
        err = e;
      }
      expect(err, `code ${code}`).toBeInstanceOf(TypeError);
      expect((err as { code?: string }).code).toBe('DENSELY_INTERNAL');
      expect((err as Error).message).toMatch(/^densely internal error: unknown epoch status/);
    }
  });
});
