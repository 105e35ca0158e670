// Users and permissions: the three seeded users, permission sets from metadata, and FLS on describe, query,
// retrieve and writes — what least privilege and the admin's pre-flight check rely on.
import type jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSalesforceEmulator } from '../src/index.ts';
import { admin, call, connectAs, dataPath, startFixtureOrg } from './helpers.ts';

let emu: RunningSalesforceEmulator;
let adminConn: jsforce.Connection;
let integration: jsforce.Connection;
let salesRep: jsforce.Connection;
let accountId: string;

beforeAll(async () => {
    emu = await startFixtureOrg();
    adminConn = await connectAs(emu);
    integration = await connectAs(emu, emu.users.integration.username);
    salesRep = await connectAs(emu, emu.users.salesRep.username);
    const res = await adminConn
        .sobject('Account')
        .create({ Name: 'Secretive', Clm_Account_Key__c: 'S-1', Risk_Score__c: 7.5, Legacy_Code__c: 'LC' });
    accountId = res.id!;
});
afterAll(async () => {
    await emu?.close();
});

const fieldNames = async (conn: jsforce.Connection, object: string) =>
    (await conn.sobject(object).describe()).fields.map((f) => f.name);

describe('seeded users and permission sets', () => {
    it('seeds three users, each able to log in, with their permission sets queryable', async () => {
        const users = await adminConn.query<{ Username: string; Profile: { Name: string } }>(
            'SELECT Username, Profile.Name FROM User ORDER BY Username'
        );
        expect(users.records.map((u) => [u.Username, u.Profile.Name])).toEqual([
            [emu.users.admin.username, 'System Administrator'],
            [emu.users.integration.username, 'Minimum Access - API Only Integrations'],
            [emu.users.salesRep.username, 'Standard User']
        ]);
        const assigned = await integration.query<{ PermissionSet: { Name: string } }>(
            `SELECT PermissionSet.Name FROM PermissionSetAssignment WHERE AssigneeId = '${emu.users.integration.id}' AND PermissionSet.IsOwnedByProfile = false`
        );
        expect(assigned.records.map((r) => r.PermissionSet.Name)).toEqual(['Clm_Connector_Integration']);
        const fieldPerms = await adminConn.query<{ Field: string; PermissionsEdit: boolean }>(
            "SELECT Field, PermissionsEdit FROM FieldPermissions WHERE Parent.Name = 'Clm_Connector_Integration' AND SobjectType = 'Account' ORDER BY Field"
        );
        expect(fieldPerms.records.map((r) => [r.Field, r.PermissionsEdit])).toEqual([
            ['Account.Clm_Account_Key__c', true],
            ['Account.Risk_Score__c', false]
        ]);
    });

    it('client credentials run as the integration user', async () => {
        const res = await call(emu, 'POST', '/services/oauth2/token', {
            body: `grant_type=client_credentials&client_id=${encodeURIComponent(emu.clientId)}&client_secret=${emu.clientSecret}`,
            contentType: 'application/x-www-form-urlencoded'
        });
        expect(res.status).toBe(200);
        expect((res.json as { id: string }).id).toMatch(new RegExp(`/${emu.users.integration.id}$`));
    });
});

