import { defineConfig } from 'vitest/config';

// One shared set of backend tests, run once per backend (STYLE.md §5); each backend
// project sets DENSELY_TEST_BACKEND, which test/support/backend.ts reads.
//   js:      test/api + test/parity on the js backend, plus the js backend's own unit tests
//   native:  the same shared files on the native backend, plus the native-only boundary
//            tests (busy guard, GC during async work, bad arrays, workers)
//   common:  backend-independent suites, run once (finite differences of the float64
//            reference, build-file drift, the bench's target table, the CLI driven as a
//            child process, packaging)
//   native-<set>: the native parity suite again with the addon pinned to one x86-64
//            kernel set (DENSELY_ISA), so every set the CPU supports is checked against
//            the reference and js; on a CPU without the set its suites are reported as
//            skipped, "skipped: CPU has no <set>" in their names (test/support/isa_leg.ts).
//            'native' itself runs the best set (neon on arm64). Only test/parity: the
//            api and boundary suites do not depend on the kernel set.
const backendShared = [
  'test/api/**/*.test.ts',
  'test/parity/**/*.test.ts',
  'test/jobs/**/*.test.ts',
  'test/interop/**/*.test.ts',
  'test/dataset/**/*.test.ts',
];
const isaLegs = ['avx512', 'avx2', 'sse2', 'scalar'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // global.gc for the GC tests (vitest takes execArgv from the root poolOptions only).
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
    projects: [
      {
        extends: true,
        test: {
          name: 'js',
          include: [...backendShared, 'test/backend/js/**/*.test.ts'],
          // js ↔ native side by side: needs the addon, so it runs in 'native' only.
          exclude: [
            'test/parity/backend_parity.test.ts',
            'test/parity/loss_backend_parity.test.ts',
            'test/parity/clip_reg_parity.test.ts',
          ],
          env: { DENSELY_TEST_BACKEND: 'js' },
        },
      },
      {
        extends: true,
        test: {
          name: 'native',
          include: [...backendShared, 'test/boundary/**/*.test.ts'],
          env: { DENSELY_TEST_BACKEND: 'native' },
          pool: 'forks',
        },
      },
      ...isaLegs.map((isa) => ({
        extends: true as const,
        test: {
          name: `native-${isa}`,
          include: ['test/parity/**/*.test.ts'],
          env: { DENSELY_TEST_BACKEND: 'native', DENSELY_ISA: isa, DENSELY_TEST_ISA: isa },
          pool: 'forks' as const,
        },
      })),
      {
        extends: true,
        test: {
          name: 'common',
          include: [
            'test/gradients/**/*.test.ts',
            'test/build/**/*.test.ts',
            'test/bench/**/*.test.ts',
            'test/cli/**/*.test.ts',
            'test/package/**/*.test.ts',
          ],
          env: { DENSELY_TEST_BACKEND: 'js' },
        },
      },
    ],
  },
});
