/**
 * `npm run test:unit`: the tests that need no model, no server and no database, in seconds.
 * Every other test runs with `npm test` (vitest.config.ts), which includes these too.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    setupFiles: ['tests/setup.ts'],
    exclude: [
      '**/*.e2e.test.ts', // the real server
      'tests/answer.test.ts', // the real model
      'tests/ingest.test.ts',
      'tests/safety.test.ts',
      'tests/embeddingCache.test.ts',
      'tests/store.contract.test.ts', // PostgreSQL through PGlite
    ],
  },
});
