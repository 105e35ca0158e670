/**
 * Hears Salesforce over the Pub/Sub API: one subscription per channel (CDC channels and the sync request event).
 * Each event is written to the inbox together with the channel's replay id in one store transaction, and a restart
 * resumes from that replay id. A replay id the org no longer has falls back to the newest events and queues a
 * SystemModstamp reconcile, so nothing is skipped silently.
 */
import PubSubApiClient from 'salesforce-pubsub-api-client';
import { asJson } from './payloads.ts';
import type { InboxInput, StorePort } from '../ports/store.ts';
import { changesFromCdcEvent, payloadFromSyncRequest, type DecodedEvent } from './changeEvents.ts';
import type { Logger } from './service.ts';

export const SYNC_REQUEST_CHANNEL = '/event/Clm_Sync_Request__e';

export interface PubSubIngestOptions {
    orgId: string;
    store: StorePort;
    endpoint: string;
    instanceUrl: string;
    accessToken: () => string;
    channels: readonly string[];
    logger: Logger;
    /** Accept the emulator's self-signed certificate (tests and the local demo only). */
    allowSelfSignedTls?: boolean;
    /** Called after events were stored, so the work loop can start at once. */
    onStored?: () => void;
    /**
     * With several instances on one store, only the holder of this lease subscribes (the others wait and take
     * over when it lapses); renewed every `renewEveryMs`. Without it the instance subscribes at once.
     */
    lease?: { holder: string; ttlMs: number; renewEveryMs: number };
}

type Callback = (subscription: unknown, type: string, data: unknown) => void;

export class PubSubIngest {
    private client: PubSubApiClient | null = null;
    private readonly chains = new Map<string, Promise<void>>();
    readonly stored = new Map<string, number>();

    private leaseTimer: NodeJS.Timeout | null = null;
    private stopped = false;
    private holding = false;

    constructor(private readonly options: PubSubIngestOptions) {}

    /** The lease every instance of this org's connector competes for. */
    get leaseName(): string {
        return `pubsub:${this.options.orgId}`;
    }

    /** True while this instance holds the subscriptions. */
    isSubscribed(): boolean {
        return this.client !== null;
    }

    async start(): Promise<void> {
        const lease = this.options.lease;
        if (!lease) return this.subscribe();
        await this.tickLease();
        const loop = () => {
            this.leaseTimer = setTimeout(() => {
                void this.tickLease().finally(() => {
                    if (!this.stopped) loop();
                });
            }, lease.renewEveryMs);
        };
        loop();
    }

    /** Takes the lease when free, renews it while held, and lets go of the streams the moment it is lost. */
    private async tickLease(): Promise<void> {
        const lease = this.options.lease!;
        const { store } = this.options;
        try {
            if (this.holding) {
                if (await store.renewLease(this.leaseName, lease.holder, lease.ttlMs, Date.now())) return;
                this.holding = false;
                this.options.logger.warn({ lease: this.leaseName }, 'subscription lease lost; closing the streams');
                this.closeClient();
                return;
            }
            const result = await store.acquireLease(this.leaseName, lease.holder, lease.ttlMs, Date.now());
            if (!result.acquired) return;
            this.holding = true;
            this.options.logger.info(
                { lease: this.leaseName, generation: result.lease.generation },
                'subscription lease taken'
            );
            await this.subscribe();
        } catch (error) {
            this.options.logger.error(
                { lease: this.leaseName, code: (error as { code?: string }).code ?? 'INGEST.LEASE' },
                'lease check failed'
            );
        }
    }

    private async subscribe(): Promise<void> {
        const { orgId, store } = this.options;
        this.client = new PubSubApiClient(
            {
                authType: 'user-supplied',
                accessToken: this.options.accessToken(),
                instanceUrl: this.options.instanceUrl.replace(/^http:/, 'https:'),
                organizationId: orgId,
                pubSubEndpoint: this.options.endpoint,
                ...(this.options.allowSelfSignedTls ? { rejectUnauthorizedSsl: false } : {})
            } as never,
            { debug() {}, info() {}, warn() {}, error() {} } as never
        );
        await this.client.connect();
        for (const channel of this.options.channels) {
            const replayId = await store.getCheckpoint(orgId, channel);
            const callback = this.callbackFor(channel);
            if (replayId) this.client.subscribeFromReplayId(channel, callback, null, Number(replayId));
            else this.client.subscribe(channel, callback, null);
            this.options.logger.info({ channel, replayId }, 'subscribed');
        }
    }

