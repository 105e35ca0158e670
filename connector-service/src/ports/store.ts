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
 */
import { ConnectorError } from '../domain/errors.ts';
import type { ChangeLogEntry, Conflict } from '../domain/planner.ts';
import type { PairState } from '../domain/syncState.ts';
import type { Json } from '../domain/transforms.ts';
import type { Clock } from '../clock.ts';

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

/** Epoch milliseconds. */
export type Millis = number;

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

// ---- linked pairs ----

export const SALESFORCE_LINK_KINDS = ['opportunity', 'contract', 'quote'] as const;
export type SalesforceLinkKind = (typeof SALESFORCE_LINK_KINDS)[number];
export type SalesforceLinks = Partial<Record<SalesforceLinkKind, string>>;

export interface ClmRef {
    vendor: string;
    objectType: string;
    id: string;
}

export interface PairLinks {
    salesforce?: SalesforceLinks;
    /** Added to the pair's set; refs already linked to the pair are ignored, none is ever removed. */
    clm?: ClmRef[];
}

export interface LinkedPair {
    orgId: string;
    pairId: string;
    salesforce: SalesforceLinks;
    clm: ClmRef[];
    state: PairState;
    /** Starts at 0; each commitPlan that writes the state increments it. */
    version: number;
    createdAt: Millis;
    updatedAt: Millis;
}

export type PairLookup = { pairId: string } | { salesforceId: string } | { clm: ClmRef };

// ---- commitPlan ----

export interface ChangeLogInput extends ChangeLogEntry {
    pairId: string;
}

export interface ConflictInput extends Conflict {
    pairId: string;
}

export interface PlanCommit {
    orgId: string;
    /** The inbox item the plan answers: marked done in the same transaction (STORE.CLAIM_LOST if not held). */
    inbox?: ClaimRef;
    /** The pair's new state; `expectedVersion` is the version read before planning (STORE.CONCURRENT_UPDATE if moved). */
    pair?: { pairId: string; expectedVersion: number; state: PairState };
    changeLog?: ChangeLogInput[];
    outbox?: OutboxInput[];
    conflicts?: ConflictInput[];
    /** Open conflicts this plan settles (a person's resolution applied): closed in the same transaction. */
    resolvedConflicts?: { pairId: string; rule: string }[];
    now: Millis;
}

export interface CommitResult {
    /** The pair's version after the commit (absent when the commit carried no pair state). */
    pairVersion?: number;
    /** Outbox rows written; items whose idempotency key already existed are left out. */
    outboxIds: number[];
    outboxDuplicates: number;
    /** Change-log sequence numbers appended (an entry whose idempotency key exists is skipped). */
    changeLogSeqs: number[];
    conflictIds: number[];
}

// ---- change log ----

export interface ChangeLogRecord extends ChangeLogInput {
    orgId: string;
    /** 1, 2, 3… per org. */
    seq: number;
    at: Millis;
    prevHash: string;
    /** sha256(prevHash + canonical JSON of the entry), hex. */
    hash: string;
}

export type ChainVerification =
    | { ok: true; count: number; headHash: string }
    | { ok: false; count: number; brokenAt: number; reason: 'hash' | 'link' | 'sequence' | 'head' };

export interface ConflictRecord extends ConflictInput {
    id: number;
    orgId: string;
    status: 'open' | 'resolved';
    createdAt: Millis;
    resolvedAt: Millis | null;
}

// ---- leases ----

export interface Lease {
    name: string;
    holder: string;
    expiresAt: Millis;
    /** Increases each time the lease changes hands: a fencing token. */
    generation: number;
}

export type LeaseResult = { acquired: true; lease: Lease } | { acquired: false; current: Lease | null };

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

// ---- backfill jobs ----

export const BACKFILL_STATES = ['Queued', 'Running', 'Completed', 'Failed'] as const;
export type BackfillState = (typeof BACKFILL_STATES)[number];
/** read: the records are being read (a Bulk query job may be running); plan: linked and planned in batches; write: the planned Salesforce writes are being sent; done. */
export const BACKFILL_PHASES = ['read', 'plan', 'write', 'done'] as const;
export type BackfillPhase = (typeof BACKFILL_PHASES)[number];
export type BackfillTransport = 'bulk' | 'rest';

