// One flat config for the repository: a block per kind of code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layering of the service, one rule per line of it; scripts/lintRules.test.ts proves each fires on a breach.
// In a flat config the last block that sets a rule wins, so each block below states its whole list of patterns.

/** The emulators are a workspace package: never reached into by a relative path. */
const DEEP_EMULATOR = {
    group: [
        '**/test/emulators/**',
        '**/emulators/salesforce/src/**',
        '**/emulators/clm/src/**',
        '**/emulators/*/test/**'
    ],
    message: 'Import the emulators through their workspace package (@clm/emulators/salesforce, /clm).'
};

/** Each SDK and the only part of connector-service/src that may import it (the adapter it stands behind). */
const SDK_HOMES = [
    { sdk: ['fastify', '@fastify/*'], home: ['adapters/http'], what: 'the HTTP server (fastify)' },
    { sdk: ['prom-client'], home: ['adapters/metrics'], what: 'the metrics (prom-client)' },
    {
        sdk: ['salesforce-pubsub-api-client', '@grpc/*', 'avsc', 'jsforce', '@jsforce/*'],
        home: ['adapters/salesforce'],
        what: 'Salesforce (jsforce, the Pub/Sub client)'
    },
    { sdk: ['@salesforce/*'], home: ['adapters/salesforce', 'commands', 'plugin'], what: 'the sf CLI libraries' },
    { sdk: ['pg', 'better-sqlite3'], home: ['adapters/store'], what: 'the store drivers (pg, better-sqlite3)' }
];
const ALL_SDKS = [...SDK_HOMES.flatMap((home) => home.sdk), 'pino'];

/** The SDKs a part of the service may not import: those whose home it is not. */
const sdksOutside = (area) =>
    SDK_HOMES.filter((home) => !home.home.includes(area)).map((home) => ({
        group: home.sdk,
        message: `Only ${home.home.join(', ')} import ${home.what}: go through that adapter.`
    }));

const ADAPTER_SIDES = ['clm', 'salesforce', 'store'];
/** Another side's adapter, by any path that reaches it. */
const adapterPaths = (sides) =>
    sides.flatMap((side) => [`**/adapters/${side}/**`, `../${side}/**`, `../../${side}/**`, `../../../${side}/**`]);
const restrictImports = (...patterns) => ({
    'no-restricted-imports': ['error', { patterns: [DEEP_EMULATOR, ...patterns] }]
});

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
        // Tests and scripts reach the emulators through their package.
        files: ['connector-service/**/*.ts', 'scripts/**/*.ts', 'test/support/**/*.ts'],
        rules: restrictImports()
    },
    {
        // Each SDK is imported by the adapter it stands behind (the composition root, plugin and commands included).
        files: ['connector-service/src/**/*.ts'],
        ignores: ['connector-service/src/**/*.test.ts'],
        rules: restrictImports(...sdksOutside('root'))
    },
    ...['commands', 'plugin'].map((area) => ({
        files: [`connector-service/src/${area}/**/*.ts`],
        ignores: ['connector-service/src/**/*.test.ts'],
        rules: restrictImports(...sdksOutside(area))
    })),
    {
        // The application speaks to ports and the domain; SDKs and adapters are wired in by main.ts.
        files: ['connector-service/src/app/**/*.ts'],
        ignores: ['connector-service/src/**/*.test.ts'],
        rules: restrictImports(
            { group: ALL_SDKS, message: 'app/ speaks to ports, never an SDK: put it behind an adapter.' },
            { group: ['**/adapters/**'], message: 'app/ imports ports and the domain, never an adapter.' }
        )
    },
    // Adapters never import across sides (clm, salesforce, store): what two sides share lives in the ports or the
    // domain. The HTTP server serves the metrics adapter's registry; neither reaches into a side.
    ...[...ADAPTER_SIDES, 'http', 'metrics'].map((area) => ({
        files: [`connector-service/src/adapters/${area}/**/*.ts`],
        ignores: ['connector-service/src/**/*.test.ts'],
        rules: restrictImports(...sdksOutside(`adapters/${area}`), {
            group: adapterPaths([
                ...ADAPTER_SIDES.filter((side) => side !== area),
                ...(area === 'metrics' ? ['http'] : []),
                ...(ADAPTER_SIDES.includes(area) ? ['http', 'metrics'] : [])
            ]),
            message: 'Adapters never import across sides: share through the ports or the domain.'
        })
    })),
    {
        // The domain is pure: no I/O, no adapters, no process state.
        files: ['connector-service/src/domain/**/*.ts'],
        rules: {
            ...restrictImports(
                {
                    group: ['**/adapters/**', '**/app/**', '**/config/**'],
                    message: 'The domain imports no adapter.'
                },
                {
                    group: ['node:*', 'fs', 'http', 'https', 'net', 'child_process', ...ALL_SDKS],
                    message: 'The domain does no I/O.'
                }
            ),
            'no-restricted-globals': ['error', 'process', 'fetch', 'setTimeout', 'setInterval']
        }
    }
);
