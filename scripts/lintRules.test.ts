// The lint rules that hold the architecture, proven both ways: each fires on a deliberate breach, and the tree as
// committed has none (so `npm test` enforces them, not only `npm run lint`).
import { ESLint } from 'eslint';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const eslint = new ESLint({ cwd: root });
/** Linting the whole tree takes 10–40 s on a shared machine: more than vitest's default test timeout. */
const TREE_SCAN_TIMEOUT_MS = 180_000;

async function messagesFor(code: string, file: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
    return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('time is injected', () => {
    const probes = [
        'export const at = Date.now();',
        'export const at = new Date();',
        'export const at = Date();',
        'export const at = performance.now();'
    ];

    it.each(probes)('refuses `%s` in the service', async (code) => {
        const messages = await messagesFor(code, 'connector-service/src/app/probe.ts');
        expect(messages.join('\n')).toMatch(/no-restricted-syntax: Take the time from the injected Clock/);
    });

    it('allows the clock module itself and dates built from a given instant', async () => {
        expect(await messagesFor('export const at = Date.now();', 'connector-service/src/clock.ts')).toEqual([]);
        expect(
            await messagesFor('export const at = (ms: number) => new Date(ms);', 'connector-service/src/app/probe.ts')
        ).toEqual([]);
    });

    it(
        'finds no wall-clock read in connector-service/src',
        async () => {
            const results = await eslint.lintFiles(['connector-service/src/**/*.ts']);
            const breaches = results.flatMap((r) =>
                r.messages
                    .filter((m) => m.ruleId === 'no-restricted-syntax')
                    .map((m) => `${path.relative(root, r.filePath)}:${m.line} ${m.message}`)
            );
            expect(breaches).toEqual([]);
        },
        TREE_SCAN_TIMEOUT_MS
    );
});

describe('the layering of the service', () => {
    const probes = [
        {
            what: 'fastify imported in app/',
            file: 'connector-service/src/app/probe.ts',
            code: "import Fastify from 'fastify';\nexport const app = Fastify();",
            message: /app\/ speaks to ports, never an SDK/
        },
        {
            what: 'the Pub/Sub client imported in app/',
            file: 'connector-service/src/app/probe.ts',
            code: "import PubSubApiClient from 'salesforce-pubsub-api-client';\nexport const client = PubSubApiClient;",
            message: /app\/ speaks to ports, never an SDK/
        },
        {
            what: 'prom-client imported in app/',
            file: 'connector-service/src/app/probe.ts',
            code: "import { Counter } from 'prom-client';\nexport const counter = Counter;",
            message: /app\/ speaks to ports, never an SDK/
        },
        {
            what: 'an adapter imported in app/',
            file: 'connector-service/src/app/probe.ts',
            code: "import { MemoryClm } from '../adapters/clm/memory/memoryClm.ts';\nexport const clm = MemoryClm;",
            message: /app\/ imports ports and the domain, never an adapter/
        },
        {
            what: 'the store adapter imported by the Salesforce adapter',
            file: 'connector-service/src/adapters/salesforce/probe.ts',
            code: "import { openSqliteStore } from '../store/sqlite/sqliteStore.ts';\nexport const open = openSqliteStore;",
            message: /Adapters never import across sides/
        },
        {
            what: 'the Salesforce adapter imported by a CLM adapter',
            file: 'connector-service/src/adapters/clm/ironclad/probe.ts',
            code: "import { JsforceSalesforce } from '../../salesforce/jsforceSalesforce.ts';\nexport const sf = JsforceSalesforce;",
            message: /Adapters never import across sides/
        },
        {
            what: 'a CLM adapter imported by the store adapter',
            file: 'connector-service/src/adapters/store/probe.ts',
            code: "import { MemoryClm } from '../../adapters/clm/memory/memoryClm.ts';\nexport const clm = MemoryClm;",
            message: /Adapters never import across sides/
        },
        {
            what: 'prom-client imported outside the metrics adapter',
            file: 'connector-service/src/adapters/http/probe.ts',
            code: "import { Counter } from 'prom-client';\nexport const counter = Counter;",
            message: /Only adapters\/metrics import the metrics/
        },
        {
            what: 'fastify imported outside the HTTP adapter',
            file: 'connector-service/src/adapters/salesforce/probe.ts',
            code: "import Fastify from 'fastify';\nexport const app = Fastify();",
            message: /Only adapters\/http import the HTTP server/
        },
        {
            what: "an emulator's sources imported by a deep relative path",
            file: 'connector-service/test/app/probe.test.ts',
            code: "import { startSalesforceEmulator } from '../../../test/emulators/salesforce/src/index.ts';\nexport const start = startSalesforceEmulator;",
            message: /Import the emulators through their workspace package/
        },
        {
            what: "an emulator's test helpers imported by a deep relative path from scripts",
            file: 'scripts/probe.ts',
            code: "import { connectAs } from '../test/emulators/salesforce/test/helpers.ts';\nexport const connect = connectAs;",
            message: /Import the emulators through their workspace package/
        }
    ];

    it.each(probes)('refuses $what', async ({ code, file, message }) => {
        expect((await messagesFor(code, file)).join('\n')).toMatch(message);
    });

    it('allows what the layering allows', async () => {
        const allowed = [
            {
                file: 'connector-service/src/app/probe.ts',
                code: "import type { StorePort } from '../ports/store.ts';\nexport type S = StorePort;"
            },
            {
                file: 'connector-service/src/adapters/salesforce/probe.ts',
                code: "import { select } from '../../domain/index.ts';\nexport const s = select;"
            },
            {
                file: 'connector-service/src/adapters/http/probe.ts',
                code: "import { newMetricsRegistry } from '../metrics/serviceMetrics.ts';\nexport const r = newMetricsRegistry;"
            },
            {
                file: 'connector-service/src/adapters/clm/ironclad/probe.ts',
                code: "import { HttpClient } from '../http.ts';\nexport const c = HttpClient;"
            },
            {
                file: 'connector-service/test/app/probe.test.ts',
                code: "import { startSalesforceEmulator } from '@clm/emulators/salesforce';\nexport const start = startSalesforceEmulator;"
            }
        ];
        for (const { code, file } of allowed) expect(await messagesFor(code, file), file).toEqual([]);
    });

    it(
        'finds no breach in connector-service, scripts and test/support',
        async () => {
            const results = await eslint.lintFiles([
                'connector-service/**/*.ts',
                'scripts/**/*.ts',
                'test/support/**/*.ts'
            ]);
            const breaches = results.flatMap((r) =>
                r.messages
                    .filter((m) => m.ruleId === 'no-restricted-imports')
                    .map((m) => `${path.relative(root, r.filePath)}:${m.line} ${m.message}`)
            );
            expect(breaches).toEqual([]);
        },
        TREE_SCAN_TIMEOUT_MS
    );
});
