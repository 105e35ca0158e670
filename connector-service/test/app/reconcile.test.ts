/**
 * What the Pub/Sub stream cannot deliver is read back from the org (the SystemModstamp reconcile), real Pub/Sub
 * client against the emulator's event bus: a replay id older than the 72-hour retention is refused and the changes
 * made meanwhile are queued and synced; a gap event reconciles the records it names, an overflow the whole object.
 *
 * The reconcile margin is 0 and the watermark is stored with every event here, so "exactly the changed records"
 * can be asserted; the defaults (5 minutes, once a minute) only make a reconcile read more, never less.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RULES, loadRuleSet } from '../../src/domain/index.ts';
import { MemoryClm } from '../../src/adapters/clm/memory/memoryClm.ts';
import type { JsforceSalesforce } from '../../src/adapters/salesforce/jsforceSalesforce.ts';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';
import type { InboxItem, StorePort } from '../../src/ports/store.ts';
import { SyncEngine } from '../../src/app/syncEngine.ts';
import { closeWorld, connectAs, settle as settleAll } from './pubsubWorld.ts';
import { PubSubIngest, SYNC_REQUEST_CHANNEL } from '../../src/adapters/salesforce/pubsub/pubsubIngest.ts';
import { modifiedSinceQuery, objectOfChannel, RECONCILE_LOG_CODE } from '../../src/app/reconcile.ts';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '@clm/emulators/salesforce';

const OPPORTUNITIES = '/data/OpportunityChangeEvent';
const ACCOUNTS = '/data/AccountChangeEvent';
const CONTRACTS = '/data/ContractChangeEvent';
const CHANNELS = [SYNC_REQUEST_CHANNEL, OPPORTUNITIES, ACCOUNTS, CONTRACTS];
const RULES = loadRuleSet(DEFAULT_RULES);

interface LogLine {
    level: string;
    fields: Record<string, unknown>;
    message: string;
}
const logs: LogLine[] = [];
const logger = {
    info: (fields: Record<string, unknown>, message: string) => logs.push({ level: 'info', fields, message }),
    warn: (fields: Record<string, unknown>, message: string) => logs.push({ level: 'warn', fields, message }),
    error: (fields: Record<string, unknown>, message: string) => logs.push({ level: 'error', fields, message })
};

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
let otherOpportunityId: string;

function startIngest(): PubSubIngest {
    return new PubSubIngest({
        orgId: emu.orgId,
        store,
        endpoint: emu.pubsubEndpoint!,
        instanceUrl: emu.instanceUrl,
        accessToken: () => token,
        channels: CHANNELS,
        logger,
        allowSelfSignedTls: true,
        reconcile: { salesforce: integration, rules: RULES, marginMs: 0 },
        watermarkEveryMs: 0,
        resubscribeDelayMs: 100
    });
}

async function emulatorAdmin(method: string, route: string, body: unknown): Promise<void> {
    const response = await fetch(`${emu.adminUrl}${route}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body)
    });
    expect(response.status).toBeLessThan(300);
}

/** Waits until every channel has a stored position (the first keepalive or event of each stream). */
async function positioned(): Promise<void> {
    for (let round = 0; round < 100; round += 1) {
        if ((await ingest.subscriptions()).every((entry) => entry.replayId !== null)) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the streams never answered');
}

async function settle(): Promise<void> {
    await settleAll(emu.orgId, ingest, engine, store);
}

/** Settles until the CLM shows the deal stage (bounded): event delivery is asynchronous. */
async function stageBecomes(stage: string): Promise<void> {
    for (let round = 0; round < 20 && (await dealStage()) !== stage; round += 1) await settle();
    expect(await dealStage()).toBe(stage);
}

/** Waits (bounded) until a log line matches. */
async function logged(match: (line: LogLine) => boolean): Promise<LogLine> {
    for (let round = 0; round < 100; round += 1) {
        const line = logs.find(match);
        if (line) return line;
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`expected log line never came: ${JSON.stringify(logs, null, 1).slice(0, 6000)}`);
}

/** Every inbox row, oldest first (ids are dense here: nothing is purged). */
async function inbox(): Promise<InboxItem[]> {
    const items: InboxItem[] = [];
    for (let id = 1, misses = 0; misses < 20; id += 1) {
        const item = await store.getItem('inbox', emu.orgId, id);
        if (item) items.push(item);
        else misses += 1;
    }
    return items;
}

function reconciledRecords(items: InboxItem[], channel: string): string[] {
    return items
        .filter((item) => item.source === `salesforce:${channel}:reconcile`)
        .map((item) => (item.payload as { change: { recordId: string } }).change.recordId)
        .sort();
}

async function dealStage(): Promise<unknown> {
    const contract = await clm.findByExternalRef({
        system: 'salesforce',
        objectType: 'Opportunity',
        id: opportunityId
    });
    return contract?.custom.dealStage;
}

beforeAll(async () => {
    // Sessions outlive the 73 hours the clock jumps (the connector's token would be refreshed in production).
    emu = await startSalesforceEmulator({ pubsub: { keepaliveMs: 200 }, sessionTimeoutMs: 7 * 24 * 3_600_000 });
    dir = mkdtempSync(path.join(os.tmpdir(), 'clm-reconcile-'));
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
        rules: RULES,
        context: { connectorClientId: 'clm-connector', transform: { orgCurrency: 'USD' } },
        orgCurrency: 'USD'
    });
    ingest = startIngest();
    await ingest.start();
    await positioned();
    const [account] = await admin.write([
        { ref: 'a', sfObject: 'Account', fields: { Name: 'Initrode', BillingCity: 'Austin', BillingCountry: 'US' } }
    ]);
    accountId = account!.id!;
    await admin.write([
        {
            ref: 'c',
            sfObject: 'Contact',
            fields: { LastName: 'Bolton', Email: 'mb@initrode.example', AccountId: accountId }
        }
    ]);
    const [opportunity, other] = await admin.write([
        {
            ref: 'o',
            sfObject: 'Opportunity',
            fields: {
                Name: 'Initrode TPS',
                StageName: 'Proposal/Price Quote',
                CloseDate: '2027-02-28',
                Amount: 9000,
                AccountId: accountId
            }
        },
        {
            ref: 'p',
            sfObject: 'Opportunity',
            fields: { Name: 'Unlinked deal', StageName: 'Prospecting', CloseDate: '2027-03-31', AccountId: accountId }
        }
    ]);
    opportunityId = opportunity!.id!;
    otherOpportunityId = other!.id!;
    await admin.publish('Clm_Sync_Request__e', {
        Record_Id__c: opportunityId,
        Object_Api_Name__c: 'Opportunity',
        Action__c: 'Send',
        Request_Id__c: 'rq-reconcile'
    });
    await stageBecomes('Proposal/Price Quote');
});

