import { defineConfig } from 'vitest/config';
import lwc from 'vite-plugin-lwc';
import { salesforceScopedModules, unitTestModules } from './test/preview/lwcModules.ts';

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
            },
            {
                // The package's Lightning Web Components, compiled by the LWC compiler, in jsdom with
                // the sfdx-lwc-jest lightning stubs and our platform mocks (force-app/test/jest-mocks).
                extends: true,
                plugins: [
                    salesforceScopedModules(),
                    lwc({
                        modules: unitTestModules(),
                        rootDir: import.meta.dirname,
                        exclude: ['**/*.test.js', '**/*.ts', '**/*.json', '**/test/lwc/**']
                    })
                ],
                test: {
                    name: 'lwc',
                    environment: 'jsdom',
                    setupFiles: ['./vitest.setup.lwc.ts'],
                    include: ['force-app/**/__tests__/**/*.test.js']
                }
            }
        ]
    }
});
