/**
 * The org contract's paths, the connector's half, end to end: requests are built with the contract's builder (the
 * Apex publishes the same fields through ClmContract), read by the ingest's mapping, processed by the real engine
 * over the SQLite store, the Salesforce emulator and the in-memory CLM; what reaches the org is read back from the
 * emulator (records) and its event bus (status events, parsed with the contract's parser). Each test is one path
 * that was dead before the contract: it fails when the connector's half of it is removed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
    DEFAULT_RULES,
    STATUS_KINDS,
    loadRuleSet,
    parseStatusEvent,
    provenanceKey,
    select,
    syncRequestFields,
    type StatusEvent,
    type SyncRequest,
    where
} from '../../src/domain/index.ts';
import { MemoryClm } from '../../src/adapters/clm/memory/memoryClm.ts';
import { connectWithJwt, JsforceSalesforce } from '../../src/adapters/salesforce/jsforceSalesforce.ts';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';
import type { StorePort } from '../../src/ports/store.ts';
import { SyncEngine } from '../../src/app/syncEngine.ts';
import { payloadFromSyncRequest } from '../../src/adapters/salesforce/pubsub/changeEvents.ts';
import { asJson } from '../../src/app/payloads.ts';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '@clm/emulators/salesforce';
import type { Clock } from '../../src/clock.ts';

let emu: RunningSalesforceEmulator;
let admin: JsforceSalesforce;
let store: StorePort;
let clm: MemoryClm;
let engine: SyncEngine;
let dir: string;
let clock = Date.parse('2026-11-23T09:00:00.000Z');
const connectorClock: Clock = { now: () => clock, sleep: async () => undefined };
const statuses: StatusEvent[] = [];
const ORG = '00D000000000001AAA';
let replayId = 0;

async function connect(username: string): Promise<JsforceSalesforce> {
    const conn = await connectWithJwt({
        loginUrl: emu.loginUrl,
        clientId: emu.jwtConsumerKey,
        username,
        privateKeyPem: readFileSync(emu.jwtPrivateKeyPath, 'utf8'),
        apiVersion: emu.apiVersion
    });
    return new JsforceSalesforce(conn, { connectorClientId: 'clm-connector', apiVersion: emu.apiVersion });
}

async function insert(sfObject: string, fields: Record<string, string | number | boolean | null>): Promise<string> {
    const [result] = await admin.write([{ ref: 'x', sfObject, fields }]);
    if (!result?.success) throw result?.error ?? new Error(`insert ${sfObject}`);
    return result.id!;
}

async function row(sfObject: string, id: string, fields: string[]) {
    const [found] = await admin.readByIds(sfObject, fields, [id]);
    return found!;
}

/** A deal the CLM can take: an Account with a signer. */
async function deal(name: string): Promise<string> {
    const accountId = await insert('Account', { Name: `${name} Inc`, BillingCity: 'Lyon', BillingCountry: 'FR' });
    await insert('Contact', { LastName: 'Signer', Email: `sam@${name.toLowerCase()}.example`, AccountId: accountId });
    return insert('Opportunity', {
        Name: `${name} deal`,
        StageName: 'Proposal/Price Quote',
        CloseDate: '2027-03-31',
        Amount: 50000,
        AccountId: accountId
    });
}

/** What the org publishes for a request, as the ingest stores it. */
async function orgRequests(request: SyncRequest) {
    replayId += 1;
    // CreatedById is the platform's: the admin published it (ClmSyncRequestService runs as the person who asked).
    const payload = payloadFromSyncRequest({
        replayId,
        payload: { ...syncRequestFields(request), CreatedById: emu.userId }
    });
    expect(payload).not.toBeNull();
    await store.appendInbox(ORG, [
        {
            source: 'salesforce:/event/Clm_Sync_Request__e',
            eventId: String(replayId),
            orderingKey: request.requestId,
            objectType: 'Clm_Sync_Request__e',
            payload: asJson(payload),
            correlationId: `req-${request.requestId}`
        }
    ]);
    await engine.runUntilIdle();
}

async function contractOf(opportunityId: string) {
    return (await clm.findByExternalRef({ system: 'salesforce', objectType: 'Opportunity', id: opportunityId }))!;
}

async function clmEvent(opportunityId: string, contractId: string, eventId: string) {
    await store.appendInbox(ORG, [
        {
            source: 'clm:memory:webhook',
            eventId,
            orderingKey: `opp:${opportunityId}`,
            payload: { kind: 'clm.event', contractId, vendorEventId: eventId },
            correlationId: `corr-${eventId}`
        }
    ]);
    await engine.runUntilIdle();
}

const statusesFor = (recordId: string) => statuses.filter((status) => status.recordId === recordId);

