import { defineConfig } from 'vitest/config';

// One shared set of test files, run once per backend (STYLE.md §5). Each project sets
// DENSELY_TEST_BACKEND; test/support/backend.ts reads it.
const shared = ['test/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        test: {
          name: 'js',
          include: shared,
          exclude: ['test/boundary/**', 'test/native/**'],
          env: { DENSELY_TEST_BACKEND: 'js' },
        },
      },
    ],
  },
});
