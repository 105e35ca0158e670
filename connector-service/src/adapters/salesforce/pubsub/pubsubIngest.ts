/**
 * Hears Salesforce over the Pub/Sub API: one subscription per channel (CDC channels and the sync request event).
 * Each event is written to the inbox together with the channel's replay id in one store transaction, and a restart
 * resumes from that replay id.
 *
 * What the stream cannot deliver is read back, never skipped (reconcile.ts):
 * - The org refuses the stored replay id (older than the 72-hour retention, or unknown after a reset): a CDC
 *   channel subscribes again from LATEST and, once the org has answered on the new stream (its first event or
 *   keepalive — from then on every commit reaches the stream), queries every record of its object modified since
 *   the channel's watermark. LATEST, not EARLIEST: the query already returns the current state of everything the
 *   retained events would replay, in a few calls, where replaying up to 72 hours of events one delivery each could
 *   spend the org's daily event-delivery allocation. The sync request channel has no SOQL to fall back on (platform
 *   events are not queryable), so it subscribes from EARLIEST: every request still retained is newer than the
 *   expired position, so that replays exactly what was missed and still exists (the official sample does the same).
 * - A gap event (GAP_CREATE … GAP_UNDELETE) names records: they are read by id and queued with the gap's replay id.
 *   An overflow (GAP_OVERFLOW) names none: every record of the object modified since the watermark is.
 * The watermark is the commit time (Salesforce's clock) of the last event stored on the channel, kept as the
 * checkpoint `reconcile:<channel>`; it lags by at most `watermarkEveryMs`, which only makes a reconcile read more.
 * A stream that ends for any other reason (UNAVAILABLE, the delivery allocation) is opened again from the stored
 * replay id after `resubscribeDelayMs`.
 */
import { hostname } from 'node:os';
import PubSubApiClient from 'salesforce-pubsub-api-client';
import { commitTimeOf, gapFromCdcEvent, type DecodedEvent } from './changeEvents.ts';
import {
    DEFAULT_RECONCILE_MARGIN_MS,
    objectOfChannel,
    RECONCILE_LOG_CODE,
    watermarkChannel
} from '../../../app/reconcile.ts';
import { systemClock } from '../../../clock.ts';
import {
    isReplayIdRefusal,
    SYNC_REQUEST_CHANNEL,
    type Callback,
    type ChannelState,
    type PendingReconcile,
    type PubSubIngestOptions,
    type SubscriptionStatus
} from './pubsubTypes.ts';
import { syncRequestItems } from './syncRequestItems.ts';
import { cdcInboxItems } from './cdcInboxItems.ts';
import { reconcileChannel } from './channelReconcile.ts';

export {
    SYNC_REQUEST_CHANNEL,
    type PubSubIngestOptions,
    type SubscriptionState,
    type SubscriptionStatus
} from './pubsubTypes.ts';

export class PubSubIngest {
    private client: PubSubApiClient | null = null;
    private readonly chains = new Map<string, Promise<void>>();
    private readonly channels = new Map<string, ChannelState>();
    readonly stored = new Map<string, number>();

    private leaseTimer: NodeJS.Timeout | null = null;
    private restartTimer: NodeJS.Timeout | null = null;
    private stopped = false;
    private holding = false;
    /** Who holds the lease, as last seen by this instance. */
    private leaseHolder: string | null = null;
    private readonly now = (): number => (this.options.clock ?? systemClock).now();

