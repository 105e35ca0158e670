// An in-memory Salesforce org implementing the port the engine uses (ports/salesforce.ts), for the deterministic
// simulation: records in maps, every committed change turned into a Change Data Capture event (header as the
// platform sends it: changeOrigin with the writer's client id, commit time on the simulation's clock), and seeded
// faults the simulation arms — a whole call refused (REQUEST_LIMIT_EXCEEDED), a record locked (UNABLE_TO_LOCK_ROW),
// or the answer lost after the write committed. It tells its listener every committed change, so the history is
// recorded from the org's side, never from the connector's say-so.
import { ConnectorError, type Soql } from '../../src/domain/index.ts';
import type {
    ApiBudget,
    RecordWrite,
    RecordWriteResult,
    SalesforcePort,
    SalesforceRecord
} from '../../src/ports/salesforce.ts';
import type { DecodedEvent } from '../../src/adapters/salesforce/pubsub/changeEvents.ts';
import type { Clock } from '../../src/clock.ts';

export interface CommittedChange {
    sobject: string;
    id: string;
    /** Field → new value, only the fields whose value changed. */
    fields: Record<string, unknown>;
    /** Fields the write set to the value the record already held (a write applied again). */
    unchanged: string[];
    byConnector: boolean;
    at: number;
    created: boolean;
}

export type SalesforceFault = 'requestLimit' | 'lockRow' | 'lostResponse';

const ID_PREFIX: Record<string, string> = { Account: '001', Contract: '800', Opportunity: '006' };

export class SimSalesforce implements SalesforcePort {
    private readonly records = new Map<string, { sobject: string; fields: Record<string, unknown> }>();
    private nextId = 1;
    private commitNumber = 0;
    private calls = 0;
    /** Faults armed for the next write calls, consumed in order. */
    readonly faults: SalesforceFault[] = [];
    /** The next write commits and then never answers: the process died inside the call. */
    crashNext = false;
    /** Change events not yet delivered to the connector, in commit order (the simulation delivers them). */
    readonly cdc: DecodedEvent[] = [];
    /** Platform events the connector published. */
    readonly published: { eventName: string; payload: Record<string, unknown> }[] = [];

    constructor(
        private readonly clock: Clock,
        private readonly connectorClientId: string,
        private readonly onCommit: (change: CommittedChange) => void
    ) {}

    /** A record as a person (or the fixture) creates it: `created` values come with a CREATE change event. */
    seed(sobject: string, fields: Record<string, unknown>, created?: Record<string, unknown>): string {
        const id = `${ID_PREFIX[sobject] ?? 'a0X'}SIM${String(this.nextId++).padStart(9, '0')}AAA`;
        this.records.set(id, { sobject, fields: { Id: id, ...fields } });
        if (created) this.commit(sobject, id, created, false, true);
        return id;
    }

    get(id: string): Record<string, unknown> | undefined {
        return this.records.get(id)?.fields;
    }

    /** Records of one type (conflict records, sync errors). */
    rows(sobject: string): Record<string, unknown>[] {
        return [...this.records.values()].filter((record) => record.sobject === sobject).map((record) => record.fields);
    }

    /** A person's edit in the org. */
    edit(id: string, fields: Record<string, unknown>): void {
        this.commit(this.records.get(id)!.sobject, id, fields, false, false);
    }

    private commit(
        sobject: string,
        id: string,
        fields: Record<string, unknown>,
        byConnector: boolean,
        created: boolean
    ) {
        const record = this.records.get(id)!;
        const changed: Record<string, unknown> = {};
        const unchanged: string[] = [];
        for (const [field, value] of Object.entries(fields)) {
            if (record.fields[field] === value) {
                unchanged.push(field);
                continue;
            }
            record.fields[field] = value;
            changed[field] = value;
        }
        const at = this.clock.now();
        record.fields.LastModifiedDate = new Date(at).toISOString();
        this.onCommit({ sobject, id, fields: changed, unchanged, byConnector, at, created });
        if (!(sobject in ID_PREFIX)) return;
        this.commitNumber += 1;
        this.cdc.push({
            replayId: this.commitNumber,
            payload: {
                ChangeEventHeader: {
                    entityName: sobject,
                    recordIds: [id],
                    changeType: created ? 'CREATE' : 'UPDATE',
                    changeOrigin: `com/salesforce/api/rest/62.0${byConnector ? `;client=${this.connectorClientId}` : ''}`,
                    transactionKey: `tx-${this.commitNumber}`,
                    commitTimestamp: at,
                    commitNumber: this.commitNumber,
                    changedFields: Object.keys(changed)
                },
                ...changed
            }
        });
    }

