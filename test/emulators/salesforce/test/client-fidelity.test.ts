// The details issue 17 found differing from Salesforce, met through jsforce 3 (unmodified) as a connector meets
// them: collections upsert with allOrNone, upsert on Id (collections and Bulk 2.0), the sf__Error format, Bulk query
// paging by size, the replication windows, URL discovery from the version resource, custom settings and
// metadata-API permission sets, the admin field route, and the features answered as an org without them.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSalesforceEmulator } from '../src/index.ts';
import { API_VERSION, FIXTURE_ORG, admin, connectAs, startFixtureOrg } from './helpers.ts';

const MDAPI_FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../conformance/fixtures/mdapi');
const POLL = { pollInterval: 20, pollTimeout: 10_000 };

let emu: RunningSalesforceEmulator;
let conn: jsforce.Connection;

beforeAll(async () => {
    emu = await startFixtureOrg({ metadataDirs: [FIXTURE_ORG, MDAPI_FIXTURES] });
    conn = await connectAs(emu);
});
afterAll(async () => {
    await emu?.close();
});

const accountsKeyed = async (prefix: string) =>
    (await conn.query<{ Id: string }>(`SELECT Id FROM Account WHERE Clm_Account_Key__c LIKE '${prefix}%'`)).records;

describe('sObject Collections upsert', () => {
    it('with allOrNone and one bad record: every row fails without an id, created false, nothing kept', async () => {
        const results = (await conn.sobject('Account').upsert(
            [
                { Clm_Account_Key__c: 'AON-1', Name: 'Would be created' },
                { Clm_Account_Key__c: 'AON-2', Name: 'Bad tier', Tier__c: 'Platinum' }
            ],
            'Clm_Account_Key__c',
            { allOrNone: true }
        )) as unknown as Record<string, unknown>[];
        expect(results).toHaveLength(2);
        for (const r of results) {
            expect(r).not.toHaveProperty('id');
            expect(r).toMatchObject({ success: false, created: false });
        }
        expect(results[0]!.errors).toEqual([
            expect.objectContaining({ statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK', fields: [] })
        ]);
        expect(results[1]!.errors).toEqual([
            expect.objectContaining({ statusCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', fields: ['Tier__c'] })
        ]);
        expect(await accountsKeyed('AON-')).toHaveLength(0);
    });

    it('on Id: updates the row that has one and inserts the row that has none', async () => {
        const existing = (await conn.sobject('Account').create({ Name: 'Upsert on Id' })).id!;
        // jsforce insists on a value for the key field in every record, so the new row goes through jsforce's
        // plain request with the documented body (the key field Id, its value absent).
        const results = (await conn.requestPatch(`/services/data/v${API_VERSION}/composite/sobjects/Account/Id`, {
            allOrNone: false,
            records: [
                { attributes: { type: 'Account' }, Id: existing, Name: 'Upsert on Id, renamed' },
                { attributes: { type: 'Account' }, Name: 'Upsert on Id, new' }
            ]
        })) as {
            id: string;
            created: boolean;
            success: boolean;
        }[];
        expect(results.map((r) => [r.success, r.created])).toEqual([
            [true, false],
            [true, true]
        ]);
        expect(results[0]!.id).toBe(existing);
        const created = (await conn.sobject('Account').retrieve(results[1]!.id)) as { Name: string };
        expect(created.Name).toBe('Upsert on Id, new');
    });
});

describe('Bulk API 2.0 ingest', () => {
    it('upserts on Id: rows without an Id are inserted', async () => {
        const existing = (await conn.sobject('Account').create({ Name: 'Bulk upsert on Id' })).id!;
        const res = await conn.bulk2.loadAndWaitForResults({
            object: 'Account',
            operation: 'upsert',
            externalIdFieldName: 'Id',
            input: [
                { Id: existing, Name: 'Bulk upsert on Id, renamed' },
                { Id: '', Name: 'Bulk upsert on Id, new' }
            ],
            ...POLL
        });
        expect(res.failedResults).toEqual([]);
        expect(res.successfulResults.map((r) => [r.sf__Created, (r as Record<string, unknown>).Name])).toEqual([
            ['false', 'Bulk upsert on Id, renamed'],
            ['true', 'Bulk upsert on Id, new']
        ]);
        expect(res.successfulResults[0]!.sf__Id).toBe(existing);
    });

    it("writes a failed row's error in Salesforce's sf__Error format", async () => {
        const res = await conn.bulk2.loadAndWaitForResults({
            object: 'Account',
            operation: 'insert',
            input: [
                { Name: '', Phone: '555-0100' },
                { Name: 'Fine', Phone: '555-0101' }
            ],
            ...POLL
        });
        expect(res.successfulResults).toHaveLength(1);
        expect(res.failedResults).toHaveLength(1);
        expect(res.failedResults[0]!.sf__Error).toBe(
            'REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --'
        );
        expect(res.failedResults[0]!.sf__Id).toBe('');
    });
});

describe('Bulk API 2.0 query results', () => {
    // jsforce 3.10's bulk2.query() pipes every results page into one stream that the first page ends, so it cannot
    // read a second page ("write after end", jsforce#1546, #1693) — against a real org as here. The connector pages
    // itself (JsforceSalesforce.bulkQueryResults, connector-service/test/salesforce/bulk.test.ts) and so does the sf
    // CLI (sf data export bulk, test/sf-cli.test.ts); the pages themselves are conformance cases 16-17.
    it('fit in one page by default, which jsforce reads', async () => {
        await conn.sobject('Account').create(Array.from({ length: 7 }, (_, i) => ({ Name: `Paged by size ${i}` })));
        const job = await conn.bulk2.query("SELECT Id, Name FROM Account WHERE Name LIKE 'Paged by size%'", POLL);
        const names: string[] = [];
        for await (const r of job as AsyncIterable<{ Name: string }>) names.push(r.Name);
        expect(names.sort()).toEqual(Array.from({ length: 7 }, (_, i) => `Paged by size ${i}`));
    });
});

describe('replication (sObject Get Updated / Get Deleted)', () => {
    it('drops the seconds of the window and takes a one-minute window', async () => {
        const now = Date.parse(((await admin(emu, 'GET', '/clock')).json as { now: string }).now);
        const target = Date.UTC(new Date(now).getUTCFullYear() + 1, 5, 1, 9, 0, 30);
        await admin(emu, 'POST', '/clock', { advanceMs: target - now });
        const replicating = await connectAs(emu); // the jump ended the idle session
        const kept = (await replicating.sobject('Account').create({ Name: 'Replicated at :30' })).id!;
        const gone = (await replicating.sobject('Account').create({ Name: 'Deleted at :30' })).id!;
        await replicating.sobject('Account').destroy(gone);
        const at = (s: number) => new Date(target - 30_000 + s * 1000).toISOString();
        // 09:00:45 → 09:00:00 and 09:01:10 → 09:01:00: one minute, and the write at 09:00:30 is inside.
        const updated = await replicating.sobject('Account').updated(at(45), at(70));
        expect(updated.ids).toContain(kept);
        const deleted = await replicating.sobject('Account').deleted(at(45), at(70));
        expect(deleted.deletedRecords.map((r) => r.id)).toContain(gone);
        await expect(replicating.sobject('Account').updated(at(5), at(55))).rejects.toMatchObject({
            errorCode: 'INVALID_REPLICATION_DATE'
        });
        await expect(
            replicating.sobject('Account').updated(new Date(target - 31 * 86_400_000).toISOString(), at(70))
        ).rejects.toMatchObject({ errorCode: 'INVALID_REPLICATION_DATE' });
        conn = replicating;
    });
});

describe('URL discovery', () => {
    it('lets jsforce find the identity URL from the version resource when it has no user info', async () => {
        const bare = new jsforce.Connection({
            instanceUrl: emu.instanceUrl,
            accessToken: conn.accessToken!,
            version: API_VERSION
        });
        expect(bare.userInfo).toBeFalsy();
        const identity = await bare.identity();
        expect(identity).toMatchObject({ user_id: emu.userId, organization_id: emu.orgId, username: emu.username });
    });
});

describe('custom settings and permission sets from metadata-API files', () => {
    it('describes a hierarchy setting as a custom setting with SetupOwnerId, one row per owner', async () => {
        const d = await conn.describe('Conformance_Hierarchy__c');
        expect(d.customSetting).toBe(true);
        const names = d.fields.map((f) => f.name);
        expect(names).toContain('SetupOwnerId');
        expect(names).not.toContain('OwnerId');
        const global = await conn.describeGlobal();
        expect(global.sobjects.find((o) => o.name === 'Conformance_List__c')?.customSetting).toBe(true);
        expect(global.sobjects.find((o) => o.name === 'Account')?.customSetting).toBe(false);
        const orgRow = await conn
            .sobject('Conformance_Hierarchy__c')
            .create({ SetupOwnerId: emu.orgId, Endpoint__c: 'https://clm.example/org' });
        expect(orgRow.success).toBe(true);
        await expect(
            conn.sobject('Conformance_Hierarchy__c').create({ SetupOwnerId: emu.orgId, Endpoint__c: 'twice' })
        ).rejects.toMatchObject({ errorCode: 'DUPLICATE_VALUE' });
        const userRow = await conn
            .sobject('Conformance_Hierarchy__c')
            .create({ SetupOwnerId: emu.userId, Endpoint__c: 'https://clm.example/me' });
        expect(userRow.success).toBe(true);
        const rows = await conn.query<{ SetupOwnerId: string }>(
            'SELECT SetupOwnerId, Endpoint__c FROM Conformance_Hierarchy__c ORDER BY Endpoint__c'
        );
        expect(rows.records.map((r) => r.SetupOwnerId)).toEqual([emu.userId, emu.orgId]);
    });

    it('needs a list setting row to be named, and keeps names unique', async () => {
        await expect(conn.sobject('Conformance_List__c').create({ Code__c: 'X' })).rejects.toMatchObject({
            errorCode: 'REQUIRED_FIELD_MISSING'
        });
        expect((await conn.sobject('Conformance_List__c').create({ Name: 'EU', Code__c: 'X' })).success).toBe(true);
        await expect(conn.sobject('Conformance_List__c').create({ Name: 'EU', Code__c: 'Y' })).rejects.toMatchObject({
            errorCode: 'DUPLICATE_VALUE'
        });
    });

    it('loads a permissionsets/X.permissionset file like an SFDX one', async () => {
        const res = await conn.query<{ Name: string; Label: string }>(
            "SELECT Name, Label FROM PermissionSet WHERE Name = 'Conformance_Reader'"
        );
        expect(res.records).toEqual([
            expect.objectContaining({ Name: 'Conformance_Reader', Label: 'Conformance Reader' })
        ]);
    });
});

describe('admin API field route', () => {
    it("takes a field in describe shape, describe's custom key included", async () => {
        const added = await admin(emu, 'POST', '/schema/Account/fields', {
            name: 'Fidelity_Note__c',
            type: 'string',
            length: 40,
            label: 'Fidelity Note',
            custom: true
        });
        expect(added.status).toBe(201);
        const field = (await conn.describe('Account')).fields.find((f) => f.name === 'Fidelity_Note__c');
        expect(field).toMatchObject({ custom: true, length: 40, type: 'string' });
        const refused = await admin(emu, 'POST', '/schema/Account/fields', {
            name: 'Fidelity_Other__c',
            type: 'string',
            custom: false
        });
        expect(refused).toMatchObject({ status: 400, json: [expect.objectContaining({ fields: ['custom'] })] });
    });
});

describe('SOSL search', () => {
    it('finds rows by a word of their searched fields (jsforce search())', async () => {
        await conn.sobject('Account').create([{ Name: 'Platypus Partners' }, { Name: 'Echidna Estates' }]);
        await conn.sobject('Contact').create({ LastName: 'Platypussy', Email: 'p@platypus.example' });
        const res = await conn.search(
            'FIND {platypus*} IN ALL FIELDS RETURNING Account(Name), Contact(LastName, Email)'
        );
        expect(
            res.searchRecords.map((r) => [
                r.attributes?.type,
                (r as Record<string, unknown>).Name ?? (r as Record<string, unknown>).LastName
            ])
        ).toEqual([
            ['Account', 'Platypus Partners'],
            ['Contact', 'Platypussy']
        ]);
        const email = await conn.search('FIND {platypus} IN EMAIL FIELDS RETURNING Contact(Email)');
        expect(email.searchRecords).toHaveLength(1);
        await expect(conn.search('FIND {x} RETURNING Account')).rejects.toMatchObject({ errorCode: 'INVALID_SEARCH' });
    });
});

describe('features answered as an org without them', () => {
    it('explains a query (one TableScan plan)', async () => {
        const plan = await conn.query("SELECT Id FROM Account WHERE Name LIKE 'Paged by size%'").explain();
        expect(plan.plans[0]).toMatchObject({
            leadingOperationType: 'TableScan',
            sobjectType: 'Account',
            cardinality: 7
        });
    });

    it('has no list views and no layouts', async () => {
        const views = (await conn.sobject('Account').listviews()) as unknown as { size: number; listviews: unknown[] };
        expect(views).toMatchObject({ size: 0, listviews: [] });
        await expect(conn.sobject('Account').layouts()).rejects.toMatchObject({ errorCode: 'NOT_FOUND' });
        expect((await conn.describe('Account')).layoutable).toBe(false);
    });

    it('refuses Bulk API 1.0 as an org with the Bulk API disabled', async () => {
        await expect(conn.bulk.load('Account', 'insert', [{ Name: 'Bulk v1' }])).rejects.toMatchObject({
            name: 'FeatureNotEnabled'
        });
    });
});
