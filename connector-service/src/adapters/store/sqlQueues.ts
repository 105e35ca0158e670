/**
 * The inbox and outbox: appends with their checkpoint, claims, outcomes, quarantine and replay, and the queue stats.
 */
import { z } from 'zod';
import {
    STORE_ERROR,
    storeError,
    type AppendResult,
    type Checkpoint,
    type ClaimRef,
    type FailInput,
    type InboxInput,
    type InboxItem,
    type LastError,
    type Millis,
    type OutboxItem,
    type QuarantinedItem,
    type QueueName,
    type QueueItem,
    type QueueRef,
    type QueueStatus,
    type StoreStats
} from '../../ports/store.ts';
import {
    check,
    CheckpointSchema,
    ClaimRefSchema,
    FailInputSchema,
    InboxInputSchema,
    LastErrorSchema,
    schemas
} from './inputs.ts';
import type { SqlParam, SqlTx } from './sqlDriver.ts';
import {
    MAX_BATCH,
    ACTIVE,
    QUEUES,
    num,
    numOrNull,
    str,
    strOrNull,
    lastErrorOf,
    mapItem,
    emptyQueueStats,
    type Row
} from './sqlRows.ts';
import type { SqlContext } from './sqlContext.ts';

export class SqlQueues {
    constructor(private readonly sql: SqlContext) {}

    // ---- inbox ----

    async appendInbox(
        orgId: string,
        items: InboxInput[],
        checkpoint?: Checkpoint,
        now: Millis = this.sql.clock.now()
    ): Promise<AppendResult> {
        check(schemas.key, orgId, 'orgId');
        const parsed = check(z.array(InboxInputSchema).max(MAX_BATCH), items, 'items');
        const position = checkpoint === undefined ? undefined : check(CheckpointSchema, checkpoint, 'checkpoint');
        return this.sql.tx(async (tx) => {
            const insertedIds: number[] = [];
            for (const item of parsed) {
                const rows = await tx.all(
                    `INSERT INTO inbox (org_id, source, event_id, ordering_key, object_type, payload, correlation_id,
                        status, attempts, next_attempt_at, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $8, $8)
                     ON CONFLICT (org_id, source, event_id) DO NOTHING RETURNING id`,
                    [
                        orgId,
                        item.source,
                        item.eventId,
                        item.orderingKey,
                        item.objectType ?? null,
                        JSON.stringify(item.payload),
                        item.correlationId,
                        now
                    ]
                );
                if (rows[0]) insertedIds.push(num(rows[0].id));
            }
            if (position) {
                await tx.run(
                    `INSERT INTO checkpoints (org_id, channel, replay_id, updated_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (org_id, channel) DO UPDATE SET replay_id = excluded.replay_id, updated_at = excluded.updated_at`,
                    [orgId, position.channel, position.replayId, now]
                );
            }
            return { insertedIds, duplicates: parsed.length - insertedIds.length };
        });
    }

    async getCheckpoint(orgId: string, channel: string): Promise<string | null> {
        const rows = await this.sql.tx((tx) =>
            tx.all(`SELECT replay_id FROM checkpoints WHERE org_id = $1 AND channel = $2`, [orgId, channel])
        );
        return rows[0] ? str(rows[0].replay_id) : null;
    }

    // ---- claiming ----

    claimInbox(orgId: string, worker: string, limit: number, now: Millis): Promise<InboxItem[]> {
        return this.claim('inbox', orgId, worker, limit, now) as Promise<InboxItem[]>;
    }

    claimOutbox(orgId: string, worker: string, limit: number, now: Millis): Promise<OutboxItem[]> {
        return this.claim('outbox', orgId, worker, limit, now) as Promise<OutboxItem[]>;
    }

    async expireClaims(orgId: string, now: Millis): Promise<number> {
        check(schemas.millis, now, 'now');
        return this.sql.tx(async (tx) => {
            let ended = 0;
            for (const queue of ['inbox', 'outbox'] as const) {
                const rows = await tx.all(
                    `UPDATE ${QUEUES[queue].table} SET claim_expires_at = $2
                     WHERE org_id = $1 AND status = 'processing' AND claim_expires_at > $2 RETURNING id`,
                    [orgId, now]
                );
                ended += rows.length;
            }
            return ended;
        });
    }

