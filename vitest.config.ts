// Test runner settings. In CI (CI=true) a JSON report is written too, so .ci/run can print one
// plain "N passed, N failed" line whatever the runner's own output looks like.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: 'artifacts/vitest-results.json' },
  },
});
