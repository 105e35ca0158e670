// The admin API other suites drive: exact counters, limits, fault injection, run-time schema, clock, reset.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSalesforceEmulator } from '../src/index.ts';
import { admin, call, dataPath, startFixtureOrg, tokenFor } from './helpers.ts';

let emu: RunningSalesforceEmulator;
let token: string;

beforeAll(async () => {
    emu = await startFixtureOrg();
    token = await tokenFor(emu, emu.username);
});
afterAll(async () => {
    await emu?.close();
});

type Counters = { billedApiRequests: number; endpoints: Record<string, number>; operations: Record<string, number> };
const counters = async () => (await admin(emu, 'GET', '/counters')).json as Counters;

describe('admin API', () => {
    it('counts billed calls exactly: one per REST call, composite sub-requests and OAuth not billed', async () => {
        await admin(emu, 'POST', '/reset');
        const before = await counters();
        expect(before.billedApiRequests).toBe(0);
        await call(emu, 'POST', dataPath('/sobjects/Account'), { token, body: { Name: 'Counted' } });
        await call(emu, 'GET', dataPath(`/query?q=${encodeURIComponent('SELECT Id FROM Account')}`), { token });
        await call(emu, 'POST', dataPath('/composite'), {
            token,
            body: {
                compositeRequest: [1, 2, 3].map((i) => ({
                    method: 'POST',
                    url: dataPath('/sobjects/Account'),
                    referenceId: `a${i}`,
                    body: { Name: `C${i}` }
                }))
            }
        });
        await call(emu, 'GET', dataPath('/limits'), { token: 'bogus' });
        const after = await counters();
        expect(after.billedApiRequests).toBe(3);
        expect(after.operations.create).toBe(4);
        expect(after.endpoints['POST /services/data/:version/sobjects/:sobject']).toBe(1);
        expect(after.endpoints['POST /services/data/:version/composite']).toBe(1);
        const limits = await call(emu, 'GET', dataPath('/limits'), { token });
        expect(limits.headers.get('sforce-limit-info')).toBe('api-usage=4/15000');
        expect((limits.json as { DailyApiRequests: { Remaining: number } }).DailyApiRequests.Remaining).toBe(14996);
    });

    it('answers 403 REQUEST_LIMIT_EXCEEDED once DailyApiRequests is used up', async () => {
        expect((await admin(emu, 'PUT', '/limits/DailyApiRequests', { Max: 100, Remaining: 1 })).status).toBe(200);
        expect((await call(emu, 'GET', dataPath('/limits'), { token })).status).toBe(200);
        const refused = await call(emu, 'GET', dataPath('/limits'), { token });
        expect(refused.status).toBe(403);
        expect(refused.json).toEqual([
            { errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.' }
        ]);
        expect(refused.headers.get('sforce-limit-info')).toBe('api-usage=100/100');
        expect((await admin(emu, 'PUT', '/limits/DailyApiRequests', { Max: 100, Remaining: 500 })).status).toBe(400);
        await admin(emu, 'PUT', '/limits/DailyApiRequests', { Max: 15000, Remaining: 15000 });
    });

    it('injects faults by sObject and operation, `count` times, per record inside collections', async () => {
        expect(
            (
                await admin(emu, 'POST', '/faults', {
                    sobject: 'Account',
                    operation: 'create',
                    errorCode: 'UNABLE_TO_LOCK_ROW',
                    count: 1
                })
            ).status
        ).toBe(201);
        const first = await call(emu, 'POST', dataPath('/sobjects/Account'), { token, body: { Name: 'Locked' } });
        expect(first.status).toBe(400);
        expect(first.json).toEqual([
            { errorCode: 'UNABLE_TO_LOCK_ROW', message: 'unable to obtain exclusive access to this record' }
        ]);
        expect((await call(emu, 'POST', dataPath('/sobjects/Account'), { token, body: { Name: 'Free' } })).status).toBe(
            201
        );

        await admin(emu, 'POST', '/faults', {
            sobject: 'Account',
            operation: 'create',
            errorCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
            message: 'Name must be nice',
            count: 1
        });
        const records = ['x', 'y'].map((n) => ({ attributes: { type: 'Account' }, Name: n }));
        const mixed = await call(emu, 'POST', dataPath('/composite/sobjects'), {
            token,
            body: { allOrNone: false, records }
        });
        expect(mixed.json).toEqual([
            {
                success: false,
                errors: [{ statusCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', message: 'Name must be nice', fields: [] }]
            },
            { id: expect.stringMatching(/^001/), success: true, errors: [] }
        ]);

        await admin(emu, 'POST', '/faults', { operation: 'query', errorCode: 'INVALID_SESSION_ID', count: 2 });
        for (let i = 0; i < 2; i++)
            expect(
                (
                    await call(emu, 'GET', dataPath(`/query?q=${encodeURIComponent('SELECT Id FROM Account')}`), {
                        token
                    })
                ).status
            ).toBe(401);
        expect(
            (await call(emu, 'GET', dataPath(`/query?q=${encodeURIComponent('SELECT Id FROM Account')}`), { token }))
                .status
        ).toBe(200);

        await admin(emu, 'POST', '/faults', { sobject: 'Account', operation: 'retrieve', errorCode: 'SERVER_ERROR' });
        await admin(emu, 'DELETE', '/faults');
        expect(((await admin(emu, 'GET', '/faults')).json as unknown[]).length).toBe(0);
        const bad = await admin(emu, 'POST', '/faults', { errorCode: 'lower case', count: 0 });
        expect(bad.status).toBe(400);
        expect(bad.json).toEqual([expect.objectContaining({ errorCode: 'INVALID_INPUT' })]);
    });

    it('delays matching calls by latencyMs without failing them', async () => {
        await admin(emu, 'POST', '/faults', { sobject: 'Account', operation: 'query', latencyMs: 150 });
        const started = Date.now();
        const res = await call(emu, 'GET', dataPath(`/query?q=${encodeURIComponent('SELECT Id FROM Account')}`), {
            token
        });
        expect(res.status).toBe(200);
        // A lower bound only: the fault must have waited; nothing asserts how fast the emulator is.
        expect(Date.now() - started).toBeGreaterThanOrEqual(140);
        expect(((await admin(emu, 'GET', '/faults')).json as unknown[]).length).toBe(0);
    });

    it('drops the connection when asked', async () => {
        await admin(emu, 'POST', '/faults', {
            sobject: 'Account',
            operation: 'retrieve',
            errorCode: 'SERVER_ERROR',
            drop: true
        });
        const id = (
            (await call(emu, 'POST', dataPath('/sobjects/Account'), { token, body: { Name: 'Dropped' } })).json as {
                id: string;
            }
        ).id;
        await expect(call(emu, 'GET', dataPath(`/sobjects/Account/${id}`), { token })).rejects.toThrow();
        expect((await call(emu, 'GET', dataPath(`/sobjects/Account/${id}`), { token })).status).toBe(200);
    });

    it('adds fields and objects at run time; describe and writes see them', async () => {
        const field = await admin(emu, 'POST', '/schema/Contract/fields', {
            name: 'Clm_Status__c',
            type: 'picklist',
            picklistValues: ['Draft', 'Signed'],
            restrictedPicklist: true
        });
        expect(field.status).toBe(201);
        const describe = (await call(emu, 'GET', dataPath('/sobjects/Contract/describe'), { token })).json as {
            fields: { name: string; restrictedPicklist: boolean }[];
        };
        expect(describe.fields.find((f) => f.name === 'Clm_Status__c')).toMatchObject({ restrictedPicklist: true });
        const obj = await admin(emu, 'POST', '/schema/Widget__c', {
            label: 'Widget',
            fields: [{ name: 'Serial__c', type: 'string', length: 10, externalId: true, unique: true }]
        });
        expect(obj.status).toBe(201);
        const up = await call(emu, 'PATCH', dataPath('/sobjects/Widget__c/Serial__c/W-1'), {
            token,
            body: { Name: 'First widget' }
        });
        expect(up.status).toBe(201);
        expect((await admin(emu, 'POST', '/schema/Widget__c/fields', { name: 'Bad', type: 'blob' })).status).toBe(400);
        expect((await admin(emu, 'POST', '/schema/Nope__c/fields', { name: 'X__c', type: 'string' })).status).toBe(404);
    });

    it('moves the clock and resets to the seeded state', async () => {
        const before = emu.org.clock.peekMs();
        const moved = await admin(emu, 'POST', '/clock', { advanceMs: 86_400_000 });
        expect(Date.parse((moved.json as { now: string }).now) - before).toBeGreaterThanOrEqual(86_400_000);
        // A day of inactivity ends the session, as on the platform.
        expect((await call(emu, 'GET', dataPath('/limits'), { token })).status).toBe(401);
        expect((await admin(emu, 'POST', '/reset')).status).toBe(200);
        token = await tokenFor(emu, emu.username);
        const count = await call(
            emu,
            'GET',
            dataPath(`/query?q=${encodeURIComponent('SELECT COUNT() FROM Account')}`),
            { token }
        );
        expect((count.json as { totalSize: number }).totalSize).toBe(0);
        expect((await call(emu, 'GET', dataPath('/sobjects/Widget__c/describe'), { token })).status).toBe(404);
    });
});

describe('state file', () => {
    it('keeps records and id numbering between runs', async () => {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-state-'));
        const stateFile = path.join(dir, 'org.json');
        try {
            const first = await startFixtureOrg({ stateFile });
            const t1 = await tokenFor(first);
            const created = (
                await call(first, 'POST', dataPath('/sobjects/Account'), { token: t1, body: { Name: 'Persisted' } })
            ).json as { id: string };
            await first.close();
            const second = await startFixtureOrg({ stateFile });
            try {
                const t2 = await tokenFor(second);
                const rec = (await call(second, 'GET', dataPath(`/sobjects/Account/${created.id}`), { token: t2 }))
                    .json as { Name: string };
                expect(rec.Name).toBe('Persisted');
                const next = (
                    await call(second, 'POST', dataPath('/sobjects/Account'), {
                        token: t2,
                        body: { Name: 'After restart' }
                    })
                ).json as { id: string };
                expect(next.id).not.toBe(created.id);
            } finally {
                await second.close();
            }
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