export interface BackfillJob {
    orgId: string;
    jobId: string;
    object: string;
    /** ISO date or date-time: only records modified since then. */
    since: string | null;
    state: BackfillState;
    phase: BackfillPhase;
    /** Chosen once the records are counted: Bulk API 2.0 above the threshold, REST below. */
    transport: BackfillTransport | null;
    /** Records read; null until counted. */
    total: number | null;
    /** Records linked and planned (the position in the read snapshot: a restart goes on from here). */
    processed: number;
    /** Records linked to a CLM contract. */
    linked: number;
    /** Salesforce record writes confirmed. */
    written: number;
    /** Records that failed: planning errors, link conflicts, writes refused (those go to the outbox and its error queue). */
    errors: number;
    /** The last record id planned (records go in Id order): a restart goes on after it. */
    cursor: string | null;
    /** The Bulk 2.0 query job the records come from: a restart reads the same job's results instead of a new one. */
    queryJobId: string | null;
    lastError: LastError | null;
    createdAt: Millis;
    updatedAt: Millis;
    finishedAt: Millis | null;
}

export type BackfillJobPatch = Partial<
    Pick<BackfillJob, 'state' | 'phase' | 'transport' | 'total' | 'queryJobId' | 'lastError' | 'finishedAt'>
>;

/** A Salesforce write a backfill planned, kept until it is confirmed (Bulk 2.0 ingest or REST). */
export interface BackfillWrite {
    id: number;
    sfObject: string;
    recordId: string;
    pairId: string;
    fields: Record<string, string | number | boolean | null>;
    status: 'pending' | 'sent' | 'done' | 'failed';
    /** The Bulk ingest job the write went out in: a restart polls that job instead of sending the write again. */
    bulkJobId: string | null;
    correlationId: string;
}

/** One record of a backfill batch that has something to store: its pair (created when new), links and what its plan produced. */
export interface BackfillRecordCommit {
    pairId: string;
    /** Links to add; a new pair is created with them. */
    links: PairLinks;
    /** The pair's version read before planning (null: the pair does not exist yet). */
    expectedVersion: number | null;
    /** The pair's new state. */
    state: PairState;
    changeLog?: ChangeLogInput[];
    conflicts?: ConflictInput[];
    outbox?: OutboxInput[];
    writes?: { sfObject: string; recordId: string; fields: Record<string, string | number | boolean | null> }[];
    correlationId: string;
}

export interface BackfillBatchCommit {
    orgId: string;
    jobId: string;
    /** The job's `processed` before this batch: a second runner on the same job fails (STORE.CONCURRENT_UPDATE). */
    expectedProcessed: number;
    /** Records this batch covers, those with nothing to store and failed ones included. */
    count: number;
    /** Of those, linked to a contract, and failed. */
    linked: number;
    errors: number;
    /** The last record id the batch covers: a restart goes on after it. */
    cursor: string;
    records: BackfillRecordCommit[];
    now: Millis;
}

export interface BackfillWriteOutcome {
    id: number;
    ok: boolean;
    error?: LastError;
}

export interface StorePort {
    readonly kind: 'sqlite' | 'postgres';

    // inbox + checkpoint
    appendInbox(orgId: string, items: InboxInput[], checkpoint?: Checkpoint, now?: Millis): Promise<AppendResult>;
    getCheckpoint(orgId: string, channel: string): Promise<string | null>;

    // claiming (inbox and outbox alike)
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

    // quarantine and replay
    /** Quarantined items (and failed ones waiting for a retry, with `statuses`), newest first, at most `limit`. */
    listQuarantined(
        orgId: string,
        opts?: { queue?: QueueName; limit?: number; statuses?: readonly ('failed' | 'quarantined')[] }
    ): Promise<QuarantinedItem[]>;
    /** Puts quarantined items back to pending with attempts reset; returns how many moved. */
    replay(orgId: string, refs: QueueRef[] | 'all', now: Millis): Promise<number>;

