// Hostile and malformed requests to the connector's server answer 4xx with a stable code, never a 500 carrying an
// internal message; /readyz turns 503 CLM_UNREACHABLE while the CLM stops answering and green again when it does.
// The service runs with the SQLite store and an Ironclad adapter over a scripted fetch that can be taken down
// (nothing leaves the process); the work loop is idle (an engine with nothing to do): this suite is about HTTP.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';
import type { StorePort } from '../../src/ports/store.ts';
import type { ClmPort } from '../../src/ports/clm.ts';
import { ConnectorService } from '../../src/adapters/http/connectorService.ts';
import { ClmReachability } from '../../src/app/clmReachability.ts';
import { json, ManualClock, scriptedFetch, scriptedIronclad } from '../clm/fakes.ts';

const ORG = '00D000000000001AAA';
const TOKEN = 'hostile-admin-token';
const clock = new ManualClock();
const errors: Record<string, unknown>[] = [];
let clmDown = false;
let dir: string;
let store: StorePort;
let clm: ClmPort;
let service: ConnectorService;

const idleEngine = {
    processInbox: async () => 0,
    dispatchOutbox: async () => 0,
    isSlowed: () => false,
    isPaused: () => false
};

beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'clm-hostile-'));
    store = await openSqliteStore({ file: path.join(dir, 'store.db'), clock });
    const { fetch } = scriptedFetch((call) => {
        if (clmDown) throw new TypeError('fetch failed');
        if (call.url.pathname === '/oauth/token')
            return json({ access_token: 'tok', token_type: 'bearer', expires_in: 3600 });
        return json({ code: 'NOT_FOUND', message: 'no such workflow' }, 404);
    });
    const reachability = new ClmReachability(clock);
    clm = reachability.watch(scriptedIronclad(fetch, clock));
    service = new ConnectorService({
        name: 'hostile-test',
        version: 'test',
        orgId: ORG,
        store,
        salesforce: { apiBudget: () => undefined } as never,
        clm,
        engine: idleEngine as never,
        adminToken: TOKEN,
        clock,
        pollIntervalMs: 60_000,
        clmReachability: () => reachability.state(),
        logger: { info: () => {}, warn: () => {}, error: (fields) => errors.push(fields) }
    });
    await service.start(0);
});

afterAll(async () => {
    await service?.stop();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

function admin(method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}) {
    return service.app.inject({
        method,
        url,
        headers: {
            authorization: `Bearer ${TOKEN}`,
            ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
            ...headers
        },
        ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) })
    });
}

describe('bad input answers 4xx with a stable code', () => {
    const long = '9'.repeat(400);
    const cases: [string, 'GET' | 'POST', string, unknown][] = [
        ['a replay id past any integer', 'POST', '/admin/replay', { ids: ['inbox:99999999999999999999999'] }],
        ['a replay id of zero', 'POST', '/admin/replay', { ids: ['outbox:0'] }],
        ['an over-long replay id', 'POST', '/admin/replay', { ids: [`inbox:${long}`] }],
        [
            'too many replay ids',
            'POST',
            '/admin/replay',
            { ids: Array.from({ length: 1001 }, (_, i) => `inbox:${i + 1}`) }
        ],
        ['a replay body that is not JSON', 'POST', '/admin/replay', '{"ids": ['],
        ['an over-long backfill job id', 'GET', `/admin/backfill/bf-${'a'.repeat(90)}`, undefined],
        ['a backfill job id with odd characters', 'GET', '/admin/backfill/bf-%00%27%3B', undefined],
        ['a backfill of an object name too long', 'POST', '/admin/backfill', { object: 'A'.repeat(200) }],
        ['an over-long error limit', 'GET', `/admin/errors?limit=${long}`, undefined],
        ['a relink with an over-long org id', 'POST', '/admin/relink', { orgId: `00D${long}` }]
    ];
    it.each(cases)('%s', async (_name, method, url, payload) => {
        const response = await admin(method, url, payload);
        expect(response.statusCode, response.body).toBeGreaterThanOrEqual(400);
        expect(response.statusCode, response.body).toBeLessThan(500);
        const body = JSON.parse(response.body) as { code?: string; message?: string };
        expect(body.code).toMatch(/^[A-Z]+\.[A-Z_]+$/);
        expect(body.message ?? '').not.toMatch(/SQLITE|sqlite|constraint|at .*\.ts:\d+|TypeError|RangeError/);
    });

    it('an unexpected failure is 500 HTTP.INTERNAL without the internal message, and logged with its code', async () => {
        const original = store.listConflicts.bind(store);
        store.listConflicts = async () => {
            throw new Error('SQLITE_CORRUPT: database disk image is malformed at /var/lib/clm/store.db');
        };
        try {
            const response = await admin('GET', '/admin/conflicts');
            expect(response.statusCode).toBe(500);
            expect(JSON.parse(response.body)).toEqual({
                code: 'HTTP.INTERNAL',
                message: 'The request failed; see the connector log'
            });
            expect(errors.at(-1)).toMatchObject({ code: 'HTTP.INTERNAL', route: '/admin/conflicts' });
        } finally {
            store.listConflicts = original;
        }
    });
});

describe('/readyz', () => {
    it('reports the CLM unreachable while its calls fail, and ready again once it answers', async () => {
        const ready = () => service.app.inject({ method: 'GET', url: '/readyz' });
        expect((await ready()).statusCode).toBe(200);
        clmDown = true;
        for (let call = 0; call < 2; call++) await expect(clm.getContract('wf-1')).rejects.toThrow();
        const down = await ready();
        expect(down.statusCode).toBe(503);
        expect(JSON.parse(down.body)).toMatchObject({
            ready: false,
            reason: 'CLM_UNREACHABLE',
            clm: { reachable: false, lastErrorCode: 'CLM.TRANSIENT', consecutiveFailures: 2 }
        });
        clmDown = false;
        // A refusal is still an answer: the CLM is reachable.
        await expect(clm.getContract('wf-1')).rejects.toMatchObject({ code: 'CLM.NOT_FOUND' });
        const up = await ready();
        expect(up.statusCode).toBe(200);
        expect(JSON.parse(up.body)).toMatchObject({ ready: true, clm: { reachable: true } });
    });
});
