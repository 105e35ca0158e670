/**
 * The issue's proof of the audit: 10,000 deals (AUDIT_RECORDS to change it) linked by a backfill on the Salesforce
 * emulator, then 1 % drift seeded behind the connector's back — 50 opportunities whose lifecycle an admin changed in
 * the org (a field the CLM owns) and 50 contracts whose title someone changed in the CLM (a field Salesforce owns).
 * The audit reports exactly those 100 differences; `repair` queues them to the sync engine, which re-plans them
 * under the rules and writes the owners' values back; a second audit reports 100 % on every field. The calls each
 * audit made are printed from the emulator's counters (and asserted where they do not depend on polling).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';
import { Audit, DEFAULT_AUDIT_BULK_THRESHOLD, type AuditRun } from '../../src/app/audit.ts';
import { Backfill } from '../../src/app/backfill.ts';
import { SyncEngine } from '../../src/app/syncEngine.ts';
import type { ClmPort } from '../../src/ports/clm.ts';
import type { StorePort } from '../../src/ports/store.ts';
import { connectAs } from '@clm/emulators/salesforce/helpers';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '@clm/emulators/salesforce';
import {
    buildClm,
    CLOCK,
    FIXED_CLOCK,
    connect,
    CONTEXT,
    RULES,
    seedOpportunities,
    type IndexedMemoryClm
} from './backfillWorld.ts';

const RECORDS = Number(process.env.AUDIT_RECORDS ?? 10_000);
const DRIFT = RECORDS / 100;

let emu: RunningSalesforceEmulator;
let store: StorePort;
let clm: IndexedMemoryClm;
let clmCalls: Map<string, number>;
let ids: string[];
let engine: SyncEngine;
let audit: Audit;

/** The CLM port with a count of calls per method. */
function counted(port: IndexedMemoryClm): ClmPort {
    return new Proxy(port, {
        get(target, property, receiver) {
            const value = Reflect.get(target, property, receiver) as unknown;
            if (typeof value !== 'function' || typeof property !== 'string') return value;
            return (...args: unknown[]) => {
                clmCalls.set(property, (clmCalls.get(property) ?? 0) + 1);
                return (value as (...a: unknown[]) => unknown).apply(target, args);
            };
        }
    });
}

function endpoints(): Record<string, number> {
    return (emu.org.counters.toJSON() as { endpoints: Record<string, number> }).endpoints;
}

/** Runs an audit with the counters reset before; prints what it called. */
async function audited(repair: boolean): Promise<{ run: AuditRun; calls: Record<string, number> }> {
    emu.org.counters.reset();
    clmCalls.clear();
    const run = await audit.run({ repair });
    const calls = { ...endpoints(), ...Object.fromEntries([...clmCalls].map(([name, n]) => [`clm.${name}`, n])) };
    process.stdout.write(
        `audit${repair ? ' --repair' : ''} of ${run.pairs} pairs: ${run.differences.length} differences; ` +
            `Salesforce calls ${run.apiCalls.salesforce}, CLM calls ${run.apiCalls.clm}; ${JSON.stringify(calls)}\n`
    );
    return { run, calls };
}

beforeAll(async () => {
    emu = await startSalesforceEmulator();
    ids = await seedOpportunities({ ...emu, username: emu.username }, RECORDS);
    clm = await buildClm(ids);
    clmCalls = new Map();
    store = await openSqliteStore({ file: ':memory:', clock: FIXED_CLOCK });
    const salesforce = await connect({ ...emu, username: emu.users.integration.username });
    const common = {
        orgId: emu.orgId,
        store,
        salesforce,
        clm: counted(clm),
        rules: RULES,
        context: CONTEXT,
        clock: FIXED_CLOCK
    };
    const backfill = new Backfill({ ...common, bulkPollIntervalMs: 25 });
    const job = await backfill.run((await backfill.start('Opportunity')).jobId);
    expect(job).toMatchObject({ state: 'Completed', linked: RECORDS, errors: 0 });
    engine = new SyncEngine({ ...common, random: () => 0 });
    await engine.runUntilIdle();
    audit = new Audit({ ...common, bulkPollIntervalMs: 25 });
}, 300_000);

afterAll(async () => {
    await store?.close();
    await emu?.close();
});