    private callbackFor(channel: string): Callback {
        return (_subscription, type, data) => {
            if (type === 'event') {
                const previous = this.chains.get(channel) ?? Promise.resolve();
                // One channel's events are stored in order, so its checkpoint only moves forward.
                this.chains.set(
                    channel,
                    previous
                        .then(() => this.store(channel, data as DecodedEvent))
                        .catch((error: unknown) => {
                            this.options.logger.error(
                                { channel, code: (error as { code?: string }).code ?? 'INGEST.STORE_FAILED' },
                                'event not stored; it will be redelivered from the last checkpoint'
                            );
                        })
                );
            } else if (type === 'error') {
                const details = (data as { details?: string; code?: number })?.details ?? String(data);
                this.options.logger.error(
                    { channel, code: 'INGEST.SUBSCRIPTION_ERROR', details },
                    'subscription error'
                );
            }
        };
    }

    private async store(channel: string, event: DecodedEvent): Promise<void> {
        const { orgId, store } = this.options;
        const items: InboxInput[] = [];
        if (channel === SYNC_REQUEST_CHANNEL) {
            const action = String(event.payload.Action__c ?? '');
            if (action === 'RetryItem' && typeof event.payload.Subject_Key__c === 'string') {
                const [queue, id] = event.payload.Subject_Key__c.split(':');
                if ((queue === 'inbox' || queue === 'outbox') && Number.isInteger(Number(id))) {
                    await store.replay(orgId, [{ queue, id: Number(id) }], Date.now());
                }
            } else {
                const payload = payloadFromSyncRequest(event);
                if (payload) {
                    const key =
                        payload.kind === 'sf.syncRequest'
                            ? `opp:${payload.opportunityId}`
                            : payload.kind === 'sf.conflictResolution'
                              ? payload.pairId
                              : channel;
                    items.push({
                        source: `salesforce:${channel}`,
                        eventId: String(event.replayId),
                        orderingKey: key,
                        objectType: 'Clm_Sync_Request__e',
                        payload: asJson(payload),
                        correlationId: `req-${String(event.payload.Request_Id__c ?? event.replayId)}`.slice(0, 64)
                    });
                }
            }
        } else {
            for (const change of changesFromCdcEvent(channel, event)) {
                const pair = await store.findPair(orgId, { salesforceId: change.recordId });
                items.push({
                    source: `salesforce:${channel}`,
                    eventId: change.eventId,
                    orderingKey: pair?.pairId ?? `sf:${change.recordId}`,
                    objectType: change.sfObject,
                    payload: asJson({ kind: 'sf.change', change }),
                    correlationId: change.correlationId
                });
            }
        }
        await store.appendInbox(orgId, items, { channel, replayId: String(event.replayId) });
        this.stored.set(channel, (this.stored.get(channel) ?? 0) + items.length);
        if (items.length > 0) this.options.onStored?.();
    }

    /** Waits until every event handed over so far is stored. */
    async settled(): Promise<void> {
        await Promise.all(this.chains.values());
    }

    private closeClient(): void {
        this.client?.close();
        this.client = null;
    }

    /** Stops renewing and closes the streams; the lease lapses after its TTL (or is released here). */
    close(options: { release?: boolean } = {}): void {
        this.stopped = true;
        if (this.leaseTimer) clearTimeout(this.leaseTimer);
        this.closeClient();
        if (this.options.lease && this.holding && options.release !== false) {
            void this.options.store.releaseLease(this.leaseName, this.options.lease.holder).catch(() => undefined);
        }
        this.holding = false;
    }
}
