/**
 * The SystemModstamp reconcile: what the Pub/Sub stream could not deliver is read back from the org and queued as
 * ordinary `sf.change` inbox items, so nothing is skipped silently. pubsubIngest.ts runs it when
 * - the org refuses the stored replay id (older than the 72-hour retention, or unknown): every record of the
 *   channel's object modified since the channel's watermark (the commit time of the last event stored, less a
 *   margin for transactions that committed after they stamped their rows);
 * - a gap event names records (GAP_CREATE … GAP_UNDELETE): those records, read by id, up to 2,000 per call;
 * - an overflow event (GAP_OVERFLOW) names none: every record of the object modified since the watermark.
 *
 * A record becomes one change carrying every field the rules read from that object, versioned by its
 * SystemModstamp with sequence 0: a change event of the same write (commitTimestamp ≥ SystemModstamp, its commit
 * number) is never older, so the planner's per-field versions make an overlap with the stream harmless. Its event
 * id is `<recordId>@<SystemModstamp>`, so a reconcile that runs twice, or a gap and a watermark reconcile that
 * meet, store the record once.
 */
import { select, where, type RuleSet, type SalesforceChange } from '../domain/index.ts';
import type { SalesforcePort, SalesforceRecord } from '../ports/salesforce.ts';
import type { Checkpoint, InboxAppender, InboxInput, PairStore } from '../ports/store.ts';
import { asJson } from './payloads.ts';

/** The stable code of every log line that reports a reconcile (with `reason` and `channel`). */
export const RECONCILE_LOG_CODE = 'INGEST.RECONCILE';
/** Ids per read (the platform's SOQL IN-list and retrieve guidance: 2,000). */
export const READ_BY_ID_BATCH = 2000;
/** Inbox rows per store transaction. */
export const DEFAULT_RECONCILE_BATCH = 500;
/** How long before its commit a transaction may have stamped its rows (SystemModstamp ≤ commitTimestamp). */
export const DEFAULT_RECONCILE_MARGIN_MS = 5 * 60_000;

export type ReconcileReason = 'replay-id-refused' | 'gap' | 'overflow';

/** The checkpoint name under which a channel's watermark (an ISO instant, Salesforce's clock) is stored. */
export function watermarkChannel(channel: string): string {
    return `reconcile:${channel}`;
}

/** `/data/OpportunityChangeEvent` → `Opportunity`, `/data/SBQQ__Quote__ChangeEvent` → `SBQQ__Quote__c`; else null. */
export function objectOfChannel(channel: string): string | null {
    const match = /^\/data\/([A-Za-z][A-Za-z0-9_]*?)(__)?ChangeEvent$/.exec(channel);
    if (!match) return null;
    return match[2] ? `${match[1]}__c` : match[1]!;
}

/** The Salesforce fields the rules read, per object: what a reconciled record must carry. */
export function reconcileFieldsFromRules(rules: RuleSet): Record<string, string[]> {
    const fields: Record<string, Set<string>> = {};
    for (const rule of rules.rules) {
        const set = (fields[rule.sfObject] ??= new Set());
        rule.sourceFields.forEach((field) => set.add(field));
    }
    return Object.fromEntries(Object.entries(fields).map(([sfObject, set]) => [sfObject, [...set].sort()]));
}

/** The statement of a since-watermark reconcile (every record when `since` is null), oldest first. */
export function modifiedSinceQuery(sfObject: string, fields: readonly string[], since: number | null) {
    return select(['Id', 'SystemModstamp', ...fields], sfObject, {
        ...(since === null ? {} : { where: where.gt('SystemModstamp', new Date(since)) }),
        orderBy: [{ field: 'SystemModstamp' }]
    });
}

/** A record read back from the org as the change it stands for. */
export function changeFromRecord(
    sfObject: string,
    fields: readonly string[],
    record: SalesforceRecord,
    correlationId: string
): SalesforceChange | null {
    const modstamp = Date.parse(String(record.SystemModstamp ?? ''));
    if (typeof record.Id !== 'string' || Number.isNaN(modstamp)) return null;
    const at = new Date(modstamp).toISOString();
    const values: Record<string, unknown> = {};
    for (const field of fields) values[field] = record[field] ?? null;
    return {
        source: 'salesforce',
        sfObject,
        recordId: record.Id,
        eventId: `${record.Id}@${at}`,
        correlationId,
        version: { at, seq: 0 },
        values,
        changedFields: [...fields]
    };
}

