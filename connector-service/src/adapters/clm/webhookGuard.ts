/**
 * Replay and freshness checks shared by the vendors' webhook verifiers. An event older than the
 * tolerance is stale; within the tolerance, each event id is accepted once. Ids are kept only as long
 * as the tolerance (an older copy is rejected as stale anyway), so memory stays bounded.
 */
import { AsyncCache } from './asyncCache.ts';
import { systemClock, type Clock } from '../../clock.ts';

export interface WebhookGuardOptions {
    toleranceMs: number;
    /** Hard cap on remembered ids; the oldest are dropped first. */
    maxRemembered?: number;
    clock?: Clock;
}

export class WebhookReplayGuard {
    private readonly seen = new Map<string, number>();
    private readonly clock: Clock;
    private readonly maxRemembered: number;

    constructor(private readonly options: WebhookGuardOptions) {
        this.clock = options.clock ?? systemClock;
        this.maxRemembered = options.maxRemembered ?? 100_000;
    }

    /**
     * 'stale' if the event time is outside the tolerance (either way: a far-future time is not trusted), or is no
     * time at all: a timestamp that did not parse (NaN) compares false with everything, so it must fail here.
     */
    isStale(eventTimeMs: number): boolean {
        if (!Number.isFinite(eventTimeMs)) return true;
        return Math.abs(this.clock.now() - eventTimeMs) > this.options.toleranceMs;
    }

    /**
     * Records the id; false if it was seen before and is not yet stale. It is remembered until its event
     * time leaves the tolerance window, after which any copy is rejected as stale instead.
     */
    firstSighting(eventId: string, eventTimeMs: number): boolean {
        const now = this.clock.now();
        const expiresAt = this.seen.get(eventId);
        if (expiresAt !== undefined && expiresAt >= now) return false;
        this.seen.set(eventId, eventTimeMs + this.options.toleranceMs);
        if (this.seen.size > this.maxRemembered) this.evict(now);
        return true;
    }

    private evict(now: number): void {
        for (const [id, expiresAt] of this.seen) {
            if (expiresAt < now) this.seen.delete(id);
        }
        // Still over the cap: drop the earliest sightings (Map iteration is insertion order).
        for (const id of this.seen.keys()) {
            if (this.seen.size <= this.maxRemembered) break;
            this.seen.delete(id);
        }
    }
}

export function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
    const wanted = name.toLowerCase();
    for (const [key, value] of Object.entries(headers)) {
        if (key.toLowerCase() === wanted) return Array.isArray(value) ? value[0] : value;
    }
    return undefined;
}

/**
 * A verification key fetched from the vendor and cached. When a signature fails, `refresh()` fetches it
 * again (the vendor may have rotated it) — at most once per `minRefreshIntervalMs`, so forged
 * deliveries cannot make us hammer the vendor's key endpoint. A failed fetch is not cached.
 */
export class CachedVerificationKey<K> {
    private readonly cache: AsyncCache<K>;
    private lastFetchAt = Number.NEGATIVE_INFINITY;

    constructor(
        fetchKey: () => Promise<K>,
        private readonly clock: Clock,
        private readonly minRefreshIntervalMs = 30_000
    ) {
        this.cache = new AsyncCache(() => {
            this.lastFetchAt = this.clock.now();
            return fetchKey();
        });
    }

    get(): Promise<K> {
        return this.cache.get();
    }

    /** A fresh key, or undefined when the last fetch was too recent to try again. */
    async refresh(): Promise<K | undefined> {
        if (this.clock.now() - this.lastFetchAt < this.minRefreshIntervalMs) return undefined;
        this.cache.invalidate();
        return this.cache.get();
    }
}