beforeAll(async () => {
    emu = await startSalesforceEmulator();
    emu.hook.subscribe((tx) => {
        for (const event of tx.events)
            if (event.sobject === 'Clm_Sync_Status__e' && event.fields) statuses.push(parseStatusEvent(event.fields));
    });
    dir = mkdtempSync(path.join(os.tmpdir(), 'clm-contract-'));
    store = await openSqliteStore({ file: path.join(dir, 'store.db'), maxAttempts: 3, clock: connectorClock });
    admin = await connect(emu.username);
    clm = new MemoryClm(connectorClock);
    engine = new SyncEngine({
        orgId: ORG,
        store,
        salesforce: await connect(emu.users.integration.username),
        clm,
        rules: loadRuleSet(DEFAULT_RULES),
        context: { connectorClientId: 'clm-connector', transform: { orgCurrency: 'USD' } },
        orgCurrency: 'USD',
        clock: connectorClock,
        random: () => 0
    });
});

afterAll(async () => {
    await store?.close();
    await emu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the org contract, connector half', () => {
    it("sends a deal from its primary CPQ quote: the quote's Opportunity is linked, the quote Pending then Synced", async () => {
        const opportunityId = await deal('Quoted');
        const quoteId = await insert('SBQQ__Quote__c', {
            SBQQ__Opportunity2__c: opportunityId,
            SBQQ__Primary__c: true
        });
        await orgRequests({
            action: 'Send',
            requestId: 'quote-send',
            recordId: quoteId,
            objectApiName: 'SBQQ__Quote__c'
        });
        const contract = await contractOf(opportunityId);
        expect(contract).toBeDefined();
        expect(
            await row('Opportunity', opportunityId, ['CLM_Contract_Id__c', 'CLM_Last_Sync_Result__c'])
        ).toMatchObject({ CLM_Contract_Id__c: contract.id, CLM_Last_Sync_Result__c: 'Synced' });
        expect((await row('SBQQ__Quote__c', quoteId, ['CLM_Last_Sync_Result__c'])).CLM_Last_Sync_Result__c).toBe(
            'Synced'
        );
        expect(await store.listQuarantined(ORG)).toEqual([]);
    });

    it('refuses a send from a quote that is not primary, on the quote, with a RequestRejected status', async () => {
        const opportunityId = await deal('Secondary');
        const quoteId = await insert('SBQQ__Quote__c', {
            SBQQ__Opportunity2__c: opportunityId,
            SBQQ__Primary__c: false
        });
        await orgRequests({
            action: 'Send',
            requestId: 'quote-2nd',
            recordId: quoteId,
            objectApiName: 'SBQQ__Quote__c'
        });
        expect(clm.countByRef({ system: 'salesforce', objectType: 'Opportunity', id: opportunityId })).toBe(0);
        expect(statusesFor(quoteId)).toEqual([
            expect.objectContaining({ kind: 'RequestRejected', result: 'Error', requestId: 'quote-2nd' })
        ]);
        expect((await row('SBQQ__Quote__c', quoteId, ['CLM_Last_Sync_Result__c'])).CLM_Last_Sync_Result__c).toBe(
            'Error'
        );
    });

    it('publishes LifecycleChanged only when the lifecycle moved, and writes who last wrote each field', async () => {
        const opportunityId = await deal('Lifecycle');
        await orgRequests({
            action: 'Send',
            requestId: 'life-send',
            recordId: opportunityId,
            objectApiName: 'Opportunity'
        });
        const contract = await contractOf(opportunityId);
        // The contract's first read moves the deal's lifecycle from none to Draft.
        expect(statusesFor(opportunityId).map((status) => status.kind)).toEqual(['LifecycleChanged']);
        clock += 60_000;
        await clm.transition(contract.id, 'submit');
        await clmEvent(opportunityId, contract.id, 'wh-submit');
        expect(statusesFor(opportunityId).at(-1)).toMatchObject({
            kind: 'LifecycleChanged',
            lifecycle: 'InReview',
            result: 'Synced'
        });
        // Legal edits the terms only: values applied, the lifecycle stayed.
        clock += 60_000;
        await clm.updateContract(contract.id, { custom: { specialTerms: 'Net 60' } });
        await clmEvent(opportunityId, contract.id, 'wh-terms');
        expect(statusesFor(opportunityId).map((status) => status.kind)).toEqual([
            'LifecycleChanged',
            'LifecycleChanged',
            'Applied'
        ]);
        const [provenance] = await admin.query(
            select(['Record_Id__c', 'Field__c', 'Written_By__c', 'Opportunity__c'], 'Clm_Field_Provenance__c', {
                where: where.eq('Provenance_Key__c', provenanceKey(opportunityId, 'CLM_Lifecycle__c'))
            })
        );
        expect(provenance).toMatchObject({
            Record_Id__c: opportunityId,
            Field__c: 'CLM_Lifecycle__c',
            Written_By__c: 'Clm',
            Opportunity__c: opportunityId
        });
    });

    it('closes a conflict the org decided: Open with a Conflict status, then Resolved and the deal Synced', async () => {
        const opportunityId = await deal('Conflicted');
        await orgRequests({
            action: 'Send',
            requestId: 'conf-send',
            recordId: opportunityId,
            objectApiName: 'Opportunity'
        });
        const contract = await contractOf(opportunityId);
        const contractRecordId = String((await row('Opportunity', opportunityId, ['ContractId'])).ContractId);
        // Legal edits the terms in the CLM while a rep edits them in Salesforce; the CLM's webhook comes later.
        clock += 1000;
        await clm.updateContract(contract.id, { custom: { specialTerms: 'Net 45' } });
        await store.appendInbox(ORG, [
            {
                source: 'salesforce:/data/ContractChangeEvent',
                eventId: 'cdc-conf',
                orderingKey: `opp:${opportunityId}`,
                payload: asJson({
                    kind: 'sf.change',
                    change: {
                        source: 'salesforce',
                        sfObject: 'Contract',
                        recordId: contractRecordId,
                        eventId: 'cdc-conf',
                        correlationId: 'corr-conf',
                        version: { at: new Date(clock).toISOString(), seq: 3 },
                        values: { SpecialTerms: 'Net 30' }
                    }
                }),
                correlationId: 'corr-conf'
            }
        ]);
        await engine.runUntilIdle();
        await clmEvent(opportunityId, contract.id, 'wh-conf');
        const [open] = await admin.query(
            select(['Id', 'Conflict_Key__c', 'Status__c'], 'Clm_Conflict__c', {
                where: where.eq('Opportunity__c', opportunityId)
            })
        );
        expect(open).toMatchObject({ Status__c: 'Open' });
        expect(statusesFor(contractRecordId).map((status) => status.kind)).toContain('Conflict');
        expect((await row('Opportunity', opportunityId, ['CLM_Last_Sync_Result__c'])).CLM_Last_Sync_Result__c).toBe(
            'Conflict'
        );
        // The person's decision, as ClmSyncRequestService records and sends it.
        await admin.write([
            {
                ref: 'd',
                sfObject: 'Clm_Conflict__c',
                id: String(open!.Id),
                fields: { Status__c: 'ResolutionRequested', Resolution__c: 'ClmValue' }
            }
        ]);
        await orgRequests({
            action: 'ResolveConflict',
            requestId: 'conf-decide',
            conflictKey: String(open!.Conflict_Key__c),
            conflictId: String(open!.Id),
            resolution: 'ClmValue',
            value: null
        });
        expect((await row('Clm_Conflict__c', String(open!.Id), ['Status__c'])).Status__c).toBe('Resolved');
        expect((await row('Contract', contractRecordId, ['SpecialTerms'])).SpecialTerms).toBe('Net 45');
        expect((await row('Opportunity', opportunityId, ['CLM_Last_Sync_Result__c'])).CLM_Last_Sync_Result__c).toBe(
            'Synced'
        );
    });

    it('retries a quarantined item the org asked for: Quarantined, then Retrying, then Resolved', async () => {
        const opportunityId = await deal('Failing');
        await orgRequests({
            action: 'Send',
            requestId: 'fail-send',
            recordId: opportunityId,
            objectApiName: 'Opportunity'
        });
        const contract = await contractOf(opportunityId);
        // A validation rule refuses the connector's writes to the deal until an admin fixes it.
        emu.org.faults.add({
            sobject: 'Opportunity',
            operation: 'update',
            errorCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
            count: 50
        });
        try {
            clock += 60_000;
            await clm.transition(contract.id, 'submit');
            await clmEvent(opportunityId, contract.id, 'wh-fail');
            for (let round = 0; round < 5; round += 1) {
                clock += 3_600_000;
                await engine.runUntilIdle();
            }
        } finally {
            emu.org.faults.clear();
        }
        const [error] = await admin.query(
            select(['Id', 'Error_Key__c', 'Status__c', 'Code__c'], 'Clm_Sync_Error__c', {
                where: where.eq('Record_Id__c', opportunityId)
            })
        );
        expect(error).toMatchObject({ Status__c: 'Quarantined', Code__c: 'SF.FIELD_CUSTOM_VALIDATION_EXCEPTION' });
        expect(statusesFor(opportunityId).map((status) => status.kind)).toContain('Quarantined');
        // The admin's Retry, as ClmSyncRequestService records and sends it.
        await admin.write([
            { ref: 'r', sfObject: 'Clm_Sync_Error__c', id: String(error!.Id), fields: { Status__c: 'RetryRequested' } }
        ]);
        await orgRequests({
            action: 'RetryItem',
            requestId: 'fail-retry',
            errorKey: String(error!.Error_Key__c),
            errorId: String(error!.Id)
        });
        expect((await row('Clm_Sync_Error__c', String(error!.Id), ['Status__c'])).Status__c).toBe('Resolved');
        expect((await row('Opportunity', opportunityId, ['CLM_Lifecycle__c'])).CLM_Lifecycle__c).toBe('InReview');
    });
});

describe('review kinds', () => {
    it('are kinds the connector publishes', () => {
        const review = Object.entries(STATUS_KINDS)
            .filter(([, kind]) => kind.review)
            .map(([name]) => name);
        expect(review).toEqual(['Conflict', 'Quarantined']);
    });
});
