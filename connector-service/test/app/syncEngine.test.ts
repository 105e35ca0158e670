/**
 * The sync engine over the real pieces it runs on: the SQLite store, the Salesforce org emulator (REST) and the
 * in-memory CLM. Inbox items are appended the way the ingest (Pub/Sub, webhooks) appends them.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RULES, loadRuleSet, select, type SalesforceChange } from '../../src/domain/index.ts';
import { MemoryClm } from '../../src/adapters/clm/memory/memoryClm.ts';
import { connectWithJwt, JsforceSalesforce } from '../../src/adapters/salesforce/jsforceSalesforce.ts';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';
import type { StorePort } from '../../src/ports/store.ts';
import { SyncEngine } from '../../src/app/syncEngine.ts';
import { asJson } from '../../src/app/payloads.ts';
import {
    startSalesforceEmulator,
    type RunningSalesforceEmulator,
    type PublishedEvent
} from '@clm/emulators/salesforce';
import type { Clock } from '../../src/clock.ts';

let emu: RunningSalesforceEmulator;
let admin: JsforceSalesforce;
let store: StorePort;
let clm: MemoryClm;
let engine: SyncEngine;
let integration: JsforceSalesforce;
let dir: string;
let opportunityId: string;
let clock = Date.parse('2026-11-23T09:00:00.000Z');
/** The connector's one clock, as the test moves it: the store's stamps, the engine and the CLM read the same time. */
const connectorClock: Clock = { now: () => clock, sleep: async () => undefined };
const published: PublishedEvent[] = [];
const ORG = '00D000000000001AAA';
const ORIGIN = (version: string) => `com/salesforce/api/rest/${version};client=clm-connector`;

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

async function record(sfObject: string, id: string, fields: string[]) {
    const [row] = await admin.readByIds(sfObject, fields, [id]);
    return row!;
}

async function seed(name: string, withContact = true): Promise<string> {
    const [account] = await admin.write([
        {
            ref: 'a',
            sfObject: 'Account',
            fields: {
                Name: `${name} Inc`,
                BillingStreet: '1 Market St',
                BillingCity: 'San Francisco',
                BillingCountry: 'US'
            }
        }
    ]);
    if (withContact) {
        await admin.write([
            {
                ref: 'c',
                sfObject: 'Contact',
                fields: {
                    LastName: 'Signer',
                    FirstName: 'Sam',
                    Email: `sam@${name.toLowerCase()}.example`,
                    AccountId: account!.id!
                }
            }
        ]);
    }
    const [opportunity] = await admin.write([
        {
            ref: 'o',
            sfObject: 'Opportunity',
            fields: {
                Name: `${name} platform deal`,
                StageName: 'Proposal/Price Quote',
                CloseDate: '2027-03-31',
                Amount: 120000,
                AccountId: account!.id!
            }
        }
    ]);
    return opportunity!.id!;
}

async function request(opportunity: string, requestId: string) {
    await store.appendInbox(ORG, [
        {
            source: 'salesforce:/event/Clm_Sync_Request__e',
            eventId: requestId,
            orderingKey: `opp:${opportunity}`,
            payload: { kind: 'sf.syncRequest', opportunityId: opportunity, requestId },
            correlationId: `corr-${requestId}`
        }
    ]);
}

/** The CLM contract of the seeded deal. */
async function dealContract() {
    return (await clm.findByExternalRef({ system: 'salesforce', objectType: 'Opportunity', id: opportunityId }))!;
}

async function clmEvent(contractId: string, eventId: string) {
    await store.appendInbox(ORG, [
        {
            source: 'clm:memory:webhook',
            eventId,
            orderingKey: `opp:${opportunityId}`,
            payload: { kind: 'clm.event', contractId, vendorEventId: eventId },
            correlationId: `corr-${eventId}`
        }
    ]);
}

async function sfChange(change: Omit<SalesforceChange, 'source' | 'correlationId'>) {
    await store.appendInbox(ORG, [
        {
            source: 'salesforce:/data/OpportunityChangeEvent',
            eventId: change.eventId,
            orderingKey: `opp:${change.recordId}`,
            payload: asJson({
                kind: 'sf.change',
                change: { source: 'salesforce', correlationId: `corr-${change.eventId}`, ...change }
            }),
            correlationId: `corr-${change.eventId}`
        }
    ]);
}

