// jsforce 3, unmodified, against the emulator: the client the connector uses must work end to end.
import jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSalesforceEmulator } from '../src/index.ts';
import { API_VERSION, admin, connectAs, jwtFor, startFixtureOrg } from './helpers.ts';

let emu: RunningSalesforceEmulator;
let conn: jsforce.Connection;

beforeAll(async () => {
    emu = await startFixtureOrg();
    conn = await connectAs(emu);
});
afterAll(async () => {
    await emu?.close();
});

describe('jsforce against the emulator', () => {
    it('logs in by JWT bearer and derives org and user from the identity URL', async () => {
        expect(conn.accessToken).toMatch(/^00D[A-Za-z0-9]{12}!/);
        expect(conn.userInfo?.organizationId).toBe(emu.orgId);
        expect(conn.userInfo?.id).toBe(emu.userId);
        const identity = await conn.identity();
        expect(identity.username).toBe(emu.username);
    });

    it('creates, retrieves, updates and deletes a record', async () => {
        const created = await conn
            .sobject('Account')
            .create({ Name: 'Acme', BillingCity: 'Paris', AnnualRevenue: 1200.5 });
        expect(created.success).toBe(true);
        const id = created.id!;
        const rec = (await conn.sobject('Account').retrieve(id)) as Record<string, unknown>;
        expect(rec.Name).toBe('Acme');
        expect(rec.AnnualRevenue).toBe(1200.5);
        expect(rec.BillingAddress).toMatchObject({ city: 'Paris' });
        expect(String(rec.SystemModstamp)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
        const before = String(rec.SystemModstamp);
        await conn.sobject('Account').update({ Id: id, Name: 'Acme Corp' });
        const after = (await conn.sobject('Account').retrieve(id, { fields: ['Name', 'SystemModstamp'] })) as Record<
            string,
            unknown
        >;
        expect(after.Name).toBe('Acme Corp');
        expect(Date.parse(String(after.SystemModstamp).replace('+0000', 'Z'))).toBeGreaterThan(
            Date.parse(before.replace('+0000', 'Z'))
        );
        await conn.sobject('Account').destroy(id);
        await expect(conn.sobject('Account').retrieve(id)).rejects.toMatchObject({ errorCode: 'ENTITY_IS_DELETED' });
    });

    it('upserts by external id: 201 created, then 200 updated, 300 when ambiguous', async () => {
        const first = (await conn
            .sobject('Account')
            .upsert({ Name: 'Ext One', Clm_Account_Key__c: 'K-1' }, 'Clm_Account_Key__c')) as {
            created?: boolean;
            id?: string;
        };
        expect(first.created).toBe(true);
        const second = (await conn
            .sobject('Account')
            .upsert({ Name: 'Ext One (renamed)', Clm_Account_Key__c: 'K-1' }, 'Clm_Account_Key__c')) as {
            created?: boolean;
            id?: string;
        };
        expect(second.created).toBe(false);
        expect(second.id).toBe(first.id);
        await conn.sobject('Account').create([
            { Name: 'Dup A', Legacy_Code__c: 'L-1' },
            { Name: 'Dup B', Legacy_Code__c: 'L-1' }
        ]);
        await expect(
            conn.sobject('Account').upsert({ Name: 'Dup?', Legacy_Code__c: 'L-1' }, 'Legacy_Code__c')
        ).rejects.toMatchObject({ name: 'MULTIPLE_CHOICES' });
    });

    it('queries with autoFetch across pages (batchSize 200) and counts', async () => {
        const rows = Array.from({ length: 450 }, (_, i) => ({ LastName: `Paged ${String(i).padStart(3, '0')}` }));
        for (let i = 0; i < rows.length; i += 200) {
            const res = await conn.sobject('Contact').create(rows.slice(i, i + 200));
            expect(res.every((r) => r.success)).toBe(true);
        }
        const before = (await admin(emu, 'GET', '/counters')).json as { operations: Record<string, number> };
        const records: unknown[] = [];
        await new Promise<void>((resolve, reject) => {
            conn.query("SELECT Id, LastName FROM Contact WHERE LastName LIKE 'Paged%' ORDER BY LastName")
                .on('record', (r: unknown) => records.push(r))
                .on('end', () => resolve())
                .on('error', reject)
                .run({
                    autoFetch: true,
                    maxFetch: 1000,
                    headers: { 'Sforce-Query-Options': 'batchSize=200' }
                } as never);
        });
        expect(records).toHaveLength(450);
        expect((records[0] as { LastName: string }).LastName).toBe('Paged 000');
        expect((records[449] as { LastName: string }).LastName).toBe('Paged 449');
        const after = (await admin(emu, 'GET', '/counters')).json as { operations: Record<string, number> };
        expect((after.operations.queryMore ?? 0) - (before.operations.queryMore ?? 0)).toBeGreaterThanOrEqual(1);
        const count = await conn.query("SELECT COUNT() FROM Contact WHERE LastName LIKE 'Paged%'");
        expect(count.totalSize).toBe(450);
    });

    it('answers the replication API (updated / deleted ids in a window)', async () => {
        const start = new Date(emu.org.clock.peekMs() - 60 * 60_000).toISOString();
        const kept = (await conn.sobject('Account').create({ Name: 'Replicated' })).id!;
        const gone = (await conn.sobject('Account').create({ Name: 'Replicated, then deleted' })).id!;
        await conn.sobject('Account').destroy(gone);
        const end = new Date(emu.org.clock.peekMs() + 60_000).toISOString();
        const updated = await conn.sobject('Account').updated(start, end);
        expect(updated.ids).toContain(kept);
        expect(updated.ids).not.toContain(gone);
        const deleted = await conn.sobject('Account').deleted(start, end);
        expect(deleted.deletedRecords.map((r) => r.id)).toContain(gone);
    });

    it('uses sObject Collections for arrays (create, update, retrieve, delete)', async () => {
        const created = await conn.sobject('Account').create([{ Name: 'C1' }, { Name: 'C2' }, { Name: 'C3' }]);
        const ids = created.map((r) => r.id!);
        const updated = await conn.sobject('Account').update(ids.map((Id, i) => ({ Id, Name: `C${i + 1} updated` })));
        expect(updated.every((r) => r.success)).toBe(true);
        const fetched = (await conn.sobject('Account').retrieve(ids, { fields: ['Name'] })) as { Name: string }[];
        expect(fetched.map((r) => r.Name)).toEqual(['C1 updated', 'C2 updated', 'C3 updated']);
        const removed = await conn.sobject('Account').destroy(ids);
        expect(removed.every((r) => r.success)).toBe(true);
    });

    it('describes objects and the org, and reads limits with Sforce-Limit-Info', async () => {
        const global = await conn.describeGlobal();
        expect(global.sobjects.map((o) => o.name)).toEqual(
            expect.arrayContaining(['Account', 'Contract', 'Opportunity', 'SBQQ__Quote__c', 'Clm_Sync_Log__c'])
        );
        const contract = await conn.sobject('Contract').describe();
        expect(contract.keyPrefix).toBe('800');
        const statusCode = contract.fields.find((f) => f.name === 'StatusCode')!;
        expect(statusCode).toMatchObject({
            createable: false,
            updateable: false,
            restrictedPicklist: true,
            type: 'picklist'
        });
        const tier = (await conn.sobject('Account').describe()).fields.find((f) => f.name === 'Tier__c')!;
        expect(tier).toMatchObject({ restrictedPicklist: true, custom: true, defaultValue: 'Silver' });
        const limits = await conn.limits();
        const api = limits.DailyApiRequests!;
        expect(api.Max).toBe(15000);
        expect(conn.limitInfo.apiUsage?.used).toBe(api.Max - api.Remaining);
    });

    it('runs Bulk API 2.0 ingest (insert, upsert with a failure) with loadAndWaitForResults', async () => {
        const inserted = await conn.bulk2.loadAndWaitForResults({
            object: 'Account',
            operation: 'insert',
            input: [{ Name: 'Bulk 1', NumberOfEmployees: '10' }, { Name: 'Bulk 2' }],
            pollInterval: 20,
            pollTimeout: 10_000
        });
        expect(inserted.successfulResults).toHaveLength(2);
        expect(inserted.successfulResults[0]).toMatchObject({ sf__Created: 'true', Name: 'Bulk 1' });
        const upserted = await conn.bulk2.loadAndWaitForResults({
            object: 'Account',
            operation: 'upsert',
            externalIdFieldName: 'Clm_Account_Key__c',
            input: [
                { Clm_Account_Key__c: 'B-1', Name: 'Bulk upsert', Tier__c: 'Gold' },
                { Clm_Account_Key__c: 'B-2', Name: 'Bad tier', Tier__c: 'Platinum' }
            ],
            pollInterval: 20,
            pollTimeout: 10_000
        });
        expect(upserted.successfulResults).toHaveLength(1);
        expect(upserted.failedResults).toHaveLength(1);
        expect(String(upserted.failedResults[0]!.sf__Error)).toMatch(/^INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:/);
        const rows = await conn.bulk2.query("SELECT Id, Name FROM Account WHERE Clm_Account_Key__c = 'B-1'", {
            pollInterval: 20,
            pollTimeout: 10_000
        } as never);
        const names: string[] = [];
        for await (const r of rows as AsyncIterable<{ Name: string }>) names.push(r.Name);
        expect(names).toEqual(['Bulk upsert']);
    });

    it('refreshes an expired session with a refresh token and retries the call', async () => {
        const code = await fetch(
            `${emu.loginUrl}/services/oauth2/authorize?response_type=code&client_id=${emu.clientId}&redirect_uri=http://localhost/cb&login_hint=${emu.username}`,
            { redirect: 'manual' }
        );
        expect(code.status).toBe(302);
        const authCode = new URL(code.headers.get('location')!).searchParams.get('code')!;
        const oauth2 = new jsforce.OAuth2({
            loginUrl: emu.loginUrl,
            clientId: emu.clientId,
            clientSecret: emu.clientSecret,
            redirectUri: 'http://localhost/cb'
        });
        const refreshing = new jsforce.Connection({ oauth2, version: API_VERSION });
        await refreshing.authorize(authCode);
        expect(refreshing.refreshToken).toBeTruthy();
        const firstToken = refreshing.accessToken;
        let refreshed = 0;
        refreshing.on('refresh', () => (refreshed += 1));
        await admin(emu, 'POST', '/clock', { advanceMs: 3 * 60 * 60 * 1000 });
        const limits = await refreshing.limits();
        expect(limits.DailyApiRequests).toBeDefined();
        expect(refreshed).toBe(1);
        expect(refreshing.accessToken).not.toBe(firstToken);
    });

    it('re-authenticates by JWT through a refresh function after expiry', async () => {
        const jwtConn = new jsforce.Connection({
            loginUrl: emu.loginUrl,
            version: API_VERSION,
            refreshFn: (c, callback) => {
                c.authorize({
                    grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
                    assertion: jwtFor(emu, emu.users.integration.username)
                })
                    .then(() => callback(null, c.accessToken!))
                    .catch((e: Error) => callback(e));
            }
        });
        await jwtConn.authorize({
            grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
            assertion: jwtFor(emu, emu.users.integration.username)
        });
        await admin(emu, 'POST', '/clock', { advanceMs: 3 * 60 * 60 * 1000 });
        const res = await jwtConn.query('SELECT Id FROM Account LIMIT 1');
        expect(res.done).toBe(true);
    });
});
