/**
 * The store port: the connector's durable state. Two adapters implement it (SQLite, the embedded default, and
 * PostgreSQL for several instances) and one shared suite proves both (connector-service/test/store).
 *
 * - Inbox: events from Salesforce and the CLM, durable before acknowledged, deduplicated on (orgId, source,
 *   eventId); the channel's replay-id checkpoint advances in the same transaction as the rows.
 * - Claims: due items, at most one per ordering key, never a key with an item in flight, oldest first; a claim
 *   expires so a crashed worker's items come back. Inbox and outbox are claimed the same way.
 * - Pairs: the connector's pair id ↔ Salesforce ids and CLM refs, with the pair's `PairState` under a version.
 * - commitPlan: marks the inbox item done, writes the pair state, appends the change log, inserts outbox items
 *   and records conflicts — in one transaction.
 * - Change log: append-only and hash-chained per org; there is no update or delete path.
 * - Leases (one holder per name), org binding (a refreshed sandbox never writes into production state), stats.
 *
 * Times are epoch milliseconds passed in by the caller (`now`), so tests and the pipeline control the clock.
 * Every failure is a `ConnectorError` with one of the `STORE.*` codes below; callers branch on the code.
 *
 * The port is a set of roles (ports/store/*.ts): each part of the connector depends on the roles it uses.
 */
import { ConnectorError } from '../domain/errors.ts';
import type { Clock } from '../clock.ts';
import type { BackfillJobStore } from './store/backfillJobs.ts';
import type { ChangeLogReader } from './store/changeLog.ts';
import type { LeaseStore, OrgBindingStore } from './store/leases.ts';
import type { PairStore, PlanCommitter } from './store/pairs.ts';
import type { InboxAppender, QuarantineQueue, QueueClaims, QueueStatsReader } from './store/queues.ts';

export type * from './store/backfillJobs.ts';
export type * from './store/changeLog.ts';
export type * from './store/leases.ts';
export type * from './store/millis.ts';
export type * from './store/pairs.ts';
export type * from './store/queues.ts';
export { BACKFILL_PHASES, BACKFILL_STATES } from './store/backfillJobs.ts';
export { SALESFORCE_LINK_KINDS } from './store/pairs.ts';
export { OUTBOX_TARGETS, QUEUE_STATUSES } from './store/queues.ts';

export const STORE_ERROR = {
    /** An argument failed validation; details.field names it. */
    VALIDATION: 'STORE.VALIDATION',
    /** The pair's version moved since it was read (details.pairId, expectedVersion, actualVersion): re-read, re-plan. */
    CONCURRENT_UPDATE: 'STORE.CONCURRENT_UPDATE',
    /** The store belongs to another org (details.boundOrgId): an admin must relink before this org may use it. */
    ORG_MISMATCH: 'STORE.ORG_MISMATCH',
    /** The item is no longer claimed by this worker and attempt (its claim expired and it was taken, or it was finished). */
    CLAIM_LOST: 'STORE.CLAIM_LOST',
    NOT_FOUND: 'STORE.NOT_FOUND',
    /** A Salesforce id or CLM ref is already linked to another pair, or the pair already has a different id of that kind. */
    LINK_CONFLICT: 'STORE.LINK_CONFLICT',
    /** The database could not be reached or failed; safe to retry later. */
    UNAVAILABLE: 'STORE.UNAVAILABLE'
} as const;
export type StoreErrorCode = (typeof STORE_ERROR)[keyof typeof STORE_ERROR];

export function storeError(
    code: StoreErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    cause?: unknown
): ConnectorError {
    return new ConnectorError(code, message, details, cause === undefined ? undefined : { cause });
}

/** The whole store, as its adapters implement it: every role, and closing it. */
export interface StorePort
    extends
        InboxAppender,
        QueueClaims,
        QuarantineQueue,
        QueueStatsReader,
        PairStore,
        PlanCommitter,
        ChangeLogReader,
        LeaseStore,
        OrgBindingStore,
        BackfillJobStore {
    readonly kind: 'sqlite' | 'postgres';
    close(): Promise<void>;
}

export interface StoreOptions {
    /** How long a claim lasts before another worker may take the item. */
    claimTtlMs?: number;
    /** Attempts (claims) after which a failing item is quarantined. */
    maxAttempts?: number;
    /** Stamps what the caller gives no time for (inbox appends, migrations): the connector's one clock. */
    clock?: Clock;
}
