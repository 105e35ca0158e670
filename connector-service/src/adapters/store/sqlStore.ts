/**
 * The store port over SQL, shared by the SQLite and PostgreSQL adapters. Dialect differences are few and
 * named here: PostgreSQL claims rows with `FOR UPDATE SKIP LOCKED` and locks the change-log head with
 * `FOR UPDATE`; SQLite runs one writer at a time, so neither is needed there.
 */
import { z } from 'zod';
import { isConnectorError, type ConnectorError } from '../../domain/errors.ts';
import type { ChangeOutcome } from '../../domain/planner.ts';
import { emptyPairState, PairState, SIDES, Version } from '../../domain/syncState.ts';
import type { Json } from '../../domain/transforms.ts';
import {
    BACKFILL_PHASES,
    BACKFILL_STATES,
    QUEUE_STATUSES,
    SALESFORCE_LINK_KINDS,
    STORE_ERROR,
    storeError,
    type AppendResult,
    type BackfillBatchCommit,
    type BackfillJob,
    type BackfillJobPatch,
    type BackfillWrite,
    type BackfillWriteOutcome,
    type ChainVerification,
    type ChangeLogInput,
    type ChangeLogRecord,
    type Checkpoint,
    type ClaimRef,
    type ClmRef,
    type CommitResult,
    type ConflictInput,
    type ConflictRecord,
    type FailInput,
    type InboxInput,
    type InboxItem,
    type LastError,
    type Lease,
    type LeaseResult,
    type LinkedPair,
    type Millis,
    type OutboxInput,
    type OutboxItem,
    type OutboxTarget,
    type PairLinks,
    type PairLookup,
    type PlanCommit,
    type QuarantinedItem,
    type QueueName,
    type QueueItem,
    type QueueRef,
    type QueueStats,
    type QueueStatus,
    type SalesforceLinkKind,
    type StoreOptions,
    type StorePort,
    type StoreStats
} from '../../ports/store.ts';
import { canonicalJson, chainHash, GENESIS_HASH } from './changeLogChain.ts';
import {
    check,
    CheckpointSchema,
    ClaimRefSchema,
    ClmRefSchema,
    FailInputSchema,
    InboxInputSchema,
    LastErrorSchema,
    OutboxInputSchema,
    PairLinksSchema,
    schemas
} from './inputs.ts';
import { migrations } from './schema.ts';
import type { SqlDriver, SqlParam, SqlTx } from './sqlDriver.ts';
import { systemClock, type Clock } from '../../clock.ts';

type Row = Record<string, unknown>;

export const DEFAULT_CLAIM_TTL_MS = 60_000;
export const DEFAULT_MAX_ATTEMPTS = 8;
const MAX_BATCH = 5_000;
const VERIFY_PAGE = 1_000;

/** Unfinished statuses: an item in one of these holds its ordering key. */
const ACTIVE = `('pending', 'processing', 'failed')`;

const QUEUES = {
    inbox: { table: 'inbox', origin: 'source' },
    outbox: { table: 'outbox', origin: 'target' }
} as const;

const OUTCOMES = [
    'applied',
    'echo',
    'stale',
    'unchanged',
    'notOwned',
    'conflict',
    'resolved',
    'error'
] as const satisfies readonly ChangeOutcome[];
// Fails to compile when the planner gains an outcome this list lacks.
const outcomesComplete: Exclude<ChangeOutcome, (typeof OUTCOMES)[number]> extends never ? true : never = true;
void outcomesComplete;

const ChangeLogInputSchema = z.object({
    pairId: schemas.key,
    idempotencyKey: schemas.key,
    eventId: schemas.key,
    correlationId: schemas.key,
    source: z.enum(SIDES),
    rule: schemas.key,
    outcome: z.enum(OUTCOMES),
    value: schemas.JsonValue.optional(),
    previous: schemas.JsonValue.optional(),
    errorCode: schemas.key.optional()
}) satisfies z.ZodType<ChangeLogInput>;

const ConflictInputSchema = z.object({
    pairId: schemas.key,
    rule: schemas.key,
    sfObject: schemas.key,
    sfField: schemas.key,
    clmField: schemas.key,
    salesforceValue: schemas.JsonValue,
    clmValue: schemas.JsonValue,
    salesforceVersion: Version.optional(),
    clmVersion: Version.optional(),
    eventId: schemas.key,
    correlationId: schemas.key
}) satisfies z.ZodType<ConflictInput>;

const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const str = (value: unknown): string => String(value);
const strOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

function lastErrorOf(row: Row): LastError | null {
    return row.last_error_code === null || row.last_error_code === undefined
        ? null
        : { code: str(row.last_error_code), message: str(row.last_error_message ?? '') };
}

function queueBase(row: Row) {
    return {
        id: num(row.id),
        orgId: str(row.org_id),
        orderingKey: str(row.ordering_key),
        objectType: strOrNull(row.object_type),
        payload: JSON.parse(str(row.payload)) as Json,
        correlationId: str(row.correlation_id),
        status: str(row.status) as QueueStatus,
        attempts: num(row.attempts),
        nextAttemptAt: num(row.next_attempt_at),
        claimedBy: strOrNull(row.claimed_by),
        claimExpiresAt: numOrNull(row.claim_expires_at),
        lastError: lastErrorOf(row),
        createdAt: num(row.created_at),
        updatedAt: num(row.updated_at)
    };
}

