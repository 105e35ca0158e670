// The transaction hook the event bus builds on: one notification per committed write transaction with its
// records, changed fields (old/new), change types, the Sforce-Call-Options client, the user and API version,
// and one transaction key per REST call, collection, composite request or bulk chunk. Rollbacks stay silent.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CommittedTransaction, RunningSalesforceEmulator } from '../src/index.ts';
import { call, dataPath, startFixtureOrg, tokenFor } from './helpers.ts';

let emu: RunningSalesforceEmulator;
let token: string;
const seen: CommittedTransaction[] = [];

beforeAll(async () => {
    emu = await startFixtureOrg();
    emu.hook.subscribe((tx) => seen.push(tx));
    token = await tokenFor(emu, emu.users.integration.username);
});
afterAll(async () => {
    await emu?.close();
});
beforeEach(() => {
    seen.length = 0;
});

const withClient = { 'Sforce-Call-Options': 'client=clm-sync, defaultNamespace=clm' };

describe('transaction hook', () => {
    it('announces a REST create and update with fields, change type, client, user and version', async () => {
        const created = await call(emu, 'POST', dataPath('/sobjects/Account'), {
            token,
            body: { Name: 'Hooked' },
            headers: withClient
        });
        const id = (created.json as { id: string }).id;
        await call(emu, 'PATCH', dataPath(`/sobjects/Account/${id}`), {
            token,
            body: { Name: 'Hooked 2', Clm_Account_Key__c: 'H-1' }
        });
        expect(seen).toHaveLength(2);
        const [create, update] = seen as [CommittedTransaction, CommittedTransaction];
        expect(create).toMatchObject({
            api: 'rest',
            apiVersion: '62.0',
            clientId: 'clm-sync',
            changeOrigin: 'com/salesforce/api/rest/62.0;client=clm-sync',
            userId: emu.users.integration.id
        });
        expect(create.changes).toEqual([expect.objectContaining({ sobject: 'Account', id, changeType: 'CREATE' })]);
        expect(create.changes[0]!.fields.Name).toEqual({ old: null, new: 'Hooked' });
        expect(update.clientId).toBeNull();
        expect(update.changeOrigin).toBe('com/salesforce/api/rest/62.0');
        const fields = update.changes[0]!.fields;
        expect(fields.Name).toEqual({ old: 'Hooked', new: 'Hooked 2' });
        expect(fields.Clm_Account_Key__c).toEqual({ old: null, new: 'H-1' });
        expect(Object.keys(fields)).toEqual(expect.arrayContaining(['LastModifiedDate', 'SystemModstamp']));
        expect(update.transactionKey).not.toBe(create.transactionKey);
        expect(update.commitNumber).toBeGreaterThan(create.commitNumber);
    });

    it('one collection call is one transaction; an allOrNone failure announces nothing', async () => {
        const records = ['A', 'B', 'C'].map((n) => ({ attributes: { type: 'Account' }, Name: n }));
        await call(emu, 'POST', dataPath('/composite/sobjects'), { token, body: { allOrNone: false, records } });
        expect(seen).toHaveLength(1);
        expect(seen[0]!.changes.map((c) => c.changeType)).toEqual(['CREATE', 'CREATE', 'CREATE']);
        seen.length = 0;
        const bad = [...records, { attributes: { type: 'Account' }, Name: 'D', Tier__c: 'Nope' }];
        const res = await call(emu, 'POST', dataPath('/composite/sobjects'), {
            token,
            body: { allOrNone: true, records: bad }
        });
        expect(
            (res.json as { success: boolean; errors: { statusCode: string }[] }[]).map((r) => r.errors[0]?.statusCode)
        ).toEqual([
            'ALL_OR_NONE_OPERATION_ROLLED_BACK',
            'ALL_OR_NONE_OPERATION_ROLLED_BACK',
            'ALL_OR_NONE_OPERATION_ROLLED_BACK',
            'INVALID_FIELD'
        ]);
        expect(seen).toHaveLength(0);
        // A, B and C were written before D failed; allOrNone must have undone them (one A from the first call).
        const count = await call(
            emu,
            'GET',
            dataPath(`/query?q=${encodeURIComponent("SELECT COUNT() FROM Account WHERE Name IN ('A', 'D')")}`),
            { token }
        );
        expect((count.json as { totalSize: number }).totalSize).toBe(1);
    });

    it('a composite request shares one key; with allOrNone a failure rolls back every subrequest', async () => {
        const ok = await call(emu, 'POST', dataPath('/composite'), {
            token,
            headers: withClient,
            body: {
                allOrNone: true,
                compositeRequest: [
                    {
                        method: 'POST',
                        url: dataPath('/sobjects/Account'),
                        referenceId: 'acct',
                        body: { Name: 'Composite' }
                    },
                    {
                        method: 'POST',
                        url: dataPath('/sobjects/Clm_Sync_Log__c'),
                        referenceId: 'log',
                        body: { Message__c: 'made', Account__c: '@{acct.id}' }
                    },
                    {
                        method: 'GET',
                        url: dataPath('/sobjects/Clm_Sync_Log__c/@{log.id}?fields=Name,Account__c'),
                        referenceId: 'read'
                    }
                ]
            }
        });
        const responses = (
            ok.json as { compositeResponse: { httpStatusCode: number; body: Record<string, unknown> }[] }
        ).compositeResponse;
        expect(responses.map((r) => r.httpStatusCode)).toEqual([201, 201, 200]);
        expect(responses[2]!.body.Name).toMatch(/^LOG-\d{4}$/);
        expect(seen).toHaveLength(1);
        expect(seen[0]!.changes.map((c) => c.sobject)).toEqual(['Account', 'Clm_Sync_Log__c']);
        expect(seen[0]!.clientId).toBe('clm-sync');
        seen.length = 0;

        const failed = await call(emu, 'POST', dataPath('/composite'), {
            token,
            body: {
                allOrNone: true,
                compositeRequest: [
                    {
                        method: 'POST',
                        url: dataPath('/sobjects/Account'),
                        referenceId: 'acct',
                        body: { Name: 'Never' }
                    },
                    {
                        method: 'POST',
                        url: dataPath('/sobjects/Clm_Sync_Log__c'),
                        referenceId: 'log',
                        body: { Account__c: '@{acct.id}' }
                    },
                    { method: 'GET', url: dataPath('/limits'), referenceId: 'after' }
                ]
            }
        });
        const halted = (
            failed.json as { compositeResponse: { httpStatusCode: number; body: { errorCode: string }[] }[] }
        ).compositeResponse;
        expect(halted.map((r) => [r.httpStatusCode, r.body[0]?.errorCode])).toEqual([
            [400, 'PROCESSING_HALTED'],
            [400, 'REQUIRED_FIELD_MISSING'],
            [400, 'PROCESSING_HALTED']
        ]);
        expect(seen).toHaveLength(0);
        const never = await call(
            emu,
            'GET',
            dataPath(`/query?q=${encodeURIComponent("SELECT COUNT() FROM Account WHERE Name = 'Never'")}`),
            { token }
        );
        expect((never.json as { totalSize: number }).totalSize).toBe(0);
    });

    it("a Bulk API ingest chunk is one transaction with api bulkapi and the job's client id", async () => {
        const headers = { 'Sforce-Call-Options': 'client=clm-bulk' };
        const job = await call(emu, 'POST', dataPath('/jobs/ingest'), {
            token,
            headers,
            body: { object: 'Account', operation: 'insert' }
        });
        const id = (job.json as { id: string }).id;
        const csv = 'Name,Clm_Account_Key__c\nBulk A,BK-1\nBulk B,BK-2\n';
        expect(
            (
                await call(emu, 'PUT', dataPath(`/jobs/ingest/${id}/batches`), {
                    token,
                    body: csv,
                    contentType: 'text/csv'
                })
            ).status
        ).toBe(201);
        await call(emu, 'PATCH', dataPath(`/jobs/ingest/${id}`), { token, body: { state: 'UploadComplete' } });
        for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
        expect(seen).toHaveLength(1);
        expect(seen[0]).toMatchObject({
            api: 'bulkapi',
            clientId: 'clm-bulk',
            changeOrigin: 'com/salesforce/api/bulkapi/62.0;client=clm-bulk'
        });
        expect(seen[0]!.changes.map((c) => c.record.Name)).toEqual(['Bulk A', 'Bulk B']);
    });

    it('a platform event publish is announced with its event, and deletes say DELETE', async () => {
        const res = await call(emu, 'POST', dataPath('/sobjects/Fixture_Event__e'), {
            token,
            body: { Payload__c: 'hello' }
        });
        expect(res.status).toBe(201);
        const body = res.json as { success: boolean; errors: { statusCode: string; message: string }[] };
        expect(body.errors[0]!.statusCode).toBe('OPERATION_ENQUEUED');
        expect(seen[0]!.events).toEqual([
            expect.objectContaining({
                sobject: 'Fixture_Event__e',
                uuid: body.errors[0]!.message,
                fields: expect.objectContaining({ Payload__c: 'hello' })
            })
        ]);
        seen.length = 0;
        const adminToken = await tokenFor(emu);
        const id = (
            (await call(emu, 'POST', dataPath('/sobjects/Account'), { token: adminToken, body: { Name: 'Doomed' } }))
                .json as { id: string }
        ).id;
        await call(emu, 'DELETE', dataPath(`/sobjects/Account/${id}`), { token: adminToken });
        expect(seen.map((t) => t.changes[0]!.changeType)).toEqual(['CREATE', 'DELETE']);
    });
});
