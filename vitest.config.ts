import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Browser tests share one built renderer and Chromium; keep files in one worker pool.
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