afterAll(() => closeWorld({ emu, ingest, store, dir }));

describe('the reconcile query', () => {
    it('names the object of a CDC channel and reads everything modified after the watermark, oldest first', () => {
        expect(objectOfChannel(OPPORTUNITIES)).toBe('Opportunity');
        expect(objectOfChannel('/data/SBQQ__Quote__ChangeEvent')).toBe('SBQQ__Quote__c');
        expect(objectOfChannel('/data/ChangeEvents')).toBeNull();
        expect(objectOfChannel(SYNC_REQUEST_CHANNEL)).toBeNull();
        expect(modifiedSinceQuery('Opportunity', ['StageName'], Date.parse('2026-01-02T03:04:05.006Z'))).toBe(
            'SELECT Id, SystemModstamp, StageName FROM Opportunity WHERE SystemModstamp > 2026-01-02T03:04:05.006Z ORDER BY SystemModstamp ASC'
        );
    });
});

describe('what the stream cannot deliver is read back from the org', () => {
    it('a gap event reconciles the records it names', async () => {
        const before = await inbox();
        await emulatorAdmin('POST', '/eventbus/faults', { action: 'drop', topic: OPPORTUNITIES, count: 1 });
        await admin.write([
            { ref: 'o', sfObject: 'Opportunity', id: opportunityId, fields: { StageName: 'Id. Decision Makers' } }
        ]);
        await settle();
        // The change event was lost on the way.
        expect(await dealStage()).toBe('Proposal/Price Quote');

        logs.length = 0;
        await emulatorAdmin('POST', '/eventbus/gap', {
            entity: 'Opportunity',
            changeType: 'GAP_UPDATE',
            recordIds: [opportunityId]
        });
        const line = await logged(
            (entry) => entry.fields.code === RECONCILE_LOG_CODE && entry.message === 'reconcile: records queued'
        );
        expect(line.fields).toMatchObject({ reason: 'gap', channel: OPPORTUNITIES, sfObject: 'Opportunity', read: 1 });
        await stageBecomes('Id. Decision Makers');
        const added = (await inbox()).slice(before.length);
        expect(reconciledRecords(added, OPPORTUNITIES)).toEqual([opportunityId]);
    });

    it('an overflow event reconciles the whole object since the watermark', async () => {
        const before = await inbox();
        await emulatorAdmin('POST', '/eventbus/faults', { action: 'drop', topic: OPPORTUNITIES, count: 2 });
        await admin.write([
            { ref: 'o', sfObject: 'Opportunity', id: opportunityId, fields: { StageName: 'Perception Analysis' } }
        ]);
        await admin.write([
            { ref: 'p', sfObject: 'Opportunity', id: otherOpportunityId, fields: { Name: 'Unlinked deal, again' } }
        ]);
        await settle();
        expect(await dealStage()).toBe('Id. Decision Makers');

        logs.length = 0;
        await emulatorAdmin('POST', '/eventbus/gap', { entity: 'Opportunity', changeType: 'GAP_OVERFLOW' });
        const line = await logged(
            (entry) => entry.fields.code === RECONCILE_LOG_CODE && entry.message === 'reconcile: records queued'
        );
        expect(line.fields).toMatchObject({ reason: 'overflow', channel: OPPORTUNITIES, read: 2 });
        await stageBecomes('Perception Analysis');
        const added = (await inbox()).slice(before.length);
        expect(reconciledRecords(added, OPPORTUNITIES)).toEqual([opportunityId, otherOpportunityId].sort());
    });

    it('a 72-hour-old replay id recovers by reconcile with nothing missed', async () => {
        ingest.close();
        const before = await inbox();
        // While the connector is down: a linked deal moves on, its account moves, an unlinked deal changes.
        await admin.write([
            { ref: 'o', sfObject: 'Opportunity', id: opportunityId, fields: { StageName: 'Negotiation/Review' } }
        ]);
        await admin.write([{ ref: 'a', sfObject: 'Account', id: accountId, fields: { BillingCity: 'Dallas' } }]);
        await admin.write([
            { ref: 'p', sfObject: 'Opportunity', id: otherOpportunityId, fields: { Name: 'Unlinked deal, renamed' } }
        ]);
        await emulatorAdmin('POST', '/clock', { advanceMs: 73 * 3_600_000 });
        logs.length = 0;

        ingest = startIngest();
        await ingest.start();
        for (const channel of [OPPORTUNITIES, ACCOUNTS, CONTRACTS]) {
            await logged(
                (line) =>
                    line.fields.code === RECONCILE_LOG_CODE &&
                    line.fields.channel === channel &&
                    line.message === 'reconcile: records queued'
            );
        }
        await ingest.settled();

        // Every stored replay id had expired, and each was refused.
        const refused = logs.filter((line) => line.fields.code === 'INGEST.REPLAY_ID_REFUSED');
        expect(refused.map((line) => line.fields.channel).sort()).toEqual([...CHANNELS].sort());
        expect(
            logs.find((line) => line.fields.code === RECONCILE_LOG_CODE && line.fields.channel === OPPORTUNITIES)
                ?.fields.reason
        ).toBe('replay-id-refused');

        // Exactly the records changed meanwhile were queued.
        const items = (await inbox()).slice(before.length);
        expect(reconciledRecords(items, OPPORTUNITIES)).toEqual([opportunityId, otherOpportunityId].sort());
        expect(reconciledRecords(items, ACCOUNTS)).toEqual([accountId]);
        expect(reconciledRecords(items, CONTRACTS)).toEqual([]);
        expect(items).toHaveLength(3);

        await stageBecomes('Negotiation/Review');
        const contract = await clm.findByExternalRef({
            system: 'salesforce',
            objectType: 'Opportunity',
            id: opportunityId
        });
        expect(JSON.parse(String(contract?.custom.counterpartyAddress)).city).toBe('Dallas');

        // The channel is live again from LATEST, and says so.
        await admin.write([
            { ref: 'o', sfObject: 'Opportunity', id: opportunityId, fields: { StageName: 'Value Proposition' } }
        ]);
        await stageBecomes('Value Proposition');
        const status = await ingest.subscriptions();
        expect(status.find((entry) => entry.channel === OPPORTUNITIES)).toMatchObject({
            state: 'subscribed',
            replayId: expect.stringMatching(/^\d+$/),
            lastEventAt: expect.stringMatching(/Z$/)
        });
        // Running the same reconcile again stores nothing new (stable event ids).
        const queuedAgain = await store.appendInbox(
            emu.orgId,
            items.map(({ source, eventId, orderingKey, payload, correlationId }) => ({
                source,
                eventId,
                orderingKey,
                payload,
                correlationId
            }))
        );
        expect(queuedAgain.insertedIds).toEqual([]);
    });
});
