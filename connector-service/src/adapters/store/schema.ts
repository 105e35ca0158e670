/**
 * The store's tables, one definition for both dialects. Times are epoch milliseconds (BIGINT on PostgreSQL);
 * JSON is kept as text so the change log hashes exactly what it stored.
 */
import type { Dialect } from './sqlDriver.ts';

const TYPES: Record<Dialect, { id: string; int8: string }> = {
    sqlite: { id: 'INTEGER PRIMARY KEY AUTOINCREMENT', int8: 'INTEGER' },
    postgres: { id: 'BIGSERIAL PRIMARY KEY', int8: 'BIGINT' }
};

/** Columns shared by the inbox and the outbox: both are claimed, retried and quarantined the same way. */
const QUEUE_COLUMNS = `
    ordering_key TEXT NOT NULL,
    object_type TEXT,
    payload TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INT8 NOT NULL,
    claimed_by TEXT,
    claim_expires_at INT8,
    last_error_code TEXT,
    last_error_message TEXT,
    created_at INT8 NOT NULL,
    updated_at INT8 NOT NULL`;

const V1 = [
    `CREATE TABLE org_bindings (
        connector TEXT PRIMARY KEY,
        org_id TEXT NOT NULL,
        previous_org_id TEXT,
        bound_at INT8 NOT NULL
    )`,
    `CREATE TABLE checkpoints (
        org_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        replay_id TEXT NOT NULL,
        updated_at INT8 NOT NULL,
        PRIMARY KEY (org_id, channel)
    )`,
    `CREATE TABLE inbox (
        id ID,
        org_id TEXT NOT NULL,
        source TEXT NOT NULL,
        event_id TEXT NOT NULL,${QUEUE_COLUMNS},
        UNIQUE (org_id, source, event_id)
    )`,
    // The claim walks unfinished items in id order (_queue) and checks each is its key's oldest (_active);
    // finished rows stay out of both indexes.
    `CREATE INDEX inbox_active ON inbox (org_id, ordering_key, id) WHERE status IN ('pending', 'processing', 'failed')`,
    `CREATE INDEX inbox_queue ON inbox (org_id, id) WHERE status IN ('pending', 'processing', 'failed')`,
    `CREATE INDEX inbox_status ON inbox (org_id, status, updated_at)`,
    `CREATE TABLE outbox (
        id ID,
        org_id TEXT NOT NULL,
        target TEXT NOT NULL,
        operation TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,${QUEUE_COLUMNS},
        UNIQUE (org_id, idempotency_key)
    )`,
    `CREATE INDEX outbox_active ON outbox (org_id, ordering_key, id) WHERE status IN ('pending', 'processing', 'failed')`,
    `CREATE INDEX outbox_queue ON outbox (org_id, id) WHERE status IN ('pending', 'processing', 'failed')`,
    `CREATE INDEX outbox_status ON outbox (org_id, status, updated_at)`,
    `CREATE TABLE pairs (
        org_id TEXT NOT NULL,
        pair_id TEXT NOT NULL,
        state TEXT NOT NULL,
        version INT8 NOT NULL,
        created_at INT8 NOT NULL,
        updated_at INT8 NOT NULL,
        PRIMARY KEY (org_id, pair_id)
    )`,
    // ref_type: sf:opportunity | sf:contract | sf:quote | clm:<vendor>:<objectType>. ref_key: the lookup key
    // (a Salesforce id's case-sensitive first 15 characters, so 15- and 18-character ids find the same pair).
    `CREATE TABLE pair_links (
        org_id TEXT NOT NULL,
        ref_type TEXT NOT NULL,
        ref_key TEXT NOT NULL,
        external_id TEXT NOT NULL,
        pair_id TEXT NOT NULL,
        created_at INT8 NOT NULL,
        PRIMARY KEY (org_id, ref_type, ref_key)
    )`,
    `CREATE INDEX pair_links_by_pair ON pair_links (org_id, pair_id)`,
    `CREATE INDEX pair_links_by_key ON pair_links (org_id, ref_key)`,
    `CREATE UNIQUE INDEX pair_links_one_sf_kind ON pair_links (org_id, pair_id, ref_type) WHERE ref_type LIKE 'sf:%'`,
    `CREATE TABLE change_log (
        org_id TEXT NOT NULL,
        seq INT8 NOT NULL,
        pair_id TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        at INT8 NOT NULL,
        entry TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        PRIMARY KEY (org_id, seq),
        UNIQUE (org_id, idempotency_key)
    )`,
    `CREATE INDEX change_log_by_pair ON change_log (org_id, pair_id, seq)`,
    // The chain's head per org: appends lock this row, so concurrent instances extend one chain.
    `CREATE TABLE change_log_heads (
        org_id TEXT PRIMARY KEY,
        seq INT8 NOT NULL,
        hash TEXT NOT NULL
    )`,
    `CREATE TABLE conflicts (
        id ID,
        org_id TEXT NOT NULL,
        pair_id TEXT NOT NULL,
        rule TEXT NOT NULL,
        event_id TEXT NOT NULL,
        body TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at INT8 NOT NULL,
        resolved_at INT8,
        UNIQUE (org_id, pair_id, rule, event_id)
    )`,
    `CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at INT8 NOT NULL,
        generation INT8 NOT NULL
    )`
];

