/**
 * The connector's heartbeat in the org: its Clm_Connector_Status__c (domain/connectorStatus.ts), queued as one
 * outbox write, so it travels in the Composite call of whatever else the round writes to Salesforce. Written when
 * due (every `everyMs`) and at once when the CLM stops or starts answering.
 */
import { connectorStatusRecord, type SendField } from '../domain/index.ts';
import type { ApiBudget } from '../ports/salesforce.ts';
import type { StorePort } from '../ports/store.ts';
import type { Clock } from '../clock.ts';
import type { ClmReachabilityState } from './clmReachability.ts';

export interface ConnectorStatusSources {
    subscriptions(): Promise<readonly { channel: string; state: string; lastEventAt: string | null }[]>;
    apiBudget(): ApiBudget | undefined;
    paused(): boolean;
    clmReachability(): ClmReachabilityState;
}

export interface ConnectorStatusReporterOptions {
    orgId: string;
    store: StorePort;
    clock: Clock;
    /** The connector's name: the record's key. */
    connectorKey: string;
    vendor: string;
    /** What a send writes (app/sendWriteSet.ts) and where the CLM takes changes. */
    sendFields: readonly SendField[];
    writableLifecycles: readonly string[] | null;
    sources: ConnectorStatusSources;
    /** How often the record is refreshed when nothing changed; default five minutes. */
    everyMs?: number;
}

const ORDERING_KEY = 'connector:status';

export class ConnectorStatusReporter {
    private readonly startedAt: string;
    private lastAt: number | null = null;
    private lastReachable: boolean | null = null;

    constructor(private readonly options: ConnectorStatusReporterOptions) {
        this.startedAt = new Date(options.clock.now()).toISOString();
    }

    /** Queues the status write when due; returns whether it did. */
    async report(): Promise<boolean> {
        const { clock, store, orgId, sources } = this.options;
        const now = clock.now();
        const reachability = sources.clmReachability();
        const due =
            this.lastAt === null ||
            now - this.lastAt >= (this.options.everyMs ?? 5 * 60_000) ||
            reachability.reachable !== this.lastReachable;
        if (!due) return false;
        const budget = sources.apiBudget();
        const record = connectorStatusRecord({
            connectorKey: this.options.connectorKey,
            heartbeatAt: new Date(now).toISOString(),
            startedAt: this.startedAt,
            subscriptions: (await sources.subscriptions()).map(({ channel, state, lastEventAt }) => ({
                channel,
                state,
                lastEventAt
            })),
            apiBudget: budget ? { used: budget.used, max: budget.max, paused: sources.paused() } : null,
            clm: {
                vendor: this.options.vendor,
                reachable: reachability.reachable,
                failingSince:
                    reachability.failingSince === null ? null : new Date(reachability.failingSince).toISOString(),
                lastErrorCode: reachability.lastErrorCode
            },
            sendFields: this.options.sendFields,
            writableLifecycles: this.options.writableLifecycles
        });
        await store.commitPlan({
            orgId,
            outbox: [
                {
                    target: 'salesforce',
                    operation: 'sf.write',
                    idempotencyKey: `status:${this.options.connectorKey}:${now}`,
                    orderingKey: ORDERING_KEY,
                    correlationId: `status-${now}`,
                    objectType: record.sfObject,
                    payload: {
                        kind: 'sf.write',
                        sfObject: record.sfObject,
                        externalId: record.externalId,
                        fields: record.fields
                    }
                }
            ],
            now
        });
        this.lastAt = now;
        this.lastReachable = reachability.reachable;
        return true;
    }
}
