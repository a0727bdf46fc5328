import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests start real daemons and wait on them: generous per-test time, bounded everywhere.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    // Benchmarks print figures; they are not part of the suite.
    exclude: ['**/node_modules/**', 'test/**/*.bench.ts'],
    reporters: ['default'],
  },
});
