/**
 * Backfill through the admin API, in-process, on the real pieces (org emulator, SQLite store, in-memory CLM): below
 * the threshold it reads and writes through REST with an exact number of calls; above it, through Bulk 2.0; a
 * second run writes nothing; bad requests are refused naming the field. The 20,000-record run with kills is
 * backfillBulk.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';
import { Backfill } from '../../src/app/backfill.ts';
import { ConnectorService } from '../../src/adapters/http/connectorService.ts';
import { SyncEngine } from '../../src/app/syncEngine.ts';
import type { StorePort } from '../../src/ports/store.ts';
import {
    startSalesforceEmulator,
    type CommittedTransaction,
    type RunningSalesforceEmulator
} from '@clm/emulators/salesforce';
import {
    buildClm,
    CLOCK,
    FIXED_CLOCK,
    connect,
    CONNECTOR_CLIENT_ID,
    CONTEXT,
    RULES,
    seedOpportunities,
    type IndexedMemoryClm
} from './backfillWorld.ts';

const TOKEN = 'backfill-admin-token';
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

interface World {
    emu: RunningSalesforceEmulator;
    store: StorePort;
    clm: IndexedMemoryClm;
    ids: string[];
    backfill: Backfill;
    engine: SyncEngine;
    service: ConnectorService;
    transactions: CommittedTransaction[];
    close(): Promise<void>;
}

async function world(count: number, bulkThreshold?: number): Promise<World> {
    const emu = await startSalesforceEmulator();
    const transactions: CommittedTransaction[] = [];
    emu.hook.subscribe((tx) => transactions.push(tx));
    const ids = await seedOpportunities({ ...emu, username: emu.username }, count);
    const clm = await buildClm(ids);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'clm-backfill-'));
    const store = await openSqliteStore({ file: path.join(dir, 'store.db'), clock: FIXED_CLOCK });
    const salesforce = await connect({ ...emu, username: emu.users.integration.username });
    const common = { orgId: emu.orgId, store, salesforce, clm, rules: RULES, context: CONTEXT, clock: FIXED_CLOCK };
    const backfill = new Backfill({
        ...common,
        ...(bulkThreshold ? { bulkThreshold } : {}),
        bulkPollIntervalMs: 10,
        retryDelayMs: 10,
        batchSize: 7,
        bulkJobRows: 30
    });
    const engine = new SyncEngine({ ...common, orgCurrency: 'USD', random: () => 0 });
    const service = new ConnectorService({
        name: 'clm-connector',
        version: 'test',
        ...common,
        engine,
        backfill,
        adminToken: TOKEN,
        logger: quiet
    });
    await emu.org.counters.reset();
    transactions.length = 0;
    return {
        emu,
        store,
        clm,
        ids,
        backfill,
        engine,
        service,
        transactions,
        async close() {
            await service.app.close();
            await store.close();
            await emu.close();
            rmSync(dir, { recursive: true, force: true });
        }
    };
}

async function admin(w: World, method: 'GET' | 'POST', url: string, body?: unknown) {
    const response = await w.service.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${TOKEN}` },
        ...(body === undefined ? {} : { payload: body as Record<string, unknown> })
    });
    return { status: response.statusCode, body: response.json() as Record<string, unknown> };
}

/** Starts a backfill through the API, waits for it, and answers its final report. */
async function backfillOnce(w: World, object = 'Opportunity') {
    const started = await admin(w, 'POST', '/admin/backfill', { object });
    expect(started.status).toBe(202);
    await w.backfill.idle();
    return (await admin(w, 'GET', `/admin/backfill/${String(started.body.jobId)}`)).body;
}

const opportunityWrites = (w: World) =>
    w.transactions.flatMap((tx) =>
        tx.changes.filter((change) => change.sobject === 'Opportunity').map((change) => ({ tx, change }))
    );

