/**
 * What the SQL store's sections share: limits, the row mappers, the input schemas of plans and backfill batches,
 * and how a database failure is reported.
 */
import { z } from 'zod';
import { isConnectorError, type ConnectorError } from '../../domain/errors.ts';
import type { ChangeOutcome } from '../../domain/planner.ts';
import { PairState, SIDES, Version } from '../../domain/syncState.ts';
import type { Json } from '../../domain/transforms.ts';
import {
    BACKFILL_PHASES,
    BACKFILL_STATES,
    QUEUE_STATUSES,
    SALESFORCE_LINK_KINDS,
    STORE_ERROR,
    storeError,
    type BackfillJob,
    type BackfillJobPatch,
    type ChangeLogInput,
    type ClmRef,
    type ConflictInput,
    type InboxItem,
    type LastError,
    type Lease,
    type OutboxItem,
    type OutboxTarget,
    type PairLinks,
    type QueueName,
    type QueueItem,
    type QueueStats,
    type QueueStatus
} from '../../ports/store.ts';
import { LastErrorSchema, OutboxInputSchema, PairLinksSchema, schemas } from './inputs.ts';
import type { SqlParam } from './sqlDriver.ts';

export type Row = Record<string, unknown>;

export const DEFAULT_CLAIM_TTL_MS = 60_000;
export const DEFAULT_MAX_ATTEMPTS = 8;
export const MAX_BATCH = 5_000;
export const VERIFY_PAGE = 1_000;

/** Unfinished statuses: an item in one of these holds its ordering key. */
export const ACTIVE = `('pending', 'processing', 'failed')`;

export const QUEUES = {
    inbox: { table: 'inbox', origin: 'source' },
    outbox: { table: 'outbox', origin: 'target' }
} as const;

export const OUTCOMES = [
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

export const ChangeLogInputSchema = z.object({
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

export const ConflictInputSchema = z.object({
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

export const num = (value: unknown): number => Number(value);
export const numOrNull = (value: unknown): number | null =>
    value === null || value === undefined ? null : Number(value);
export const str = (value: unknown): string => String(value);
export const strOrNull = (value: unknown): string | null =>
    value === null || value === undefined ? null : String(value);

export function lastErrorOf(row: Row): LastError | null {
    return row.last_error_code === null || row.last_error_code === undefined
        ? null
        : { code: str(row.last_error_code), message: str(row.last_error_message ?? '') };
}

export function queueBase(row: Row) {
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

export function inboxItem(row: Row): InboxItem {
    return { ...queueBase(row), source: str(row.source), eventId: str(row.event_id) };
}

export function outboxItem(row: Row): OutboxItem {
    return {
        ...queueBase(row),
        target: str(row.target) as OutboxTarget,
        operation: str(row.operation),
        idempotencyKey: str(row.idempotency_key)
    };
}

export function mapItem(queue: QueueName, row: Row): QueueItem {
    return queue === 'inbox' ? inboxItem(row) : outboxItem(row);
}

export const BackfillJobPatchSchema = z
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

export const SalesforceFieldValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const BackfillBatchSchema = z.object({
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

export function backfillJobOf(row: Row): BackfillJob {
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

export function leaseOf(row: Row): Lease {
    return {
        name: str(row.name),
        holder: str(row.holder),
        expiresAt: num(row.expires_at),
        generation: num(row.generation)
    };
}

/** Salesforce ids are looked up by their case-sensitive 15-character form, so 15 and 18 find the same record. */
export function salesforceKey(id: string): string {
    return id.slice(0, 15);
}

export function linkRows(links: PairLinks): { refType: string; refKey: string; externalId: string; field: string }[] {
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

export function clmRefType(ref: Pick<ClmRef, 'vendor' | 'objectType'>): string {
    return `clm:${ref.vendor}:${ref.objectType}`;
}

/** A database failure as STORE.UNAVAILABLE (a ConnectorError raised inside a transaction passes through). */
export function unavailable(dialect: string, what: string, error: unknown): ConnectorError {
    if (isConnectorError(error)) return error;
    const reason = error instanceof Error ? error.message : String(error);
    return storeError(STORE_ERROR.UNAVAILABLE, `${dialect} ${what}: ${reason}`, { dialect }, error);
}

/** `a = $1 AND b = $2` for the filters that are set, with their parameters. */
export function whereEquals(filters: Record<string, SqlParam | undefined>): { sql: string; params: SqlParam[] } {
    const params: SqlParam[] = [];
    const terms: string[] = [];
    for (const [column, value] of Object.entries(filters)) {
        if (value === undefined) continue;
        params.push(value);
        terms.push(`${column} = $${params.length}`);
    }
    return { sql: terms.join(' AND '), params };
}

export function emptyQueueStats(): QueueStats {
    return {
        byStatus: Object.fromEntries(QUEUE_STATUSES.map((status) => [status, 0])) as Record<QueueStatus, number>,
        byOrigin: {},
        byObject: {},
        oldestPendingAgeMs: 0
    };
}
