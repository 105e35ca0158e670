/**
 * Backfill jobs: the job, its batches of records and the Salesforce writes it sends.
 */
import type { PairState } from '../../domain/syncState.ts';
import type { Millis } from './millis.ts';
import type { ChangeLogInput, ConflictInput, PairLinks } from './pairs.ts';
import type { LastError, OutboxInput } from './queues.ts';

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

/** Creates, advances and reads backfill jobs. */
export interface BackfillJobStore {
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
}
