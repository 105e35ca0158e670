/**
 * The backfill's plan phase: records in Id order, `batchSize` at a time, each batch committed in one store
 * transaction with the job's cursor (the last Id done); a restart goes on after the cursor.
 */
import { isConnectorError, type ConnectorError } from '../../domain/index.ts';
import type { SalesforceRecord } from '../../ports/salesforce.ts';
import type { BackfillJob } from '../../ports/store.ts';
import { LEASE_TTL_MS, type BackfillRun } from './backfillRun.ts';
import { contractIndex, type ContractIndex } from './clmContracts.ts';
import { planRecord, type RecordOutcome } from './planRecord.ts';
import { readRecords } from './salesforceRead.ts';

/** A conflict of one record (its pair moved, or a link is owned elsewhere), not of the job itself. */
function isRecordConflict(error: unknown): error is ConnectorError {
    if (isConnectorError(error, 'STORE.LINK_CONFLICT')) return true;
    return isConnectorError(error, 'STORE.CONCURRENT_UPDATE') && error.details.jobId === undefined;
}

export async function readAndPlan(run: BackfillRun, job: BackfillJob, lease: string): Promise<BackfillJob> {
    const read = await readRecords(run, job);
    let current = read.job;
    const todo = current.cursor ? read.records.filter((record) => String(record.Id) > current.cursor!) : read.records;
    const index = await contractIndex(run);
    const size = run.options.batchSize ?? 500;
    for (let start = 0; start < todo.length && !run.stopping(); start += size) {
        current = await planBatch(run, current, todo.slice(start, start + size), index);
        await run.store.renewLease(lease, run.worker, LEASE_TTL_MS, run.now());
        run.options.onProgress?.({
            event: 'batch',
            jobId: current.jobId,
            processed: current.processed,
            total: current.total
        });
    }
    if (run.stopping()) return current;
    return run.store.updateBackfillJob(run.orgId, current.jobId, { phase: 'write' }, run.now());
}

async function planBatch(
    run: BackfillRun,
    job: BackfillJob,
    records: SalesforceRecord[],
    index: ContractIndex
): Promise<BackfillJob> {
    const outcomes: RecordOutcome[] = [];
    for (const record of records) outcomes.push(await planOrFail(run, job, record, index));
    try {
        return await commit(run, job, records, outcomes);
    } catch (error) {
        // A pair the engine moved meanwhile, or a link owned elsewhere: commit record by record instead.
        if (!isRecordConflict(error)) throw error;
    }
    let current = job;
    for (const record of records) current = await commitOne(run, current, record, index);
    return current;
}

function commit(
    run: BackfillRun,
    job: BackfillJob,
    records: SalesforceRecord[],
    outcomes: RecordOutcome[]
): Promise<BackfillJob> {
    return run.store.commitBackfillBatch({
        orgId: run.orgId,
        jobId: job.jobId,
        expectedProcessed: job.processed,
        count: records.length,
        linked: outcomes.filter((outcome) => outcome.linked).length,
        errors: outcomes.filter((outcome) => outcome.error).length,
        cursor: String(records.at(-1)!.Id),
        records: outcomes.flatMap((outcome) => (outcome.commit ? [outcome.commit] : [])),
        now: run.now()
    });
}

async function commitOne(
    run: BackfillRun,
    job: BackfillJob,
    record: SalesforceRecord,
    index: ContractIndex
): Promise<BackfillJob> {
    for (let attempt = 0; ; attempt += 1) {
        const outcome = await planOrFail(run, job, record, index);
        try {
            return await commit(run, job, [record], [outcome]);
        } catch (error) {
            if (!isRecordConflict(error)) throw error;
            if (isConnectorError(error, 'STORE.CONCURRENT_UPDATE') && attempt < 3) continue;
            run.options.log?.('warn', 'backfill record not linked', {
                jobId: job.jobId,
                recordId: record.Id,
                code: error.code,
                reason: error.message
            });
            return commit(run, job, [record], [{ linked: false, error: true }]);
        }
    }
}

/** A record that cannot be planned (a value no transform takes, a contract linked elsewhere) fails alone. */
async function planOrFail(
    run: BackfillRun,
    job: BackfillJob,
    record: SalesforceRecord,
    index: ContractIndex
): Promise<RecordOutcome> {
    try {
        return await planRecord(run, job, record, index);
    } catch (error) {
        if (!isConnectorError(error) || error.code.startsWith('STORE.') || error.details.retryable === true)
            throw error;
        run.options.log?.('warn', 'backfill record failed', {
            jobId: job.jobId,
            recordId: record.Id,
            code: error.code,
            reason: error.message
        });
        return { linked: false, error: true };
    }
}