    /**
     * Claims the due head of each ordering key (its oldest unfinished item), oldest first. A key whose head is
     * in flight, or waiting for a retry, gives nothing: later items of that key wait their turn. A head whose
     * claim expired is due again; one that has used its attempts is quarantined instead.
     */
    private async claim(
        queue: QueueName,
        orgId: string,
        worker: string,
        limit: number,
        now: Millis
    ): Promise<QueueItem[]> {
        check(schemas.key, orgId, 'orgId');
        check(schemas.key, worker, 'worker');
        check(z.number().int().positive().max(MAX_BATCH), limit, 'limit');
        check(schemas.millis, now, 'now');
        const { table } = QUEUES[queue];
        const rows = await this.sql.tx(async (tx) => {
            const claimed = await tx.all(
                `WITH picked AS (
                    SELECT i.id FROM ${table} i
                    WHERE i.org_id = $1 AND i.status IN ${ACTIVE}
                      AND i.id = (SELECT j.id FROM ${table} j
                                  WHERE j.org_id = i.org_id AND j.ordering_key = i.ordering_key AND j.status IN ${ACTIVE}
                                  ORDER BY j.ordering_key, j.id LIMIT 1)
                      AND ((i.status <> 'processing' AND i.next_attempt_at <= $2)
                           OR (i.status = 'processing' AND i.claim_expires_at <= $2))
                    ORDER BY i.id LIMIT $3 ${this.sql.skipLocked}
                 )
                 UPDATE ${table} SET status = 'processing', claimed_by = $4, claim_expires_at = $5,
                    attempts = attempts + 1, updated_at = $2
                 WHERE id IN (SELECT id FROM picked) RETURNING *`,
                [orgId, now, limit, worker, now + this.sql.claimTtlMs]
            );
            // A head whose claim expired after its last attempt (its worker died every time) goes to quarantine.
            const exhausted = claimed.filter((row) => num(row.attempts) > this.sql.maxAttempts);
            for (const row of exhausted) {
                await tx.run(
                    `UPDATE ${table} SET status = 'quarantined', attempts = attempts - 1, claimed_by = NULL, claim_expires_at = NULL,
                        last_error_code = $3, last_error_message = $4 WHERE org_id = $1 AND id = $2`,
                    [orgId, num(row.id), 'STORE.ATTEMPTS_EXHAUSTED', 'the claim expired after the last attempt']
                );
            }
            return claimed.filter((row) => num(row.attempts) <= this.sql.maxAttempts);
        });
        return rows.map((row) => mapItem(queue, row)).sort((a, b) => a.id - b.id);
    }

    /** Moves a held item out of `processing`; STORE.CLAIM_LOST when this worker's attempt no longer holds it. */
    async finish(
        tx: SqlTx,
        queue: QueueName,
        orgId: string,
        claim: ClaimRef,
        set: string,
        params: SqlParam[]
    ): Promise<Row> {
        const { table } = QUEUES[queue];
        const rows = await tx.all(
            `UPDATE ${table} SET ${set}, claim_expires_at = NULL
             WHERE org_id = $1 AND id = $2 AND status = 'processing' AND claimed_by = $3 AND attempts = $4 RETURNING status`,
            [orgId, claim.id, claim.worker, claim.attempt, ...params]
        );
        if (rows[0]) return rows[0];
        const current = await tx.all(
            `SELECT status, claimed_by, attempts FROM ${table} WHERE org_id = $1 AND id = $2`,
            [orgId, claim.id]
        );
        if (!current[0])
            throw storeError(STORE_ERROR.NOT_FOUND, `No ${queue} item ${claim.id}`, { queue, id: claim.id });
        throw storeError(
            STORE_ERROR.CLAIM_LOST,
            `${queue} item ${claim.id} is no longer held by ${claim.worker} (attempt ${claim.attempt})`,
            {
                queue,
                id: claim.id,
                status: current[0].status,
                claimedBy: current[0].claimed_by,
                attempts: num(current[0].attempts)
            }
        );
    }