describe(`audit of ${RECORDS} linked deals`, () => {
    it('agrees everywhere after the backfill', async () => {
        const { run } = await audited(false);
        expect(run).toMatchObject({ state: 'Completed', pairs: RECORDS, differences: [], repairQueued: 0 });
        expect(run.objects).toEqual([
            expect.objectContaining({ object: 'Opportunity', compared: RECORDS, agreeing: RECORDS, accuracy: 1 })
        ]);
        expect(run.fields.map((field) => field.rule).sort()).toEqual(
            RULES.rules
                .filter((rule) => rule.sfObject === 'Opportunity')
                .map((rule) => rule.name)
                .sort()
        );
        expect(run.notAudited.map((entry) => entry.object)).not.toContain('Opportunity');
    }, 120_000);

    it('reports exactly the seeded drift, repairs it through the pipeline, and then reports 100 %', async () => {
        // Behind the connector's back: an admin changes 50 deals' lifecycle in the org (no event reaches it) …
        const lifecycleDrift = ids.filter((_, index) => index % 200 === 3);
        const admin = await connectAs(emu, emu.users.admin.username);
        const updated = await admin.sobject('Opportunity').update(
            lifecycleDrift.map((Id) => ({ Id, CLM_Lifecycle__c: 'Expired' })),
            { allOrNone: true }
        );
        expect(updated.every((result) => result.success)).toBe(true);
        // … and someone renames 50 contracts in the CLM.
        const titleDrift = ids.filter((_, index) => index % 200 === 103);
        const contractOf = new Map<string, string>();
        for (const id of titleDrift) {
            const pair = (await store.findPair(emu.orgId, { salesforceId: id }))!;
            const contractId = pair.clm.at(-1)!.id;
            contractOf.set(id, contractId);
            await clm.updateContract(contractId, { title: `Renamed in the CLM ${contractId}` });
        }
        expect(lifecycleDrift.length + titleDrift.length).toBe(DRIFT);

        const first = (await audited(true)).run;
        const seen = first.differences.map((difference) => `${difference.rule}:${difference.recordId}`).sort();
        const seeded = [
            ...lifecycleDrift.map((id) => `Opportunity_Lifecycle:${id}`),
            ...titleDrift.map((id) => `Opportunity_Title:${id}`)
        ].sort();
        expect(seen).toEqual(seeded);
        expect(first.differences.find((d) => d.recordId === lifecycleDrift[0])).toMatchObject({
            object: 'Opportunity',
            field: 'CLM_Lifecycle__c',
            salesforceValue: 'Expired',
            clmValue: 'Draft'
        });
        const lifecycle = first.fields.find((field) => field.rule === 'Opportunity_Lifecycle')!;
        expect(lifecycle).toMatchObject({ compared: RECORDS, differing: DRIFT / 2, accuracy: 1 - DRIFT / 2 / RECORDS });
        expect(first.objects[0]).toMatchObject({ compared: RECORDS, differing: DRIFT, agreeing: RECORDS - DRIFT });
        expect(first.repairQueued).toBe(DRIFT);
        // Nothing was written by the audit itself: the repairs wait in the inbox for the engine.
        expect((await store.stats(emu.orgId, CLOCK)).inbox.byStatus.pending).toBe(DRIFT);

        emu.org.counters.reset();
        clmCalls.clear();
        await engine.runUntilIdle();
        process.stdout.write(
            `repair through the engine: ${JSON.stringify({ ...endpoints(), ...Object.fromEntries([...clmCalls].map(([n, c]) => [`clm.${n}`, c])) })}\n`
        );
        const stats = await store.stats(emu.orgId, CLOCK);
        expect(stats.quarantined).toBe(0);
        expect(stats.inbox.byStatus.pending + stats.outbox.byStatus.pending + stats.outbox.byStatus.failed).toBe(0);
        // The owners' values went back: the CLM's lifecycle to the org, the deal's name to the CLM.
        const rows = new Map(emu.org.store.rows('Opportunity').map((row) => [String(row.Id), row]));
        for (const id of lifecycleDrift) expect(rows.get(id)!.CLM_Lifecycle__c).toBe('Draft');
        for (const id of titleDrift)
            expect((await clm.getContract(contractOf.get(id)!)).title).toBe(rows.get(id)!.Name);
        // Through the pipeline: each repair is in the change log as an applied decision of its rule.
        const log = await store.readChangeLog(emu.orgId, {
            pairId: (await store.findPair(emu.orgId, { salesforceId: titleDrift[0]! }))!.pairId
        });
        expect(log.some((entry) => entry.rule === 'Opportunity_Title' && entry.outcome === 'applied')).toBe(true);

        const second = (await audited(false)).run;
        expect(second.differences).toEqual([]);
        expect(second.fields.every((field) => field.accuracy === 1 && field.compared === RECORDS)).toBe(true);
        expect(second.objects[0]).toMatchObject({ compared: RECORDS, agreeing: RECORDS, accuracy: 1 });
    }, 240_000);

    it('reads in bulk: one Bulk query job for the org (by id below 2,000), the CLM a page of 500 at a time', async () => {
        const { run, calls } = await audited(false);
        const bulk = RECORDS >= DEFAULT_AUDIT_BULK_THRESHOLD;
        expect(run.transport).toEqual({ Opportunity: bulk ? 'bulk' : 'rest' });
        expect(calls['POST /services/data/:version/jobs/query'] ?? 0).toBe(bulk ? 1 : 0);
        expect(calls['GET /services/data/:version/query'] ?? 0).toBe(0);
        expect(calls['POST /services/data/:version/composite'] ?? 0).toBe(0);
        expect(run.apiCalls.clm).toBe(Math.ceil(RECORDS / 500) + 1);
        expect(calls['clm.listChanges']).toBe(run.apiCalls.clm);
        expect(calls['clm.getContract'] ?? 0).toBe(0);
    }, 120_000);
});
