import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { include: ['scripts/bench/**/*.ts'], environment: 'node', testTimeout: 300_000, hookTimeout: 120_000 },
});