beforeAll(async () => {
    // A multi-currency org: each deal carries its own CurrencyIsoCode.
    emu = await startSalesforceEmulator({ multiCurrency: true });
    emu.hook.subscribe((tx) => published.push(...tx.events));
    dir = mkdtempSync(path.join(os.tmpdir(), 'clm-engine-'));
    store = await openSqliteStore({ file: path.join(dir, 'store.db'), maxAttempts: 3, clock: connectorClock });
    admin = await connect(emu.username);
    clm = new MemoryClm(connectorClock);
    engine = new SyncEngine({
        orgId: ORG,
        store,
        salesforce: (integration = await connect(emu.users.integration.username)),
        clm,
        rules: loadRuleSet(DEFAULT_RULES),
        context: { connectorClientId: 'clm-connector', transform: { orgCurrency: 'USD' } },
        orgCurrency: 'USD',
        clock: connectorClock,
        random: () => 0,
        contractUrl: (contract) => `https://clm.example/contracts/${contract.id}`
    });
    opportunityId = await seed('Acme');
});

afterAll(async () => {
    await store?.close();
    await emu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('sync engine', () => {
    it('sends a deal to the CLM prefilled from the Opportunity, Account and contact, and links both ways', async () => {
        await request(opportunityId, 'req-1');
        await engine.runUntilIdle();
        const contract = await clm.findByExternalRef({
            system: 'salesforce',
            objectType: 'Opportunity',
            id: opportunityId
        });
        expect(contract).toMatchObject({
            title: 'Acme platform deal',
            counterparty: {
                name: 'Acme Inc',
                address: { street: '1 Market St', city: 'San Francisco', country: 'US' }
            },
            value: { amount: '120000', currency: 'USD' },
            contacts: [{ email: 'sam@acme.example', role: 'signer', side: 'theirs' }]
        });
        const opportunity = await record('Opportunity', opportunityId, [
            'CLM_Contract_Id__c',
            'CLM_Contract_Url__c',
            'ContractId',
            'CLM_Lifecycle__c'
        ]);
        expect(opportunity).toMatchObject({
            CLM_Contract_Id__c: contract!.id,
            CLM_Contract_Url__c: `https://clm.example/contracts/${contract!.id}`,
            CLM_Lifecycle__c: 'Draft'
        });
        const sfContract = await record('Contract', String(opportunity.ContractId), [
            'CLM_Contract_Id__c',
            'CLM_Lifecycle__c',
            'Status'
        ]);
        expect(sfContract).toMatchObject({
            CLM_Contract_Id__c: contract!.id,
            CLM_Lifecycle__c: 'Draft',
            Status: 'Draft'
        });
    });

    it("signs with the deal's primary contact role and values the deal in its own currency", async () => {
        const [account] = await admin.write([{ ref: 'a', sfObject: 'Account', fields: { Name: 'Euro GmbH' } }]);
        const contact = async (first: string, email: string) =>
            (
                await admin.write([
                    {
                        ref: 'c',
                        sfObject: 'Contact',
                        fields: { FirstName: first, LastName: 'Euro', Email: email, AccountId: account!.id! }
                    }
                ])
            )[0]!.id!;
        // The oldest contact on the Account is not the one the rep marked primary on the deal.
        const oldest = await contact('Olga', 'olga@euro.example');
        const primary = await contact('Pia', 'pia@euro.example');
        const [deal] = await admin.write([
            {
                ref: 'o',
                sfObject: 'Opportunity',
                fields: {
                    Name: 'Euro expansion',
                    StageName: 'Proposal/Price Quote',
                    CloseDate: '2027-03-31',
                    Amount: 98000.5,
                    CurrencyIsoCode: 'EUR',
                    AccountId: account!.id!
                }
            }
        ]);
        await admin.write([
            {
                ref: 'r1',
                sfObject: 'OpportunityContactRole',
                fields: { OpportunityId: deal!.id!, ContactId: oldest, Role: 'Evaluator', IsPrimary: false }
            },
            {
                ref: 'r2',
                sfObject: 'OpportunityContactRole',
                fields: { OpportunityId: deal!.id!, ContactId: primary, Role: 'Economic Buyer', IsPrimary: true }
            }
        ]);
        await request(deal!.id!, 'req-euro');
        await engine.runUntilIdle();
        const contract = await clm.findByExternalRef({
            system: 'salesforce',
            objectType: 'Opportunity',
            id: deal!.id!
        });
        // The engine's configured orgCurrency is USD: the deal's own CurrencyIsoCode wins.
        expect(contract).toMatchObject({
            value: { amount: '98000.5', currency: 'EUR' },
            contacts: [{ name: 'Pia Euro', email: 'pia@euro.example', role: 'signer', side: 'theirs' }]
        });
    });

    it('a repeated request creates nothing twice', async () => {
        await request(opportunityId, 'req-1');
        await request(opportunityId, 'req-2');
        await engine.runUntilIdle();
        expect(clm.countByRef({ system: 'salesforce', objectType: 'Opportunity', id: opportunityId })).toBe(1);
    });

    it("sends a rep's stage change to the CLM", async () => {
        clock += 1000;
        await sfChange({
            sfObject: 'Opportunity',
            recordId: opportunityId,
            eventId: 'cdc-stage',
            version: { at: new Date(clock).toISOString(), seq: 2 },
            values: { StageName: 'Negotiation/Review' }
        });
        await engine.runUntilIdle();
        const contract = await dealContract();
        expect(contract.custom.dealStage).toBe('Negotiation/Review');
    });

    it("replaces the contract's line items with the primary quote's lines when the quote changes", async () => {
        const [product] = await admin.write([{ ref: 'p', sfObject: 'Product2', fields: { Name: 'Platform seat' } }]);
        const [quote] = await admin.write([
            {
                ref: 'q',
                sfObject: 'SBQQ__Quote__c',
                fields: { SBQQ__Opportunity2__c: opportunityId, SBQQ__Primary__c: true }
            }
        ]);
        const [line] = await admin.write([
            {
                ref: 'l',
                sfObject: 'SBQQ__QuoteLine__c',
                fields: {
                    SBQQ__Quote__c: quote!.id!,
                    SBQQ__Product__c: product!.id!,
                    SBQQ__Quantity__c: 25,
                    SBQQ__NetPrice__c: 40
                }
            }
        ]);
        // CPQ's calculator touches the quote when its lines change; that change event is what the connector hears.
        clock += 1000;
        await store.appendInbox(ORG, [
            {
                source: 'salesforce:/data/SBQQ__Quote__ChangeEvent',
                eventId: 'cdc-quote-1',
                orderingKey: `sf:${quote!.id!}`,
                objectType: 'SBQQ__Quote__c',
                payload: asJson({
                    kind: 'sf.change',
                    change: {
                        source: 'salesforce',
                        sfObject: 'SBQQ__Quote__c',
                        recordId: quote!.id!,
                        eventId: 'cdc-quote-1',
                        correlationId: 'corr-quote-1',
                        version: { at: new Date(clock).toISOString(), seq: 20 },
                        values: { SBQQ__NetAmount__c: 1000 }
                    }
                }),
                correlationId: 'corr-quote-1'
            }
        ]);
        await engine.runUntilIdle();
        expect((await dealContract()).lineItems).toEqual([
            expect.objectContaining({
                sfQuoteLineId: line!.id,
                // The product as people read it in the CLM: its name (SBQQ__ProductName__c), not its Product2 id.
                product: 'Platform seat',
                quantity: '25',
                unitPrice: { amount: '40', currency: 'USD' }
            })
        ]);
    });

    it('lands CLM writes queued behind each other: each precondition names the version the previous one left', async () => {
        for (const [n, stage] of ['Id. Decision Makers', 'Perception Analysis'].entries()) {
            clock += 1000;
            await sfChange({
                sfObject: 'Opportunity',
                recordId: opportunityId,
                eventId: `cdc-queued-${n}`,
                version: { at: new Date(clock).toISOString(), seq: 3 + n },
                values: { StageName: stage }
            });
            await engine.processInbox();
        }
        await engine.runUntilIdle();
        const contract = await dealContract();
        expect(contract.custom.dealStage).toBe('Perception Analysis');
    });

    it('does not send again a Salesforce write that landed before the process died', async () => {
        const integration = await connect(emu.users.integration.username);
        const fields = (stage: string) => ({
            CLM_Signature_Status__c: stage,
            CLM_Last_Sync__c: new Date(clock).toISOString()
        });
        const write = (stage: string) => ({
            target: 'salesforce' as const,
            operation: 'sf.write',
            idempotencyKey: `landed:${stage}`,
            orderingKey: `opp:${opportunityId}`,
            correlationId: `corr-landed-${stage}`,
            payload: asJson({
                kind: 'sf.write',
                sfObject: 'Opportunity',
                id: opportunityId,
                fields: fields(stage)
            })
        });
        const writes: string[] = [];
        const unsubscribe = emu.hook.subscribe((tx) => {
            if (tx.clientId === 'clm-connector' && tx.changes.some((change) => change.id === opportunityId))
                writes.push(tx.transactionKey);
        });
        try {
            // A dead worker claimed the write and sent it; Salesforce took it; the process died before completing it.
            await store.commitPlan({ orgId: ORG, outbox: [write('Sent')], now: clock });
            expect(await store.claimOutbox(ORG, 'dead-worker', 10, clock)).toHaveLength(1);
            await integration.write([{ ref: 'x', sfObject: 'Opportunity', id: opportunityId, fields: fields('Sent') }]);
            expect(writes).toHaveLength(1);
            clock += 120_000; // the dead worker's claim expires
            await engine.dispatchOutbox();
            expect(writes).toHaveLength(1);
            expect((await store.stats(ORG, clock)).outbox.byStatus.processing).toBe(0);

            // One that did not land is sent.
            await store.commitPlan({ orgId: ORG, outbox: [write('FullySigned')], now: clock });
            await store.claimOutbox(ORG, 'dead-worker', 10, clock);
            clock += 120_000;
            await engine.dispatchOutbox();
            expect(writes).toHaveLength(2);
            expect(await record('Opportunity', opportunityId, ['CLM_Signature_Status__c'])).toMatchObject({
                CLM_Signature_Status__c: 'FullySigned'
            });
        } finally {
            unsubscribe();
        }
    });

    it('turns concurrent edits of special terms into a conflict in the org, and applies its resolution', async () => {
        const contract = await dealContract();
        const opportunity = await record('Opportunity', opportunityId, ['ContractId']);
        const contractRecordId = String(opportunity.ContractId);
        // Legal edits the terms in the CLM while a rep edits them in Salesforce; the CLM's webhook comes later.
        clock += 1000;
        await clm.updateContract(contract.id, { custom: { specialTerms: 'Net 45' } });
        await store.appendInbox(ORG, [
            {
                source: 'salesforce:/data/ContractChangeEvent',
                eventId: 'cdc-terms',
                orderingKey: `opp:${opportunityId}`,
                payload: asJson({
                    kind: 'sf.change',
                    change: {
                        source: 'salesforce',
                        sfObject: 'Contract',
                        recordId: contractRecordId,
                        eventId: 'cdc-terms',
                        correlationId: 'corr-terms',
                        version: { at: new Date(clock).toISOString(), seq: 3 },
                        values: { SpecialTerms: 'Net 30' }
                    }
                }),
                correlationId: 'corr-terms'
            }
        ]);
        await engine.runUntilIdle();
        await clmEvent(contract.id, 'wh-terms');
        await engine.runUntilIdle();
        // Our write was refused (the contract had moved on), the contract re-read, and the clash queued for people.
        expect((await clm.getContract(contract.id)).custom.specialTerms).toBe('Net 45');
        const conflicts = await admin.query(
            select(['Rule__c', 'Salesforce_Value__c', 'Clm_Value__c', 'Status__c'], 'Clm_Conflict__c')
        );
        expect(conflicts).toEqual([
            expect.objectContaining({
                Rule__c: 'Contract_Special_Terms',
                Salesforce_Value__c: 'Net 30',
                Clm_Value__c: 'Net 45',
                Status__c: 'Open'
            })
        ]);
        // Legal accepts the CLM's wording in the org's conflict queue.
        await store.appendInbox(ORG, [
            {
                source: 'salesforce:/event/Clm_Sync_Request__e',
                eventId: 'resolve-1',
                orderingKey: `opp:${opportunityId}`,
                payload: {
                    kind: 'sf.conflictResolution',
                    pairId: `opp:${opportunityId}`,
                    rule: 'Contract_Special_Terms',
                    resolution: { take: 'clm' }
                },
                correlationId: 'corr-resolve'
            }
        ]);
        await engine.runUntilIdle();
        expect((await record('Contract', contractRecordId, ['SpecialTerms'])).SpecialTerms).toBe('Net 45');
        expect(await store.listConflicts(ORG, { status: 'open' })).toEqual([]);
        expect(await store.listConflicts(ORG, { status: 'resolved' })).toHaveLength(1);
    });

    it('carries CLM lifecycle changes and the signed PDF into Salesforce and publishes the status', async () => {
        const contract = await dealContract();
        clock += 60_000;
        await clm.transition(contract.id, 'submit');
        await clm.transition(contract.id, 'requestSignature');
        clock += 60_000;
        clm.completeSignature(contract.id);
        await clmEvent(contract.id, 'wh-signed');
        await engine.runUntilIdle();
        const opportunity = await record('Opportunity', opportunityId, [
            'CLM_Lifecycle__c',
            'CLM_Signature_Status__c',
            'ContractId'
        ]);
        expect(opportunity).toMatchObject({ CLM_Lifecycle__c: 'Signed', CLM_Signature_Status__c: 'FullySigned' });
        const sfContract = await record('Contract', String(opportunity.ContractId), [
            'CLM_Lifecycle__c',
            'CLM_Executed_Date__c'
        ]);
        expect(sfContract.CLM_Lifecycle__c).toBe('Signed');
        expect(sfContract.CLM_Executed_Date__c).toBe('2026-11-23');
        expect(
            published.some(
                (event) => event.fields?.Lifecycle__c === 'Signed' && event.fields?.Record_Id__c === opportunityId
            )
        ).toBe(true);
        const files = await admin.query(select(['Id', 'Title'], 'ContentVersion'));
        expect(files.map((file) => file.Title)).toContain('Acme platform deal');
    });

    it('attaches the signed PDF once when an attempt that already attached it is claimed again', async () => {
        const contract = await dealContract();
        const signed = (await clm.listDocuments(contract.id)).find((document) => document.kind === 'signed')!;
        const count = async () => (await admin.query(select(['Id'], 'ContentVersion'))).length;
        const before = await count();
        // The attach of a dead worker that reached Salesforce (the file is there) but was never completed.
        await store.commitPlan({
            orgId: ORG,
            outbox: [
                {
                    target: 'clm',
                    operation: 'clm.attachSigned',
                    idempotencyKey: 'attach-again',
                    orderingKey: `opp:${opportunityId}`,
                    correlationId: 'corr-attach-again',
                    payload: {
                        kind: 'clm.attachSigned',
                        contractId: contract.id,
                        documentId: signed.id,
                        recordId: opportunityId
                    }
                }
            ],
            now: clock
        });
        expect(await store.claimOutbox(ORG, 'dead-worker', 10, clock)).toHaveLength(1);
        clock += 120_000;
        await engine.dispatchOutbox();
        expect(await count()).toBe(before);
        expect((await store.stats(ORG, clock)).outbox.byStatus.processing).toBe(0);
    });

    it('recognises its own write coming back and writes nothing to the CLM', async () => {
        const before = (await store.stats(ORG, clock)).outbox.byStatus;
        clock += 1000;
        await sfChange({
            sfObject: 'Opportunity',
            recordId: opportunityId,
            eventId: 'cdc-echo',
            version: { at: new Date(clock).toISOString(), seq: 1 },
            origin: ORIGIN(emu.apiVersion),
            values: { CLM_Lifecycle__c: 'Signed' }
        });
        await engine.runUntilIdle();
        const after = (await store.stats(ORG, clock)).outbox.byStatus;
        expect(after.done + after.pending + after.failed).toBe(before.done + before.pending + before.failed);
    });

    it('quarantines a malformed inbox item with a coded error and records it in the org', async () => {
        await store.appendInbox(ORG, [
            {
                source: 'clm:memory:webhook',
                eventId: 'bad-1',
                orderingKey: 'opp:x',
                payload: { kind: 'clm.event' },
                correlationId: 'corr-bad'
            }
        ]);
        await engine.runUntilIdle();
        const quarantinedItems = await store.listQuarantined(ORG);
        // Only the malformed item: everything the earlier flows did went through.
        expect(quarantinedItems).toHaveLength(1);
        const quarantined = quarantinedItems.find((q) => q.queue === 'inbox');
        expect(quarantined).toMatchObject({
            queue: 'inbox',
            lastError: { code: 'PIPELINE.INVALID_INBOX_PAYLOAD' },
            correlationId: 'corr-bad'
        });
        const errors = await admin.query(select(['Code__c', 'Status__c', 'Correlation_Id__c'], 'Clm_Sync_Error__c'));
        expect(errors).toContainEqual(
            expect.objectContaining({
                Code__c: 'PIPELINE.INVALID_INBOX_PAYLOAD',
                Status__c: 'Quarantined',
                Correlation_Id__c: 'corr-bad'
            })
        );
    });

    it('refuses to send a deal with nobody to sign, before writing anything, and tells the rep why', async () => {
        const lonely = await seed('Nobody', false);
        await request(lonely, 'req-lonely');
        await engine.runUntilIdle();
        expect(clm.countByRef({ system: 'salesforce', objectType: 'Opportunity', id: lonely })).toBe(0);
        const rejection = published.find((event) => event.fields?.Request_Id__c === 'req-lonely');
        expect(rejection?.fields).toMatchObject({ Kind__c: 'RequestRejected', Sync_Result__c: 'Error' });
        expect(String(rejection?.fields?.Message__c)).toContain('contact with an email to sign');
    });

    it('reads what the changes of one round lack in one call per object', async () => {
        const deals = [await seed('Globex'), await seed('Initech'), await seed('Umbrella')];
        for (const [n, deal] of deals.entries()) await request(deal, `req-batch-${n}`);
        await engine.runUntilIdle();
        const contracts = await Promise.all(
            deals.map(async (deal) => String((await record('Opportunity', deal, ['ContractId'])).ContractId))
        );
        // A person changes each Contract's value: CDC carries the amount, the rule needs its currency too.
        clock += 1000;
        for (const [n, id] of contracts.entries()) {
            await store.appendInbox(ORG, [
                {
                    source: 'salesforce:/data/ContractChangeEvent',
                    eventId: `cdc-value-${n}`,
                    orderingKey: `opp:${deals[n]}`,
                    payload: asJson({
                        kind: 'sf.change',
                        change: {
                            source: 'salesforce',
                            sfObject: 'Contract',
                            recordId: id,
                            eventId: `cdc-value-${n}`,
                            correlationId: `corr-value-${n}`,
                            version: { at: new Date(clock).toISOString(), seq: 10 + n },
                            values: { CLM_Contract_Value__c: 1000 + n }
                        }
                    }),
                    correlationId: `corr-value-${n}`
                }
            ]);
        }
        const before = integration.callCount();
        expect(await engine.processInbox()).toBe(3);
        expect(integration.callCount() - before).toBe(1);
        await engine.runUntilIdle();
    });

    it('finds the linked deals of the accounts changed in one round with one query', async () => {
        const deals = (await admin.query(select(['Id', 'AccountId', 'Name'], 'Opportunity'))).filter((deal) =>
            /^(Globex|Initech|Umbrella) /.test(String(deal.Name))
        );
        expect(deals).toHaveLength(3);
        clock += 1000;
        for (const [n, deal] of deals.entries()) {
            await store.appendInbox(ORG, [
                {
                    source: 'salesforce:/data/AccountChangeEvent',
                    eventId: `cdc-account-${n}`,
                    orderingKey: `sf:${String(deal.AccountId)}`,
                    payload: asJson({
                        kind: 'sf.change',
                        change: {
                            source: 'salesforce',
                            sfObject: 'Account',
                            recordId: String(deal.AccountId),
                            eventId: `cdc-account-${n}`,
                            correlationId: `corr-account-${n}`,
                            version: { at: new Date(clock).toISOString(), seq: 30 + n },
                            values: { Name: `Renamed ${n}` }
                        }
                    }),
                    correlationId: `corr-account-${n}`
                }
            ]);
        }
        const before = integration.callCount();
        expect(await engine.processInbox()).toBe(3);
        expect(integration.callCount() - before).toBe(1);
        await engine.runUntilIdle();
        const names = await Promise.all(
            deals.map(
                async (deal) =>
                    (await clm.findByExternalRef({
                        system: 'salesforce',
                        objectType: 'Opportunity',
                        id: String(deal.Id)
                    }))!.counterparty?.name
            )
        );
        expect(names.sort()).toEqual(['Renamed 0', 'Renamed 1', 'Renamed 2']);
    });

    it('keeps the change log hash-chained', async () => {
        expect(await store.verifyChangeLog(ORG)).toMatchObject({ ok: true });
        expect((await store.readChangeLog(ORG)).length).toBeGreaterThan(0);
    });
});
