import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['core/**/*.test.ts', 'connectors/**/*.test.ts', 'api/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['node_modules/**', 'api/dashboard/**/node_modules/**'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: keep the number of forks small so that real peers (Redis, Kamailio, slapd) get CPU.
    pool: 'forks',
    maxWorkers: 2,
  },
});
