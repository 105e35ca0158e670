/**
 * Sends only for what the rep may see and do, in a Private-sharing org with the shipped permission sets. The
 * requests cross the boundary on real code: the package's Apex publishes them (the LWC's controllers through the
 * emulator's Aura door, as the rep or the admin), or a person publishes the event by hand through the REST API; the
 * real Pub/Sub client hears them, the real engine checks the requester (the event's CreatedById, set by the org) and
 * acts or refuses: a RequestRejected status the org hears, and a warning logged with the code.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
    DEFAULT_RULES,
    loadRuleSet,
    parseStatusEvent,
    select,
    where,
    type StatusEvent
} from '../../src/domain/index.ts';
import { MemoryClm } from '../../src/adapters/clm/memory/memoryClm.ts';
import type { JsforceSalesforce } from '../../src/adapters/salesforce/jsforceSalesforce.ts';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';
import type { StorePort } from '../../src/ports/store.ts';
import { SyncEngine } from '../../src/app/syncEngine.ts';
import { PubSubIngest, SYNC_REQUEST_CHANNEL } from '../../src/adapters/salesforce/pubsub/pubsubIngest.ts';
import { asJson } from '../../src/app/payloads.ts';
import { closeWorld, connectAs, settle as settleAll } from './pubsubWorld.ts';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '@clm/emulators/salesforce';
import type { Clock } from '../../src/clock.ts';

const silent = { info() {}, warn() {}, error() {} };
let emu: RunningSalesforceEmulator;
let admin: JsforceSalesforce;
let rep: JsforceSalesforce;
let tokens: { admin: string; rep: string; integration: string };
let store: StorePort;
let clm: MemoryClm;
let engine: SyncEngine;
let ingest: PubSubIngest;
let dir: string;
let clock = Date.parse('2026-12-01T09:00:00.000Z');
const connectorClock: Clock = { now: () => clock, sleep: async () => undefined };
const statuses: StatusEvent[] = [];
const warnings: Record<string, unknown>[] = [];

async function settle(): Promise<void> {
    await settleAll(emu.orgId, ingest, engine, store);
}

/** An @AuraEnabled method of the package, called as the LWC calls it, with the user's session. */
async function aura(token: string, classname: string, method: string, params: Record<string, unknown>) {
    const res = await fetch(`${emu.instanceUrl}/aura/apex`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ namespace: '', classname, method, params })
    });
    return { status: res.status, json: (await res.json()) as { returnValue?: unknown; body?: { message?: string } } };
}

/** A deal the CLM can take, created by `as` (who then owns it): Account with a signer, Opportunity. */
async function deal(as: JsforceSalesforce, name: string): Promise<string> {
    const [account] = await as.write([
        { ref: 'a', sfObject: 'Account', fields: { Name: `${name} Inc`, BillingCity: 'Lyon', BillingCountry: 'FR' } }
    ]);
    await as.write([
        {
            ref: 'c',
            sfObject: 'Contact',
            fields: { LastName: 'Signer', Email: `sam@${name.toLowerCase()}.example`, AccountId: account!.id! }
        }
    ]);
    const [opportunity] = await as.write([
        {
            ref: 'o',
            sfObject: 'Opportunity',
            fields: {
                Name: `${name} deal`,
                StageName: 'Proposal/Price Quote',
                CloseDate: '2027-03-31',
                Amount: 50000,
                AccountId: account!.id!
            }
        }
    ]);
    return opportunity!.id!;
}

const contractOf = (opportunityId: string) =>
    clm.findByExternalRef({ system: 'salesforce', objectType: 'Opportunity', id: opportunityId });

const refusal = (requestId: string) => statuses.find((s) => s.kind === 'RequestRejected' && s.requestId === requestId);

