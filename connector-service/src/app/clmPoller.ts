/**
 * The CLM change feed as a fallback beside webhooks: every interval it pages `listChanges(cursor, limit)` and
 * queues each changed contract as a `clm.event` inbox item, the cursor committed in the same store transaction as
 * the rows it covers (checkpoint `clm:<vendor>:poll`), so a restart resumes where it stopped and a crash repeats a
 * page rather than skipping one. Webhooks stay primary; this catches what they lost.
 *
 * Dedupe: an item's event id is `<contractId>@<version>`, so polling the same version twice stores it once. A
 * webhook delivery has the vendor's own event id and cannot share that key; instead a contract whose linked pair
 * already holds this version (the engine records the version it planned or wrote) is not queued, and one queued
 * anyway is a duplicate the engine plans as stale. A contract with no pair and no Salesforce reference is not the
 * connector's and is left out.
 */
import type { ClmContract } from '../domain/index.ts';
import type { ClmPort } from '../ports/clm.ts';
import type { InboxAppender, InboxInput, LinkedPair, PairStore } from '../ports/store.ts';
import type { Logger } from '../ports/logger.ts';

export interface ClmPollerOptions {
    orgId: string;
    store: InboxAppender & Pick<PairStore, 'findPair'>;
    clm: ClmPort;
    logger: Logger;
    /** Between polls (default 60 s). */
    intervalMs?: number;
    /** Contracts per `listChanges` page (default 100). */
    pageSize?: number;
    /** Pages per poll at most, so one poll stays bounded (default 50); the next poll continues. */
    maxPagesPerPoll?: number;
    /** Polls only while this says so (e.g. `() => ingest.isSubscribed()`: the subscription lease holder polls). */
    active?: () => boolean;
    /** Called after items were stored, so the work loop can start at once. */
    onStored?: () => void;
}

export interface PollResult {
    pages: number;
    /** Contracts the feed returned. */
    seen: number;
    /** Inbox rows written. */
    queued: number;
    /** Left out: already held by the pair, stored before, or not the connector's. */
    skipped: number;
}

export class ClmPoller {
    private timer: NodeJS.Timeout | null = null;
    private running: Promise<PollResult> | null = null;
    private stopped = false;

    constructor(private readonly options: ClmPollerOptions) {}

    /** The checkpoint under which the feed's cursor is stored. */
    get checkpointName(): string {
        return `clm:${this.options.clm.vendor}:poll`;
    }

    /** Polls now, then every interval, until `close()`. */
    start(): void {
        this.stopped = false;
        const loop = (delayMs: number) => {
            this.timer = setTimeout(() => {
                void this.poll()
                    .then(() => this.options.intervalMs ?? 60_000)
                    .catch((error: unknown) => this.delayAfter(error))
                    .then((next) => {
                        if (!this.stopped) loop(next);
                    });
            }, delayMs);
            this.timer.unref();
        };
        loop(0);
    }

    private delayAfter(error: unknown): number {
        const code = (error as { code?: string }).code ?? 'CLM.POLL_FAILED';
        const retryAfterMs = Number((error as { details?: { retryAfterMs?: unknown } }).details?.retryAfterMs);
        this.options.logger.error(
            { code, details: (error as Error).message, vendor: this.options.clm.vendor },
            'CLM change feed poll failed; trying again at the next interval'
        );
        const interval = this.options.intervalMs ?? 60_000;
        return Number.isFinite(retryAfterMs) ? Math.max(interval, retryAfterMs) : interval;
    }

    /** One poll: pages until the feed is caught up (or the page bound). Concurrent calls share one run. */
    poll(): Promise<PollResult> {
        if (this.running) return this.running;
        this.running = this.pollOnce().finally(() => {
            this.running = null;
        });
        return this.running;
    }

    private async pollOnce(): Promise<PollResult> {
        const { orgId, store, clm } = this.options;
        const result: PollResult = { pages: 0, seen: 0, queued: 0, skipped: 0 };
        if (this.options.active && !this.options.active()) return result;
        const pageSize = this.options.pageSize ?? 100;
        let cursor = await store.getCheckpoint(orgId, this.checkpointName);
        for (let page = 0; page < (this.options.maxPagesPerPoll ?? 50) && !this.stopped; page += 1) {
            const { items, nextCursor } = await clm.listChanges(cursor, pageSize);
            result.pages += 1;
            result.seen += items.length;
            const inbox: InboxInput[] = [];
            for (const contract of items) {
                const item = await this.itemFor(contract);
                if (item) inbox.push(item);
                else result.skipped += 1;
            }
            const moved = nextCursor !== cursor;
            if (inbox.length > 0 || moved) {
                const appended = await store.appendInbox(orgId, inbox, {
                    channel: this.checkpointName,
                    replayId: nextCursor
                });
                result.queued += appended.insertedIds.length;
                result.skipped += appended.duplicates;
            }
            cursor = nextCursor;
            if (items.length < pageSize || !moved) break;
        }
        if (result.queued > 0) {
            this.options.logger.info(
                { code: 'CLM.POLL', vendor: clm.vendor, ...result },
                'CLM changes queued from the change feed'
            );
            this.options.onStored?.();
        }
        return result;
    }

    private async itemFor(contract: ClmContract): Promise<InboxInput | null> {
        const pair = await this.pairOf(contract);
        if (pair?.state.clmVersion === contract.version) return null;
        if (!pair && !contract.refs.some((ref) => ref.system === 'salesforce')) return null;
        const eventId = `${contract.id}@${contract.version}`;
        return {
            source: `clm:${this.options.clm.vendor}:poll`,
            eventId,
            orderingKey: pair ? pair.pairId : `clm:${contract.id}`,
            objectType: 'contract',
            payload: { kind: 'clm.event', contractId: contract.id, vendorEventId: `poll:${eventId}` },
            correlationId: `poll-${eventId}`.slice(0, 64)
        };
    }

    private async pairOf(contract: ClmContract): Promise<LinkedPair | null> {
        for (const ref of contract.refs.filter((candidate) => candidate.system !== 'salesforce')) {
            const pair = await this.options.store.findPair(this.options.orgId, {
                clm: { vendor: ref.system, objectType: ref.objectType, id: ref.id }
            });
            if (pair) return pair;
        }
        return null;
    }

    /** Stops polling; a poll under way finishes its page. */
    async close(): Promise<void> {
        this.stopped = true;
        if (this.timer) clearTimeout(this.timer);
        await this.running?.catch(() => undefined);
    }
}
