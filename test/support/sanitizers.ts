/**
 * Whether this process runs the addon under AddressSanitizer (`npm run test:asan`
 * preloads libasan into Node, and child processes inherit LD_PRELOAD). ASan's allocator
 * and shadow memory add a few hundred MB of resident memory to any process, so memory
 * bounds meant for a plain build get {@link ASAN_EXTRA_RSS_MB} more there — still far
 * below the GB-sized allocations those bounds exist to catch.
 */
export const UNDER_ASAN = /libasan/.test(process.env.LD_PRELOAD ?? '');

/** Resident memory ASan adds to a Node process (measured 250–370 MB peak for small loads). */
export const ASAN_EXTRA_RSS_MB = 512;

/** A peak-RSS bound in MB: `plainMB` for a plain build, plus ASan's overhead under ASan. */
export function rssBoundMB(plainMB: number): number {
  return UNDER_ASAN ? plainMB + ASAN_EXTRA_RSS_MB : plainMB;
}