describe('backfill below the Bulk threshold', () => {
    let w: World;
    beforeAll(async () => {
        w = await world(40);
    });
    afterAll(async () => w?.close());

    it('links every deal and syncs it through REST: one query, one Composite call', async () => {
        const job = await backfillOnce(w);
        expect(job).toMatchObject({
            object: 'Opportunity',
            state: 'Completed',
            phase: 'done',
            transport: 'rest',
            total: 40,
            processed: 40,
            linked: 40,
            written: 40,
            errors: 0
        });
        const counters = w.emu.org.counters.toJSON() as {
            billedApiRequests: number;
            endpoints: Record<string, number>;
        };
        expect(counters.billedApiRequests).toBe(2);
        expect(counters.endpoints['GET /services/data/:version/query']).toBe(1);
        expect(counters.endpoints['POST /services/data/:version/composite']).toBe(1);
        // Each deal written once, by the connector (its client id makes the change event an echo).
        const writes = opportunityWrites(w);
        expect(new Set(writes.map(({ change }) => change.id)).size).toBe(40);
        expect(writes).toHaveLength(40);
        expect(writes.every(({ tx }) => tx.api === 'rest' && tx.clientId === CONNECTOR_CLIENT_ID)).toBe(true);
        for (const row of w.emu.org.store.rows('Opportunity'))
            expect(row).toMatchObject({ CLM_Lifecycle__c: 'Draft', CLM_Signature_Status__c: 'None' });
        // Linked both ways: by the stamped contract id (deal 0) and by the contract's reference to the deal (deal 1).
        const even = await w.store.findPair(w.emu.orgId, { salesforceId: w.ids[0]! });
        expect(even).toMatchObject({ salesforce: { opportunity: w.ids[0] }, clm: [{ vendor: 'memory', id: 'M-1' }] });
        const odd = await w.store.findPair(w.emu.orgId, { salesforceId: w.ids[1]! });
        expect(odd).toMatchObject({ clm: [{ vendor: 'memory', id: 'M-5' }] });
        // Deal 1's stage differs from its contract's: that one CLM write goes out through the engine's outbox.
        expect((await w.store.stats(w.emu.orgId, CLOCK)).outbox.byStatus.pending).toBe(1);
        await w.engine.runUntilIdle();
        expect(await w.clm.getContract('M-5')).toMatchObject({ version: '2', custom: { dealStage: 'Qualification' } });
        expect((await w.store.stats(w.emu.orgId, CLOCK)).outbox.byStatus.done).toBe(1);
        // Per deal: lifecycle and signature applied, title unchanged (both sides agree), stage applied or unchanged.
        // The CLM's answer to that write is planned like a read of the contract (its echo and the unchanged fields:
        // 17 entries), so the write's own change events cost no read.
        const log = await w.store.readChangeLog(w.emu.orgId, { limit: 1000 });
        expect(log).toHaveLength(177);
        expect(log.filter((entry) => entry.eventId.startsWith('write:'))).toHaveLength(17);
        // 80 by the backfill, 1 by the engine's stage write, 10 from that write's answer: the pair's first CLM read.
        expect(log.filter((entry) => entry.outcome === 'applied')).toHaveLength(91);
        expect((await w.store.verifyChangeLog(w.emu.orgId)).ok).toBe(true);
    });

    it('a second run writes nothing: no Salesforce write, no CLM write, no store write but the job', async () => {
        w.emu.org.counters.reset();
        w.transactions.length = 0;
        const logBefore = (await w.store.readChangeLog(w.emu.orgId, { limit: 1000 })).length;
        const job = await backfillOnce(w);
        expect(job).toMatchObject({ state: 'Completed', processed: 40, linked: 40, written: 0, errors: 0 });
        const counters = w.emu.org.counters.toJSON() as { billedApiRequests: number };
        expect(counters.billedApiRequests).toBe(1);
        expect(w.transactions).toHaveLength(0);
        expect((await w.store.readChangeLog(w.emu.orgId, { limit: 1000 })).length).toBe(logBefore);
        const stats = await w.store.stats(w.emu.orgId, CLOCK);
        expect(stats.outbox.byStatus.pending + stats.outbox.byStatus.done).toBe(1);
        expect((await w.clm.getContract('M-5')).version).toBe('2');
    });

    it("links Contracts into their deals' pairs by the stamped contract id", async () => {
        const salesforce = await connect({ ...w.emu, username: w.emu.username });
        const [account] = await salesforce.write([{ ref: 'a', sfObject: 'Account', fields: { Name: 'Acme Inc' } }]);
        const contracts = await salesforce.write(
            ['M-1', 'M-2', 'M-3'].map((contractId) => ({
                ref: contractId,
                sfObject: 'Contract',
                fields: { AccountId: account!.id!, Status: 'Draft', CLM_Contract_Id__c: contractId }
            }))
        );
        w.transactions.length = 0;
        const job = await backfillOnce(w, 'Contract');
        expect(job).toMatchObject({ state: 'Completed', total: 3, linked: 3, written: 3, errors: 0 });
        const pair = await w.store.findPair(w.emu.orgId, { salesforceId: contracts[0]!.id! });
        expect(pair).toMatchObject({ salesforce: { opportunity: w.ids[0], contract: contracts[0]!.id } });
        const [contract] = await salesforce.readByIds(
            'Contract',
            ['CLM_Lifecycle__c', 'CLM_Signature_Status__c'],
            [contracts[0]!.id!]
        );
        expect(contract).toMatchObject({ CLM_Lifecycle__c: 'Draft', CLM_Signature_Status__c: 'None' });
        expect(
            w.transactions.flatMap((tx) => tx.changes).filter((change) => change.sobject === 'Contract')
        ).toHaveLength(3);
    });

    it('tries again after a failure time may fix, and fails with the reason after one it cannot', async () => {
        const fault = (errorCode: string) =>
            fetch(`${w.emu.adminUrl}/faults`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ sobject: 'Opportunity', operation: 'query', errorCode, count: 1 })
            });
        await fault('UNABLE_TO_LOCK_ROW');
        expect(await backfillOnce(w)).toMatchObject({
            state: 'Completed',
            processed: 40,
            written: 0,
            lastError: { code: 'SF.UNABLE_TO_LOCK_ROW' }
        });
        await fault('INVALID_FIELD');
        expect(await backfillOnce(w)).toMatchObject({
            state: 'Failed',
            processed: 0,
            lastError: { code: 'SF.INVALID_FIELD' }
        });
    });

    it('refuses an object no rule maps, one that is not a side of a pair, and malformed bodies, naming the field', async () => {
        expect(await admin(w, 'POST', '/admin/backfill', { object: 'Lead' })).toMatchObject({
            status: 400,
            body: { code: 'ADMIN.UNKNOWN_OBJECT' }
        });
        expect(await admin(w, 'POST', '/admin/backfill', { object: 'Account' })).toMatchObject({
            status: 400,
            body: { code: 'ADMIN.UNSUPPORTED_OBJECT' }
        });
        const unknownField = await admin(w, 'POST', '/admin/backfill', { objekt: 'Opportunity' });
        expect(unknownField).toMatchObject({ status: 400, body: { code: 'ADMIN.INVALID_REQUEST' } });
        expect(unknownField.body.message).toMatch(/^object: /);
        const extra = await admin(w, 'POST', '/admin/backfill', { object: 'Opportunity', limit: 5 });
        expect(extra.body.message).toMatch(/^limit: not a field/);
        const since = await admin(w, 'POST', '/admin/backfill', { object: 'Opportunity', since: 'yesterday' });
        expect(since).toMatchObject({ status: 400, body: { code: 'ADMIN.INVALID_REQUEST' } });
        expect(since.body.message).toMatch(/^since: /);
        expect(await admin(w, 'GET', '/admin/backfill/bf-nope')).toMatchObject({
            status: 404,
            body: { code: 'ADMIN.NOT_FOUND' }
        });
        const anonymous = await w.service.app.inject({ method: 'POST', url: '/admin/backfill', payload: {} });
        expect(anonymous.statusCode).toBe(401);
        expect(await w.store.listBackfillJobs(w.emu.orgId)).toHaveLength(5);
    });
});

