/**
 * The org's API allocation is spared: at the configured share of DailyApiRequests the engine takes no work and spends
 * only one call per re-check; when the org has allocation again, work resumes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RULES, loadRuleSet } from '../../src/domain/index.ts';
import { MemoryClm } from '../../src/adapters/clm/memory/memoryClm.ts';
import { connectWithJwt, JsforceSalesforce } from '../../src/adapters/salesforce/jsforceSalesforce.ts';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';
import type { StorePort } from '../../src/ports/store.ts';
import { SyncEngine } from '../../src/app/syncEngine.ts';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '@clm/emulators/salesforce';
import type { Clock } from '../../src/clock.ts';

const ORG = '00D000000000001AAA';
let emu: RunningSalesforceEmulator;
let store: StorePort;
let salesforce: JsforceSalesforce;
let engine: SyncEngine;
let dir: string;
let clock = Date.parse('2026-11-23T09:00:00.000Z');
/** The connector's one clock, as the test moves it (the store stamps inbox items with it too). */
const connectorClock: Clock = { now: () => clock, sleep: async () => undefined };

async function setRemaining(remaining: number): Promise<void> {
    await fetch(`${emu.adminUrl}/limits/DailyApiRequests`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ Max: 1000, Remaining: remaining })
    });
}
async function billed(): Promise<number> {
    return ((await (await fetch(`${emu.adminUrl}/counters`)).json()) as { billedApiRequests: number })
        .billedApiRequests;
}

beforeAll(async () => {
    emu = await startSalesforceEmulator();
    dir = mkdtempSync(path.join(os.tmpdir(), 'clm-budget-'));
    store = await openSqliteStore({ file: path.join(dir, 'store.db'), clock: connectorClock });
    const conn = await connectWithJwt({
        loginUrl: emu.loginUrl,
        clientId: emu.jwtConsumerKey,
        username: emu.users.integration.username,
        privateKeyPem: readFileSync(emu.jwtPrivateKeyPath, 'utf8'),
        apiVersion: emu.apiVersion
    });
    salesforce = new JsforceSalesforce(conn, { connectorClientId: 'clm-connector', apiVersion: emu.apiVersion });
    engine = new SyncEngine({
        orgId: ORG,
        store,
        salesforce,
        clm: new MemoryClm(),
        rules: loadRuleSet(DEFAULT_RULES),
        context: { connectorClientId: 'clm-connector', transform: {} },
        clock: connectorClock,
        apiBudget: { pauseAtShare: 0.9, recheckMs: 60_000, slowAtShare: 0.75, slowBatch: 2 }
    });
});

afterAll(async () => {
    await store?.close();
    await emu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('API budget', () => {
    it('pauses at 90% of the daily allocation, re-checking with one call a minute, and resumes when allocation returns', async () => {
        await setRemaining(50);
        await salesforce.refreshApiBudget(); // the connector learns the figure from its own calls
        await store.appendInbox(ORG, [
            {
                source: 'test',
                eventId: 'e1',
                orderingKey: 'opp:x',
                payload: { kind: 'clm.event', contractId: 'M-404', vendorEventId: 'e1' },
                correlationId: 'c1'
            }
        ]);

        const before = await billed();
        expect(await engine.processInbox()).toBe(0);
        expect(engine.isPaused()).toBe(true);
        clock += 10_000;
        expect(await engine.processInbox()).toBe(0);
        expect(await engine.dispatchOutbox()).toBe(0);
        // One re-check call (the first pass), none within the minute.
        expect((await billed()) - before).toBe(1);
        expect((await store.stats(ORG, clock)).inbox.byStatus.pending).toBe(1);

        await setRemaining(900);
        clock += 60_000;
        expect(await engine.processInbox()).toBe(1);
        expect(engine.isPaused()).toBe(false);
    });

    it('slows work from 75% of the daily allocation: inbox rounds of a few items, outbox batches whole', async () => {
        await setRemaining(200); // 80% used
        clock += 1000;
        await salesforce.refreshApiBudget();
        await store.appendInbox(
            ORG,
            [1, 2, 3, 4, 5].map((n) => ({
                source: 'test',
                eventId: `slow-${n}`,
                orderingKey: `opp:slow-${n}`,
                payload: { kind: 'clm.event', contractId: 'M-404', vendorEventId: `slow-${n}` },
                correlationId: `c-slow-${n}`
            }))
        );
        expect(engine.isSlowed()).toBe(true);
        expect(engine.isPaused()).toBe(false);
        expect(await engine.processInbox()).toBe(2);
        await setRemaining(900);
        await salesforce.refreshApiBudget();
        expect(engine.isSlowed()).toBe(false);
        expect(await engine.processInbox()).toBe(3);
    });
});
