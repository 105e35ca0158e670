// One flat config for the repository: a block per kind of code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
    { ignores: ['**/node_modules/**', '**/lib/**', '**/dist/**', '.tmp/**', 'test-results/**', 'force-app/**/lwc/**'] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        files: ['**/*.ts'],
        rules: {
            '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
            '@typescript-eslint/consistent-type-imports': 'error'
        }
    },
    {
        // LWC test doubles run under vitest with `jest` aliased to `vi` (vitest.setup.lwc).
        files: ['force-app/test/jest-mocks/**/*.js'],
        languageOptions: { globals: { jest: 'readonly', CustomEvent: 'readonly' } }
    },
    {
        // Time is injected: the service reads the wall clock only through src/clock.ts, so a test that fixes or
        // moves the clock does so for every part at once.
        files: ['connector-service/src/**/*.ts'],
        ignores: ['connector-service/src/clock.ts', 'connector-service/src/**/*.test.ts'],
        rules: {
            'no-restricted-syntax': [
                'error',
                {
                    selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
                    message: 'Take the time from the injected Clock (src/clock.ts), not Date.now().'
                },
                {
                    selector: "NewExpression[callee.name='Date'][arguments.length=0]",
                    message: 'Take the time from the injected Clock (src/clock.ts), not new Date().'
                },
                {
                    selector: "CallExpression[callee.name='Date']",
                    message: 'Take the time from the injected Clock (src/clock.ts), not Date().'
                },
                {
                    selector: "MemberExpression[object.name='performance'][property.name='now']",
                    message: 'Take the time from the injected Clock (src/clock.ts), not performance.now().'
                }
            ]
        }
    },
    {
        // The domain is pure: no I/O, no adapters, no process state.
        files: ['connector-service/src/domain/**/*.ts'],
        rules: {
            'no-restricted-imports': [
                'error',
                {
                    patterns: [
                        {
                            group: ['**/adapters/**', '**/app/**', '**/config/**'],
                            message: 'The domain imports no adapter.'
                        },
                        {
                            group: ['node:*', 'fs', 'http', 'https', 'net', 'child_process'],
                            message: 'The domain does no I/O.'
                        }
                    ]
                }
            ],
            'no-restricted-globals': ['error', 'process', 'fetch', 'setTimeout', 'setInterval']
        }
    }
);
