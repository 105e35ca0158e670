/**
 * The backfill's write phase: the planned Salesforce writes go out through Bulk 2.0 ingest jobs when the job read by
 * Bulk, through Composite otherwise, and each row's outcome is settled. A row the org refuses becomes an ordinary
 * outbox write (retried, then quarantined) and counts as an error.
 */
import { ConnectorError } from '../../domain/index.ts';
import type { BackfillJob, BackfillWrite, OutboxInput } from '../../ports/store.ts';
import { asJson } from '../payloads.ts';
import { key15, LEASE_TTL_MS, type BackfillRun } from './backfillRun.ts';
import { pollOptions } from './salesforceRead.ts';

/** Bulk ingest rounds per object before the job gives up on rows the org never processed. */
const MAX_WRITE_ROUNDS = 5;

export async function writeAll(run: BackfillRun, job: BackfillJob, lease: string): Promise<BackfillJob> {
    let current = job;
    if (current.transport === 'bulk') {
        current = await settleSentJobs(run, current);
        for (let round = 0; round < MAX_WRITE_ROUNDS && !run.stopping(); round += 1) {
            const pending = await run.store.listBackfillWrites(run.orgId, current.jobId, {
                status: 'pending',
                limit: 1_000_000
            });
            if (pending.length === 0) return current;
            for (const batch of groupWrites(pending, run.options.bulkJobRows ?? 10_000)) {
                if (run.stopping()) return current;
                current = await sendBulk(run, current, batch);
                await run.store.renewLease(lease, run.worker, LEASE_TTL_MS, run.now());
            }
        }
        const left = await run.store.listBackfillWrites(run.orgId, current.jobId, {
            status: 'pending',
            limit: 1
        });
        if (left.length > 0)
            throw new ConnectorError('SF.BULK_ROWS_UNPROCESSED', 'Bulk jobs left rows unprocessed', {
                jobId: current.jobId,
                retryable: true
            });
        return current;
    }
    for (;;) {
        const pending = await run.store.listBackfillWrites(run.orgId, current.jobId, {
            status: 'pending',
            limit: 1000
        });
        if (pending.length === 0 || run.stopping()) return current;
        const results = await run.options.salesforce.write(
            pending.map((write) => ({
                ref: String(write.id),
                sfObject: write.sfObject,
                id: write.recordId,
                fields: write.fields
            }))
        );
        const byRef = new Map(results.map((result) => [result.ref, result]));
        current = await settle(
            run,
            current,
            pending.map((write) => {
                const result = byRef.get(String(write.id));
                return {
                    write,
                    ok: result?.success === true,
                    error: result?.error ?? new ConnectorError('SF.NO_RESULT', 'no result for the write', {})
                };
            })
        );
        await run.store.renewLease(lease, run.worker, LEASE_TTL_MS, run.now());
    }
}

/** Ingest jobs a previous run assigned writes to: wait for each and settle it, or take back rows never sent. */
async function settleSentJobs(run: BackfillRun, job: BackfillJob): Promise<BackfillJob> {
    let current = job;
    const sent = await run.store.listBackfillWrites(run.orgId, job.jobId, { status: 'sent', limit: 1_000_000 });
    const byJob = new Map<string, BackfillWrite[]>();
    for (const write of sent) {
        const writes = byJob.get(write.bulkJobId!) ?? [];
        writes.push(write);
        byJob.set(write.bulkJobId!, writes);
    }
    for (const [bulkJobId, writes] of byJob) {
        const info = await run.options.salesforce.bulkJob('ingest', bulkJobId);
        if (info.state === 'Open') {
            // Killed while uploading: the org has processed nothing of it. Abort it and send the rows again.
            await run.options.salesforce.abortBulkJob('ingest', bulkJobId);
            await run.store.assignBackfillWrites(
                run.orgId,
                job.jobId,
                writes.map((write) => write.id),
                null,
                run.now()
            );
            continue;
        }
        current = await settleBulk(run, current, bulkJobId, writes);
    }
    return current;
}

