import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: servers and Chromium in parallel files starve each other.
    maxWorkers: 2,
    passWithNoTests: false,
  },
});
