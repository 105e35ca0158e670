/**
 * Backfill jobs: the job, its batches of records (pairs, plans, change log) and the Salesforce writes it sends.
 */
import { z } from 'zod';
import { emptyPairState } from '../../domain/syncState.ts';
import {
    STORE_ERROR,
    storeError,
    type BackfillBatchCommit,
    type BackfillJob,
    type BackfillJobPatch,
    type BackfillWrite,
    type BackfillWriteOutcome,
    type ChangeLogInput,
    type Millis,
    type OutboxInput
} from '../../ports/store.ts';
import { check, LastErrorSchema, OutboxInputSchema, schemas } from './inputs.ts';
import type { SqlParam } from './sqlDriver.ts';
import {
    MAX_BATCH,
    num,
    str,
    strOrNull,
    BackfillJobPatchSchema,
    BackfillBatchSchema,
    backfillJobOf,
    whereEquals
} from './sqlRows.ts';
import type { SqlPairs } from './sqlPairs.ts';
import type { SqlChangeLog } from './sqlChangeLog.ts';
import type { SqlContext } from './sqlContext.ts';

export class SqlBackfillJobs {
    constructor(
        private readonly sql: SqlContext,
        private readonly pairs: SqlPairs,
        private readonly changeLog: SqlChangeLog
    ) {}

    // ---- backfill jobs ----

    async createBackfillJob(
        orgId: string,
        input: { jobId: string; object: string; since: string | null },
        now: Millis
    ): Promise<BackfillJob> {
        check(schemas.key, orgId, 'orgId');
        const job = check(
            z.object({ jobId: schemas.key, object: schemas.key, since: schemas.key.nullable() }),
            input,
            'input'
        );
        return this.sql.tx(async (tx) => {
            const rows = await tx.all(
                `INSERT INTO backfill_jobs (org_id, job_id, object, since, state, phase, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, 'Queued', 'read', $5, $5) ON CONFLICT (org_id, job_id) DO NOTHING RETURNING *`,
                [orgId, job.jobId, job.object, job.since, now]
            );
            if (!rows[0])
                throw storeError(STORE_ERROR.LINK_CONFLICT, `Backfill job ${job.jobId} already exists`, {
                    field: 'jobId'
                });
            return backfillJobOf(rows[0]);
        });
    }

    async getBackfillJob(orgId: string, jobId: string): Promise<BackfillJob | null> {
        const rows = await this.sql.tx((tx) =>
            tx.all(`SELECT * FROM backfill_jobs WHERE org_id = $1 AND job_id = $2`, [orgId, jobId])
        );
        return rows[0] ? backfillJobOf(rows[0]) : null;
    }

    async listBackfillJobs(orgId: string, opts: { unfinished?: boolean; limit?: number } = {}): Promise<BackfillJob[]> {
        const limit = check(z.number().int().positive().max(MAX_BATCH), opts.limit ?? 100, 'limit');
        const unfinished = opts.unfinished ? `AND state IN ('Queued', 'Running')` : '';
        const rows = await this.sql.tx((tx) =>
            tx.all(
                `SELECT * FROM backfill_jobs WHERE org_id = $1 ${unfinished} ORDER BY created_at DESC, job_id LIMIT $2`,
                [orgId, limit]
            )
        );
        return rows.map(backfillJobOf);
    }

    async updateBackfillJob(orgId: string, jobId: string, patch: BackfillJobPatch, now: Millis): Promise<BackfillJob> {
        const parsed = check(BackfillJobPatchSchema, patch, 'patch');
        const columns: Record<string, SqlParam> = {};
        if (parsed.state !== undefined) columns.state = parsed.state;
        if (parsed.phase !== undefined) columns.phase = parsed.phase;
        if (parsed.transport !== undefined) columns.transport = parsed.transport;
        if (parsed.total !== undefined) columns.total = parsed.total;
        if (parsed.queryJobId !== undefined) columns.query_job_id = parsed.queryJobId;
        if (parsed.finishedAt !== undefined) columns.finished_at = parsed.finishedAt;
        if (parsed.lastError !== undefined) {
            columns.last_error_code = parsed.lastError?.code ?? null;
            columns.last_error_message = parsed.lastError?.message ?? null;
        }
        const names = Object.keys(columns);
        const set = names.map((name, index) => `${name} = $${index + 4}`).join(', ');
        return this.sql.tx(async (tx) => {
            const rows = await tx.all(
                `UPDATE backfill_jobs SET updated_at = $3${set ? `, ${set}` : ''} WHERE org_id = $1 AND job_id = $2 RETURNING *`,
                [orgId, jobId, now, ...names.map((name) => columns[name]!)]
            );
            if (!rows[0]) throw storeError(STORE_ERROR.NOT_FOUND, `No backfill job ${jobId}`, { jobId });
            return backfillJobOf(rows[0]);
        });
    }