export interface ReconcileRequest {
    orgId: string;
    /** The channel whose delivery failed; the items' source is `salesforce:<channel>:reconcile`. */
    channel: string;
    sfObject: string;
    /** Fields to read (the rules' source fields of the object). */
    fields: readonly string[];
    reason: ReconcileReason;
    /** Read these records by id… */
    recordIds?: readonly string[];
    /** …or every record modified after this instant (epoch ms, Salesforce's clock); null: every record. */
    since?: number | null;
    /** Committed with the last batch (or alone when nothing was read): a gap event's replay id. */
    checkpoint?: Checkpoint;
    correlationId: string;
    batchSize?: number;
}

export interface ReconcileResult {
    /** Records read from the org. */
    read: number;
    /** Inbox rows written (already stored ones left out). */
    queued: number;
    duplicates: number;
    /** The records read, in the order queued. */
    recordIds: string[];
    /** The newest SystemModstamp read (epoch ms), null when nothing was read. */
    newestModstamp: number | null;
}

export interface ReconcileDeps {
    store: Pick<InboxAppender, 'appendInbox'> & Pick<PairStore, 'findPair'>;
    salesforce: Pick<SalesforcePort, 'query' | 'readByIds'>;
}

async function readRecords(deps: ReconcileDeps, request: ReconcileRequest): Promise<SalesforceRecord[]> {
    const { sfObject, fields } = request;
    if (!request.recordIds) return deps.salesforce.query(modifiedSinceQuery(sfObject, fields, request.since ?? null));
    const records: SalesforceRecord[] = [];
    const ids = [...new Set(request.recordIds)];
    for (let start = 0; start < ids.length; start += READ_BY_ID_BATCH) {
        const chunk = ids.slice(start, start + READ_BY_ID_BATCH);
        records.push(...(await deps.salesforce.readByIds(sfObject, ['SystemModstamp', ...fields], chunk)));
    }
    return records;
}

/** Reads the records and appends them to the inbox in batches; the checkpoint goes with the last batch. */
export async function reconcile(deps: ReconcileDeps, request: ReconcileRequest): Promise<ReconcileResult> {
    const { store } = deps;
    const { orgId, channel, sfObject, fields } = request;
    const records = await readRecords(deps, request);
    const changes = records
        .map((record) => changeFromRecord(sfObject, fields, record, request.correlationId))
        .filter((change): change is SalesforceChange => change !== null);
    const result: ReconcileResult = {
        read: records.length,
        queued: 0,
        duplicates: 0,
        recordIds: changes.map((change) => change.recordId),
        newestModstamp: changes.reduce<number | null>((newest, change) => {
            const at = Date.parse(change.version.at);
            return newest === null || at > newest ? at : newest;
        }, null)
    };
    const batchSize = request.batchSize ?? DEFAULT_RECONCILE_BATCH;
    for (let start = 0; start < changes.length || start === 0; start += batchSize) {
        const items: InboxInput[] = [];
        for (const change of changes.slice(start, start + batchSize)) {
            const pair = await store.findPair(orgId, { salesforceId: change.recordId });
            items.push({
                source: `salesforce:${channel}:reconcile`,
                eventId: change.eventId,
                orderingKey: pair?.pairId ?? `sf:${change.recordId}`,
                objectType: sfObject,
                payload: asJson({ kind: 'sf.change', change }),
                correlationId: request.correlationId
            });
        }
        const checkpoint = start + batchSize >= changes.length ? request.checkpoint : undefined;
        if (items.length === 0 && !checkpoint) continue;
        const appended = await store.appendInbox(orgId, items, checkpoint);
        result.queued += appended.insertedIds.length;
        result.duplicates += appended.duplicates;
    }
    return result;
}