beforeAll(async () => {
    emu = await startSalesforceEmulator({ pubsub: true, sharing: 'private' });
    emu.hook.subscribe((tx) => {
        for (const event of tx.events)
            if (event.sobject === 'Clm_Sync_Status__e' && event.fields) statuses.push(parseStatusEvent(event.fields));
    });
    dir = mkdtempSync(path.join(os.tmpdir(), 'clm-requester-'));
    store = await openSqliteStore({ file: path.join(dir, 'store.db'), clock: connectorClock });
    const adminConnection = await connectAs(emu, emu.username, 'sales-console');
    const repConnection = await connectAs(emu, emu.users.salesRep.username, 'sales-console');
    const integration = await connectAs(emu, emu.users.integration.username, 'clm-connector');
    admin = adminConnection.port;
    rep = repConnection.port;
    tokens = {
        admin: adminConnection.conn.accessToken!,
        rep: repConnection.conn.accessToken!,
        integration: integration.conn.accessToken!
    };
    clm = new MemoryClm(connectorClock);
    engine = new SyncEngine({
        orgId: emu.orgId,
        store,
        salesforce: integration.port,
        clm,
        rules: loadRuleSet(DEFAULT_RULES),
        context: { connectorClientId: 'clm-connector', transform: { orgCurrency: 'USD' } },
        orgCurrency: 'USD',
        clock: connectorClock,
        random: () => 0,
        log: (level, _message, fields) => {
            if (level === 'warn') warnings.push(fields);
        }
    });
    ingest = new PubSubIngest({
        orgId: emu.orgId,
        store,
        endpoint: emu.pubsubEndpoint!,
        instanceUrl: emu.instanceUrl,
        accessToken: () => tokens.integration,
        channels: [SYNC_REQUEST_CHANNEL],
        logger: silent,
        allowSelfSignedTls: true
    });
    await ingest.start();
}, 120_000);

afterAll(() => closeWorld({ emu, ingest, store, dir }));

