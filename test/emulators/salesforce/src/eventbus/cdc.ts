// Change Data Capture: one change event per record per committed transaction (sf-wire.md §4.2). Several
// changes to one record inside a transaction (a create then a roll-up update) collapse into one; identical
// changes to several records of one entity merge into one event whose recordIds lists them all. The header's
// field lists are the Pub/Sub bitmaps over the served Avro schema.
import type { CommittedTransaction } from '../hook.ts';
import type { RecordChange, SfRecord, SfValue } from '../store.ts';
import { fieldBitmaps, payloadValues, type ChangeEventHeader, type EventSchema } from './schemas.ts';

export interface CdcEvent {
    schema: EventSchema;
    header: ChangeEventHeader;
    values: Record<string, unknown>;
}

interface Collapsed {
    sobject: string;
    id: string;
    changeType: RecordChange['changeType'];
    /** Changed fields with their values after the transaction (UPDATE). */
    changed: Map<string, SfValue>;
    record: SfRecord;
}

/** One entry per record: CREATE+UPDATE stays a CREATE, UPDATE+UPDATE unions, CREATE+DELETE vanishes. */
function collapse(changes: RecordChange[]): Collapsed[] {
    const byRecord = new Map<string, Collapsed>();
    for (const c of changes) {
        const key = `${c.sobject}/${c.id}`;
        const prev = byRecord.get(key);
        if (!prev) {
            const changed = new Map<string, SfValue>();
            for (const [name, v] of Object.entries(c.fields)) changed.set(name, v.new);
            byRecord.set(key, { sobject: c.sobject, id: c.id, changeType: c.changeType, changed, record: c.record });
            continue;
        }
        if (c.changeType === 'DELETE') {
            if (prev.changeType === 'CREATE') byRecord.delete(key);
            else Object.assign(prev, { changeType: 'DELETE', record: c.record, changed: new Map() });
            continue;
        }
        for (const [name, v] of Object.entries(c.fields)) prev.changed.set(name, v.new);
        prev.record = c.record;
    }
    return [...byRecord.values()];
}

/** Values compared at one-second precision, as the platform merges "within the same second". */
function mergeKey(c: Collapsed): string {
    const norm = (v: SfValue) =>
        typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/.test(v) ? v.slice(0, 19) : v;
    const fields = c.changeType === 'UPDATE' ? [...c.changed.entries()] : [];
    return JSON.stringify([c.sobject, c.changeType, fields.map(([k, v]) => [k, norm(v)]).sort()]);
}

export function changeEvents(
    tx: CommittedTransaction,
    opts: { selected: (sobject: string) => boolean; schemaOf: (sobject: string) => EventSchema; merge: boolean }
): CdcEvent[] {
    const records = collapse(tx.changes).filter((c) => opts.selected(c.sobject));
    const groups: Collapsed[][] = [];
    const byKey = new Map<string, Collapsed[]>();
    for (const c of records) {
        // Creates and undeletes carry a whole record: they merge only when every value is the same.
        const key = opts.merge && (c.changeType === 'UPDATE' || c.changeType === 'DELETE') ? mergeKey(c) : undefined;
        const group = key ? byKey.get(key) : undefined;
        if (group) group.push(c);
        else {
            const fresh = [c];
            if (key) byKey.set(key, fresh);
            groups.push(fresh);
        }
    }
    return groups.map((group, i) => {
        const first = group[0]!;
        const schema = opts.schemaOf(first.sobject);
        const changedNames = first.changeType === 'UPDATE' ? [...first.changed.keys()] : [];
        const nulled = changedNames.filter((n) => first.changed.get(n) === null);
        const header: ChangeEventHeader = {
            entityName: first.sobject,
            recordIds: group.map((c) => c.id),
            changeType: first.changeType,
            changeOrigin: tx.changeOrigin,
            transactionKey: tx.transactionKey,
            sequenceNumber: i + 1,
            commitTimestamp: tx.commitTimestamp,
            commitNumber: tx.commitNumber,
            commitUser: tx.userId,
            nulledFields: fieldBitmaps(schema, nulled),
            diffFields: [],
            changedFields: fieldBitmaps(schema, changedNames)
        };
        const only =
            first.changeType === 'UPDATE'
                ? new Set(changedNames)
                : first.changeType === 'DELETE'
                  ? new Set<string>()
                  : undefined;
        return { schema, header, values: { ChangeEventHeader: header, ...payloadValues(schema, first.record, only) } };
    });
}

/** A gap or overflow event: the header only, every body field null. */
export function gapEvent(schema: EventSchema, header: ChangeEventHeader): { values: Record<string, unknown> } {
    return { values: { ChangeEventHeader: header, ...payloadValues(schema, {}, new Set()) } };
}
