/**
 * The one seeded randomness of densely: initial weights, shuffling and dropout.
 *
 * - {@link Rng} is a sequential generator (xoshiro128**, 32-bit state words, Blackman &
 *   Vigna 2018) seeded through splitmix32. It runs in TypeScript only: initial weights
 *   and batch orders are drawn here and handed to whichever backend runs, so js and
 *   native train on the same numbers.
 * - Dropout masks are counter-based ({@link dropoutStepSeed}, {@link dropoutKeep}):
 *   a pure function of (network seed, step, layer, element), so the native core
 *   computes the very same mask with the same 32-bit integer arithmetic
 *   (`native/core/network/random.h` mirrors this file) and in any thread order.
 */

/** 32-bit finaliser (the "lowbias32" integer hash, avalanche-tested constants). */
export function mix32(x: number): number {
  x = x >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

const GOLDEN = 0x9e3779b9;

/** Seed for the dropout masks of one training step (uint32). */
export function dropoutStepSeed(seed: number, step: number): number {
  // step may exceed 2^32 in theory; fold the high part in so long runs never repeat early.
  const lo = step >>> 0;
  const hi = Math.floor(step / 4294967296) >>> 0;
  return mix32((mix32((seed ^ Math.imul(hi, 0x85ebca6b)) >>> 0) + Math.imul(lo, GOLDEN)) >>> 0);
}

/** Seed of one dropout layer within a step: `layer` is the index in `ModelSpec.layers`. */
export function dropoutLayerSeed(stepSeed: number, layer: number): number {
  return mix32((stepSeed ^ Math.imul(layer + 1, 0xc2b2ae35)) >>> 0);
}

/**
 * Whether element `index` (row × units + col) survives. The uint32 hash is compared with
 * `threshold = dropoutThreshold(rate)`: kept iff hash ≥ threshold, so P(keep) = 1 − rate.
 */
export function dropoutKeep(layerSeed: number, index: number, threshold: number): boolean {
  return mix32((layerSeed + Math.imul(index, GOLDEN)) >>> 0) >= threshold;
}

/** uint32 threshold for a drop rate in [0, 1): floor(rate · 2^32). */
export function dropoutThreshold(rate: number): number {
  return Math.min(4294967295, Math.floor(rate * 4294967296));
}

/** Sequential PRNG: xoshiro128** seeded by splitmix32. */
export class Rng {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;
  #spare = NaN;

  constructor(seed: number) {
    let z = seed >>> 0;
    const next = (): number => {
      z = (z + GOLDEN) >>> 0;
      return mix32(z);
    };
    this.#s0 = next();
    this.#s1 = next();
    this.#s2 = next();
    this.#s3 = next();
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  /**
   * The generator's state, for checkpoints: the four xoshiro128** words (uint32) and the
   * normal draw kept for the next `nextNormal` (null when none).
   */
  getState(): { words: [number, number, number, number]; spare: number | null } {
    return {
      words: [this.#s0, this.#s1, this.#s2, this.#s3],
      spare: Number.isNaN(this.#spare) ? null : this.#spare,
    };
  }

  /** Restores a state from {@link Rng.getState} (the words uint32, not all zero; not checked here). */
  setState(state: { words: readonly number[]; spare: number | null }): void {
    [this.#s0, this.#s1, this.#s2, this.#s3] = state.words.map((w) => w >>> 0) as [number, number, number, number];
    this.#spare = state.spare === null ? NaN : state.spare;
  }

  /** Next uint32. */
  nextU32(): number {
    const s1 = this.#s1;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    this.#s0 >>>= 0;
    this.#s1 >>>= 0;
    this.#s2 >>>= 0;
    return r;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /**
   * Uniform integer in [0, n) without bias (n ≤ 2^32): Lemire's multiply-shift with
   * rejection (exact in float64 while n < 2^21), else modulo with rejection.
   */
  nextInt(n: number): number {
    if (n <= 1) return 0;
    for (;;) {
      const r = this.nextU32();
      if (n < 2097152) {
        const m = r * n;
        const hi = Math.floor(m / 4294967296);
        const lo = m - hi * 4294967296;
        if (lo >= n || lo >= (4294967296 - n) % n) return hi;
      } else if (r < 4294967296 - (4294967296 % n)) {
        return r % n;
      }
    }
  }

  /** Standard normal (Marsaglia polar method; the second value is kept for the next call). */
  nextNormal(): number {
    if (!Number.isNaN(this.#spare)) {
      const v = this.#spare;
      this.#spare = NaN;
      return v;
    }
    for (;;) {
      const u = 2 * this.nextFloat() - 1;
      const v = 2 * this.nextFloat() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const f = Math.sqrt((-2 * Math.log(s)) / s);
        this.#spare = v * f;
        return u * f;
      }
    }
  }

  /**
   * Fisher–Yates shuffle in place: draws exactly as `nextInt(i + 1)` for i from the end,
   * so the order is the one a loop of `nextInt` calls would give.
   *
   * It runs in blocks of 4096 positions, one call each, so V8 optimises the loop within
   * the first call. Each block keeps the generator in int32 locals (`| 0`). The fields
   * hold uint32, and any value ≥ 2^31 is a heap number to V8, which makes the
   * field-based `nextU32` loop allocate on every draw. This way the shuffle costs a few
   * ns per row instead of ~60.
   */
  shuffle(a: Int32Array): Int32Array {
    for (let top = a.length - 1; top > 0; top -= 4096) this.#shuffleDown(a, top, Math.max(0, top - 4096));
    return a;
  }

  /**
   * {@link shuffle} in steps, one block of 4096 positions per step (the same draws, so the
   * same order and the same generator state at the end): for a caller that spreads a large
   * shuffle over several turns of the event loop (fit, lib/staging.ts).
   */
  *shuffleSteps(a: Int32Array): Generator<void, Int32Array, void> {
    for (let top = a.length - 1; top > 0; top -= 4096) {
      this.#shuffleDown(a, top, Math.max(0, top - 4096));
      yield;
    }
    return a;
  }

  #shuffleDown(a: Int32Array, top: number, bottom: number): void {
    if (top + 1 >= 2097152) {
      // Beyond Lemire's exact float64 range: the general nextInt.
      for (let i = top; i > bottom; i--) {
        const j = this.nextInt(i + 1);
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
      }
      return;
    }
    let s0 = this.#s0 | 0;
    let s1 = this.#s1 | 0;
    let s2 = this.#s2 | 0;
    let s3 = this.#s3 | 0;
    for (let i = top; i > bottom; i--) {
      const n = i + 1;
      let j = 0;
      for (;;) {
        // xoshiro128** (nextU32), in int32 arithmetic.
        const m5 = Math.imul(s1, 5);
        const r = Math.imul((m5 << 7) | (m5 >>> 25), 9) >>> 0;
        const t = s1 << 9;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = (s3 << 11) | (s3 >>> 21);
        // Lemire's multiply-shift with rejection (nextInt, n < 2^21).
        const prod = r * n;
        const hi = Math.floor(prod / 4294967296);
        const lo = prod - hi * 4294967296;
        if (lo >= n || lo >= (4294967296 - n) % n) {
          j = hi;
          break;
        }
      }
      const v = a[i]!;
      a[i] = a[j]!;
      a[j] = v;
    }
    this.#s0 = s0 >>> 0;
    this.#s1 = s1 >>> 0;
    this.#s2 = s2 >>> 0;
    this.#s3 = s3 >>> 0;
  }

  /** A fresh generator derived from this one (for independent streams: init vs shuffle). */
  fork(): Rng {
    return new Rng(this.nextU32());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