function inboxItem(row: Row): InboxItem {
    return { ...queueBase(row), source: str(row.source), eventId: str(row.event_id) };
}

function outboxItem(row: Row): OutboxItem {
    return {
        ...queueBase(row),
        target: str(row.target) as OutboxTarget,
        operation: str(row.operation),
        idempotencyKey: str(row.idempotency_key)
    };
}

function mapItem(queue: QueueName, row: Row): QueueItem {
    return queue === 'inbox' ? inboxItem(row) : outboxItem(row);
}

const BackfillJobPatchSchema = z
    .object({
        state: z.enum(BACKFILL_STATES),
        phase: z.enum(BACKFILL_PHASES),
        transport: z.enum(['bulk', 'rest']).nullable(),
        total: z.number().int().nonnegative().nullable(),
        queryJobId: schemas.key.nullable(),
        lastError: LastErrorSchema.nullable(),
        finishedAt: schemas.millis.nullable()
    })
    .partial()
    .strict() satisfies z.ZodType<BackfillJobPatch>;

const SalesforceFieldValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const BackfillBatchSchema = z.object({
    jobId: schemas.key,
    expectedProcessed: z.number().int().nonnegative(),
    count: z.number().int().nonnegative(),
    linked: z.number().int().nonnegative(),
    errors: z.number().int().nonnegative(),
    cursor: schemas.key,
    records: z
        .array(
            z.object({
                pairId: schemas.key,
                links: PairLinksSchema,
                expectedVersion: z.number().int().nonnegative().nullable(),
                state: PairState,
                changeLog: z.array(ChangeLogInputSchema).default([]),
                conflicts: z.array(ConflictInputSchema).default([]),
                outbox: z.array(OutboxInputSchema).default([]),
                writes: z
                    .array(
                        z.object({
                            sfObject: schemas.key,
                            recordId: schemas.key,
                            fields: z.record(z.string(), SalesforceFieldValue)
                        })
                    )
                    .default([]),
                correlationId: schemas.key
            })
        )
        .max(MAX_BATCH)
});

function backfillJobOf(row: Row): BackfillJob {
    return {
        orgId: str(row.org_id),
        jobId: str(row.job_id),
        object: str(row.object),
        since: strOrNull(row.since),
        state: str(row.state) as BackfillJob['state'],
        phase: str(row.phase) as BackfillJob['phase'],
        transport: strOrNull(row.transport) as BackfillJob['transport'],
        total: numOrNull(row.total),
        processed: num(row.processed),
        linked: num(row.linked),
        written: num(row.written),
        errors: num(row.errors),
        cursor: strOrNull(row.cursor),
        queryJobId: strOrNull(row.query_job_id),
        lastError: lastErrorOf(row),
        createdAt: num(row.created_at),
        updatedAt: num(row.updated_at),
        finishedAt: numOrNull(row.finished_at)
    };
}

function leaseOf(row: Row): Lease {
    return {
        name: str(row.name),
        holder: str(row.holder),
        expiresAt: num(row.expires_at),
        generation: num(row.generation)
    };
}

/** Salesforce ids are looked up by their case-sensitive 15-character form, so 15 and 18 find the same record. */
function salesforceKey(id: string): string {
    return id.slice(0, 15);
}

function linkRows(links: PairLinks): { refType: string; refKey: string; externalId: string; field: string }[] {
    const rows: { refType: string; refKey: string; externalId: string; field: string }[] = [];
    for (const kind of SALESFORCE_LINK_KINDS) {
        const id = links.salesforce?.[kind];
        if (id)
            rows.push({
                refType: `sf:${kind}`,
                refKey: salesforceKey(id),
                externalId: id,
                field: `salesforce.${kind}`
            });
    }
    (links.clm ?? []).forEach((ref, index) =>
        rows.push({ refType: clmRefType(ref), refKey: ref.id, externalId: ref.id, field: `clm[${index}]` })
    );
    return rows;
}

function clmRefType(ref: Pick<ClmRef, 'vendor' | 'objectType'>): string {
    return `clm:${ref.vendor}:${ref.objectType}`;
}

/** A database failure as STORE.UNAVAILABLE (a ConnectorError raised inside a transaction passes through). */
export function unavailable(dialect: string, what: string, error: unknown): ConnectorError {
    if (isConnectorError(error)) return error;
    const reason = error instanceof Error ? error.message : String(error);
    return storeError(STORE_ERROR.UNAVAILABLE, `${dialect} ${what}: ${reason}`, { dialect }, error);
}

/** `a = $1 AND b = $2` for the filters that are set, with their parameters. */
function whereEquals(filters: Record<string, SqlParam | undefined>): { sql: string; params: SqlParam[] } {
    const params: SqlParam[] = [];
    const terms: string[] = [];
    for (const [column, value] of Object.entries(filters)) {
        if (value === undefined) continue;
        params.push(value);
        terms.push(`${column} = $${params.length}`);
    }
    return { sql: terms.join(' AND '), params };
}

