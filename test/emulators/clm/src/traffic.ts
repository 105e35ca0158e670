// Per-vendor request accounting: counters per operation, rate-limit buckets (fixed windows on the virtual clock)
// and injected faults. The vendor routers ask this module before running a handler.
import { z } from 'zod';
import type { VirtualClock } from './clock.ts';
import type { Vendor } from './store.ts';

export interface OperationCounter {
    requests: number;
    statuses: Record<string, number>;
    rateLimited: number;
    faulted: number;
    dropped: number;
}

export const bucketLimitSchema = z.strictObject({
    limit: z.number().int().positive(),
    windowMs: z.number().int().positive()
});
export type BucketLimit = z.infer<typeof bucketLimitSchema>;

/** Ironclad per-company buckets (requests per minute) and SpotDraft's 10 requests/second per workspace. */
export function defaultBuckets(): Record<Vendor, Record<string, BucketLimit>> {
    return {
        ironclad: {
            'workflows-read': { limit: 400, windowMs: 60_000 },
            'workflows-write': { limit: 40, windowMs: 60_000 },
            signatures: { limit: 50, windowMs: 60_000 },
            'records-read': { limit: 600, windowMs: 60_000 },
            webhooks: { limit: 100, windowMs: 60_000 }
        },
        spotdraft: { workspace: { limit: 10, windowMs: 1_000 } }
    };
}

export const faultSchema = z
    .strictObject({
        vendor: z.enum(['ironclad', 'spotdraft', '*']).default('*'),
        /** `METHOD /template` as the counters name it (e.g. `POST /workflows`), or `*`. */
        operation: z.string().min(1).default('*'),
        kind: z.enum(['status', 'rate-limit', 'latency', 'drop', 'redirect', 'link']),
        /** kind=status: the 4xx/5xx answered; kind=redirect: 301, 302 (default), 303, 307 or 308. */
        status: z.number().int().min(300).max(599).optional(),
        /** kind=redirect: the Location; kind=link: the `url` of a JSON download-link answer. Any URL. */
        location: z.url().optional(),
        /** How many matching requests the fault affects; omitted = until cleared. */
        count: z.number().int().positive().optional(),
        latencyMs: z.number().int().min(0).max(30_000).optional(),
        retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
        /** drop: `before` closes the connection unanswered; `after` runs the request, then loses the response. */
        phase: z.enum(['before', 'after']).default('before')
    })
    .refine((fault) => fault.kind !== 'status' || (fault.status !== undefined && fault.status >= 400), {
        message: 'a status of 400 or more is required for kind=status',
        path: ['status']
    })
    .refine((fault) => fault.kind !== 'redirect' || [undefined, 301, 302, 303, 307, 308].includes(fault.status), {
        message: 'a redirect status is 301, 302, 303, 307 or 308',
        path: ['status']
    })
    .refine((fault) => !['redirect', 'link'].includes(fault.kind) || fault.location !== undefined, {
        message: 'location is required for kind=redirect and kind=link',
        path: ['location']
    })
    .refine((fault) => fault.kind !== 'latency' || fault.latencyMs !== undefined, {
        message: 'latencyMs is required for kind=latency',
        path: ['latencyMs']
    });
export type FaultInput = z.infer<typeof faultSchema>;

export interface ActiveFault extends FaultInput {
    id: number;
    remaining: number;
    hits: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number; bucket: string };

export class Traffic {
    private counters: Record<Vendor, Record<string, OperationCounter>> = { ironclad: {}, spotdraft: {} };
    private buckets = defaultBuckets();
    private windows = new Map<string, { windowStart: number; used: number }>();
    private faults: ActiveFault[] = [];
    private faultSeq = 1;

    constructor(private readonly clock: VirtualClock) {}

    reset(): void {
        this.counters = { ironclad: {}, spotdraft: {} };
        this.buckets = defaultBuckets();
        this.windows.clear();
        this.faults = [];
    }

    resetCounters(): void {
        this.counters = { ironclad: {}, spotdraft: {} };
    }

    counter(vendor: Vendor, operation: string): OperationCounter {
        return (this.counters[vendor][operation] ??= {
            requests: 0,
            statuses: {},
            rateLimited: 0,
            faulted: 0,
            dropped: 0
        });
    }

    recordStatus(vendor: Vendor, operation: string, status: number): void {
        const counter = this.counter(vendor, operation);
        counter.statuses[String(status)] = (counter.statuses[String(status)] ?? 0) + 1;
    }

    snapshot(): Record<Vendor, Record<string, OperationCounter>> {
        return structuredClone(this.counters);
    }

    limits(): Record<Vendor, Record<string, BucketLimit>> {
        return structuredClone(this.buckets);
    }

    setLimit(vendor: Vendor, bucket: string, limit: BucketLimit): void {
        if (!this.buckets[vendor][bucket]) throw new Error(`unknown bucket ${bucket}`);
        this.buckets[vendor][bucket] = limit;
        this.windows.delete(`${vendor}:${bucket}`);
    }

    /** Takes one request from a bucket's current fixed window. */
    take(vendor: Vendor, bucket: string): RateDecision {
        const limit = this.buckets[vendor][bucket];
        if (!limit) return { allowed: true };
        const now = this.clock.now();
        const windowStart = Math.floor(now / limit.windowMs) * limit.windowMs;
        const key = `${vendor}:${bucket}`;
        let state = this.windows.get(key);
        if (!state || state.windowStart !== windowStart) {
            state = { windowStart, used: 0 };
            this.windows.set(key, state);
        }
        if (state.used >= limit.limit)
            return { allowed: false, retryAfterMs: windowStart + limit.windowMs - now, bucket };
        state.used += 1;
        return { allowed: true };
    }

    addFault(input: FaultInput): ActiveFault {
        const fault: ActiveFault = {
            ...input,
            id: this.faultSeq++,
            remaining: input.count ?? Number.POSITIVE_INFINITY,
            hits: 0
        };
        this.faults.push(fault);
        return fault;
    }

    listFaults(): ActiveFault[] {
        return this.faults.map((fault) => ({ ...fault }));
    }

    clearFaults(): void {
        this.faults = [];
    }

    /** The first active fault matching this request, consumed by one. */
    takeFault(vendor: Vendor, operation: string): ActiveFault | undefined {
        const fault = this.faults.find(
            (candidate) =>
                candidate.remaining > 0 &&
                (candidate.vendor === '*' || candidate.vendor === vendor) &&
                (candidate.operation === '*' || candidate.operation === operation)
        );
        if (!fault) return undefined;
        fault.remaining -= 1;
        fault.hits += 1;
        this.counter(vendor, operation).faulted += 1;
        if (fault.remaining <= 0) this.faults = this.faults.filter((candidate) => candidate !== fault);
        return { ...fault };
    }
}
