import { defineConfig } from 'vitest/config';

// One runner for the repository. Each project is a kind of test with its own environment;
// `npm test` runs them all. Suites needing a system tool (Chromium, Java, PostgreSQL) find it
// through test/support/requirements.ts: skip with one line locally, fail under CI=true.
export default defineConfig({
    test: {
        reporters: ['default', './scripts/vitest-summary-reporter.ts'],
        pool: 'forks',
        testTimeout: 30_000,
        hookTimeout: 60_000,
        projects: [
            {
                extends: true,
                test: {
                    name: 'node',
                    environment: 'node',
                    include: [
                        'connector-service/src/**/*.test.ts',
                        'connector-service/test/**/*.test.ts',
                        'test/**/*.test.ts',
                        'scripts/**/*.test.ts'
                    ],
                    exclude: ['**/node_modules/**', 'force-app/**']
                }
            }
        ]
    }
});
