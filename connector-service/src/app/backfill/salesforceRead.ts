/**
 * The backfill's Salesforce read: the job's records in Id order, from one REST query below the Bulk threshold, else
 * from a Bulk API 2.0 query job whose id is stored before it is waited on (a restart reads the same job's results).
 */
import {
    ConnectorError,
    DEFAULT_FIELD_CATALOG,
    salesforceField,
    salesforceInstantMs,
    select,
    where,
    type Soql
} from '../../domain/index.ts';
import type { SalesforcePort, SalesforceRecord } from '../../ports/salesforce.ts';
import type { BackfillJob } from '../../ports/store.ts';
import { rulesOf, type BackfillRun } from './backfillRun.ts';

export const DEFAULT_BULK_THRESHOLD = 2_000;

function fieldsOf(run: BackfillRun, object: string): string[] {
    const fields = new Set(['Id', 'SystemModstamp', 'CLM_Contract_Id__c']);
    for (const rule of rulesOf(run, object)) rule.sourceFields.forEach((field) => fields.add(field));
    return [...fields];
}

function statement(run: BackfillRun, job: BackfillJob, limit?: number): Soql {
    const since = job.since ? new Date(/T/.test(job.since) ? job.since : `${job.since}T00:00:00Z`) : null;
    return select(fieldsOf(run, job.object), job.object, {
        ...(since ? { where: where.gte('SystemModstamp', since) } : {}),
        ...(limit ? { limit } : {})
    });
}

/** The job's records in Id order, from its Bulk query job, a REST query, or a first read that picks one. */
export async function readRecords(
    run: BackfillRun,
    job: BackfillJob
): Promise<{ job: BackfillJob; records: SalesforceRecord[] }> {
    const salesforce = run.options.salesforce;
    const threshold = run.options.bulkThreshold ?? DEFAULT_BULK_THRESHOLD;
    let records: SalesforceRecord[];
    let current = job;
    if (current.queryJobId) {
        records = await bulkResults(run, current.queryJobId);
    } else if (current.transport === 'rest') {
        records = await salesforce.query(statement(run, current));
    } else {
        // One REST page tells which transport fits: fewer than the threshold is the whole set.
        const probe = await salesforce.query(statement(run, current, threshold));
        if (probe.length < threshold) {
            records = probe;
            current = await run.store.updateBackfillJob(
                run.orgId,
                current.jobId,
                { transport: 'rest', total: probe.length, phase: 'plan' },
                run.now()
            );
        } else {
            const queryJobId = await salesforce.createBulkQuery(statement(run, current));
            // Stored before waiting: a restart waits for this job rather than starting another.
            current = await run.store.updateBackfillJob(
                run.orgId,
                current.jobId,
                { transport: 'bulk', queryJobId },
                run.now()
            );
            records = await bulkResults(run, queryJobId);
        }
    }
    const typed = records.map((record) => typedRecord(current.object, record));
    typed.sort((a, b) => (String(a.Id) < String(b.Id) ? -1 : String(a.Id) > String(b.Id) ? 1 : 0));
    if (current.total !== typed.length || current.phase === 'read')
        current = await run.store.updateBackfillJob(
            run.orgId,
            current.jobId,
            { total: typed.length, phase: 'plan' },
            run.now()
        );
    run.options.onProgress?.({
        event: 'read',
        jobId: current.jobId,
        total: typed.length,
        transport: current.transport ?? 'rest',
        queryJobId: current.queryJobId
    });
    return { job: current, records: typed };
}

function bulkResults(run: BackfillRun, queryJobId: string): Promise<SalesforceRecord[]> {
    return bulkQueryRecords(run.options.salesforce, queryJobId, pollOptions(run));
}

export function pollOptions(run: BackfillRun) {
    return {
        ...(run.options.bulkPollIntervalMs !== undefined ? { pollIntervalMs: run.options.bulkPollIntervalMs } : {}),
        ...(run.options.bulkTimeoutMs !== undefined ? { timeoutMs: run.options.bulkTimeoutMs } : {})
    };
}

/** Every record of a Bulk query job, once it completed (SF.BULK_JOB_FAILED when it did not). */
export async function bulkQueryRecords(
    salesforce: SalesforcePort,
    queryJobId: string,
    poll: { pollIntervalMs?: number; timeoutMs?: number }
): Promise<SalesforceRecord[]> {
    const finished = await salesforce.waitForBulkJob('query', queryJobId, poll);
    if (finished.state !== 'JobComplete')
        throw new ConnectorError(
            'SF.BULK_JOB_FAILED',
            `Bulk query job ${queryJobId} ended ${finished.state}: ${finished.errorMessage ?? ''}`,
            { jobId: queryJobId, retryable: false }
        );
    return salesforce.bulkQueryResults(queryJobId);
}

/** Bulk query cells are text: numbers and booleans by the field's type (REST values pass through as they are). */
export function typedRecord(object: string, record: SalesforceRecord): SalesforceRecord {
    const typed: SalesforceRecord = {};
    for (const [field, value] of Object.entries(record)) {
        const type = salesforceField(DEFAULT_FIELD_CATALOG, object, field)?.type;
        if (typeof value !== 'string' || !type) typed[field] = value;
        else if (type === 'currency' || type === 'double' || type === 'percent' || type === 'int')
            typed[field] = Number(value);
        else if (type === 'boolean') typed[field] = value === 'true';
        else typed[field] = value;
    }
    return typed;
}

/** An instant as ISO 8601 UTC (Salesforce writes `+0000`, which not every parser takes). */
export function instant(value: unknown): string {
    const ms = salesforceInstantMs(value);
    if (ms === null)
        throw new ConnectorError('SF.INVALID_RECORD', `SystemModstamp ${String(value)} is not an instant`, {
            field: 'SystemModstamp'
        });
    return new Date(ms).toISOString();
}
