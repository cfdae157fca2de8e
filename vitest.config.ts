import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // finds (or installs) the browser tests' Chromium and the scale tests' nginx once, first
    globalSetup: ['test/studio/chromium-setup.ts', 'test/scale/nginx-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: servers and Chromium in parallel files starve each other.
    maxWorkers: 2,
    passWithNoTests: false,
  },
});
