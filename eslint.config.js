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
