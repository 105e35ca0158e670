/**
 * The CLM change feed as the fallback for lost webhooks: a CLM that sends none (the in-memory one) still reaches
 * Salesforce through polling; a second poll stores nothing new; the cursor survives a restart of the poller.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RULES, loadRuleSet } from '../../src/domain/index.ts';
import { MemoryClm } from '../../src/adapters/clm/memory/memoryClm.ts';
import type { JsforceSalesforce } from '../../src/adapters/salesforce/jsforceSalesforce.ts';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';
import type { StorePort } from '../../src/ports/store.ts';
import { SyncEngine } from '../../src/app/syncEngine.ts';
import { ClmPoller } from '../../src/app/clmPoller.ts';
import { connectAs } from './pubsubWorld.ts';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '@clm/emulators/salesforce';

const silent = { info() {}, warn() {}, error() {} };
let emu: RunningSalesforceEmulator;
let admin: JsforceSalesforce;
let store: StorePort;
let clm: MemoryClm;
let engine: SyncEngine;
let dir: string;
let opportunityId: string;
let contractId: string;

async function port(username: string, clientId: string): Promise<JsforceSalesforce> {
    return (await connectAs(emu, username, clientId)).port;
}

function poller(options: Partial<ConstructorParameters<typeof ClmPoller>[0]> = {}): ClmPoller {
    return new ClmPoller({ orgId: emu.orgId, store, clm, logger: silent, pageSize: 2, ...options });
}

async function inboxPending(): Promise<number> {
    return (await store.stats(emu.orgId, Date.now())).inbox.byStatus.pending;
}

async function lifecycle(): Promise<unknown> {
    const [opportunity] = await admin.readByIds('Opportunity', ['CLM_Lifecycle__c'], [opportunityId]);
    return opportunity?.CLM_Lifecycle__c;
}

beforeAll(async () => {
    emu = await startSalesforceEmulator();
    dir = mkdtempSync(path.join(os.tmpdir(), 'clm-poller-'));
    store = await openSqliteStore({ file: path.join(dir, 'store.db') });
    admin = await port(emu.username, 'sales-console');
    clm = new MemoryClm();
    engine = new SyncEngine({
        orgId: emu.orgId,
        store,
        salesforce: await port(emu.users.integration.username, 'clm-connector'),
        clm,
        rules: loadRuleSet(DEFAULT_RULES),
        context: { connectorClientId: 'clm-connector', transform: { orgCurrency: 'USD' } },
        orgCurrency: 'USD'
    });
    const [account] = await admin.write([{ ref: 'a', sfObject: 'Account', fields: { Name: 'Globex' } }]);
    await admin.write([
        {
            ref: 'c',
            sfObject: 'Contact',
            fields: { LastName: 'Scorpio', Email: 'hs@globex.example', AccountId: account!.id! }
        }
    ]);
    const [opportunity] = await admin.write([
        {
            ref: 'o',
            sfObject: 'Opportunity',
            fields: { Name: 'Globex dome', StageName: 'Prospecting', CloseDate: '2027-05-31', AccountId: account!.id! }
        }
    ]);
    opportunityId = opportunity!.id!;
    // Contracts of deals this connector never linked (another org's, say).
    for (const [index, title] of ['Other NDA', 'Other MSA', 'Other SOW'].entries()) {
        await clm.createContract({
            naturalKey: { system: 'salesforce', objectType: 'Opportunity', id: `006000000000000AA${index}` },
            title,
            counterparty: { name: 'Someone' },
            contacts: []
        });
    }
    await store.appendInbox(emu.orgId, [
        {
            source: 'test',
            eventId: 'send-1',
            orderingKey: `opp:${opportunityId}`,
            payload: { kind: 'sf.syncRequest', opportunityId, requestId: 'send-1' },
            correlationId: 'send-1'
        }
    ]);
    await engine.runUntilIdle();
    const contract = await clm.findByExternalRef({
        system: 'salesforce',
        objectType: 'Opportunity',
        id: opportunityId
    });
    contractId = contract!.id;
    expect(await lifecycle()).toBe('Draft');
});

afterAll(async () => {
    await store?.close();
    await emu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the CLM change feed, polled', () => {
    it('leaves out what the connector already holds', async () => {
        const result = await poller().poll();
        // Four contracts, two per page: the connector's own is at the version it wrote; the engine decides the others.
        expect(result).toMatchObject({ pages: 3, seen: 4, queued: 3, skipped: 1 });
        await engine.runUntilIdle();
        expect(await inboxPending()).toBe(0);
        expect(await lifecycle()).toBe('Draft');
    });

    it('brings a CLM-side change to Salesforce when no webhook told of it; a second poll stores nothing new', async () => {
        await clm.transition(contractId, 'submit');
        const first = await poller().poll();
        expect(first.queued).toBe(1);
        expect(await inboxPending()).toBe(1);

        // The same version again (the feed repeats it from an older cursor): the event id dedupes it.
        expect((await poller().poll()).queued).toBe(0);
        await store.appendInbox(emu.orgId, [], { channel: poller().checkpointName, replayId: '0' });
        const replayed = await poller().poll();
        expect(replayed).toMatchObject({ queued: 0 });
        expect(replayed.seen).toBeGreaterThan(0);
        expect(await inboxPending()).toBe(1);

        await engine.runUntilIdle();
        expect(await lifecycle()).toBe('InReview');
    });

    it('resumes from the stored cursor after a restart', async () => {
        const stopped = poller();
        await stopped.poll();
        await stopped.close();
        expect(await store.getCheckpoint(emu.orgId, 'clm:memory:poll')).not.toBeNull();

        await clm.transition(contractId, 'requestSignature');
        // The work the poller kicks is awaited before the suite closes the store (it writes the status, the
        // provenance and the result after the values).
        const runs: Promise<void>[] = [];
        const restarted = poller({ intervalMs: 20, onStored: () => void runs.push(engine.runUntilIdle()) });
        restarted.start();
        for (let round = 0; round < 100 && (await lifecycle()) !== 'OutForSignature'; round += 1)
            await new Promise((resolve) => setTimeout(resolve, 20));
        await restarted.close();
        await Promise.all(runs);
        expect(await lifecycle()).toBe('OutForSignature');
        // Only the change made after the restart was read again.
        const again = await poller().poll();
        expect(again).toMatchObject({ seen: 0, queued: 0 });
    });

    it('polls only while active (the subscription lease holder)', async () => {
        await clm.transition(contractId, 'cancel');
        expect(await poller({ active: () => false }).poll()).toMatchObject({ pages: 0, queued: 0 });
        expect((await poller({ active: () => true }).poll()).queued).toBe(1);
    });
});