    async commitBackfillBatch(commit: BackfillBatchCommit): Promise<BackfillJob> {
        const orgId = check(schemas.key, commit.orgId, 'orgId');
        const now = check(schemas.millis, commit.now, 'now');
        const batch = check(BackfillBatchSchema, commit, 'commit');
        return this.sql.tx(async (tx) => {
            const moved = await tx.all(
                `UPDATE backfill_jobs SET processed = processed + $4, updated_at = $5,
                    linked = linked + $6, errors = errors + $7, cursor = $8
                 WHERE org_id = $1 AND job_id = $2 AND processed = $3 RETURNING job_id`,
                [
                    orgId,
                    batch.jobId,
                    batch.expectedProcessed,
                    batch.count,
                    now,
                    batch.linked,
                    batch.errors,
                    batch.cursor
                ]
            );
            if (!moved[0]) {
                const current = await tx.all(`SELECT processed FROM backfill_jobs WHERE org_id = $1 AND job_id = $2`, [
                    orgId,
                    batch.jobId
                ]);
                if (!current[0])
                    throw storeError(STORE_ERROR.NOT_FOUND, `No backfill job ${batch.jobId}`, { jobId: batch.jobId });
                throw storeError(
                    STORE_ERROR.CONCURRENT_UPDATE,
                    `Backfill job ${batch.jobId} moved past ${batch.expectedProcessed} (another runner?)`,
                    {
                        jobId: batch.jobId,
                        expectedProcessed: batch.expectedProcessed,
                        actual: num(current[0].processed)
                    }
                );
            }
            const changeLog: ChangeLogInput[] = [];
            for (const record of batch.records) {
                if (record.expectedVersion === null) {
                    await tx.run(
                        `INSERT INTO pairs (org_id, pair_id, state, version, created_at, updated_at) VALUES ($1, $2, $3, 0, $4, $4)`,
                        [orgId, record.pairId, JSON.stringify(emptyPairState(record.pairId)), now]
                    );
                }
                await this.pairs.addLinks(tx, orgId, record.pairId, record.links, now);
                await this.pairs.applyPlan(
                    tx,
                    orgId,
                    {
                        pair: {
                            pairId: record.pairId,
                            expectedVersion: record.expectedVersion ?? 0,
                            state: record.state
                        },
                        changeLog: [],
                        outbox: record.outbox,
                        conflicts: record.conflicts,
                        resolvedConflicts: []
                    },
                    now
                );
                changeLog.push(...record.changeLog);
                for (const write of record.writes) {
                    await tx.run(
                        `INSERT INTO backfill_writes (org_id, job_id, sf_object, record_id, pair_id, fields, correlation_id, status, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8)
                         ON CONFLICT (org_id, job_id, sf_object, record_id) DO NOTHING`,
                        [
                            orgId,
                            batch.jobId,
                            write.sfObject,
                            write.recordId,
                            record.pairId,
                            JSON.stringify(write.fields),
                            record.correlationId,
                            now
                        ]
                    );
                }
            }
            if (changeLog.length > 0) await this.changeLog.appendChangeLog(tx, orgId, changeLog, now);
            const rows = await tx.all(`SELECT * FROM backfill_jobs WHERE org_id = $1 AND job_id = $2`, [
                orgId,
                batch.jobId
            ]);
            return backfillJobOf(rows[0]!);
        });
    }

