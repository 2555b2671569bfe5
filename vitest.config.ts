import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Protocol tests run real crypto and UDP sockets; keep them in worker threads, two at a time (2 cores).
    pool: 'threads',
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
