/**
 * The proof: a seeded org with 20,000 opportunities (BACKFILL_RECORDS to change it) is linked and synced
 * through Bulk API 2.0 by the backfill running in its own process, which is SIGKILLed twice — once halfway through
 * planning, once right after its first Bulk ingest job was sent — and restarted. It finishes with every deal linked
 * and written exactly once, one Bulk query job and one ingest job per 10,000 rows in all (a restart waits for the
 * jobs it had started), and a second run writes nothing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';
import { Backfill, type BackfillProgress } from '../../src/app/backfill.ts';
import { SyncEngine } from '../../src/app/syncEngine.ts';
import type { StorePort } from '../../src/ports/store.ts';
import {
    startSalesforceEmulator,
    type CommittedTransaction,
    type RunningSalesforceEmulator
} from '@clm/emulators/salesforce';
import type { ChildConfig } from './backfillChild.ts';
import {
    buildClm,
    CLOCK,
    FIXED_CLOCK,
    connect,
    CONNECTOR_CLIENT_ID,
    CONTEXT,
    RULES,
    seedOpportunities
} from './backfillWorld.ts';

const RECORDS = Number(process.env.BACKFILL_RECORDS ?? 20_000);
const ROWS_PER_JOB = Math.ceil(RECORDS / 2);
const CHILD = fileURLToPath(new URL('./backfillChild.ts', import.meta.url));

let emu: RunningSalesforceEmulator;
let dir: string;
let store: StorePort;
let ids: string[];
let configFile: string;
let storeFile: string;
const transactions: CommittedTransaction[] = [];

type Event = BackfillProgress | { event: 'exit'; state: string };

/** Runs the child until it exits, or until `killWhen` says so (then SIGKILL); returns what it printed. */
function runChild(killWhen?: (event: Event) => boolean): Promise<{ events: Event[]; killed: boolean }> {
    return new Promise((resolve, reject) => {
        // node itself runs the child (tsx as a loader), so the signal hits the backfill, not a wrapper.
        const child = spawn(process.execPath, ['--import', 'tsx', CHILD, configFile], {
            stdio: ['ignore', 'pipe', 'pipe']
        });
        const events: Event[] = [];
        let buffered = '';
        let stderr = '';
        let killed = false;
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.stdout.on('data', (chunk: Buffer) => {
            buffered += chunk.toString();
            const lines = buffered.split('\n');
            buffered = lines.pop()!;
            for (const line of lines) {
                const event = JSON.parse(line) as Event;
                events.push(event);
                if (!killed && killWhen?.(event)) {
                    killed = true;
                    child.kill('SIGKILL');
                }
            }
        });
        child.on('exit', (code, signal) => {
            if (signal === 'SIGKILL' && killed) resolve({ events, killed });
            else if (code === 0) resolve({ events, killed });
            else reject(new Error(`backfill child exited ${code ?? signal}: ${stderr.slice(-2000)}`));
        });
    });
}

function endpoint(name: string): number {
    return (emu.org.counters.toJSON() as { endpoints: Record<string, number> }).endpoints[name] ?? 0;
}

beforeAll(async () => {
    emu = await startSalesforceEmulator();
    emu.hook.subscribe((tx) => transactions.push(tx));
    ids = await seedOpportunities({ ...emu, username: emu.username }, RECORDS);
    dir = mkdtempSync(path.join(os.tmpdir(), 'clm-backfill-bulk-'));
    storeFile = path.join(dir, 'store.db');
    store = await openSqliteStore({ file: storeFile, clock: FIXED_CLOCK });
    await store.createBackfillJob(emu.orgId, { jobId: 'bf-kill', object: 'Opportunity', since: null }, CLOCK);
    const idsFile = path.join(dir, 'ids.json');
    writeFileSync(idsFile, JSON.stringify(ids));
    configFile = path.join(dir, 'child.json');
    const config: ChildConfig = {
        login: { ...emu, username: emu.users.integration.username },
        orgId: emu.orgId,
        storeFile,
        idsFile,
        jobId: 'bf-kill',
        bulkJobRows: ROWS_PER_JOB
    };
    writeFileSync(configFile, JSON.stringify(config));
    emu.org.counters.reset();
    transactions.length = 0;
}, 120_000);

