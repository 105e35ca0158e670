/**
 * Salesforce heard over the Pub/Sub API, unmodified client against the emulator's event bus: a rep's sync request
 * event creates the contract; an Account edit reaches the CLM through CDC; the connector's own writes come back as
 * change events marked with its client id and write nothing; a restart resumes from the stored replay id.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RULES, loadRuleSet } from '../../src/domain/index.ts';
import { MemoryClm } from '../../src/adapters/clm/memory/memoryClm.ts';
import type { JsforceSalesforce } from '../../src/adapters/salesforce/jsforceSalesforce.ts';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';
import type { StorePort } from '../../src/ports/store.ts';
import { SyncEngine } from '../../src/app/syncEngine.ts';
import { closeWorld, connectAs, settle as settleAll } from './pubsubWorld.ts';
import { PubSubIngest, SYNC_REQUEST_CHANNEL } from '../../src/adapters/salesforce/pubsub/pubsubIngest.ts';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '@clm/emulators/salesforce';

const CHANNELS = [
    SYNC_REQUEST_CHANNEL,
    '/data/OpportunityChangeEvent',
    '/data/AccountChangeEvent',
    '/data/ContractChangeEvent'
];
const silent = { info() {}, warn() {}, error() {} };
let emu: RunningSalesforceEmulator;
let admin: JsforceSalesforce;
let integration: JsforceSalesforce;
let token: string;
let store: StorePort;
let clm: MemoryClm;
let engine: SyncEngine;
let ingest: PubSubIngest;
let dir: string;
let accountId: string;
let opportunityId: string;

function startIngest(): PubSubIngest {
    return new PubSubIngest({
        orgId: emu.orgId,
        store,
        endpoint: emu.pubsubEndpoint!,
        instanceUrl: emu.instanceUrl,
        accessToken: () => token,
        channels: CHANNELS,
        logger: silent,
        allowSelfSignedTls: true
    });
}

async function settle(): Promise<void> {
    await settleAll(emu.orgId, ingest, engine, store);
}

beforeAll(async () => {
    emu = await startSalesforceEmulator({ pubsub: true });
    dir = mkdtempSync(path.join(os.tmpdir(), 'clm-pubsub-'));
    store = await openSqliteStore({ file: path.join(dir, 'store.db') });
    admin = (await connectAs(emu, emu.username, 'sales-console')).port;
    const integrationConnection = await connectAs(emu, emu.users.integration.username, 'clm-connector');
    integration = integrationConnection.port;
    token = integrationConnection.conn.accessToken!;
    clm = new MemoryClm();
    engine = new SyncEngine({
        orgId: emu.orgId,
        store,
        salesforce: integration,
        clm,
        rules: loadRuleSet(DEFAULT_RULES),
        context: { connectorClientId: 'clm-connector', transform: { orgCurrency: 'USD' } },
        orgCurrency: 'USD'
    });
    ingest = startIngest();
    await ingest.start();
    const [account] = await admin.write([
        { ref: 'a', sfObject: 'Account', fields: { Name: 'Initech', BillingCity: 'Austin', BillingCountry: 'US' } }
    ]);
    accountId = account!.id!;
    await admin.write([
        {
            ref: 'c',
            sfObject: 'Contact',
            fields: { LastName: 'Lumbergh', Email: 'bill@initech.example', AccountId: accountId }
        }
    ]);
    const [opportunity] = await admin.write([
        {
            ref: 'o',
            sfObject: 'Opportunity',
            fields: {
                Name: 'Initech TPS',
                StageName: 'Proposal/Price Quote',
                CloseDate: '2027-02-28',
                Amount: 9000,
                AccountId: accountId
            }
        }
    ]);
    opportunityId = opportunity!.id!;
});

afterAll(() => closeWorld({ emu, ingest, store, dir }));

describe('the connector hears Salesforce over the Pub/Sub API', () => {
    it('creates the contract when a rep publishes a sync request', async () => {
        await admin.publish('Clm_Sync_Request__e', {
            Record_Id__c: opportunityId,
            Object_Api_Name__c: 'Opportunity',
            Action__c: 'Send',
            Request_Id__c: 'rq-1'
        });
        await settle();
        const contract = await clm.findByExternalRef({
            system: 'salesforce',
            objectType: 'Opportunity',
            id: opportunityId
        });
        expect(contract?.counterparty?.name).toBe('Initech');
        const [linked] = await admin.readByIds(
            'Opportunity',
            ['CLM_Contract_Id__c', 'CLM_Lifecycle__c'],
            [opportunityId]
        );
        expect(linked).toMatchObject({ CLM_Contract_Id__c: contract!.id, CLM_Lifecycle__c: 'Draft' });
    });

    it("carries an Account's new billing address to the CLM through CDC, and ignores its own writes coming back", async () => {
        const contract = (await clm.findByExternalRef({
            system: 'salesforce',
            objectType: 'Opportunity',
            id: opportunityId
        }))!;
        const versionBefore = contract.version;
        await admin.write([
            {
                ref: 'a',
                sfObject: 'Account',
                id: accountId,
                fields: { BillingStreet: '4120 Freidrich Lane', BillingPostalCode: '78744' }
            }
        ]);
        await settle();
        const after = await clm.getContract(contract.id);
        expect(JSON.parse(String(after.custom.counterpartyAddress))).toEqual({
            street: '4120 Freidrich Lane',
            city: 'Austin',
            state: null,
            postalCode: '78744',
            country: 'US'
        });
        // The connector's writes to Opportunity and Contract came back over CDC marked client=clm-connector.
        const log = await store.readChangeLog(emu.orgId);
        expect(log.some((entry) => entry.source === 'salesforce' && entry.outcome === 'echo')).toBe(true);
        expect(
            log
                .filter((entry) => entry.outcome === 'applied' && entry.source === 'salesforce')
                .map((entry) => entry.rule)
        ).toEqual(['Account_Billing_Address']);
        expect(Number(after.version)).toBe(Number(versionBefore) + 1);
    });

    it('resumes after a restart from the stored replay id, without loss or duplicates', async () => {
        ingest.close();
        await admin.write([
            { ref: 'o', sfObject: 'Opportunity', id: opportunityId, fields: { StageName: 'Negotiation/Review' } }
        ]);
        ingest = startIngest();
        await ingest.start();
        await settle();
        expect(
            (await clm.findByExternalRef({ system: 'salesforce', objectType: 'Opportunity', id: opportunityId }))
                ?.custom.dealStage
        ).toBe('Negotiation/Review');
        const stageChanges = (await store.readChangeLog(emu.orgId)).filter(
            (entry) => entry.rule === 'Opportunity_Stage' && entry.outcome === 'applied'
        );
        expect(stageChanges).toHaveLength(1);
    });
});