function emptyQueueStats(): QueueStats {
    return {
        byStatus: Object.fromEntries(QUEUE_STATUSES.map((status) => [status, 0])) as Record<QueueStatus, number>,
        byOrigin: {},
        byObject: {},
        oldestPendingAgeMs: 0
    };
}

export class SqlStore implements StorePort {
    readonly kind: 'sqlite' | 'postgres';
    private readonly claimTtlMs: number;
    private readonly maxAttempts: number;
    /** PostgreSQL row-lock clauses; empty on SQLite, whose single writer makes them unnecessary. */
    private readonly skipLocked: string;
    private readonly forUpdate: string;
    private readonly clock: Clock;

    private constructor(
        private readonly driver: SqlDriver,
        options: StoreOptions
    ) {
        this.kind = driver.dialect;
        this.claimTtlMs = check(z.number().int().positive(), options.claimTtlMs ?? DEFAULT_CLAIM_TTL_MS, 'claimTtlMs');
        this.maxAttempts = check(
            z.number().int().positive(),
            options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
            'maxAttempts'
        );
        this.clock = options.clock ?? systemClock;
        this.skipLocked = driver.dialect === 'postgres' ? 'FOR UPDATE SKIP LOCKED' : '';
        this.forUpdate = driver.dialect === 'postgres' ? 'FOR UPDATE' : '';
    }

    /** Creates or upgrades the schema, then returns the store. */
    static async open(driver: SqlDriver, options: StoreOptions = {}): Promise<SqlStore> {
        try {
            const store = new SqlStore(driver, options);
            await driver.migrate(migrations(driver.dialect), store.clock.now());
            return store;
        } catch (error) {
            await driver.close().catch(() => undefined);
            throw unavailable(driver.dialect, 'could not open the store', error);
        }
    }

    private tx<T>(work: (tx: SqlTx) => Promise<T>): Promise<T> {
        return this.driver.transaction(work).catch((error: unknown) => {
            throw unavailable(this.kind, 'store operation failed', error);
        });
    }

    // ---- inbox ----