describe('sends only for what the rep may see and do', () => {
    it("a rep sends their own deal through the send action's controller: the connector acts on it", async () => {
        const opportunityId = await deal(rep, 'Owned');
        const sent = await aura(tokens.rep, 'ClmSendController', 'sendToClm', { recordId: opportunityId });
        expect(sent.status, JSON.stringify(sent.json)).toBe(200);
        expect(sent.json.returnValue).toMatchObject({ status: 'Sent' });
        await settle();
        const contract = await contractOf(opportunityId);
        expect(contract?.counterparty?.name).toBe('Owned Inc');
        // The integration user wrote back to the rep's own deal (Modify All Records under Private sharing).
        const [linked] = await admin.readByIds('Opportunity', ['CLM_Contract_Id__c', 'OwnerId'], [opportunityId]);
        expect(linked).toMatchObject({ CLM_Contract_Id__c: contract!.id, OwnerId: emu.users.salesRep.id });
        expect(warnings).toEqual([]);
    });

    it('a rep who cannot see a deal cannot send it: the Apex refuses, and so does the connector when hand-published', async () => {
        const opportunityId = await deal(admin, 'Hidden');
        const viaAction = await aura(tokens.rep, 'ClmSendController', 'sendToClm', { recordId: opportunityId });
        expect(viaAction.status).toBe(500);
        expect(viaAction.json.body?.message).toContain('CLM.RECORD_NOT_FOUND');
        // The rep may publish the event (Clm_Connector_User grants Create on it), naming someone else as requester.
        await rep.publish('Clm_Sync_Request__e', {
            Action__c: 'Send',
            Request_Id__c: 'sneaky-send',
            Record_Id__c: opportunityId,
            Object_Api_Name__c: 'Opportunity',
            Requested_By__c: emu.users.admin.id
        });
        await settle();
        expect(await contractOf(opportunityId)).toBeNull();
        expect(refusal('sneaky-send')).toMatchObject({
            result: 'Error',
            recordId: opportunityId,
            message: expect.stringContaining('REQUEST.RECORD_NOT_VISIBLE')
        });
        expect(warnings).toContainEqual(
            expect.objectContaining({
                code: 'REQUEST.RECORD_NOT_VISIBLE',
                requestId: 'sneaky-send',
                requestedBy: emu.users.salesRep.id
            })
        );
        const [untouched] = await admin.readByIds('Opportunity', ['CLM_Last_Sync_Result__c'], [opportunityId]);
        expect(untouched!.CLM_Last_Sync_Result__c).toBeNull();
    });

    it("a rep's hand-published resolve is refused and logged; the admin's decision through the console is acted on", async () => {
        // A deal the admin sends, then a conflict on its Special Terms (both sides changed).
        const opportunityId = await deal(admin, 'Contested');
        expect((await aura(tokens.admin, 'ClmSendController', 'sendToClm', { recordId: opportunityId })).status).toBe(
            200
        );
        await settle();
        const contract = (await contractOf(opportunityId))!;
        const [{ ContractId: contractRecordId }] = (await admin.readByIds(
            'Opportunity',
            ['ContractId'],
            [opportunityId]
        )) as [{ ContractId: string }];
        clock += 1000;
        await clm.updateContract(contract.id, { custom: { specialTerms: 'Net 45' } });
        await store.appendInbox(emu.orgId, [
            {
                source: 'salesforce:/data/ContractChangeEvent',
                eventId: 'cdc-contested',
                orderingKey: `opp:${opportunityId}`,
                payload: asJson({
                    kind: 'sf.change',
                    change: {
                        source: 'salesforce',
                        sfObject: 'Contract',
                        recordId: contractRecordId,
                        eventId: 'cdc-contested',
                        correlationId: 'corr-contested',
                        version: { at: new Date(clock).toISOString(), seq: 3 },
                        values: { SpecialTerms: 'Net 30' }
                    }
                }),
                correlationId: 'corr-contested'
            },
            {
                source: 'clm:memory:webhook',
                eventId: 'wh-contested',
                orderingKey: `opp:${opportunityId}`,
                payload: { kind: 'clm.event', contractId: contract.id, vendorEventId: 'wh-contested' },
                correlationId: 'corr-wh-contested'
            }
        ]);
        await settle();
        const conflictRow = async () =>
            (
                await admin.query(
                    select(['Id', 'Conflict_Key__c', 'Status__c'], 'Clm_Conflict__c', {
                        where: where.eq('Opportunity__c', opportunityId)
                    })
                )
            )[0]!;
        const open = await conflictRow();
        expect(open.Status__c).toBe('Open');

        // The rep has no Clm_Manage_Sync: a resolve they publish by hand is refused.
        await rep.publish('Clm_Sync_Request__e', {
            Action__c: 'ResolveConflict',
            Request_Id__c: 'rep-resolve',
            Record_Id__c: contractRecordId,
            Subject_Key__c: String(open.Conflict_Key__c),
            Payload__c: JSON.stringify({ resolution: 'EditedValue', value: 'Net 365' })
        });
        // The admin holds the permission, but a hand-published decision finds the conflict still Open.
        await admin.publish('Clm_Sync_Request__e', {
            Action__c: 'ResolveConflict',
            Request_Id__c: 'admin-by-hand',
            Subject_Key__c: String(open.Conflict_Key__c),
            Payload__c: JSON.stringify({ resolution: 'SalesforceValue' })
        });
        await settle();
        expect(refusal('rep-resolve')?.message).toContain('REQUEST.ADMIN_PERMISSION_MISSING');
        expect(refusal('admin-by-hand')?.message).toContain('REQUEST.STATE_MISMATCH');
        expect(warnings).toContainEqual(
            expect.objectContaining({ code: 'REQUEST.ADMIN_PERMISSION_MISSING', requestedBy: emu.users.salesRep.id })
        );
        expect((await conflictRow()).Status__c).toBe('Open');
        expect((await clm.getContract(contract.id)).custom?.specialTerms).toBe('Net 45');

        // The admin decides in the console: ClmAdminController records the decision and publishes it.
        const decided = await aura(tokens.admin, 'ClmAdminController', 'resolveConflict', {
            conflictId: open.Id,
            resolution: 'SalesforceValue',
            editedValue: null
        });
        expect(decided.status, JSON.stringify(decided.json)).toBe(200);
        await settle();
        expect((await conflictRow()).Status__c).toBe('Resolved');
        expect((await clm.getContract(contract.id)).custom?.specialTerms).toBe('Net 30');
    });

    it("a rep's hand-published retry is refused; so is one for an item nobody asked to retry", async () => {
        const [error] = await admin.write([
            {
                ref: 'e',
                sfObject: 'Clm_Sync_Error__c',
                fields: { Error_Key__c: 'outbox:4242', Status__c: 'Quarantined', Code__c: 'SF.TEST', Message__c: 'x' }
            }
        ]);
        expect(error?.success).toBe(true);
        await rep.publish('Clm_Sync_Request__e', {
            Action__c: 'RetryItem',
            Request_Id__c: 'rep-retry',
            Subject_Key__c: 'outbox:4242'
        });
        await admin.publish('Clm_Sync_Request__e', {
            Action__c: 'RetryItem',
            Request_Id__c: 'admin-retry-by-hand',
            Subject_Key__c: 'outbox:4242'
        });
        await settle();
        expect(refusal('rep-retry')?.message).toContain('REQUEST.ADMIN_PERMISSION_MISSING');
        expect(refusal('admin-retry-by-hand')?.message).toContain('REQUEST.STATE_MISMATCH');
        expect(warnings).toContainEqual(
            expect.objectContaining({ code: 'REQUEST.STATE_MISMATCH', requestId: 'admin-retry-by-hand' })
        );
    });
});
