/**
 * Seeded test data, independent of `lib/random.ts` so that a bug there cannot hide
 * itself in the data the tests draw. A 32-bit counter hashed by a splitmix-style
 * finaliser; uniform values carry 32 random bits (plenty for test inputs).
 */
export class TestRng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Next uint32. */
  u32(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return (z ^ (z >>> 14)) >>> 0;
  }

  /** Uniform in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    return lo + ((hi - lo) * this.u32()) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform(0, n));
  }

  /** +1 or -1 with equal probability. */
  sign(): number {
    return this.u32() & 1 ? 1 : -1;
  }

  /** Standard normal (Box–Muller; u1 is kept away from 0). */
  normal(): number {
    const u1 = (this.u32() + 1) / 4294967297;
    const u2 = this.u32() / 4294967296;
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** `n` uniforms in [lo, hi) as float64. */
  uniformArray(n: number, lo = -1, hi = 1): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.uniform(lo, hi);
    return out;
  }

  /** `n` uniforms in [lo, hi), rounded to float32. */
  float32Array(n: number, lo = -1, hi = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.uniform(lo, hi);
    return out;
  }

  /** A probability distribution over `n` classes (every entry ≥ 0.05 / n). */
  distribution(n: number): Float64Array {
    const out = new Float64Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      out[i] = this.uniform(0.05, 1);
      sum += out[i]!;
    }
    for (let i = 0; i < n; i++) out[i]! /= sum;
    return out;
  }
}