describe('backfill above the Bulk threshold', () => {
    let w: World;
    beforeAll(async () => {
        w = await world(75, 20);
    });
    afterAll(async () => w?.close());

    it('reads through one Bulk query job and writes through Bulk ingest jobs, no REST write', async () => {
        const job = await backfillOnce(w);
        expect(job).toMatchObject({
            state: 'Completed',
            transport: 'bulk',
            total: 75,
            processed: 75,
            linked: 75,
            written: 75,
            errors: 0
        });
        const { endpoints } = w.emu.org.counters.toJSON() as { endpoints: Record<string, number> };
        expect(endpoints['GET /services/data/:version/query']).toBe(1); // the probe that picked Bulk
        expect(endpoints['POST /services/data/:version/jobs/query']).toBe(1);
        expect(endpoints['GET /services/data/:version/jobs/query/:id/results']).toBe(1);
        expect(endpoints['POST /services/data/:version/jobs/ingest']).toBe(3); // 30 rows a job
        expect(endpoints['PUT /services/data/:version/jobs/ingest/:id/batches']).toBe(3);
        expect(endpoints['POST /services/data/:version/composite']).toBeUndefined();
        const writes = opportunityWrites(w);
        expect(writes).toHaveLength(75);
        expect(new Set(writes.map(({ change }) => change.id)).size).toBe(75);
        expect(writes.every(({ tx }) => tx.api === 'bulkapi' && tx.clientId === CONNECTOR_CLIENT_ID)).toBe(true);
        // A job already running here is not run twice (start() queued it too): both callers get the one run.
        const { jobId } = await w.backfill.start('Opportunity');
        const run = w.backfill.run(jobId);
        expect(w.backfill.run(jobId)).toBe(run);
        const second = await run;
        await w.backfill.idle();
        expect(second).toMatchObject({ state: 'Completed', transport: 'bulk', written: 0, errors: 0 });
        // One more query job for the second run, not two.
        expect(
            (w.emu.org.counters.toJSON() as { endpoints: Record<string, number> }).endpoints[
                'POST /services/data/:version/jobs/query'
            ]
        ).toBe(2);
        expect(opportunityWrites(w)).toHaveLength(75);
    });
});