    async complete(queue: QueueName, orgId: string, claim: ClaimRef, now: Millis): Promise<void> {
        const ref = check(ClaimRefSchema, claim, 'claim');
        await this.sql.tx((tx) => this.finish(tx, queue, orgId, ref, `status = 'done', updated_at = $5`, [now]));
    }

    async fail(
        queue: QueueName,
        orgId: string,
        claim: ClaimRef,
        input: FailInput,
        now: Millis
    ): Promise<'failed' | 'quarantined'> {
        const ref = check(ClaimRefSchema, claim, 'claim');
        const failure = check(FailInputSchema, input, 'input');
        const row = await this.sql.tx((tx) =>
            this.finish(
                tx,
                queue,
                orgId,
                ref,
                `status = CASE WHEN attempts >= $5 THEN 'quarantined' ELSE 'failed' END, next_attempt_at = $6,
                 last_error_code = $7, last_error_message = $8, updated_at = $9`,
                [this.sql.maxAttempts, failure.retryAt, failure.error.code, failure.error.message, now]
            )
        );
        return str(row.status) as 'failed' | 'quarantined';
    }

    async quarantine(queue: QueueName, orgId: string, claim: ClaimRef, error: LastError, now: Millis): Promise<void> {
        const ref = check(ClaimRefSchema, claim, 'claim');
        const lastError = check(LastErrorSchema, error, 'error');
        await this.sql.tx((tx) =>
            this.finish(
                tx,
                queue,
                orgId,
                ref,
                `status = 'quarantined', last_error_code = $5, last_error_message = $6, updated_at = $7`,
                [lastError.code, lastError.message, now]
            )
        );
    }

    getItem(queue: 'inbox', orgId: string, id: number): Promise<InboxItem | null>;
    getItem(queue: 'outbox', orgId: string, id: number): Promise<OutboxItem | null>;
    async getItem(queue: QueueName, orgId: string, id: number): Promise<QueueItem | null> {
        const rows = await this.sql.tx((tx) =>
            tx.all(`SELECT * FROM ${QUEUES[queue].table} WHERE org_id = $1 AND id = $2`, [orgId, id])
        );
        return rows[0] ? mapItem(queue, rows[0]) : null;
    }

    // ---- quarantine and replay ----

    async listQuarantined(
        orgId: string,
        opts: { queue?: QueueName; limit?: number; statuses?: readonly ('failed' | 'quarantined')[] } = {}
    ): Promise<QuarantinedItem[]> {
        const limit = check(z.number().int().positive().max(MAX_BATCH), opts.limit ?? 500, 'limit');
        const queues: QueueName[] = opts.queue ? [opts.queue] : ['inbox', 'outbox'];
        const statuses = check(
            z.array(z.enum(['failed', 'quarantined'])).min(1),
            opts.statuses ?? ['quarantined'],
            'statuses'
        );
        const statusList = statuses.map((status) => `'${status}'`).join(', ');
        const items = await this.sql.tx(async (tx) => {
            const found: QuarantinedItem[] = [];
            for (const queue of queues) {
                const { table, origin } = QUEUES[queue];
                const rows = await tx.all(
                    `SELECT id, ordering_key, ${origin} AS origin, object_type, correlation_id, attempts,
                        last_error_code, last_error_message, updated_at, status, next_attempt_at
                     FROM ${table} WHERE org_id = $1 AND status IN (${statusList})
                     ORDER BY updated_at DESC, id DESC LIMIT $2`,
                    [orgId, limit]
                );
                for (const row of rows) {
                    found.push({
                        queue,
                        id: num(row.id),
                        orderingKey: str(row.ordering_key),
                        origin: str(row.origin),
                        objectType: strOrNull(row.object_type),
                        correlationId: str(row.correlation_id),
                        attempts: num(row.attempts),
                        lastError: lastErrorOf(row),
                        updatedAt: num(row.updated_at),
                        status: str(row.status) as QuarantinedItem['status'],
                        nextAttemptAt: num(row.next_attempt_at)
                    });
                }
            }
            return found;
        });
        return items.sort((a, b) => b.updatedAt - a.updatedAt || b.id - a.id).slice(0, limit);
    }

