// Record-level sharing in a Private-sharing test org (`sharing: 'private'`): the record owner, View All / Modify All,
// implicit parent sharing, lookups, deletes, UserRecordAccess, custom permissions as rows, and the package's own
// kind of Apex — `with sharing`, `without sharing`, `inherited sharing` and user-mode queries — through the Aura door.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../src/index.ts';
import { admin, call, connectAs, dataPath, tokenFor } from './helpers.ts';

const PROBES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'sharing-probe');

let emu: RunningSalesforceEmulator;
let adminConn: jsforce.Connection;
let integration: jsforce.Connection;
let rep: jsforce.Connection;
let repToken: string;
/** The admin's account and deal; the rep's own deal on that account. */
let adminAccount: string;
let adminDeal: string;
let repDeal: string;
let otherAccount: string;

const CLOSE = '2031-03-31';

beforeAll(async () => {
    emu = await startSalesforceEmulator({ sharing: 'private', metadataDirs: [PROBES] });
    adminConn = await connectAs(emu);
    integration = await connectAs(emu, emu.users.integration.username);
    rep = await connectAs(emu, emu.users.salesRep.username);
    repToken = await tokenFor(emu, emu.users.salesRep.username);
    adminAccount = (await adminConn.sobject('Account').create({ Name: 'Admin Account' })).id!;
    otherAccount = (await adminConn.sobject('Account').create({ Name: 'Nobody Told The Rep' })).id!;
    adminDeal = (
        await adminConn
            .sobject('Opportunity')
            .create({ Name: 'Admin Deal', StageName: 'Prospecting', CloseDate: CLOSE, AccountId: otherAccount })
    ).id!;
    // The admin puts the rep's deal on the admin's account and gives it to the rep, as an owner change would.
    repDeal = (
        await adminConn.sobject('Opportunity').create({
            Name: 'Rep Deal',
            StageName: 'Prospecting',
            CloseDate: CLOSE,
            AccountId: adminAccount,
            OwnerId: emu.users.salesRep.id
        })
    ).id!;
}, 120_000);

afterAll(async () => {
    await emu?.close();
});

const aura = async (classname: string, method: string, params: Record<string, unknown> = {}) => {
    const res = await call(emu, 'POST', '/aura/apex', {
        token: repToken,
        body: { namespace: '', classname, method, params }
    });
    expect(res.status, res.text).toBe(200);
    return (res.json as { returnValue: unknown }).returnValue;
};