describe('field-level security', () => {
    it('describe shows each user only the fields they may read', async () => {
        const asAdmin = await fieldNames(adminConn, 'Account');
        const asIntegration = await fieldNames(integration, 'Account');
        const asRep = await fieldNames(salesRep, 'Account');
        expect(asAdmin).toEqual(
            expect.arrayContaining(['Clm_Account_Key__c', 'Risk_Score__c', 'Legacy_Code__c', 'Tier__c'])
        );
        expect(asIntegration).toEqual(expect.arrayContaining(['Name', 'Clm_Account_Key__c', 'Risk_Score__c']));
        expect(asIntegration).not.toContain('Legacy_Code__c');
        expect(asIntegration).not.toContain('Tier__c');
        expect(asRep).toEqual(expect.arrayContaining(['Name', 'Clm_Account_Key__c', 'Tier__c']));
        expect(asRep).not.toContain('Risk_Score__c');
    });

    it('a query naming a hidden field fails as if the field did not exist', async () => {
        await expect(salesRep.query('SELECT Id, Risk_Score__c FROM Account')).rejects.toMatchObject({
            errorCode: 'INVALID_FIELD'
        });
        const ok = await integration.query<{ Risk_Score__c: number }>('SELECT Id, Risk_Score__c FROM Account');
        expect(ok.records[0]!.Risk_Score__c).toBe(7.5);
    });

    it('a retrieve returns only visible fields, and asking for a hidden one is a 400', async () => {
        const rec = (await salesRep.sobject('Account').retrieve(accountId)) as Record<string, unknown>;
        expect(rec).toHaveProperty('Clm_Account_Key__c', 'S-1');
        expect(rec).not.toHaveProperty('Risk_Score__c');
        const res = await call(emu, 'GET', dataPath(`/sobjects/Account/${accountId}?fields=Risk_Score__c`), {
            token: salesRep.accessToken!
        });
        expect(res.status).toBe(400);
        expect(res.json).toEqual([expect.objectContaining({ errorCode: 'INVALID_FIELD' })]);
    });

    it('writing a read-only field fails with INVALID_FIELD_FOR_INSERT_UPDATE naming it', async () => {
        await expect(integration.sobject('Account').update({ Id: accountId, Risk_Score__c: 1 })).rejects.toMatchObject({
            errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE',
            message: expect.stringContaining('Unable to create/update fields: Risk_Score__c.')
        });
        const raw = await call(emu, 'PATCH', dataPath(`/sobjects/Account/${accountId}`), {
            token: integration.accessToken!,
            body: { Risk_Score__c: 1 }
        });
        expect(raw.status).toBe(400);
        expect(raw.json).toEqual([
            expect.objectContaining({ errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', fields: ['Risk_Score__c'] })
        ]);
        await expect(
            salesRep.sobject('Account').update({ Id: accountId, Clm_Account_Key__c: 'S-2' })
        ).rejects.toMatchObject({
            errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE'
        });
        await integration.sobject('Account').update({ Id: accountId, Clm_Account_Key__c: 'S-2' });
        const rec = (await adminConn.sobject('Account').retrieve(accountId)) as Record<string, unknown>;
        expect(rec.Clm_Account_Key__c).toBe('S-2');
    });

    it('object permissions: no access means the object does not exist; read-only means no edit', async () => {
        await expect(salesRep.sobject('Clm_Sync_Log__c').create({ Message__c: 'x' })).rejects.toMatchObject({
            errorCode: 'NOT_FOUND'
        });
        await expect(salesRep.query('SELECT Id FROM Clm_Sync_Log__c')).rejects.toMatchObject({
            errorCode: 'INVALID_TYPE'
        });
        const log = await integration
            .sobject('Clm_Sync_Log__c')
            .create({ Message__c: 'synced', Account__c: accountId });
        expect(log.success).toBe(true);
        await expect(
            integration.sobject('Clm_Sync_Log__c').update({ Id: log.id!, Message__c: 'edited' })
        ).rejects.toMatchObject({
            errorCode: 'INSUFFICIENT_ACCESS_OR_READONLY'
        });
        await expect(integration.sobject('Contact').create({ LastName: 'No access' })).rejects.toMatchObject({
            errorCode: 'NOT_FOUND'
        });
    });

    it('an assignment made through the admin API takes effect on the next call', async () => {
        await expect(salesRep.query('SELECT Id FROM Clm_Sync_Log__c')).rejects.toMatchObject({
            errorCode: 'INVALID_TYPE'
        });
        const res = await admin(emu, 'POST', '/assignments', {
            username: emu.users.salesRep.username,
            permissionSet: 'Clm_Connector_Integration'
        });
        expect(res.status).toBe(201);
        const rows = await salesRep.query('SELECT Id, Message__c FROM Clm_Sync_Log__c');
        expect(rows.totalSize).toBe(1);
    });
});
