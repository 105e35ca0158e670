// In-memory record storage with transactions. Every write goes through a Transaction, which journals the
// previous state of each row so the whole unit (or everything after a savepoint) can be rolled back, and
// collects the changes the transaction hook publishes on commit.
import { randomUUID } from 'node:crypto';

export type SfValue = string | number | boolean | null;
export type SfRecord = Record<string, SfValue>;

export type ChangeType = 'CREATE' | 'UPDATE' | 'DELETE' | 'UNDELETE';

export interface FieldChange {
    old: SfValue;
    new: SfValue;
}

export interface RecordChange {
    sobject: string;
    id: string;
    changeType: ChangeType;
    /** Fields whose value changed (CREATE: every field set; DELETE: none). */
    fields: Record<string, FieldChange>;
    /** The row after the change (before it, for DELETE). */
    record: SfRecord;
}

export interface PublishedEvent {
    sobject: string;
    uuid: string;
    fields: SfRecord;
}

export class RecordStore {
    private tables = new Map<string, Map<string, SfRecord>>();

    table(sobject: string): Map<string, SfRecord> {
        let t = this.tables.get(sobject);
        if (!t) {
            t = new Map();
            this.tables.set(sobject, t);
        }
        return t;
    }

    get(sobject: string, id: string): SfRecord | undefined {
        return this.tables.get(sobject)?.get(id);
    }

    rows(sobject: string): SfRecord[] {
        return [...(this.tables.get(sobject)?.values() ?? [])];
    }

    /** Raw write without journaling: seeding only. */
    seed(sobject: string, record: SfRecord): void {
        this.table(sobject).set(String(record.Id), record);
    }

    clear(): void {
        this.tables.clear();
    }
}

export interface TransactionContext {
    api: 'rest' | 'bulkapi';
    apiVersion: string;
    /** The value after `client=` in Sforce-Call-Options, when sent. */
    clientId: string | null;
    callOptions: string | null;
    userId: string;
}

export class Transaction {
    readonly key = randomUUID();
    private journal: { sobject: string; id: string; prev: SfRecord | undefined }[] = [];
    readonly changes: RecordChange[] = [];
    readonly events: PublishedEvent[] = [];
    done = false;

    constructor(
        readonly store: RecordStore,
        readonly context: TransactionContext
    ) {}

    write(sobject: string, record: SfRecord, change: Omit<RecordChange, 'record' | 'sobject' | 'id'>): void {
        const id = String(record.Id);
        const table = this.store.table(sobject);
        this.journal.push({ sobject, id, prev: table.get(id) });
        table.set(id, record);
        this.changes.push({ sobject, id, record: { ...record }, ...change });
    }

    savepoint(): { journal: number; changes: number; events: number } {
        return { journal: this.journal.length, changes: this.changes.length, events: this.events.length };
    }

    rollbackTo(sp: { journal: number; changes: number; events: number }): void {
        while (this.journal.length > sp.journal) {
            const entry = this.journal.pop()!;
            const table = this.store.table(entry.sobject);
            if (entry.prev) table.set(entry.id, entry.prev);
            else table.delete(entry.id);
        }
        this.changes.length = sp.changes;
        this.events.length = sp.events;
    }

    rollback(): void {
        this.rollbackTo({ journal: 0, changes: 0, events: 0 });
        this.done = true;
    }
}