    async replay(orgId: string, refs: QueueRef[] | 'all', now: Millis): Promise<number> {
        const targets =
            refs === 'all'
                ? 'all'
                : check(
                      z
                          .array(z.object({ queue: z.enum(['inbox', 'outbox']), id: z.number().int().positive() }))
                          .max(MAX_BATCH),
                      refs,
                      'refs'
                  );
        const reset = `status = 'pending', attempts = 0, next_attempt_at = $2, claimed_by = NULL, claim_expires_at = NULL, updated_at = $2`;
        return this.sql.tx(async (tx) => {
            let moved = 0;
            if (targets === 'all') {
                for (const { table } of Object.values(QUEUES)) {
                    moved += await tx.run(`UPDATE ${table} SET ${reset} WHERE org_id = $1 AND status = 'quarantined'`, [
                        orgId,
                        now
                    ]);
                }
                return moved;
            }
            for (const ref of targets) {
                moved += await tx.run(
                    `UPDATE ${QUEUES[ref.queue].table} SET ${reset} WHERE org_id = $1 AND status = 'quarantined' AND id = $3`,
                    [orgId, now, ref.id]
                );
            }
            return moved;
        });
    }

    // ---- stats and housekeeping ----

    async stats(orgId: string, now: Millis): Promise<StoreStats> {
        return this.sql.tx(async (tx) => {
            const stats: StoreStats = {
                inbox: emptyQueueStats(),
                outbox: emptyQueueStats(),
                quarantined: 0,
                openConflicts: 0
            };
            for (const queue of ['inbox', 'outbox'] as const) {
                const { table, origin } = QUEUES[queue];
                const target = stats[queue];
                const groups = await tx.all(
                    `SELECT status, ${origin} AS origin, object_type, COUNT(*) AS n FROM ${table} WHERE org_id = $1
                     GROUP BY status, ${origin}, object_type`,
                    [orgId]
                );
                for (const group of groups) {
                    const status = str(group.status) as QueueStatus;
                    const n = num(group.n);
                    // Rows stored without an object: a CLM source or target concerns a contract; else name the origin.
                    const objectType =
                        strOrNull(group.object_type) ??
                        (str(group.origin).startsWith('clm') ? 'contract' : str(group.origin));
                    target.byStatus[status] += n;
                    const byOrigin = (target.byOrigin[str(group.origin)] ??= {});
                    byOrigin[status] = (byOrigin[status] ?? 0) + n;
                    const byObject = (target.byObject[objectType] ??= {});
                    byObject[status] = (byObject[status] ?? 0) + n;
                }
                const oldest = await tx.all(
                    `SELECT MIN(created_at) AS oldest FROM ${table} WHERE org_id = $1 AND status IN ('pending', 'failed')`,
                    [orgId]
                );
                const oldestAt = numOrNull(oldest[0]?.oldest);
                target.oldestPendingAgeMs = oldestAt === null ? 0 : Math.max(0, now - oldestAt);
                stats.quarantined += target.byStatus.quarantined;
            }
            const open = await tx.all(`SELECT COUNT(*) AS n FROM conflicts WHERE org_id = $1 AND status = 'open'`, [
                orgId
            ]);
            stats.openConflicts = num(open[0]?.n ?? 0);
            return stats;
        });
    }

    async purgeDone(orgId: string, before: Millis): Promise<number> {
        return this.sql.tx(async (tx) => {
            let removed = 0;
            for (const { table } of Object.values(QUEUES)) {
                removed += await tx.run(
                    `DELETE FROM ${table} WHERE org_id = $1 AND status = 'done' AND updated_at < $2`,
                    [orgId, before]
                );
            }
            return removed;
        });
    }
}