afterAll(async () => {
    await store?.close();
    await emu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

describe(`backfill of ${RECORDS} opportunities through Bulk 2.0`, () => {
    it('killed halfway through planning and again after its first ingest job, it finishes without duplicates', async () => {
        const started = Date.now();
        const first = await runChild((event) => event.event === 'batch' && event.processed >= RECORDS / 2);
        expect(first.killed).toBe(true);
        const afterFirst = (await store.getBackfillJob(emu.orgId, 'bf-kill'))!;
        expect(afterFirst).toMatchObject({ state: 'Running', phase: 'plan', transport: 'bulk', total: RECORDS });
        expect(afterFirst.processed).toBeGreaterThanOrEqual(RECORDS / 2);
        expect(afterFirst.processed).toBeLessThan(RECORDS);

        const second = await runChild((event) => event.event === 'bulkSent');
        expect(second.killed).toBe(true);
        // It went on after the cursor: the batches it committed start where the killed run stopped.
        const batches = second.events.filter((event) => event.event === 'batch');
        expect(batches[0]!.processed).toBeGreaterThan(afterFirst.processed);
        expect((await store.getBackfillJob(emu.orgId, 'bf-kill'))!.phase).toBe('write');

        const third = await runChild();
        expect(third.killed).toBe(false);
        expect(third.events.filter((event) => event.event === 'batch')).toHaveLength(0);
        const job = (await store.getBackfillJob(emu.orgId, 'bf-kill'))!;
        const seconds = (Date.now() - started) / 1000;
        process.stdout.write(
            `backfill: ${RECORDS} opportunities in ${seconds.toFixed(1)} s over three processes (${Math.round(RECORDS / seconds)} records/s)\n`
        );
        expect(job).toMatchObject({
            state: 'Completed',
            phase: 'done',
            processed: RECORDS,
            linked: RECORDS,
            written: RECORDS,
            errors: 0
        });

        // One Bulk query job for all three processes (the restarts read its results again), and one ingest job per
        // ROWS_PER_JOB rows: the job sent before the second kill was waited for, not sent again. No REST writes.
        expect(endpoint('POST /services/data/:version/jobs/query')).toBe(1);
        expect(endpoint('POST /services/data/:version/jobs/ingest')).toBe(2);
        expect(endpoint('PUT /services/data/:version/jobs/ingest/:id/batches')).toBe(2);
        expect(endpoint('POST /services/data/:version/composite')).toBe(0);
        // The first process's probe picked Bulk; the restarts went straight to the stored query job.
        expect(endpoint('GET /services/data/:version/query')).toBe(1);
        // Every opportunity written exactly once, by a Bulk job marked with the connector's client id.
        const writes = transactions.flatMap((tx) =>
            tx.changes.filter((change) => change.sobject === 'Opportunity').map((change) => ({ tx, change }))
        );
        expect(writes).toHaveLength(RECORDS);
        expect(new Set(writes.map(({ change }) => change.id)).size).toBe(RECORDS);
        expect(writes.every(({ tx }) => tx.api === 'bulkapi' && tx.clientId === CONNECTOR_CLIENT_ID)).toBe(true);
        expect(emu.org.store.rows('Opportunity').every((row) => row.CLM_Lifecycle__c === 'Draft')).toBe(true);

        // One pair per deal with its two links; four change-log entries per deal, the chain intact.
        const db = new Database(storeFile, { readonly: true });
        try {
            const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
            expect(count('SELECT COUNT(*) AS n FROM pairs')).toBe(RECORDS);
            expect(count('SELECT COUNT(*) AS n FROM pair_links')).toBe(2 * RECORDS);
            expect(count('SELECT COUNT(*) AS n FROM change_log')).toBe(4 * RECORDS);
            expect(count('SELECT COUNT(DISTINCT pair_id) AS n FROM change_log')).toBe(RECORDS);
            expect(count("SELECT COUNT(*) AS n FROM backfill_writes WHERE status = 'done'")).toBe(RECORDS);
            // The deals whose stage differs from their contract's (one in a hundred) wait in the outbox for the CLM.
            expect(count("SELECT COUNT(*) AS n FROM outbox WHERE operation = 'clm.update'")).toBe(RECORDS / 100);
        } finally {
            db.close();
        }
        expect((await store.verifyChangeLog(emu.orgId)).ok).toBe(true);
    }, 240_000);

    it('a second run writes nothing', async () => {
        // The CLM as the child built it; the engine sends the queued stage changes to it first.
        const clm = await buildClm(ids);
        const salesforce = await connect({ ...emu, username: emu.users.integration.username });
        const common = { orgId: emu.orgId, store, salesforce, clm, rules: RULES, context: CONTEXT, clock: FIXED_CLOCK };
        const engine = new SyncEngine({ ...common, random: () => 0 });
        await engine.runUntilIdle();
        const stats = await store.stats(emu.orgId, CLOCK);
        expect(stats.outbox.byStatus.done).toBe(RECORDS / 100);
        expect(stats.quarantined).toBe(0);
        const updated = (await clm.listChanges(null, RECORDS)).items.filter((contract) => contract.version !== '1');
        expect(updated).toHaveLength(RECORDS / 100);

        emu.org.counters.reset();
        transactions.length = 0;
        const logBefore = (await store.verifyChangeLog(emu.orgId)).count;
        const backfill = new Backfill({ ...common, bulkPollIntervalMs: 25 });
        const job = await backfill.run((await backfill.start('Opportunity')).jobId);
        await backfill.idle();
        expect(job).toMatchObject({ state: 'Completed', transport: 'bulk', processed: RECORDS, written: 0, errors: 0 });
        expect(transactions).toHaveLength(0);
        expect(endpoint('POST /services/data/:version/jobs/ingest')).toBe(0);
        expect((await store.verifyChangeLog(emu.orgId)).count).toBe(logBefore);
        expect((await store.stats(emu.orgId, CLOCK)).outbox.byStatus.pending).toBe(0);
        expect(
            (await clm.listChanges(null, RECORDS)).items.filter((contract) => contract.version !== '1')
        ).toHaveLength(RECORDS / 100);
    }, 120_000);
});
