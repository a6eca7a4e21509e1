import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // No response body may carry an index path or a stack frame (tests/noLeak.ts).
    setupFiles: ['tests/setup.ts'],
    // onnxruntime and hnswlib are native addons: separate processes are the safe pool for them.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