    async listBackfillWrites(
        orgId: string,
        jobId: string,
        opts: { status: BackfillWrite['status']; sfObject?: string; bulkJobId?: string; limit?: number }
    ): Promise<BackfillWrite[]> {
        const limit = check(z.number().int().positive().max(1_000_000), opts.limit ?? 10_000, 'limit');
        const filter = whereEquals({
            org_id: orgId,
            job_id: jobId,
            status: opts.status,
            sf_object: opts.sfObject,
            bulk_job_id: opts.bulkJobId
        });
        const rows = await this.sql.tx((tx) =>
            tx.all(
                `SELECT * FROM backfill_writes WHERE ${filter.sql} ORDER BY sf_object, id LIMIT $${filter.params.length + 1}`,
                [...filter.params, limit]
            )
        );
        return rows.map((row) => ({
            id: num(row.id),
            sfObject: str(row.sf_object),
            recordId: str(row.record_id),
            pairId: str(row.pair_id),
            fields: JSON.parse(str(row.fields)) as BackfillWrite['fields'],
            status: str(row.status) as BackfillWrite['status'],
            bulkJobId: strOrNull(row.bulk_job_id),
            correlationId: str(row.correlation_id)
        }));
    }

    async assignBackfillWrites(
        orgId: string,
        jobId: string,
        ids: number[],
        bulkJobId: string | null,
        now: Millis
    ): Promise<void> {
        const writeIds = check(z.array(z.number().int().positive()).max(1_000_000), ids, 'ids');
        await this.sql.tx(async (tx) => {
            for (let start = 0; start < writeIds.length; start += 500) {
                const chunk = writeIds.slice(start, start + 500);
                await tx.run(
                    `UPDATE backfill_writes SET status = $3, bulk_job_id = $4, updated_at = $5
                     WHERE org_id = $1 AND job_id = $2 AND id IN (${chunk.map((_, index) => `$${index + 6}`).join(', ')})`,
                    [orgId, jobId, bulkJobId === null ? 'pending' : 'sent', bulkJobId, now, ...chunk]
                );
            }
        });
    }

    async settleBackfillWrites(settle: {
        orgId: string;
        jobId: string;
        outcomes: BackfillWriteOutcome[];
        outbox?: OutboxInput[];
        now: Millis;
    }): Promise<BackfillJob> {
        const { orgId, jobId, now } = settle;
        const outcomes = check(
            z.array(z.object({ id: z.number().int().positive(), ok: z.boolean(), error: LastErrorSchema.optional() })),
            settle.outcomes,
            'outcomes'
        );
        const outbox = check(z.array(OutboxInputSchema), settle.outbox ?? [], 'outbox');
        return this.sql.tx(async (tx) => {
            let written = 0;
            let failed = 0;
            for (const outcome of outcomes) {
                // Only a write still out settles, so settling the same results twice counts nothing twice.
                const changed = await tx.run(
                    `UPDATE backfill_writes SET status = $4, error_code = $5, error_message = $6, updated_at = $7
                     WHERE org_id = $1 AND job_id = $2 AND id = $3 AND status IN ('pending', 'sent')`,
                    [
                        orgId,
                        jobId,
                        outcome.id,
                        outcome.ok ? 'done' : 'failed',
                        outcome.error?.code ?? null,
                        outcome.error?.message ?? null,
                        now
                    ]
                );
                if (changed > 0 && outcome.ok) written++;
                if (changed > 0 && !outcome.ok) failed++;
            }
            if (outbox.length > 0)
                await this.pairs.applyPlan(
                    tx,
                    orgId,
                    { changeLog: [], outbox, conflicts: [], resolvedConflicts: [] },
                    now
                );
            const rows = await tx.all(
                `UPDATE backfill_jobs SET written = written + $3, errors = errors + $4, updated_at = $5
                 WHERE org_id = $1 AND job_id = $2 RETURNING *`,
                [orgId, jobId, written, failed, now]
            );
            if (!rows[0]) throw storeError(STORE_ERROR.NOT_FOUND, `No backfill job ${jobId}`, { jobId });
            return backfillJobOf(rows[0]);
        });
    }
}