    async appendInbox(
        orgId: string,
        items: InboxInput[],
        checkpoint?: Checkpoint,
        now: Millis = this.clock.now()
    ): Promise<AppendResult> {
        check(schemas.key, orgId, 'orgId');
        const parsed = check(z.array(InboxInputSchema).max(MAX_BATCH), items, 'items');
        const position = checkpoint === undefined ? undefined : check(CheckpointSchema, checkpoint, 'checkpoint');
        return this.tx(async (tx) => {
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
        const rows = await this.tx((tx) =>
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
        return this.tx(async (tx) => {
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
        const rows = await this.tx(async (tx) => {
            const claimed = await tx.all(
                `WITH picked AS (
                    SELECT i.id FROM ${table} i
                    WHERE i.org_id = $1 AND i.status IN ${ACTIVE}
                      AND i.id = (SELECT j.id FROM ${table} j
                                  WHERE j.org_id = i.org_id AND j.ordering_key = i.ordering_key AND j.status IN ${ACTIVE}
                                  ORDER BY j.ordering_key, j.id LIMIT 1)
                      AND ((i.status <> 'processing' AND i.next_attempt_at <= $2)
                           OR (i.status = 'processing' AND i.claim_expires_at <= $2))
                    ORDER BY i.id LIMIT $3 ${this.skipLocked}
                 )
                 UPDATE ${table} SET status = 'processing', claimed_by = $4, claim_expires_at = $5,
                    attempts = attempts + 1, updated_at = $2
                 WHERE id IN (SELECT id FROM picked) RETURNING *`,
                [orgId, now, limit, worker, now + this.claimTtlMs]
            );
            // A head whose claim expired after its last attempt (its worker died every time) goes to quarantine.
            const exhausted = claimed.filter((row) => num(row.attempts) > this.maxAttempts);
            for (const row of exhausted) {
                await tx.run(
                    `UPDATE ${table} SET status = 'quarantined', attempts = attempts - 1, claimed_by = NULL, claim_expires_at = NULL,
                        last_error_code = $3, last_error_message = $4 WHERE org_id = $1 AND id = $2`,
                    [orgId, num(row.id), 'STORE.ATTEMPTS_EXHAUSTED', 'the claim expired after the last attempt']
                );
            }
            return claimed.filter((row) => num(row.attempts) <= this.maxAttempts);
        });
        return rows.map((row) => mapItem(queue, row)).sort((a, b) => a.id - b.id);
    }

    /** Moves a held item out of `processing`; STORE.CLAIM_LOST when this worker's attempt no longer holds it. */
    private async finish(
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
        await this.tx((tx) => this.finish(tx, queue, orgId, ref, `status = 'done', updated_at = $5`, [now]));
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
        const row = await this.tx((tx) =>
            this.finish(
                tx,
                queue,
                orgId,
                ref,
                `status = CASE WHEN attempts >= $5 THEN 'quarantined' ELSE 'failed' END, next_attempt_at = $6,
                 last_error_code = $7, last_error_message = $8, updated_at = $9`,
                [this.maxAttempts, failure.retryAt, failure.error.code, failure.error.message, now]
            )
        );
        return str(row.status) as 'failed' | 'quarantined';
    }

    async quarantine(queue: QueueName, orgId: string, claim: ClaimRef, error: LastError, now: Millis): Promise<void> {
        const ref = check(ClaimRefSchema, claim, 'claim');
        const lastError = check(LastErrorSchema, error, 'error');
        await this.tx((tx) =>
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
        const rows = await this.tx((tx) =>
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
        const items = await this.tx(async (tx) => {
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
        return this.tx(async (tx) => {
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

    // ---- pairs ----

    async createPair(orgId: string, pairId: string, links: PairLinks, now: Millis): Promise<LinkedPair> {
        check(schemas.key, orgId, 'orgId');
        check(schemas.key, pairId, 'pairId');
        const parsed = check(PairLinksSchema, links, 'links');
        return this.tx(async (tx) => {
            const inserted = await tx.all(
                `INSERT INTO pairs (org_id, pair_id, state, version, created_at, updated_at) VALUES ($1, $2, $3, 0, $4, $4)
                 ON CONFLICT (org_id, pair_id) DO NOTHING RETURNING pair_id`,
                [orgId, pairId, JSON.stringify(emptyPairState(pairId)), now]
            );
            if (!inserted[0])
                throw storeError(STORE_ERROR.LINK_CONFLICT, `Pair ${pairId} already exists`, {
                    field: 'pairId',
                    pairId
                });
            await this.addLinks(tx, orgId, pairId, parsed, now);
            return this.readPair(tx, orgId, pairId);
        });
    }

    async linkPair(orgId: string, pairId: string, links: PairLinks, now: Millis): Promise<LinkedPair> {
        const parsed = check(PairLinksSchema, links, 'links');
        return this.tx(async (tx) => {
            const pair = await tx.all(
                `SELECT pair_id FROM pairs WHERE org_id = $1 AND pair_id = $2 ${this.forUpdate}`,
                [orgId, pairId]
            );
            if (!pair[0]) throw storeError(STORE_ERROR.NOT_FOUND, `No pair ${pairId}`, { pairId });
            await this.addLinks(tx, orgId, pairId, parsed, now);
            await tx.run(`UPDATE pairs SET updated_at = $3 WHERE org_id = $1 AND pair_id = $2`, [orgId, pairId, now]);
            return this.readPair(tx, orgId, pairId);
        });
    }

    /** Adds links; a ref already on this pair is kept, one on another pair (or a second id of a kind) is refused. */
    private async addLinks(tx: SqlTx, orgId: string, pairId: string, links: PairLinks, now: Millis): Promise<void> {
        for (const link of linkRows(links)) {
            const owner = await tx.all(
                `SELECT pair_id FROM pair_links WHERE org_id = $1 AND ref_type = $2 AND ref_key = $3`,
                [orgId, link.refType, link.refKey]
            );
            if (owner[0]) {
                if (str(owner[0].pair_id) === pairId) continue;
                throw storeError(
                    STORE_ERROR.LINK_CONFLICT,
                    `${link.field} ${link.externalId} is linked to another pair`,
                    {
                        field: link.field,
                        pairId,
                        linkedPairId: owner[0].pair_id
                    }
                );
            }
            if (link.refType.startsWith('sf:')) {
                const sameKind = await tx.all(
                    `SELECT external_id FROM pair_links WHERE org_id = $1 AND pair_id = $2 AND ref_type = $3`,
                    [orgId, pairId, link.refType]
                );
                if (sameKind[0]) {
                    throw storeError(
                        STORE_ERROR.LINK_CONFLICT,
                        `Pair ${pairId} already links ${link.field} ${String(sameKind[0].external_id)}`,
                        {
                            field: link.field,
                            pairId
                        }
                    );
                }
            }
            try {
                await tx.run(
                    `INSERT INTO pair_links (org_id, ref_type, ref_key, external_id, pair_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
                    [orgId, link.refType, link.refKey, link.externalId, pairId, now]
                );
            } catch (error) {
                // Another instance linked the same ref between our check and our insert.
                if (!this.driver.isUniqueViolation(error)) throw error;
                throw storeError(
                    STORE_ERROR.LINK_CONFLICT,
                    `${link.field} ${link.externalId} was linked concurrently`,
                    { field: link.field, pairId },
                    error
                );
            }
        }
    }

    private async readPair(tx: SqlTx, orgId: string, pairId: string): Promise<LinkedPair> {
        const pairs = await tx.all(`SELECT * FROM pairs WHERE org_id = $1 AND pair_id = $2`, [orgId, pairId]);
        const row = pairs[0];
        if (!row) throw storeError(STORE_ERROR.NOT_FOUND, `No pair ${pairId}`, { pairId });
        const links = await tx.all(
            `SELECT ref_type, external_id FROM pair_links WHERE org_id = $1 AND pair_id = $2 ORDER BY created_at, ref_type, ref_key`,
            [orgId, pairId]
        );
        const pair: LinkedPair = {
            orgId,
            pairId,
            salesforce: {},
            clm: [],
            state: PairState.parse(JSON.parse(str(row.state))),
            version: num(row.version),
            createdAt: num(row.created_at),
            updatedAt: num(row.updated_at)
        };
        for (const link of links) {
            const [system, vendor = '', ...objectType] = str(link.ref_type).split(':');
            if (system === 'sf') pair.salesforce[vendor as SalesforceLinkKind] = str(link.external_id);
            else pair.clm.push({ vendor, objectType: objectType.join(':'), id: str(link.external_id) });
        }
        return pair;
    }

    async findPair(orgId: string, lookup: PairLookup): Promise<LinkedPair | null> {
        return this.tx(async (tx) => {
            let pairId: string | undefined;
            if ('pairId' in lookup) {
                pairId = check(schemas.key, lookup.pairId, 'pairId');
            } else if ('salesforceId' in lookup) {
                const rows = await tx.all(
                    `SELECT pair_id FROM pair_links WHERE org_id = $1 AND ref_key = $2 AND ref_type LIKE 'sf:%'`,
                    [orgId, salesforceKey(check(schemas.key, lookup.salesforceId, 'salesforceId'))]
                );
                pairId = rows[0] ? str(rows[0].pair_id) : undefined;
            } else {
                const ref = check(ClmRefSchema, lookup.clm, 'clm');
                const rows = await tx.all(
                    `SELECT pair_id FROM pair_links WHERE org_id = $1 AND ref_type = $2 AND ref_key = $3`,
                    [orgId, clmRefType(ref), ref.id]
                );
                pairId = rows[0] ? str(rows[0].pair_id) : undefined;
            }
            if (pairId === undefined) return null;
            const exists = await tx.all(`SELECT 1 AS found FROM pairs WHERE org_id = $1 AND pair_id = $2`, [
                orgId,
                pairId
            ]);
            return exists[0] ? this.readPair(tx, orgId, pairId) : null;
        });
    }

    async listPairs(orgId: string, opts: { afterPairId?: string; limit: number }): Promise<LinkedPair[]> {
        const limit = check(z.number().int().min(1).max(10_000), opts.limit, 'limit');
        return this.tx(async (tx) => {
            const rows = await tx.all(
                `SELECT pair_id FROM pairs WHERE org_id = $1 AND pair_id > $2 ORDER BY pair_id LIMIT $3`,
                [orgId, opts.afterPairId ?? '', limit]
            );
            const pairs: LinkedPair[] = [];
            for (const row of rows) pairs.push(await this.readPair(tx, orgId, str(row.pair_id)));
            return pairs;
        });
    }

    // ---- commitPlan ----

    async commitPlan(commit: PlanCommit): Promise<CommitResult> {
        const orgId = check(schemas.key, commit.orgId, 'orgId');
        const now = check(schemas.millis, commit.now, 'now');
        const inbox = commit.inbox === undefined ? undefined : check(ClaimRefSchema, commit.inbox, 'inbox');
        const pair =
            commit.pair === undefined
                ? undefined
                : check(
                      z.object({
                          pairId: schemas.key,
                          expectedVersion: z.number().int().nonnegative(),
                          state: PairState
                      }),
                      commit.pair,
                      'pair'
                  );
        if (pair && pair.state.pairId !== pair.pairId) {
            throw storeError(STORE_ERROR.VALIDATION, `pair.state.pairId ${pair.state.pairId} is not ${pair.pairId}`, {
                field: 'pair.state.pairId'
            });
        }
        const changeLog = check(z.array(ChangeLogInputSchema).max(MAX_BATCH), commit.changeLog ?? [], 'changeLog');
        const outbox = check(z.array(OutboxInputSchema).max(MAX_BATCH), commit.outbox ?? [], 'outbox');
        const conflicts = check(z.array(ConflictInputSchema).max(MAX_BATCH), commit.conflicts ?? [], 'conflicts');
        const resolvedConflicts = check(
            z.array(z.object({ pairId: schemas.key, rule: schemas.key })).max(MAX_BATCH),
            commit.resolvedConflicts ?? [],
            'resolvedConflicts'
        );

        return this.tx(async (tx) => {
            if (inbox) await this.finish(tx, 'inbox', orgId, inbox, `status = 'done', updated_at = $5`, [now]);
            return this.applyPlan(tx, orgId, { pair, changeLog, outbox, conflicts, resolvedConflicts }, now);
        });
    }

    /** The part of a commit that writes the plan: pair state, change log, outbox, settled and new conflicts. */
    private async applyPlan(
        tx: SqlTx,
        orgId: string,
        plan: {
            pair?: { pairId: string; expectedVersion: number; state: PairState };
            changeLog: ChangeLogInput[];
            outbox: OutboxInput[];
            conflicts: ConflictInput[];
            resolvedConflicts: { pairId: string; rule: string }[];
        },
        now: Millis
    ): Promise<CommitResult> {
        const { pair, changeLog, outbox, conflicts, resolvedConflicts } = plan;
        const result: CommitResult = { outboxIds: [], outboxDuplicates: 0, changeLogSeqs: [], conflictIds: [] };
        if (pair) result.pairVersion = await this.writePairState(tx, orgId, pair, now);
        if (changeLog.length > 0) result.changeLogSeqs = await this.appendChangeLog(tx, orgId, changeLog, now);
        for (const item of outbox) {
            const rows = await tx.all(
                `INSERT INTO outbox (org_id, target, operation, idempotency_key, ordering_key, object_type, payload, correlation_id,
                    status, attempts, next_attempt_at, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $9, $9)
                 ON CONFLICT (org_id, idempotency_key) DO NOTHING RETURNING id`,
                [
                    orgId,
                    item.target,
                    item.operation,
                    item.idempotencyKey,
                    item.orderingKey,
                    item.objectType ?? null,
                    JSON.stringify(item.payload),
                    item.correlationId,
                    now
                ]
            );
            if (rows[0]) result.outboxIds.push(num(rows[0].id));
            else result.outboxDuplicates++;
        }
        // Settled conflicts close before new ones open, so a plan may close a rule's conflict and raise another.
        for (const settled of resolvedConflicts) {
            await tx.run(
                `UPDATE conflicts SET status = 'resolved', resolved_at = $4
                 WHERE org_id = $1 AND pair_id = $2 AND rule = $3 AND status = 'open'`,
                [orgId, settled.pairId, settled.rule, now]
            );
        }
        for (const conflict of conflicts) {
            const rows = await tx.all(
                `INSERT INTO conflicts (org_id, pair_id, rule, event_id, body, status, created_at) VALUES ($1, $2, $3, $4, $5, 'open', $6)
                 ON CONFLICT (org_id, pair_id, rule, event_id) DO NOTHING RETURNING id`,
                [orgId, conflict.pairId, conflict.rule, conflict.eventId, canonicalJson(conflict), now]
            );
            if (rows[0]) result.conflictIds.push(num(rows[0].id));
        }
        return result;
    }

    private async writePairState(
        tx: SqlTx,
        orgId: string,
        pair: { pairId: string; expectedVersion: number; state: PairState },
        now: Millis
    ): Promise<number> {
        const rows = await tx.all(
            `UPDATE pairs SET state = $3, version = version + 1, updated_at = $5
             WHERE org_id = $1 AND pair_id = $2 AND version = $4 RETURNING version`,
            [orgId, pair.pairId, JSON.stringify(pair.state), pair.expectedVersion, now]
        );
        if (rows[0]) return num(rows[0].version);
        const current = await tx.all(`SELECT version FROM pairs WHERE org_id = $1 AND pair_id = $2`, [
            orgId,
            pair.pairId
        ]);
        if (!current[0]) throw storeError(STORE_ERROR.NOT_FOUND, `No pair ${pair.pairId}`, { pairId: pair.pairId });
        throw storeError(
            STORE_ERROR.CONCURRENT_UPDATE,
            `Pair ${pair.pairId} changed since version ${pair.expectedVersion}`,
            {
                pairId: pair.pairId,
                expectedVersion: pair.expectedVersion,
                actualVersion: num(current[0].version)
            }
        );
    }

    /** Extends the org's chain under a lock on its head row; entries whose idempotency key exists are skipped. */
    private async appendChangeLog(tx: SqlTx, orgId: string, entries: ChangeLogInput[], now: Millis): Promise<number[]> {
        await tx.run(
            `INSERT INTO change_log_heads (org_id, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (org_id) DO NOTHING`,
            [orgId, GENESIS_HASH]
        );
        const heads = await tx.all(`SELECT seq, hash FROM change_log_heads WHERE org_id = $1 ${this.forUpdate}`, [
            orgId
        ]);
        let seq = num(heads[0]?.seq);
        let hash = str(heads[0]?.hash);
        const appended: number[] = [];
        for (const entry of entries) {
            const exists = await tx.all(`SELECT seq FROM change_log WHERE org_id = $1 AND idempotency_key = $2`, [
                orgId,
                entry.idempotencyKey
            ]);
            if (exists[0]) continue;
            const record = { ...entry, orgId, seq: seq + 1, at: now };
            const body = canonicalJson(record);
            const next = chainHash(hash, body);
            await tx.run(
                `INSERT INTO change_log (org_id, seq, pair_id, idempotency_key, at, entry, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
                [orgId, record.seq, entry.pairId, entry.idempotencyKey, now, body, hash, next]
            );
            seq = record.seq;
            hash = next;
            appended.push(seq);
        }
        await tx.run(`UPDATE change_log_heads SET seq = $2, hash = $3 WHERE org_id = $1`, [orgId, seq, hash]);
        return appended;
    }

    // ---- change log ----

    async readChangeLog(
        orgId: string,
        opts: { afterSeq?: number; limit?: number; pairId?: string } = {}
    ): Promise<ChangeLogRecord[]> {
        const limit = check(z.number().int().positive().max(MAX_BATCH), opts.limit ?? 500, 'limit');
        const afterSeq = check(z.number().int().nonnegative(), opts.afterSeq ?? 0, 'afterSeq');
        const filter = whereEquals({ org_id: orgId, pair_id: opts.pairId });
        const next = filter.params.length + 1;
        const rows = await this.tx((tx) =>
            tx.all(`SELECT * FROM change_log WHERE ${filter.sql} AND seq > $${next} ORDER BY seq LIMIT $${next + 1}`, [
                ...filter.params,
                afterSeq,
                limit
            ])
        );
        return rows.map((row) => ({
            ...(JSON.parse(str(row.entry)) as ChangeLogRecord),
            prevHash: str(row.prev_hash),
            hash: str(row.hash)
        }));
    }

    /** Walks the org's chain from the start; reports the first row whose hash, link or sequence is wrong. */
    async verifyChangeLog(orgId: string): Promise<ChainVerification> {
        // The head first: rows appended while we walk lie beyond it and are left for the next run.
        const heads = await this.tx((tx) =>
            tx.all(`SELECT seq, hash FROM change_log_heads WHERE org_id = $1`, [orgId])
        );
        const headSeq = heads[0] ? num(heads[0].seq) : 0;
        const headHash = heads[0] ? str(heads[0].hash) : GENESIS_HASH;
        let expectedSeq = 1;
        let prevHash = GENESIS_HASH;
        for (;;) {
            const rows = await this.tx((tx) =>
                tx.all(`SELECT * FROM change_log WHERE org_id = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq LIMIT $4`, [
                    orgId,
                    expectedSeq,
                    headSeq,
                    VERIFY_PAGE
                ])
            );
            for (const row of rows) {
                const seq = num(row.seq);
                const count = expectedSeq - 1;
                if (seq !== expectedSeq) return { ok: false, count, brokenAt: expectedSeq, reason: 'sequence' };
                if (str(row.prev_hash) !== prevHash) return { ok: false, count, brokenAt: seq, reason: 'link' };
                if (!this.rowMatchesHash(orgId, row)) return { ok: false, count, brokenAt: seq, reason: 'hash' };
                prevHash = str(row.hash);
                expectedSeq++;
            }
            if (rows.length < VERIFY_PAGE) break;
        }
        const count = expectedSeq - 1;
        // Rows cut from the end leave a chain that is valid up to where it stops: the head still remembers.
        if (count !== headSeq || prevHash !== headHash)
            return { ok: false, count, brokenAt: count < headSeq ? count + 1 : headSeq, reason: 'head' };
        return { ok: true, count, headHash };
    }

    private rowMatchesHash(orgId: string, row: Row): boolean {
        let entry: Record<string, unknown>;
        try {
            entry = JSON.parse(str(row.entry)) as Record<string, unknown>;
        } catch {
            return false;
        }
        const columnsAgree =
            entry.orgId === orgId &&
            entry.seq === num(row.seq) &&
            entry.at === num(row.at) &&
            entry.pairId === str(row.pair_id) &&
            entry.idempotencyKey === str(row.idempotency_key);
        return columnsAgree && chainHash(str(row.prev_hash), canonicalJson(entry)) === str(row.hash);
    }

    async listConflicts(
        orgId: string,
        opts: { pairId?: string; status?: 'open' | 'resolved'; limit?: number } = {}
    ): Promise<ConflictRecord[]> {
        const limit = check(z.number().int().positive().max(MAX_BATCH), opts.limit ?? 500, 'limit');
        const filter = whereEquals({ org_id: orgId, pair_id: opts.pairId, status: opts.status });
        const rows = await this.tx((tx) =>
            tx.all(`SELECT * FROM conflicts WHERE ${filter.sql} ORDER BY id LIMIT $${filter.params.length + 1}`, [
                ...filter.params,
                limit
            ])
        );
        return rows.map((row) => ({
            ...(JSON.parse(str(row.body)) as ConflictInput),
            id: num(row.id),
            orgId,
            status: str(row.status) as 'open' | 'resolved',
            createdAt: num(row.created_at),
            resolvedAt: numOrNull(row.resolved_at)
        }));
    }

    // ---- leases ----

    /**
     * One atomic upsert: it takes the lease when free or expired, extends it for its holder, and otherwise
     * changes nothing — so concurrent acquirers on PostgreSQL cannot both win.
     */
    async acquireLease(name: string, holder: string, ttlMs: number, now: Millis): Promise<LeaseResult> {
        check(schemas.key, name, 'name');
        check(schemas.key, holder, 'holder');
        check(z.number().int().positive(), ttlMs, 'ttlMs');
        return this.tx(async (tx) => {
            const won = await tx.all(
                `INSERT INTO leases (name, holder, expires_at, generation) VALUES ($1, $2, $3, 1)
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
                    generation = CASE WHEN leases.holder = excluded.holder THEN leases.generation ELSE leases.generation + 1 END
                 WHERE leases.holder = excluded.holder OR leases.expires_at <= $4
                 RETURNING name, holder, expires_at, generation`,
                [name, holder, now + ttlMs, now]
            );
            if (won[0]) return { acquired: true, lease: leaseOf(won[0]) };
            const current = await tx.all(`SELECT * FROM leases WHERE name = $1`, [name]);
            return { acquired: false, current: current[0] ? leaseOf(current[0]) : null };
        });
    }

    async renewLease(name: string, holder: string, ttlMs: number, now: Millis): Promise<boolean> {
        check(z.number().int().positive(), ttlMs, 'ttlMs');
        const changed = await this.tx((tx) =>
            tx.run(`UPDATE leases SET expires_at = $3 WHERE name = $1 AND holder = $2`, [name, holder, now + ttlMs])
        );
        return changed > 0;
    }

    async releaseLease(name: string, holder: string): Promise<boolean> {
        // Expire rather than delete: the generation (fencing token) keeps counting up.
        const changed = await this.tx((tx) =>
            tx.run(`UPDATE leases SET expires_at = 0 WHERE name = $1 AND holder = $2`, [name, holder])
        );
        return changed > 0;
    }

    // ---- org binding ----

    async bindOrg(connector: string, orgId: string, now: Millis): Promise<void> {
        check(schemas.key, connector, 'connector');
        check(schemas.key, orgId, 'orgId');
        await this.tx(async (tx) => {
            await tx.run(
                `INSERT INTO org_bindings (connector, org_id, bound_at) VALUES ($1, $2, $3) ON CONFLICT (connector) DO NOTHING`,
                [connector, orgId, now]
            );
            const rows = await tx.all(`SELECT org_id FROM org_bindings WHERE connector = $1`, [connector]);
            const boundOrgId = str(rows[0]?.org_id);
            if (boundOrgId !== orgId) {
                throw storeError(
                    STORE_ERROR.ORG_MISMATCH,
                    `Connector ${connector} holds the state of org ${boundOrgId}, not ${orgId} (a refreshed sandbox?); an admin must relink it`,
                    { field: 'orgId', connector, boundOrgId, orgId }
                );
            }
        });
    }

    async relinkOrg(connector: string, orgId: string, now: Millis): Promise<{ previousOrgId: string | null }> {
        check(schemas.key, connector, 'connector');
        check(schemas.key, orgId, 'orgId');
        return this.tx(async (tx) => {
            const rows = await tx.all(`SELECT org_id FROM org_bindings WHERE connector = $1 ${this.forUpdate}`, [
                connector
            ]);
            const previousOrgId = rows[0] ? str(rows[0].org_id) : null;
            await tx.run(
                `INSERT INTO org_bindings (connector, org_id, previous_org_id, bound_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (connector) DO UPDATE SET org_id = excluded.org_id, previous_org_id = excluded.previous_org_id, bound_at = excluded.bound_at`,
                [connector, orgId, previousOrgId, now]
            );
            return { previousOrgId };
        });
    }

    async boundOrg(connector: string): Promise<string | null> {
        const rows = await this.tx((tx) => tx.all(`SELECT org_id FROM org_bindings WHERE connector = $1`, [connector]));
        return rows[0] ? str(rows[0].org_id) : null;
    }

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
        return this.tx(async (tx) => {
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
        const rows = await this.tx((tx) =>
            tx.all(`SELECT * FROM backfill_jobs WHERE org_id = $1 AND job_id = $2`, [orgId, jobId])
        );
        return rows[0] ? backfillJobOf(rows[0]) : null;
    }

    async listBackfillJobs(orgId: string, opts: { unfinished?: boolean; limit?: number } = {}): Promise<BackfillJob[]> {
        const limit = check(z.number().int().positive().max(MAX_BATCH), opts.limit ?? 100, 'limit');
        const unfinished = opts.unfinished ? `AND state IN ('Queued', 'Running')` : '';
        const rows = await this.tx((tx) =>
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
        return this.tx(async (tx) => {
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
        return this.tx(async (tx) => {
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
                await this.addLinks(tx, orgId, record.pairId, record.links, now);
                await this.applyPlan(
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
            if (changeLog.length > 0) await this.appendChangeLog(tx, orgId, changeLog, now);
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
        const rows = await this.tx((tx) =>
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
        await this.tx(async (tx) => {
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
        return this.tx(async (tx) => {
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
                await this.applyPlan(tx, orgId, { changeLog: [], outbox, conflicts: [], resolvedConflicts: [] }, now);
            const rows = await tx.all(
                `UPDATE backfill_jobs SET written = written + $3, errors = errors + $4, updated_at = $5
                 WHERE org_id = $1 AND job_id = $2 RETURNING *`,
                [orgId, jobId, written, failed, now]
            );
            if (!rows[0]) throw storeError(STORE_ERROR.NOT_FOUND, `No backfill job ${jobId}`, { jobId });
            return backfillJobOf(rows[0]);
        });
    }

    // ---- stats and housekeeping ----

    async stats(orgId: string, now: Millis): Promise<StoreStats> {
        return this.tx(async (tx) => {
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
        return this.tx(async (tx) => {
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

    close(): Promise<void> {
        return this.driver.close();
    }
}
