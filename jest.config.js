// The one test configuration for every workspace. The design names this file jest.config.js; the runner is vitest
// (`vitest run --config jest.config.js`), and there is no jest dependency.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{shared,connectors,functions,infra,frontend}/**/*.test.{ts,tsx}'],
    exclude: ['**/node_modules/**', '**/cdk.out/**', '**/dist/**'],
    // One embedded PostgreSQL for the whole run; each test file gets its own database cloned from a migrated template.
    globalSetup: ['shared/src/testing/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // the JSON report is what .ci/run counts passed and failed tests from
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/vitest.json' },
  },
});