async function sendBulk(run: BackfillRun, job: BackfillJob, writes: BackfillWrite[]): Promise<BackfillJob> {
    const salesforce = run.options.salesforce;
    const bulkJobId = await salesforce.createBulkIngest(writes[0]!.sfObject, 'update');
    // Assigned before the data goes: a restart finds this job and waits for it instead of sending the rows again.
    await run.store.assignBackfillWrites(
        run.orgId,
        job.jobId,
        writes.map((write) => write.id),
        bulkJobId,
        run.now()
    );
    await salesforce.uploadBulkIngest(
        bulkJobId,
        writes.map((write) => ({ Id: write.recordId, ...write.fields }))
    );
    run.options.onProgress?.({ event: 'bulkSent', jobId: job.jobId, bulkJobId, rows: writes.length });
    return settleBulk(run, job, bulkJobId, writes);
}

async function settleBulk(
    run: BackfillRun,
    job: BackfillJob,
    bulkJobId: string,
    writes: BackfillWrite[]
): Promise<BackfillJob> {
    const salesforce = run.options.salesforce;
    await salesforce.waitForBulkJob('ingest', bulkJobId, pollOptions(run));
    const results = await salesforce.bulkIngestResults(bulkJobId);
    const byRecord = new Map(results.map((result) => [key15(result.row.Id ?? result.id ?? ''), result]));
    const settled: { write: BackfillWrite; ok: boolean; error?: ConnectorError }[] = [];
    const unprocessed: number[] = [];
    for (const write of writes) {
        const result = byRecord.get(key15(write.recordId));
        if (!result) unprocessed.push(write.id);
        else settled.push({ write, ok: result.success, ...(result.error ? { error: result.error } : {}) });
    }
    if (unprocessed.length > 0)
        await run.store.assignBackfillWrites(run.orgId, job.jobId, unprocessed, null, run.now());
    return settle(run, job, settled);
}

/** Records outcomes; a refused write goes to the outbox as an ordinary Salesforce write and counts as an error. */
async function settle(
    run: BackfillRun,
    job: BackfillJob,
    settled: { write: BackfillWrite; ok: boolean; error?: ConnectorError }[]
): Promise<BackfillJob> {
    const outbox: OutboxInput[] = settled
        .filter((outcome) => !outcome.ok)
        .map(({ write }) => ({
            target: 'salesforce',
            operation: 'sf.write',
            idempotencyKey: `backfill:${job.jobId}:${write.id}`,
            orderingKey: write.pairId,
            objectType: write.sfObject,
            correlationId: write.correlationId,
            payload: asJson({
                kind: 'sf.write',
                sfObject: write.sfObject,
                id: write.recordId,
                fields: write.fields
            })
        }));
    for (const outcome of settled.filter((candidate) => !candidate.ok))
        run.options.log?.('warn', 'backfill write refused', {
            jobId: job.jobId,
            recordId: outcome.write.recordId,
            code: outcome.error?.code,
            correlationId: outcome.write.correlationId
        });
    const current = await run.store.settleBackfillWrites({
        orgId: run.orgId,
        jobId: job.jobId,
        outcomes: settled.map((outcome) => ({
            id: outcome.write.id,
            ok: outcome.ok,
            ...(outcome.ok || !outcome.error
                ? {}
                : { error: { code: outcome.error.code, message: outcome.error.message.slice(0, 1000) } })
        })),
        outbox,
        now: run.now()
    });
    run.options.onProgress?.({
        event: 'settled',
        jobId: job.jobId,
        written: current.written,
        errors: current.errors
    });
    return current;
}
/** Writes per object, in jobs of at most `size` rows. */
function groupWrites(writes: BackfillWrite[], size: number): BackfillWrite[][] {
    const byObject = new Map<string, BackfillWrite[]>();
    for (const write of writes) {
        const group = byObject.get(write.sfObject) ?? [];
        group.push(write);
        byObject.set(write.sfObject, group);
    }
    const batches: BackfillWrite[][] = [];
    for (const group of byObject.values())
        for (let start = 0; start < group.length; start += size) batches.push(group.slice(start, start + size));
    return batches;
}
