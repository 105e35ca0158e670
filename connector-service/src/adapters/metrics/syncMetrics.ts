/**
 * Throughput, errors and latency per queue and object, measured where a queue item settles: the store. The
 * engine claims items and settles each through the store port (complete, a plan committed with its inbox claim,
 * fail, quarantine), passing its own clock; `instrument(store)` returns the same store with those calls observed,
 * so the figures follow the engine's clock and need nothing from the engine itself.
 *
 * Latency (`clm_connector_sync_latency_seconds`), for items that settle done:
 * - inbox: from the source event's time to its plan being committed. The source time is the change's commit
 *   timestamp for a Salesforce change (CDC, reconcile); for the others (CLM webhooks and polls, sync requests,
 *   the connector's follow-ups) it is when the connector stored the event, as they carry no time of their own.
 * - outbox: from the write being queued (its plan's commit) to the write done on the other side.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type {
    ClaimRef,
    FailInput,
    InboxItem,
    LastError,
    Millis,
    OutboxItem,
    PlanCommit,
    QueueName,
    StorePort
} from '../../ports/store.ts';
import { objectOfPayload } from '../../app/payloads.ts';

/** Claimed items remembered until they settle (a claim lost to a crash is forgotten oldest first). */
const REMEMBERED_CLAIMS = 50_000;
const LATENCY_BUCKETS_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 6 * 3600, 86_400];

interface Claimed {
    object: string;
    since: Millis;
}

type Outcome = 'done' | 'retried' | 'quarantined';

/** When the event behind an inbox item happened: a Salesforce change's commit timestamp, else when it was stored. */
function sourceTime(item: InboxItem): Millis {
    const payload = item.payload as { kind?: unknown; change?: { version?: { at?: unknown } } } | null;
    const at = payload?.kind === 'sf.change' ? payload.change?.version?.at : undefined;
    const ms = typeof at === 'string' ? Date.parse(at) : Number.NaN;
    return Number.isFinite(ms) ? ms : item.createdAt;
}

export class SyncMetrics {
    private readonly items: Counter<'queue' | 'object' | 'outcome'>;
    private readonly errors: Counter<'queue' | 'object' | 'code'>;
    private readonly latency: Histogram<'queue' | 'object'>;
    private readonly claimed = new Map<string, Claimed>();

    constructor(options: { registry: Registry }) {
        const registers = [options.registry];
        this.items = new Counter({
            name: 'clm_connector_items_total',
            help: 'Queue items settled, per queue, object and outcome (done; retried after an error; quarantined)',
            labelNames: ['queue', 'object', 'outcome'],
            registers
        });
        this.errors = new Counter({
            name: 'clm_connector_item_errors_total',
            help: 'Queue item attempts that failed, per queue, object and error code (retried or quarantined)',
            labelNames: ['queue', 'object', 'code'],
            registers
        });
        this.latency = new Histogram({
            name: 'clm_connector_sync_latency_seconds',
            help:
                "Inbox: from the source event's time (a Salesforce change's commit timestamp, else its arrival) to " +
                'its plan committed; outbox: from the write queued to the write done',
            labelNames: ['queue', 'object'],
            buckets: LATENCY_BUCKETS_SECONDS,
            registers
        });
    }

    /** The store with claims and settlements observed; every other call goes straight through. */
    instrument(store: StorePort): StorePort {
        const overrides: Partial<StorePort> = {
            claimInbox: async (orgId: string, worker: string, limit: number, now: Millis) =>
                this.claim('inbox', await store.claimInbox(orgId, worker, limit, now), sourceTime),
            claimOutbox: async (orgId: string, worker: string, limit: number, now: Millis) =>
                this.claim('outbox', await store.claimOutbox(orgId, worker, limit, now), (item) => item.createdAt),
            complete: async (queue: QueueName, orgId: string, claim: ClaimRef, now: Millis) => {
                await store.complete(queue, orgId, claim, now);
                await this.settle(store, orgId, queue, claim, 'done', now);
            },
            commitPlan: async (commit: PlanCommit) => {
                const result = await store.commitPlan(commit);
                if (commit.inbox) await this.settle(store, commit.orgId, 'inbox', commit.inbox, 'done', commit.now);
                return result;
            },
            fail: async (queue: QueueName, orgId: string, claim: ClaimRef, input: FailInput, now: Millis) => {
                const outcome = await store.fail(queue, orgId, claim, input, now);
                const settled = outcome === 'failed' ? 'retried' : 'quarantined';
                await this.settle(store, orgId, queue, claim, settled, now, input.error);
                return outcome;
            },
            quarantine: async (queue: QueueName, orgId: string, claim: ClaimRef, error: LastError, now: Millis) => {
                await store.quarantine(queue, orgId, claim, error, now);
                await this.settle(store, orgId, queue, claim, 'quarantined', now, error);
            }
        };
        return new Proxy(store, {
            get(target, property) {
                const override = overrides[property as keyof StorePort];
                if (override) return override;
                const value: unknown = Reflect.get(target, property, target);
                return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
            }
        });
    }

    private claim<T extends InboxItem | OutboxItem>(queue: QueueName, items: T[], since: (item: T) => Millis): T[] {
        for (const item of items) {
            this.claimed.set(`${queue}:${item.id}`, {
                object: item.objectType ?? objectOfPayload(item.payload),
                since: since(item)
            });
            if (this.claimed.size > REMEMBERED_CLAIMS) this.claimed.delete(this.claimed.keys().next().value!);
        }
        return items;
    }

    private async settle(
        store: StorePort,
        orgId: string,
        queue: QueueName,
        claim: ClaimRef,
        outcome: Outcome,
        now: Millis,
        error?: LastError
    ): Promise<void> {
        const key = `${queue}:${claim.id}`;
        const claimed = this.claimed.get(key);
        this.claimed.delete(key);
        // A claim this process no longer remembers (claimed before a restart, or crowded out): read the item.
        const item = claimed ? null : await store.getItem(queue as 'inbox', orgId, claim.id).catch(() => null);
        const object = claimed?.object ?? item?.objectType ?? (item ? objectOfPayload(item.payload) : queue);
        this.items.inc({ queue, object, outcome });
        if (error) this.errors.inc({ queue, object, code: error.code });
        if (outcome === 'done' && claimed)
            this.latency.observe({ queue, object }, Math.max(0, now - claimed.since) / 1000);
    }
}