    async query(soql: Soql): Promise<SalesforceRecord[]> {
        this.calls += 1;
        throw new ConnectorError('SF.SIMULATION', `the simulated org answers no SOQL: ${JSON.stringify(soql)}`, {
            retryable: false
        });
    }

    async readByIds(_sfObject: string, fields: readonly string[], ids: readonly string[]): Promise<SalesforceRecord[]> {
        this.calls += 1;
        return ids.flatMap((id) => {
            const record = this.records.get(id);
            if (!record) return [];
            return [Object.fromEntries([['Id', id], ...fields.map((field) => [field, record.fields[field] ?? null])])];
        });
    }

    async write(writes: readonly RecordWrite[]): Promise<RecordWriteResult[]> {
        this.calls += 1;
        const fault = this.faults.shift();
        if (fault === 'requestLimit')
            throw new ConnectorError('SF.REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.', { retryable: true });
        const results = writes.map((write, index): RecordWriteResult => {
            if (fault === 'lockRow' && index === 0)
                return {
                    ref: write.ref,
                    success: false,
                    error: new ConnectorError(
                        'SF.UNABLE_TO_LOCK_ROW',
                        'unable to obtain exclusive access to this record',
                        {
                            retryable: true
                        }
                    )
                };
            let id = write.id;
            let created = false;
            if (!id && write.externalId) {
                id = [...this.records.entries()].find(
                    ([, record]) =>
                        record.sobject === write.sfObject &&
                        record.fields[write.externalId!.field] === write.externalId!.value
                )?.[0];
                if (!id) {
                    id = this.seed(write.sfObject, { [write.externalId.field]: write.externalId.value });
                    created = true;
                }
            } else if (!id) {
                id = this.seed(write.sfObject, {});
                created = true;
            }
            if (!this.records.has(id))
                return {
                    ref: write.ref,
                    success: false,
                    error: new ConnectorError('SF.ENTITY_IS_DELETED', `no record ${id}`, { retryable: false })
                };
            this.commit(write.sfObject, id, write.fields, true, created);
            return { ref: write.ref, success: true, id, created };
        });
        if (this.crashNext) {
            this.crashNext = false;
            return new Promise<never>(() => undefined);
        }
        if (fault === 'lostResponse')
            throw new ConnectorError('SF.TRANSIENT', 'the connection closed before the answer', { retryable: true });
        return results;
    }

    async publish(eventName: string, payload: Record<string, unknown>): Promise<void> {
        this.calls += 1;
        this.published.push({ eventName, payload });
    }

    async attachFile(): Promise<{ contentVersionId: string }> {
        throw new ConnectorError('SF.SIMULATION', 'no files in the simulated org', { retryable: false });
    }

    apiBudget(): ApiBudget | undefined {
        return undefined;
    }

    async refreshApiBudget(): Promise<ApiBudget> {
        return { used: 0, max: 1_000_000 };
    }

    async createBulkQuery(): Promise<string> {
        throw new ConnectorError('SF.SIMULATION', 'no Bulk API in the simulated org', { retryable: false });
    }
    async bulkJob(): Promise<never> {
        throw new ConnectorError('SF.SIMULATION', 'no Bulk API in the simulated org', { retryable: false });
    }
    async waitForBulkJob(): Promise<never> {
        throw new ConnectorError('SF.SIMULATION', 'no Bulk API in the simulated org', { retryable: false });
    }
    async bulkQueryResults(): Promise<never> {
        throw new ConnectorError('SF.SIMULATION', 'no Bulk API in the simulated org', { retryable: false });
    }
    async createBulkIngest(): Promise<never> {
        throw new ConnectorError('SF.SIMULATION', 'no Bulk API in the simulated org', { retryable: false });
    }
    async uploadBulkIngest(): Promise<never> {
        throw new ConnectorError('SF.SIMULATION', 'no Bulk API in the simulated org', { retryable: false });
    }
    async abortBulkJob(): Promise<never> {
        throw new ConnectorError('SF.SIMULATION', 'no Bulk API in the simulated org', { retryable: false });
    }
    async bulkIngestResults(): Promise<never> {
        throw new ConnectorError('SF.SIMULATION', 'no Bulk API in the simulated org', { retryable: false });
    }

    callCount(): number {
        return this.calls;
    }
}
