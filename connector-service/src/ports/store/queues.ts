/**
 * The inbox and outbox: what goes in, what a claimed item is, and the roles that append, claim and settle,
 * quarantine and replay items, and count them.
 */
import type { Json } from '../../domain/transforms.ts';
import type { Millis } from './millis.ts';

export type QueueName = 'inbox' | 'outbox';
/** pending: due at nextAttemptAt; processing: claimed; failed: waiting for a retry at nextAttemptAt. */
export const QUEUE_STATUSES = ['pending', 'processing', 'done', 'failed', 'quarantined'] as const;
export type QueueStatus = (typeof QUEUE_STATUSES)[number];

export interface InboxInput {
    /** Where it came from, e.g. `salesforce:/data/OpportunityChangeEvent`, `clm:ironclad:webhook`. Part of the dedupe key. */
    source: string;
    /** The delivery's own id (CDC event uuid / transactionKey, webhook event id). Part of the dedupe key. */
    eventId: string;
    /** The record or pair it concerns: items with the same key are processed one at a time, in order. */
    orderingKey: string;
    /** For stats: the object the event concerns (`Opportunity`, `contract`). */
    objectType?: string;
    payload: Json;
    correlationId: string;
}

/** The Pub/Sub channel position stored with the inbox rows it covers. */
export interface Checkpoint {
    channel: string;
    replayId: string;
}

export interface AppendResult {
    /** Ids of the rows written, in input order (duplicates omitted). */
    insertedIds: number[];
    duplicates: number;
}

export interface LastError {
    code: string;
    message: string;
}

/** Who holds a claimed item: the worker and the attempt number; finishing an item needs both. */
export interface ClaimRef {
    id: number;
    worker: string;
    attempt: number;
}

interface QueueItemBase {
    id: number;
    orgId: string;
    orderingKey: string;
    objectType: string | null;
    payload: Json;
    correlationId: string;
    status: QueueStatus;
    attempts: number;
    nextAttemptAt: Millis;
    claimedBy: string | null;
    claimExpiresAt: Millis | null;
    lastError: LastError | null;
    createdAt: Millis;
    updatedAt: Millis;
}

export interface InboxItem extends QueueItemBase {
    source: string;
    eventId: string;
}

export const OUTBOX_TARGETS = ['salesforce', 'clm'] as const;
export type OutboxTarget = (typeof OUTBOX_TARGETS)[number];

export interface OutboxInput {
    target: OutboxTarget;
    /** What to do, e.g. `sobject.update`, `clm.createContract`; the pipeline's writer dispatches on it. */
    operation: string;
    /** Unique per org: inserting an item whose key exists is a no-op (a replayed plan writes nothing twice). */
    idempotencyKey: string;
    /** Writes for one pair go out one at a time, in order. */
    orderingKey: string;
    objectType?: string;
    payload: Json;
    correlationId: string;
}

export interface OutboxItem extends QueueItemBase {
    target: OutboxTarget;
    operation: string;
    idempotencyKey: string;
}

export type QueueItem = InboxItem | OutboxItem;

export interface FailInput {
    error: LastError;
    /** When to try again (the caller computes backoff with jitter). */
    retryAt: Millis;
}

export interface QuarantinedItem {
    queue: QueueName;
    id: number;
    orderingKey: string;
    /** Inbox: the source; outbox: the target. */
    origin: string;
    objectType: string | null;
    correlationId: string;
    attempts: number;
    lastError: LastError | null;
    updatedAt: Millis;
    /** failed: waiting to be retried at nextAttemptAt; quarantined: attempts used up (replay puts it back). */
    status: 'failed' | 'quarantined';
    nextAttemptAt: Millis;
}

export interface QueueRef {
    queue: QueueName;
    id: number;
}

// ---- stats ----

export interface QueueStats {
    byStatus: Record<QueueStatus, number>;
    /** Inbox: by source; outbox: by target. Counts per status. */
    byOrigin: Record<string, Partial<Record<QueueStatus, number>>>;
    byObject: Record<string, Partial<Record<QueueStatus, number>>>;
    /** Age of the oldest pending or failed item at `now`, 0 when none. */
    oldestPendingAgeMs: number;
}

export interface StoreStats {
    inbox: QueueStats;
    outbox: QueueStats;
    quarantined: number;
    openConflicts: number;
}

/** Appends events to the inbox, durably and deduplicated, with the channel position they cover. */
export interface InboxAppender {
    appendInbox(orgId: string, items: InboxInput[], checkpoint?: Checkpoint, now?: Millis): Promise<AppendResult>;
    getCheckpoint(orgId: string, channel: string): Promise<string | null>;
}

/** Claims due items of either queue and settles them (done, retried later, quarantined). */
export interface QueueClaims {
    claimInbox(orgId: string, worker: string, limit: number, now: Millis): Promise<InboxItem[]>;
    claimOutbox(orgId: string, worker: string, limit: number, now: Millis): Promise<OutboxItem[]>;
    /**
     * Ends every claim of the org now, in both queues, so the items can be claimed again at once (their attempt
     * counts). For a store only one process uses (SQLite) at that process's start: any claim is a dead run's.
     * Returns how many claims ended.
     */
    expireClaims(orgId: string, now: Millis): Promise<number>;
    complete(queue: QueueName, orgId: string, claim: ClaimRef, now: Millis): Promise<void>;
    /** Back to `failed` until `retryAt`, or `quarantined` once the item has used its attempts. */
    fail(
        queue: QueueName,
        orgId: string,
        claim: ClaimRef,
        input: FailInput,
        now: Millis
    ): Promise<'failed' | 'quarantined'>;
    /** Quarantines at once (an error no retry can fix). */
    quarantine(queue: QueueName, orgId: string, claim: ClaimRef, error: LastError, now: Millis): Promise<void>;
    getItem(queue: 'inbox', orgId: string, id: number): Promise<InboxItem | null>;
    getItem(queue: 'outbox', orgId: string, id: number): Promise<OutboxItem | null>;
}

/** What waits in quarantine, and putting it back. */
export interface QuarantineQueue {
    /** Quarantined items (and failed ones waiting for a retry, with `statuses`), newest first, at most `limit`. */
    listQuarantined(
        orgId: string,
        opts?: { queue?: QueueName; limit?: number; statuses?: readonly ('failed' | 'quarantined')[] }
    ): Promise<QuarantinedItem[]>;
    /** Puts quarantined items back to pending with attempts reset; returns how many moved. */
    replay(orgId: string, refs: QueueRef[] | 'all', now: Millis): Promise<number>;
}

/** Queue counts (metrics, /admin/status, alerts) and the purge of done rows. */
export interface QueueStatsReader {
    stats(orgId: string, now: Millis): Promise<StoreStats>;

    /** Deletes done inbox/outbox rows finished before `before` (keep them longer than senders retry: dedupe). */
    purgeDone(orgId: string, before: Millis): Promise<number>;
}
