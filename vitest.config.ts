import { defineConfig } from 'vitest/config';

// One shared set of test files, run once per backend (STYLE.md §5). Each project sets
// DENSELY_TEST_BACKEND; test/support/backend.ts reads it.
const shared = ['test/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
    projects: [
      {
        test: {
          name: 'js',
          include: shared,
          exclude: ['test/boundary/**', 'test/native/**'],
          env: { DENSELY_TEST_BACKEND: 'js' },
        },
      },
      {
        // The same shared files on the native backend, plus the native-only boundary
        // tests (busy guard, GC during async work, bad arrays, workers); they use
        // global.gc, from the root poolOptions above (vitest takes execArgv there only).
        extends: true,
        test: {
          name: 'native',
          include: shared,
          exclude: ['test/native/**'],
          env: { DENSELY_TEST_BACKEND: 'native' },
          pool: 'forks',
        },
      },
    ],
  },
});
