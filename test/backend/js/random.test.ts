import { describe, expect, it } from 'vitest';
import { Rng } from '../../../lib/random';

/** xoshiro128** on BigInt words: an independent statement of the generator. */
function referenceWords(state: bigint[], count: number): number[] {
  const M = 0xffffffffn;
  const rotl = (x: bigint, k: bigint): bigint => ((x << k) | (x >> (32n - k))) & M;
  const s = [...state];
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(Number((rotl((s[1]! * 5n) & M, 7n) * 9n) & M));
    const t = (s[1]! << 9n) & M;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11n);
  }
  return out;
}

/** splitmix32-style seeding as Rng's constructor states it (golden-ratio counter, lowbias32). */
function referenceState(seed: number): bigint[] {
  const mix = (x: number): number => {
    x ^= x >>> 16;
    x = Math.imul(x, 0x7feb352d);
    x ^= x >>> 15;
    x = Math.imul(x, 0x846ca68b);
    x ^= x >>> 16;
    return x >>> 0;
  };
  let z = seed >>> 0;
  return [0, 1, 2, 3].map(() => {
    z = (z + 0x9e3779b9) >>> 0;
    return BigInt(mix(z));
  });
}

/** Fisher–Yates as the plain loop of nextInt draws that Rng.shuffle promises to equal. */
function loopShuffle(rng: Rng, n: number): Int32Array {
  const a = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

describe('Rng', () => {
  it('nextU32 is xoshiro128** (checked against a BigInt statement of it)', () => {
    for (const seed of [0, 1, 42, 0xdeadbeef]) {
      const rng = new Rng(seed);
      const got = Array.from({ length: 1000 }, () => rng.nextU32());
      expect(got).toEqual(referenceWords(referenceState(seed), 1000));
    }
  });

  it('shuffle draws exactly what a loop of nextInt(i + 1) draws, across its block edges', () => {
    for (const n of [0, 1, 2, 3, 17, 4095, 4096, 4097, 4098, 8193, 50_000]) {
      const a = new Rng(7 + n);
      const b = new Rng(7 + n);
      const got = a.shuffle(Int32Array.from({ length: n }, (_, i) => i));
      expect(Array.from(got)).toEqual(Array.from(loopShuffle(b, n)));
      // The generator's state after the shuffle is the loop's too.
      expect([a.nextU32(), a.nextU32(), a.nextU32()]).toEqual([b.nextU32(), b.nextU32(), b.nextU32()]);
    }
  });

  it('shuffle takes the general draw beyond 2^21 rows and stays a permutation', () => {
    const n = 2_097_152 + 3;
    const a = new Rng(5).shuffle(Int32Array.from({ length: n }, (_, i) => i));
    const b = loopShuffle(new Rng(5), n);
    expect(a.every((v, i) => v === b[i])).toBe(true);
    const seen = new Uint8Array(n);
    for (const v of a) seen[v] = 1;
    expect(seen.every((v) => v === 1)).toBe(true);
  });

  it('nextInt is unbiased enough to pass a chi-square test over 7 buckets', () => {
    const rng = new Rng(3);
    const counts = new Array<number>(7).fill(0);
    const draws = 70_000;
    for (let i = 0; i < draws; i++) counts[rng.nextInt(7)]!++;
    const e = draws / 7;
    const chi2 = counts.reduce((s, c) => s + ((c - e) * (c - e)) / e, 0);
    expect(chi2).toBeLessThan(22.46); // p = 0.001 for 6 degrees of freedom
  });
});