    constructor(private readonly options: PubSubIngestOptions) {
        for (const channel of options.channels) {
            this.channels.set(channel, {
                state: 'standby',
                replayId: null,
                watermark: null,
                watermarkStored: null,
                generation: 0,
                refused: false,
                pending: null,
                retryTimer: null,
                idleAt: null
            });
        }
    }

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
                if (await store.renewLease(this.leaseName, lease.holder, lease.ttlMs, this.now())) return;
                this.holding = false;
                this.leaseHolder = null;
                this.options.logger.warn({ lease: this.leaseName }, 'subscription lease lost; closing the streams');
                this.closeClient();
                return;
            }
            const result = await store.acquireLease(this.leaseName, lease.holder, lease.ttlMs, this.now());
            if (!result.acquired) {
                this.leaseHolder = result.current?.holder ?? null;
                return;
            }
            this.holding = true;
            this.leaseHolder = lease.holder;
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

    private channel(channel: string): ChannelState {
        return this.channels.get(channel)!;
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
            const state = this.channel(channel);
            const watermark = await store.getCheckpoint(orgId, watermarkChannel(channel));
            state.watermark = state.watermarkStored = watermark === null ? null : Date.parse(watermark);
            state.replayId = await store.getCheckpoint(orgId, channel);
            const first = this.options.fromEarliest?.includes(channel) ? 'EARLIEST' : 'LATEST';
            this.open(channel, state.replayId ? { replayId: state.replayId } : first);
        }
    }

    /** Opens (or reopens) one channel's stream; a stream is opened again only after the client saw the old one end. */
    private open(channel: string, from: { replayId: string } | 'LATEST' | 'EARLIEST'): void {
        const client = this.client;
        const state = this.channel(channel);
        if (!client || this.stopped) return;
        state.generation += 1;
        state.refused = false;
        const callback = this.callbackFor(channel, state.generation);
        try {
            if (from === 'LATEST') client.subscribe(channel, callback, null);
            else if (from === 'EARLIEST') client.subscribeFromEarliestEvent(channel, callback, null);
            else client.subscribeFromReplayId(channel, callback, null, Number(from.replayId));
            state.state = state.pending ? 'reconciling' : 'subscribed';
            this.options.logger.info({ channel, from: typeof from === 'string' ? from : from.replayId }, 'subscribed');
        } catch (error) {
            state.state = 'error';
            this.options.logger.error(
                { channel, code: 'INGEST.SUBSCRIPTION_ERROR', details: (error as Error).message },
                'subscribe failed'
            );
            this.retryLater(channel);
        }
    }

    /**
     * Runs `task` after everything handed over on the channel so far: one channel's work is done in order. When a
     * task fails, the rest of that stream is dropped and the streams reopen from the stored replay ids, so the
     * event that failed (and everything after it) is delivered again rather than stepped over.
     */
    private enqueue(channel: string, generation: number, task: () => Promise<void>): void {
        const previous = this.chains.get(channel) ?? Promise.resolve();
        this.chains.set(
            channel,
            previous
                .then(() => (generation === this.channel(channel).generation ? task() : undefined))
                .catch((error: unknown) => {
                    this.options.logger.error(
                        {
                            channel,
                            code: (error as { code?: string }).code ?? 'INGEST.STORE_FAILED',
                            details: (error as Error).message
                        },
                        'event not stored; the streams reopen from the last checkpoint'
                    );
                    this.restart(channel);
                })
        );
    }

    private restart(failedChannel: string): void {
        if (this.stopped || !this.client) return;
        this.closeClient();
        this.channel(failedChannel).state = 'error';
        this.reconnectLater();
    }

    private reconnectLater(): void {
        if (this.stopped || this.restartTimer) return;
        this.restartTimer = setTimeout(() => {
            this.restartTimer = null;
            if (this.stopped || (this.options.lease && !this.holding)) return;
            void this.subscribe().catch((error: unknown) => {
                this.options.logger.error(
                    { code: 'INGEST.SUBSCRIPTION_ERROR', details: (error as Error).message },
                    'reconnect failed; trying again'
                );
                this.closeClient();
                this.reconnectLater();
            });
        }, this.options.resubscribeDelayMs ?? 5_000);
        this.restartTimer.unref();
    }

    private callbackFor(channel: string, generation: number): Callback {
        return (subscription, type, data) => {
            const state = this.channel(channel);
            if (generation !== state.generation || this.stopped) return;
            if (type === 'event' || type === 'grpcKeepAlive') {
                // The org answered on this stream, so it is registered: a reconcile now misses nothing in between.
                if (state.pending) this.enqueue(channel, generation, () => this.runPending(channel));
                if (type === 'event')
                    this.enqueue(channel, generation, () => this.store(channel, data as DecodedEvent));
                const latest = (subscription as { lastReplayId?: unknown } | null)?.lastReplayId;
                // The client hands events over asynchronously (it may still be fetching a schema), so a position is
                // trusted only when two keepalives in a row report it: a whole keepalive interval without events.
                const idleAt =
                    type === 'grpcKeepAlive' && latest !== null && latest !== undefined ? String(latest) : null;
                if (idleAt !== null && idleAt === state.idleAt)
                    this.enqueue(channel, generation, () => this.checkpointIdle(channel, idleAt));
                state.idleAt = idleAt;
            } else if (type === 'error') {
                const details = (data as { details?: string })?.details ?? String(data);
                if (isReplayIdRefusal(data)) {
                    state.refused = true;
                    state.state = 'reconciling';
                    this.options.logger.warn(
                        { channel, code: 'INGEST.REPLAY_ID_REFUSED', replayId: state.replayId, details },
                        'the org refused the stored replay id'
                    );
                } else {
                    state.state = 'error';
                    this.options.logger.error(
                        { channel, code: 'INGEST.SUBSCRIPTION_ERROR', details },
                        'subscription error'
                    );
                }
            } else if (type === 'end') {
                if (state.refused) this.fallBack(channel);
                else this.retryLater(channel);
            }
        };
    }

    /** After a refused replay id: LATEST plus a reconcile for a CDC channel, EARLIEST where no query can help. */
    private fallBack(channel: string): void {
        const state = this.channel(channel);
        const sfObjects = this.objectsOf(channel);
        // The refused position is worthless now: the new stream's first event or keepalive sets the next one.
        state.replayId = null;
        if (sfObjects.length > 0 && this.options.reconcile) {
            state.pending = { reason: 'replay-id-refused', since: this.since(state), sfObjects };
            this.open(channel, 'LATEST');
            return;
        }
        if (channel.startsWith('/data/')) {
            this.options.logger.error(
                { channel, code: 'INGEST.RECONCILE_UNAVAILABLE', reason: 'replay-id-refused' },
                'no reconcile is configured for this channel; replaying what the org still retains'
            );
        }
        this.open(channel, 'EARLIEST');
    }

    private retryLater(channel: string): void {
        const state = this.channel(channel);
        if (this.stopped || !this.client || state.retryTimer) return;
        state.retryTimer = setTimeout(() => {
            state.retryTimer = null;
            // Resume after everything already received is stored, from the replay id that covers it.
            void (this.chains.get(channel) ?? Promise.resolve()).then(async () => {
                const replayId = await this.options.store.getCheckpoint(this.options.orgId, channel);
                this.open(channel, replayId ? { replayId } : 'LATEST');
            });
        }, this.options.resubscribeDelayMs ?? 5_000);
        state.retryTimer.unref();
    }

    private objectsOf(channel: string): readonly string[] {
        const named = objectOfChannel(channel);
        return this.options.reconcile?.objects?.[channel] ?? (named ? [named] : []);
    }

    /** Where a since-watermark reconcile starts: the watermark less the margin; null (every record) without one. */
    private since(state: ChannelState): number | null {
        if (state.watermark === null) return null;
        return state.watermark - (this.options.reconcile?.marginMs ?? DEFAULT_RECONCILE_MARGIN_MS);
    }

    /** A failure propagates: the streams reopen, the replay id is refused again and the reconcile runs again. */
    private async runPending(channel: string): Promise<void> {
        const state = this.channel(channel);
        const pending = state.pending;
        if (!pending) return;
        state.pending = null;
        await this.reconcileNow(channel, pending);
        if (state.state === 'reconciling') state.state = 'subscribed';
    }

    /** Reads back and queues the records (channelReconcile.ts). */
    private reconcileNow(channel: string, pending: PendingReconcile): Promise<void> {
        return reconcileChannel(
            {
                options: this.options,
                now: this.now,
                state: this.channel(channel),
                onQueued: (queued) => {
                    this.stored.set(channel, (this.stored.get(channel) ?? 0) + queued);
                    if (queued > 0) this.options.onStored?.();
                },
                advanceWatermark: (at) => this.advanceWatermark(channel, at, true)
            },
            channel,
            pending
        );
    }

    /**
     * A keepalive says the stream has delivered everything up to `latest` on this channel: storing it keeps a quiet
     * channel's position inside the retention window, and gives a channel that never had an event a position to
     * resume from (without one a restart would start from LATEST and step over what changed while it was down).
     */
    private async checkpointIdle(channel: string, latest: string): Promise<void> {
        const state = this.channel(channel);
        if (!/^\d+$/.test(latest) || (state.replayId !== null && BigInt(latest) <= BigInt(state.replayId))) return;
        await this.options.store.appendInbox(this.options.orgId, [], { channel, replayId: latest });
        state.replayId = latest;
    }

    private async advanceWatermark(channel: string, at: number, force = false): Promise<void> {
        const state = this.channel(channel);
        if (state.watermark === null || at > state.watermark) state.watermark = at;
        const every = this.options.watermarkEveryMs ?? 60_000;
        if (!force && state.watermarkStored !== null && state.watermark - state.watermarkStored < every) return;
        await this.options.store.appendInbox(this.options.orgId, [], {
            channel: watermarkChannel(channel),
            replayId: new Date(state.watermark).toISOString()
        });
        state.watermarkStored = state.watermark;
    }

    private async store(channel: string, event: DecodedEvent): Promise<void> {
        const { orgId, store } = this.options;
        const state = this.channel(channel);
        const checkpoint = { channel, replayId: String(event.replayId) };
        const gap = gapFromCdcEvent(event);
        if (gap) {
            const pending: PendingReconcile = gap.overflow
                ? { reason: 'overflow', since: this.since(state), sfObjects: [gap.sfObject], checkpoint }
                : { reason: 'gap', since: null, sfObjects: [gap.sfObject], recordIds: gap.recordIds, checkpoint };
            if (!gap.overflow && gap.recordIds.length === 0) pending.sfObjects = [];
            this.options.logger.warn(
                { channel, code: RECONCILE_LOG_CODE, reason: pending.reason, changeType: gap.changeType },
                'gap event: the change itself was not sent'
            );
            state.state = 'reconciling';
            await this.reconcileNow(channel, pending);
            if (state.state === 'reconciling') state.state = 'subscribed';
        } else {
            const items =
                channel === SYNC_REQUEST_CHANNEL
                    ? syncRequestItems(channel, event, this.options.logger)
                    : await cdcInboxItems(store, orgId, channel, event);
            await store.appendInbox(orgId, items, checkpoint);
            state.replayId = checkpoint.replayId;
            this.stored.set(channel, (this.stored.get(channel) ?? 0) + items.length);
            if (items.length > 0) this.options.onStored?.();
        }
        const committedAt = commitTimeOf(event) ?? Number(event.payload.CreatedDate ?? Number.NaN);
        if (Number.isFinite(committedAt) && committedAt > 0) {
            if (channel.startsWith('/data/')) await this.advanceWatermark(channel, committedAt);
            else state.watermark = Math.max(state.watermark ?? 0, committedAt);
        }
    }

    /** Each channel's position and state, for `/admin/status`. A standby instance reads the holder's from the store. */
    async subscriptions(): Promise<SubscriptionStatus[]> {
        const { orgId, store } = this.options;
        const active = this.client !== null;
        const holder = this.options.lease
            ? this.leaseHolder
            : active
              ? (this.options.instanceName ?? `${hostname()}:${process.pid}`)
              : null;
        const out: SubscriptionStatus[] = [];
        for (const channel of this.options.channels) {
            const state = this.channel(channel);
            const replayId = active ? state.replayId : await store.getCheckpoint(orgId, channel);
            const watermark = active ? state.watermark : await store.getCheckpoint(orgId, watermarkChannel(channel));
            const at = typeof watermark === 'string' ? Date.parse(watermark) : watermark;
            out.push({
                channel,
                replayId,
                holder,
                state: active ? state.state : 'standby',
                lastEventAt: at === null || Number.isNaN(at) ? null : new Date(at).toISOString()
            });
        }
        return out;
    }

    /** Waits until every event handed over so far is stored. */
    async settled(): Promise<void> {
        for (;;) {
            const before = [...this.chains.values()];
            await Promise.all(before);
            const after = [...this.chains.values()];
            if (after.length === before.length && after.every((chain, index) => chain === before[index])) return;
        }
    }

    private closeClient(): void {
        for (const state of this.channels.values()) {
            state.generation += 1;
            state.state = 'standby';
            if (state.retryTimer) clearTimeout(state.retryTimer);
            state.retryTimer = null;
        }
        this.client?.close();
        this.client = null;
    }

    /** Stops renewing and closes the streams; the lease lapses after its TTL (or is released here). */
    close(options: { release?: boolean } = {}): void {
        this.stopped = true;
        if (this.leaseTimer) clearTimeout(this.leaseTimer);
        if (this.restartTimer) clearTimeout(this.restartTimer);
        this.closeClient();
        if (this.options.lease && this.holding && options.release !== false) {
            void this.options.store.releaseLease(this.leaseName, this.options.lease.holder).catch(() => undefined);
        }
        this.holding = false;
    }
}