// Queue rows are updated several times each: vacuum them early (dead tuples slow SKIP LOCKED scans), and
// analyze them early so the claim's plan uses the per-key index from the first minutes of a burst.
const V1_POSTGRES = ['inbox', 'outbox'].map(
    (table) =>
        `ALTER TABLE ${table} SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 200)`
);

// Backfill jobs and the Salesforce writes they planned: a killed run resumes from the job's cursor and polls the
// Bulk jobs it already started, so nothing is read or written twice.
const V2 = [
    `CREATE TABLE backfill_jobs (
        org_id TEXT NOT NULL,
        job_id TEXT NOT NULL,
        object TEXT NOT NULL,
        since TEXT,
        state TEXT NOT NULL,
        phase TEXT NOT NULL,
        transport TEXT,
        total INT8,
        processed INT8 NOT NULL DEFAULT 0,
        linked INT8 NOT NULL DEFAULT 0,
        written INT8 NOT NULL DEFAULT 0,
        errors INT8 NOT NULL DEFAULT 0,
        query_job_id TEXT,
        last_error_code TEXT,
        last_error_message TEXT,
        created_at INT8 NOT NULL,
        updated_at INT8 NOT NULL,
        finished_at INT8,
        PRIMARY KEY (org_id, job_id)
    )`,
    `CREATE TABLE backfill_writes (
        id ID,
        org_id TEXT NOT NULL,
        job_id TEXT NOT NULL,
        sf_object TEXT NOT NULL,
        record_id TEXT NOT NULL,
        pair_id TEXT NOT NULL,
        fields TEXT NOT NULL,
        correlation_id TEXT NOT NULL,
        status TEXT NOT NULL,
        bulk_job_id TEXT,
        error_code TEXT,
        error_message TEXT,
        updated_at INT8 NOT NULL,
        UNIQUE (org_id, job_id, sf_object, record_id)
    )`,
    `CREATE INDEX backfill_writes_by_status ON backfill_writes (org_id, job_id, status, sf_object, id)`
];

const V3 = [`ALTER TABLE backfill_jobs ADD COLUMN cursor TEXT`];

export function migrations(dialect: Dialect): { version: number; statements: string[] }[] {
    const types = TYPES[dialect];
    const render = (sql: string) => sql.replace(/\bID\b/g, types.id).replace(/\bINT8\b/g, types.int8);
    return [
        { version: 1, statements: [...V1.map(render), ...(dialect === 'postgres' ? V1_POSTGRES : [])] },
        { version: 2, statements: V2.map(render) },
        { version: 3, statements: V3 }
    ];
}
