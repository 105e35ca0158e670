/**
 * Client-side throttling: one limit per vendor rate-limit bucket (Ironclad: per-company RPM per bucket; SpotDraft:
 * 10 requests/s per workspace), so the adapter stays under the limit instead of provoking 429s, plus a shared pause
 * when the vendor answers 429 with Retry-After.
 */

import { systemClock, type Clock } from '../../clock.ts';

/** What the HTTP client takes before each request of a vendor bucket. */
export interface RateBucket {
    take(): Promise<void>;
    /** The vendor said "not before": every caller of this bucket waits until then. */
    pauseFor(ms: number): void;
}

/** One pass at a time: wait out the vendor's pause, then let the request through or sleep as the bucket says. */
abstract class PacedBucket implements RateBucket {
    private pausedUntil = 0;

    constructor(protected readonly clock: Clock) {}

    async take(): Promise<void> {
        // Bounded: each pass either lets the request through or sleeps until it may go.
        for (;;) {
            const now = this.clock.now();
            const waitMs = now < this.pausedUntil ? this.pausedUntil - now : this.tryTake(now);
            if (waitMs <= 0) return;
            await this.clock.sleep(waitMs);
        }
    }

    /** Lets one request through at `now` (answers 0), or answers how long to wait before asking again. */
    protected abstract tryTake(now: number): number;

    pauseFor(ms: number): void {
        this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
    }
}

/**
 * At most `limit` requests in any `windowMs` (plus `marginMs` for the way there): a vendor counting fixed windows
 * (Ironclad's per-minute buckets, SpotDraft's second) never sees more than its limit in one of its windows, so it
 * never answers 429, and the whole limit is used when there is work. A token bucket as large as the limit lets up
 * to twice the limit into one fixed window after a quiet spell.
 */
export class WindowLimit extends PacedBucket {
    /** When the latest `limit` requests were let through, oldest first. */
    private readonly sent: number[] = [];

    constructor(
        readonly limit: number,
        readonly windowMs: number,
        clock: Clock = systemClock,
        readonly marginMs = Math.min(250, Math.floor(windowMs / 10))
    ) {
        super(clock);
        if (!(limit >= 1) || !(windowMs > 0)) throw new RangeError('limit must be >= 1 and windowMs > 0');
    }

    protected tryTake(now: number): number {
        const freeAt = this.sent.length < this.limit ? now : this.sent[0]! + this.windowMs + this.marginMs;
        if (now < freeAt) return freeAt - now;
        if (this.sent.length >= this.limit) this.sent.shift();
        this.sent.push(now);
        return 0;
    }
}

export class TokenBucket extends PacedBucket {
    private tokens: number;
    private lastRefill: number;

    /** `ratePerSecond` tokens are added each second up to `burst`. */
    constructor(
        readonly ratePerSecond: number,
        readonly burst: number,
        clock: Clock = systemClock
    ) {
        super(clock);
        if (!(ratePerSecond > 0) || !(burst >= 1)) throw new RangeError('rate must be > 0 and burst >= 1');
        this.tokens = burst;
        this.lastRefill = clock.now();
    }

    protected tryTake(now: number): number {
        this.refill(now);
        if (this.tokens < 1) return Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000);
        this.tokens -= 1;
        return 0;
    }

    override pauseFor(ms: number): void {
        super.pauseFor(ms);
        this.tokens = 0;
    }

    private refill(now: number): void {
        const elapsed = Math.max(0, now - this.lastRefill) / 1000;
        this.tokens = Math.min(this.burst, this.tokens + elapsed * this.ratePerSecond);
        this.lastRefill = now;
    }
}

export interface BackoffPolicy {
    /** Attempts in total, the first included. */
    maxAttempts: number;
    baseDelayMs: number;
    maxDelayMs: number;
}

export const defaultBackoff: BackoffPolicy = { maxAttempts: 8, baseDelayMs: 200, maxDelayMs: 20_000 };

/**
 * Exponential backoff with full jitter (a random delay in [0, base·2^n], capped), never shorter than
 * what the vendor asked for in Retry-After.
 */
export function backoffDelay(
    policy: BackoffPolicy,
    attempt: number,
    retryAfterMs: number | undefined,
    random: () => number = Math.random
): number {
    const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
    const jittered = Math.floor(random() * ceiling);
    return Math.max(jittered, retryAfterMs ?? 0);
}

/** Retry-After is either seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
    if (value === null || value.trim() === '') return undefined;
    const trimmed = value.trim();
    if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
    const date = Date.parse(trimmed);
    return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