    // pairs
    createPair(orgId: string, pairId: string, links: PairLinks, now: Millis): Promise<LinkedPair>;
    linkPair(orgId: string, pairId: string, links: PairLinks, now: Millis): Promise<LinkedPair>;
    findPair(orgId: string, lookup: PairLookup): Promise<LinkedPair | null>;
    /** Pairs in pair id order, a page at a time (the audit reads every pair). */
    listPairs(orgId: string, opts: { afterPairId?: string; limit: number }): Promise<LinkedPair[]>;

    commitPlan(commit: PlanCommit): Promise<CommitResult>;

    // change log (append happens only through commitPlan)
    readChangeLog(
        orgId: string,
        opts?: { afterSeq?: number; limit?: number; pairId?: string }
    ): Promise<ChangeLogRecord[]>;
    verifyChangeLog(orgId: string): Promise<ChainVerification>;
    listConflicts(
        orgId: string,
        opts?: { pairId?: string; status?: 'open' | 'resolved'; limit?: number }
    ): Promise<ConflictRecord[]>;

    // leases
    acquireLease(name: string, holder: string, ttlMs: number, now: Millis): Promise<LeaseResult>;
    /** Extends a lease this holder still has; false when it lapsed and someone else took it. */
    renewLease(name: string, holder: string, ttlMs: number, now: Millis): Promise<boolean>;
    releaseLease(name: string, holder: string): Promise<boolean>;

    // org binding
    /** Remembers the org for this connector; STORE.ORG_MISMATCH when it is bound to another one. */
    bindOrg(connector: string, orgId: string, now: Millis): Promise<void>;
    /** An admin's decision: the connector's state now belongs to `orgId`. */
    relinkOrg(connector: string, orgId: string, now: Millis): Promise<{ previousOrgId: string | null }>;
    boundOrg(connector: string): Promise<string | null>;

    // backfill jobs
    createBackfillJob(
        orgId: string,
        input: { jobId: string; object: string; since: string | null },
        now: Millis
    ): Promise<BackfillJob>;
    getBackfillJob(orgId: string, jobId: string): Promise<BackfillJob | null>;
    /** Newest first; `unfinished` keeps Queued and Running ones (what a restart resumes). */
    listBackfillJobs(orgId: string, opts?: { unfinished?: boolean; limit?: number }): Promise<BackfillJob[]>;
    updateBackfillJob(orgId: string, jobId: string, patch: BackfillJobPatch, now: Millis): Promise<BackfillJob>;
    /**
     * One transaction for a batch of records: pairs created or linked, pair states (version-checked), change log,
     * conflicts, outbox items and the Salesforce writes to send, and the job's counters and cursor.
     */
    commitBackfillBatch(commit: BackfillBatchCommit): Promise<BackfillJob>;
    listBackfillWrites(
        orgId: string,
        jobId: string,
        opts: { status: BackfillWrite['status']; sfObject?: string; bulkJobId?: string; limit?: number }
    ): Promise<BackfillWrite[]>;
    /** Marks writes as sent in a Bulk ingest job (or back to pending with null), before the job gets its data. */
    assignBackfillWrites(
        orgId: string,
        jobId: string,
        ids: number[],
        bulkJobId: string | null,
        now: Millis
    ): Promise<void>;
    /**
     * Settles sent writes, done or failed, in one transaction with `outbox` (the caller queues each failed write
     * there as an ordinary Salesforce write: retried, then quarantined into the error queue); the job counts them.
     */
    settleBackfillWrites(settle: {
        orgId: string;
        jobId: string;
        outcomes: BackfillWriteOutcome[];
        outbox?: OutboxInput[];
        now: Millis;
    }): Promise<BackfillJob>;

    stats(orgId: string, now: Millis): Promise<StoreStats>;

    /** Deletes done inbox/outbox rows finished before `before` (keep them longer than senders retry: dedupe). */
    purgeDone(orgId: string, before: Millis): Promise<number>;
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