describe('a Private-sharing org', () => {
    it('states its organization-wide defaults on the admin API', async () => {
        const defaults = (await admin(emu, 'GET', '/sharing')).json as Record<string, string>;
        expect(defaults).toMatchObject({
            Account: 'Private',
            Contact: 'ControlledByParent',
            Opportunity: 'Private',
            Contract: 'Private',
            SBQQ__Quote__c: 'Private',
            SBQQ__QuoteLine__c: 'ControlledByParent',
            Clm_Conflict__c: 'ReadWrite'
        });
    });

    it('the owner sees and edits their record; another user without View All neither sees nor edits it', async () => {
        await expect(rep.sobject('Opportunity').retrieve(repDeal)).resolves.toMatchObject({ Name: 'Rep Deal' });
        await rep.sobject('Opportunity').update({ Id: repDeal, StageName: 'Qualification' });
        const get = await call(emu, 'GET', dataPath(`/sobjects/Opportunity/${adminDeal}`), { token: repToken });
        expect(get.status).toBe(404);
        expect(get.json).toEqual([expect.objectContaining({ errorCode: 'NOT_FOUND' })]);
        const patch = await call(emu, 'PATCH', dataPath(`/sobjects/Opportunity/${adminDeal}`), {
            token: repToken,
            body: { StageName: 'Closed Lost' }
        });
        expect(patch.status).toBe(400);
        expect(patch.json).toEqual([expect.objectContaining({ errorCode: 'INSUFFICIENT_ACCESS_OR_READONLY' })]);
    });

    it('a query, composite and Bulk API 2.0 query leave out what the user cannot see', async () => {
        const ids = async (conn: jsforce.Connection) =>
            (await conn.query<{ Id: string }>('SELECT Id FROM Opportunity ORDER BY Name')).records.map((r) => r.Id);
        expect(await ids(rep)).toEqual([repDeal]);
        expect(await ids(adminConn)).toEqual([adminDeal, repDeal]);
        const composite = await call(
            emu,
            'GET',
            dataPath(`/composite/sobjects/Opportunity?ids=${repDeal},${adminDeal}&fields=Name`),
            { token: repToken }
        );
        expect(composite.status).toBe(200);
        // A record the user may not see reads as one that does not exist: null in its place.
        expect(composite.json).toEqual([expect.objectContaining({ Name: 'Rep Deal' }), null]);
        const rows = await rep.bulk2.query('SELECT Id FROM Opportunity', {
            pollInterval: 20,
            pollTimeout: 10_000
        } as never);
        const bulkIds: string[] = [];
        for await (const r of rows as AsyncIterable<{ Id: string }>) bulkIds.push(r.Id);
        expect(bulkIds).toEqual([repDeal]);
    });

    it('View All Records on the object reads every record but does not edit it; Modify All Records edits', async () => {
        const [deal] = await integration.sobject('Opportunity').retrieve([adminDeal]);
        expect(deal).toMatchObject({ Name: 'Admin Deal' });
        const grant = (
            await adminConn.query<{ Id: string }>(
                "SELECT Id FROM ObjectPermissions WHERE Parent.Name = 'Clm_Connector_Integration' AND SobjectType = 'Opportunity'"
            )
        ).records[0]!;
        const modifyAll = async (on: boolean) =>
            adminConn.sobject('ObjectPermissions').update({ Id: grant.Id, PermissionsModifyAllRecords: on });
        await modifyAll(false);
        await expect(
            integration.sobject('Opportunity').update({ Id: adminDeal, NextStep: 'Call legal' })
        ).rejects.toMatchObject({ errorCode: 'INSUFFICIENT_ACCESS_OR_READONLY' });
        await modifyAll(true);
        await expect(
            integration.sobject('Opportunity').update({ Id: adminDeal, NextStep: 'Call legal' })
        ).resolves.toMatchObject({ success: true });
    });

    it('whoever sees a deal may read its account (implicit parent sharing) but not edit it; its contacts follow the account', async () => {
        await expect(rep.sobject('Account').retrieve(adminAccount)).resolves.toMatchObject({ Name: 'Admin Account' });
        await expect(rep.sobject('Account').update({ Id: adminAccount, Name: 'Renamed' })).rejects.toMatchObject({
            errorCode: 'INSUFFICIENT_ACCESS_OR_READONLY'
        });
        const contact = (await adminConn.sobject('Contact').create({ LastName: 'Hidden', AccountId: otherAccount }))
            .id!;
        const visible = await rep.query<{ Id: string }>(`SELECT Id FROM Contact WHERE Id = '${contact}'`);
        expect(visible.totalSize).toBe(0);
        const accounts = await rep.query<{ Id: string }>('SELECT Id FROM Account');
        expect(accounts.records.map((r) => r.Id)).toEqual([adminAccount]);
    });

    it('a lookup to a record the user cannot see is refused; deleting takes ownership', async () => {
        const res = await call(emu, 'POST', dataPath('/sobjects/Opportunity'), {
            token: repToken,
            body: { Name: 'Sneaky', StageName: 'Prospecting', CloseDate: CLOSE, AccountId: otherAccount }
        });
        expect(res.status).toBe(400);
        expect(res.json).toEqual([
            expect.objectContaining({
                errorCode: 'INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY',
                fields: ['AccountId']
            })
        ]);
        await admin(emu, 'PUT', '/sharing/Opportunity', { model: 'ReadWrite' });
        try {
            await rep.sobject('Opportunity').update({ Id: adminDeal, NextStep: 'Public Read/Write edits' });
            const del = await call(emu, 'DELETE', dataPath(`/sobjects/Opportunity/${adminDeal}`), { token: repToken });
            expect(del.status).toBe(400);
            expect(del.json).toEqual([expect.objectContaining({ errorCode: 'INSUFFICIENT_ACCESS_OR_READONLY' })]);
        } finally {
            await admin(emu, 'PUT', '/sharing/Opportunity', { model: 'Private' });
        }
    });

    it('UserRecordAccess answers each record by the sharing model, capped by the object permissions', async () => {
        const res = await adminConn.query<Record<string, unknown>>(
            `SELECT RecordId, HasReadAccess, HasEditAccess, HasDeleteAccess, MaxAccessLevel FROM UserRecordAccess WHERE UserId = '${emu.users.salesRep.id}' AND RecordId IN ('${repDeal}', '${adminDeal}', '${adminAccount}')`
        );
        const byId = Object.fromEntries(res.records.map(({ attributes: _a, ...r }) => [r.RecordId, r]));
        expect(byId[repDeal]).toMatchObject({
            HasReadAccess: true,
            HasEditAccess: true,
            HasDeleteAccess: true,
            MaxAccessLevel: 'All'
        });
        expect(byId[adminDeal]).toMatchObject({ HasReadAccess: false, HasEditAccess: false, MaxAccessLevel: 'None' });
        expect(byId[adminAccount]).toMatchObject({ HasReadAccess: true, HasEditAccess: false, MaxAccessLevel: 'Read' });
        await expect(adminConn.query('SELECT RecordId FROM UserRecordAccess')).rejects.toMatchObject({
            errorCode: 'MALFORMED_QUERY'
        });
        // The running user sees only the records they may read: the rep asking about the admin's deal hears nothing.
        const asRep = await rep.query(
            `SELECT RecordId, HasReadAccess FROM UserRecordAccess WHERE UserId = '${emu.users.admin.id}' AND RecordId = '${adminDeal}'`
        );
        expect(asRep.totalSize).toBe(0);
    });

    it('custom permissions are queryable rows: SetupEntityAccess under the permission sets that grant them', async () => {
        const granted = await adminConn.query<{ Parent: { Name: string } }>(
            "SELECT Parent.Name FROM SetupEntityAccess WHERE SetupEntityType = 'CustomPermission' AND SetupEntityId IN (SELECT Id FROM CustomPermission WHERE DeveloperName = 'Clm_Manage_Sync')"
        );
        expect(granted.records.map((r) => r.Parent.Name)).toEqual(['Clm_Connector_Admin']);
    });
});

describe('Apex sees what its sharing declaration says', () => {
    it('with sharing: the running user’s records; without sharing: all; inherited at the entry: with', async () => {
        expect(await aura('SharingProbeWith', 'visible')).toBe(1);
        expect(await aura('SharingProbeWithout', 'visible')).toBe(2);
        expect(await aura('SharingProbeWith', 'visibleThroughWithout')).toBe(2);
        expect(await aura('SharingProbeInherited', 'visible')).toBe(1);
    });

    it('user-mode queries see what the user sees, even in a without sharing class', async () => {
        expect(await aura('SharingProbeWithout', 'visibleInUserMode')).toBe(1);
        expect(await aura('SharingProbeWithout', 'visibleWithAccessLevel')).toBe(1);
    });

    it('the package’s send preview (with sharing, user mode) does not find a deal the rep cannot see', async () => {
        const res = await call(emu, 'POST', '/aura/apex', {
            token: repToken,
            body: {
                namespace: '',
                classname: 'ClmSendController',
                method: 'previewSend',
                params: { recordId: adminDeal }
            }
        });
        expect(res.status).toBe(500);
        expect(JSON.stringify(res.json)).toContain('CLM.RECORD_NOT_FOUND');
    });
});
