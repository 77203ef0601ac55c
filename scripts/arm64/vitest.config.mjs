// Vitest config for the linux-arm64 run under qemu (scripts/arm64/test.sh). It runs
// with the arm64 tool copies in .cache/arm64-tools (vitest + vite 6, whose esbuild and
// rollup binaries are arm64: the root's vite 7 needs Node >= 20.19 and Debian's arm64
// Node is 18), on the repository's own test files, native backend only.
// `vitest` imported by a test file resolves to that same copy (one runner instance).
// esbuild runs as a child process, so test.sh points ESBUILD_BINARY_PATH at the x86-64
// esbuild binary of the same version (the host runs it natively).

import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const tools = process.env.DENSELY_ARM64_TOOLS || path.join(root, '.cache', 'arm64-tools');

// A plain object (not defineConfig from 'vitest/config'): importing vitest from here
// would resolve the root's copy, whose vite 7 and rollup are x86-64 / Node 20 only.
export default {
  root,
  resolve: {
    alias: [{ find: /^vitest$/, replacement: path.join(tools, 'node_modules', 'vitest', 'dist', 'index.js') }],
  },
  test: {
    root,
    include: (process.env.DENSELY_ARM64_TESTS || 'test/parity/**/*.test.ts').split(','),
    env: { DENSELY_TEST_BACKEND: 'native' },
    // Worker threads, not child processes: a child would be an arm64 executable that
    // the x86-64 kernel cannot start without a binfmt_misc registration of qemu.
    pool: 'threads',
    poolOptions: { threads: { singleThread: true } },
    // Emulation runs 10-50x slower than the host.
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
};
